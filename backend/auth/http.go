package auth

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"halochat/app/protocol"
	"halochat/backend/store"
)

// The answers of this package use the service's error shape:
// {"error":{"code","message"}}.
func writeError(w http.ResponseWriter, status int, code, msg string) {
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="halochat"`)
	}
	writeJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// authenticate runs next with the principal in the context if allow
// accepts it; it answers 401 with no or bad credentials, 403 when allow
// refuses, and refuses cross-origin writes authenticated by cookie.
func (s *Service) authenticate(next http.Handler, allow func(*principal) (bool, string)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := s.identify(r)
		if err != nil {
			writeError(w, http.StatusUnauthorized, "unauthorized", err.Error())
			return
		}
		if p == nil {
			writeError(w, http.StatusUnauthorized, "unauthorized", "log in, or send an API token as \"Authorization: Bearer <token>\"")
			return
		}
		// A cookie rides along with cross-site requests: refuse state
		// changes from other origins (Sec-Fetch-Site and Origin vs Host).
		if p.viaCookie {
			if err := http.NewCrossOriginProtection().Check(r); err != nil {
				writeError(w, http.StatusForbidden, "cross_origin", "cross-origin request refused: "+err.Error())
				return
			}
		}
		if ok, why := allow(p); !ok {
			writeError(w, http.StatusForbidden, "forbidden", why)
			return
		}
		ctx := r.Context()
		if p.agent != nil {
			ctx = context.WithValue(ctx, agentKey, p.agent)
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
		return slices.Contains(p.client.Permissions, perm) || slices.Contains(p.client.Permissions, PermAdmin),
			"this API client lacks the \"" + perm + "\" permission"
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
		writeError(w, http.StatusForbidden, "cross_origin", "cross-origin request refused: log in from the service's own pages")
	}))
	mux.Handle("POST /auth/login", csrf.Handler(http.HandlerFunc(s.handleLogin)))
	mux.Handle("POST /auth/logout", csrf.Handler(http.HandlerFunc(s.handleLogout)))
	mux.Handle("GET /auth/me", s.RequireAgent(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, me(AgentFrom(r.Context())))
	})))
}

// handleToken is the OAuth 2 token endpoint for the client_credentials
// grant (RFC 6749 §4.4): form-encoded, credentials in the body or in HTTP
// Basic auth; errors as RFC 6749 §5.2 describes.
func (s *Service) handleToken(w http.ResponseWriter, r *http.Request) {
	oauthError := func(status int, code, desc string) {
		writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
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
	token, ttl, err := s.IssueClientToken(r.Context(), id, sec)
	if errors.Is(err, ErrBadCredentials) {
		oauthError(http.StatusUnauthorized, "invalid_client", "unknown client or wrong secret")
		return
	}
	if err != nil {
		slog.ErrorContext(r.Context(), "issue client token", "err", err)
		oauthError(http.StatusInternalServerError, "server_error", "the token could not be issued")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": token, "token_type": "Bearer", "expires_in": int(ttl.Seconds()),
	})
}

func (s *Service) handleLogin(w http.ResponseWriter, r *http.Request) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			writeError(w, http.StatusUnsupportedMediaType, "unsupported_media", "the body must be JSON (Content-Type: application/json), not "+strconv.Quote(ct))
			return
		}
	}
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	var req protocol.LoginRequest
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
			writeError(w, http.StatusRequestEntityTooLarge, "too_large", "the body is larger than 8 KiB")
			return
		}
		writeError(w, http.StatusBadRequest, "invalid_request", "the body must be JSON {\"email\",\"password\"}: "+err.Error())
		return
	}
	if strings.TrimSpace(req.Email) == "" || req.Password == "" {
		writeError(w, http.StatusBadRequest, "invalid_request", "email and password are required")
		return
	}
	token, a, err := s.Login(r.Context(), req.Email, req.Password)
	if errors.Is(err, ErrBadCredentials) {
		writeError(w, http.StatusUnauthorized, "invalid_credentials", "wrong email or password")
		return
	}
	if err != nil {
		slog.ErrorContext(r.Context(), "log in", "err", err)
		writeError(w, http.StatusInternalServerError, "internal", "the login failed; try again")
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: SessionCookie, Value: token, Path: "/", HttpOnly: true,
		Secure: s.SecureCookies || r.TLS != nil, SameSite: http.SameSiteStrictMode,
		MaxAge: int(s.sessionTTL().Seconds()),
	})
	writeJSON(w, http.StatusOK, protocol.AgentLogin{Agent: me(a), Token: token, ExpiresIn: int(s.sessionTTL().Seconds())})
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
			slog.ErrorContext(r.Context(), "log out", "err", err)
		}
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", HttpOnly: true, MaxAge: -1,
		Secure: s.SecureCookies || r.TLS != nil, SameSite: http.SameSiteStrictMode})
	w.WriteHeader(http.StatusNoContent)
}
