package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// hookReceiver is -webhook's receiver on loopback: a webhook subscribed
// to chat.message points at it; it verifies every delivery with the
// Standard Webhooks library (as a site's backend would, not with the
// service's code), and measures the lag from the event's commit (its
// timestamp) to its arrival, deliveries per second, duplicates (a
// webhook-id seen before) and which of the load's messages arrived.
type hookReceiver struct {
	verify *standardwebhooks.Webhook
	lag    *samples

	mu   sync.Mutex
	seen map[string]bool // webhook-ids

	received, dups, badSig, loadMsgs atomic.Int64
	first, last                      atomic.Int64 // Unix ns of the first and the last arrival
}

// hookEvent is the part of a delivery the receiver reads.
type hookEvent struct {
	Type      string    `json:"type"`
	Timestamp time.Time `json:"timestamp"`
	Data      struct {
		Author string `json:"author"`
		Text   string `json:"text"`
	} `json:"data"`
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	now := time.Now()
	if err != nil || h.verify.Verify(body, r.Header) != nil {
		h.badSig.Add(1)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	id := r.Header.Get("webhook-id")
	h.mu.Lock()
	dup := h.seen[id]
	h.seen[id] = true
	h.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
	if dup {
		h.dups.Add(1)
		return
	}
	var ev hookEvent
	if json.Unmarshal(body, &ev) != nil {
		return
	}
	h.received.Add(1)
	h.first.CompareAndSwap(0, now.UnixNano())
	h.last.Store(now.UnixNano())
	h.lag.add(float64(now.Sub(ev.Timestamp).Microseconds()) / 1000)
	// The load's own messages: a visitor's "visitor … t=…", an agent's
	// "agent … t=…"; the flow's messages are delivered too, not counted.
	if (ev.Data.Author == "visitor" && strings.HasPrefix(ev.Data.Text, "visitor ")) ||
		(ev.Data.Author == "agent" && strings.HasPrefix(ev.Data.Text, "agent ")) {
		h.loadMsgs.Add(1)
	}
}

// webhookSetup serves the receiver on loopback and creates the webhook
// (with the demo admin); stop deletes the webhook, so that later runs on
// the same database do not deliver to a receiver that is gone.
func (l *load) webhookSetup(ctx context.Context) (h *hookReceiver, stop func(), err error) {
	admin, err := l.login(ctx, l.d.Admin.Email, l.d.Admin.Password)
	if err != nil {
		return nil, nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, fmt.Errorf("the webhook receiver: %w", err)
	}
	var created struct {
		ID     int64  `json:"id"`
		Secret string `json:"secret"`
	}
	in := map[string]any{"url": "http://" + ln.Addr().String() + "/hook", "events": []string{"chat.message"},
		"description": "loadgen -webhook"}
	if err := l.post(ctx, l.agentBase, "/api/Webhook", admin, in, &created); err != nil {
		_ = ln.Close()
		return nil, nil, fmt.Errorf("create the webhook: %w", err)
	}
	h = &hookReceiver{lag: newSamples(), seen: map[string]bool{}}
	if h.verify, err = standardwebhooks.NewWebhook(created.Secret); err != nil {
		_ = ln.Close()
		return nil, nil, fmt.Errorf("the webhook's secret: %w", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return h, func() {
		_ = srv.Close()
		dctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := l.do(dctx, "DELETE", l.agentBase+"/api/Webhook/"+strconv.FormatInt(created.ID, 10), admin); err != nil {
			l.fail("delete the webhook: %v", err)
		}
	}, nil
}

// do sends a request without a body and wants a 2xx.
func (l *load) do(ctx context.Context, method, url, bearer string) error {
	req, err := http.NewRequestWithContext(ctx, method, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+bearer)
	res, err := l.client.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, url, err)
	}
	res.Body.Close()
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %s", method, url, res.Status)
	}
	return nil
}

// WebhookReport is what -webhook measured.
type WebhookReport struct {
	WebhookReceived      int64 // distinct events (webhook-ids), the flow's messages included
	WebhookLoadMessages  int64 // the load's acknowledged messages that arrived
	WebhookLost          int64 // acknowledged messages that never arrived
	WebhookDuplicates    int64 // arrivals of a webhook-id seen before
	WebhookBadSignatures int64 // deliveries the library refused
	WebhookPerSecond     float64
	WebhookLagP50Ms      float64 // commit (the event's timestamp) → arrival
	WebhookLagP99Ms      float64
	WebhookLagMaxMs      float64
	// WebhookTrailMs is how long after the load's last message reached
	// its other side the last delivery arrived.
	WebhookTrailMs float64
}

// report waits (up to drain) until every acknowledged message of the
// load (acked) has arrived, and says what the receiver measured.
// lastDelivery (Unix ns) is when the load's last message reached its
// other side.
func (h *hookReceiver) report(acked, lastDelivery int64, drain time.Duration) *WebhookReport {
	waitFrom := time.Now()
	for h.loadMsgs.Load() < acked && time.Since(waitFrom) < drain {
		time.Sleep(20 * time.Millisecond)
	}
	r := &WebhookReport{WebhookReceived: h.received.Load(), WebhookDuplicates: h.dups.Load(),
		WebhookBadSignatures: h.badSig.Load(), WebhookLoadMessages: h.loadMsgs.Load()}
	r.WebhookLost = max(0, acked-r.WebhookLoadMessages)
	first, last := h.first.Load(), h.last.Load()
	if last > first {
		r.WebhookPerSecond = float64(r.WebhookReceived) / time.Duration(last-first).Seconds()
	}
	if lastDelivery > 0 && last > 0 {
		r.WebhookTrailMs = float64(last-lastDelivery) / 1e6
	}
	r.WebhookLagP50Ms, r.WebhookLagP99Ms, r.WebhookLagMaxMs = h.lag.pct(50), h.lag.pct(99), h.lag.pct(100)
	return r
}
