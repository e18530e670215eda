package store

import (
	"context"
	"reflect"
	"testing"
	"time"
)

// Portal sessions find their enabled, unexpired user; ending one, all of
// a user's, or the expired ones removes exactly those.
func TestPortalSessions(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		now := s.Now()
		ann := &User{Email: "Ann@Portal.test", FirstName: "Ann", PasswordHash: "h"}
		bob := &User{Email: "bob@portal.test", PasswordHash: "h"}
		must(t, s.CreateUser(ctx, ann))
		must(t, s.CreateUser(ctx, bob))
		for _, sess := range []*PortalSession{
			{TokenHash: "ann-1", UserID: ann.ID, ExpiresAt: now.Add(time.Hour)},
			{TokenHash: "ann-2", UserID: ann.ID, ExpiresAt: now.Add(time.Hour)},
			{TokenHash: "ann-old", UserID: ann.ID, ExpiresAt: now.Add(-time.Minute)},
			{TokenHash: "bob-1", UserID: bob.ID, ExpiresAt: now.Add(time.Hour)},
		} {
			must(t, s.CreatePortalSession(ctx, sess))
		}
		wantErr(t, s.CreatePortalSession(ctx, &PortalSession{TokenHash: "ghost", UserID: 999999, ExpiresAt: now.Add(time.Hour)}), ErrConflict)
		wantErr(t, s.CreatePortalSession(ctx, &PortalSession{UserID: ann.ID, ExpiresAt: now.Add(time.Hour)}), ErrInvalid)

		check := func(step string, want map[string]int64) {
			t.Helper()
			checkSessions(t, step, want, func(h string) (*User, error) { return s.UserBySession(ctx, h, now) }, func(u *User) int64 { return u.ID })
		}
		check("created", map[string]int64{"ann-1": ann.ID, "ann-2": ann.ID, "ann-old": 0, "bob-1": bob.ID, "nosuch": 0})
		_, err := s.UserBySession(ctx, "a\x00b", now)
		wantErr(t, err, ErrInvalid)

		must(t, s.DeletePortalSession(ctx, "ann-1"))
		must(t, s.DeletePortalSession(ctx, "ann-1")) // gone already: no error
		check("one ended", map[string]int64{"ann-1": 0, "ann-2": ann.ID, "bob-1": bob.ID})

		bob.Disabled = true
		must(t, s.UpdateUser(ctx, bob))
		got, err := s.GetUser(ctx, bob.ID)
		if err != nil || !got.Disabled {
			t.Fatalf("disabled user reads back %+v %v", got, err)
		}
		check("bob disabled", map[string]int64{"ann-2": ann.ID, "bob-1": 0})

		n, err := s.DeleteExpiredPortalSessions(ctx, now)
		if err != nil || n != 1 {
			t.Errorf("expired sessions deleted: %d %v, want 1", n, err)
		}
		must(t, s.DeletePortalSessionsOf(ctx, ann.ID))
		check("all of ann's ended", map[string]int64{"ann-2": 0})
	})
}

// Agent sessions, API tokens and portal sessions are kept and found
// alike: a credential finds its owner until it expires, an empty hash or
// an unknown owner is refused, a hash with a NUL byte is invalid on both
// databases, and the sweep removes the expired ones.
func TestCredentials(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		now := s.Now()
		ag := &Agent{Email: "cred@agents.test", Role: RoleAgent}
		ac := &APIClient{Name: "cred", SecretHash: "h"}
		u := &User{Email: "cred@users.test"}
		must(t, s.CreateAgent(ctx, ag))
		must(t, s.CreateAPIClient(ctx, ac))
		must(t, s.CreateUser(ctx, u))
		credentialCase(t, now, ag.ID, func(hash string, id int64, exp time.Time) error {
			return s.CreateAgentSession(ctx, &AgentSession{TokenHash: hash, AgentID: id, ExpiresAt: exp})
		}, func(hash string) (*Agent, error) { return s.AgentBySession(ctx, hash, now) }, func(a *Agent) int64 { return a.ID })
		credentialCase(t, now, ac.ID, func(hash string, id int64, exp time.Time) error {
			return s.CreateAPIToken(ctx, &APIToken{TokenHash: hash, APIClientID: id, ExpiresAt: exp})
		}, func(hash string) (*APIClient, error) { return s.APIClientByToken(ctx, hash, now) }, func(c *APIClient) int64 { return c.ID })
		credentialCase(t, now, u.ID, func(hash string, id int64, exp time.Time) error {
			return s.CreatePortalSession(ctx, &PortalSession{TokenHash: hash, UserID: id, ExpiresAt: exp})
		}, func(hash string) (*User, error) { return s.UserBySession(ctx, hash, now) }, func(u *User) int64 { return u.ID })
		if n, err := s.DeleteExpiredAuth(ctx, now); err != nil || n != 2 {
			t.Errorf("DeleteExpiredAuth = %d, %v; want the expired agent session and API token", n, err)
		}
		if n, err := s.DeleteExpiredPortalSessions(ctx, now); err != nil || n != 1 {
			t.Errorf("DeleteExpiredPortalSessions = %d, %v; want the expired portal session", n, err)
		}
	})
}

