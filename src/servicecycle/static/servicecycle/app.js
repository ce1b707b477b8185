// servicecycle page behaviour: no inline scripts anywhere; everything hooks on data attributes.
(function () {
  "use strict";

  function autosubmit(root) {
    root.querySelectorAll("[data-autosubmit]").forEach(function (el) {
      if (el.dataset.bound) return;
      el.dataset.bound = "1";
      el.addEventListener("change", function () { el.form.submit(); });
    });
  }

  function confirmations(root) {
    root.querySelectorAll("form[data-confirm]").forEach(function (form) {
      if (form.dataset.bound) return;
      form.dataset.bound = "1";
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.dataset.confirm)) event.preventDefault();
      });
    });
  }

  function selectOnFocus(root) {
    root.querySelectorAll("[data-select-on-focus]").forEach(function (el) {
      el.addEventListener("focus", function () { el.select(); });
    });
  }

  // Drag and drop reordering of a cycle's moments; the Up/Down buttons are the keyboard alternative.
  function sortables(root) {
    if (typeof Sortable === "undefined") return;
    root.querySelectorAll("ol.sortable[data-reorder-url]").forEach(function (list) {
      if (list.dataset.bound) return;
      list.dataset.bound = "1";
      Sortable.create(list, {
        handle: ".handle",
        animation: 150,
        onEnd: function (event) {
          if (event.oldIndex === event.newIndex) return;
          var ids = Array.prototype.map.call(list.querySelectorAll("li[data-id]"), function (li) { return li.dataset.id; });
          htmx.ajax("POST", list.dataset.reorderUrl, { target: "#cycle-editor", values: { moment: ids } });
        }
      });
    });
  }

  function autofocus(root) {
    var el = root.querySelector("[data-autofocus]");
    if (el) el.focus();
  }

  // Vega-Lite charts built on the server: the spec sits in a JSON script element next to its container.
  function charts(root) {
    if (typeof vegaEmbed === "undefined") return;
    root.querySelectorAll(".vega-chart[data-spec-id]").forEach(function (el) {
      if (el.dataset.bound) return;
      el.dataset.bound = "1";
      var source = document.getElementById(el.dataset.specId);
      if (!source) return;
      vegaEmbed(el, JSON.parse(source.textContent), { actions: false, renderer: "svg" });
    });
  }

  // Narrow screens: the section links fold under the top bar's Menu button (CSS hides the button when they fit).
  function navToggle(root) {
    root.querySelectorAll(".nav-toggle[aria-controls]").forEach(function (button) {
      if (button.dataset.bound) return;
      button.dataset.bound = "1";
      var menu = document.getElementById(button.getAttribute("aria-controls"));
      if (!menu) return;
      button.addEventListener("click", function () {
        var open = button.getAttribute("aria-expanded") !== "true";
        button.setAttribute("aria-expanded", open ? "true" : "false");
        menu.classList.toggle("open", open);
      });
    });
  }

  function init(root) {
    navToggle(root);
    autosubmit(root);
    confirmations(root);
    selectOnFocus(root);
    sortables(root);
    charts(root);
  }

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSwap", function (event) {
    init(event.detail.target);
    autofocus(event.detail.target);
  });
})();
