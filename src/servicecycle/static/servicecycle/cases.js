// Cases pages: keyboard use of the inbox (j/k move, x select, Enter open), select-all for bulk actions,
// and filling a reply from a template. No inline scripts: everything hooks on data attributes.
(function () {
  "use strict";

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("table[data-inbox] tbody tr[data-href]"));
  }

  function current() {
    return document.querySelector("table[data-inbox] tbody tr.is-current");
  }

  function move(step) {
    var list = rows();
    if (!list.length) return;
    var index = list.indexOf(current());
    var next = index < 0 ? 0 : Math.min(Math.max(index + step, 0), list.length - 1);
    list.forEach(function (tr) { tr.classList.remove("is-current"); tr.removeAttribute("aria-current"); });
    list[next].classList.add("is-current");
    list[next].setAttribute("aria-current", "true");
    var link = list[next].querySelector("a.case-link");
    if (link) link.focus({ preventScroll: true });
    list[next].scrollIntoView({ block: "nearest" });
  }

  function typing(target) {
    var tag = (target && target.tagName) || "";
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
  }

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || typing(event.target)) return;
    if (!document.querySelector("table[data-inbox]")) return;
    if (event.key === "j") { move(1); event.preventDefault(); }
    else if (event.key === "k") { move(-1); event.preventDefault(); }
    else if (event.key === "x") {
      var row = current();
      var box = row && row.querySelector("input[type=checkbox][name=case]");
      if (box) { box.checked = !box.checked; box.dispatchEvent(new Event("change", { bubbles: true })); }
      event.preventDefault();
    } else if (event.key === "Enter") {
      var open = current();
      if (open && event.target === document.body) { window.location.href = open.dataset.href; event.preventDefault(); }
    }
  });

  function countSelected() {
    var bar = document.querySelector("[data-selected-count]");
    if (!bar) return;
    var n = document.querySelectorAll("input[type=checkbox][name=case]:checked").length;
    bar.dataset.count = String(n);
    bar.classList.toggle("has-selection", n > 0);
  }

  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.matches && el.matches("input[data-select-all]")) {
      document.querySelectorAll("input[type=checkbox][name=case]").forEach(function (box) { box.checked = el.checked; });
    }
    if (el.matches && el.matches("input[type=checkbox]")) countSelected();
    // a reply template fills the message box (without JS, the "Use template" button reloads the page with it)
    if (el.matches && el.matches("select[data-fill-target]")) {
      var option = el.options[el.selectedIndex];
      var box = document.getElementById(el.dataset.fillTarget);
      if (box && option && option.dataset.body !== undefined) {
        if (!box.value.trim() || window.confirm(el.dataset.replaceConfirm)) {
          box.value = option.dataset.body;
          box.focus();
        }
      }
    }
  });

  function hideTemplateButtons(root) {
    root.querySelectorAll("[data-template-button]").forEach(function (b) { b.hidden = true; });
  }

  document.addEventListener("DOMContentLoaded", function () { hideTemplateButtons(document); });
  document.addEventListener("htmx:afterSwap", function (event) { hideTemplateButtons(event.detail.target.parentNode || document); });
})();
