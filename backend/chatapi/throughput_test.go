package chatapi_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"halochat/app/protocol"
	"halochat/backend/realtime"
	"halochat/backend/store"
	"halochat/backend/testenv"
)

// TestThroughput is a first load measurement (HALOCHAT_BENCH=1): chats
// waiting in the queue, each visitor sending messages as fast as acks
// come back; a message counts when its frame has come back over the
// visitor's own websocket (stored, published, delivered).
func TestThroughput(t *testing.T) {
	if os.Getenv("HALOCHAT_BENCH") == "" {
		t.Skip("set HALOCHAT_BENCH=1 to measure throughput")
	}
	if underRace {
		t.Skip("measures throughput: not under the race detector (see race_test.go)")
	}
	dsn := testenv.SQLiteDSN(t)
	if os.Getenv("HALOCHAT_BENCH_DB") == "postgres" {
		dsn = testenv.PostgresDSN(t)
	}
	e := newEnv(t, dsn)
	n := e.node(nodeOpts{limits: realtime.Limits{SendsPerSecond: -1, MaxConnsPerIP: -1}})
	ctx := context.Background()
	if err := e.st.SetAgentPresence(ctx, e.agent.ID, store.PresenceOnline); err != nil {
		t.Fatal(err)
	}
	const chatsN, perChat = 50, 100
	var clients []*client
	var ids []string
	for range chatsN {
		resp, v := queuedVisitor(t, n, "q")
		clients, ids = append(clients, v), append(ids, resp.ChatID)
	}
	var mu sync.Mutex
	var lat []time.Duration
	var wg sync.WaitGroup
	start := time.Now()
	for i, v := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for k := range perChat {
				id := fmt.Sprintf("m%d", k)
				t0 := time.Now()
				v.send(protocol.Frame{Type: protocol.FrameSend, ClientMsgID: id, Text: "load " + id})
				v.messagesUntil(ids[i], func(m protocol.ChatMessage) bool { return m.ClientMsgID == id })
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	took := time.Since(start)
	slices.Sort(lat)
	total := chatsN * perChat
	t.Logf("%s: %d messages in %v: %.0f messages/s stored and delivered; latency p50 %v, p99 %v",
		e.st.Dialect(), total, took.Round(time.Millisecond), float64(total)/took.Seconds(),
		lat[len(lat)/2].Round(time.Microsecond), lat[len(lat)*99/100].Round(time.Microsecond))
}
