package webhook_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"halochat/app/protocol"
	"halochat/backend/store"
	"halochat/backend/storetest"
	"halochat/backend/testenv"
	"halochat/backend/testenv/loopback"
	"halochat/backend/webhook"
)

// blockingReceiver verifies every delivery with the Standard Webhooks
// library and, while blocked, holds each one unanswered (in flight) until
// it is unblocked or the sender gives up.
type blockingReceiver struct {
	verify *standardwebhooks.Webhook

	mu       sync.Mutex
	arrivals []string        // webhook-ids in arrival order, repeats included
	answered map[string]bool // webhook-ids answered 2xx
	badSig   int
	heads    map[string][]int64 // chat → the seqs of its chat.message events, in first-arrival order
	unblock  chan struct{}
	held     int // deliveries waiting now
}

func newBlockingReceiver(t *testing.T, secret string) *blockingReceiver {
	t.Helper()
	v, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	return &blockingReceiver{verify: v, answered: map[string]bool{}, heads: map[string][]int64{}, unblock: make(chan struct{})}
}

func (r *blockingReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	if r.verify.Verify(body, req.Header) != nil {
		r.mu.Lock()
		r.badSig++
		r.mu.Unlock()
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	id := req.Header.Get("webhook-id")
	r.mu.Lock()
	first := !contains(r.arrivals, id)
	r.arrivals = append(r.arrivals, id)
	var ev protocol.WebhookEvent
	var m protocol.WebhookMessageData
	if first && json.Unmarshal(body, &ev) == nil && ev.Type == protocol.WebhookChatMessage && json.Unmarshal(ev.Data, &m) == nil {
		r.heads[m.ChatID] = append(r.heads[m.ChatID], m.Seq)
	}
	r.held++
	unblock := r.unblock
	r.mu.Unlock()
	select {
	case <-unblock:
	case <-req.Context().Done(): // the sender was killed, or gave up
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.held--
	if req.Context().Err() == nil {
		r.answered[id] = true
		w.WriteHeader(http.StatusNoContent)
	}
}

func contains(ids []string, id string) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// waitHeld waits until at least n deliveries are held in flight.
func (r *blockingReceiver) waitHeld(t *testing.T, n int) {
	t.Helper()
	for end := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		r.mu.Lock()
		held := r.held
		r.mu.Unlock()
		if held >= n {
			return
		}
		if time.Now().After(end) {
			t.Fatalf("%d deliveries in flight after 20 s, want %d", held, n)
		}
	}
}

// release answers what is held and everything after it.
func (r *blockingReceiver) release() {
	r.mu.Lock()
	defer r.mu.Unlock()
	close(r.unblock)
}

// chaosHooks is the dispatchers' tuning: a claim held by a killed node
// runs out in 4 s, a failed attempt is retried within a second.
func chaosHooks() webhook.Config {
	return webhook.Config{Timeout: 3 * time.Second, Lease: 4 * time.Second, FirstRetry: 200 * time.Millisecond,
		MaxRetry: time.Second, Poll: 50 * time.Millisecond}
}

// startChats starts n chats on svc as the widget does (each records
// chat.started and the bot's first messages) and returns their ids.
func startChats(t *testing.T, svc *loopback.Service, d *storeDemo, n int) []string {
	t.Helper()
	c := testenv.NewClient(t, svc.URL)
	var ids []string
	for range n {
		var start protocol.StartChatResponse
		c.Do("POST", "/chat/api/v1/start", protocol.StartChatRequest{ConfigID: d.profileID, ConfigKey: d.profileKey,
			HostOrigin: "https://host.example"}, "Origin", svc.URL).Expect(201).Decode(&start)
		ids = append(ids, start.ChatID)
	}
	return ids
}

type storeDemo struct{ profileID, profileKey string }

// TestANodeKilledMidDeliveryLosesNothing: deliveries are held in flight
// by a receiver that does not answer; the node sending them is killed
// (its requests cut, its results never recorded). On PostgreSQL the other
// node, on SQLite the node restarted, sends them again once the claims
// run out: every event recorded is answered 2xx at least once, every
// delivery is marked delivered, the repeats carry the webhook-id of the
// first attempt (so the receiver recognises them), every signature
// verifies, and each chat's messages first arrive in order.
func TestANodeKilledMidDeliveryLosesNothing(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		st, res := storetest.Demo(t, dsn)
		secret := webhook.NewSecret()
		recv := newBlockingReceiver(t, secret)
		hook := &store.Webhook{URL: "http://" + loopback.Serve(t, recv) + "/hook", Secret: secret,
			Events: []string{protocol.WebhookChatStarted, protocol.WebhookChatMessage}}
		if err := st.CreateWebhook(ctx, hook); err != nil {
			t.Fatal(err)
		}
		opts := loopback.Options{DSN: dsn, Store: st, OutboundAllow: []string{"127.0.0.1"}, Webhooks: chaosHooks()}
		doomed := loopback.Start(t, opts)
		d := &storeDemo{res.Profile.ID, res.Profile.Key}
		chats := startChats(t, doomed, d, 4)
		recv.waitHeld(t, len(chats)) // each chat's first event, in flight from the only node
		survivor := doomed
		if testenv.Short(dsn) == "postgres" {
			survivor = loopback.Start(t, opts) // a second node on the same database
		}
		doomed.Kill()
		if survivor == doomed {
			survivor.Restart()
		}
		chats = append(chats, startChats(t, survivor, d, 2)...) // events after the kill, on the node left
		recv.release()
		checkEveryEventDelivered(t, st, hook.ID, recv, chats)
	})
}

