package privacy

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"halochat/backend/store"
	"halochat/backend/storetest"
	"halochat/backend/testenv"
)

// envCount reads a count from the environment (def when unset).
func envCount(t *testing.T, name string, def, most int) int {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > most {
		t.Fatalf("%s=%q: want 1 to %d", name, v, most)
	}
	return n
}

// eachDBInTurn runs fn on a fresh store of each database, one after the
// other: the figures are not shared with the other database's run.
func eachDBInTurn(t *testing.T, fn func(t *testing.T, name string, st *store.Store)) {
	for _, db := range []struct {
		name string
		dsn  func(testing.TB) string
	}{{"sqlite", testenv.SQLiteDSN}, {"postgres", testenv.PostgresDSN}} {
		t.Run(db.name, func(t *testing.T) { fn(t, db.name, storetest.Open(t, db.dsn(t))) })
	}
}

// seedChats inserts n ended chats of a profile (of a user when userID is
// set) that ended at endedAt, each with two visitor and two agent
// messages and, when field is set, a value of it; a ticket every tenth
// chat. Rows go in a few hundred at a time, as the store would hold them.
func seedChats(t *testing.T, st *store.Store, profileID string, userID, field int64, n int, endedAt time.Time) {
	t.Helper()
	const batch = 250
	for from := 0; from < n; from += batch {
		var (
			chats  []store.Chat
			msgs   []store.Message
			values []store.ChatFieldValue
			ticks  []store.Ticket
		)
		for i := from; i < min(from+batch, n); i++ {
			c := store.Chat{ID: store.NewChatID(), ProfileID: profileID, UserID: userID, Context: store.ContextEmbedded,
				Status: store.ChatEnded, LastSeq: 4, StartedAt: endedAt.Add(-time.Hour), EndedAt: endedAt, UpdatedAt: endedAt}
			chats = append(chats, c)
			for seq, sender := range []string{store.SenderVisitor, store.SenderAgent, store.SenderVisitor, store.SenderAgent} {
				msgs = append(msgs, store.Message{ChatID: c.ID, Seq: int64(seq + 1), Sender: sender,
					Text: fmt.Sprintf("message %d of chat %d", seq+1, i), CreatedAt: endedAt.Add(-time.Minute)})
			}
			if field != 0 {
				values = append(values, store.ChatFieldValue{ChatID: c.ID, FieldID: field, Value: "value " + strconv.Itoa(i)})
			}
			if i%10 == 0 {
				ticks = append(ticks, store.Ticket{UserID: userID, ChatID: c.ID, ProfileID: profileID, Summary: "ticket",
					Details: "transcript", Status: store.TicketOpen, CreatedAt: endedAt, UpdatedAt: endedAt})
			}
		}
		insertAll(t, st, chats)
		insertAll(t, st, msgs)
		insertAll(t, st, values)
		insertAll(t, st, ticks)
	}
}

// insertAll inserts rows in one statement (none when there are none).
func insertAll[T any](t *testing.T, st *store.Store, rows []T) {
	t.Helper()
	if len(rows) == 0 {
		return
	}
	if _, err := st.DB().NewInsert().Model(&rows).Exec(context.Background()); err != nil {
		t.Fatalf("seed: %v", err)
	}
}

func newProfile(t *testing.T, st *store.Store, name string, retentionDays int64) *store.ChatProfile {
	t.Helper()
	p := &store.ChatProfile{Name: name, Access: store.AccessPortalAndExternal, RetentionDays: retentionDays}
	noErr(t, st.CreateProfile(context.Background(), p))
	return p
}

// TestEraseTimeOfAUserWithManyChats measures an erasure of a user with
// many chats (HALOCHAT_ERASE_CHATS, default 200; make bench: 1,000), each
// with four messages, a field value and every tenth a ticket: one
// transaction. It logs one line a database, which .ci/bench.sh writes
// into docs/BENCHMARKS.md.
func TestEraseTimeOfAUserWithManyChats(t *testing.T) {
	n := envCount(t, "HALOCHAT_ERASE_CHATS", 200, 100_000)
	eachDBInTurn(t, func(t *testing.T, name string, st *store.Store) {
		ctx := context.Background()
		p := newProfile(t, st, "p", 0)
		f := &store.CustomField{Entity: store.EntityChat, Name: "CForder", Label: "Order", Type: store.FieldText}
		noErr(t, st.CreateCustomField(ctx, f))
		u := &store.User{Email: "many@chats.test", FirstName: "Many"}
		noErr(t, st.CreateUser(ctx, u))
		seedChats(t, st, p.ID, u.ID, f.ID, n, st.Now().Add(-time.Hour))
		svc := &Service{Store: st}
		start := time.Now()
		e, err := svc.Erase(ctx, u.ID)
		took := time.Since(start)
		noErr(t, err)
		if e.Chats != int64(n) || e.Messages != int64(2*n) || e.ChatFieldValues != int64(n) || e.Tickets != int64((n+9)/10) {
			t.Errorf("erasure %+v of a user with %d chats", e, n)
		}
		t.Logf("%s: erase a user with %d chats (%d messages removed, %d field values, %d tickets emptied), one transaction: %.0f ms",
			name, n, e.Messages, e.ChatFieldValues, e.Tickets, float64(took.Microseconds())/1000)
	})
}

