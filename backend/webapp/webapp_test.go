package webapp

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"halochat/backend/precompressed"
)

// page shows hello, or its query's look (as the widget's static window
// shows the profile's title).
type page struct {
	app.Compo
	look string
}

func (p *page) OnPreRender(ctx app.Context) { p.look = ctx.Page().URL().Query().Get("look") }

func (p *page) Render() app.UI {
	if p.look != "" {
		return app.P().Class("probe").Text("look: " + p.look)
	}
	return app.P().Class("probe").Text("hello")
}

func newHandler(t *testing.T, dist fstest.MapFS, more ...func(*Options)) *Handler {
	t.Helper()
	app.Route("/", func() app.Composer { return &page{} })
	o := Options{
		Prefix: "/chat/widget", Name: "halochat", Title: "Chat",
		Dist: dist, WasmFile: "widget.wasm",
		Assets: fstest.MapFS{"widget.css": {Data: []byte("body{}")}},
		Styles: []string{"widget.css"},
		FrameAncestors: func(*http.Request) string {
			return "https://host.example"
		},
	}
	for _, f := range more {
		f(&o)
	}
	h, err := New(o)
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
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`class="probe"`),
		regexp.MustCompile(`src="/chat/widget/web/app\.[0-9a-f]{16}\.js"`),
		regexp.MustCompile(`src="/chat/widget/web/wasm_exec\.[0-9a-f]{16}\.js"`),
		regexp.MustCompile(`href="/chat/widget/web/app\.[0-9a-f]{16}\.css"`),
		regexp.MustCompile(`href="/chat/widget/web/manifest\.[0-9a-f]{16}\.webmanifest"`),
	} {
		if !want.MatchString(html) {
			t.Errorf("page lacks %s:\n%s", want, html)
		}
	}
	// One stylesheet: go-app's styles and the app's, in that order.
	if n := strings.Count(html, `rel="stylesheet"`); n != 1 {
		t.Errorf("%d stylesheets in the page, want 1:\n%s", n, html)
	}
	css := body(t, get(t, h, "/chat/widget/app.css"))
	if i, j := strings.Index(css, ".goapp-app-info"), strings.Index(css, "body{}"); i < 0 || j < i {
		t.Errorf("the page's stylesheet does not hold go-app's styles then widget.css:\n%s", css)
	}
	appJS := body(t, get(t, h, "/chat/widget/app.js"))
	if !strings.Contains(appJS, h.WasmPath()) {
		t.Errorf("app.js does not load the versioned wasm %s", h.WasmPath())
	}
}

