package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"halochat/backend/demo"
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
	Pool       int    // PostgreSQL connections; 0 = the store's default
	// AppendBatches is store.Options.AppendBatches: 0 the default, -1
	// unbatched.
	AppendBatches int
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

func migrate(ctx context.Context, logger *slog.Logger, dsn string) error {
	st, err := openStore(ctx, logger, dsn, store.Options{})
	if err != nil {
		return err
	}
	return st.Close()
}

func serve(ctx context.Context, logger *slog.Logger, opts serveOptions) error {
	if opts.Pool < 0 {
		return fmt.Errorf("--db-pool must be 0 (the default) or more, not %d", opts.Pool)
	}
	if opts.AppendBatches < -1 {
		return fmt.Errorf("--append-batches must be -1 (unbatched), 0 (the default) or more, not %d", opts.AppendBatches)
	}
	st, err := openStore(ctx, logger, *opts.DSN, store.Options{MaxOpenConns: opts.Pool, AppendBatches: opts.AppendBatches})
	if err != nil {
		return err
	}
	defer st.Close()

	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", opts.Addr, err)
	}
	publicURL := strings.TrimRight(opts.PublicURL, "/")
	if publicURL == "" {
		publicURL = "http://" + ln.Addr().String()
	}
	allow := strings.FieldsFunc(os.Getenv("HALOCHAT_RUNBOOK_ALLOW"), func(r rune) bool { return r == ',' || r == ' ' })
	if opts.DemoHost != "" {
		allow = append(allow, demoRunbookAllow(opts.DemoHost)...)
	}
	if opts.Production {
		if err := productionCheck(ctx, st, publicURL, opts.Limits); err != nil {
			ln.Close()
			return err
		}
	}
	var limits service.Limits
	switch opts.Limits {
	case "", "default":
	case "benchmark":
		limits = service.Unlimited()
		logger.Warn("abuse limits lifted (--limits benchmark): for load tests on loopback only")
	default:
		ln.Close()
		return fmt.Errorf(`--limits must be "default" or "benchmark", not %q`, opts.Limits)
	}
	svc, err := service.New(ctx, service.Options{Store: st, DSN: *opts.DSN, PublicURL: publicURL, Logger: logger,
		RunbookAllow: allow, Limits: limits})
	if err != nil {
		ln.Close()
		return err
	}
	if !svc.Widget.Built() {
		logger.Warn("widget wasm not built: /chat/widget/ answers 503 until `make build` runs")
	}
	servers := []*http.Server{{
		Handler:           svc.Handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
	}}
	listeners := []net.Listener{ln}
	logger.Info("serving", "url", publicURL, "widget_version", svc.Widget.Version())

	if opts.DemoHost != "" {
		dl, err := net.Listen("tcp", opts.DemoHost)
		if err != nil {
			ln.Close()
			return fmt.Errorf("listen for the demo host page on %s: %w", opts.DemoHost, err)
		}
		page, err := demo.HostPageHandler(ctx, st, publicURL)
		if err != nil {
			ln.Close()
			dl.Close()
			return err
		}
		hostHandler, err := demoHostHandler(ctx, st, page, dl.Addr())
		if err != nil {
			ln.Close()
			dl.Close()
			return err
		}
		servers = append(servers, &http.Server{Handler: hostHandler, ReadHeaderTimeout: 10 * time.Second})
		listeners = append(listeners, dl)
		_, port, _ := net.SplitHostPort(dl.Addr().String())
		logger.Info("serving the demo host page", "url", "http://localhost:"+port+"/")
	}

	if opts.Pprof != "" {
		pl, err := pprofListener(opts.Pprof)
		if err != nil {
			for _, l := range listeners {
				l.Close()
			}
			return err
		}
		servers = append(servers, &http.Server{Handler: pprofHandler(), ReadHeaderTimeout: 10 * time.Second})
		listeners = append(listeners, pl)
		logger.Info("serving pprof", "url", "http://"+pl.Addr().String()+"/debug/pprof/")
	}

	errc := make(chan error, len(servers))
	for i, srv := range servers {
		go func() {
			if err := srv.Serve(listeners[i]); !errors.Is(err, http.ErrServerClosed) {
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
	for _, srv := range servers {
		if err := srv.Shutdown(shutdownCtx); err != nil && firstErr == nil {
			firstErr = fmt.Errorf("shut down: %w", err)
		}
	}
	return firstErr
}
