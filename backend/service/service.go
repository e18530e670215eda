// Package service assembles the whole chat service — authentication, the
// admin and identity REST API, the chat runtime (HTTP, websockets,
// long-poll, broker), the embed loader and the widget application — into
// one http.Handler over one store. `halochat serve` runs it; tests start
// the very same thing on loopback.
package service

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"golang.org/x/text/language"

	"halochat/app/protocol"
	"halochat/app/widget"
	"halochat/backend/auth"
	"halochat/backend/chatapi"
	"halochat/backend/chats"
	"halochat/backend/httpapi"
	"halochat/backend/httpx"
	"halochat/backend/identity"
	"halochat/backend/mail"
	"halochat/backend/metrics"
	"halochat/backend/outbound"
	"halochat/backend/portal"
	"halochat/backend/precompressed"
	"halochat/backend/privacy"
	"halochat/backend/realtime"
	"halochat/backend/store"
	"halochat/backend/tick"
	"halochat/backend/webapp"
	"halochat/backend/webhook"
	"halochat/static"
)

// Options configure a Service.
type Options struct {
	Store *store.Store
	// DSN is the store's DSN: on PostgreSQL the broker opens its own
	// LISTEN connection with it.
	DSN string
	// PublicURL is the URL visitors reach the service at, without a
	// trailing slash (the widget's origin).
	PublicURL string
	Logger    *slog.Logger
	// OutboundAllow is the one outbound allow-list (backend/outbound):
	// IP addresses, CIDR prefixes or IP:port entries that runbooks and
	// webhook deliveries may reach although internal (loopback, private,
	// link-local).
	OutboundAllow []string
	// TrustedProxies lists the IP addresses or CIDR prefixes of the
	// reverse proxies in front of the service: only their
	// X-Forwarded-For names the client that per-address limits count.
	TrustedProxies []string
	// HSTS sends Strict-Transport-Security (httpapi.HSTS) with every
	// answer: for a service reached only over https (serve --production).
	HSTS bool
	// IdleTimeout ends chats in which nothing happened for that long
	// (0: the chats package's default).
	IdleTimeout time.Duration
	// Limits are the abuse limits (rates, sizes, connections); zero
	// fields take the defaults.
	Limits Limits
	// FilesDir, when set, keeps attachments in that directory (serve
	// --files); otherwise they are kept in the database.
	FilesDir string
	// Webhooks tunes the webhook dispatcher (timeouts, backoff, polling;
	// zero fields take the defaults). Its Store, Client and Logger are
	// the service's.
	Webhooks webhook.Config
	// Mail, when set, is how the service sends e-mail (serve --smtp):
	// transcripts visitors ask for and new tickets to their profile's
	// notification address, through the mail outbox. nil: no e-mail
	// feature is offered, and their endpoints answer mail_off.
	Mail *mail.DispatchConfig
	// Compressed, when set, shares the compressed copies of the widget's
	// and the console's files with other services of the process made
	// with it: the tests start one a test (precompressed.Cache).
	Compressed *precompressed.Cache
}

// Limits gathers the service's abuse limits. Zero fields take each
// package's default; a negative rate lifts that limit.
type Limits struct {
	// StartsPerMinute limits chat starts per client address (default
	// 30); ProfileStartsPerMinute per chat profile (default 600).
	StartsPerMinute        float64
	ProfileStartsPerMinute float64
	// PortalLoginsPerMinute limits portal logins per client address
	// (default portal.DefaultLoginsPerMinute).
	PortalLoginsPerMinute float64
	// Logins bound password guessing at agent logins and API client
	// tokens: failures per account (in the database) and per address.
	Logins auth.Limits
	// MaxBodyBytes bounds the widget and agent API's request bodies
	// (default 64 KiB).
	MaxBodyBytes int64
	// BodyIdleTimeout and BodyTimeout bound how slowly a request's body
	// may come: every read within BodyIdleTimeout (default 10 s), the
	// whole body within BodyTimeout of its handler's start (default 30 s);
	// negative: no bound. Requests in progress count against
	// Realtime.MaxConnsPerIP with the websockets.
	BodyIdleTimeout, BodyTimeout time.Duration
	// Realtime holds the websocket and long-poll limits: frame size,
	// messages per chat / address / profile, open connections per address.
	Realtime realtime.Limits
}

