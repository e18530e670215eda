// Package webapp serves a go-app WebAssembly application (the visitor
// widget and the agent console) under a sub-path of the service: the
// prerendered page, go-app's own scripts, and the wasm itself —
// content-addressed, immutable, and precompressed.
//
// go-app's PrefixedLocation panics when it serves /web/app.wasm (its inner
// handler is nil), so this package resolves every path itself and serves
// /web/ before the go-app handler sees the request.
package webapp

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"html"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"strconv"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"halochat/backend/precompressed"
)

// Options describe one go-app application.
type Options struct {
	// Prefix is the path the app lives under, without a trailing slash,
	// e.g. "/chat/widget".
	Prefix string
	// Name and Title of the app (manifest and <title>).
	Name, Title string
	// Dist holds the built wasm (WasmFile) and optionally WasmFile+".br"
	// and WasmFile+".gz", written by `make build`.
	Dist     fs.FS
	WasmFile string
	// Assets holds the other files served under Prefix+"/web/" (styles,
	// icons). Styles names those that are stylesheets, e.g. "widget.css":
	// the page links them as one with go-app's app.css (see bundle).
	Assets fs.FS
	Styles []string
	// FrameAncestors returns the CSP frame-ancestors sources for a page
	// request ("'none'" for pages that must never be framed).
	FrameAncestors func(r *http.Request) string
	// FrameSrc is the CSP frame-src of the pages: what they may frame
	// ("" = nothing; the console's portal page frames the widget: "'self'").
	FrameSrc string
	// Scripts names files of Assets that the pages load (deferred), e.g.
	// "focus.js": served like Styles.
	Scripts []string
	// Files serves generated files under Prefix+"/web/" by name (the
	// widget's colour stylesheet), before Assets.
	Files map[string]http.Handler
	// PreloadWasm puts a <link rel="preload" as="fetch" crossorigin> to the
	// wasm in the page's head: its download starts while the page is
	// parsed rather than when go-app's deferred app.js runs, whose
	// fetch(url) takes the preloaded answer (same URL, mode and
	// credentials). Its priority is low: on a slow link the stylesheets
	// and scripts the first paint waits for go first (widgetbench, Fast
	// 4G: at the default priority the window painted ~100 ms later).
	// Measured on a quiet machine (widgetbench -runs 4, two pairs, 2026-12-05):
	// the wasm's request 110-135 ms sooner, click → interactive cold on
	// Fast 4G 2,277 / 2,169 → 2,027 / 1,864 ms, isolation on 416 / 370 →
	// 330 / 352, the window painted no later. (A first try, under a load
	// of 8-19 from other builds, had measured no gain.)
	PreloadWasm bool
	// PageQuery, when set, returns query values that the prerendered
	// page sees besides the request's own, replacing them (the widget's
	// profile title and colour, read from the store): the page then
	// depends on more than its URL, so its answers carry no validator.
	PageQuery func(r *http.Request) url.Values
	// DirectBoot serves go-app's app.js changed (bootPatches): the wasm's
	// response goes to WebAssembly.instantiateStreaming as fetch gives
	// it, not re-streamed through JavaScript for go-app's progress label.
	// Without it app.js is go-app's own.
	DirectBoot bool
	// Compressed, when set, shares the compressed copies of the app's
	// files with other handlers made with it (precompressed.Cache).
	Compressed *precompressed.Cache
}

// Handler serves one go-app application under Options.Prefix.
type Handler struct {
	opts     Options
	goapp    *app.Handler
	version  string // content hash of the wasm, or "unbuilt"
	wasmName string // versioned file name under /web/
	wasmRaw  int64
	built    bool
	// files are go-app's scripts, style and manifest and the app's
	// stylesheets, by their path under the prefix: each under its fixed
	// path (revalidated) and its versioned one (immutable).
	files map[string]servedFile
	// prepared is closed once every file has its compressed copies.
	prepared chan struct{}
}

// servedFile is a precompressed file and how long a browser may keep it.
type servedFile struct {
	file         *precompressed.File
	cacheControl string
}

const (
	immutable  = "public, max-age=31536000, immutable"
	revalidate = "no-cache"
)

