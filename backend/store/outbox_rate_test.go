package store

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"halochat/app/protocol"
)

// TestOutboxAppendRate measures what the outbox costs the message path
// (HALOCHAT_BENCH=1, PostgreSQL): appends per second through AppendIf's
// batched statement, 32 writers over 200 live chats, in three variants
// taken in turns so that a shared machine's load falls on each alike —
//
//   - "no outbox": a system note, whose statement is the message
//     statement as it was before webhooks (no webhooks CTE);
//   - "no webhook": a visitor's message with the outbox CTE, no webhook;
//   - "one webhook": the same, with one webhook subscribed to
//     chat.message (a delivery row written with each message).
func TestOutboxAppendRate(t *testing.T) {
	if os.Getenv("HALOCHAT_BENCH") == "" {
		t.Skip("set HALOCHAT_BENCH=1 to measure the outbox's cost to the message rate")
	}
	s := openPostgresBatches(t, DefaultAppendBatches)
	ctx := context.Background()
	const chats, writers, rounds = 200, 32, 3
	dur := 4 * time.Second
	ids := make([]string, chats)
	for i := range ids {
		ids[i] = newChat(t, s, ChatLive).ID
	}
	if q := os.Getenv("HALOCHAT_BENCH_OUTBOX_SQL"); q != "" { // an experiment's schema change
		if _, err := s.db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	var hook *Webhook
	variants := []struct {
		name   string
		sender string
		hooked bool
	}{{"no outbox", SenderSystem, false}, {"no webhook", SenderVisitor, false}, {"one webhook", SenderVisitor, true}}
	rates := map[string][]float64{}
	for r := range rounds {
		for _, v := range variants {
			switch {
			case v.hooked && hook == nil:
				hook = &Webhook{URL: "http://127.0.0.1:1/", Events: StringList{protocol.WebhookChatMessage}, Secret: "whsec_eA=="}
				must(t, s.CreateWebhook(ctx, hook))
			case !v.hooked && hook != nil:
				must(t, s.DeleteWebhook(ctx, hook.ID))
				hook = nil
			}
			n := appendFor(t, s, ids, writers, dur, v.sender, fmt.Sprint(r, v.name))
			rates[v.name] = append(rates[v.name], float64(n)/dur.Seconds())
		}
	}
	for _, v := range variants {
		t.Logf("%-12s appends/s per round: %.0f", v.name, rates[v.name])
	}
}

// appendFor appends from writers goroutines to the chats for d and says
// how many appends were committed.
func appendFor(t *testing.T, s *Store, ids []string, writers int, d time.Duration, sender, tag string) int64 {
	var n atomic.Int64
	var wg sync.WaitGroup
	stop := time.Now().Add(d)
	for w := range writers {
		wg.Go(func() {
			for k := 0; time.Now().Before(stop); k++ {
				id := ids[(w*7+k)%len(ids)]
				res, err := s.AppendIf(context.Background(), id, AppendCond{NotEnded: true},
					Message{Sender: sender, Text: fmt.Sprint(tag, " ", w, " ", k)})
				if err != nil || !res.Applied {
					t.Errorf("append: %+v %v", res, err)
					return
				}
				n.Add(1)
			}
		})
	}
	wg.Wait()
	return n.Load()
}
