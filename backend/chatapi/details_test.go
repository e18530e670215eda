package chatapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"halochat/app/flow"
	"halochat/app/protocol"
	"halochat/backend/store"
)

// TestChatDetailsShowAgentsTheCustomFieldsAndTheVisitorNothing: a
// token-started chat's details (user, context, flow position, ticket,
// chat custom field values) are served to agents only, and nothing the
// visitor's side receives carries the values.
func TestChatDetailsShowAgentsTheCustomFieldsAndTheVisitorNothing(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		n := e.node(nodeOpts{})
		const secretValue = "ACCT-7731"
		tok := e.token(jwt.MapClaims{"sub": "cust-9", "given_name": "Grace", "family_name": "Hopper",
			"email": "grace@example.test", "CFcustomerTier": "gold", "Account Number": secretValue})
		var raw json.RawMessage
		if code := n.call("POST", "/chat/api/v1/start", protocol.StartChatRequest{ConfigID: e.demo.Profile.ID,
			ConfigKey: e.demo.Profile.Key, HostOrigin: "http://localhost:9999", IDToken: tok}, &raw); code != 201 {
			t.Fatalf("start: %d %s", code, raw)
		}
		if bytes.Contains(raw, []byte(secretValue)) {
			t.Errorf("the start response the widget reads carries a chat custom field value: %s", raw)
		}
		var start protocol.StartChatResponse
		if err := json.Unmarshal(raw, &start); err != nil {
			t.Fatal(err)
		}
		v := dial(t, n, "/chat/ws", nil)
		v.send(protocol.Frame{Type: protocol.FrameHello, ChatID: start.ChatID, ResumeSecret: start.ResumeSecret})
		ready := v.next(protocol.FrameReady, protocol.FrameError)
		if b, _ := json.Marshal(ready); ready.Type != protocol.FrameReady || bytes.Contains(b, []byte(secretValue)) {
			t.Fatalf("the visitor's ready frame: %s", b)
		}
		if start.Chat.Pending == nil {
			t.Fatalf("the demo flow does not wait for a choice: %+v", start.Chat)
		}
		pick := slices.Index(start.Chat.Pending.Choices, "A technical problem")
		if f := choose(v, "c1", pick); f.Type != protocol.FrameAck {
			t.Fatalf("choose: %+v", f.Error)
		}
		if f := sendText(v, "m1", "My printer is on fire"); f.Type != protocol.FrameAck {
			t.Fatalf("answer: %+v", f.Error)
		}
		v.messagesUntil(start.ChatID, func(m protocol.ChatMessage) bool { return m.Event == protocol.EventChatEnded })
		for _, f := range v.pending {
			if b, _ := json.Marshal(f); bytes.Contains(b, []byte(secretValue)) {
				t.Errorf("a visitor frame carries a chat custom field value: %s", b)
			}
		}
		for _, m := range v.seen {
			if strings.Contains(m.Text, secretValue) {
				t.Errorf("a visitor message carries a chat custom field value: %+v", m)
			}
		}

		path := "/api/Chat/" + start.ChatID + "/details"
		if code := n.call("GET", path, nil, nil); code != 401 {
			t.Errorf("details without a session: %d, want 401", code)
		}
		token := n.agentToken(e.demo.Agent.Email, e.demo.Agent.Password)
		var d protocol.ChatDetails
		if code := n.call("GET", path, nil, &d, "Authorization", "Bearer "+token); code != 200 {
			t.Fatalf("details: %d", code)
		}
		if d.Chat.ID != start.ChatID || d.ProfileName != e.demo.Profile.Name || d.Context != store.ContextEmbedded ||
			d.HostOrigin != "http://localhost:9999" || d.EndedAt == "" || d.Chat.StartedAt == "" {
			t.Errorf("details %+v", d)
		}
		if d.User == nil || d.User.Name != "Grace Hopper" || d.User.Email != "grace@example.test" || d.User.ExternalID != "cust-9" {
			t.Errorf("user %+v", d.User)
		}
		if d.Flow == nil || d.Flow.ID != e.demo.Flow.ID || d.Flow.Name == "" || d.Flow.Version < 1 || d.Flow.Step == 0 ||
			d.Flow.StepKind == "" || d.Flow.Status != string(flow.StatusEnded) {
			t.Errorf("flow %+v", d.Flow)
		}
		if d.Ticket == nil || d.Ticket.ID == 0 || !strings.Contains(d.Ticket.Summary, "printer") {
			t.Errorf("ticket %+v", d.Ticket)
		}
		want := []protocol.ChatFieldValue{
			{Name: "CFaccountNumber", Label: "Account Number", Value: secretValue},
			{Name: "CFcustomerTier", Label: "Customer Tier", Value: "gold"},
		}
		if !slices.Equal(d.Fields, want) {
			t.Errorf("fields %+v, want %+v", d.Fields, want)
		}

		// An anonymous chat: no user, no fields (an empty list, not null).
		anon := n.mustStart(protocol.StartChatRequest{})
		var raw2 json.RawMessage
		if code := n.call("GET", "/api/Chat/"+anon.ChatID+"/details", nil, &raw2, "Authorization", "Bearer "+token); code != 200 {
			t.Fatalf("details of an anonymous chat: %d %s", code, raw2)
		}
		if !bytes.Contains(raw2, []byte(`"fields":[]`)) || bytes.Contains(raw2, []byte(`"user"`)) {
			t.Errorf("details of an anonymous chat: %s", raw2)
		}
	})
}

