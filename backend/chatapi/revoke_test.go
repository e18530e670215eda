package chatapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"halochat/app/protocol"
	"halochat/backend/realtime"
	"halochat/backend/secret"
	"halochat/backend/store"
	"halochat/backend/testenv"
)

// closed waits until the server has closed the socket, at most within:
// the close status and reason, and the code of the last error frame
// before.
func (c *client) closed(within time.Duration) (websocket.StatusCode, string, string) {
	c.t.Helper()
	select {
	case <-c.done:
	case <-time.After(within):
		c.t.Fatalf("the socket is still open after %v", within)
	}
	code := ""
	frames := c.pending
	for len(c.frames) > 0 {
		frames = append(frames, <-c.frames)
	}
	for _, f := range frames {
		if f.Type == protocol.FrameError && f.Error != nil {
			code = f.Error.Code
		}
	}
	var ce websocket.CloseError
	if !errors.As(c.end, &ce) {
		c.t.Fatalf("the socket ended without a close frame: %v", c.end)
	}
	return ce.Code, ce.Reason, code
}

// wantRevoked checks that the socket was closed for an ended session or
// a disabled agent (the close reason names why) after an unauthorized
// error frame.
func wantRevoked(t *testing.T, c *client, within time.Duration, word string) {
	t.Helper()
	code, reason, frame := c.closed(within)
	if code != websocket.StatusPolicyViolation || frame != protocol.CodeUnauthorized || !strings.Contains(reason, word) {
		t.Fatalf("closed with %d %q after error frame %q; want %d naming %q after %q",
			code, reason, frame, websocket.StatusPolicyViolation, word, protocol.CodeUnauthorized)
	}
}

// queuedChat starts a demo chat on n and sends it to the agents' queue.
func queuedChat(t *testing.T, n *node, id string) string {
	t.Helper()
	resp, _ := queuedVisitor(t, n, id)
	return resp.ChatID
}

// An agent disabled, or whose session ended, while their socket is open
// can neither accept a chat nor send in one: the socket checks the
// session in the database before each frame, a message's in the
// statement that would store it. Here the revocation is made in the
// database alone, with no broker hint (a node that missed it) and a
// heartbeat too slow to notice: only that check stands between the
// socket and the chats.
func TestRevokedAgentCannotAcceptOrSend(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		n := e.node(nodeOpts{limits: realtime.Limits{PingInterval: time.Hour}})
		ctx := context.Background()
		for i, tc := range []struct {
			name   string
			revoke func(a *store.Agent, token string) error
			frame  func(live, queued string) protocol.Frame
			word   string
		}{
			{"disabled, then accept", func(a *store.Agent, _ string) error {
				a.Disabled = true
				return e.st.UpdateAgent(ctx, a)
			}, func(_, queued string) protocol.Frame {
				return protocol.Frame{Type: protocol.FrameAccept, ChatID: queued}
			}, "disabled"},
			{"session ended, then send", func(_ *store.Agent, tok string) error {
				return e.st.DeleteAgentSession(ctx, secret.HashKey(tok))
			}, func(live, _ string) protocol.Frame {
				return protocol.Frame{Type: protocol.FrameSend, ChatID: live, ClientMsgID: "after", Text: "still here"}
			}, "session"},
			{"disabled, then send", func(a *store.Agent, _ string) error {
				a.Disabled = true
				return e.st.UpdateAgent(ctx, a)
			}, func(live, _ string) protocol.Frame {
				return protocol.Frame{Type: protocol.FrameSend, ChatID: live, ClientMsgID: "after", Text: "still here"}
			}, "disabled"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				email := fmt.Sprintf("revoked%d@example.com", i)
				e.extraAgent(email, "Rev", "password-rev-123")
				tok := n.agentToken(email, "password-rev-123")
				a, err := e.st.GetAgentByEmail(ctx, email)
				if err != nil {
					t.Fatal(err)
				}
				ag := agentClient(t, n, tok)
				live := queuedChat(t, n, "v1")
				ag.send(protocol.Frame{Type: protocol.FrameAccept, ChatID: live})
				if f := ag.next(protocol.FrameAccepted); f.Error != nil {
					t.Fatalf("accept: %+v", f.Error)
				}
				queued := queuedChat(t, n, "v1")

				if err := tc.revoke(a, tok); err != nil {
					t.Fatal(err)
				}
				ag.send(tc.frame(live, queued))
				wantRevoked(t, ag, 5*time.Second, tc.word)
				if c, err := e.st.GetChat(ctx, queued); err != nil || c.Status != store.ChatQueued {
					t.Errorf("the queued chat: %+v %v, want still queued", c, err)
				}
				msgs, err := e.st.MessagesAfter(ctx, live, 0, 1000)
				if err != nil {
					t.Fatal(err)
				}
				for _, m := range msgs {
					if m.ClientMsgID == "after" {
						t.Errorf("a message sent after the revocation was stored: %+v", m)
					}
				}
			})
		}
	})
}

