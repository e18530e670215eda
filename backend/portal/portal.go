// Package portal serves the self-service portal's API
// (README.md#self-service-portal; docs/CONTRACT.md#profile-access): a
// portal user — an account an admin created with a password, or a user an
// identity token resolved — logs in, sees their tickets and the chat
// profiles open to the portal, and chats as themselves.
//
// Portal sessions are separate from agent sessions: their own cookie
// (HttpOnly, SameSite=Lax), their own table, only the token's hash stored.
// The chat start reads the session through Service.UserFrom.
package portal

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"halochat/app/protocol"
	"halochat/backend/auth"
	"halochat/backend/httpx"
	"halochat/backend/identity"
	"halochat/backend/secret"
	"halochat/backend/store"
)

// SessionCookie is the name of the portal session cookie (not the agent's).
const SessionCookie = "halochat_portal"

// sessionPrefix tells a portal session token from the others.
const sessionPrefix = "hcp_"

// Defaults of Config.
const (
	DefaultSessionTTL      = 12 * time.Hour
	DefaultLoginsPerMinute = 20
)

// maxBody bounds a login body.
const maxBody = 16 << 10

// Config configures a Service.
type Config struct {
	Store    *store.Store
	Identity *identity.Resolver
	Logger   *slog.Logger
	// Now is the clock (the store's when nil).
	Now func() time.Time
	// SessionTTL bounds a session (DefaultSessionTTL when 0).
	SessionTTL time.Duration
	// SecureCookies marks the cookie Secure even without TLS on the
	// request (behind a TLS-terminating proxy).
	SecureCookies bool
	// LoginsPerMinute limits login attempts (password or token) per
	// client address: DefaultLoginsPerMinute when 0, none when negative.
	LoginsPerMinute float64
}

// Service is the portal's sessions and API.
type Service struct {
	cfg    Config
	logins *httpx.RateLimiter
}

// New returns a Service.
func New(cfg Config) *Service {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = cfg.Store.Now
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = DefaultSessionTTL
	}
	if cfg.LoginsPerMinute == 0 {
		cfg.LoginsPerMinute = DefaultLoginsPerMinute
	}
	return &Service{cfg: cfg, logins: httpx.PerMinute(cfg.LoginsPerMinute)}
}

// Routes serves the portal API under /portal/api/ and sends /portal (the
// URL people type) to the portal page of the console app.
func (s *Service) Routes(mux *http.ServeMux) {
	csrf := http.NewCrossOriginProtection()
	csrf.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httpx.Refuse(w, protocol.CodeCrossOrigin, "cross-origin request refused: log in from the portal page")
	}))
	mux.Handle("POST /portal/api/login", csrf.Handler(http.HandlerFunc(s.handleLogin)))
	mux.Handle("POST /portal/api/login/token", csrf.Handler(http.HandlerFunc(s.handleTokenLogin)))
	mux.Handle("POST /portal/api/logout", csrf.Handler(http.HandlerFunc(s.handleLogout)))
	mux.HandleFunc("GET /portal/api/me", s.handleMe)
	mux.HandleFunc("GET /portal/api/tickets", s.requireUser(s.handleTickets))
	mux.HandleFunc("GET /portal/api/profiles", s.handleProfiles)
	page := func(w http.ResponseWriter, r *http.Request) {
		target := PagePath
		if r.URL.RawQuery != "" {
			target += "?" + r.URL.RawQuery
		}
		http.Redirect(w, r, target, http.StatusFound)
	}
	mux.HandleFunc("GET /portal", page)
	mux.HandleFunc("GET /portal/{$}", page)
}

// PagePath is where the portal page lives: a route of the console's
// go-app application (it shares that wasm; see app/console/portal.go).
const PagePath = "/console/portal"

func meOf(u *store.User) protocol.PortalUser {
	name := strings.TrimSpace(u.FirstName + " " + u.LastName)
	if name == "" {
		name = u.Email
	}
	return protocol.PortalUser{ID: u.ID, Email: u.Email, FirstName: u.FirstName, LastName: u.LastName, Name: name}
}

// UserFrom returns the user of the request's portal session cookie; nil
// without a cookie or when the session is unknown, expired or its user
// disabled. An error is the store's.
func (s *Service) UserFrom(r *http.Request) (*store.User, error) {
	c, err := r.Cookie(SessionCookie)
	if err != nil || !strings.HasPrefix(c.Value, sessionPrefix) || len(c.Value) > 200 {
		return nil, nil
	}
	u, err := s.cfg.Store.UserBySession(r.Context(), secret.HashKey(c.Value), s.cfg.Now())
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrInvalid) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the portal session: %w", err)
	}
	return u, nil
}

// ErrBadCredentials: unknown e-mail, no password set, wrong password or
// disabled user; one error for all.
var ErrBadCredentials = errors.New("wrong e-mail or password")

