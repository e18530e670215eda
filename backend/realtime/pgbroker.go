package realtime

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"halochat/backend/chats"
	"halochat/backend/store"
)

// PGChannel is the PostgreSQL notification channel of the PG broker.
const PGChannel = "halochat_events"

// maxPayload keeps a notification below PostgreSQL's 8000-byte limit.
const maxPayload = 7000

// PG is the broker of a cluster: it delivers events to this node's
// subscribers at once, and tells the other nodes which topics changed
// with PostgreSQL notifications — sent after the commit (never inside
// the message's transaction, where NOTIFY takes a cluster-wide lock),
// coalesced per node every Interval. A notification carries the
// committed messages themselves while they fit in its 8000 bytes (a
// receiver then reads nothing: at two nodes, a database read per message
// per watcher halved the throughput); otherwise it names the topic, a
// hint, and receivers read the rows. Either way a receiver that sees a
// gap reads the database. After every (re)connect of its listener it
// hints every local topic, so what was missed while not listening is
// read again.
type PG struct {
	local    *Local
	store    *store.Store
	dsn      string
	node     string
	interval time.Duration
	log      *slog.Logger

	mu      sync.Mutex
	topics  map[string]struct{}
	msgs    map[string][]store.Message // by topic: committed messages to carry
	typing  []pgTyping
	kick    chan struct{}
	started chan struct{}
	once    sync.Once
}

type pgTyping struct {
	Chat string `json:"c"`
	From string `json:"f"`
	On   bool   `json:"o"`
}

// pgPayloadOf is a notification's body. M is a topic's messages: sent
// as JSON encoded once, when payloads measures them (pgPayloadOut), and
// received decoded (pgPayload).
type pgPayloadOf[M any] struct {
	Node   string     `json:"n"`
	Topics []string   `json:"t,omitempty"`
	Typing []pgTyping `json:"y,omitempty"`
	// Messages of some of Topics, in seq order.
	Messages map[string]M `json:"m,omitempty"`
}

type (
	pgPayload    = pgPayloadOf[[]store.Message]
	pgPayloadOut = pgPayloadOf[json.RawMessage]
)

// PGOptions configures NewPG.
type PGOptions struct {
	// DSN is the PostgreSQL DSN the listener connects with.
	DSN string
	// Store sends the notifications.
	Store *store.Store
	// Interval is how long changes are gathered before one notification
	// is sent. Default 5 ms.
	Interval time.Duration
	Logger   *slog.Logger
}

// NewPG returns a PostgreSQL broker. Call Run to start it.
func NewPG(o PGOptions) *PG {
	if o.Interval <= 0 {
		o.Interval = 5 * time.Millisecond
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return &PG{local: NewLocal(), store: o.Store, dsn: o.DSN, node: store.RandomID(8), interval: o.Interval,
		log: o.Logger, topics: map[string]struct{}{}, msgs: map[string][]store.Message{}, kick: make(chan struct{}, 1), started: make(chan struct{})}
}

// Publish implements chats.Publisher.
func (b *PG) Publish(ev chats.Event) {
	b.local.Publish(ev)
	b.mu.Lock()
	if ev.Typing != nil {
		b.typing = append(b.typing, pgTyping{Chat: ev.ChatID, From: ev.Typing.From, On: ev.Typing.On})
	} else {
		b.topics[ev.Topic] = struct{}{}
		b.msgs[ev.Topic] = append(b.msgs[ev.Topic], ev.Messages...)
	}
	b.mu.Unlock()
	select {
	case b.kick <- struct{}{}:
	default:
	}
}

// Subscribe implements Broker.
func (b *PG) Subscribe(topic string, fn func(chats.Event)) func() {
	return b.local.Subscribe(topic, fn)
}

// Topics returns the topics with at least one subscriber on this node.
func (b *PG) Topics() []string { return b.local.Topics() }

// Listening is closed once the listener has subscribed the first time.
func (b *PG) Listening() <-chan struct{} { return b.started }

// Run sends and receives notifications until ctx ends.
func (b *PG) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); b.sendLoop(ctx) }()
	go func() { defer wg.Done(); b.listenLoop(ctx) }()
	wg.Wait()
}

