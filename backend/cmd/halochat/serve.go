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

	"halochat/app/widget"
	"halochat/backend/auth"
	"halochat/backend/demo"
	"halochat/backend/httpapi"
	"halochat/backend/store"
	"halochat/backend/webapp"
	"halochat/static"
)

type serveOptions struct {
	Addr      string
	DSN       *string
	PublicURL string
	DemoHost  string
}

func openStore(ctx context.Context, logger *slog.Logger, dsn string) (*store.Store, error) {
	st, err := store.Open(ctx, dsn)
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
	st, err := openStore(ctx, logger, dsn)
	if err != nil {
		return err
	}
	return st.Close()
}

// newWidgetHandler serves the visitor widget wasm app under /chat/widget.
func newWidgetHandler() (*webapp.Handler, error) {
	widget.Register()
	return webapp.New(webapp.Options{
		Prefix:   "/chat/widget",
		Name:     "halochat",
		Title:    "Chat",
		Dist:     static.Dist(),
		WasmFile: "widget.wasm",
		Assets:   static.Assets(),
		Styles:   []string{"widget.css"},
		// Until profiles carry allowed origins, any page may frame the
		// widget; the chat start checks the origin (SPEC §4).
		FrameAncestors: func(*http.Request) string { return "*" },
	})
}

func serve(ctx context.Context, logger *slog.Logger, opts serveOptions) error {
	st, err := openStore(ctx, logger, *opts.DSN)
	if err != nil {
		return err
	}
	defer st.Close()

	wh, err := newWidgetHandler()
	if err != nil {
		return err
	}
	if !wh.Built() {
		logger.Warn("widget wasm not built: /chat/widget/ answers 503 until `make build` runs")
	}

	authSvc := &auth.Service{Store: st, SecureCookies: strings.HasPrefix(opts.PublicURL, "https://")}

	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", opts.Addr, err)
	}
	publicURL := strings.TrimRight(opts.PublicURL, "/")
	if publicURL == "" {
		publicURL = "http://" + ln.Addr().String()
	}
	servers := []*http.Server{{
		Handler: httpapi.New(httpapi.Config{Logger: logger, DB: st, Widget: wh,
			Mounts: []func(*http.ServeMux){
				authSvc.Routes,
			}}),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
	}}
	listeners := []net.Listener{ln}
	logger.Info("serving", "url", publicURL, "widget_version", wh.Version())

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
		servers = append(servers, &http.Server{Handler: page, ReadHeaderTimeout: 10 * time.Second})
		listeners = append(listeners, dl)
		_, port, _ := net.SplitHostPort(dl.Addr().String())
		logger.Info("serving the demo host page", "url", "http://localhost:"+port+"/")
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