// Login checks a portal user's e-mail and password and opens a session;
// it returns the session token. An e-mail no account can have is a
// *protocol.APIError.
func (s *Service) Login(ctx context.Context, email, password string) (string, *store.User, error) {
	u, err := s.cfg.Store.GetUserByEmail(ctx, email)
	if errors.Is(err, store.ErrNotFound) {
		secret.CheckPassword(auth.DummyPasswordHash, password)
		return "", nil, ErrBadCredentials
	}
	if errors.Is(err, store.ErrInvalid) { // no account has such an e-mail: bad input
		return "", nil, &protocol.APIError{Code: protocol.CodeInvalidRequest, Field: "email",
			Message: "email: holds a NUL byte or is not valid UTF-8, so it names no account"}
	}
	if err != nil {
		return "", nil, fmt.Errorf("portal login: %w", err)
	}
	hash := u.PasswordHash
	if hash == "" {
		hash = auth.DummyPasswordHash
	}
	if !secret.CheckPassword(hash, password) || u.PasswordHash == "" || u.Disabled {
		return "", nil, ErrBadCredentials
	}
	token, err := s.open(ctx, u)
	return token, u, err
}

// LoginWithToken verifies an identity token with the settings of a chat
// profile open to the portal, resolves (or creates) its user, and opens a
// session. Refusals are *protocol.APIError.
func (s *Service) LoginWithToken(ctx context.Context, profileID, idToken string) (string, *store.User, error) {
	p, err := s.cfg.Store.GetProfile(ctx, profileID)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrInvalid) {
		return "", nil, &protocol.APIError{Code: protocol.CodeProfileNotFound, Field: "profileId",
			Message: fmt.Sprintf("profileId: no chat profile %q", profileID)}
	}
	if err != nil {
		return "", nil, fmt.Errorf("portal token login: %w", err)
	}
	if !PortalAccess(p.Access) {
		return "", nil, &protocol.APIError{Code: protocol.CodeAccessDenied, Field: "profileId",
			Message: "profileId: chat profile " + strconv.Quote(p.ID) + " is not open to the portal (access: " + p.Access + ")"}
	}
	if strings.TrimSpace(idToken) == "" {
		return "", nil, &protocol.APIError{Code: protocol.CodeInvalidRequest, Field: "id_token",
			Message: "id_token: is required"}
	}
	id, err := s.cfg.Identity.Resolve(ctx, p, identity.Request{IDToken: idToken})
	if err != nil {
		return "", nil, err
	}
	if id.User == nil {
		return "", nil, &protocol.APIError{Code: protocol.CodeInvalidToken, Field: "id_token",
			Message: "id_token: the token names no user (none of its claims maps to a user field)"}
	}
	if id.User.Disabled {
		return "", nil, &protocol.APIError{Code: protocol.CodeAccessDenied,
			Message: "this portal account is disabled"}
	}
	if err := s.cfg.Identity.Use(ctx, id); err != nil {
		return "", nil, err
	}
	token, err := s.open(ctx, id.User)
	return token, id.User, err
}

// PortalAccess reports whether a profile's access lets the portal use it.
func PortalAccess(access string) bool {
	return access == store.AccessPortal || access == store.AccessPortalAndExternal
}

func (s *Service) open(ctx context.Context, u *store.User) (string, error) {
	token := sessionPrefix + secret.Token(32)
	err := s.cfg.Store.CreatePortalSession(ctx, &store.PortalSession{TokenHash: secret.HashKey(token), UserID: u.ID,
		ExpiresAt: s.cfg.Now().Add(s.cfg.SessionTTL)})
	if err != nil {
		return "", fmt.Errorf("open a portal session: %w", err)
	}
	return token, nil
}

// Logout ends the session of token.
func (s *Service) Logout(ctx context.Context, token string) error {
	return s.cfg.Store.DeletePortalSession(ctx, secret.HashKey(token))
}

// DeleteExpired deletes the expired sessions (the service sweeps with it
// every few minutes) and returns how many.
func (s *Service) DeleteExpired(ctx context.Context) (int64, error) {
	return s.cfg.Store.DeleteExpiredPortalSessions(ctx, s.cfg.Now())
}

// ---- HTTP ----

type userKey struct{}

// requireUser answers 401 without a valid portal session.
func (s *Service) requireUser(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		u, err := s.UserFrom(r)
		if err != nil {
			httpx.Fail(w, r, s.cfg.Logger, err)
			return
		}
		if u == nil {
			httpx.Refuse(w, protocol.CodeUnauthorized, "log in to the portal first")
			return
		}
		next(w, r.WithContext(context.WithValue(r.Context(), userKey{}, u)))
	}
}

func userOf(ctx context.Context) *store.User {
	u, _ := ctx.Value(userKey{}).(*store.User)
	return u
}

