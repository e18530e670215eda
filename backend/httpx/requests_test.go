package httpx

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"halochat/backend/testenv"
)

// limitedServer serves LimitRequests(conns, body, h) on loopback.
func limitedServer(t *testing.T, conns *Counter, body BodyTimeouts, h http.HandlerFunc) (addr string) {
	t.Helper()
	srv := httptest.NewServer(LimitRequests(conns, body, h))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// readAll answers 200 once the body is in, 400 when it could not be read.
func readAll(w http.ResponseWriter, r *http.Request) {
	if _, err := io.ReadAll(r.Body); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// A real slow client on loopback: a body that stalls is cut after Idle, a
// body that trickles (a byte every 200 ms, each within Idle) after Total.
func TestLimitRequestsCutsSlowBodies(t *testing.T) {
	body := BodyTimeouts{Idle: 500 * time.Millisecond, Total: 1500 * time.Millisecond}
	addr := limitedServer(t, NewCounter(0), body, readAll)
	for _, tc := range []struct {
		name     string
		every    time.Duration
		min, max time.Duration // when the server ends it
	}{
		{"stalls after the header", 0, 400 * time.Millisecond, 1400 * time.Millisecond},
		{"trickles a byte every 200 ms", 200 * time.Millisecond, 1400 * time.Millisecond, 3 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := testenv.SlowRequest{Method: "POST", Path: "/", Length: 1000, Every: tc.every, GiveUp: 6 * time.Second}.Send(t, addr)
			if !res.Ended || res.Took < tc.min || res.Took > tc.max {
				t.Errorf("ended %v after %v (%q), want the server to end it after %v to %v", res.Ended, res.Took, res.Status, tc.min, tc.max)
			}
		})
	}
}

// The deadline bounds the body only: a handler may go on working (a
// runbook call) long past it, its request's context alive, and a
// keep-alive connection serves its next request.
func TestLimitRequestsLetsHandlersWorkAfterTheBody(t *testing.T) {
	body := BodyTimeouts{Idle: 200 * time.Millisecond, Total: 400 * time.Millisecond}
	srv := httptest.NewServer(LimitRequests(NewCounter(0), body, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		select {
		case <-time.After(800 * time.Millisecond):
			w.WriteHeader(http.StatusOK)
		case <-r.Context().Done():
			t.Errorf("the request's context ended while its handler worked: %v", context.Cause(r.Context()))
		}
	})))
	defer srv.Close()
	for i := range 2 { // the second on the same connection, after the first's deadline
		res, err := srv.Client().Post(srv.URL, "application/json", strings.NewReader(`{"a":1}`))
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("request %d: %d", i, res.StatusCode)
		}
	}
}

// Requests in progress count against the address's cap, slow ones while
// they last; websocket upgrades are left to their handler's count.
func TestLimitRequestsCountsRequestsInProgress(t *testing.T) {
	conns := NewCounter(2)
	body := BodyTimeouts{Idle: time.Second, Total: 1500 * time.Millisecond}
	addr := limitedServer(t, conns, body, readAll)
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			testenv.SlowRequest{Method: "POST", Path: "/", Length: 1000, Every: 200 * time.Millisecond, GiveUp: 6 * time.Second}.Send(t, addr)
		})
	}
	for deadline := time.Now().Add(time.Second); conns.held("127.0.0.1") < 2; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the slow requests were not counted")
		}
	}
	get := func(header ...string) *http.Response {
		req, _ := http.NewRequest("GET", "http://"+addr+"/", nil)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	if res := get(); res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
		t.Errorf("a third request beside two slow ones: %d Retry-After %q, want 429 with Retry-After", res.StatusCode, res.Header.Get("Retry-After"))
	}
	if res := get("Connection", "Upgrade", "Upgrade", "websocket"); res.StatusCode != http.StatusOK {
		t.Errorf("a websocket upgrade (counted by its handler): %d", res.StatusCode)
	}
	wg.Wait() // the slow ones were cut
	if res := get(); res.StatusCode != http.StatusOK {
		t.Errorf("once the slow requests were cut: %d", res.StatusCode)
	}
	if n := conns.held("127.0.0.1"); n != 0 {
		t.Errorf("%d requests still counted after all ended", n)
	}
}

// held is how many key holds now.
func (c *Counter) held(key string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[key]
}

// An upload's body may take longer in all once its handler calls
// LongBody: a trickle (a byte every 120 ms, each within Idle) is cut at
// Total without it, and with it goes on until it stalls (SlowRequest
// never sends its last byte) and Idle cuts it.
func TestLongBodyLetsAnUploadTrickleOn(t *testing.T) {
	body := BodyTimeouts{Idle: 500 * time.Millisecond, Total: 600 * time.Millisecond}
	for _, tc := range []struct {
		name     string
		long     bool
		min, max time.Duration // when the server ends it
	}{
		{"bounded", false, 500 * time.Millisecond, 1000 * time.Millisecond},
		{"long", true, 1400 * time.Millisecond, 3 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := limitedServer(t, NewCounter(0), body, func(w http.ResponseWriter, r *http.Request) {
				if tc.long {
					LongBody(r, 2*UploadRate) // three seconds more
				}
				readAll(w, r)
			})
			res := testenv.SlowRequest{Method: "POST", Path: "/", Length: 10, Every: 120 * time.Millisecond, GiveUp: 6 * time.Second}.Send(t, addr)
			if !res.Ended || res.Took < tc.min || res.Took > tc.max {
				t.Errorf("ended %v after %v (%q), want the server to end it after %v to %v", res.Ended, res.Took, res.Status, tc.min, tc.max)
			}
		})
	}
}
