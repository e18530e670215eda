package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"halochat/app/protocol"
	"halochat/backend/outbound"
	"halochat/backend/store"
	"halochat/backend/testenv"
)

// clock is a fake clock the store and the dispatcher read.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// hit is one delivery a receiver took.
type hit struct {
	id   string // webhook-id
	at   time.Time
	typ  string
	data json.RawMessage
}

// receiver is a webhook endpoint on loopback that verifies every
// delivery with the Standard Webhooks library (not this package's code)
// and answers what answer says.
type receiver struct {
	t      *testing.T
	srv    *httptest.Server
	verify *standardwebhooks.Webhook
	clock  *clock
	// answer decides the status of the n-th request (0-based) for an
	// event id; nil: 200.
	answer func(id string, n int) int

	mu   sync.Mutex
	hits []hit
	seen map[string]int
}

func newReceiver(t *testing.T, secret string, clk *clock) *receiver {
	t.Helper()
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	r := &receiver{t: t, verify: wh, clock: clk, seen: map[string]int{}}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	// The fake clock signs the attempt: verify its timestamp with the
	// library's own check switched off, and then check it against the
	// fake clock here.
	if err := r.verify.VerifyIgnoringTimestamp(body, req.Header); err != nil {
		r.t.Errorf("delivery %s does not verify: %v", req.Header.Get(HeaderID), err)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var e protocol.WebhookEvent
	if err := json.Unmarshal(body, &e); err != nil {
		r.t.Errorf("delivery body %s: %v", body, err)
	}
	id := req.Header.Get(HeaderID)
	at := r.clock.Now()
	if ts := req.Header.Get(HeaderTimestamp); ts != fmt.Sprint(at.Unix()) {
		r.t.Errorf("delivery %s: webhook-timestamp %s, the clock says %d", id, ts, at.Unix())
	}
	r.mu.Lock()
	n := r.seen[id]
	r.seen[id]++
	r.hits = append(r.hits, hit{id: id, at: at, typ: e.Type, data: e.Data})
	r.mu.Unlock()
	status := http.StatusOK
	if r.answer != nil {
		status = r.answer(id, n)
	}
	w.WriteHeader(status)
}

func (r *receiver) got() []hit {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]hit(nil), r.hits...)
}

// env is a store on one database with a fake clock, a receiver and the
// webhook pointing at it.
type env struct {
	st    *store.Store
	clock *clock
	recv  *receiver
	hook  *store.Webhook
}

func newEnv(t *testing.T, dsn string, events ...string) *env {
	t.Helper()
	clk := &clock{now: time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)}
	st := testenv.OpenStore(t, dsn, func(ctx context.Context, dsn string) (*store.Store, error) {
		return store.OpenWithOptions(ctx, dsn, store.Options{Now: clk.Now})
	})
	sec := NewSecret()
	recv := newReceiver(t, sec, clk)
	hook := &store.Webhook{URL: recv.srv.URL + "/hook", Events: events, Secret: sec}
	if err := st.CreateWebhook(context.Background(), hook); err != nil {
		t.Fatal(err)
	}
	return &env{st: st, clock: clk, recv: recv, hook: hook}
}

// dispatcher makes a dispatcher for e whose client is the outbound
// guard's, opened to loopback.
func (e *env) dispatcher(t *testing.T, st *store.Store) *Dispatcher {
	t.Helper()
	allow, err := outbound.ParseAllowList([]string{"127.0.0.1/32"})
	if err != nil {
		t.Fatal(err)
	}
	return NewDispatcher(Config{Store: st, Client: outbound.NewClient(outbound.Options{Allow: allow}),
		Logger: testenv.Logger(), Timeout: 5 * time.Second, Jitter: func() float64 { return 0.5 }})
}

