// Package loopback runs the whole chat service — the very handler
// `halochat serve` runs, from backend/service — on a free 127.0.0.1 port
// for a test, over a store with the demo seeded, until the test ends.
package loopback

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"halochat/backend/demo"
	"halochat/backend/mail"
	"halochat/backend/precompressed"
	"halochat/backend/service"
	"halochat/backend/store"
	"halochat/backend/storetest"
	"halochat/backend/testenv"
	"halochat/backend/webhook"
)

// Options configure Start. The zero value serves a fresh SQLite database
// with the demo, under the default limits, quietly.
type Options struct {
	// DSN is the database's (the PostgreSQL broker listens with it); ""
	// is a SQLite file in a temporary folder.
	DSN string
	// Store, when set, is the store at DSN to serve as it is: nodes of
	// one cluster share it. Otherwise Start opens DSN and seeds the demo.
	Store *store.Store
	// Limits are the service's abuse limits (service.Unlimited lifts
	// them).
	Limits service.Limits
	// OutboundAllow lists the internal addresses runbooks and webhook
	// deliveries may reach (service.Options.OutboundAllow).
	OutboundAllow []string
	// Webhooks tunes the webhook dispatcher (service.Options.Webhooks).
	Webhooks webhook.Config
	// TrustedProxies are the proxies whose X-Forwarded-For is believed.
	TrustedProxies []string
	// HSTS is service.Options.HSTS (serve --production's).
	HSTS bool
	// Logger defaults to testenv.Logger.
	Logger *slog.Logger
	// FilesDir is service.Options.FilesDir (serve --files).
	FilesDir string
	// Wrap, when set, wraps the service's handler: a test that records
	// which requests reach the service, or holds some back.
	Wrap func(http.Handler) http.Handler
	// Mail is service.Options.Mail (serve --smtp): nil sends no mail.
	Mail *mail.DispatchConfig
}

// Service is the service running on loopback. The embedded parts are
// those of the instance started last (Restart starts a new one).
type Service struct {
	*service.Service
	// URL is where it serves, http://127.0.0.1:port (its public URL).
	URL   string
	DSN   string
	Store *store.Store
	// Demo is what was seeded; nil when Options.Store was given.
	Demo *demo.Result

	t    testing.TB
	o    Options
	addr string

	mu     sync.Mutex
	hs     *http.Server
	cancel context.CancelFunc
}

// compressed is shared by every service a test process starts: brotli
// -q 11 of the same go-app files for each was a fifth of a test's CPU
// under the race detector. A memo of pure results, keyed by content.
var compressed = precompressed.NewCache()

// Start starts the service on a free loopback port; it stops when the
// test ends.
func Start(t testing.TB, o Options) *Service {
	t.Helper()
	if o.DSN == "" {
		o.DSN = testenv.SQLiteDSN(t)
	}
	if o.Logger == nil {
		o.Logger = testenv.Logger()
	}
	s := &Service{DSN: o.DSN, Store: o.Store, t: t, o: o}
	if s.Store == nil {
		s.Store, s.Demo = storetest.Demo(t, o.DSN)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen on loopback: %v", err)
	}
	s.addr = ln.Addr().String()
	s.URL = "http://" + s.addr
	if err := s.serve(ln); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Kill)
	return s
}

// serve assembles a new instance of the service and serves it on ln.
func (s *Service) serve(ln net.Listener) error {
	ctx, cancel := context.WithCancel(context.Background())
	svc, err := service.New(ctx, service.Options{Store: s.Store, DSN: s.DSN, PublicURL: s.URL, Logger: s.o.Logger,
		Limits: s.o.Limits, OutboundAllow: s.o.OutboundAllow, TrustedProxies: s.o.TrustedProxies, HSTS: s.o.HSTS,
		FilesDir: s.o.FilesDir, Webhooks: s.o.Webhooks, Mail: s.o.Mail, Compressed: compressed})
	if err != nil {
		cancel()
		_ = ln.Close()
		return err
	}
	// A PostgreSQL broker misses what is published before it listens:
	// the service is up once it does.
	if b, ok := svc.Broker.(interface{ Listening() <-chan struct{} }); ok {
		select {
		case <-b.Listening():
		case <-time.After(30 * time.Second):
			cancel()
			_ = ln.Close()
			return fmt.Errorf("the service on %s: its broker did not listen within 30 s", s.URL)
		}
	}
	// As `halochat serve` has it.
	h := svc.Handler
	if s.o.Wrap != nil {
		h = s.o.Wrap(h)
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	s.mu.Lock()
	s.Service, s.hs, s.cancel = svc, hs, cancel
	s.mu.Unlock()
	return nil
}

// Kill stops the service at once, as a crash would: every connection is
// cut (websockets too) and its background work ends.
func (s *Service) Kill() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hs == nil {
		return
	}
	_ = s.hs.Close()
	s.cancel() // closes the websockets, which Close does not (they are hijacked)
	s.hs = nil
}

// Restart starts the service again, on the same port, after a Kill. It
// reports a failure with Errorf: a node that does not come back is a
// finding of the test, which goes on.
func (s *Service) Restart() {
	var ln net.Listener
	var err error
	for range 50 { // the killed instance's port may take a moment to free
		if ln, err = net.Listen("tcp", s.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err == nil {
		err = s.serve(ln)
	}
	if err != nil {
		s.t.Errorf("restart the service on %s: %v", s.addr, err)
	}
}

// Client is a client of the service sending the header pairs (name,
// value) with every request.
func (s *Service) Client(header ...string) *testenv.Client {
	return testenv.NewClient(s.t, s.URL, header...)
}

// SameOrigin is a client calling as the service's own pages do (the
// widget, the portal page): from the service's origin, with JSON.
func (s *Service) SameOrigin() *testenv.Client {
	return s.Client("Origin", s.URL, "Content-Type", "application/json")
}

// WS is the websocket URL of path.
func (s *Service) WS(path string) string { return "ws" + strings.TrimPrefix(s.URL, "http") + path }

// Serve serves h (a receiver, a host page: the edge a test plays) on a
// free 127.0.0.1 port until the test ends, and returns its host:port.
func Serve(t testing.TB, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen on loopback: %v", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().String()
}