func (b *PG) sendLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-b.kick:
		}
		// Gather what else changes in the next few milliseconds.
		t := time.NewTimer(b.interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		b.mu.Lock()
		topics, msgs, typing := b.topics, b.msgs, b.typing
		b.topics, b.msgs, b.typing = map[string]struct{}{}, map[string][]store.Message{}, nil
		b.mu.Unlock()
		for _, p := range b.payloads(topics, msgs, typing) {
			if err := b.store.Notify(ctx, PGChannel, p); err != nil {
				if ctx.Err() != nil {
					return
				}
				b.log.Warn("send notification", "err", err)
			}
		}
	}
}

// ownPrefix begins every payload of this node (pgPayload's first field is
// the node's id): its own notifications are skipped before they are
// decoded.
func (b *PG) ownPrefix() string {
	id, _ := json.Marshal(b.node)
	return `{"n":` + string(id) + `,`
}

// payloads splits the changes into notifications below maxPayload, each
// topic with its messages when they fit.
func (b *PG) payloads(topics map[string]struct{}, msgs map[string][]store.Message, typing []pgTyping) []string {
	var out []string
	cur := pgPayloadOut{Node: b.node}
	size := 40
	flush := func() {
		if len(cur.Topics) == 0 && len(cur.Typing) == 0 {
			return
		}
		data, _ := json.Marshal(cur)
		out = append(out, string(data))
		cur = pgPayloadOut{Node: b.node}
		size = 40
	}
	for t := range topics {
		var carried json.RawMessage
		n := len(t) + 3
		if m := msgs[t]; len(m) > 0 {
			slices.SortFunc(m, func(a, b store.Message) int { return cmp.Compare(a.Seq, b.Seq) })
			if data, err := json.Marshal(m); err == nil && len(data)+len(t)+40 < maxPayload/2 {
				carried, n = data, n+len(data)+len(t)+4
			}
		}
		if size+n > maxPayload {
			flush()
		}
		cur.Topics = append(cur.Topics, t)
		if carried != nil {
			if cur.Messages == nil {
				cur.Messages = map[string]json.RawMessage{}
			}
			cur.Messages[t] = carried
		}
		size += n
	}
	for _, y := range typing {
		n := len(y.Chat) + len(y.From) + 30
		if size+n > maxPayload {
			flush()
		}
		cur.Typing = append(cur.Typing, y)
		size += n
	}
	flush()
	return out
}

func (b *PG) listenLoop(ctx context.Context) {
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := b.listen(ctx)
		if ctx.Err() != nil {
			return
		}
		b.log.Warn("notification listener stopped; reconnecting", "err", err, "in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}

// hintAll tells every local subscriber to read the database again.
func (b *PG) hintAll() {
	for _, t := range b.local.Topics() {
		b.local.Publish(chats.Event{Topic: t, ChatID: strings.TrimPrefix(t, "chat:")})
	}
}

func (b *PG) listen(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, b.dsn)
	if err != nil {
		return fmt.Errorf("connect listener: %w", err)
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		_ = conn.Close(cctx)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+PGChannel); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	b.once.Do(func() { close(b.started) })
	// LISTEN may not be in effect when Exec returns (a NOTIFY sent right
	// after it was lost in 7 of 20 runs): re-read now and a little later.
	b.hintAll()
	time.AfterFunc(200*time.Millisecond, b.hintAll)
	own := b.ownPrefix()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return fmt.Errorf("wait for notification: %w", err)
		}
		if strings.HasPrefix(n.Payload, own) {
			continue // this node's own: its subscribers were told already
		}
		var p pgPayload
		if err := json.Unmarshal([]byte(n.Payload), &p); err != nil {
			b.log.Warn("bad notification payload", "err", err)
			continue
		}
		if p.Node == b.node {
			continue
		}
		for _, t := range p.Topics {
			b.local.Publish(chats.Event{Topic: t, ChatID: strings.TrimPrefix(t, "chat:"), Messages: p.Messages[t]})
		}
		for _, y := range p.Typing {
			b.local.Publish(chats.Event{Topic: chats.ChatTopic(y.Chat), ChatID: y.Chat, Typing: &chats.Typing{From: y.From, On: y.On}})
		}
	}
}
