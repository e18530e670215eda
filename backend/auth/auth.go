// Package auth authenticates the people and programs that use the API:
// agents and admins log in with email and password and get a session
// (a cookie for the browser, or the same token as a bearer); API clients
// exchange their id and secret for an expiring bearer token (OAuth 2
// client credentials). Only hashes of sessions, tokens and secrets are
// stored.
package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"halochat/backend/secret"
	"halochat/backend/store"
)

// PermAdmin lets an API client use the admin API, and implies every other
// permission. The others are named in store: store.PermReadModifyUsers
// ("users:write", "Read & Modify Users"), store.PermChatsRead,
// store.PermChatsWrite, store.PermTicketsRead, store.PermTicketsWrite and
// store.PermMetricsRead.
const PermAdmin = "admin"

// Permissions lists every permission an API client may hold.
func Permissions() []string {
	return []string{PermAdmin, store.PermReadModifyUsers, store.PermChatsRead, store.PermChatsWrite,
		store.PermTicketsRead, store.PermTicketsWrite, store.PermMetricsRead}
}

// Holds reports whether API client c holds perm: named, or implied by
// PermAdmin.
func Holds(c *store.APIClient, perm string) bool {
	return slices.Contains(c.Permissions, perm) || slices.Contains(c.Permissions, PermAdmin)
}

// SessionCookie is the name of the agent session cookie.
const SessionCookie = "halochat_session"

// Token prefixes tell a session token from an API client token.
const (
	sessionPrefix = "hcs_"
	clientPrefix  = "hct_"
)

// Defaults for Service.
const (
	DefaultSessionTTL = 12 * time.Hour
	DefaultTokenTTL   = time.Hour
)

// ErrBadCredentials: unknown email, wrong password, disabled account, or
// unknown client or wrong secret. One error for all, so that a caller
// learns nothing about which accounts exist.
var ErrBadCredentials = errors.New("the credentials are not valid")

// Service logs agents in and issues API client tokens.
type Service struct {
	Store *store.Store
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// SessionTTL and TokenTTL bound sessions and client tokens (defaults
	// DefaultSessionTTL and DefaultTokenTTL).
	SessionTTL, TokenTTL time.Duration
	// SecureCookies marks the session cookie Secure even when the request
	// did not come over TLS (behind a TLS-terminating proxy).
	SecureCookies bool
	// Logger receives the service's failures and the lockouts
	// (slog.Default when nil).
	Logger *slog.Logger
	// Limits bound password guessing (zero fields take the defaults).
	Limits Limits
	// OnRevoke, when set, is told after the commit that sessions of an
	// agent ended (a logout, a new password), that the agent was
	// disabled, or that their account changed (Changed): the real-time
	// server closes the sockets that no longer hold and has the others
	// read the agent again, on every node (realtime.Server.AgentChanged).
	OnRevoke func(agentID int64)

	guardOnce sync.Once
	g         *guard
}

func (s *Service) log() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Service) sessionTTL() time.Duration {
	if s.SessionTTL > 0 {
		return s.SessionTTL
	}
	return DefaultSessionTTL
}

func (s *Service) tokenTTL() time.Duration {
	if s.TokenTTL > 0 {
		return s.TokenTTL
	}
	return DefaultTokenTTL
}

// dummyHash (bcrypt, cost 11, of a password nobody has) keeps a login
// for an unknown email as slow as one for a known email: no timing oracle
// for which accounts exist.
const dummyHash = "$2a$11$mfIcFJyZsHjCDwRtSs4tT.WsbZNujCfSB3Jn6FO0XlqlL8sbSuoa6"

// DummyPasswordHash is dummyHash for other logins (the portal's) that must
// take as long for an unknown account as for a known one.
const DummyPasswordHash = dummyHash

// Login checks an agent's email and password and opens a session. It
// returns the session token (for the cookie, or as a bearer).
func (s *Service) Login(ctx context.Context, email, password string) (string, *store.Agent, error) {
	a, err := s.Store.GetAgentByEmail(ctx, email)
	if errors.Is(err, store.ErrNotFound) {
		secret.CheckPassword(dummyHash, password)
		return "", nil, ErrBadCredentials
	}
	if err != nil {
		return "", nil, fmt.Errorf("log in %s: %w", email, err)
	}
	if !secret.CheckPassword(a.PasswordHash, password) || a.Disabled {
		return "", nil, ErrBadCredentials
	}
	token := sessionPrefix + secret.Token(32)
	err = s.Store.CreateAgentSession(ctx, &store.AgentSession{
		TokenHash: secret.HashKey(token), AgentID: a.ID, ExpiresAt: s.now().Add(s.sessionTTL()),
	})
	if err != nil {
		return "", nil, err
	}
	return token, a, nil
}

// Logout ends the session of token.
func (s *Service) Logout(ctx context.Context, token string) error {
	h := secret.HashKey(token)
	a, err := s.Store.AgentBySession(ctx, h, s.now())
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("log out: %w", err)
	}
	if err := s.Store.DeleteAgentSession(ctx, h); err != nil {
		return fmt.Errorf("log out: %w", err)
	}
	if a != nil { // else the session held nothing: its sockets find out at their heartbeat
		s.revoked(a.ID)
	}
	return nil
}

