package webapp

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

type page struct{ app.Compo }

func (page) Render() app.UI { return app.P().Class("probe").Text("hello") }

func newHandler(t *testing.T, dist fstest.MapFS) *Handler {
	t.Helper()
	app.Route("/", func() app.Composer { return &page{} })
	h, err := New(Options{
		Prefix: "/chat/widget", Name: "halochat", Title: "Chat",
		Dist: dist, WasmFile: "widget.wasm",
		Assets: fstest.MapFS{"widget.css": {Data: []byte("body{}")}},
		Styles: []string{"widget.css"},
		FrameAncestors: func(*http.Request) string {
			return "https://host.example"
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func get(t *testing.T, h http.Handler, path string, header ...string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func body(t *testing.T, r *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestUnbuiltWasmAnswers503SayingHowToBuild(t *testing.T) {
	h := newHandler(t, fstest.MapFS{".keep": {}})
	if h.Built() {
		t.Fatal("Built() = true with no wasm")
	}
	for _, path := range []string{"/chat/widget/", h.WasmPath()} {
		r := get(t, h, path)
		if r.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("GET %s = %d, want 503", path, r.StatusCode)
		}
		if b := body(t, r); !strings.Contains(b, "make build") {
			t.Errorf("GET %s body %q does not say to run make build", path, b)
		}
	}
}

func builtDist() fstest.MapFS {
	return fstest.MapFS{
		"widget.wasm":    {Data: []byte("\x00asm raw bytes of the widget")},
		"widget.wasm.br": {Data: []byte("brotli!")},
		"widget.wasm.gz": {Data: []byte("gzip!!")},
	}
}

func TestPageIsPrerenderedWithItsOwnCSP(t *testing.T) {
	h := newHandler(t, builtDist())
	r := get(t, h, "/chat/widget/")
	if r.StatusCode != http.StatusOK {
		t.Fatalf("GET page = %d: %s", r.StatusCode, body(t, r))
	}
	csp := r.Header.Get("Content-Security-Policy")
	for _, want := range []string{"'wasm-unsafe-eval'", "frame-ancestors https://host.example", "default-src 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "'unsafe-inline'") || strings.Contains(csp, " 'unsafe-eval'") {
		t.Errorf("CSP %q allows inline code", csp)
	}
	html := body(t, r)
	for _, want := range []string{`class="probe"`, `src="/chat/widget/app.js"`, `href="/chat/widget/web/widget.css"`} {
		if !strings.Contains(html, want) {
			t.Errorf("page lacks %s:\n%s", want, html)
		}
	}
	appJS := body(t, get(t, h, "/chat/widget/app.js"))
	if !strings.Contains(appJS, h.WasmPath()) {
		t.Errorf("app.js does not load the versioned wasm %s", h.WasmPath())
	}
}

func TestWasmIsImmutableAndPrecompressed(t *testing.T) {
	h := newHandler(t, builtDist())
	tests := []struct {
		accept, encoding, body string
	}{
		{"gzip, deflate, br", "br", "brotli!"},
		{"gzip", "gzip", "gzip!!"},
		{"br;q=0, gzip", "gzip", "gzip!!"},
		{"", "", "\x00asm raw bytes of the widget"},
	}
	for _, tt := range tests {
		r := get(t, h, h.WasmPath(), "Accept-Encoding", tt.accept)
		if r.StatusCode != http.StatusOK {
			t.Fatalf("Accept-Encoding %q: status %d", tt.accept, r.StatusCode)
		}
		if got := r.Header.Get("Content-Encoding"); got != tt.encoding {
			t.Errorf("Accept-Encoding %q: Content-Encoding %q, want %q", tt.accept, got, tt.encoding)
		}
		if got := body(t, r); got != tt.body {
			t.Errorf("Accept-Encoding %q: body %q, want %q", tt.accept, got, tt.body)
		}
		if cc := r.Header.Get("Cache-Control"); !strings.Contains(cc, "immutable") {
			t.Errorf("Cache-Control %q is not immutable", cc)
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/wasm" {
			t.Errorf("Content-Type %q", ct)
		}
	}
	if r := get(t, h, "/chat/widget/web/widget.0123456789abcdef.wasm"); r.StatusCode != http.StatusNotFound {
		t.Errorf("an old version's wasm = %d, want 404", r.StatusCode)
	}
}

func TestVersionFollowsTheWasmContent(t *testing.T) {
	a := newHandler(t, builtDist())
	b := newHandler(t, builtDist())
	other := builtDist()
	other["widget.wasm"] = &fstest.MapFile{Data: []byte("\x00asm another build")}
	c := newHandler(t, other)
	if a.Version() != b.Version() {
		t.Errorf("same wasm, versions %s and %s: a restart would empty browser caches", a.Version(), b.Version())
	}
	if a.Version() == c.Version() {
		t.Errorf("different wasm, same version %s: browsers would keep the old build", a.Version())
	}
}

func TestResolverPutsPathsUnderThePrefix(t *testing.T) {
	rv := resolver{prefix: "/chat/widget", wasm: "/web/widget.v1.wasm"}
	tests := map[string]string{
		"/":                     "/chat/widget",
		"":                      "/chat/widget",
		"/app.js":               "/chat/widget/app.js",
		"/web/app.wasm":         "/chat/widget/web/widget.v1.wasm",
		"web/icon.png":          "/chat/widget/web/icon.png",
		"/web/../../etc":        "/chat/widget/etc",
		"https://cdn.test/x.js": "https://cdn.test/x.js",
	}
	for in, want := range tests {
		if got := rv.Resolve(in); got != want {
			t.Errorf("Resolve(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAssetsAndUnknownPaths(t *testing.T) {
	h := newHandler(t, builtDist())
	if r := get(t, h, "/chat/widget/web/widget.css"); r.StatusCode != http.StatusOK {
		t.Errorf("asset = %d", r.StatusCode)
	}
	if r := get(t, h, "/chat/widget/web/missing.css"); r.StatusCode != http.StatusNotFound {
		t.Errorf("missing asset = %d", r.StatusCode)
	}
	if r := get(t, h, "/chat/widget"); r.StatusCode != http.StatusMovedPermanently {
		t.Errorf("bare prefix = %d, want a redirect to the slash form", r.StatusCode)
	}
}
