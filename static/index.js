/* halochat embed loader, served as /chat/index.js. Reads haloChatConfig,
 * draws the launcher in a shadow root, queues haloChat_inboundEvent_*
 * events and forwards them to the widget iframe, and dispatches what the
 * widget reports as haloChat_outboundEvent_* events. No globals, no
 * cookies; in the host page's storage only the flag "a conversation is
 * open here". Messages go to the widget's exact origin, never "*".
 * The page pays for the widget (its iframe and wasm) only on intent: the
 * pointer over the launcher, focus on it, a touch, openChatWindow — or at
 * once when the flag says a conversation is open. Until then the loader
 * answers initialization itself, with one small request. */
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
  if (conf.preload !== undefined && conf.preload !== "idle" && conf.preload !== "intent") {
    fail("invalid_config", 'haloChatConfig.preload: must be "idle" or "intent"'); return;
  }
  var flagKey = "halochat:open:" + conf.configId;
  function flagged() { try { return localStorage.getItem(flagKey) === "1"; } catch (e) { return false; } }
  function flag(on) { try { if (on) { localStorage.setItem(flagKey, "1"); } else { localStorage.removeItem(flagKey); } } catch (e) { /* storage denied */ } }
  // listening: the widget's page keeps what is sent before its wasm runs
  // (halochat:listening), so the queue need not wait for its ready.
  var queue = [], frame = null, ready = false, listening = false, open = false, hello = null, dead = false;
  var auto = conf.autoInitialize !== false, resume = flagged();
  // What the page chose (haloChatConfig, then initialize events): the
  // static window and the launcher show it before the widget runs.
  var page = { id: String(conf.configId), colour: str(conf.colour), theme: str(conf.theme), title: "", icon: str(conf.icon) };
  var asks = [], told = false; // the loader's own answers; told: it reported the hello's
  function str(v) { return typeof v === "string" ? v : ""; }

  // Every text the loader shows: English until the widget sends them in
  // its language (appearance's labels; "%d" in unread is the count).
  var T = { open: "Open chat", unread: "Open chat, %d unread", frame: "Chat" }, count = 0;
  var host = document.getElementById("halo-chat");
  if (!host) { host = document.createElement("div"); host.id = "halo-chat"; document.body.appendChild(host); }
  var root = host.shadowRoot || host.attachShadow({ mode: "open" });
  var box = document.createElement("div"), btn = document.createElement("button"), badge = document.createElement("span");
  box.className = "w";
  btn.type = "button";
  btn.setAttribute("aria-label", T.open);
  btn.setAttribute("aria-expanded", "false");
  badge.className = "b h";
  badge.setAttribute("aria-hidden", "true");
  // Under 480 px the window fills the screen, sized to the visual viewport
  // (--vh, --vt) so that the composer stays above the on-screen keyboard.
  // The shell's title (drawShell) is black or white on the colour,
  // whichever contrasts more (the widget's rule: CIE lightness 49.44 is the
  // luminance 0.179 where the two contrasts meet); white where the browser
  // has no relative colours.
  var css = ":host{all:initial}button{position:fixed;right:20px;bottom:20px;width:56px;height:56px;border-radius:50%;" +
    "border:0;cursor:pointer;background:var(--hc,#1f6feb);color:#fff;padding:0;display:flex;align-items:center;" +
    "justify-content:center;box-shadow:0 2px 8px rgba(0,0,0,.3);z-index:2147483646}button img,button svg{width:30px;height:30px}" +
    ".b{position:absolute;top:-4px;right:-4px;min-width:20px;height:20px;padding:0 5px;box-sizing:border-box;border-radius:10px;" +
    "background:#d93025;color:#fff;font:bold 12px/20px sans-serif;text-align:center}" +
    "iframe,.s{position:fixed;right:20px;bottom:88px;max-width:calc(100vw - 40px);max-height:calc(100vh - 108px);border:0;" +
    "width:var(--fw,370px);height:var(--fh,560px);border-radius:12px;z-index:2147483647}iframe{box-shadow:0 4px 24px rgba(0,0,0,.25)}" +
    ".s{overflow:hidden;background:#fff;font:bold 16px/28px system-ui,sans-serif;pointer-events:none}" +
    ".s b{display:block;padding:12px 16px;background:var(--hc,#1f6feb);color:#fff;color:lch(from var(--hc,#1f6feb) calc((49.44 - l) * infinity) 0 0)}" +
    ".s.d{background:#16181d}.l>*{left:20px;right:auto}" +
    "@media (max-width:480px){.w>iframe,.w>.s{top:var(--vt,0);left:0;right:0;bottom:auto;width:100%;height:var(--vh,100%);" +
    "max-width:none;max-height:none;border-radius:0}}.h{display:none}iframe.c{opacity:0;pointer-events:none}";
  var dyn = null, tint = "", vv = window.visualViewport, dims = { w: size(conf.width, 370), h: size(conf.height, 560) };
  function size(v, d) { var n = parseInt(v); return n > 0 && n < 10000 ? n : d; }
  if (root.adoptedStyleSheets !== undefined && window.CSSStyleSheet) {
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(css);
    dyn = new CSSStyleSheet();
    root.adoptedStyleSheets = [sheet, dyn];
  }
  // paint writes the variable part of the styles: the colour (as the
  // browser serialises it, never the page's text) and the visual viewport.
  function paint() {
    if (!dyn) { return; }
    var v = (tint ? "--hc:" + tint + ";" : "") + "--fw:" + dims.w + "px;--fh:" + dims.h + "px;";
    if (vv && open) { v += "--vh:" + Math.round(vv.height) + "px;--vt:" + Math.round(vv.offsetTop) + "px"; }
    dyn.replaceSync(":host{" + v + "}");
  }
  if (vv) { vv.addEventListener("resize", paint); vv.addEventListener("scroll", paint); }
  function colour(c) {
    if (typeof c !== "string" || !CSS.supports("color", c)) { return; }
    var probe = document.createElement("i");
    probe.style.color = c;
    tint = probe.style.color;
    paint();
  }
  colour(conf.colour);
  // The launcher's icon: an http(s) URL (the page's, else the profile's),
  // else a drawn speech bubble (no emoji font needed).
  var icon = null;
  function setIcon(u) {
    u = typeof u === "string" && /^https?:\/\//.test(u) ? u : "";
    if (u === icon) { return; }
    icon = u;
    while (btn.firstChild) { btn.removeChild(btn.firstChild); }
    if (u) {
      var img = document.createElement("img");
      img.alt = "";
      img.src = u;
      btn.appendChild(img);
    } else {
      var NS = "http://www.w3.org/2000/svg", svg = document.createElementNS(NS, "svg"), path = document.createElementNS(NS, "path");
      svg.setAttribute("viewBox", "0 0 24 24");
      svg.setAttribute("aria-hidden", "true");
      path.setAttribute("fill", "currentColor");
      path.setAttribute("d", "M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H10l-5 4v-4H4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z");
      svg.appendChild(path);
      btn.appendChild(svg);
    }
    btn.appendChild(badge);
  }
  setIcon(conf.icon);
  function unread(n) {
    n = open ? 0 : Math.max(0, Math.floor(Number(n) || 0));
    badge.textContent = n > 99 ? "99+" : String(n);
    badge.className = n > 0 ? "b" : "b h";
    count = n;
    btn.setAttribute("aria-label", n > 0 ? T.unread.replace("%d", String(n)) : T.open);
  }
  if (!auto && !resume) { btn.className = "h"; }
  box.appendChild(btn);
  root.appendChild(box);

  function send(m) {
    if (ready || listening) { frame.contentWindow.postMessage(m, origin); } else { queue.push(m); }
  }
  // boot creates the widget's frame; opening: the launcher's click that
  // boots it opens the window.
  function boot(opening) {
    if (frame || dead) { return; }
    // From now on the widget answers: what the loader has not reported yet
    // it leaves to it.
    asks.forEach(function (a) { a.off = true; });
    frame = document.createElement("iframe");
    // Booted on intent, the closed window is laid out and painted unseen,
    // so that the click only shows it: transparent and inert (no clicks,
    // no focus, out of the accessibility tree). Neither display:none nor
    // visibility:hidden: a frame hidden so does not paint at all.
    frame.className = "c";
    frame.inert = true;
    frame.title = T.frame;
    frame.setAttribute("allow", "autoplay");
    var q = "?configId=" + encodeURIComponent(page.id);
    ["colour", "theme", "title"].forEach(function (k) { if (page[k]) { q += "&" + k + "=" + encodeURIComponent(page[k]); } });
    // The hello rides in the URL's fragment too (never sent to a server):
    // where the browser names the widget's parent (ancestorOrigins), the
    // widget takes it as it mounts, without a round trip through this
    // thread. The click's open only with nothing queued before it.
    var h = JSON.stringify({ config: conf, answered: told, open: opening === true && !queue.length });
    frame.src = base + "/chat/widget/" + q + (h.length < 16384 ? "#halochat=" + encodeURIComponent(h) : "");
    frame.addEventListener("load", function () {
      // Opened before its page came: the page now takes the focus the
      // frame was given (its composer, static or not, takes the keys).
      if (open && root.activeElement === frame) { frame.contentWindow.focus(); }
      clearInterval(hello);
      say();
      hello = setInterval(say, 100);
      setTimeout(function () { clearInterval(hello); }, 60000);
    });
    box.appendChild(frame);
  }
  function say() { if (!ready) { frame.contentWindow.postMessage({ type: "halochat:hello", config: conf, answered: told }, origin); } }
  // ask reports initialization as the widget would, without it: the
  // profile's availability (and the page's config and initialize detail,
  // checked by the service as the widget checks them). m is the queued
  // initialize event (null: the hello's); it is marked answered so that
  // the widget, once booted, does not report it again.
  function ask(m) {
    var a = { off: false }, s = document.createElement("script"), u = base + "/chat/api/v1/availability.js?configId=" +
      encodeURIComponent(page.id) + "&config=" + encodeURIComponent(JSON.stringify(conf));
    if (m && m.detail) { u += "&initialize=" + encodeURIComponent(JSON.stringify(m.detail)); }
    asks.push(a);
    // A script, not a fetch: a page that runs the loader allows the
    // service's scripts, not always its fetches (connect-src). The answer
    // hangs on the element (no global).
    function done() {
      s.parentNode.removeChild(s);
      if (a.off) { return; }
      var av = s.halochat, e = av ? av.error : null;
      if (av && !e) {
        if (m) { m.answered = true; take(m.detail); } else { told = true; }
        look(av);
        emit("initialized", { chatAvailable: !!av.chatAvailable, configId: av.configId });
        return;
      }
      var code = e && typeof e.code === "string" ? e.code : "profile_not_found";
      if (code === "invalid_config") { dead = true; btn.className = "h"; }
      if (code === "invalid_event" && queue.indexOf(m) >= 0) { queue.splice(queue.indexOf(m), 1); } // reported once
      fail(code, e && e.message ? String(e.message) : "check the chat profile " + page.id + ": the chat service did not answer",
        code === "invalid_config" ? null : IN + "initialize");
    }
    s.async = true;
    s.onload = s.onerror = done;
    try {
      s.src = u;
      (document.head || document.documentElement).appendChild(s);
    } catch (e) { boot(); } // a page that refuses it (Trusted Types): the widget answers
  }
  // look shows the profile's launcher (the page's choices win), as the
  // widget's appearance message would.
  function look(av) {
    if (!page.colour) { colour(av.colour); }
    page.profileTitle = str(av.title);
    if (!page.icon) { setIcon(av.iconUrl); }
    box.className = av.launcherPosition === "bottom-left" ? "w l" : "w";
    btn.className = av.hideWhenUnavailable && !av.chatAvailable && !open ? "h" : "";
  }
  // take shows what an initialize the service accepted chose.
  function take(d) {
    if (!d) { return; }
    if (d.configId) { page.id = d.configId; }
    ["colour", "theme", "title", "icon"].forEach(function (k) { if (d[k]) { page[k] = d[k]; } });
    colour(d.colour);
    if (d.icon) { setIcon(d.icon); }
  }
  // before handles an event that arrives before the widget is booted; true:
  // handled (the loader answered it, or there was nothing to do).
  function before(n, d, m) {
    if (n === "initialize") {
      btn.className = "";
      queue.push(m);
      ask(m);
      return true;
    }
    if (n === "closeChatWindow") { emit("chatWindowClosed", { chatId: null }); return true; }
    if (n === "upgradeAnonChat") {
      // No conversation is open here (else the widget would be booted).
      emit("upgradeAnonChat", { success: false, chatId: null, error: { code: "no_chat", message: "there is no open chat to upgrade" } });
      return true;
    }
    return false;
  }
  // The window's shell: at a click before the widget's page is there (its
  // frame starts on intent, and a new frame's page paints 100–300 ms
  // later), the loader draws the window's outline beneath the frame — its
  // box, its header in the colour with the title — and the page, opaque,
  // covers it as it paints. Never a composer: what the visitor types goes
  // to the widget's page, not to the host's.
  var shell = null;
  function drawShell(v) {
    if (!v || ready || !frame) {
      if (shell) { shell.className = "s h"; }
      return;
    }
    if (!shell) {
      shell = document.createElement("div");
      shell.setAttribute("aria-hidden", "true");
      shell.appendChild(document.createElement("b"));
      shell.dir = "auto"; // the title's script: right to left for an Arabic or Hebrew one, as the widget's window
      box.insertBefore(shell, frame);
    }
    shell.firstChild.textContent = page.title || page.profileTitle || "";
    shell.className = page.theme === "dark" ? "s d" : "s";
  }
  function show(v) {
    var was = open;
    open = v;
    drawShell(v);
    if (frame) { frame.className = v ? "" : "c"; frame.inert = !v; }
    btn.setAttribute("aria-expanded", String(v));
    if (v) { unread(0); }
    paint();
    if (v && !was && frame) { frame.focus(); }
    if (!v && was && btn.className !== "h") { btn.focus(); }
  }
  names.forEach(function (n) {
    window.addEventListener(IN + n, function (ev) {
      var d = null;
      try { d = ev.detail == null ? null : JSON.parse(JSON.stringify(ev.detail)); } catch (e) {
        fail("invalid_event", IN + n + ": detail cannot be serialised", IN + n); return;
      }
      var m = { type: "halochat:inbound", name: IN + n, detail: d };
      if (!frame && !dead && before(n, d, m)) { return; }
      if (n === "initialize" || n === "openChatWindow") { boot(); btn.className = ""; }
      if (n === "openChatWindow") { show(true); }
      if (n === "closeChatWindow") { show(false); }
      send(m);
    });
  });
  // Intent: the widget boots while the pointer travels to the launcher.
  ["pointerenter", "focus", "touchstart"].forEach(function (t) { btn.addEventListener(t, function () { boot(); }, { passive: true }); });
  btn.addEventListener("click", function () {
    boot(!open);
    show(!open);
    // The state the visitor asked for, not a toggle: the widget may have
    // opened or closed its window meanwhile (a resumed chat, the page).
    send({ type: "halochat:launcher", detail: { open: open } });
  });
  window.addEventListener("message", function (ev) {
    if (!frame || ev.source !== frame.contentWindow || ev.origin !== origin || !ev.data) { return; }
    var m = ev.data, d = m.detail || {};
    if (m.type === "halochat:boot") {
      say();
    } else if (m.type === "halochat:listening") {
      if (!ready && !listening) { listening = true; say(); queue.splice(0).forEach(send); } // the hello first
    } else if (m.type === "halochat:ready") {
      clearInterval(hello);
      if (!ready) { ready = true; drawShell(false); queue.splice(0).forEach(send); }
    } else if (m.type === "halochat:outbound" && typeof m.name === "string" && m.name.indexOf(OUT) === 0) {
      window.dispatchEvent(new CustomEvent(m.name, { detail: m.detail || null }));
      if (m.name === OUT + "unreadCount") { unread(d.count); }
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
      if (d.labels && typeof d.labels === "object") {
        ["open", "unread", "frame"].forEach(function (k) { if (typeof d.labels[k] === "string" && d.labels[k]) { T[k] = d.labels[k]; } });
        unread(count);
        frame.title = T.frame;
      }
      if (d.icon !== undefined) { setIcon(d.icon); }
      if (d.position !== undefined) { box.className = d.position === "bottom-left" ? "w l" : "w"; }
      if (d.hidden !== undefined) { btn.className = d.hidden && !open ? "h" : ""; }
      if (d.width || d.height) {
        dims = { w: size(d.width, dims.w), h: size(d.height, dims.h) };
        paint();
      }
    }
  });
  if (resume) {
    boot(); // a conversation from before the reload raises its events now
  } else if (auto && conf.preload === "idle") {
    (window.requestIdleCallback || function (f) { setTimeout(f, 1500); })(function () { boot(); }, { timeout: 5000 });
  } else if (auto) {
    ask(null);
  }
})();
