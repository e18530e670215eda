package httpx

import (
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Counter counts what each key (a client address) holds open — requests
// in progress, websockets — under a cap.
type Counter struct {
	max int
	mu  sync.Mutex
	m   map[string]int
}

// NewCounter caps each key at max; max <= 0 caps nothing.
func NewCounter(max int) *Counter { return &Counter{max: max, m: map[string]int{}} }

// Acquire counts one more for key, or reports false at the cap.
func (c *Counter) Acquire(key string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.max > 0 && c.m[key] >= c.max {
		return false
	}
	c.m[key]++
	return true
}

// Release counts one less for key.
func (c *Counter) Release(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m[key]--; c.m[key] <= 0 {
		delete(c.m, key)
	}
}

// ConnRetry is the Retry-After of a refusal at a Counter's cap: what is
// open frees no slot on a clock, so this is only a hint.
const ConnRetry = 5 * time.Second

// BodyTimeouts bound how slowly a client may send a request's body: each
// read must bring bytes within Idle, and the whole body must be in within
// Total of the handler's start (the header has the server's
// ReadHeaderTimeout before that). A client sending slower — a byte every
// few seconds, to hold a connection and a goroutine for next to nothing —
// sees its body end in an error and its connection closed. Zero is no
// bound.
type BodyTimeouts struct {
	Idle, Total time.Duration
}

// LimitRequests runs next for every request but websocket upgrades
// (whose handlers count the socket for its life) while conns holds a
// slot for the client's address (ClientKey; 429 at the cap), and bounds
// the reading of request bodies by body.
//
// The body's deadline is the connection's read deadline
// (http.ResponseController): the server's ReadTimeout would be one
// deadline for every request, websockets and long-polls included. It
// bounds the body only: once the body is in, the handler may work as long
// as it needs (a runbook call).
func LimitRequests(conns *Counter, body BodyTimeouts, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
			next.ServeHTTP(w, r)
			return
		}
		key := ClientKey(r)
		if !conns.Acquire(key) {
			WriteRateLimited(w, ConnRetry, "too many open connections from this address")
			return
		}
		defer conns.Release(key)
		if r.Body != nil && r.Body != http.NoBody && (body.Idle > 0 || body.Total > 0) {
			r.Body = newTimedBody(w, r.Body, body, time.Now())
		}
		next.ServeHTTP(w, r)
	})
}

// timedBody is a request body read under BodyTimeouts.
type timedBody struct {
	io.ReadCloser
	rc    *http.ResponseController
	idle  time.Duration
	total time.Time // zero: none
}

func newTimedBody(w http.ResponseWriter, body io.ReadCloser, t BodyTimeouts, start time.Time) *timedBody {
	b := &timedBody{ReadCloser: body, rc: http.NewResponseController(w), idle: t.Idle}
	if t.Total > 0 {
		b.total = start.Add(t.Total)
	}
	b.arm(start)
	return b
}

// arm sets the read deadline for the next read: Idle from now, no later
// than the total.
func (b *timedBody) arm(now time.Time) {
	d := b.total
	if b.idle > 0 && (d.IsZero() || now.Add(b.idle).Before(d)) {
		d = now.Add(b.idle)
	}
	// A connection that cannot take deadlines (none of net/http's) is
	// left as the server's timeouts have it.
	_ = b.rc.SetReadDeadline(d)
}

// Read reads on, each read that brings bytes moving the deadline Idle on.
// At the body's end net/http clears it as it starts reading past the body
// (to see the client leave); after an error (the deadline passed) it
// stays, so that the server's own reading of what is left of the body,
// once the handler is done, fails at once and the connection is closed.
func (b *timedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == nil && n > 0 && b.idle > 0 {
		b.arm(time.Now())
	}
	return n, err
}

// UploadRate is the slowest an upload may come in on average once
// LongBody allows it more time: 32 KiB/s, a poor mobile line.
const UploadRate = 32 << 10

// LongBody lets the body of r, read under LimitRequests, take longer in
// all: Total from now plus the time n bytes take at UploadRate, for an
// upload of up to n bytes (a 10 MiB file at 3 Mbit/s would be cut by a
// 30 s Total). Each read must still come within Idle. It does nothing
// to a body LimitRequests did not bound.
func LongBody(r *http.Request, n int64) {
	b, ok := r.Body.(*timedBody)
	if !ok || b.total.IsZero() {
		return
	}
	now := time.Now()
	b.total = b.total.Add(time.Duration(n/UploadRate+1) * time.Second)
	b.arm(now)
}
