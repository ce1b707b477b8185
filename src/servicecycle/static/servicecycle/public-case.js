// Intake form: the claim fields only show while "Claim" is chosen (they stay visible without JavaScript).
(function () {
  "use strict";
  function bind() {
    var box = document.querySelector("[data-claim-fields]");
    if (!box) return;
    var radios = document.querySelectorAll("input[name='kind']");
    function update() {
      var chosen = document.querySelector("input[name='kind']:checked");
      box.hidden = !(chosen && chosen.value === "claim");
    }
    radios.forEach(function (radio) { radio.addEventListener("change", update); });
    update();
    var errors = document.getElementById("form-errors");
    if (errors) errors.focus();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", bind);
  else bind();
})();
