package auth_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"halochat/backend/auth"
	"halochat/backend/secret"
	"halochat/backend/store"
	"halochat/backend/testenv"
)

// Ending sessions: a logout ends its own, EndSessions all of an agent's
// but the one kept; OnRevoke hears of each agent whose sessions ended;
// CheckSession tells a session that holds from one that ended (and why).
func TestSessionRevocation(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dsn string) {
		f := newFixture(t, dsn)
		ctx := context.Background()
		var mu sync.Mutex
		var told []int64
		f.svc.OnRevoke = func(id int64) { mu.Lock(); told = append(told, id); mu.Unlock() }

		for i, tc := range []struct {
			name   string
			act    func(a *store.Agent, tokens []string) error
			told   bool
			ended  []string // CheckSession's answer for each session
			expire bool     // the clock passes the sessions' end before the check
		}{
			{"logout ends its own session", func(_ *store.Agent, toks []string) error {
				return f.svc.Logout(ctx, toks[0])
			}, true, []string{auth.EndedSession, ""}, false},
			{"a logout of no session tells nobody", func(_ *store.Agent, _ []string) error {
				return f.svc.Logout(ctx, "hcs_nosuchsession")
			}, false, []string{"", ""}, false},
			{"EndSessions keeps the one named", func(a *store.Agent, toks []string) error {
				return f.svc.EndSessions(ctx, a.ID, secret.HashKey(toks[1]))
			}, true, []string{auth.EndedSession, ""}, false},
			{"a disabled agent's sessions end for that reason", func(a *store.Agent, _ []string) error {
				a.Disabled = true
				if err := f.st.UpdateAgent(ctx, a); err != nil {
					return err
				}
				return f.svc.EndSessions(ctx, a.ID, "")
			}, true, []string{auth.EndedDisabled, auth.EndedDisabled}, false},
			{"expired sessions have ended", func(*store.Agent, []string) error { return nil },
				false, []string{auth.EndedSession, auth.EndedSession}, true},
		} {
			t.Run(tc.name, func(t *testing.T) {
				a := &store.Agent{Email: fmt.Sprintf("revoke%d@example.test", i), Name: "R", Role: store.RoleAgent, PasswordHash: "x"}
				if err := f.st.CreateAgent(ctx, a); err != nil {
					t.Fatal(err)
				}
				toks := []string{fmt.Sprintf("hcs_revoke%d_a", i), fmt.Sprintf("hcs_revoke%d_b", i)}
				for _, tok := range toks {
					if err := f.st.CreateAgentSession(ctx, &store.AgentSession{TokenHash: secret.HashKey(tok), AgentID: a.ID,
						ExpiresAt: f.clock.Add(time.Hour)}); err != nil {
						t.Fatal(err)
					}
				}
				mu.Lock()
				told = nil
				mu.Unlock()
				if err := tc.act(a, toks); err != nil {
					t.Fatal(err)
				}
				if got := slices.Clone(told); tc.told != slices.Equal(got, []int64{a.ID}) || !tc.told && len(got) > 0 {
					t.Errorf("OnRevoke heard of %v, want agent %d told %v", got, a.ID, tc.told)
				}
				if tc.expire {
					defer func(now time.Time) { *f.clock = now }(*f.clock)
					*f.clock = f.clock.Add(2 * time.Hour)
				}
				for j, tok := range toks {
					got, ended, err := f.svc.CheckSession(ctx, a.ID, secret.HashKey(tok))
					if err != nil || ended != tc.ended[j] || (ended == "") != (got != nil && got.ID == a.ID) {
						t.Errorf("session %d: %v %q %v, want ended %q", j, got, ended, err, tc.ended[j])
					}
				}
			})
		}
	})
}

// SessionFrom gives the session the request was let through with: the
// one CheckSession and EndSessions take; none for an API client.
func TestSessionFrom(t *testing.T) {
	f := newFixture(t, testenv.SQLiteDSN(t))
	var agent *store.Agent
	var session string
	mux := http.NewServeMux()
	mux.Handle("/who", f.svc.RequireAgent(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		agent, session = f.svc.SessionFrom(r.Context())
	})))
	mux.Handle("/any", f.svc.RequirePermission(store.PermReadModifyUsers, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		agent, session = f.svc.SessionFrom(r.Context())
	})))
	tok, c := f.login(t, "agent@example.test", agentPass)
	client := f.clientToken(t, "users", usersKey)
	f.srv = httptest.NewServer(mux)
	defer f.srv.Close()
	for _, h := range [][]string{{"Authorization", "Bearer " + tok}, {"Cookie", c.Name + "=" + c.Value}} {
		agent, session = nil, ""
		if res, _ := f.do(t, "GET", "/who", "", h...); res.StatusCode != 200 || agent == nil || agent.Email != "agent@example.test" || session != secret.HashKey(tok) {
			t.Errorf("%s: %d %v %q, want the agent and their session's hash", h[0], res.StatusCode, agent, session)
		}
	}
	agent, session = nil, "x"
	if res, _ := f.do(t, "GET", "/any", "", "Authorization", "Bearer "+client); res.StatusCode != 200 || agent != nil || session != "" {
		t.Errorf("an API client: %d %v %q, want no agent and no session", res.StatusCode, agent, session)
	}
}
