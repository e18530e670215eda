package chatapi_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"halochat/app/protocol"
	"halochat/backend/store"
)

// TestTransferAndNoteOverHTTP: an agent's internal note (POST
// /api/ChatMessage, internal) and a transfer with a note (POST
// /api/Chat/{id}/transfer) over the REST API: the visitor's socket
// carries the hand-over and the replies, never a note; refusals name
// their field.
func TestTransferAndNoteOverHTTP(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		n := e.node(nodeOpts{})
		e.extraAgent("bea@example.com", "Bea", "password-b-123")
		bea, err := e.st.GetAgentByEmail(ctx, "bea@example.com")
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range []int64{e.agent.ID, bea.ID} {
			if err := e.st.SetAgentPresence(ctx, id, store.PresenceOnline); err != nil {
				t.Fatal(err)
			}
		}
		tok := "Bearer " + n.agentToken(e.demo.Agent.Email, e.demo.Agent.Password)
		resp, v := queuedVisitor(t, n, "v1")
		if code := n.call("POST", "/api/Chat/"+resp.ChatID+"/accept", nil, nil, "Authorization", tok); code != http.StatusOK {
			t.Fatalf("accept: %d", code)
		}

		const note, handNote = "secret: customer owes 40 EUR", "secret: promised a callback"
		if code := n.call("POST", "/api/ChatMessage", map[string]any{"chat_id": resp.ChatID, "client_msg_id": "n1", "text": note, "internal": true},
			nil, "Authorization", tok); code != http.StatusCreated {
			t.Fatalf("post a note: %d", code)
		}
		var eb protocol.ErrorBody
		if code := n.call("POST", "/api/Chat/"+resp.ChatID+"/transfer", map[string]any{}, &eb, "Authorization", tok); code != http.StatusBadRequest || eb.Error.Field != "agentId" {
			t.Fatalf("a transfer naming nobody: %d %+v", code, eb.Error)
		}
		var targets protocol.TransferTargets
		if code := n.call("GET", "/api/TransferTargets", nil, &targets, "Authorization", tok); code != http.StatusOK || len(targets.Agents) < 2 {
			t.Fatalf("transfer targets: %d %+v", code, targets)
		}
		var st protocol.ChatState
		if code := n.call("POST", "/api/Chat/"+resp.ChatID+"/transfer", map[string]any{"agentId": bea.ID, "note": handNote}, &st,
			"Authorization", tok); code != http.StatusOK || st.Status != protocol.ChatStatusLive {
			t.Fatalf("transfer: %d %+v", code, st)
		}
		beaTok := "Bearer " + n.agentToken("bea@example.com", "password-b-123")
		if code := n.call("POST", "/api/ChatMessage", map[string]any{"chat_id": resp.ChatID, "client_msg_id": "b1", "text": "Bea here"},
			nil, "Authorization", beaTok); code != http.StatusCreated {
			t.Fatalf("the new agent writes: %d", code)
		}
		seen := v.messagesUntil(resp.ChatID, func(m protocol.ChatMessage) bool { return m.Text == "Bea here" })
		var texts []string
		for _, m := range seen {
			texts = append(texts, m.Text)
			if m.Internal || strings.Contains(m.Text, "secret") {
				t.Errorf("the visitor's socket carried a note: %+v", m)
			}
		}
		if !strings.Contains(strings.Join(texts, "|"), "You are now talking to Bea.") {
			t.Errorf("the visitor read %q, not the hand-over", texts)
		}
		var detail ChatDetailT
		if code := n.call("GET", "/api/Chat/"+resp.ChatID, nil, &detail, "Authorization", beaTok); code != http.StatusOK {
			t.Fatalf("the new agent reads the chat: %d", code)
		}
		notes := 0
		for _, m := range detail.Messages {
			if m.Internal && (m.Text == note || m.Text == handNote) {
				notes++
			}
		}
		if notes != 2 {
			t.Errorf("the new agent reads %d of the 2 notes, marked internal: %+v", notes, detail.Messages)
		}
	})
}