func (e *env) delivery(t *testing.T, id int64) *store.Delivery {
	t.Helper()
	d, err := e.st.GetDelivery(context.Background(), e.hook.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func (e *env) onlyDelivery(t *testing.T) *store.Delivery {
	t.Helper()
	ds, err := e.st.ListDeliveries(context.Background(), e.hook.ID, store.DeliveryFilter{})
	if err != nil || len(ds) != 1 {
		t.Fatalf("deliveries %+v, %v; want one", ds, err)
	}
	return &ds[0]
}

// runOnce runs one round and says how many it attempted.
func runOnce(t *testing.T, d *Dispatcher) int {
	t.Helper()
	n, err := d.RunOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestRetriesBackOffForADayThenFail: a receiver that always answers 500
// is tried at once, then after 5 s, 10 s, 20 s… (doubling up to an hour),
// until a day has passed since the event: one last attempt then, and the
// delivery is failed. Nothing is attempted before it is due.
func TestRetriesBackOffForADayThenFail(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn, protocol.WebhookTicketCreated)
		e.recv.answer = func(string, int) int { return http.StatusInternalServerError }
		d := e.dispatcher(t, e.st)
		ctx := context.Background()
		if err := e.st.CreateTicket(ctx, &store.Ticket{Summary: "retry me"}, nil); err != nil {
			t.Fatal(err)
		}
		start := e.clock.Now()
		var waits []time.Duration
		for round := 0; ; round++ {
			if round > 100 {
				t.Fatalf("still pending after 100 attempts")
			}
			if n := runOnce(t, d); n != 1 {
				t.Fatalf("attempt %d: %d claimed, want 1", round+1, n)
			}
			dl := e.onlyDelivery(t)
			if dl.Attempts != int64(round+1) || dl.LastStatus != 500 || dl.LastError != "HTTP 500" {
				t.Fatalf("after attempt %d: %+v", round+1, dl)
			}
			if dl.Status == protocol.DeliveryFailed {
				break
			}
			wait := dl.NextAttemptAt.Sub(e.clock.Now())
			waits = append(waits, wait)
			e.clock.Set(dl.NextAttemptAt.Add(-time.Millisecond))
			if n := runOnce(t, d); n != 0 {
				t.Fatalf("attempt %d came %v early", round+2, time.Millisecond)
			}
			e.clock.Set(dl.NextAttemptAt)
		}
		hits := e.recv.got()
		if last := hits[len(hits)-1].at; !last.Equal(start.Add(store.RetryFor)) {
			t.Errorf("the last attempt came %v after the event, want %v", last.Sub(start), store.RetryFor)
		}
		want := 5 * time.Second
		for i, w := range waits {
			if i > 0 {
				want = min(2*want, time.Hour)
			}
			if i == len(waits)-1 { // the last one: cut at the day's end
				want = min(want, start.Add(store.RetryFor).Sub(hits[i].at))
			}
			if w != want {
				t.Errorf("wait %d = %v, want %v (waits %v)", i, w, want, waits)
				break
			}
		}
		if len(hits) != len(waits)+1 || len(hits) < 30 {
			t.Errorf("%d attempts, %d waits", len(hits), len(waits))
		}
		// Failed deliveries are not claimed again.
		e.clock.Set(start.Add(48 * time.Hour))
		if n := runOnce(t, d); n != 0 {
			t.Errorf("a failed delivery was attempted again")
		}
	})
}

// chatWithMessages starts a chat in st with n visitor messages after
// its start: n+1 events on its chain.
func chatWithMessages(t *testing.T, st *store.Store, profileID string, n int) string {
	t.Helper()
	ctx := context.Background()
	c := &store.Chat{ProfileID: profileID, Context: store.ContextEmbedded}
	if err := st.CreateChat(ctx, c, nil); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		res, err := st.AppendIf(ctx, c.ID, store.AppendCond{NotEnded: true},
			store.Message{Sender: store.SenderVisitor, ClientMsgID: fmt.Sprint("m", i), Text: fmt.Sprint("message ", i+1)})
		if err != nil || !res.Applied {
			t.Fatalf("append: %+v %v", res, err)
		}
	}
	return c.ID
}

