// Command integrate is a site's backend in one file, the README's
// "Integrate your backend" example: it receives halochat's webhooks,
// verifies every delivery with the Standard Webhooks library (stale or
// future timestamps refused), and answers each visitor message through
// the REST API as the bot, with an API client holding chats:write.
//
//	HALOCHAT_URL=https://chat.example.com \
//	HALOCHAT_CLIENT_ID=… HALOCHAT_CLIENT_SECRET=… \
//	HALOCHAT_WEBHOOK_SECRET=whsec_… \
//	ADDR=127.0.0.1:8090 go run ./backend/examples/integrate
package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

func main() {
	r, err := newReceiver(os.Getenv("HALOCHAT_URL"), os.Getenv("HALOCHAT_CLIENT_ID"),
		os.Getenv("HALOCHAT_CLIENT_SECRET"), os.Getenv("HALOCHAT_WEBHOOK_SECRET"))
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{Addr: cmp.Or(os.Getenv("ADDR"), "127.0.0.1:8090"), Handler: r,
		ReadHeaderTimeout: 10 * time.Second}
	log.Printf("receiving webhooks on http://%s/", srv.Addr)
	log.Fatal(srv.ListenAndServe())
}

// event is a delivery's body: {type, timestamp, data}.
type event struct {
	Type      string          `json:"type"`
	Timestamp time.Time       `json:"timestamp"`
	Data      json.RawMessage `json:"data"`
}

// messageData is the data of a chat.message event.
type messageData struct {
	ChatID string `json:"chat_id"`
	Seq    int64  `json:"seq"`
	Author string `json:"author"` // visitor, agent or bot
	Text   string `json:"text"`
}

// receiver verifies deliveries and answers visitors.
type receiver struct {
	service string // halochat's base URL
	form    url.Values
	hook    *standardwebhooks.Webhook
	client  *http.Client

	mu      sync.Mutex
	token   string
	expires time.Time
	seen    map[string]bool // webhook-ids handled: a retry repeats its id
}

func newReceiver(service, clientID, clientSecret, webhookSecret string) (*receiver, error) {
	hook, err := standardwebhooks.NewWebhook(webhookSecret) // whsec_<base64 key>
	if err != nil {
		return nil, fmt.Errorf("the webhook secret: %w", err)
	}
	return &receiver{service: strings.TrimRight(service, "/"), hook: hook,
		form:   url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {clientSecret}},
		client: &http.Client{Timeout: 10 * time.Second}, seen: map[string]bool{}}, nil
}

// ServeHTTP answers 2xx once a delivery is handled; anything else makes
// halochat send it again later, with the same webhook-id.
func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	if err != nil {
		http.Error(w, "read the body", http.StatusBadRequest)
		return
	}
	// The signature over webhook-id, webhook-timestamp and the body, and a
	// timestamp within five minutes of now: a replayed delivery is refused.
	if err := r.hook.Verify(body, req.Header); err != nil {
		http.Error(w, "not a valid halochat delivery", http.StatusUnauthorized)
		return
	}
	id := req.Header.Get("webhook-id")
	r.mu.Lock()
	dup := r.seen[id]
	r.mu.Unlock()
	if dup {
		w.WriteHeader(http.StatusNoContent) // handled already: at least once means maybe twice
		return
	}
	var ev event
	if err := json.Unmarshal(body, &ev); err != nil {
		http.Error(w, "not JSON", http.StatusBadRequest)
		return
	}
	if err := r.handle(req.Context(), id, ev); err != nil {
		log.Printf("event %s (%s): %v", id, ev.Type, err)
		http.Error(w, "try again later", http.StatusServiceUnavailable)
		return
	}
	r.mu.Lock()
	r.seen[id] = true
	r.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// handle answers a visitor's message; other events are only logged.
func (r *receiver) handle(ctx context.Context, id string, ev event) error {
	if ev.Type != "chat.message" {
		log.Printf("event %s: %s %s", id, ev.Type, ev.Data)
		return nil
	}
	var m messageData
	if err := json.Unmarshal(ev.Data, &m); err != nil {
		return fmt.Errorf("decode chat.message: %w", err)
	}
	if m.Author != "visitor" {
		return nil // the bot's answers come back as events too
	}
	// The event's id as client_msg_id: a retried event posts its answer once.
	return r.post(ctx, "/api/ChatMessage", map[string]any{
		"chat_id": m.ChatID, "client_msg_id": "answer-" + id, "text": "Thanks, we got: " + m.Text,
	})
}

// post sends a JSON body to the API with a bearer token.
func (r *receiver) post(ctx context.Context, path string, body any) error {
	token, err := r.accessToken(ctx)
	if err != nil {
		return err
	}
	raw, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.service+path, bytes.NewReader(raw))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	res, err := r.client.Do(req)
	if err != nil {
		return fmt.Errorf("POST %s: %w", path, err)
	}
	defer res.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("POST %s: %s: %s", path, res.Status, answer)
	}
	return nil
}

// accessToken is an OAuth 2 client-credentials token from /auth/token,
// kept until a minute before it expires.
func (r *receiver) accessToken(ctx context.Context) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.token != "" && time.Now().Before(r.expires) {
		return r.token, nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.service+"/auth/token",
		strings.NewReader(r.form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := r.client.Do(req)
	if err != nil {
		return "", fmt.Errorf("get an access token: %w", err)
	}
	defer res.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	if err := json.NewDecoder(io.LimitReader(res.Body, 64<<10)).Decode(&tok); err != nil || res.StatusCode != http.StatusOK {
		return "", errors.Join(fmt.Errorf("get an access token: %s", res.Status), err)
	}
	r.token, r.expires = tok.AccessToken, time.Now().Add(time.Duration(tok.ExpiresIn-60)*time.Second)
	return r.token, nil
}
