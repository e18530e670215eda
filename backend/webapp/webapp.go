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
	"io"
	"io/fs"
	"net/http"
	"path"
	"strconv"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
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
	// icons). Styles names those that are stylesheets, e.g. "widget.css".
	Assets fs.FS
	Styles []string
	// FrameAncestors returns the CSP frame-ancestors sources for a page
	// request ("'none'" for pages that must never be framed).
	FrameAncestors func(r *http.Request) string
	// FrameSrc is the CSP frame-src of the pages: what they may frame
	// ("" = nothing; the console's portal page frames the widget: "'self'").
	FrameSrc string
}

// Handler serves one go-app application under Options.Prefix.
type Handler struct {
	opts     Options
	goapp    *app.Handler
	version  string // content hash of the wasm, or "unbuilt"
	wasmName string // versioned file name under /web/
	wasmRaw  int64
	built    bool
}

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

	styles := make([]string, 0, len(opts.Styles))
	for _, s := range opts.Styles {
		styles = append(styles, "/web/"+s)
	}
	h.goapp = &app.Handler{
		Name:              opts.Name,
		ShortName:         opts.Name,
		Title:             opts.Title,
		Icon:              app.Icon{Default: "/web/icon.png", Large: "/web/icon.png", SVG: "/web/icon.svg"},
		Styles:            styles,
		Resources:         resolver{prefix: opts.Prefix, wasm: "/web/" + h.wasmName},
		Version:           h.version,
		WasmContentLength: strconv.FormatInt(h.wasmRaw, 10),
		LoadingLabel:      " ",
	}
	return h, nil
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
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Header().Set("Content-Type", "application/wasm")
	accept := r.Header.Get("Accept-Encoding")
	for _, enc := range []struct{ token, suffix string }{{"br", ".br"}, {"gzip", ".gz"}} {
		if !acceptsEncoding(accept, enc.token) {
			continue
		}
		f, err := h.opts.Dist.Open(h.opts.WasmFile + enc.suffix)
		if err != nil {
			continue
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			continue
		}
		w.Header().Set("Content-Encoding", enc.token)
		w.Header().Set("Content-Length", strconv.FormatInt(st.Size(), 10))
		if r.Method == http.MethodHead {
			return
		}
		_, _ = io.Copy(w, f)
		return
	}
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

// acceptsEncoding reports whether an Accept-Encoding header allows token
// (a q=0 refuses it).
func acceptsEncoding(header, token string) bool {
	for _, part := range strings.Split(header, ",") {
		fields := strings.Split(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(fields[0]), token) {
			continue
		}
		for _, param := range fields[1:] {
			param = strings.ReplaceAll(strings.TrimSpace(param), " ", "")
			if param == "q=0" || param == "q=0.0" || param == "q=0.00" || param == "q=0.000" {
				return false
			}
		}
		return true
	}
	return false
}

// resolver puts every local path under the app's prefix and points the
// wasm at its versioned name.
type resolver struct {
	prefix string
	wasm   string
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
	return rv.prefix + location
}
