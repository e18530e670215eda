package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"halochat/backend/demo"
	"halochat/backend/gctune"
	"halochat/backend/mail"
	"halochat/backend/service"
	"halochat/backend/store"
)

type serveOptions struct {
	Addr       string
	DSN        *string
	PublicURL  string
	DemoHost   string
	Limits     string
	Production bool
	Pprof      string // loopback address for net/http/pprof; "" = off
	// MetricsAddr serves /metrics on an address of its own to whoever
	// reaches it (--metrics-addr); "" = only the main address's guarded
	// /metrics.
	MetricsAddr string
	// SQLiteSync is store.Options.SQLiteSync (--sqlite-sync).
	SQLiteSync string
	Pool       int // PostgreSQL connections; 0 = the store's default
	// AppendBatches is store.Options.AppendBatches: 0 the default, -1
	// unbatched.
	AppendBatches int
	// StartBatches is store.Options.StartBatches: 0 the default, -1
	// unbatched.
	StartBatches int
	// OutboundAllow lists, separated by commas or spaces, the IP
	// addresses, CIDR prefixes or IP:port entries runbooks and webhook
	// deliveries may reach although internal (--outbound-allow,
	// HALOCHAT_OUTBOUND_ALLOW, or its older name HALOCHAT_RUNBOOK_ALLOW).
	OutboundAllow string
	// TrustedProxies lists, the same way, the reverse proxies whose
	// X-Forwarded-For is believed (--trusted-proxies).
	TrustedProxies string
	// FilesDir keeps attachments in a directory (--files); "" keeps
	// them in the database.
	FilesDir string
	// Keys name the key that seals the stored secrets.
	Keys keyOptions
	// IdleGOGC is the collector's target from IdleGOGCSockets open
	// sockets on (--idle-gogc, 0: GOGC alone; backend/gctune).
	IdleGOGC, IdleGOGCSockets int
	// GCMinHeapMiB is the heap that may grow before a collection below
	// IdleGOGCSockets (--gc-min-heap, 0: none; backend/gctune).
	GCMinHeapMiB int
	// SMTP is the SMTP server's URL (--smtp, HALOCHAT_SMTP), and
	// SMTPFrom the sender of the service's mail (--smtp-from,
	// HALOCHAT_SMTP_FROM; default the URL's user name when it is an
	// address). "" sends no mail.
	SMTP, SMTPFrom string
}

func openStore(ctx context.Context, logger *slog.Logger, dsn string, o store.Options) (*store.Store, error) {
	st, err := store.OpenWithOptions(ctx, dsn, o)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, fmt.Errorf("migrate database: %w", err)
	}
	logger.Info("database ready", "dialect", st.Dialect())
	return st, nil
}

// openSealed is openStore with the key ring, the secrets still in clear
// sealed (sealOnStart).
func openSealed(ctx context.Context, logger *slog.Logger, dsn string, keys keyOptions, o store.Options) (*store.Store, error) {
	ring, err := keys.ring()
	if err != nil {
		return nil, err
	}
	o.Secrets = ring
	st, err := openStore(ctx, logger, dsn, o)
	if err != nil {
		return nil, err
	}
	if err := sealOnStart(ctx, logger, st, ring); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}

func migrate(ctx context.Context, logger *slog.Logger, dsn string, keys keyOptions) error {
	st, err := openSealed(ctx, logger, dsn, keys, store.Options{})
	if err != nil {
		return err
	}
	return st.Close()
}

