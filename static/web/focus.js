/* The static window's one behaviour before the wasm runs (the widget
 * page's CSP allows no inline script): when the loader opens the window,
 * it focuses the frame, and the composer takes the visitor's keys. The
 * wasm keeps what was typed (app/widget/static.go). */
(function () {
  "use strict";
  function take() {
    var input = document.getElementById("hc-input"), active = document.activeElement;
    if (input && document.hasFocus() && (!active || active === document.body)) { input.focus(); }
  }
  window.addEventListener("focus", take);
  take();
})();
