package securitytest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"halochat/app/protocol"
	"halochat/backend/auth"
	"halochat/backend/demo"
	"halochat/backend/service"
	"halochat/backend/store"
)

// newAgent creates an account through the admin API (as admin, a session
// token) and returns its id and login.
func (s *server) newAgent(t *testing.T, admin, email, role string) (int64, demo.Login) {
	t.Helper()
	l := demo.Login{Email: email, Password: "password-" + email, Name: "Agent " + email, Role: role}
	r := s.do("POST", "/api/Agent", mustJSON(protocol.AgentInput{Agent: protocol.Agent{Email: l.Email, Name: l.Name, Role: role},
		Password: l.Password}), append(bearer(admin), "Content-Type", "application/json")...)
	var a protocol.Agent
	if r.status != http.StatusCreated || json.Unmarshal(r.body, &a) != nil {
		t.Fatalf("create agent %s: %d %s", email, r.status, r.body)
	}
	return a.ID, l
}

// putAgent sends PUT /api/Agent/{id} as admin: the account's fields as
// they are, with disabled and a password (empty: none) as given.
func (s *server) putAgent(admin string, id int64, l demo.Login, disabled bool, password string) response {
	in := protocol.AgentInput{Agent: protocol.Agent{ID: id, Email: l.Email, Name: l.Name, Role: l.Role, Disabled: disabled}, Password: password}
	return s.do("PUT", fmt.Sprintf("/api/Agent/%d", id), mustJSON(in), append(bearer(admin), "Content-Type", "application/json")...)
}

// dialAgent opens /agent/ws with header: the socket and nil once its
// ready frame came, or the refused upgrade's status.
func (s *server) dialAgent(t *testing.T, header http.Header) (*websocket.Conn, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(s.url, "http")+"/agent/ws", &websocket.DialOptions{HTTPHeader: header})
	if err != nil {
		if resp == nil {
			t.Fatalf("dial /agent/ws: %v", err)
		}
		return nil, resp.StatusCode
	}
	t.Cleanup(func() { ws.CloseNow() })
	ws.SetReadLimit(1 << 20)
	for {
		_, data, err := ws.Read(ctx)
		if err != nil {
			t.Fatalf("agent socket: no ready frame: %v", err)
		}
		var f protocol.Frame
		if err := json.Unmarshal(data, &f); err != nil {
			t.Fatalf("agent socket: frame %s: %v", data, err)
		}
		if f.Type == protocol.FrameReady {
			return ws, http.StatusSwitchingProtocols
		}
	}
}

// closeOf reads the socket until it closes, within the time given: the
// close status and reason, and the code of the last error frame.
func closeOf(t *testing.T, ws *websocket.Conn, within time.Duration) (websocket.StatusCode, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	code := ""
	for {
		_, data, err := ws.Read(ctx)
		if err != nil {
			if ctx.Err() != nil {
				t.Fatalf("the socket is still open after %v", within)
			}
			var ce websocket.CloseError
			if !errors.As(err, &ce) {
				t.Fatalf("the socket ended without a close frame: %v", err)
			}
			return ce.Code, ce.Reason, code
		}
		var f protocol.Frame
		if json.Unmarshal(data, &f) == nil && f.Error != nil {
			code = f.Error.Code
		}
	}
}

// The agent socket takes only the service's own origin: an agent's
// SameSite=Strict cookie still rides along from any page of the same site
// (another port of the host, a sibling subdomain), which must not get a
// socket that reads every chat and sends as the agent. A client without
// an Origin is no browser, so no page is riding on it: it holds the
// credential itself (the visitor socket's rule).
func TestAgentSocketNeedsTheServiceOrigin(t *testing.T) {
	forEachDB(t, service.Unlimited(), func(t *testing.T, s *server) {
		tok := s.login(s.demo.Agent)
		cookie := auth.SessionCookie + "=" + tok
		samePort := strings.TrimPrefix(s.url, "http://")
		for _, tc := range []struct {
			name   string
			header http.Header
			status int
		}{
			{"cookie, a foreign origin", http.Header{"Cookie": {cookie}, "Origin": {"http://evil.test"}}, http.StatusForbidden},
			{"cookie, another port of the same host", http.Header{"Cookie": {cookie}, "Origin": {"http://127.0.0.1:1"}}, http.StatusForbidden},
			{"cookie, a sibling subdomain", http.Header{"Cookie": {cookie}, "Origin": {"http://other.localhost"}}, http.StatusForbidden},
			{"cookie, the same host over https", http.Header{"Cookie": {cookie}, "Origin": {"https://" + samePort}}, http.StatusForbidden},
			{"cookie, Origin null", http.Header{"Cookie": {cookie}, "Origin": {"null"}}, http.StatusForbidden},
			{"bearer, a foreign origin", http.Header{"Authorization": {"Bearer " + tok}, "Origin": {"http://evil.test"}}, http.StatusForbidden},
			{"cookie, the service's origin", http.Header{"Cookie": {cookie}, "Origin": {s.url}}, http.StatusSwitchingProtocols},
			{"bearer, no Origin (not a browser)", http.Header{"Authorization": {"Bearer " + tok}}, http.StatusSwitchingProtocols},
			{"cookie, no Origin (not a browser)", http.Header{"Cookie": {cookie}}, http.StatusSwitchingProtocols},
		} {
			ws, status := s.dialAgent(t, tc.header)
			if status != tc.status {
				t.Errorf("%s: %d, want %d", tc.name, status, tc.status)
			}
			if ws != nil {
				ws.CloseNow()
			}
		}
	})
}

