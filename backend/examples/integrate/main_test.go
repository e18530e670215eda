package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"halochat/app/protocol"
	"halochat/backend/secret"
	"halochat/backend/store"
	"halochat/backend/testenv"
	"halochat/backend/testenv/loopback"
)

// TestREADMEShowsThisProgram: the README's "Integrate your backend"
// example is this file, byte for byte, so the two cannot drift.
func TestREADMEShowsThisProgram(t *testing.T) {
	src, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "```go\n"+string(src)+"```\n") {
		t.Fatal("README.md does not show backend/examples/integrate/main.go as it is: copy the file into its ```go block")
	}
}

// receiverCase is one delivery made to the example's receiver.
type receiverCase struct {
	name   string
	id     string
	at     time.Duration // the webhook-timestamp, from now
	event  string        // chat.message data's author, or another event type
	tamper bool          // the body changed after signing
	status int
	// answers is how many bot answers the chat holds after this delivery.
	answers int
}

// TestReceiverVerifiesAndAnswers: the example receiver, fed deliveries
// signed with the Standard Webhooks library, answers a visitor's message
// through the real service's API as the bot (OAuth client credentials at
// /auth/token, an API client holding chats:write), once per webhook-id,
// and refuses a bad signature and a stale or future timestamp.
func TestReceiverVerifiesAndAnswers(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dsn string) {
		svc := loopback.Start(t, loopback.Options{DSN: dsn})
		ctx := context.Background()
		c := &store.APIClient{ClientID: "crm", Name: "crm", SecretHash: secret.HashKey("crm-secret"),
			Permissions: []string{store.PermChatsWrite, store.PermChatsRead}}
		if err := svc.Store.CreateAPIClient(ctx, c); err != nil {
			t.Fatal(err)
		}
		const whsec = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
		r, err := newReceiver(svc.URL, "crm", "crm-secret", whsec)
		if err != nil {
			t.Fatal(err)
		}
		receiverURL := "http://" + loopback.Serve(t, r)
		var start protocol.StartChatResponse
		svc.SameOrigin().For(t).Do("POST", "/chat/api/v1/start", protocol.StartChatRequest{ConfigID: svc.Demo.Profile.ID,
			ConfigKey: svc.Demo.Profile.Key, HostOrigin: "http://localhost:9999"}).Expect(http.StatusOK, http.StatusCreated).Decode(&start)
		signer, err := standardwebhooks.NewWebhook(whsec)
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range receiverCases() {
			t.Run(tc.name, func(t *testing.T) {
				if got := deliver(t, signer, receiverURL, start.ChatID, tc); got != tc.status {
					t.Fatalf("the receiver answered %d, want %d", got, tc.status)
				}
				if got := botAnswers(t, svc, start.ChatID); got != tc.answers {
					t.Fatalf("the chat holds %d answers, want %d", got, tc.answers)
				}
			})
		}
	})
}

func receiverCases() []receiverCase {
	return []receiverCase{
		{name: "visitor message answered", id: "msg_1", event: "visitor", status: 204, answers: 1},
		{name: "the same webhook-id again: no second answer", id: "msg_1", event: "visitor", status: 204, answers: 1},
		{name: "another visitor message", id: "msg_2", event: "visitor", status: 204, answers: 2},
		{name: "the bot's own message is not answered", id: "msg_3", event: "bot", status: 204, answers: 2},
		{name: "another event type only logged", id: "msg_4", event: "chat.assigned", status: 204, answers: 2},
		{name: "body changed after signing", id: "msg_5", event: "visitor", tamper: true, status: 401, answers: 2},
		{name: "stale timestamp (6 min old)", id: "msg_6", event: "visitor", at: -6 * time.Minute, status: 401, answers: 2},
		{name: "timestamp 6 min ahead", id: "msg_7", event: "visitor", at: 6 * time.Minute, status: 401, answers: 2},
		{name: "4 min old is still fresh", id: "msg_8", event: "visitor", at: -4 * time.Minute, status: 204, answers: 3},
	}
}

// deliver POSTs one delivery as halochat does, signed by the library.
func deliver(t *testing.T, signer *standardwebhooks.Webhook, receiverURL, chatID string, tc receiverCase) int {
	t.Helper()
	typ := "chat.message"
	data := map[string]any{"chat_id": chatID, "seq": 2, "author": tc.event, "text": "Where is my parcel? " + tc.id}
	if tc.event != "visitor" && tc.event != "bot" {
		typ, data = tc.event, map[string]any{"chat_id": chatID, "status": "live"}
	}
	raw, _ := json.Marshal(data)
	body, _ := json.Marshal(map[string]any{"type": typ, "timestamp": time.Now().UTC(), "data": json.RawMessage(raw)})
	at := time.Now().Add(tc.at)
	sig, err := signer.Sign(tc.id, at, body)
	if err != nil {
		t.Fatal(err)
	}
	if tc.tamper {
		body = []byte(strings.Replace(string(body), "parcel", "refund", 1))
	}
	req, _ := http.NewRequest("POST", receiverURL, strings.NewReader(string(body)))
	req.Header.Set("webhook-id", tc.id)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(at.Unix(), 10))
	req.Header.Set("webhook-signature", sig)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// botAnswers counts the receiver's answers stored in the chat.
func botAnswers(t *testing.T, svc *loopback.Service, chatID string) int {
	t.Helper()
	msgs, err := svc.Store.MessagesAfter(context.Background(), chatID, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range msgs {
		if strings.HasPrefix(m.Text, "Thanks, we got: ") {
			n++
		}
	}
	return n
}