// EndSessions ends every session of an agent but keep (a session, as
// SessionFrom gives it; "" for none), and closes the sockets of the ended
// ones: the agent was disabled or enabled again, or has a new password.
func (s *Service) EndSessions(ctx context.Context, agentID int64, keep string) error {
	if err := s.Store.DeleteAgentSessionsOf(ctx, agentID, keep); err != nil {
		return err
	}
	s.revoked(agentID)
	return nil
}

// Changed says that an agent's account changed (their name): their
// sockets, on every node, read it again, and send under the new name.
func (s *Service) Changed(agentID int64) { s.revoked(agentID) }

func (s *Service) revoked(agentID int64) {
	if s.OnRevoke != nil {
		s.OnRevoke(agentID)
	}
}

// Session ends, as CheckSession tells them (short: they are websocket
// close reasons).
const (
	EndedSession  = "the session has ended: log in again"
	EndedDisabled = "the agent was disabled"
)

// CheckSession reads again whether an agent's session (SessionFrom)
// holds: unexpired, not ended, its agent enabled. It returns the agent
// (as stored now) while it holds; once it does not, why (EndedSession or
// EndedDisabled); an error when the store could not tell.
func (s *Service) CheckSession(ctx context.Context, agentID int64, session string) (*store.Agent, string, error) {
	a, err := s.Store.AgentBySession(ctx, session, s.now())
	if err == nil && a.ID == agentID {
		return a, "", nil
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, "", fmt.Errorf("check the session of agent %d: %w", agentID, err)
	}
	a, err = s.Store.GetAgent(ctx, agentID)
	switch {
	case err == nil && a.Disabled:
		return nil, EndedDisabled, nil
	case err == nil || errors.Is(err, store.ErrNotFound):
		return nil, EndedSession, nil
	}
	return nil, "", fmt.Errorf("check the session of agent %d: %w", agentID, err)
}

// IssueClientToken checks an API client's id and secret and issues a
// bearer token.
func (s *Service) IssueClientToken(ctx context.Context, clientID, clientSecret string) (string, time.Duration, error) {
	c, err := s.Store.GetAPIClientByClientID(ctx, clientID)
	if errors.Is(err, store.ErrNotFound) {
		return "", 0, ErrBadCredentials
	}
	if err != nil {
		return "", 0, fmt.Errorf("issue a token to %s: %w", clientID, err)
	}
	if !secret.CheckKey(c.SecretHash, clientSecret) || c.Disabled {
		return "", 0, ErrBadCredentials
	}
	token := clientPrefix + secret.Token(32)
	ttl := s.tokenTTL()
	err = s.Store.CreateAPIToken(ctx, &store.APIToken{
		TokenHash: secret.HashKey(token), APIClientID: c.ID, ExpiresAt: s.now().Add(ttl),
	})
	if err != nil {
		return "", 0, err
	}
	return token, ttl, nil
}

// principal is who made a request: an agent (by session) or an API client.
type principal struct {
	agent     *store.Agent
	session   string // the agent's session: its token's hash
	client    *store.APIClient
	viaCookie bool
}

// identify reads the bearer token or the session cookie. No credentials
// at all is (nil, nil); credentials that do not hold are an error.
func (s *Service) identify(r *http.Request) (*principal, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, token, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
			return nil, errors.New(`the Authorization header must be "Bearer <token>"`)
		}
		return s.fromToken(r.Context(), strings.TrimSpace(token), false)
	}
	if c, err := r.Cookie(SessionCookie); err == nil && c.Value != "" {
		return s.fromToken(r.Context(), c.Value, true)
	}
	return nil, nil
}

func (s *Service) fromToken(ctx context.Context, token string, viaCookie bool) (*principal, error) {
	h := secret.HashKey(token)
	switch {
	case strings.HasPrefix(token, sessionPrefix):
		a, err := s.Store.AgentBySession(ctx, h, s.now())
		if errors.Is(err, store.ErrNotFound) {
			return nil, errors.New("the session has expired or was ended: log in again")
		}
		if err != nil {
			return nil, err
		}
		return &principal{agent: a, session: h, viaCookie: viaCookie}, nil
	case strings.HasPrefix(token, clientPrefix) && !viaCookie:
		c, err := s.Store.APIClientByToken(ctx, h, s.now())
		if errors.Is(err, store.ErrNotFound) {
			return nil, errors.New("the access token has expired or is not valid: get a new one from /auth/token")
		}
		if err != nil {
			return nil, err
		}
		return &principal{client: c}, nil
	}
	return nil, errors.New("the token is not valid")
}

type ctxKey int

const (
	agentKey ctxKey = iota
	sessionKey
	clientKey
)

// AgentFrom returns the agent a Require* middleware let through, or nil.
func AgentFrom(ctx context.Context) *store.Agent {
	a, _ := ctx.Value(agentKey).(*store.Agent)
	return a
}

// SessionFrom returns the agent a Require* middleware let through and
// their session (for CheckSession and EndSessions), or nil and "".
func (s *Service) SessionFrom(ctx context.Context) (*store.Agent, string) {
	sess, _ := ctx.Value(sessionKey).(string)
	return AgentFrom(ctx), sess
}

// ClientFrom returns the API client a Require* middleware let through, or nil.
func ClientFrom(ctx context.Context) *store.APIClient {
	c, _ := ctx.Value(clientKey).(*store.APIClient)
	return c
}