// Ending an agent's session (logout), disabling the agent (DELETE, or PUT
// disabled) or setting a new password (PUT with a password) closes the
// agent's open sockets at once, with a close reason that says why; the
// ended sessions are refused everywhere after.
func TestRevokedAgentSocketsClose(t *testing.T) {
	forEachDB(t, service.Unlimited(), func(t *testing.T, s *server) {
		admin := s.login(s.demo.Admin)
		for i, tc := range []struct {
			name   string
			revoke func(id int64, l demo.Login, token string) response
			reason string // a word of the close reason
			others bool   // the agent's other sessions end too
		}{
			{"POST /auth/logout", func(_ int64, _ demo.Login, tok string) response {
				return s.do("POST", "/auth/logout", nil, bearer(tok)...)
			}, "session", false},
			{"DELETE /api/Agent/{id}", func(id int64, _ demo.Login, _ string) response {
				return s.do("DELETE", fmt.Sprintf("/api/Agent/%d", id), nil, bearer(admin)...)
			}, "disabled", true},
			{"PUT /api/Agent/{id} disabled", func(id int64, l demo.Login, _ string) response {
				return s.putAgent(admin, id, l, true, "")
			}, "disabled", true},
			{"PUT /api/Agent/{id} with a new password", func(id int64, l demo.Login, _ string) response {
				return s.putAgent(admin, id, l, false, "a-new-password-42")
			}, "session", true},
		} {
			t.Run(tc.name, func(t *testing.T) {
				id, l := s.newAgent(t, admin, fmt.Sprintf("revoked%d@example.test", i), store.RoleAgent)
				tok, other := s.login(l), s.login(l)
				ws, _ := s.dialAgent(t, http.Header{"Authorization": {"Bearer " + tok}})
				if r := tc.revoke(id, l, tok); r.status/100 != 2 {
					t.Fatalf("revoke: %d %s", r.status, r.body)
				}
				code, reason, frame := closeOf(t, ws, 5*time.Second)
				if code != websocket.StatusPolicyViolation || !strings.Contains(reason, tc.reason) || frame != protocol.CodeUnauthorized {
					t.Fatalf("closed with %d %q after an error frame %q; want %d naming %q after %q",
						code, reason, frame, websocket.StatusPolicyViolation, tc.reason, protocol.CodeUnauthorized)
				}
				if r := s.do("GET", "/auth/me", nil, bearer(tok)...); r.status != http.StatusUnauthorized {
					t.Errorf("the ended session still answers /auth/me: %d", r.status)
				}
				if _, status := s.dialAgent(t, http.Header{"Authorization": {"Bearer " + tok}}); status != http.StatusUnauthorized {
					t.Errorf("the ended session still opens a socket: %d", status)
				}
				want := http.StatusOK
				if tc.others {
					want = http.StatusUnauthorized
				}
				if r := s.do("GET", "/auth/me", nil, bearer(other)...); r.status != want {
					t.Errorf("the agent's other session answers /auth/me %d, want %d", r.status, want)
				}
			})
		}
	})
}

// A new password ends the account's other sessions (as a portal user's
// does): an admin setting another agent's password ends all of theirs; an
// admin setting their own keeps the session that set it.
func TestAPasswordResetEndsTheOtherSessions(t *testing.T) {
	forEachDB(t, service.Unlimited(), func(t *testing.T, s *server) {
		admin := s.login(s.demo.Admin)
		id, l := s.newAgent(t, admin, "reset@example.test", store.RoleAgent)
		a1, a2 := s.login(l), s.login(l)
		if r := s.putAgent(admin, id, l, false, "the-new-password-1"); r.status != http.StatusOK {
			t.Fatalf("PUT password: %d %s", r.status, r.body)
		}
		for _, tok := range []string{a1, a2} {
			if r := s.do("GET", "/auth/me", nil, bearer(tok)...); r.status != http.StatusUnauthorized {
				t.Errorf("an agent's session outlives their password reset: /auth/me %d", r.status)
			}
		}

		selfID, self := s.newAgent(t, admin, "self@example.test", store.RoleAdmin)
		mine, theirs := s.login(self), s.login(self)
		if r := s.putAgent(mine, selfID, self, false, "my-own-new-password"); r.status != http.StatusOK {
			t.Fatalf("PUT own password: %d %s", r.status, r.body)
		}
		if r := s.do("GET", "/auth/me", nil, bearer(mine)...); r.status != http.StatusOK {
			t.Errorf("the session that set the password was ended: /auth/me %d", r.status)
		}
		if r := s.do("GET", "/auth/me", nil, bearer(theirs)...); r.status != http.StatusUnauthorized {
			t.Errorf("another session outlives the own password change: /auth/me %d", r.status)
		}
	})
}