// Unlimited lifts every rate and connection limit (sizes stay): for
// benchmarks and load tests that drive the service from one address.
func Unlimited() Limits {
	return Limits{StartsPerMinute: -1, ProfileStartsPerMinute: -1, PortalLoginsPerMinute: -1, Logins: auth.Unlimited(), Realtime: realtime.Limits{
		MaxConnsPerIP: -1, SendsPerSecond: -1, IPSendsPerMinute: -1, ProfileSendsPerMinute: -1}}
}

// Service is the assembled chat service.
type Service struct {
	Handler  http.Handler
	Widget   *webapp.Handler
	Console  *webapp.Handler
	Auth     *auth.Service
	Chats    *chats.Service
	Portal   *portal.Service
	Realtime *realtime.Server
	Broker   realtime.Broker
	Webhooks *webhook.Dispatcher
	// Metrics is this instance's: GET /metrics serves them (loopback,
	// or metrics:read), and Metrics.Handler() on --metrics-addr.
	Metrics *metrics.Metrics
	Mail    *mail.Dispatcher // nil without Options.Mail
}

// New assembles the service. Its background work (the broker, idle chats,
// expiry sweeps) runs until ctx ends.
func New(ctx context.Context, o Options) (*Service, error) {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	// Lines logged with a request's context carry its id and chat.
	o.Logger = httpx.ContextLogger(o.Logger)
	st, logger := o.Store, o.Logger
	m := metrics.New(metrics.Options{Source: opsSource{st}, DBs: st.Pools(), Logger: logger})
	publicURL := strings.TrimRight(o.PublicURL, "/")

	widget.Register()
	wh, err := webapp.New(webapp.Options{
		Prefix: "/chat/widget", Name: "halochat", Title: "Chat",
		Dist: static.Dist(), WasmFile: "widget.wasm",
		Assets: static.Assets(), Styles: []string{"widget.css"}, Scripts: []string{"focus.js"}, DirectBoot: true, PreloadWasm: true,
		Compressed: o.Compressed,
		Files:      map[string]http.Handler{widget.ColourSheet: http.HandlerFunc(colourSheet)},
		// The static window (app/widget/static.go) shows the profile's
		// title and colour from the first paint.
		PageQuery: func(r *http.Request) url.Values { return profileLook(r, o.Store, logger) },
		// The page of a profile with allowed origins may be framed only by
		// them (docs/CONTRACT.md#profile-access); otherwise by any page. The
		// chat start checks the host origin against the list as well.
		FrameAncestors: func(r *http.Request) string { return frameAncestors(r, o.Store, logger) },
	})
	if err != nil {
		return nil, err
	}

	if o.FilesDir != "" {
		if err := os.MkdirAll(o.FilesDir, 0o700); err != nil {
			return nil, fmt.Errorf("the attachments' directory (--files): %w", err)
		}
	}
	proxies, err := httpx.ParsePrefixes(o.TrustedProxies)
	if err != nil {
		return nil, fmt.Errorf("trusted proxies: %w", err)
	}
	authSvc := &auth.Service{Store: st, Logger: logger, SecureCookies: strings.HasPrefix(publicURL, "https://"), Limits: o.Limits.Logins}
	go sweep(ctx, logger, "expired sessions and tokens", 10*time.Minute, func(ctx context.Context) (int64, error) {
		return st.DeleteExpiredAuth(ctx, time.Now())
	})
	go sweep(ctx, logger, "forgotten failed logins", 10*time.Minute, authSvc.DeleteStaleLoginFailures)
	// Expired ChatMatchingData (docs/CONTRACT.md#chat-matching-data) and
	// the records of expired identity tokens' jti are deleted; every node
	// sweeps, which is harmless.
	go identity.SweepExpired(ctx, st, 10*time.Minute, logger)

	allow, err := outbound.ParseAllowList(o.OutboundAllow)
	if err != nil {
		return nil, fmt.Errorf("outbound allow-list: %w", err)
	}
	var broker realtime.Broker
	if st.Dialect() == store.DialectPostgres {
		pg := realtime.NewPG(realtime.PGOptions{DSN: o.DSN, Store: st, Logger: logger})
		go pg.Run(ctx)
		broker = pg
	} else {
		broker = realtime.NewLocal()
	}
	runbooks := chats.NewRunbookClient(chats.RunbookOptions{Allow: allow})
	// Webhooks (README.md#webhooks): every node delivers what the
	// outbox holds, through the same guarded client as runbooks.
	hooks := o.Webhooks
	hooks.Store, hooks.Logger, hooks.Metrics = st, logger, m
	// A connection for each chain in flight stays open for the next
	// delivery: with 32 kept, a load of 200 chats' events redialled the
	// receiver for most deliveries (a tenth of the node's CPU in dials).
	hooks.Client = outbound.NewClient(outbound.Options{Allow: allow, IdleConnsPerHost: cmp.Or(hooks.MaxInFlight, webhook.DefaultMaxInFlight)})
	dispatcher := webhook.NewDispatcher(hooks)
	go dispatcher.Run(ctx)
	go sweep(ctx, logger, "old webhook deliveries", time.Hour, st.DeleteOldDeliveries)

	mailer, mails := startMail(ctx, o, logger, m)
	chatSvc := chats.New(chats.Config{Store: st, Publisher: broker, Logger: logger, IdleTimeout: o.IdleTimeout,
		Runbooks: runbooks, FilesDir: o.FilesDir, PublicURL: publicURL, Metrics: m, Mailer: mailer})
	go chatSvc.RunWorker(ctx, 0)
	rt := realtime.NewServer(realtime.Config{Chats: chatSvc, Broker: broker, Logger: logger, PublicOrigin: publicURL,
		Agents: authSvc, Limits: o.Limits.Realtime, Metrics: m})
	authSvc.OnRevoke = rt.AgentChanged // before anything is served
	context.AfterFunc(ctx, rt.Close)
	portalSvc := portal.New(portal.Config{Store: st, Identity: &identity.Resolver{Store: st}, Logger: logger,
		SecureCookies: authSvc.SecureCookies, LoginsPerMinute: o.Limits.PortalLoginsPerMinute})
	go sweep(ctx, logger, "expired portal sessions", 10*time.Minute, portalSvc.DeleteExpired)
	api := chatapi.New(chatapi.Config{Chats: chatSvc, Logger: logger, PublicOrigin: publicURL, PortalUser: portalSvc.UserFrom,
		RequireAgent: authSvc.RequireAgent, RequireAgentOr: authSvc.RequireAgentOr, AgentFrom: auth.AgentFrom,
		ClientFrom: auth.ClientFrom, MaxBodyBytes: o.Limits.MaxBodyBytes,
		StartsPerMinute: o.Limits.StartsPerMinute, ProfileStartsPerMinute: o.Limits.ProfileStartsPerMinute})

	privacySvc := &privacy.Service{Store: st, FilesDir: o.FilesDir, Logger: logger}
	// Retention (a profile's retentionDays): every node deletes old
	// ended chats, a bounded batch a transaction.
	go privacySvc.RunRetention(ctx, 0)
	ch, consoleMount, err := newConsole(o.Compressed)
	if err != nil {
		return nil, err
	}
	h := httpapi.New(httpapi.Config{Logger: logger, DB: st, Widget: wh, Mounts: []func(*http.ServeMux){
		authSvc.Routes,
		(&httpapi.IdentityAPI{Store: st, Auth: authSvc, Logger: logger, Runbooks: runbooks, Privacy: privacySvc,
			AgentTeams: st.TeamsOf}).Routes,
		rt.Mount,
		api.Mount,
		consoleMount,
		portalSvc.Routes,
		mountMetrics(m, authSvc),
	}, HSTS: hsts(o.HSTS), Conns: rt.Conns(), Body: o.Limits.bodyTimeouts(), Metrics: m,
		Starting: []<-chan struct{}{wh.Prepared(), ch.Prepared()}})
	h = httpx.TrustProxies(proxies, h)
	return &Service{Handler: h, Widget: wh, Console: ch, Auth: authSvc, Chats: chatSvc, Portal: portalSvc,
		Realtime: rt, Broker: broker, Webhooks: dispatcher, Metrics: m, Mail: mails}, nil
}