// New prepares the handler. A missing wasm is not an error: the page then
// answers 503 telling the operator to run `make build`.
func New(opts Options) (*Handler, error) {
	if !strings.HasPrefix(opts.Prefix, "/") || strings.HasSuffix(opts.Prefix, "/") {
		return nil, fmt.Errorf("webapp prefix %q must start and not end with /", opts.Prefix)
	}
	if opts.FrameAncestors == nil {
		opts.FrameAncestors = func(*http.Request) string { return "'none'" }
	}
	h := &Handler{opts: opts, version: "unbuilt"}
	raw, err := fs.ReadFile(opts.Dist, opts.WasmFile)
	switch {
	case err == nil && len(raw) > 0:
		sum := sha256.Sum256(raw)
		h.version = hex.EncodeToString(sum[:8])
		h.wasmRaw = int64(len(raw))
		h.built = true
	case err == nil, errors.Is(err, fs.ErrNotExist):
	default:
		return nil, fmt.Errorf("read %s: %w", opts.WasmFile, err)
	}
	h.wasmName = strings.TrimSuffix(opts.WasmFile, ".wasm") + "." + h.version + ".wasm"

	rv := resolver{prefix: opts.Prefix, wasm: "/web/" + h.wasmName}
	versioned, err := h.prepareFiles(rv)
	if err != nil {
		return nil, err
	}
	rv.versioned = versioned
	h.goapp = h.newGoApp(rv)
	// The service worker's script lists the versioned URLs, so it is
	// taken from the handler that serves pages with them.
	worker, err := generated(h.goapp, "/app-worker.js")
	if err != nil {
		return nil, err
	}
	h.files["/app-worker.js"] = servedFile{precompressed.New(worker, precompressed.Options{ContentType: "text/javascript; charset=utf-8", Cache: h.opts.Compressed}), revalidate}
	// Compressed in the background from the start, not by the first
	// visitor's requests: app.js and wasm_exec.js are on the way to the
	// wasm, and brotli -q 11 of go-app's files took 0.5-2 s a file on
	// first request on this 2-core machine under load.
	prepare := make([]*precompressed.File, 0, len(h.files))
	for _, f := range h.files {
		prepare = append(prepare, f.file)
	}
	h.prepared = make(chan struct{})
	go func() {
		defer close(h.prepared)
		for _, f := range prepare {
			f.Prepare()
		}
	}()
	return h, nil
}

// Prepared is closed once the handler's files are compressed: until then
// the first requests for them wait on it, and the compression takes the
// CPU (about 0.6 s of it for the widget's and the console's on a 2-core
// host), so the service reports itself ready only after it (/readyz).
func (h *Handler) Prepared() <-chan struct{} { return h.prepared }

// newGoApp is go-app's handler for the app's pages, with rv's URLs.
func (h *Handler) newGoApp(rv resolver) *app.Handler {
	scripts := make([]string, 0, len(h.opts.Scripts))
	for _, s := range h.opts.Scripts {
		scripts = append(scripts, "/web/"+s+" defer")
	}
	var head []string
	if h.opts.PreloadWasm && h.built {
		head = append(head, `<link rel="preload" href="`+html.EscapeString(rv.Resolve("/web/app.wasm"))+`" as="fetch" crossorigin fetchpriority="low">`)
	}
	return &app.Handler{
		RawHeaders:        head,
		Name:              h.opts.Name,
		ShortName:         h.opts.Name,
		Title:             h.opts.Title,
		Icon:              app.Icon{Default: "/web/icon.png", Large: "/web/icon.png", SVG: "/web/icon.svg"},
		Scripts:           scripts,
		Resources:         rv,
		Version:           h.version,
		WasmContentLength: strconv.FormatInt(h.wasmRaw, 10),
		LoadingLabel:      " ",
	}
}

