package precompressed

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/andybalholm/brotli"
)

var script = []byte(strings.Repeat("window.addEventListener('message', function (e) { console.log(e.data); });\n", 40))

func serve(t *testing.T, f *File, method string, header ...string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, "/x.js", nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	f.ServeHTTP(rec, req)
	return rec.Result()
}

func decode(t *testing.T, encoding string, b []byte) []byte {
	t.Helper()
	r, err := Decoder(encoding, bytes.NewReader(b))
	if err != nil {
		t.Fatalf("decode %s: %v", encoding, err)
	}
	plain, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("decode %s: %v", encoding, err)
	}
	return plain
}

func TestServesTheEncodingTheClientAccepts(t *testing.T) {
	f := New(script, Options{ContentType: "text/javascript; charset=utf-8", CacheControl: "public, max-age=300"})
	tests := []struct{ accept, encoding string }{
		{"gzip, deflate, br, zstd", "br"},
		{"gzip", "gzip"},
		{"br;q=0, gzip", "gzip"},
		{"br;q=0.5, gzip;q=1", "gzip"},
		{"*", "br"},
		{"identity", ""},
		{"", ""},
		{"gzip;q=0, br;q=0", ""},
	}
	for _, tt := range tests {
		r := serve(t, f, http.MethodGet, "Accept-Encoding", tt.accept)
		if r.StatusCode != http.StatusOK {
			t.Fatalf("Accept-Encoding %q: status %d", tt.accept, r.StatusCode)
		}
		if got := r.Header.Get("Content-Encoding"); got != tt.encoding {
			t.Errorf("Accept-Encoding %q: Content-Encoding %q, want %q", tt.accept, got, tt.encoding)
		}
		b, _ := io.ReadAll(r.Body)
		if tt.encoding != "" && len(b) >= len(script)/4 {
			t.Errorf("Accept-Encoding %q: %d bytes of %d: not compressed", tt.accept, len(b), len(script))
		}
		if got := decode(t, tt.encoding, b); !bytes.Equal(got, script) {
			t.Errorf("Accept-Encoding %q: the body does not decompress to the file", tt.accept)
		}
		for k, want := range map[string]string{
			"Vary": "Accept-Encoding", "Cache-Control": "public, max-age=300",
			"Content-Type": "text/javascript; charset=utf-8",
		} {
			if got := r.Header.Get(k); got != want {
				t.Errorf("Accept-Encoding %q: %s %q, want %q", tt.accept, k, got, want)
			}
		}
		if r.Header.Get("ETag") == "" {
			t.Errorf("Accept-Encoding %q: no ETag", tt.accept)
		}
	}
}

func TestETagsDifferByEncodingAndAnyOfThemRevalidates(t *testing.T) {
	f := New(script, Options{ContentType: "text/javascript"})
	tags := map[string]string{}
	for _, accept := range []string{"br", "gzip", ""} {
		tags[accept] = serve(t, f, http.MethodGet, "Accept-Encoding", accept).Header.Get("ETag")
	}
	if tags["br"] == tags["gzip"] || tags["br"] == tags[""] || tags["gzip"] == tags[""] {
		t.Errorf("representations share an ETag: %v", tags)
	}
	for accept, tag := range tags {
		for _, inm := range []string{tag, "W/" + tag, `"other", ` + tag, "*"} {
			r := serve(t, f, http.MethodGet, "Accept-Encoding", "br, gzip", "If-None-Match", inm)
			if r.StatusCode != http.StatusNotModified {
				t.Errorf("If-None-Match %s (from %q): status %d, want 304", inm, accept, r.StatusCode)
			}
			if b, _ := io.ReadAll(r.Body); len(b) != 0 {
				t.Errorf("304 with a body of %d bytes", len(b))
			}
		}
	}
	changed := New(append(slices.Clone(script), '\n'), Options{ContentType: "text/javascript"})
	r := serve(t, changed, http.MethodGet, "Accept-Encoding", "br", "If-None-Match", tags["br"])
	if r.StatusCode != http.StatusOK {
		t.Errorf("changed file, old ETag: status %d, want 200", r.StatusCode)
	}
	if f.Hash() == changed.Hash() {
		t.Error("changed file, same hash: a versioned URL would not change")
	}
}

func TestHeadSendsNoBody(t *testing.T) {
	f := New(script, Options{ContentType: "text/javascript"})
	r := serve(t, f, http.MethodHead, "Accept-Encoding", "gzip")
	b, _ := io.ReadAll(r.Body)
	if r.StatusCode != http.StatusOK || len(b) != 0 || r.Header.Get("Content-Length") == "" {
		t.Errorf("HEAD: status %d, %d body bytes, Content-Length %q", r.StatusCode, len(b), r.Header.Get("Content-Length"))
	}
}

