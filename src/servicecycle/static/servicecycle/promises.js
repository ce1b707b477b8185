// Promise pages: show only the fields that apply, and announce a team's answer when the page updates itself.
// No inline scripts (strict CSP): everything hooks on ids and data attributes.
(function () {
  "use strict";

  function toggle(container, show) {
    if (!container) return;
    container.hidden = !show;
    container.querySelectorAll("input, select, textarea").forEach(function (el) { el.disabled = !show; });
  }

  // New promise: a customer chosen from the file needs no name, email or language typed in.
  function customerPicker(root) {
    var select = root.querySelector("#id_customer");
    var fields = root.querySelector("[data-new-customer]");
    if (!select || !fields || select.dataset.bound) return;
    select.dataset.bound = "1";
    var update = function () { toggle(fields, !select.value); };
    select.addEventListener("change", update);
    document.body.addEventListener("htmx:afterSwap", function (event) {
      if (event.detail.target === select) update();
    });
    update();
  }

  // Recovery: the new date belongs to "new date", the amount to "compensation".
  function recoveryForms(root) {
    root.querySelectorAll("form.recovery-form").forEach(function (form) {
      if (form.dataset.bound) return;
      form.dataset.bound = "1";
      var choice = form.querySelector("select[name$='recovery']");
      var date = form.querySelector("input[name$='new_due_at']");
      var amount = form.querySelector("input[name$='amount']");
      if (!choice) return;
      var update = function () {
        if (date) toggle(date.closest(".field"), choice.value === "new_date");
        if (amount) toggle(amount.closest(".field"), choice.value === "compensation");
      };
      choice.addEventListener("change", update);
      update();
    });
  }

  function selectOnFocus(root) {
    root.querySelectorAll("[data-select-on-focus]").forEach(function (el) {
      if (el.dataset.boundSelect) return;
      el.dataset.boundSelect = "1";
      el.addEventListener("focus", function () { el.select(); });
    });
  }

  function init(root) {
    customerPicker(root);
    recoveryForms(root);
    selectOnFocus(root);
  }

  document.addEventListener("DOMContentLoaded", function () { init(document); });

  // The live part of a promise's page was replaced because its state changed: tell screen-reader users.
  document.addEventListener("htmx:afterSettle", function () {
    var live = document.getElementById("promise-live");
    if (!live || live.dataset.announced) return;
    live.dataset.announced = "1";
    init(live);
    var announcer = document.getElementById("promise-announcer");
    var text = live.querySelector("[data-announce]");
    if (announcer && text) announcer.textContent = text.textContent.replace(/\s+/g, " ").trim();
  });
  document.addEventListener("DOMContentLoaded", function () {
    var live = document.getElementById("promise-live");
    if (live) live.dataset.announced = "1";
  });
})();