// limited answers 429 when the address has tried to log in too often.
func (s *Service) limited(w http.ResponseWriter, r *http.Request) bool {
	if ok, wait := s.logins.Allow(httpx.ClientKey(r)); !ok {
		httpx.WriteRateLimited(w, wait, "too many portal logins from this address")
		return true
	}
	return false
}

func (s *Service) handleLogin(w http.ResponseWriter, r *http.Request) {
	if s.limited(w, r) {
		return
	}
	var req protocol.LoginRequest
	if !httpx.DecodeBody(w, r, maxBody, &req) {
		return
	}
	switch {
	case strings.TrimSpace(req.Email) == "":
		httpx.Refuse(w, protocol.CodeInvalidRequest, "email: is required")
		return
	case req.Password == "":
		httpx.Refuse(w, protocol.CodeInvalidRequest, "password: is required")
		return
	}
	token, u, err := s.Login(r.Context(), req.Email, req.Password)
	if errors.Is(err, ErrBadCredentials) {
		httpx.Refuse(w, protocol.CodeInvalidCredentials, "wrong e-mail or password")
		return
	}
	if err != nil {
		httpx.Fail(w, r, s.cfg.Logger, err)
		return
	}
	s.loggedIn(w, r, token, u)
}

func (s *Service) handleTokenLogin(w http.ResponseWriter, r *http.Request) {
	if s.limited(w, r) {
		return
	}
	var req protocol.PortalTokenLoginRequest
	if !httpx.DecodeBody(w, r, maxBody, &req) {
		return
	}
	if strings.TrimSpace(req.ProfileID) == "" {
		httpx.Refuse(w, protocol.CodeInvalidRequest, "profileId: is required")
		return
	}
	token, u, err := s.LoginWithToken(r.Context(), req.ProfileID, req.IDToken)
	if err != nil {
		httpx.Fail(w, r, s.cfg.Logger, err)
		return
	}
	s.loggedIn(w, r, token, u)
}

func (s *Service) loggedIn(w http.ResponseWriter, r *http.Request, token string, u *store.User) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: token, Path: "/", HttpOnly: true,
		Secure: s.cfg.SecureCookies || r.TLS != nil, SameSite: http.SameSiteLaxMode,
		MaxAge: int(s.cfg.SessionTTL.Seconds())})
	httpx.WriteJSON(w, http.StatusOK, protocol.PortalLogin{User: meOf(u), ExpiresIn: int(s.cfg.SessionTTL.Seconds())})
}

func (s *Service) handleLogout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(SessionCookie); err == nil && c.Value != "" {
		if err := s.Logout(r.Context(), c.Value); err != nil {
			s.cfg.Logger.ErrorContext(r.Context(), "portal logout", "err", err)
		}
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", HttpOnly: true, MaxAge: -1,
		Secure: s.cfg.SecureCookies || r.TLS != nil, SameSite: http.SameSiteLaxMode})
	w.WriteHeader(http.StatusNoContent)
}

// handleMe answers the user, or {"user": null} when logged out: being
// logged out is no error on the portal page.
func (s *Service) handleMe(w http.ResponseWriter, r *http.Request) {
	u, err := s.UserFrom(r)
	if err != nil {
		httpx.Fail(w, r, s.cfg.Logger, err)
		return
	}
	var me protocol.PortalMe
	if u != nil {
		m := meOf(u)
		me.User = &m
	}
	httpx.WriteJSON(w, http.StatusOK, me)
}

func (s *Service) handleTickets(w http.ResponseWriter, r *http.Request) {
	list, err := s.cfg.Store.ListPortalTickets(r.Context(), userOf(r.Context()).ID, store.Page{Limit: store.MaxLimit})
	if err != nil {
		httpx.Fail(w, r, s.cfg.Logger, err)
		return
	}
	out := make([]protocol.PortalTicket, len(list))
	for i, t := range list {
		out[i] = protocol.PortalTicket{ID: t.ID, Summary: t.Summary, Status: t.Status, Type: t.TypeName, ChatID: t.ChatID, CreatedAt: t.CreatedAt}
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}

// handleProfiles lists the profiles the caller may chat with here:
// portal and portal_and_external ones for a logged-in user, only
// portal_and_external ones otherwise.
func (s *Service) handleProfiles(w http.ResponseWriter, r *http.Request) {
	u, err := s.UserFrom(r)
	if err != nil {
		httpx.Fail(w, r, s.cfg.Logger, err)
		return
	}
	ps, err := s.cfg.Store.ListProfiles(r.Context())
	if err != nil {
		httpx.Fail(w, r, s.cfg.Logger, err)
		return
	}
	out := []protocol.PortalProfile{}
	for _, p := range ps {
		if p.Access == store.AccessPortalAndExternal || (u != nil && p.Access == store.AccessPortal) {
			out = append(out, protocol.PortalProfile{ID: p.ID, Key: p.Key, Name: p.Name, Access: p.Access, Colour: p.Appearance.Colour})
		}
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}