// prepareFiles holds go-app's generated scripts, style and manifest and
// the app's stylesheets, each under its fixed path and a versioned one
// named by its content hash, and returns the fixed → versioned paths for
// the resolver. go-app's files are taken from a handler that resolves
// them unversioned: none of them names another of them.
func (h *Handler) prepareFiles(rv resolver) (map[string]string, error) {
	h.files = make(map[string]servedFile)
	versioned := make(map[string]string)
	add := func(fixed string, raw []byte, contentType string) {
		built := ""
		if strings.HasPrefix(fixed, "/web/") {
			built = strings.TrimPrefix(fixed, "/web/") // compressed by make build
		}
		f := precompressed.New(raw, precompressed.Options{ContentType: contentType, Built: h.opts.Dist, BuiltName: built, Cache: h.opts.Compressed})
		ext := path.Ext(fixed)
		v := "/web/" + strings.TrimSuffix(path.Base(fixed), ext) + "." + f.Hash() + ext
		h.files[fixed] = servedFile{f, revalidate}
		h.files[v] = servedFile{f, immutable}
		versioned[fixed] = v
	}
	probe := h.newGoApp(rv)
	for _, g := range []struct{ path, contentType string }{
		{"/app.js", "text/javascript; charset=utf-8"},
		{"/wasm_exec.js", "text/javascript; charset=utf-8"},
		{"/manifest.webmanifest", "application/manifest+json"},
	} {
		raw, err := generated(probe, g.path)
		if err != nil {
			return nil, err
		}
		if g.path == "/app.js" && h.opts.DirectBoot {
			if raw, err = directBoot(raw); err != nil {
				return nil, err
			}
		}
		add(g.path, raw, g.contentType)
	}
	css, err := h.bundle(probe)
	if err != nil {
		return nil, err
	}
	add("/app.css", css, "text/css; charset=utf-8")
	for _, s := range h.opts.Scripts {
		raw, err := fs.ReadFile(h.opts.Assets, s)
		if err != nil {
			return nil, fmt.Errorf("read the script %s: %w", s, err)
		}
		add("/web/"+s, raw, "text/javascript; charset=utf-8")
	}
	return versioned, nil
}

// bundle is the page's one stylesheet: go-app's app.css, then Styles in
// order. go-app links app.css in every page, before the app's styles; a
// stylesheet holds the first paint until it has arrived, and each one is
// a request of its own (over HTTP/1.1 a connection of its own, in a
// frame that shares none with its host page), so the page links one.
func (h *Handler) bundle(g *app.Handler) ([]byte, error) {
	css, err := generated(g, "/app.css")
	if err != nil {
		return nil, err
	}
	for _, s := range h.opts.Styles {
		raw, err := fs.ReadFile(h.opts.Assets, s)
		if err != nil {
			return nil, fmt.Errorf("read the stylesheet %s: %w", s, err)
		}
		css = append(append(append(css, "\n/* "...), s...), " */\n"...)
		css = append(css, raw...)
	}
	return css, nil
}

// generated asks go-app's handler for one of the files it makes.
func generated(g *app.Handler, p string) ([]byte, error) {
	rec := httptest.NewRecorder()
	g.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, p, nil))
	if rec.Code != http.StatusOK {
		return nil, fmt.Errorf("go-app's %s: status %d", p, rec.Code)
	}
	return rec.Body.Bytes(), nil
}

// Version is the content hash the app's URLs and caches are keyed by.
func (h *Handler) Version() string { return h.version }

// Built reports whether the wasm was found.
func (h *Handler) Built() bool { return h.built }

// WasmPath is the absolute URL path of the versioned wasm.
func (h *Handler) WasmPath() string { return h.opts.Prefix + "/web/" + h.wasmName }

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := strings.TrimPrefix(r.URL.Path, h.opts.Prefix)
	if p == r.URL.Path {
		http.NotFound(w, r)
		return
	}
	if p == "" {
		target := h.opts.Prefix + "/"
		if r.URL.RawQuery != "" {
			target += "?" + r.URL.RawQuery
		}
		http.Redirect(w, r, target, http.StatusMovedPermanently)
		return
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Referrer-Policy", "no-referrer")
	if f, ok := h.files[p]; ok {
		f.file.Serve(w, r, f.cacheControl)
		return
	}
	if strings.HasPrefix(p, "/web/") {
		h.serveWeb(w, r, strings.TrimPrefix(p, "/web/"))
		return
	}
	w.Header().Set("Content-Security-Policy", h.csp(r))
	if !h.built {
		w.Header().Set("Retry-After", "60")
		http.Error(w, "the "+h.opts.Name+" WebAssembly is not built: run `make build`", http.StatusServiceUnavailable)
		return
	}
	r2 := r.Clone(r.Context())
	r2.URL.Path = p
	r2.URL.RawPath = ""
	if h.opts.PageQuery != nil {
		q := r2.URL.Query()
		for k, v := range h.opts.PageQuery(r) {
			q[k] = v
		}
		r2.URL.RawQuery = q.Encode()
		// go-app's ETag names the version only: it would answer 304 to a
		// page whose profile changed.
		r2.Header.Del("If-None-Match")
		w = noValidator{w}
	}
	h.goapp.ServeHTTP(w, r2)
}