// serve runs the service until ctx ends, with the demo host page and
// pprof beside it when asked. Options are checked before anything opens;
// a step that fails closes what the steps before it opened.
func serve(ctx context.Context, logger *slog.Logger, opts serveOptions) error {
	limits, err := opts.check(logger)
	if err != nil {
		return err
	}
	st, err := openSealed(ctx, logger, *opts.DSN, opts.Keys, store.Options{MaxOpenConns: opts.Pool, AppendBatches: opts.AppendBatches,
		StartBatches: opts.StartBatches, SQLiteSync: opts.SQLiteSync})
	if err != nil {
		return err
	}
	defer st.Close()
	ln, demoLn, err := opts.listen()
	if err != nil {
		return err
	}
	publicURL := strings.TrimRight(opts.PublicURL, "/")
	if publicURL == "" {
		publicURL = "http://" + ln.Addr().String()
	}
	svc, err := startService(ctx, logger, st, opts, publicURL, limits, demoLn)
	if err != nil {
		closeListeners(ln, demoLn)
		return err
	}
	go gctune.Run(ctx, logger, svc.Realtime.Sockets, gctune.Options{IdleGOGC: opts.IdleGOGC, Threshold: opts.IdleGOGCSockets,
		MinHeap: uint64(opts.GCMinHeapMiB) << 20, Every: time.Second})
	var all servers
	all.add(&http.Server{Handler: svc.Handler, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second}, ln)
	if demoLn != nil {
		if err := all.addDemoHost(ctx, logger, st, demoLn, publicURL); err != nil {
			closeListeners(ln, demoLn)
			return err
		}
	}
	if opts.MetricsAddr != "" {
		if err := all.addMetrics(logger, opts.MetricsAddr, svc.Metrics.Handler()); err != nil {
			closeListeners(all.listeners...)
			return err
		}
	}
	if opts.Pprof != "" {
		if err := all.addPprof(logger, opts.Pprof); err != nil {
			closeListeners(all.listeners...)
			return err
		}
	}
	return all.run(ctx, logger)
}

// check refuses options out of range and returns the abuse limits they
// name.
func (o serveOptions) check(logger *slog.Logger) (service.Limits, error) {
	if o.Pool < 0 {
		return service.Limits{}, fmt.Errorf("--db-pool must be 0 (the default) or more, not %d", o.Pool)
	}
	if o.GCMinHeapMiB < 0 {
		return service.Limits{}, fmt.Errorf("--gc-min-heap must be 0 (no floor) or more MiB, not %d", o.GCMinHeapMiB)
	}
	if _, err := store.ParseSQLiteSync(o.SQLiteSync); err != nil {
		return service.Limits{}, fmt.Errorf("--sqlite-sync: %w", err)
	}
	if o.Production {
		switch ring, err := o.Keys.ring(); {
		case err != nil:
			return service.Limits{}, err
		case ring == nil:
			return service.Limits{}, fmt.Errorf("refusing to start in production mode without a secret key: " +
				"set HALOCHAT_SECRET_KEY or --secret-key-file (make one with `halochat new-key`); it seals the stored identity, runbook and webhook secrets")
		}
	}
	if o.AppendBatches < -1 {
		return service.Limits{}, fmt.Errorf("--append-batches must be -1 (unbatched), 0 (the default) or more, not %d", o.AppendBatches)
	}
	if o.StartBatches < -1 {
		return service.Limits{}, fmt.Errorf("--start-batches must be -1 (unbatched), 0 (the default) or more, not %d", o.StartBatches)
	}
	switch o.Limits {
	case "", "default":
		return service.Limits{}, nil
	case "benchmark":
		logger.Warn("abuse limits lifted (--limits benchmark): for load tests on loopback only")
		return service.Unlimited(), nil
	}
	return service.Limits{}, fmt.Errorf(`--limits must be "default" or "benchmark", not %q`, o.Limits)
}

// listen opens the service's listener and, with --demo-host, the demo
// host page's (before the service is built: runbooks may reach the demo
// host's address, which is known once it listens).
func (o serveOptions) listen() (ln, demoLn net.Listener, err error) {
	if ln, err = net.Listen("tcp", o.Addr); err != nil {
		return nil, nil, fmt.Errorf("listen on %s: %w", o.Addr, err)
	}
	if o.DemoHost == "" {
		return ln, nil, nil
	}
	if demoLn, err = net.Listen("tcp", o.DemoHost); err != nil {
		ln.Close()
		return nil, nil, fmt.Errorf("listen for the demo host page on %s: %w", o.DemoHost, err)
	}
	return ln, demoLn, nil
}

// closeListeners closes the listeners of servers that never ran.
func closeListeners(lns ...net.Listener) {
	for _, l := range lns {
		if l != nil {
			l.Close()
		}
	}
}