func newProfile(t *testing.T, st *store.Store) string {
	t.Helper()
	p := &store.ChatProfile{Name: "webhooks " + store.RandomID(4), Access: store.AccessPortalAndExternal}
	if err := st.CreateProfile(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	return p.ID
}

// seqsByChat are the chat.message sequence numbers each chat's
// deliveries reached the receiver in (chat.started as 0), first
// arrivals only.
func seqsByChat(t *testing.T, hits []hit) map[string][]int64 {
	t.Helper()
	out := map[string][]int64{}
	seen := map[string]bool{}
	for _, h := range hits {
		if seen[h.id] {
			continue
		}
		seen[h.id] = true
		var d struct {
			ChatID string `json:"chat_id"`
			Seq    int64  `json:"seq"`
		}
		if err := json.Unmarshal(h.data, &d); err != nil {
			t.Fatal(err)
		}
		out[d.ChatID] = append(out[d.ChatID], d.Seq)
	}
	return out
}

// TestEventsOfAChatArriveInOrder: while a chat's first event fails, its
// later ones wait (another chat's go on); once it is delivered, the rest
// follow in order.
func TestEventsOfAChatArriveInOrder(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn, protocol.WebhookChatStarted, protocol.WebhookChatMessage)
		p := newProfile(t, e.st)
		stuck := chatWithMessages(t, e.st, p, 4)
		other := chatWithMessages(t, e.st, p, 2)
		var stuckStart string
		e.recv.answer = func(id string, n int) int {
			if id == stuckStart && n == 0 {
				return http.StatusServiceUnavailable
			}
			return http.StatusOK
		}
		ds, err := e.st.ListDeliveries(context.Background(), e.hook.ID, store.DeliveryFilter{})
		if err != nil {
			t.Fatal(err)
		}
		stuckStart = ds[len(ds)-1].EventID // the oldest: stuck's chat.started
		d := e.dispatcher(t, e.st)
		for runOnce(t, d) > 0 {
		}
		got := seqsByChat(t, e.recv.got())
		if fmt.Sprint(got[other]) != "[0 1 2]" || len(got[stuck]) != 1 {
			t.Fatalf("while the stuck chat's start fails: stuck %v, other %v", got[stuck], got[other])
		}
		e.clock.Set(e.clock.Now().Add(time.Minute))
		for runOnce(t, d) > 0 {
		}
		got = seqsByChat(t, e.recv.got())
		if fmt.Sprint(got[stuck]) != "[0 1 2 3 4]" {
			t.Errorf("the stuck chat's events arrived as %v", got[stuck])
		}
	})
}

// TestTwoDispatchersDeliverEachEventOnce: two nodes' dispatchers (each
// its own store, pool and clock reading) run at once on one database:
// every event reaches the receiver exactly once (a claim is FOR UPDATE
// SKIP LOCKED on PostgreSQL, a write transaction on SQLite), each chat's
// in order.
func TestTwoDispatchersDeliverEachEventOnce(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn, protocol.WebhookChatStarted, protocol.WebhookChatMessage)
		other := testenv.OpenStore(t, dsn, func(ctx context.Context, dsn string) (*store.Store, error) {
			return store.OpenWithOptions(ctx, dsn, store.Options{Now: e.clock.Now})
		})
		p := newProfile(t, e.st)
		const chats, each = 12, 5
		for range chats {
			chatWithMessages(t, e.st, p, each)
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var wg sync.WaitGroup
		for _, st := range []*store.Store{e.st, other} {
			d := e.dispatcher(t, st)
			d.cfg.MaxInFlight, d.cfg.Poll = 4, 5*time.Millisecond
			wg.Go(func() { d.Run(ctx) })
		}
		want := chats * (each + 1)
		deadline := time.Now().Add(30 * time.Second)
		for len(e.recv.got()) < want && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(200 * time.Millisecond) // a duplicate would come now
		cancel()
		wg.Wait()
		hits := e.recv.got()
		if len(hits) != want {
			t.Errorf("%d deliveries reached the receiver, want %d", len(hits), want)
		}
		for id, n := range e.recv.seen {
			if n != 1 {
				t.Errorf("event %s arrived %d times", id, n)
			}
		}
		for chat, seqs := range seqsByChat(t, hits) {
			if fmt.Sprint(seqs) != "[0 1 2 3 4 5]" {
				t.Errorf("chat %s: events arrived as %v", chat, seqs)
			}
		}
	})
}

