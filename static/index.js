/* halochat embed loader: served as /chat/index.js. Reads haloChatConfig,
 * draws the launcher in a shadow root, queues haloChat_inboundEvent_*
 * events and forwards them to the widget iframe. No globals, no cookies. */
(function () {
  "use strict";
  var cfg = window.haloChatConfig;
  var IN = "haloChat_inboundEvent_", OUT = "haloChat_outboundEvent_";
  var names = ["initialize", "openChatWindow", "upgradeAnonChat", "logout", "loginChanged", "closeChatWindow"];
  function fail(code, msg) {
    console.error("halochat: " + msg);
    window.dispatchEvent(new CustomEvent(OUT + "error", { detail: { code: code, message: msg, event: null } }));
  }
  if (!cfg || typeof cfg !== "object") { fail("invalid_config", "window.haloChatConfig is missing"); return; }
  var base = String(cfg.chatServiceUrl || "").replace(/\/+$/, "").replace(/\/api$/, "");
  var origin;
  try { origin = new URL(base).origin; } catch (e) { fail("invalid_config", "haloChatConfig.chatServiceUrl is not a URL"); return; }
  var queue = [], frame = null, ready = false, open = false;
  function send(m) { frame.contentWindow.postMessage(m, origin); }
  function forward(name, detail) {
    if (name === IN + "openChatWindow") { show(true); }
    if (name === IN + "closeChatWindow") { show(false); }
    var d = null;
    try { d = detail == null ? null : JSON.parse(JSON.stringify(detail)); } catch (e) { fail("invalid_event", name + ": detail is not serialisable"); return; }
    if (ready) { send({ type: "halochat:inbound", name: name, detail: d }); } else { queue.push([name, d]); }
  }
  names.forEach(function (n) {
    window.addEventListener(IN + n, function (ev) { forward(IN + n, ev.detail); });
  });
  var host = document.getElementById("halo-chat");
  if (!host) { host = document.createElement("div"); host.id = "halo-chat"; document.body.appendChild(host); }
  var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
  var colour = typeof cfg.colour === "string" && CSS.supports("color", cfg.colour) ? cfg.colour : "#1f6feb";
  var css = ":host{all:initial}" +
    ".l{position:fixed;right:20px;bottom:20px;width:56px;height:56px;border-radius:50%;border:0;cursor:pointer;" +
    "background:var(--hc);color:#fff;font:24px/56px sans-serif;box-shadow:0 2px 8px rgba(0,0,0,.3);z-index:2147483646}" +
    ".f{position:fixed;right:20px;bottom:88px;border:0;border-radius:12px;box-shadow:0 4px 24px rgba(0,0,0,.25);" +
    "background:#fff;z-index:2147483647}.h{display:none}";
  var btn = document.createElement("button");
  btn.className = "l";
  btn.setAttribute("aria-label", "Open chat");
  btn.textContent = "\uD83D\uDCAC";
  btn.style.setProperty("--hc", colour);
  if (root.adoptedStyleSheets !== undefined && window.CSSStyleSheet) {
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(css);
    root.adoptedStyleSheets = [sheet];
  }
  root.appendChild(btn);
  function ensureFrame() {
    if (frame) { return; }
    frame = document.createElement("iframe");
    frame.className = "f h";
    frame.title = "Chat";
    frame.width = String(cfg.width || 370);
    frame.height = String(cfg.height || 560);
    frame.src = base + "/chat/widget/?configId=" + encodeURIComponent(String(cfg.configId || ""));
    root.appendChild(frame);
  }
  function show(v) {
    ensureFrame();
    open = v;
    frame.className = v ? "f" : "f h";
    btn.setAttribute("aria-expanded", String(v));
  }
  btn.addEventListener("click", function () { show(!open); });
  window.addEventListener("message", function (ev) {
    if (!frame || ev.origin !== origin || ev.source !== frame.contentWindow || !ev.data) { return; }
    var m = ev.data;
    if (m.type === "halochat:ready") {
      ready = true;
      send({ type: "halochat:config", detail: JSON.parse(JSON.stringify(cfg)), host: location.origin });
      queue.splice(0).forEach(function (q) { send({ type: "halochat:inbound", name: q[0], detail: q[1] }); });
    } else if (m.type === "halochat:outbound" && typeof m.name === "string" && m.name.indexOf(OUT) === 0) {
      window.dispatchEvent(new CustomEvent(m.name, { detail: m.detail || null }));
    } else if (m.type === "halochat:window") {
      show(!!(m.detail && m.detail.open));
    }
  });
  if (cfg.autoInitialize !== false && window.requestIdleCallback) {
    requestIdleCallback(ensureFrame, { timeout: 5000 });
  }
})();
