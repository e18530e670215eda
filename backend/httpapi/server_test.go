package httpapi_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"halochat/backend/httpapi"
	"halochat/backend/store"
	"halochat/backend/storetest"
	"halochat/backend/testenv"
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