// credentialCase stores a live and an expired credential (at now) for
// owner with create, and checks what find answers for them and for bad
// hashes.
func credentialCase[T any](t *testing.T, now time.Time, owner int64, create func(hash string, owner int64, expires time.Time) error,
	find func(hash string) (*T, error), id func(*T) int64) {
	t.Helper()
	must(t, create("live", owner, now.Add(time.Hour)))
	must(t, create("old", owner, now.Add(-time.Minute)))
	wantErr(t, create("", owner, now.Add(time.Hour)), ErrInvalid)
	wantErr(t, create("ghost", 999999, now.Add(time.Hour)), ErrConflict)
	if got, err := find("live"); err != nil || id(got) != owner {
		t.Errorf("%T of the live credential: %+v, %v; want %d", got, got, err, owner)
	}
	for hash, want := range map[string]error{"old": ErrNotFound, "nosuch": ErrNotFound, "a\x00b": ErrInvalid} {
		_, err := find(hash)
		wantErr(t, err, want)
	}
}

// Agent sessions find their enabled, unexpired agent; ending all of an
// agent's but one keeps exactly that one, and another agent's.
func TestAgentSessions(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		now := s.Now()
		ann := &Agent{Email: "ann@agents.test", Name: "Ann", Role: RoleAgent, PasswordHash: "h"}
		bob := &Agent{Email: "bob@agents.test", Name: "Bob", Role: RoleAgent, PasswordHash: "h"}
		must(t, s.CreateAgent(ctx, ann))
		must(t, s.CreateAgent(ctx, bob))
		for _, sess := range []*AgentSession{
			{TokenHash: "ann-1", AgentID: ann.ID, ExpiresAt: now.Add(time.Hour)},
			{TokenHash: "ann-2", AgentID: ann.ID, ExpiresAt: now.Add(time.Hour)},
			{TokenHash: "ann-3", AgentID: ann.ID, ExpiresAt: now.Add(time.Hour)},
			{TokenHash: "ann-old", AgentID: ann.ID, ExpiresAt: now.Add(-time.Minute)},
			{TokenHash: "bob-1", AgentID: bob.ID, ExpiresAt: now.Add(time.Hour)},
		} {
			must(t, s.CreateAgentSession(ctx, sess))
		}
		check := func(step string, want map[string]int64) {
			t.Helper()
			checkSessions(t, step, want, func(h string) (*Agent, error) { return s.AgentBySession(ctx, h, now) }, func(a *Agent) int64 { return a.ID })
		}
		check("created", map[string]int64{"ann-1": ann.ID, "ann-2": ann.ID, "ann-3": ann.ID, "ann-old": 0, "bob-1": bob.ID})
		// The session's agent reads as GetAgent reads it, before and after
		// it was last seen.
		for _, step := range []string{"never seen", "seen"} {
			if step == "seen" {
				must(t, s.TouchAgents(ctx, "node-1", []int64{ann.ID}))
			}
			bySession, err := s.AgentBySession(ctx, "ann-1", now)
			must(t, err)
			byID, err := s.GetAgent(ctx, ann.ID)
			must(t, err)
			if !reflect.DeepEqual(bySession, byID) || (step == "seen") == byID.LastSeenAt.IsZero() {
				t.Errorf("%s: AgentBySession read %+v, GetAgent %+v", step, bySession, byID)
			}
		}
		must(t, s.DeleteAgentSessionsOf(ctx, ann.ID, "ann-2"))
		check("all of ann's but ann-2 ended", map[string]int64{"ann-1": 0, "ann-2": ann.ID, "ann-3": 0, "bob-1": bob.ID})
		must(t, s.DeleteAgentSessionsOf(ctx, ann.ID, ""))
		check("all of ann's ended", map[string]int64{"ann-2": 0, "bob-1": bob.ID})
	})
}

// checkSessions checks whom each session (by token hash) finds: the one
// of the id wanted, or nobody (0).
func checkSessions[T any](t *testing.T, step string, want map[string]int64, find func(hash string) (*T, error), idOf func(*T) int64) {
	t.Helper()
	for hash, id := range want {
		got, err := find(hash)
		switch {
		case id == 0 && err == nil:
			t.Errorf("%s: session %s still finds %d", step, hash, idOf(got))
		case id != 0 && (err != nil || idOf(got) != id):
			t.Errorf("%s: session %s: %v %v, want %d", step, hash, got, err, id)
		}
	}
}
