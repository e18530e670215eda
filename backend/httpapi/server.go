// Package httpapi is the service's HTTP surface: health and readiness, the
// embed loader, the widget application, and the REST API. Handlers call the
// backend's services and choose their success statuses; refusals are
// answered by backend/httpx.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"halochat/backend/httpx"
	"halochat/backend/metrics"
	"halochat/backend/precompressed"
	"halochat/static"
)

// Pinger reports whether the database answers.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Config wires the server's dependencies.
type Config struct {
	Logger *slog.Logger
	DB     Pinger
	// Widget serves the visitor widget application under /chat/widget/.
	Widget http.Handler
	// Mounts add the routes of other packages (the chat runtime, the
	// REST API) to the service's mux.
	Mounts []func(mux *http.ServeMux)
	// HSTS, when set, is the Strict-Transport-Security of every answer.
	HSTS string
	// Conns, when set, counts each client address's requests in progress
	// under its cap, and Body bounds how slowly their bodies may come
	// (httpx.LimitRequests).
	Conns *httpx.Counter
	Body  httpx.BodyTimeouts
	// Metrics counts the answers refused by a rate limit (429), by
	// route; nil counts nothing.
	Metrics *metrics.Metrics
	// Starting are the service's start-up work, each closed when done
	// (the web apps' files compressed): /readyz answers 503 until then,
	// so that a load balancer sends a new node its traffic once the node
	// has the CPU for it.
	Starting []<-chan struct{}
}

// New returns the service's root handler.
func New(cfg Config) http.Handler {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	cfg.Logger = httpx.ContextLogger(cfg.Logger)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		httpx.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		for _, c := range cfg.Starting {
			select {
			case <-c:
			default:
				httpx.WriteJSON(w, http.StatusServiceUnavailable, map[string]string{
					"status": "starting", "error": "still compressing the web pages' files",
				})
				return
			}
		}
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := cfg.DB.Ping(ctx); err != nil {
			cfg.Logger.Warn("readiness check failed", "err", err)
			httpx.WriteJSON(w, http.StatusServiceUnavailable, map[string]string{
				"status": "unavailable", "error": "database is not reachable",
			})
			return
		}
		httpx.WriteJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	})
	// The loader's URL is fixed by the embed snippet, so it cannot be
	// versioned: a short cache lets a fix reach every host page within
	// minutes, and its ETag makes the revalidation a 304.
	loader := precompressed.New(static.Loader(), precompressed.Options{
		ContentType: "text/javascript; charset=utf-8", CacheControl: "public, max-age=300",
		Built: static.Dist(), BuiltName: "index.js",
	})
	mux.HandleFunc("GET /chat/index.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Cross-Origin-Resource-Policy", "cross-origin")
		loader.ServeHTTP(w, r)
	})
	if cfg.Widget != nil {
		mux.Handle("/chat/widget/", cfg.Widget)
		mux.Handle("GET /chat/widget", cfg.Widget)
	}
	for _, mount := range cfg.Mounts {
		mount(mux)
	}
	var h http.Handler = mux
	if cfg.Conns != nil {
		h = httpx.LimitRequests(cfg.Conns, cfg.Body, mux)
	}
	return logRequests(cfg.Logger, cfg.Metrics, secureHeaders(cfg.HSTS, h))
}

// APIPolicy is the Content-Security-Policy of every answer that is not a
// page of the service's own (JSON, errors, plain text): nothing may load
// from it, nothing may frame it.
const APIPolicy = "default-src 'none'; frame-ancestors 'none'"

// HSTS is the Strict-Transport-Security of a production service: a
// year, subdomains included (a browser that once reached the service over
// https never tries plain http to it, so a network attacker cannot strip
// the TLS).
const HSTS = "max-age=31536000; includeSubDomains"

// secureHeaders adds the security headers a handler did not set itself:
// X-Content-Type-Options, Referrer-Policy, Strict-Transport-Security when
// hsts is set, and APIPolicy on JSON, HTML and plain-text answers.
// (Scripts, styles and the wasm keep no CSP: a CSP on a worker script
// would govern the worker.)
func secureHeaders(hsts string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(&headerWriter{ResponseWriter: w, hsts: hsts}, r)
	})
}

type headerWriter struct {
	http.ResponseWriter
	hsts string
	done bool
}

func (h *headerWriter) set() {
	if h.done {
		return
	}
	h.done = true
	hd := h.Header()
	if hd.Get("X-Content-Type-Options") == "" {
		hd.Set("X-Content-Type-Options", "nosniff")
	}
	if hd.Get("Referrer-Policy") == "" {
		hd.Set("Referrer-Policy", "no-referrer")
	}
	if h.hsts != "" {
		hd.Set("Strict-Transport-Security", h.hsts)
	}
	if hd.Get("Content-Security-Policy") == "" {
		ct, _, _ := strings.Cut(hd.Get("Content-Type"), ";")
		switch strings.TrimSpace(strings.ToLower(ct)) {
		case "application/json", "text/html", "text/plain":
			hd.Set("Content-Security-Policy", APIPolicy)
		}
	}
}

func (h *headerWriter) WriteHeader(code int) {
	h.set()
	h.ResponseWriter.WriteHeader(code)
}

func (h *headerWriter) Write(b []byte) (int, error) {
	h.set()
	return h.ResponseWriter.Write(b)
}

func (h *headerWriter) Unwrap() http.ResponseWriter { return h.ResponseWriter }

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// logRequests logs method, path (never the query: it may hold secrets),
// status and duration of every request, with its id (answered in
// X-Request-Id; a sane incoming one is kept) and the chat it is about:
// the route's {id} of a chat's route, or the one a handler named
// (httpx.SetChatID). Every line the handlers log with the request's
// context carries the same (httpx.ContextLogs). Answers refused by a
// rate limit (429) are counted by route.
func logRequests(log *slog.Logger, m *metrics.Metrics, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		info := &httpx.RequestInfo{ID: httpx.RequestID(r)}
		w.Header().Set(httpx.HeaderRequestID, info.ID)
		r = r.WithContext(httpx.WithRequestInfo(r.Context(), info))
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		// The mux has set r.Pattern and the path values on r itself.
		if info.ChatID() == "" && chatRoute(r.Pattern) {
			httpx.SetChatID(r.Context(), r.PathValue("id"))
		}
		if rec.status == http.StatusTooManyRequests {
			m.RateLimited(r.Pattern)
		}
		log.LogAttrs(r.Context(), slog.LevelInfo, "http",
			slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", rec.status), slog.Duration("took", time.Since(start)))
	})
}

// chatRoute reports whether a route's {id} is a chat's: the widget's
// /chat/api/v1/chats/{id}/… and the API's /api/Chat/{id}….
func chatRoute(pattern string) bool {
	return strings.Contains(pattern, "/chats/{id}") || strings.Contains(pattern, "/Chat/{id}")
}