// latencies collects the commit times of messages.
type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) add(d time.Duration) { l.mu.Lock(); l.d = append(l.d, d); l.mu.Unlock() }

// quantile is the q-quantile in milliseconds.
func (l *latencies) quantile(q float64) float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.d) == 0 {
		return 0
	}
	s := slices.Clone(l.d)
	slices.Sort(s)
	return float64(s[min(len(s)-1, int(q*float64(len(s))))].Microseconds()) / 1000
}

// appendUntil has writers append messages to open chats, one at a
// time each, until stop closes, recording each commit's time.
func appendUntil(t *testing.T, st *store.Store, chats []*store.Chat, stop <-chan struct{}, into *latencies) {
	var wg sync.WaitGroup
	for _, c := range chats {
		wg.Go(func() {
			for k := 0; ; k++ {
				select {
				case <-stop:
					return
				default:
				}
				start := time.Now()
				if _, _, err := st.AppendMessage(context.Background(), store.Message{ChatID: c.ID, Sender: store.SenderVisitor,
					Text: "hello " + strconv.Itoa(k)}); err != nil {
					t.Error(err)
					return
				}
				into.add(time.Since(start))
			}
		})
	}
	wg.Wait()
}

// TestRetentionBesideMessages measures what the retention job costs the
// message path: writers append messages to 16 open chats for 3 s alone,
// then while the job deletes old chats (HALOCHAT_RETENTION_CHATS,
// default 2,000; make bench: 100,000; each with four messages, a tenth
// with a ticket), and it logs the commit p50/p99 of both phases and the
// job's rate, one line a database (.ci/bench.sh).
func TestRetentionBesideMessages(t *testing.T) {
	n := envCount(t, "HALOCHAT_RETENTION_CHATS", 2000, 1_000_000)
	const writers = 16
	eachDBInTurn(t, func(t *testing.T, name string, st *store.Store) {
		ctx := context.Background()
		old := newProfile(t, st, "30 days", 30)
		live := newProfile(t, st, "live", 0)
		seedChats(t, st, old.ID, 0, 0, n, st.Now().Add(-40*24*time.Hour))
		var open []*store.Chat
		for range writers {
			c := &store.Chat{ProfileID: live.ID, Context: store.ContextEmbedded}
			noErr(t, st.CreateChat(ctx, c, nil))
			open = append(open, c)
		}
		var before, during latencies
		stop := make(chan struct{})
		time.AfterFunc(3*time.Second, func() { close(stop) })
		appendUntil(t, st, open, stop, &before)

		svc := &Service{Store: st}
		stop = make(chan struct{})
		done := make(chan struct{})
		go func() { defer close(done); appendUntil(t, st, open, stop, &during) }()
		start := time.Now()
		deleted, err := svc.SweepRetention(ctx, RetentionBatch)
		took := time.Since(start)
		close(stop)
		<-done
		noErr(t, err)
		if deleted != int64(n) {
			t.Errorf("retention deleted %d chats, want %d", deleted, n)
		}
		t.Logf("%s: retention deleted %d chats (%d messages) in %.1f s (%.0f chats/s, at most %d a transaction); message commit p50 %.1f ms, p99 %.1f ms meanwhile (%d messages, %d writers); alone p50 %.1f ms, p99 %.1f ms (%d messages)",
			name, deleted, 4*deleted, took.Seconds(), float64(deleted)/took.Seconds(), RetentionBatch,
			during.quantile(0.5), during.quantile(0.99), len(during.d), writers, before.quantile(0.5), before.quantile(0.99), len(before.d))
	})
}
