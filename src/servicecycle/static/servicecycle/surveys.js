// Respondent pages: show the running total of an allocation, and move focus to the error summary.
(function () {
  "use strict";
  function totals() {
    document.querySelectorAll("fieldset.allocation").forEach(function (box) {
      var out = box.querySelector(".allocation-total");
      if (!out) return;
      var target = parseInt(box.dataset.total, 10);
      function update() {
        var sum = 0;
        box.querySelectorAll("input[type=number]").forEach(function (input) {
          var v = parseInt(input.value, 10);
          if (!isNaN(v)) sum += v;
        });
        out.textContent = out.dataset.label + " " + sum + " / " + target;
      }
      box.addEventListener("input", update);
      update();
    });
  }
  function focusErrors() {
    var summary = document.getElementById("error-summary");
    if (summary) summary.focus();
  }
  document.addEventListener("DOMContentLoaded", function () { totals(); focusErrors(); });
})();