// startMail starts the mail dispatcher of o.Mail on every node (the
// outbox's claims share the mails out) and its sweep of old mails; nil
// and nil without o.Mail.
func startMail(ctx context.Context, o Options, logger *slog.Logger, m *metrics.Metrics) (chats.Mailer, *mail.Dispatcher) {
	if o.Mail == nil {
		return nil, nil
	}
	cfg := *o.Mail
	cfg.Store, cfg.Logger, cfg.Metrics = o.Store, logger, m
	d := mail.NewDispatcher(cfg)
	go d.Run(ctx)
	go sweep(ctx, logger, "old mails", time.Hour, o.Store.DeleteOldMails)
	logger.Info("sending mail", "smtp", cfg.Sender.Server.String(), "from", cfg.From.String())
	return d, d
}

func (l Limits) bodyTimeouts() httpx.BodyTimeouts {
	b := httpx.BodyTimeouts{Idle: l.BodyIdleTimeout, Total: l.BodyTimeout}
	if b.Idle == 0 {
		b.Idle = DefaultBodyIdleTimeout
	}
	if b.Total == 0 {
		b.Total = DefaultBodyTimeout
	}
	return httpx.BodyTimeouts{Idle: max(b.Idle, 0), Total: max(b.Total, 0)}
}

// Defaults of Limits.BodyIdleTimeout and BodyTimeout: a browser's
// largest body (64 KiB) takes a second at 512 kbit/s, and a host
// backend's largest (1 MiB of ChatMatchingData) fits at 300 kbit/s.
const (
	DefaultBodyIdleTimeout = 10 * time.Second
	DefaultBodyTimeout     = 30 * time.Second
)

