package chatapi_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"halochat/app/protocol"
	"halochat/backend/store"
)

// POST /api/Chat starts a chat for a user with a first message: from the
// bot, the flow follows at its start step; with agent_id, live with that
// agent. One open chat per user and profile; a resend answers the same
// chat; the chat waits for its visitor past the idle timeout.
func TestProactiveStart(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		n := e.node(nodeOpts{})
		ctx := context.Background()
		crm := n.apiClient("Acme Orders", []string{store.PermChatsWrite, store.PermChatsRead})
		req := protocol.OutreachRequest{ChatProfileID: e.demo.Profile.ID, UserExternalID: "crm-42", UserEmail: "Ann@Example.com",
			Text: "Your order has shipped. Questions?", ClientMsgID: "ship-42"}
		var tr protocol.ChatTranscript
		if code := crm.Call("POST", "/api/Chat", req, &tr); code != http.StatusCreated {
			t.Fatalf("start: %d %+v", code, tr)
		}
		first := tr.Messages[0]
		if first.From != protocol.FromBot || first.AgentName != "Acme Orders" || first.Text != req.Text || first.ClientMsgID != "ship-42" {
			t.Fatalf("first message %+v", first)
		}
		if !tr.Chat.Authenticated || tr.Chat.Status != protocol.ChatStatusBot || tr.Chat.Pending == nil || len(tr.Messages) < 2 {
			t.Fatalf("the flow did not start after the message: %+v, %d messages", tr.Chat, len(tr.Messages))
		}
		u, err := e.st.GetUserByExternalID(ctx, "crm-42")
		if err != nil || u.Email != "ann@example.com" || tr.Chat.UserEmail != u.Email {
			t.Fatalf("user %+v %v, chat user %q", u, err, tr.Chat.UserEmail)
		}
		var again protocol.ChatTranscript
		if code := crm.Call("POST", "/api/Chat", req, &again); code != http.StatusOK || again.Chat.ID != tr.Chat.ID {
			t.Fatalf("resend: %d %s, want 200 %s", code, again.Chat.ID, tr.Chat.ID)
		}
		req.ClientMsgID = "another"
		if code, msg := crm.Do("POST", "/api/Chat", req).APIError(); code != protocol.CodeConflict {
			t.Fatalf("a second open chat: %s %s", code, msg)
		}

		// Idle: the chat waits for its visitor, until they write.
		idle, err := e.st.IdleChats(ctx, time.Now().Add(time.Hour), time.Now().Add(-time.Hour), 100)
		if err != nil || listed(idle, tr.Chat.ID) {
			t.Fatalf("an unanswered outreach chat counts as idle (%v)", err)
		}
		if _, err := n.svc.Send(ctx, tr.Chat.ID, protocol.SendRequest{ClientMsgID: "v1", Text: "where is it?"}); err != nil {
			t.Fatal(err)
		}
		if idle, _ := e.st.IdleChats(ctx, time.Now().Add(time.Hour), time.Now().Add(-time.Hour), 100); !listed(idle, tr.Chat.ID) {
			t.Fatal("an answered outreach chat does not count as idle")
		}

		// From a named agent: live with it; its reply goes to the agent.
		live := protocol.OutreachRequest{ChatProfileID: e.demo.Profile.ID, UserEmail: "bob@example.com", Text: "Hi Bob, Alex here.", AgentID: e.agent.ID}
		if code := crm.Call("POST", "/api/Chat", live, &tr); code != http.StatusCreated || tr.Chat.Status != protocol.ChatStatusLive ||
			tr.Chat.AgentName != e.agent.Name || len(tr.Messages) != 1 || tr.Messages[0].From != protocol.FromAgent {
			t.Fatalf("agent outreach: %d %+v", code, tr)
		}
		crm.Do("POST", "/api/ChatMessage", protocol.AgentMessage{ChatID: tr.Chat.ID, Text: "Still there?", AgentID: e.agent.ID}).Expect(http.StatusCreated)

		for _, tc := range []struct {
			name  string
			req   protocol.OutreachRequest
			field string
		}{
			{"no user", protocol.OutreachRequest{ChatProfileID: e.demo.Profile.ID, Text: "x"}, "user_external_id"},
			{"a bad e-mail", protocol.OutreachRequest{ChatProfileID: e.demo.Profile.ID, UserEmail: "nobody", Text: "x"}, "user_email"},
			{"no profile", protocol.OutreachRequest{ChatProfileID: "nope", UserEmail: "c@example.com", Text: "x"}, "chatprofile_id"},
			{"no text", protocol.OutreachRequest{ChatProfileID: e.demo.Profile.ID, UserEmail: "c@example.com", Text: " "}, "text"},
			{"an unknown agent", protocol.OutreachRequest{ChatProfileID: e.demo.Profile.ID, UserEmail: "c@example.com", Text: "x", AgentID: 424242}, "agent_id"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := crm.For(t).Do("POST", "/api/Chat", tc.req)
				var eb protocol.ErrorBody
				if r.Decode(&eb); r.Status/100 != 4 || eb.Error.Field != tc.field {
					t.Fatalf("%d %s, want 4xx naming %s", r.Status, r.Body, tc.field)
				}
			})
		}
		if _, err := e.st.GetUserByEmail(ctx, "c@example.com"); err == nil {
			t.Error("a refused start created its user")
		}
	})
}

func listed(chats []store.Chat, id string) bool {
	for _, c := range chats {
		if c.ID == id {
			return true
		}
	}
	return false
}
