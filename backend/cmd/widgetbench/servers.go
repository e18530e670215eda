package main

import (
	"context"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"

	"halochat/backend/demo"
	"halochat/backend/service"
	"halochat/backend/store"
	"halochat/backend/webapp"
)

// env is the chat service and the host pages, on loopback.
type env struct {
	serviceURL, hostURL string
	// sent counts the bytes the chat service wrote to its connections.
	sent *atomic.Int64
}

// The host page: the Halo snippet, and probes the bench reads — long
// tasks, the widget's events, the click, and the widget frame's load.
// The click's time is the click event's own timeStamp, taken by a
// capturing listener, so that the programmatic click (button.click()) and
// a real pointer's click are timed alike; the window's paint is read
// inside the widget's frame (its first-contentful-paint entry), not here.
const hostPage = `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>host</title>
<script>
  window.__long = [];
  new PerformanceObserver(function (l) { l.getEntries().forEach(function (e) { window.__long.push([e.startTime, e.duration]); }); })
    .observe({ type: "longtask", buffered: true });
  window.__opened = 0; window.__t0 = 0; window.__hostFrame = 0; window.__boot = 0;
  // The widget's first message, sent once its wasm runs (its mount).
  addEventListener("message", function (e) {
    if (!window.__boot && e.data && (e.data.type === "halochat:boot" || e.data.type === "halochat:ready")) { window.__boot = performance.now(); }
  });
  addEventListener("haloChat_outboundEvent_chatWindowOpened", function () { window.__opened = performance.now(); });
  // The loader's shadow root is watched from its creation, so that no
  // frame's load goes unseen (a mutation is reported before the frame's
  // load task).
  var shadow = null, attach = Element.prototype.attachShadow;
  function hook(f) {
    if (f.__hooked) { return; }
    f.__hooked = true; f.__loadedAt = 0;
    f.addEventListener("load", function () { f.__loadedAt = performance.now(); });
  }
  Element.prototype.attachShadow = function (o) {
    var r = attach.call(this, o);
    if (this.id === "halo-chat") {
      shadow = r;
      new MutationObserver(function () { r.querySelectorAll("iframe").forEach(hook); }).observe(r, { childList: true, subtree: true });
    }
    return r;
  };
  function launcher() { return shadow && shadow.querySelector("button"); }
  addEventListener("click", function (e) {
    if (!launcher() || e.composedPath().indexOf(launcher()) < 0) { return; }
    window.__t0 = e.timeStamp;
    // The host's first frame after the click: a frame painted before it
    // (created on intent) shows no sooner.
    requestAnimationFrame(function () {
      window.__hostFrame = performance.now();
      // The loader's shell of the window, drawn at the click beneath the
      // frame (until the widget's page paints over it): on screen in
      // this frame.
      var s = shadow && shadow.querySelector("div.s");
      window.__shell = s && getComputedStyle(s).display !== "none" && s.getBoundingClientRect().width > 0 ? window.__hostFrame : 0;
    });
  }, true);
  window.__frame = function () { return shadow && shadow.querySelector("iframe"); };
  window.__launcher = function () { return !!launcher(); };
  window.__launcherAt = function () {
    var r = launcher().getBoundingClientRect();
    return [r.left + r.width / 2, r.top + r.height / 2];
  };
  window.__reset = function () { window.__opened = 0; window.__t0 = 0; window.__hostFrame = 0; window.__shell = 0; window.__boot = 0; };
  window.__click = function () { launcher().click(); };
  window.__loaded = function () { var f = window.__frame(); return f && f.__loadedAt ? f.__loadedAt - window.__t0 : 0; };
</script></head>
<body><h1>A host page</h1><p>Some content.</p>
<div id="halo-chat"></div>
<script>
  var haloChatConfig = { chatServiceUrl: "{{.Service}}", configId: "{{.ID}}", configKey: "{{.Key}}" }
</script>
<script src="{{.Service}}/chat/index.js"></script>
</body></html>`

// The floor: a button that frames the bare go-app app from the service,
// which says when it is running.
const barePage = `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>bare</title>
<script>
  window.__running = 0;
  addEventListener("message", function (e) { if (e.data === "bareapp:running") { window.__running = performance.now(); } });
  window.__click = function () {
    window.__running = 0;
    window.__t0 = performance.now();
    document.getElementById("go").click();
  };
</script></head>
<body><button id="go">open</button>
<script src="/bare.js"></script>
</body></html>`

const bareJS = `document.getElementById("go").addEventListener("click", function () {
  var f = document.createElement("iframe");
  f.width = "370"; f.height = "560";
  f.src = "{{.Service}}/bare/";
  document.body.appendChild(f);
});`

// startServers seeds a demo on SQLite and serves the chat service (with
// the bare app under /bare/) on 127.0.0.1 and the host pages on
// localhost: two sites, as in real life.
func startServers(ctx context.Context, dir, bareDir string) (*env, error) {
	st, err := store.Open(ctx, "sqlite://"+filepath.Join(dir, "bench.db"))
	if err != nil {
		return nil, err
	}
	context.AfterFunc(ctx, func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		return nil, err
	}
	res, err := demo.Seed(ctx, st)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	e := &env{serviceURL: "http://" + ln.Addr().String(), sent: new(atomic.Int64)}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := service.New(ctx, service.Options{Store: st, PublicURL: e.serviceURL, Logger: quiet})
	if err != nil {
		return nil, err
	}
	if !svc.Widget.Built() {
		return nil, fmt.Errorf("the widget wasm is not built: run make build")
	}
	bare, err := webapp.New(webapp.Options{
		Prefix: "/bare", Name: "bare", Title: "bare", Dist: os.DirFS(bareDir), WasmFile: "bare.wasm",
		FrameAncestors: func(*http.Request) string { return "*" },
	})
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/bare/", bare)
	mux.Handle("/", svc.Handler)
	serve(ctx, &countingListener{Listener: ln, sent: e.sent}, mux)

	data := map[string]string{"Service": e.serviceURL, "ID": res.Profile.ID, "Key": res.Profile.Key}
	pages := http.NewServeMux()
	for path, src := range map[string]string{"/{$}": hostPage, "/bare": barePage, "/bare.js": bareJS} {
		tpl := template.Must(template.New(path).Parse(src))
		ctype := "text/html; charset=utf-8"
		if path == "/bare.js" {
			ctype = "text/javascript; charset=utf-8"
		}
		pages.HandleFunc("GET "+path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", ctype)
			_ = tpl.Execute(w, data)
		})
	}
	hl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	serve(ctx, hl, pages)
	_, port, _ := net.SplitHostPort(hl.Addr().String())
	e.hostURL = "http://localhost:" + port + "/"
	return e, nil
}

func serve(ctx context.Context, ln net.Listener, h http.Handler) {
	srv := &http.Server{Handler: h}
	go func() { _ = srv.Serve(ln) }()
	context.AfterFunc(ctx, func() { srv.Close() })
}

// countingListener counts every byte its connections write: what the
// browser downloads from the service, headers and all.
type countingListener struct {
	net.Listener
	sent *atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: c, sent: l.sent}, nil
}

type countingConn struct {
	net.Conn
	sent *atomic.Int64
}

func (c *countingConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	c.sent.Add(int64(n))
	return n, err
}