// TestALostLeaseIsDeliveredAgain: a delivery whose dispatcher died after
// claiming it (a node killed mid-delivery) is sent by another once the
// lease has run out, with the same webhook-id; not before.
func TestALostLeaseIsDeliveredAgain(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn, protocol.WebhookTicketCreated)
		if err := e.st.CreateTicket(context.Background(), &store.Ticket{Summary: "lost"}, nil); err != nil {
			t.Fatal(err)
		}
		d := e.dispatcher(t, e.st)
		lost, err := e.st.ClaimDeliveries(context.Background(), 10, d.lease())
		if err != nil || len(lost) != 1 {
			t.Fatalf("claim: %+v %v", lost, err)
		}
		if n := runOnce(t, d); n != 0 {
			t.Fatalf("a leased delivery was claimed again")
		}
		e.clock.Set(e.clock.Now().Add(d.lease()))
		if n := runOnce(t, d); n != 1 {
			t.Fatalf("%d claimed after the lease ran out, want 1", n)
		}
		hits := e.recv.got()
		if len(hits) != 1 || hits[0].id != lost[0].EventID {
			t.Errorf("hits %+v, want the lost event %s", hits, lost[0].EventID)
		}
		if dl := e.delivery(t, lost[0].ID); dl.Status != protocol.DeliveryDelivered || dl.Attempts != 1 || !dl.DeliveredAt.Equal(e.clock.Now()) {
			t.Errorf("delivery %+v", dl)
		}
	})
}

// TestARotationSignsWithBothSecretsForADay: after a rotation, receivers
// holding either secret verify deliveries for 24 hours; then only the
// new one does. A 410 Gone is not retried.
func TestARotationSignsWithBothSecretsForADay(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn, protocol.WebhookTicketCreated)
		ctx := context.Background()
		oldSecret, newSecret := e.hook.Secret, NewSecret()
		if _, err := e.st.RotateWebhookSecret(ctx, e.hook.ID, newSecret); err != nil {
			t.Fatal(err)
		}
		d := e.dispatcher(t, e.st)
		newOnly, err := standardwebhooks.NewWebhook(newSecret)
		if err != nil {
			t.Fatal(err)
		}
		var headers []http.Header
		var bodies [][]byte
		e.recv.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			headers, bodies = append(headers, r.Header.Clone()), append(bodies, b)
			w.WriteHeader(http.StatusGone)
		})
		for _, at := range []time.Duration{time.Hour, store.SecretOverlap + time.Second} {
			e.clock.Set(e.clock.Now().Add(at))
			if err := e.st.CreateTicket(ctx, &store.Ticket{Summary: "rotated"}, nil); err != nil {
				t.Fatal(err)
			}
			if n := runOnce(t, d); n != 1 {
				t.Fatalf("%d claimed", n)
			}
		}
		if len(headers) != 2 {
			t.Fatalf("%d deliveries", len(headers))
		}
		oldOnly, _ := standardwebhooks.NewWebhook(oldSecret)
		for i, wantOld := range []bool{true, false} {
			if err := newOnly.VerifyIgnoringTimestamp(bodies[i], headers[i]); err != nil {
				t.Errorf("delivery %d: the new secret does not verify: %v", i, err)
			}
			if err := oldOnly.VerifyIgnoringTimestamp(bodies[i], headers[i]); (err == nil) != wantOld {
				t.Errorf("delivery %d: the old secret verifies: %v, want %v", i, err == nil, wantOld)
			}
		}
		ds, _ := e.st.ListDeliveries(ctx, e.hook.ID, store.DeliveryFilter{Status: protocol.DeliveryFailed})
		if len(ds) != 2 || ds[0].Attempts != 1 || ds[0].LastStatus != http.StatusGone {
			t.Errorf("after 410 Gone: %+v", ds)
		}
	})
}

