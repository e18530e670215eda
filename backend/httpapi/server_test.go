package httpapi_test

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"halochat/backend/httpapi"
	"halochat/backend/precompressed"
	"halochat/backend/store"
	"halochat/backend/storetest"
	"halochat/backend/testenv"
	"halochat/static"
)

func newServer(t *testing.T, dsn string) (*httptest.Server, *store.Store) {
	t.Helper()
	st := storetest.Open(t, dsn)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := httptest.NewServer(httpapi.New(httpapi.Config{Logger: quiet, DB: st}))
	t.Cleanup(srv.Close)
	return srv, st
}

func getJSON(t *testing.T, url string) (int, map[string]any) {
	t.Helper()
	var body map[string]any
	r := testenv.NewClient(t, url).Do("GET", "", nil).Decode(&body)
	return r.Status, body
}

func TestHealthAndReadiness(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dsn string) {
		srv, st := newServer(t, dsn)
		if code, body := getJSON(t, srv.URL+"/healthz"); code != 200 || body["status"] != "ok" {
			t.Errorf("/healthz = %d %v", code, body)
		}
		if code, body := getJSON(t, srv.URL+"/readyz"); code != 200 || body["status"] != "ready" {
			t.Errorf("/readyz = %d %v", code, body)
		}
		// A database that went away makes the service unready, not dead.
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
		if code, body := getJSON(t, srv.URL+"/readyz"); code != http.StatusServiceUnavailable || body["status"] != "unavailable" {
			t.Errorf("/readyz with the database closed = %d %v, want 503 unavailable", code, body)
		}
		if code, _ := getJSON(t, srv.URL+"/healthz"); code != 200 {
			t.Errorf("/healthz with the database closed = %d, want 200 (the process is up)", code)
		}
	})
}

// A node still doing its start-up work (compressing the web pages' files)
// is not ready, and is once the work is done.
func TestReadinessWaitsForTheStartUpWork(t *testing.T) {
	st := storetest.Open(t, testenv.SQLiteDSN(t))
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	done, pending := make(chan struct{}), make(chan struct{})
	close(done)
	srv := httptest.NewServer(httpapi.New(httpapi.Config{Logger: quiet, DB: st, Starting: []<-chan struct{}{done, pending}}))
	t.Cleanup(srv.Close)
	if code, body := getJSON(t, srv.URL+"/readyz"); code != http.StatusServiceUnavailable || body["status"] != "starting" {
		t.Errorf("/readyz while starting = %d %v, want 503 starting", code, body)
	}
	if code, _ := getJSON(t, srv.URL+"/healthz"); code != 200 {
		t.Errorf("/healthz while starting = %d, want 200 (the process is up)", code)
	}
	close(pending)
	if code, body := getJSON(t, srv.URL+"/readyz"); code != 200 || body["status"] != "ready" {
		t.Errorf("/readyz once started = %d %v, want 200 ready", code, body)
	}
}

func TestLoaderIsServedAsJavaScript(t *testing.T) {
	srv, _ := newServer(t, testenv.SQLiteDSN(t))
	res, err := http.Get(srv.URL + "/chat/index.js")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		t.Fatalf("GET /chat/index.js = %d", res.StatusCode)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/javascript") {
		t.Errorf("Content-Type = %q, want text/javascript", ct)
	}
	if !strings.Contains(string(b), "haloChatConfig") {
		t.Error("the loader does not read haloChatConfig")
	}
	if res, err := http.Post(srv.URL+"/chat/index.js", "text/plain", nil); err != nil || res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /chat/index.js = %v %v, want 405", res.StatusCode, err)
	}
}

// TestLoaderIsPrecompressedAndShortLived: the loader's URL cannot be
// versioned (host pages name it), so it is cached for minutes and
// revalidated by its ETag; it is sent as brotli or gzip when accepted.
func TestLoaderIsPrecompressedAndShortLived(t *testing.T) {
	srv, _ := newServer(t, testenv.SQLiteDSN(t))
	get := func(accept, inm string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/chat/index.js", nil)
		req.Header.Set("Accept-Encoding", accept) // set by hand: the client does not decompress
		if inm != "" {
			req.Header.Set("If-None-Match", inm)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { res.Body.Close() })
		return res
	}
	for _, tt := range []struct{ accept, encoding string }{{"gzip, deflate, br", "br"}, {"gzip", "gzip"}, {"identity", ""}} {
		res := get(tt.accept, "")
		if res.StatusCode != http.StatusOK || res.Header.Get("Content-Encoding") != tt.encoding {
			t.Fatalf("Accept-Encoding %q: %d, Content-Encoding %q, want %q", tt.accept, res.StatusCode, res.Header.Get("Content-Encoding"), tt.encoding)
		}
		body, err := precompressed.Decoder(res.Header.Get("Content-Encoding"), res.Body)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(body)
		if err != nil || !bytes.Equal(b, static.Loader()) {
			t.Errorf("Accept-Encoding %q: the body does not decompress to static/index.js (%v)", tt.accept, err)
		}
		for k, want := range map[string]string{
			"Cache-Control": "public, max-age=300", "Vary": "Accept-Encoding",
			"Cross-Origin-Resource-Policy": "cross-origin", "X-Content-Type-Options": "nosniff",
		} {
			if got := res.Header.Get(k); got != want {
				t.Errorf("Accept-Encoding %q: %s = %q, want %q", tt.accept, k, got, want)
			}
		}
		etag := res.Header.Get("ETag")
		if again := get(tt.accept, etag); etag == "" || again.StatusCode != http.StatusNotModified {
			t.Errorf("Accept-Encoding %q: If-None-Match %q = %d, want 304", tt.accept, etag, again.StatusCode)
		}
	}
}