// csp allows the app's own scripts, styles and wasm, its own origin for
// HTTP and websockets, images from blob: URLs (the widget previews an
// attachment it fetched with the chat's secret), and framing only by
// what FrameAncestors allows.
func (h *Handler) csp(r *http.Request) string {
	frames := ""
	if h.opts.FrameSrc != "" {
		frames = "frame-src " + h.opts.FrameSrc + "; "
	}
	return "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; " +
		"img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; manifest-src 'self'; " +
		"worker-src 'self'; " + frames + "base-uri 'none'; form-action 'none'; frame-ancestors " +
		h.opts.FrameAncestors(r)
}

func (h *Handler) serveWeb(w http.ResponseWriter, r *http.Request, name string) {
	if name == h.wasmName {
		h.serveWasm(w, r)
		return
	}
	if strings.HasSuffix(name, ".wasm") {
		// An old version's URL: its content is gone, send the client back
		// to the page for the current one.
		http.Error(w, "this version of the app is no longer served; reload the page", http.StatusNotFound)
		return
	}
	if f, ok := h.opts.Files[name]; ok {
		f.ServeHTTP(w, r)
		return
	}
	if h.opts.Assets == nil || !fs.ValidPath(name) {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Cache-Control", "no-cache")
	http.ServeFileFS(w, r, h.opts.Assets, name)
}

// serveWasm answers with the precompressed copy the client accepts. Its
// URL carries the content hash, so it may be cached forever.
func (h *Handler) serveWasm(w http.ResponseWriter, r *http.Request) {
	if !h.built {
		w.Header().Set("Retry-After", "60")
		http.Error(w, "the "+h.opts.Name+" WebAssembly is not built: run `make build`", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Vary", "Accept-Encoding")
	w.Header().Set("Cache-Control", immutable)
	w.Header().Set("Content-Type", "application/wasm")
	// The URL names the content: a browser that revalidates (a reload)
	// holds it already.
	if precompressed.MatchesAny(r.Header.Get("If-None-Match"), h.version) {
		w.Header().Set("ETag", `"`+h.version+`"`)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	suffixes := map[string]string{"br": ".br", "gzip": ".gz"}
	for _, enc := range precompressed.Preferred(r.Header.Get("Accept-Encoding"), "br", "gzip") {
		f, err := h.opts.Dist.Open(h.opts.WasmFile + suffixes[enc])
		if err != nil {
			continue
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			continue
		}
		w.Header().Set("Content-Encoding", enc)
		w.Header().Set("ETag", `"`+h.version+"-"+strings.TrimPrefix(suffixes[enc], ".")+`"`)
		w.Header().Set("Content-Length", strconv.FormatInt(st.Size(), 10))
		if r.Method == http.MethodHead {
			return
		}
		_, _ = io.Copy(w, f)
		return
	}
	w.Header().Set("ETag", `"`+h.version+`"`)
	f, err := h.opts.Dist.Open(h.opts.WasmFile)
	if err != nil {
		http.Error(w, "read wasm: "+err.Error(), http.StatusInternalServerError)
		return
	}
	defer f.Close()
	w.Header().Set("Content-Length", strconv.FormatInt(h.wasmRaw, 10))
	if r.Method == http.MethodHead {
		return
	}
	_, _ = io.Copy(w, f)
}

// noValidator drops the ETag go-app sets on a page that depends on more
// than its URL.
type noValidator struct{ http.ResponseWriter }

func (n noValidator) WriteHeader(code int) {
	n.Header().Del("ETag")
	n.ResponseWriter.WriteHeader(code)
}

func (n noValidator) Write(b []byte) (int, error) {
	n.Header().Del("ETag")
	return n.ResponseWriter.Write(b)
}

// resolver puts every local path under the app's prefix and points the
// wasm and the files in versioned at their versioned names.
type resolver struct {
	prefix    string
	wasm      string
	versioned map[string]string
}

func (rv resolver) Resolve(location string) string {
	if strings.HasPrefix(location, "https://") || strings.HasPrefix(location, "http://") {
		return location
	}
	if location == "" || location == "/" {
		return rv.prefix
	}
	location = path.Clean("/" + location)
	if location == "/web/app.wasm" {
		location = rv.wasm
	}
	if v, ok := rv.versioned[location]; ok {
		location = v
	}
	return rv.prefix + location
}
