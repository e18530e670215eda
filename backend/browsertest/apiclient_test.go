package browsertest

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"halochat/app/protocol"
	"halochat/backend/auth"
	"halochat/backend/secret"
	"halochat/backend/store"
	"halochat/backend/testenv"
)

// apiClient makes an API client holding perms and returns a JSON client
// with its bearer token, as a site's backend calls the REST API.
func (s *stack) apiClient(t *testing.T, name string, perms ...string) *testenv.Client {
	t.Helper()
	ctx := context.Background()
	sec := "secret-of-" + name
	if err := s.store.CreateAPIClient(ctx, &store.APIClient{ClientID: name, Name: name, SecretHash: secret.HashKey(sec), Permissions: perms}); err != nil {
		t.Fatal(err)
	}
	tok, _, err := (&auth.Service{Store: s.store}).IssueClientToken(ctx, name, sec)
	if err != nil {
		t.Fatal(err)
	}
	return s.api.Bearer(tok).For(t)
}

// TestAPIClientMessageReachesTheOpenWidget: a site's backend posts into
// the visitor's chat through the REST API (chats:write); the widget shows
// it at once, as a bot message under the API client's name, and the
// host page hears messageReceived for it.
func TestAPIClientMessageReachesTheOpenWidget(t *testing.T) {
	s := startStack(t)
	crm := s.apiClient(t, "Acme Orders", store.PermChatsWrite)
	b, _ := s.visitorOn(t, Options{}, "")
	b.dispatch(t, "openChatWindow", map[string]any{})
	chatID := chatIDOf(t, b.waitEvent(t, "chatStarted", 1))
	w := b.widget(t, s.serviceURL)
	waitText(t, w, ".hc-choice", "Talk to a person")
	before := b.count(t, "messageReceived")

	var ack protocol.Ack
	body := protocol.AgentMessage{ChatID: chatID, ClientMsgID: "ship-1", Text: "Your order #77 has shipped."}
	if code := crm.Call("POST", "/api/ChatMessage", body, &ack); code != http.StatusCreated {
		t.Fatalf("post: %d", code)
	}
	waitText(t, w, ".hc-from-bot", "Your order #77 has shipped.")
	waitText(t, w, ".hc-from-bot .hc-name", "Acme Orders")
	got := b.waitEvent(t, "messageReceived", before+1)
	if got.Detail["text"] != body.Text || got.Detail["from"] != protocol.FromBot {
		t.Errorf("messageReceived %v", got.Detail)
	}
}

// TestProactiveChatShowsWhenTheUserOpensTheWidget: the site's backend
// starts a chat for a user (POST /api/Chat); later the host page opens
// the widget with that user's identity token, and the widget resumes
// that chat, showing the message, with the flow's menu after it.
func TestProactiveChatShowsWhenTheUserOpensTheWidget(t *testing.T) {
	s := startStack(t)
	crm := s.apiClient(t, "Acme Orders", store.PermChatsWrite)
	var tr protocol.ChatTranscript
	req := protocol.OutreachRequest{ChatProfileID: s.demo.Profile.ID, UserExternalID: "cust-88",
		Text: "Hi Lea, your renewal is due next week. Any questions?", ClientMsgID: "renewal-88"}
	if code := crm.Call("POST", "/api/Chat", req, &tr); code != http.StatusCreated {
		t.Fatalf("start: %d", code)
	}

	b, _ := s.visitorOn(t, Options{}, "")
	tok := s.token(t, jwt.MapClaims{"sub": "cust-88", "given_name": "Lea", "jti": "outreach-88"})
	b.dispatch(t, "openChatWindow", map[string]any{"id_token": tok})
	w := b.widget(t, s.serviceURL)
	waitText(t, w, ".hc-from-bot", "your renewal is due next week")
	waitText(t, w, ".hc-choice", "Talk to a person")
	if n := b.count(t, "chatStarted"); n != 0 {
		t.Errorf("resuming the proactive chat raised chatStarted %d time(s)", n)
	}
	list, err := s.store.ListChats(context.Background(), store.ChatFilter{ProfileID: s.demo.Profile.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].ID != tr.Chat.ID {
		t.Fatalf("the profile has %d chat(s), want the proactive one %s", len(list), tr.Chat.ID)
	}
	typeAndSend(t, w, "Can I pay by invoice?")
	var ml protocol.MessageList
	reader := s.apiClient(t, "reader", store.PermChatsRead)
	for range 100 {
		reader.Call("GET", "/api/ChatMessage?chat_id="+tr.Chat.ID, nil, &ml)
		for _, m := range ml.Messages {
			if m.From == protocol.FromVisitor && m.Text == "Can I pay by invoice?" {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("the visitor's answer never reached the chat: %+v", ml.Messages)
}