func TestBuildCopiesAreUsedOnlyWhenTheyMatch(t *testing.T) {
	var br, gz bytes.Buffer
	bw := brotli.NewWriterLevel(&br, 1) // distinguishable from the process's own level 11
	_, _ = bw.Write(script)
	_ = bw.Close()
	gw, _ := gzip.NewWriterLevel(&gz, 1)
	_, _ = gw.Write(script)
	_ = gw.Close()
	built := fstest.MapFS{"x.js.br": {Data: br.Bytes()}, "x.js.gz": {Data: gz.Bytes()}}

	f := New(script, Options{ContentType: "text/javascript", Built: built, BuiltName: "x.js"})
	for enc, want := range map[string][]byte{"br": br.Bytes(), "gzip": gz.Bytes()} {
		if got, _, err := f.Encoded(enc); err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: the build's copy was not used (err %v)", enc, err)
		}
	}

	stale := New(append([]byte("// a newer loader\n"), script...), Options{ContentType: "text/javascript", Built: built, BuiltName: "x.js"})
	for _, enc := range []string{"br", "gzip"} {
		got, _, err := stale.Encoded(enc)
		if err != nil {
			t.Fatalf("%s: %v", enc, err)
		}
		if !bytes.Equal(decode(t, enc, got), stale.Raw()) {
			t.Errorf("%s: a stale build copy was served", enc)
		}
	}
}

func TestIncompressibleFileIsSentAsItIs(t *testing.T) {
	f := New([]byte("x"), Options{ContentType: "text/plain"})
	r := serve(t, f, http.MethodGet, "Accept-Encoding", "br, gzip")
	if enc := r.Header.Get("Content-Encoding"); enc != "" {
		t.Errorf("one byte sent as %s", enc)
	}
	if b, _ := io.ReadAll(r.Body); string(b) != "x" {
		t.Errorf("body %q", b)
	}
}

func FuzzPreferred(f *testing.F) {
	for _, s := range []string{"gzip, deflate, br", "br;q=0", "*;q=0.5, gzip;q=1", "br;q=x", ";;,,q=", "GZIP;Q=0.1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		got := Preferred(header, "br", "gzip")
		if len(got) > 2 {
			t.Fatalf("Preferred(%q) = %v: more codings than offered", header, got)
		}
		for _, c := range got {
			if c != "br" && c != "gzip" {
				t.Fatalf("Preferred(%q) = %v: a coding not offered", header, got)
			}
		}
	})
}

func FuzzMatchesAny(f *testing.F) {
	for _, s := range []string{`"abc"`, `W/"abc-br", "x"`, "*", `"`, `""`, `W/`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		if MatchesAny(header, "abc") && !strings.Contains(header, "abc") && !strings.Contains(header, "*") {
			t.Fatalf("MatchesAny(%q) without the hash or *", header)
		}
	})
}

// TestPrepareCompressesBeforeAnyRequest: Prepare makes both copies, so a
// first request finds them made.
func TestPrepareCompressesBeforeAnyRequest(t *testing.T) {
	f := New(bytes.Repeat([]byte("go-app's app.js "), 200), Options{ContentType: "text/javascript"})
	if f.br != nil || f.gz != nil {
		t.Fatal("copies made before Prepare")
	}
	f.Prepare()
	if f.br == nil || f.gz == nil {
		t.Fatalf("after Prepare: br %d B, gzip %d B", len(f.br), len(f.gz))
	}
}

// TestCacheCompressesTheSameBytesOnce: Files of the same bytes made with
// one Cache share their copies (the second made none); other bytes and
// Files without the Cache get their own.
func TestCacheCompressesTheSameBytesOnce(t *testing.T) {
	cache := NewCache()
	first := New(script, Options{ContentType: "text/javascript", Cache: cache})
	first.Prepare()
	again := New(bytes.Clone(script), Options{ContentType: "text/javascript", Cache: cache})
	again.Prepare()
	other := New(append(bytes.Clone(script), ';'), Options{ContentType: "text/javascript", Cache: cache})
	other.Prepare()
	alone := New(script, Options{ContentType: "text/javascript"})
	alone.Prepare()
	for _, f := range []*File{first, again, other, alone} {
		if f.br == nil || f.gz == nil {
			t.Fatalf("a file lacks a copy: br %d B, gzip %d B", len(f.br), len(f.gz))
		}
	}
	same := func(a, b []byte) bool { return &a[0] == &b[0] }
	if !same(first.br, again.br) || !same(first.gz, again.gz) {
		t.Error("the same bytes were compressed twice with one cache")
	}
	if same(first.br, other.br) || same(first.br, alone.br) {
		t.Error("other bytes, or a file without the cache, got the cached copies")
	}
	if !bytes.Equal(first.br, alone.br) {
		t.Error("the cached brotli copy differs from one made alone")
	}
}

// The brotli window holds the whole file (2^w - 16 bytes), within
// brotli's bounds.
func TestWindowHoldsTheFile(t *testing.T) {
	for _, tc := range []struct{ n, want int }{
		{0, 10}, {1000, 10}, {1008, 10}, {1009, 11}, {17000, 15}, {4 << 20, 23}, {16<<20 - 16, 24}, {100 << 20, 24},
	} {
		w := window(tc.n)
		if w != tc.want {
			t.Errorf("window(%d) = %d, want %d", tc.n, w, tc.want)
		}
		if tc.n <= 16<<20-16 && 1<<w-16 < tc.n {
			t.Errorf("window(%d) = %d holds %d bytes, fewer than the file", tc.n, w, 1<<w-16)
		}
	}
}
