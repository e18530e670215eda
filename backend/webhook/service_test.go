package webhook_test

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"halochat/app/protocol"
	"halochat/backend/service"
	"halochat/backend/testenv"
	"halochat/backend/testenv/loopback"
)

// TestTheServiceDeliversWhatItRecords: the service as `halochat serve`
// runs it, on both databases. An admin registers a webhook through the
// API; a widget starts a chat; the receiver on loopback (opened to the
// outbound guard) gets chat.started and the bot's greeting, each
// verified with the Standard Webhooks library and its real timestamp.
func TestTheServiceDeliversWhatItRecords(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dsn string) {
		var mu sync.Mutex
		var got []protocol.WebhookEvent
		var verify *standardwebhooks.Webhook
		recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			mu.Lock()
			defer mu.Unlock()
			if verify == nil || verify.Verify(body, r.Header) != nil {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			var e protocol.WebhookEvent
			if err := json.Unmarshal(body, &e); err != nil {
				t.Errorf("body %s: %v", body, err)
			}
			got = append(got, e)
		}))
		defer recv.Close()
		svc := loopback.Start(t, loopback.Options{DSN: dsn, OutboundAllow: []string{"127.0.0.1"}})
		c := testenv.NewClient(t, svc.URL)
		var login protocol.AgentLogin
		c.Do("POST", "/auth/login", map[string]string{"email": svc.Demo.Admin.Email, "password": svc.Demo.Admin.Password}).Expect(200).Decode(&login)
		var hook protocol.WebhookWithSecret
		c.Bearer(login.Token).Do("POST", "/api/Webhook", protocol.WebhookInput{URL: recv.URL + "/in",
			Events: []string{protocol.WebhookChatStarted, protocol.WebhookChatMessage}}).Expect(201).Decode(&hook)
		wh, err := standardwebhooks.NewWebhook(hook.Secret)
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		verify = wh
		mu.Unlock()
		var start protocol.StartChatResponse
		c.Do("POST", "/chat/api/v1/start", protocol.StartChatRequest{ConfigID: svc.Demo.Profile.ID, ConfigKey: svc.Demo.Profile.Key,
			HostOrigin: "https://host.example"}, "Origin", svc.URL).Expect(201).Decode(&start)
		deadline := time.Now().Add(15 * time.Second)
		for {
			mu.Lock()
			n := len(got)
			mu.Unlock()
			if n >= 2 || time.Now().After(deadline) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(got) < 2 || got[0].Type != protocol.WebhookChatStarted || got[1].Type != protocol.WebhookChatMessage {
			t.Fatalf("the receiver got %+v", got)
		}
		var m protocol.WebhookMessageData
		if err := json.Unmarshal(got[1].Data, &m); err != nil || m.ChatID != start.ChatID || m.Author != "bot" || m.Seq != 1 || m.Text == "" {
			t.Errorf("the greeting's data %s: %v", got[1].Data, err)
		}
	})
}

// TestTheServiceKeepsItsConnectionsToAReceiver: the service's webhook
// client keeps a connection for each chain in flight, so that a receiver
// busy with many chats' events is not dialled again for most of them
// (with 32 kept, a load of 200 chats' events spent a tenth of the node's
// CPU in dials). Two waves of chats whose events the receiver holds for
// a moment, so that they arrive at once: the second wave's deliveries
// find the first's connections.
func TestTheServiceKeepsItsConnectionsToAReceiver(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dsn string) {
		var dials, hits atomic.Int64
		// Each connection's wave (1, 2), and in the second wave how many
		// distinct connections carried deliveries and how many of those the
		// first wave had dialled.
		var mu sync.Mutex
		born, used := map[net.Conn]int{}, map[net.Conn]bool{}
		waveNo := 1
		recv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			time.Sleep(50 * time.Millisecond) // the receiver's work: the chains overlap
			hits.Add(1)
			w.WriteHeader(http.StatusNoContent)
		}))
		recv.Config.ConnState = func(conn net.Conn, s http.ConnState) {
			mu.Lock()
			defer mu.Unlock()
			switch s {
			case http.StateNew:
				dials.Add(1)
				born[conn] = waveNo
			case http.StateActive:
				if waveNo == 2 {
					used[conn] = true
				}
			}
		}
		recv.Start()
		defer recv.Close()
		svc := loopback.Start(t, loopback.Options{DSN: dsn, OutboundAllow: []string{"127.0.0.1"}, Limits: service.Unlimited()})
		c := testenv.NewClient(t, svc.URL)
		var login protocol.AgentLogin
		c.Do("POST", "/auth/login", map[string]string{"email": svc.Demo.Admin.Email, "password": svc.Demo.Admin.Password}).Expect(200).Decode(&login)
		c.Bearer(login.Token).Do("POST", "/api/Webhook", protocol.WebhookInput{URL: recv.URL + "/in",
			Events: []string{protocol.WebhookChatStarted}}).Expect(201)
		const chats = 100
		wave := func() (dialled int64) {
			before, want := dials.Load(), hits.Load()+chats
			var wg sync.WaitGroup
			for range chats {
				wg.Go(func() {
					c.Do("POST", "/chat/api/v1/start", protocol.StartChatRequest{ConfigID: svc.Demo.Profile.ID, ConfigKey: svc.Demo.Profile.Key,
						HostOrigin: "https://host.example"}, "Origin", svc.URL).Expect(201)
				})
			}
			wg.Wait()
			for deadline := time.Now().Add(30 * time.Second); hits.Load() < want; time.Sleep(20 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("%d of %d events delivered after 30 s", hits.Load(), want)
				}
			}
			return dials.Load() - before
		}
		first := wave()
		mu.Lock()
		waveNo = 2
		mu.Unlock()
		second := wave()
		mu.Lock()
		reused := int64(0)
		for conn := range used {
			if born[conn] == 1 {
				reused++
			}
		}
		carried := int64(len(used))
		mu.Unlock()
		t.Logf("connections dialled: %d for the first %d chats, %d for the next %d; the second's deliveries went over %d, %d of them the first's",
			first, chats, second, chats, carried, reused)
		if first < 10 {
			t.Fatalf("the first wave's %d events came over %d connections: they did not overlap", chats, first)
		}
		// Kept, the first wave's connections carry the second's first
		// deliveries, and only what overlaps beyond them is dialled anew
		// (a busier second wave dials more); not kept (two idle, the
		// default), almost every one is new.
		if want := min(first, carried) * 3 / 4; reused < want {
			t.Fatalf("the second wave reused %d of the first wave's %d connections over its %d (dialled %d): the idle ones were not kept",
				reused, first, carried, second)
		}
	})
}