// TestChatListSearch: ?q= finds chats by the words of their messages and
// refuses a search it will not run with a 400 naming q.
func TestChatListSearch(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		n := e.node(nodeOpts{})
		token := n.agentToken(e.demo.Agent.Email, e.demo.Agent.Password)
		ctx := context.Background()
		fire := n.mustStart(protocol.StartChatRequest{}).ChatID
		other := n.mustStart(protocol.StartChatRequest{}).ChatID
		for id, text := range map[string]string{fire: "My Printer is on fire", other: "All is well"} {
			if _, _, err := e.st.AppendMessage(ctx, store.Message{ChatID: id, Sender: store.SenderVisitor, Text: text}); err != nil {
				t.Fatal(err)
			}
		}
		list := func(query string) (int, []string, protocol.ErrorBody) {
			t.Helper()
			var raw json.RawMessage
			code := n.call("GET", "/api/Chat?"+query, nil, &raw, "Authorization", "Bearer "+token)
			var out struct {
				Chats []protocol.ChatState `json:"chats"`
			}
			var eb protocol.ErrorBody
			_ = json.Unmarshal(raw, &out)
			_ = json.Unmarshal(raw, &eb)
			var ids []string
			for _, c := range out.Chats {
				ids = append(ids, c.ID)
			}
			return code, ids, eb
		}
		tests := []struct {
			name  string
			query string
			code  int
			want  []string // nil: do not check
		}{
			{"a word", "q=printer", 200, []string{fire}},
			{"two words, any case", "q=" + url.QueryEscape("FIRE printer"), 200, []string{fire}},
			{"a word of no chat", "q=elephant", 200, []string{}},
			{"a blank q lists every chat", "q=+", 200, []string{other, fire}},
			{"too long", "q=" + strings.Repeat("a", 201), 400, nil},
			{"too many words", "q=" + url.QueryEscape("a b c d e f g h i"), 400, nil},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				code, ids, eb := list(tc.query)
				if code != tc.code {
					t.Fatalf("GET /api/Chat?%s: %d %+v, want %d", tc.query, code, eb, tc.code)
				}
				if code == 400 {
					if eb.Error.Field != "q" || !strings.Contains(eb.Error.Message, "q parameter") {
						t.Errorf("refusal %+v does not name q", eb.Error)
					}
					return
				}
				if ids == nil {
					ids = []string{}
				}
				slices.Sort(ids)
				want := slices.Clone(tc.want)
				slices.Sort(want)
				if !slices.Equal(ids, want) {
					t.Errorf("GET /api/Chat?%s = %v, want %v", tc.query, ids, tc.want)
				}
			})
		}
	})
}