// checkEveryEventDelivered waits (up to 30 s) until every delivery of the
// webhook is delivered, then checks what the receiver saw.
func checkEveryEventDelivered(t *testing.T, st *store.Store, hookID int64, recv *blockingReceiver, chats []string) {
	t.Helper()
	var all []store.Delivery
	for end := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var err error
		if all, err = st.ListDeliveries(context.Background(), hookID, store.DeliveryFilter{Limit: 1000}); err != nil {
			t.Fatal(err)
		}
		pending := 0
		for _, d := range all {
			if d.Status != protocol.DeliveryDelivered {
				pending++
			}
		}
		if pending == 0 {
			break
		}
		if time.Now().After(end) {
			for _, d := range all {
				if d.Status != protocol.DeliveryDelivered {
					t.Logf("not delivered: %s %s %s attempts %d locked until %v next %v: %s", d.EventID, d.EventType, d.Status,
						d.Attempts, d.LockedUntil, d.NextAttemptAt, d.LastError)
				}
			}
			t.Fatalf("%d of %d deliveries not delivered after 30 s", pending, len(all))
		}
	}
	recv.mu.Lock()
	defer recv.mu.Unlock()
	if len(all) < 2*len(chats) {
		t.Fatalf("%d events recorded for %d chats, want at least chat.started and a greeting each", len(all), len(chats))
	}
	for _, d := range all {
		if !recv.answered[d.EventID] {
			t.Errorf("event %s (%s) was marked delivered but never answered 2xx: lost", d.EventID, d.EventType)
		}
	}
	repeats := len(recv.arrivals) - len(recv.answered)
	if repeats < 1 {
		t.Errorf("no delivery arrived twice: the kill cut no delivery in flight (arrivals %v)", recv.arrivals)
	}
	if recv.badSig > 0 {
		t.Errorf("%d deliveries failed verification", recv.badSig)
	}
	for _, chat := range chats {
		seqs := recv.heads[chat]
		for i := 1; i < len(seqs); i++ {
			if seqs[i] <= seqs[i-1] {
				t.Errorf("chat %s: messages first arrived as seqs %v, want ascending", chat, seqs)
				break
			}
		}
	}
	t.Logf("%d events, %d arrivals (%d repeats, each with its first webhook-id)", len(all), len(recv.arrivals), repeats)
}
