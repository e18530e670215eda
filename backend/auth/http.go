package auth

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"

	"halochat/app/protocol"
	"halochat/backend/httpx"
	"halochat/backend/store"
)

// unauthorized answers 401 unauthorized with the Bearer challenge.
func unauthorized(w http.ResponseWriter, msg string) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="halochat"`)
	httpx.Refuse(w, protocol.CodeUnauthorized, msg)
}

// authenticate runs next with the principal in the context if allow
// accepts it; it answers 401 with no or bad credentials, 403 when allow
// refuses, and refuses cross-origin writes authenticated by cookie.
func (s *Service) authenticate(next http.Handler, allow func(*principal) (bool, string)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := s.identify(r)
		if err != nil {
			unauthorized(w, err.Error())
			return
		}
		if p == nil {
			unauthorized(w, "log in, or send an API token as \"Authorization: Bearer <token>\"")
			return
		}
		// A cookie rides along with cross-site requests: refuse state
		// changes from other origins (Sec-Fetch-Site and Origin vs Host).
		if p.viaCookie {
			if err := http.NewCrossOriginProtection().Check(r); err != nil {
				httpx.Refuse(w, protocol.CodeCrossOrigin, "cross-origin request refused: "+err.Error())
				return
			}
		}
		if ok, why := allow(p); !ok {
			httpx.Refuse(w, protocol.CodeForbidden, why)
			return
		}
		ctx := r.Context()
		if p.agent != nil {
			ctx = context.WithValue(ctx, agentKey, p.agent)
			ctx = context.WithValue(ctx, sessionKey, p.session)
		}
		if p.client != nil {
			ctx = context.WithValue(ctx, clientKey, p.client)
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// RequireAgent lets through a logged-in agent (or admin).
func (s *Service) RequireAgent(next http.Handler) http.Handler {
	return s.authenticate(next, func(p *principal) (bool, string) {
		return p.agent != nil, "this endpoint is for logged-in agents, not API clients"
	})
}

// RequireAdmin lets through an admin agent, or an API client with the
// admin permission.
func (s *Service) RequireAdmin(next http.Handler) http.Handler {
	return s.authenticate(next, func(p *principal) (bool, string) {
		if p.agent != nil {
			return p.agent.Role == store.RoleAdmin, "this endpoint is for admins"
		}
		return slices.Contains(p.client.Permissions, PermAdmin), `this API client lacks the "admin" permission`
	})
}

// RequirePermission lets through an API client holding perm (or admin),
// or an admin agent: admins hold every permission, agents none.
func (s *Service) RequirePermission(perm string, next http.Handler) http.Handler {
	return s.authenticate(next, func(p *principal) (bool, string) {
		if p.agent != nil {
			return p.agent.Role == store.RoleAdmin, "this endpoint needs the \"" + perm + "\" permission: agents need the admin role"
		}
		return Holds(p.client, perm), lacks(perm)
	})
}

// lacks is the refusal of an API client without perm.
func lacks(perm string) string { return "this API client lacks the \"" + perm + "\" permission" }

// RequireAgentOr lets through a logged-in agent (any role: the chat API
// then applies the agent's own rules, agentChatVisibility) or an API
// client holding perm (or admin); an API client without it gets 403
// naming perm.
func (s *Service) RequireAgentOr(perm string, next http.Handler) http.Handler {
	return s.authenticate(next, func(p *principal) (bool, string) {
		if p.agent != nil {
			return true, ""
		}
		return Holds(p.client, perm), lacks(perm)
	})
}

func me(a *store.Agent) protocol.Me {
	return protocol.Me{ID: a.ID, Email: a.Email, Name: a.Name, Role: a.Role}
}

// Routes serves /auth/token, /auth/login, /auth/logout and /auth/me.
func (s *Service) Routes(mux *http.ServeMux) {
	mux.HandleFunc("POST /auth/token", s.handleToken)
	csrf := http.NewCrossOriginProtection()
	csrf.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httpx.Refuse(w, protocol.CodeCrossOrigin, "cross-origin request refused: log in from the service's own pages")
	}))
	mux.Handle("POST /auth/login", csrf.Handler(http.HandlerFunc(s.handleLogin)))
	mux.Handle("POST /auth/logout", csrf.Handler(http.HandlerFunc(s.handleLogout)))
	mux.Handle("GET /auth/me", s.RequireAgent(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httpx.WriteJSON(w, http.StatusOK, me(AgentFrom(r.Context())))
	})))
}

// malformed explains the store's refusal of an e-mail or client id: no
// account can be named by it, so it is the caller's mistake (400), not a
// failure of the service.
const malformed = "holds a NUL byte or is not valid UTF-8, so it names no account"

// handleToken is the OAuth 2 token endpoint for the client_credentials
// grant (RFC 6749 §4.4): form-encoded, credentials in the body or in HTTP
// Basic auth; errors as RFC 6749 §5.2 describes.
func (s *Service) handleToken(w http.ResponseWriter, r *http.Request) {
	oauthError := func(status int, code, desc string) {
		httpx.WriteJSON(w, status, map[string]string{"error": code, "error_description": desc})
	}
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/x-www-form-urlencoded" {
		oauthError(http.StatusBadRequest, "invalid_request", "the body must be application/x-www-form-urlencoded")
		return
	}
	if err := r.ParseForm(); err != nil {
		if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
			oauthError(http.StatusRequestEntityTooLarge, "invalid_request", "the body is larger than 8 KiB")
			return
		}
		oauthError(http.StatusBadRequest, "invalid_request", "the form cannot be read: "+err.Error())
		return
	}
	if gt := r.PostForm.Get("grant_type"); gt != "client_credentials" {
		oauthError(http.StatusBadRequest, "unsupported_grant_type", `grant_type must be "client_credentials"`)
		return
	}
	id, sec := r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	if bid, bsec, ok := r.BasicAuth(); ok {
		id, sec = bid, bsec
	}
	if id == "" || sec == "" {
		oauthError(http.StatusBadRequest, "invalid_request", "client_id and client_secret are required")
		return
	}
	var (
		token string
		ttl   time.Duration
	)
	err := s.guarded(r, kindClient, id, func() (err error) {
		token, ttl, err = s.IssueClientToken(r.Context(), id, sec)
		return err
	})
	var locked *errLocked
	switch {
	case errors.As(err, &locked):
		w.Header().Set("Retry-After", httpx.RetryAfter(locked.wait))
		oauthError(http.StatusTooManyRequests, protocol.CodeRateLimited, locked.why+"; retry in "+httpx.RetryAfter(locked.wait)+" s")
		return
	case errors.Is(err, ErrBadCredentials):
		oauthError(http.StatusUnauthorized, "invalid_client", "unknown client or wrong secret")
		return
	case errors.Is(err, store.ErrInvalid):
		oauthError(http.StatusBadRequest, "invalid_request", "client_id: "+malformed)
		return
	case err != nil:
		s.log().ErrorContext(r.Context(), "issue client token", "err", err)
		oauthError(http.StatusInternalServerError, "server_error", "the token could not be issued")
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{
		"access_token": token, "token_type": "Bearer", "expires_in": int(ttl.Seconds()),
	})
}

func (s *Service) handleLogin(w http.ResponseWriter, r *http.Request) {
	var req protocol.LoginRequest
	if !httpx.DecodeBody(w, r, 8<<10, &req) {
		return
	}
	if strings.TrimSpace(req.Email) == "" || req.Password == "" {
		httpx.Refuse(w, protocol.CodeInvalidRequest, "email and password are required")
		return
	}
	var (
		token string
		a     *store.Agent
	)
	err := s.guarded(r, kindAgent, store.NormalizeEmail(req.Email), func() (err error) {
		token, a, err = s.Login(r.Context(), req.Email, req.Password)
		return err
	})
	var locked *errLocked
	switch {
	case errors.As(err, &locked):
		httpx.WriteRateLimited(w, locked.wait, locked.why)
		return
	case errors.Is(err, ErrBadCredentials):
		httpx.Refuse(w, protocol.CodeInvalidCredentials, "wrong email or password")
		return
	case errors.Is(err, store.ErrInvalid):
		httpx.Refuse(w, protocol.CodeInvalidRequest, "email: "+malformed)
		return
	case err != nil:
		httpx.Fail(w, r, s.log(), fmt.Errorf("log in: %w", err))
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: SessionCookie, Value: token, Path: "/", HttpOnly: true,
		Secure: s.SecureCookies || r.TLS != nil, SameSite: http.SameSiteStrictMode,
		MaxAge: int(s.sessionTTL().Seconds()),
	})
	httpx.WriteJSON(w, http.StatusOK, protocol.AgentLogin{Agent: me(a), Token: token, ExpiresIn: int(s.sessionTTL().Seconds())})
}

func (s *Service) handleLogout(w http.ResponseWriter, r *http.Request) {
	token := ""
	if c, err := r.Cookie(SessionCookie); err == nil {
		token = c.Value
	}
	if h := r.Header.Get("Authorization"); strings.HasPrefix(h, "Bearer ") {
		token = strings.TrimPrefix(h, "Bearer ")
	}
	if token != "" {
		if err := s.Logout(r.Context(), token); err != nil {
			s.log().ErrorContext(r.Context(), "log out", "err", err)
		}
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", HttpOnly: true, MaxAge: -1,
		Secure: s.SecureCookies || r.TLS != nil, SameSite: http.SameSiteStrictMode})
	w.WriteHeader(http.StatusNoContent)
}
