/* halochat embed loader, served as /chat/index.js. Reads haloChatConfig,
 * draws the launcher in a shadow root, queues haloChat_inboundEvent_*
 * events and forwards them to the widget iframe, and dispatches what the
 * widget reports as haloChat_outboundEvent_* events. No globals, no
 * cookies; in the host page's storage only the flag "a conversation is
 * open here". Messages go to the widget's exact origin, never "*". */
(function () {
  "use strict";
  var cfg = window.haloChatConfig, IN = "haloChat_inboundEvent_", OUT = "haloChat_outboundEvent_";
  var names = ["initialize", "openChatWindow", "upgradeAnonChat", "logout", "loginChanged", "closeChatWindow"];
  function emit(name, detail) { window.dispatchEvent(new CustomEvent(OUT + name, { detail: detail })); }
  function fail(code, msg, ev) {
    console.error("halochat: " + msg);
    emit("error", { code: code, message: msg, event: ev || null });
  }
  if (!cfg || typeof cfg !== "object") { fail("invalid_config", "window.haloChatConfig is missing"); return; }
  var base = String(cfg.chatServiceUrl || "").replace(/\/+$/, "").replace(/\/api$/, ""), origin;
  try { origin = new URL(base).origin; } catch (e) { fail("invalid_config", "haloChatConfig.chatServiceUrl is not a URL"); return; }
  if (!cfg.configId || !cfg.configKey) { fail("invalid_config", "haloChatConfig needs configId and configKey"); return; }
  var conf;
  try { conf = JSON.parse(JSON.stringify(cfg)); } catch (e) { fail("invalid_config", "haloChatConfig cannot be serialised"); return; }
  var flagKey = "halochat:open:" + conf.configId;
  function flagged() { try { return localStorage.getItem(flagKey) === "1"; } catch (e) { return false; } }
  function flag(on) { try { if (on) { localStorage.setItem(flagKey, "1"); } else { localStorage.removeItem(flagKey); } } catch (e) { /* storage denied */ } }
  var queue = [], frame = null, ready = false, open = false, hello = null;
  var auto = conf.autoInitialize !== false, resume = flagged();

  var host = document.getElementById("halo-chat");
  if (!host) { host = document.createElement("div"); host.id = "halo-chat"; document.body.appendChild(host); }
  var root = host.shadowRoot || host.attachShadow({ mode: "open" });
  var btn = document.createElement("button");
  btn.type = "button";
  btn.setAttribute("aria-label", "Open chat");
  btn.setAttribute("aria-expanded", "false");
  var css = ":host{all:initial}button{position:fixed;right:20px;bottom:20px;width:56px;height:56px;border-radius:50%;" +
    "border:0;cursor:pointer;background:var(--hc,#1f6feb);color:#fff;font:24px/56px sans-serif;padding:0;" +
    "box-shadow:0 2px 8px rgba(0,0,0,.3);z-index:2147483646}button img{width:32px;height:32px;vertical-align:middle}" +
    "iframe{position:fixed;right:20px;bottom:88px;max-width:calc(100vw - 40px);max-height:calc(100vh - 108px);border:0;" +
    "border-radius:12px;box-shadow:0 4px 24px rgba(0,0,0,.25);background:#fff;z-index:2147483647}.h{display:none}";
  if (root.adoptedStyleSheets !== undefined && window.CSSStyleSheet) {
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(css);
    root.adoptedStyleSheets = [sheet];
  }
  function colour(c) { if (typeof c === "string" && CSS.supports("color", c)) { btn.style.setProperty("--hc", c); } }
  colour(conf.colour);
  if (typeof conf.icon === "string" && /^https?:\/\//.test(conf.icon)) {
    var img = document.createElement("img");
    img.alt = "";
    img.src = conf.icon;
    btn.appendChild(img);
  } else {
    btn.textContent = "\uD83D\uDCAC";
  }
  if (!auto && !resume) { btn.className = "h"; }
  root.appendChild(btn);

  function send(m) {
    if (ready) { frame.contentWindow.postMessage(m, origin); } else { queue.push(m); }
  }
  function boot() {
    if (frame) { return; }
    frame = document.createElement("iframe");
    frame.className = "h";
    frame.title = "Chat";
    frame.setAttribute("allow", "autoplay");
    frame.width = String(conf.width || 370);
    frame.height = String(conf.height || 560);
    frame.src = base + "/chat/widget/?configId=" + encodeURIComponent(String(conf.configId));
    frame.addEventListener("load", function () {
      clearInterval(hello);
      say();
      hello = setInterval(say, 100);
      setTimeout(function () { clearInterval(hello); }, 60000);
    });
    root.appendChild(frame);
  }
  function say() { if (!ready) { frame.contentWindow.postMessage({ type: "halochat:hello", config: conf }, origin); } }
  function show(v) {
    var was = open;
    open = v;
    if (frame) { frame.className = v ? "" : "h"; }
    btn.setAttribute("aria-expanded", String(v));
    if (v && !was && frame) { frame.focus(); }
    if (!v && was && btn.className !== "h") { btn.focus(); }
  }
  names.forEach(function (n) {
    window.addEventListener(IN + n, function (ev) {
      var d = null;
      try { d = ev.detail == null ? null : JSON.parse(JSON.stringify(ev.detail)); } catch (e) {
        fail("invalid_event", IN + n + ": detail cannot be serialised", IN + n); return;
      }
      if (n === "initialize" || n === "openChatWindow") { boot(); btn.className = ""; }
      if (n === "openChatWindow") { show(true); }
      if (n === "closeChatWindow") { show(false); }
      send({ type: "halochat:inbound", name: IN + n, detail: d });
    });
  });
  btn.addEventListener("click", function () {
    boot();
    show(!open);
    send({ type: "halochat:launcher" });
  });
  window.addEventListener("message", function (ev) {
    if (!frame || ev.source !== frame.contentWindow || ev.origin !== origin || !ev.data) { return; }
    var m = ev.data, d = m.detail || {};
    if (m.type === "halochat:boot") {
      say();
    } else if (m.type === "halochat:ready") {
      clearInterval(hello);
      if (!ready) { ready = true; queue.splice(0).forEach(send); }
    } else if (m.type === "halochat:outbound" && typeof m.name === "string" && m.name.indexOf(OUT) === 0) {
      window.dispatchEvent(new CustomEvent(m.name, { detail: m.detail || null }));
      if (m.name === OUT + "messageReceived" && d.from === "agent" && typeof conf.sound === "string" && /^https?:\/\//.test(conf.sound)) {
        try { new Audio(conf.sound).play().catch(function () { /* autoplay refused */ }); } catch (e) { /* no audio */ }
      }
    } else if (m.type === "halochat:window") {
      show(!!d.open);
    } else if (m.type === "halochat:flag") {
      flag(!!d.open);
    } else if (m.type === "halochat:session" && typeof d.key === "string") {
      var v = null;
      try { v = sessionStorage.getItem(d.key); } catch (e) { /* storage denied */ }
      send({ type: "halochat:session", detail: { key: d.key, value: typeof v === "string" ? v.slice(0, 320) : "" } });
    } else if (m.type === "halochat:appearance") {
      colour(d.colour);
      if (d.hidden !== undefined) { btn.className = d.hidden && !open ? "h" : ""; }
      if (d.width) { frame.width = String(d.width); }
      if (d.height) { frame.height = String(d.height); }
    }
  });
  if (auto || resume) {
    (window.requestIdleCallback || function (f) { setTimeout(f, 1500); })(boot, { timeout: 5000 });
  }
})();
