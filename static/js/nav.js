/* The header menu collapses behind a "Menu" button on narrow screens. Loaded as a file
   (the CSP forbids inline scripts); without JavaScript the menu simply stays open. */
(function () {
  "use strict";
  var button = document.querySelector("[data-nav-toggle]");
  if (!button) { return; }
  var menu = document.getElementById(button.getAttribute("aria-controls"));
  if (!menu) { return; }
  document.documentElement.classList.add("js");
  button.hidden = false;
  button.addEventListener("click", function () {
    var open = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", open ? "true" : "false");
    menu.classList.toggle("open", open);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && menu.classList.contains("open")) {
      button.setAttribute("aria-expanded", "false");
      menu.classList.remove("open");
      button.focus();
    }
  });
})();

// Receipts: a print button (hidden without JavaScript; the browser's own print still works).
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.hidden = false;
  button.addEventListener("click", function () { window.print(); });
});

// "You receive": the price less the creator's fee, as they type (fee rounded half up).
document.querySelectorAll("[data-net-preview]").forEach(function (preview) {
  var form = preview.closest("form") || document;
  var input = form.querySelector("[name='" + preview.getAttribute("data-input") + "']");
  var target = preview.querySelector("[data-net-amount]");
  if (!input || !target) { return; }
  var bp = parseInt(preview.getAttribute("data-fee-bp"), 10);
  var currency = preview.getAttribute("data-currency");
  function update() {
    var major = parseFloat(String(input.value).replace(",", "."));
    if (!(major > 0)) { return; }
    var gross = Math.round(major * 100);
    var net = gross - Math.floor((gross * bp + 5000) / 10000);
    target.textContent = currency + " " + (net / 100).toFixed(2);
  }
  input.addEventListener("input", update);
  update();
});

// Confirmation before destructive or money-moving actions: forms carrying data-confirm.
document.querySelectorAll("form[data-confirm]").forEach(function (form) {
  form.addEventListener("submit", function (event) {
    if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
  });
});