// decoded reads a response's body and undoes its Content-Encoding.
func decoded(t *testing.T, r *http.Response) []byte {
	t.Helper()
	rd, err := precompressed.Decoder(r.Header.Get("Content-Encoding"), r.Body)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(rd)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestScriptsStylesAndManifestArePrecompressedAndVersioned follows each
// URL the page names: under its versioned URL a file is immutable, under
// its fixed one revalidated; both are brotli or gzip as the client
// accepts, decompress to the same bytes, and answer 304 to their ETag.
func TestScriptsStylesAndManifestArePrecompressedAndVersioned(t *testing.T) {
	h := newHandler(t, builtDist())
	html := body(t, get(t, h, "/chat/widget/"))
	links := regexp.MustCompile(`(?:src|href)="(/chat/widget/web/([a-z_]+)\.[0-9a-f]{16}(\.[a-z]+))"`).FindAllStringSubmatch(html, -1)
	if len(links) != 4 {
		t.Fatalf("%d versioned URLs in the page, want 4 (app.js, wasm_exec.js, app.css, manifest):\n%s", len(links), html)
	}
	for _, l := range links {
		versioned, fixed := l[1], "/chat/widget/"+l[2]+l[3]
		plain := get(t, h, fixed)
		if cc := plain.Header.Get("Cache-Control"); cc != "no-cache" {
			t.Errorf("%s: Cache-Control %q, want no-cache (its URL is fixed)", fixed, cc)
		}
		want := decoded(t, plain)
		for _, accept := range []string{"gzip, deflate, br", "gzip"} {
			r := get(t, h, versioned, "Accept-Encoding", accept)
			if r.StatusCode != http.StatusOK {
				t.Fatalf("%s: status %d", versioned, r.StatusCode)
			}
			enc := r.Header.Get("Content-Encoding")
			if wantEnc := strings.Fields(accept)[len(strings.Fields(accept))-1]; enc != wantEnc && len(want) > 100 {
				t.Errorf("%s, Accept-Encoding %q: Content-Encoding %q, want %s", versioned, accept, enc, wantEnc)
			}
			if cc := r.Header.Get("Cache-Control"); cc != "public, max-age=31536000, immutable" {
				t.Errorf("%s: Cache-Control %q", versioned, cc)
			}
			if v := r.Header.Get("Vary"); v != "Accept-Encoding" {
				t.Errorf("%s: Vary %q", versioned, v)
			}
			etag := r.Header.Get("ETag")
			if got := decoded(t, r); !bytes.Equal(got, want) {
				t.Errorf("%s (%s) does not decompress to %s", versioned, enc, fixed)
			}
			if r := get(t, h, versioned, "Accept-Encoding", accept, "If-None-Match", etag); r.StatusCode != http.StatusNotModified {
				t.Errorf("%s, If-None-Match %s: status %d, want 304", versioned, etag, r.StatusCode)
			}
		}
	}
	worker := get(t, h, "/chat/widget/app-worker.js", "Accept-Encoding", "br")
	if cc := worker.Header.Get("Cache-Control"); cc != "no-cache" || worker.Header.Get("Content-Encoding") != "br" {
		t.Errorf("app-worker.js: Cache-Control %q, Content-Encoding %q", cc, worker.Header.Get("Content-Encoding"))
	}
	if js := string(decoded(t, worker)); !strings.Contains(js, links[0][1]) {
		t.Errorf("the service worker does not cache the versioned %s:\n%s", links[0][1], js)
	}
}

// Prepared closes once the files are compressed in the background, with
// no request for them (the service's /readyz waits for it).
func TestPreparedClosesOnceTheFilesAreCompressed(t *testing.T) {
	h := newHandler(t, builtDist())
	select {
	case <-h.Prepared():
	case <-time.After(time.Minute):
		t.Fatal("the files were not compressed within a minute")
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
	etag := get(t, h, h.WasmPath(), "Accept-Encoding", "br").Header.Get("ETag")
	if r := get(t, h, h.WasmPath(), "Accept-Encoding", "br", "If-None-Match", etag); etag == "" || r.StatusCode != http.StatusNotModified {
		t.Errorf("wasm, If-None-Match %q: status %d, want 304", etag, r.StatusCode)
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

// TestPageSeesTheServersQuery: the prerendered page sees PageQuery's
// values over the request's own, and is never answered 304 on go-app's
// version-only ETag; the page loads Scripts, and Files are served.
func TestPageSeesTheServersQuery(t *testing.T) {
	h := newHandler(t, builtDist(), func(o *Options) {
		o.PageQuery = func(r *http.Request) url.Values {
			return url.Values{"look": {"from the store for " + r.URL.Query().Get("id")}}
		}
		o.Scripts = []string{"focus.js"}
		o.Assets = fstest.MapFS{"widget.css": {Data: []byte("body{}")}, "focus.js": {Data: []byte("1")}}
		o.Files = map[string]http.Handler{"made.css": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, "made "+r.URL.Query().Get("c"))
		})}
	})
	r := get(t, h, "/chat/widget/?id=7&look=from+the+page")
	html := body(t, r)
	// go-app writes a script's attributes in no fixed order.
	for _, want := range []*regexp.Regexp{regexp.MustCompile(`look: from the store for 7`),
		regexp.MustCompile(`<script (src="/chat/widget/web/focus\.6b86b273ff34fce1\.js" defer|defer src="/chat/widget/web/focus\.6b86b273ff34fce1\.js")>`)} {
		if !want.MatchString(html) {
			t.Errorf("page lacks %s:\n%s", want, html)
		}
	}
	if r.Header.Get("ETag") != "" {
		t.Errorf("a page that depends on more than its URL has ETag %q", r.Header.Get("ETag"))
	}
	plain := newHandler(t, builtDist())
	etag := get(t, plain, "/chat/widget/").Header.Get("ETag")
	if etag == "" {
		t.Fatal("go-app sets no ETag: this test no longer tests anything")
	}
	if r := get(t, h, "/chat/widget/?id=8", "If-None-Match", etag); r.StatusCode != http.StatusOK {
		t.Errorf("revalidated page: %d, want 200", r.StatusCode)
	}
	if got := body(t, get(t, h, "/chat/widget/web/made.css?c=red")); got != "made red" {
		t.Errorf("generated file: %q", got)
	}
}

// TestDirectBootPatchesGoAppsLoader: with DirectBoot, app.js hands the
// wasm's fetch straight to instantiateStreaming and still registers go-app's
// service worker, once the wasm runs; without it, app.js is go-app's own.
func TestDirectBootPatchesGoAppsLoader(t *testing.T) {
	for _, tc := range []struct {
		name       string
		direct     bool
		want, lack []string
	}{
		{"go-app's own", false,
			[]string{`fetchWithProgress("/chat/widget/web/widget.`, "\ngoappInitServiceWorker();\n"},
			[]string{"goappInstantiate"}},
		{"direct", true,
			[]string{`goappInstantiate("/chat/widget/web/widget.`, "function goappInstantiate(url",
				"loader.remove();\n    goappInitServiceWorker(); // after the wasm", "function goappTryUpdate()", "function goappGetenv(k)"},
			[]string{`fetchWithProgress("`, "\ngoappInitServiceWorker();\n"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHandler(t, builtDist(), func(o *Options) { o.DirectBoot = tc.direct })
			js := body(t, get(t, h, "/chat/widget/app.js"))
			for _, w := range tc.want {
				if !strings.Contains(js, w) {
					t.Errorf("app.js lacks %q", w)
				}
			}
			for _, l := range tc.lack {
				if strings.Contains(js, l) {
					t.Errorf("app.js holds %q", l)
				}
			}
			if tc.direct && !strings.Contains(js, `goappInstantiate("`+h.WasmPath()+`", go.importObject`) {
				t.Errorf("app.js does not fetch the versioned wasm %s", h.WasmPath())
			}
		})
	}
}

func TestDirectBootRefusesAnotherLoader(t *testing.T) {
	for _, tc := range []struct{ name, js string }{
		{"no wasm fetch", "goappInitServiceWorker();\nasync function goappInitServiceWorker() {\n"},
		{"no worker call", "fetchWithProgress(\"/w.wasm\", showProgress)\nasync function goappInitServiceWorker() {\n"},
		{"two wasm fetches", "fetchWithProgress(\"/a.wasm\", showProgress)\nfetchWithProgress(\"/b.wasm\", showProgress)\n" +
			"goappInitServiceWorker();\nasync function goappInitServiceWorker() {\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := directBoot([]byte(tc.js)); err == nil || !strings.Contains(err.Error(), "go-app's app.js") {
				t.Errorf("directBoot = %v, want an error naming go-app's app.js", err)
			}
		})
	}
}

func TestPreloadWasmStartsTheDownloadFromTheHead(t *testing.T) {
	for _, tc := range []struct {
		name    string
		dist    fstest.MapFS
		preload bool
		want    bool
	}{
		{"preloaded", builtDist(), true, true},
		{"not asked", builtDist(), false, false},
		{"not built", fstest.MapFS{".keep": {}}, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHandler(t, tc.dist, func(o *Options) { o.PreloadWasm = tc.preload })
			page := body(t, get(t, h, "/chat/widget/"))
			link := `<link rel="preload" href="` + h.WasmPath() + `" as="fetch" crossorigin fetchpriority="low">`
			head, _, _ := strings.Cut(page, "</head>")
			if got := strings.Contains(head, link); got != tc.want {
				t.Errorf("head holds %s: %v, want %v\n%s", link, got, tc.want, head)
			}
			// go-app's app.js fetches the very URL that is preloaded.
			if tc.want && !strings.Contains(body(t, get(t, h, "/chat/widget/app.js")), `"`+h.WasmPath()+`"`) {
				t.Errorf("app.js does not fetch %s", h.WasmPath())
			}
		})
	}
}