func TestBackoffJitterStaysWithinAQuarter(t *testing.T) {
	for _, j := range []struct {
		jitter float64
		want   time.Duration
	}{{0, 3750 * time.Millisecond}, {0.5, 5 * time.Second}, {0.999999, 6250 * time.Millisecond}} {
		d := NewDispatcher(Config{Jitter: func() float64 { return j.jitter }})
		if got := d.backoff.Wait(1).Round(time.Millisecond); got != j.want {
			t.Errorf("jitter %v: first retry after %v, want %v", j.jitter, got, j.want)
		}
		if got := d.backoff.Wait(1000); got > time.Hour*5/4 || got < time.Hour*3/4 {
			t.Errorf("jitter %v: the thousandth retry after %v", j.jitter, got)
		}
	}
}

// TestAClaimTakesAChainsBacklogInOrder: ClaimChains leases a chain's
// head and the events after it, a prefix of the chain in id order, up to
// the rows asked; nothing of a leased chain is claimed again until its
// lease ends or its rows are released; released rows are claimed again,
// unchanged (no attempt counted).
func TestAClaimTakesAChainsBacklogInOrder(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		e := newEnv(t, dsn, protocol.WebhookChatStarted, protocol.WebhookChatMessage)
		p := newProfile(t, e.st)
		chat := chatWithMessages(t, e.st, p, 4) // chat.started and 4 messages: 5 events
		lease := time.Minute
		first, err := e.st.ClaimChains(ctx, 10, 3, lease)
		if err != nil {
			t.Fatal(err)
		}
		if len(first) != 3 || first[0].Chain != chat || first[0].EventType != protocol.WebhookChatStarted ||
			first[0].ID >= first[1].ID || first[1].ID >= first[2].ID {
			t.Fatalf("first claim: %+v, want the chain's first 3 events in id order", first)
		}
		again, err := e.st.ClaimChains(ctx, 10, 10, lease)
		if err != nil || len(again) != 0 {
			t.Fatalf("a second claim while the chain is leased took %d rows (%v), want none", len(again), err)
		}
		if err := e.st.ReleaseDeliveries(ctx, []int64{first[1].ID, first[2].ID}); err != nil {
			t.Fatal(err)
		}
		if again, err = e.st.ClaimChains(ctx, 10, 10, lease); err != nil || len(again) != 0 {
			t.Fatalf("with the head still leased a claim took %d rows (%v), want none", len(again), err)
		}
		if err := e.st.ReleaseDeliveries(ctx, []int64{first[0].ID}); err != nil {
			t.Fatal(err)
		}
		all, err := e.st.ClaimChains(ctx, 10, 10, lease)
		if err != nil || len(all) != 5 || all[0].ID != first[0].ID {
			t.Fatalf("after the release a claim took %d rows (%v), want all 5 from the head", len(all), err)
		}
		for _, c := range all {
			if c.Attempts != 0 {
				t.Errorf("delivery %d counts %d attempts after a release, want 0", c.ID, c.Attempts)
			}
		}
	})
}

// TestADatabaseAwayIsLoggedOnceASecond: while claims fail (the store is
// closed), the dispatcher waits a second between them, not a poll, so
// its warnings do not flood the log.
func TestADatabaseAwayIsLoggedOnceASecond(t *testing.T) {
	st, err := store.Open(context.Background(), testenv.SQLiteDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	var logs testenv.Logs
	d := NewDispatcher(Config{Store: st, Client: http.DefaultClient, Logger: logs.Logger(), Poll: 5 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	d.Run(ctx)
	if n := strings.Count(logs.String(), `"msg":"claim webhook deliveries"`); n < 1 || n > 2 {
		t.Errorf("%d warnings in 1.5 s of failed claims, want 1 or 2:\n%s", n, logs.String())
	}
}