// An agent's session ended on one node closes their socket on another,
// within seconds: through the PostgreSQL broker's notification (its
// heartbeat an hour away), or, on a node that never hears of it (two
// nodes sharing one SQLite database, each with an in-process broker), at
// the socket's next heartbeat.
func TestRevocationReachesEveryNode(t *testing.T) {
	for _, tc := range []struct {
		name string
		dsn  func(testing.TB) string
		ping time.Duration
	}{
		{"hinted through PostgreSQL", testenv.PostgresDSN, time.Hour},
		{"found at the heartbeat", testenv.SQLiteDSN, 500 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.dsn(t))
			a, b := e.node(nodeOpts{}), e.node(nodeOpts{limits: realtime.Limits{PingInterval: tc.ping}})
			tok := a.agentToken(e.demo.Agent.Email, e.demo.Agent.Password)
			ag := agentClient(t, b, tok)
			ag.next(protocol.FrameQueue)
			start := time.Now()
			if err := a.auth.Logout(context.Background(), tok); err != nil {
				t.Fatal(err)
			}
			wantRevoked(t, ag, 5*time.Second, "session")
			t.Logf("closed %v after the logout on the other node", time.Since(start).Round(time.Millisecond))
		})
	}
}

// A renamed agent's open socket sends under the new name: the rename has
// the agent's sockets, on every node, read the agent again (their
// heartbeat an hour away here), as a message's frame no longer reads it.
func TestRenamedAgentSendsUnderTheNewName(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		n := e.node(nodeOpts{limits: realtime.Limits{PingInterval: time.Hour}})
		ctx := context.Background()
		const email, password = "renamed@example.com", "password-ren-123"
		e.extraAgent(email, "Before", password)
		a, err := e.st.GetAgentByEmail(ctx, email)
		if err != nil {
			t.Fatal(err)
		}
		ag := agentClient(t, n, n.agentToken(email, password))
		live := queuedChat(t, n, "v1")
		ag.send(protocol.Frame{Type: protocol.FrameAccept, ChatID: live})
		if f := ag.next(protocol.FrameAccepted); f.Error != nil {
			t.Fatalf("accept: %+v", f.Error)
		}
		sent := 0
		nameOfNext := func() string {
			t.Helper()
			sent++
			id := fmt.Sprint("m", sent)
			ag.send(protocol.Frame{Type: protocol.FrameSend, ChatID: live, ClientMsgID: id, Text: "hello"})
			if f := ag.next(protocol.FrameAck); f.Error != nil || f.ClientMsgID != id {
				t.Fatalf("ack of %s: %+v", id, f)
			}
			m, err := e.st.MessageByClientID(ctx, live, id)
			if err != nil {
				t.Fatal(err)
			}
			var p protocol.ChatMessage
			if err := json.Unmarshal(m.Payload, &p); err != nil {
				t.Fatalf("payload %s: %v", m.Payload, err)
			}
			return p.AgentName
		}
		if got := nameOfNext(); got != "Before" {
			t.Fatalf("sent as %q, want Before", got)
		}
		admin := n.agentToken(e.demo.Admin.Email, e.demo.Admin.Password)
		in := protocol.AgentInput{Agent: protocol.Agent{Email: email, Name: "After", Role: store.RoleAgent}}
		if code := n.call("PUT", fmt.Sprint("/api/Agent/", a.ID), in, nil, "Authorization", "Bearer "+admin); code != 200 {
			t.Fatalf("rename: %d", code)
		}
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			got := nameOfNext()
			if got == "After" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("5 s after the rename, sent as %q; want After", got)
			}
		}
	})
}