// startService refuses what production must not run (with --production)
// and builds the service, whose runbooks and webhooks may also reach the
// addresses of the outbound allow-list and the demo host's own address and port
// (demoLn, nil without --demo-host).
func startService(ctx context.Context, logger *slog.Logger, st *store.Store, opts serveOptions, publicURL string,
	limits service.Limits, demoLn net.Listener) (*service.Service, error) {
	if opts.Production {
		if err := productionCheck(ctx, st, publicURL, opts.Limits); err != nil {
			return nil, err
		}
	}
	allow := splitList(opts.OutboundAllow)
	if demoLn != nil {
		allow = append(allow, demoLn.Addr().String())
	}
	mailCfg, err := mailConfig(opts.SMTP, opts.SMTPFrom)
	if err != nil {
		return nil, err
	}
	svc, err := service.New(ctx, service.Options{Store: st, DSN: *opts.DSN, PublicURL: publicURL, Logger: logger,
		OutboundAllow: allow, HSTS: opts.Production, TrustedProxies: splitList(opts.TrustedProxies), Limits: limits,
		FilesDir: opts.FilesDir, Mail: mailCfg})
	if err != nil {
		return nil, err
	}
	if !svc.Widget.Built() {
		logger.Warn("widget wasm not built: /chat/widget/ answers 503 until `make build` runs")
	}
	logger.Info("serving", "url", publicURL, "widget_version", svc.Widget.Version())
	return svc, nil
}

// mailConfig is how the service sends mail (--smtp, --smtp-from); nil
// when smtpURL is "" (no e-mail features).
func mailConfig(smtpURL, from string) (*mail.DispatchConfig, error) {
	if smtpURL == "" {
		if from != "" {
			return nil, errors.New("--smtp-from without --smtp: name the SMTP server (smtp://user:password@host:port)")
		}
		return nil, nil
	}
	srv, err := mail.ParseURL(smtpURL)
	if err != nil {
		return nil, fmt.Errorf("--smtp: %w", err)
	}
	if from == "" && strings.Contains(srv.User, "@") {
		from = srv.User
	}
	sender, err := mail.ParseFrom(from)
	if err != nil {
		return nil, fmt.Errorf("--smtp-from: %w", err)
	}
	return &mail.DispatchConfig{Sender: mail.Sender{Server: srv}, From: sender}, nil
}

// servers are the HTTP servers serve runs, each with its listener.
type servers struct {
	list      []*http.Server
	listeners []net.Listener
}

func (s *servers) add(srv *http.Server, ln net.Listener) {
	s.list = append(s.list, srv)
	s.listeners = append(s.listeners, ln)
}

// addDemoHost adds the demo host page (and the demo runbook beside it) on
// dl, shown as localhost so that the browser sees it as another site
// than the service's 127.0.0.1.
func (s *servers) addDemoHost(ctx context.Context, logger *slog.Logger, st *store.Store, dl net.Listener, publicURL string) error {
	page, err := demo.HostPageHandler(ctx, st, publicURL)
	if err != nil {
		return err
	}
	hostHandler, err := demoHostHandler(ctx, st, page, dl.Addr())
	if err != nil {
		return err
	}
	s.add(&http.Server{Handler: hostHandler, ReadHeaderTimeout: 10 * time.Second}, dl)
	_, port, _ := net.SplitHostPort(dl.Addr().String())
	logger.Info("serving the demo host page", "url", "http://localhost:"+port+"/")
	return nil
}

// addMetrics serves GET /metrics (and nothing else) on addr.
func (s *servers) addMetrics(logger *slog.Logger, addr string, h http.Handler) error {
	ml, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen for metrics on %s (--metrics-addr): %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", h)
	s.add(&http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}, ml)
	logger.Info("serving metrics", "url", "http://"+ml.Addr().String()+"/metrics")
	return nil
}

// addPprof adds net/http/pprof on addr (a loopback address).
func (s *servers) addPprof(logger *slog.Logger, addr string) error {
	pl, err := pprofListener(addr)
	if err != nil {
		return err
	}
	s.add(&http.Server{Handler: pprofHandler(), ReadHeaderTimeout: 10 * time.Second}, pl)
	logger.Info("serving pprof", "url", "http://"+pl.Addr().String()+"/debug/pprof/")
	return nil
}

// run serves until ctx ends or a server fails, then shuts every server
// down, giving requests in flight 10 seconds.
func (s *servers) run(ctx context.Context, logger *slog.Logger) error {
	errc := make(chan error, len(s.list))
	for i, srv := range s.list {
		go func() {
			if err := srv.Serve(s.listeners[i]); !errors.Is(err, http.ErrServerClosed) {
				errc <- err
			}
		}()
	}
	select {
	case <-ctx.Done():
		logger.Info("shutting down")
	case err := <-errc:
		logger.Error("server failed", "err", err)
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var firstErr error
	for _, srv := range s.list {
		if err := srv.Shutdown(shutdownCtx); err != nil && firstErr == nil {
			firstErr = fmt.Errorf("shut down: %w", err)
		}
	}
	return firstErr
}

// splitList splits a list separated by commas or spaces.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
}