func hsts(on bool) string {
	if on {
		return httpapi.HSTS
	}
	return ""
}

// frameAncestors is the widget page's CSP frame-ancestors: the allowed
// origins of the profile its ?configId= names, when that profile has a
// list; "*" otherwise (no profile named, unknown, or any origin allowed).
func frameAncestors(r *http.Request, st *store.Store, logger *slog.Logger) string {
	id := r.URL.Query().Get("configId")
	if id == "" || len(id) > 200 {
		return "*"
	}
	p, err := st.GetProfile(r.Context(), id)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrInvalid) {
			logger.Warn("widget page: read the profile for frame-ancestors", "err", err)
		}
		return "*"
	}
	if len(p.AllowedOrigins) == 0 {
		return "*"
	}
	var srcs []string
	if portal.PortalAccess(p.Access) {
		srcs = append(srcs, "'self'") // the service's own portal page
	}
	for _, o := range p.AllowedOrigins {
		// Only scheme://host[:port] may reach the header: nothing that
		// could end the directive or add another.
		if n := protocol.NormalizeOrigin(o); n != "" && !strings.ContainsAny(n, " ;,'\"\t\r\n") {
			srcs = append(srcs, n)
		}
	}
	if len(srcs) == 0 {
		return "'none'"
	}
	return strings.Join(srcs, " ")
}

// profileLook is the title, colour and languages of the profile the
// widget page's ?configId= names, and the browser's languages, for its
// static window (nothing of the profile when unknown).
func profileLook(r *http.Request, st *store.Store, logger *slog.Logger) url.Values {
	out := url.Values{widget.QueryProfileTitle: {""}, widget.QueryProfileColour: {""}, widget.QueryProfileLanguage: {""},
		widget.QueryProfileDefaultLanguage: {""}, widget.QueryLanguages: nil}
	if tags, _, err := language.ParseAcceptLanguage(r.Header.Get("Accept-Language")); err == nil {
		for _, t := range tags {
			out.Add(widget.QueryLanguages, t.String())
		}
	}
	id := r.URL.Query().Get("configId")
	if id == "" || len(id) > 200 {
		return out
	}
	p, err := st.GetProfile(r.Context(), id)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrInvalid) {
			logger.Warn("widget page: read the profile for its title and colour", "err", err)
		}
		return out
	}
	out.Set(widget.QueryProfileTitle, p.Appearance.Title)
	out.Set(widget.QueryProfileColour, p.Appearance.Colour)
	out.Set(widget.QueryProfileLanguage, p.Language)
	out.Set(widget.QueryProfileDefaultLanguage, p.DefaultLanguage)
	return out
}

// colourSheet serves the widget's colour stylesheet for ?c= (a colour
// protocol.ValidColour accepts): the same for a URL forever.
func colourSheet(w http.ResponseWriter, r *http.Request) {
	css, ok := widget.ColourCSS(r.URL.Query().Get("c"))
	if !ok {
		httpx.Refuse(w, protocol.CodeInvalidRequest, "c must be a hex colour (%23rrggbb) or a CSS colour name")
		return
	}
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	_, _ = io.WriteString(w, css)
}

// sweep runs fn every interval until ctx ends, logging what it removed.
func sweep(ctx context.Context, logger *slog.Logger, what string, every time.Duration, fn func(context.Context) (int64, error)) {
	tick.Every(ctx, every, func(ctx context.Context) {
		n, err := fn(ctx)
		if err != nil {
			logger.Warn("sweep "+what, "err", err)
		} else if n > 0 {
			logger.Info("swept "+what, "count", n)
		}
	})
}
