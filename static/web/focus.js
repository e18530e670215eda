/* The widget page's behaviour before the wasm runs (its CSP allows no
 * inline script). When the loader opens the window, it focuses the frame,
 * and the composer takes the visitor's keys: the wasm keeps what was typed
 * (app/widget/static.go). And the page listens for the loader at once:
 * it keeps the messages the host page sends before the wasm runs and tells
 * the loader (halochat:listening), which then sends the launcher's click
 * and the page's events now rather than once the widget says it is ready;
 * the wasm takes them with halochatEarly() as it starts listening itself. */
(function () {
  "use strict";
  function take() {
    var input = document.getElementById("hc-input"), active = document.activeElement;
    if (input && document.hasFocus() && (!active || active === document.body)) { input.focus(); }
  }
  window.addEventListener("focus", take);
  take();
  var early = [];
  function keep(ev) { if (ev.source === window.parent) { early.push(ev); } }
  window.addEventListener("message", keep);
  // halochatEarly stops keeping and hands over what was kept, in order.
  window.halochatEarly = function () {
    window.removeEventListener("message", keep);
    var kept = early;
    early = [];
    return kept;
  };
  // Only to the page the browser names as the parent (no "*"); where it
  // names none, the loader waits for the widget's ready as before.
  var ao = location.ancestorOrigins;
  if (ao && ao.length && window.parent !== window) { window.parent.postMessage({ type: "halochat:listening" }, ao[0]); }
})();
