// Package chats is the chat runtime: starting and resuming chats, the bot
// flow on the server (app/flow), visitor and agent messages, tickets,
// runbooks and the agent queue. It stores everything through
// backend/store before anyone is told, and tells through a Publisher
// (backend/realtime) after the commit.
//
// Every change to a chat is one store.AdvanceChat: the flow state is
// compared and swapped with the messages it produced, so two nodes
// moving the same chat never both win, and a restart continues from the
// stored state.
package chats

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"hash/maphash"
	"log/slog"
	"sync"
	"time"

	"halochat/app/flow"
	"halochat/app/protocol"
	"halochat/backend/identity"
	"halochat/backend/metrics"
	"halochat/backend/store"
)

// Event tells subscribers what changed, after the commit. Topic is
// ChatTopic(id) for a chat's messages and typing, QueueTopic for the
// agent queue. Messages, when set, are the committed messages in seq
// order; an Event without them is a hint: read the store.
type Event struct {
	Topic    string
	ChatID   string
	Messages []store.Message
	// Typing is an ephemeral typing indicator (never stored).
	Typing *Typing
}

// Typing says who is typing in a chat.
type Typing struct {
	From string `json:"from"` // protocol.FromVisitor | protocol.FromAgent
	On   bool   `json:"on"`
}

// QueueTopic is the topic of agent queue changes.
const QueueTopic = "queue"

// ChatTopic is the topic of a chat's messages.
func ChatTopic(chatID string) string { return "chat:" + chatID }

// Publisher delivers events after their commit. Publish must not block.
type Publisher interface {
	Publish(ev Event)
}

// Config configures a Service.
type Config struct {
	Store    *store.Store
	Identity *identity.Resolver
	// Publisher is told of every committed change; nil tells nobody.
	Publisher Publisher
	// Runbooks calls runbooks; nil refuses every call (failure branch).
	Runbooks *RunbookClient
	Logger   *slog.Logger
	// IdleTimeout ends chats (bot, queued or live) in which nothing
	// happened for that long. Default 30 minutes; negative disables.
	IdleTimeout time.Duration
	// OutreachTimeout ends an outreach chat (StartOutreach) whose visitor
	// has not written for that long: it waits for the visitor to open
	// the widget, so the idle timeout starts only at their first message.
	// Default 7 days; it is never shorter than IdleTimeout.
	OutreachTimeout time.Duration
	// MaxMessageLength bounds a visitor's or agent's message, in bytes.
	// Default 4000.
	MaxMessageLength int
	// FilesDir, when set, is the directory attachments are kept in
	// (serve --files); otherwise they are kept in the database.
	FilesDir string
	// PublicURL is the service's URL: a ticket's transcript links its
	// chat's attachments under it.
	PublicURL string
	// OnOfflineMessage, when set, is told of each offline message once
	// its ticket is stored (LeaveMessage): the seam for notifying the
	// profile's address. It must not block: queue, do not send.
	OnOfflineMessage func(context.Context, LeftMessage)
	// Metrics counts chat starts, messages and queue waits; nil counts
	// nothing.
	Metrics *metrics.Metrics
	// Mailer, when set, sends the mails the service queues (serve
	// --smtp): transcripts visitors ask for, and each new ticket to its
	// profile's notification address. nil: the service sends no mail,
	// and its e-mail features are refused (mail_off).
	Mailer Mailer
}

// Service is the chat runtime. It is safe for concurrent use.
type Service struct {
	store        *store.Store
	ident        *identity.Resolver
	pub          Publisher
	runbook      *RunbookClient
	log          *slog.Logger
	idle         time.Duration
	outreachIdle time.Duration
	maxLen       int
	filesDir     string
	publicURL    string
	onOffline    func(context.Context, LeftMessage)
	metrics      *metrics.Metrics
	langs        *languages
	mailer       Mailer

	progMu    sync.Mutex
	programs  map[programKey]*flow.Program
	progSeed  maphash.Seed // of programKey's schema hash
	startMsgs wireMemo     // the start's answer's messages
	// locks serialise the flow changes of one chat on this node (striped
	// by chat id: 1024 stripes keep unrelated chats from waiting on each
	// other); across nodes AdvanceChat's compare-and-swap decides.
	locks [1024]sync.Mutex
}

// New returns a Service.
func New(cfg Config) *Service {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = 30 * time.Minute
	}
	if cfg.OutreachTimeout <= 0 {
		cfg.OutreachTimeout = 7 * 24 * time.Hour
	}
	cfg.OutreachTimeout = max(cfg.OutreachTimeout, cfg.IdleTimeout)
	if cfg.MaxMessageLength <= 0 {
		cfg.MaxMessageLength = 4000
	}
	if cfg.Identity == nil {
		cfg.Identity = &identity.Resolver{Store: cfg.Store}
	}
	return &Service{store: cfg.Store, ident: cfg.Identity, pub: cfg.Publisher, runbook: cfg.Runbooks,
		log: cfg.Logger, idle: cfg.IdleTimeout, outreachIdle: cfg.OutreachTimeout, maxLen: cfg.MaxMessageLength, programs: map[programKey]*flow.Program{}, progSeed: maphash.MakeSeed(),
		filesDir: cfg.FilesDir, publicURL: cfg.PublicURL, onOffline: cfg.OnOfflineMessage, metrics: cfg.Metrics,
		langs: newLanguages(), mailer: cfg.Mailer}
}

// MaxMessageLength is the longest message text accepted, in bytes.
func (s *Service) MaxMessageLength() int { return s.maxLen }

func (s *Service) lock(chatID string) func() {
	h := fnv.New32a()
	_, _ = h.Write([]byte(chatID))
	m := &s.locks[h.Sum32()%uint32(len(s.locks))]
	m.Lock()
	return m.Unlock
}

func (s *Service) publish(chatID string, msgs []store.Message) {
	if s.pub != nil && len(msgs) > 0 {
		s.pub.Publish(Event{Topic: ChatTopic(chatID), ChatID: chatID, Messages: msgs})
	}
}

func (s *Service) publishQueue(chatID string) {
	if s.pub != nil {
		s.pub.Publish(Event{Topic: QueueTopic, ChatID: chatID})
	}
}

// PublishTyping tells the other side of a chat that from is (not) typing.
// Typing is never stored.
func (s *Service) PublishTyping(chatID, from string, on bool) {
	if s.pub != nil {
		s.pub.Publish(Event{Topic: ChatTopic(chatID), ChatID: chatID, Typing: &Typing{From: from, On: on}})
	}
}

// runtime is what running a chat's flow needs.
type runtime struct {
	prog *flow.Program
	env  flow.Env
}

// schema returns the flow schema of the chat custom fields.
func (s *Service) schema(ctx context.Context) (flow.Schema, []store.CustomField, error) {
	defs, err := s.store.CachedCustomFields(ctx, store.EntityChat)
	if err != nil {
		return flow.Schema{}, nil, err
	}
	return flow.SchemaOf(defs), defs, nil
}

// programKey names a compiled flow version: the flow, its version and a
// hash of the schema it was compiled against (schemaHash).
type programKey struct {
	flowID, version int64
	schema          uint64
}

// schemaHash is a hash of sc under seed: every start and bot turn looks
// its program up by it, so it neither encodes nor allocates. Each string
// is written with its length, so that no two schemas run together into
// the same bytes.
func schemaHash(seed maphash.Seed, sc flow.Schema) uint64 {
	var h maphash.Hash
	h.SetSeed(seed)
	str := func(s string) {
		maphash.WriteComparable(&h, len(s))
		h.WriteString(s)
	}
	maphash.WriteComparable(&h, len(sc.ChatFields))
	for _, d := range sc.ChatFields {
		str(d.Name)
		str(d.Label)
		str(string(d.Type))
		maphash.WriteComparable(&h, len(d.Choices))
		for _, c := range d.Choices {
			str(c)
		}
	}
	return h.Sum64()
}

// program compiles a flow version once per schema.
func (s *Service) program(ctx context.Context, flowID, version int64, sc flow.Schema) (*flow.Program, error) {
	key := programKey{flowID: flowID, version: version, schema: schemaHash(s.progSeed, sc)}
	s.progMu.Lock()
	p := s.programs[key]
	s.progMu.Unlock()
	if p != nil {
		return p, nil
	}
	fv, err := s.store.GetFlowVersion(ctx, flowID, version)
	if err != nil {
		return nil, err
	}
	f, err := flow.Parse(fv.Document)
	if err != nil {
		return nil, fmt.Errorf("flow %d version %d: %w", flowID, version, err)
	}
	p, err = flow.Compile(f, sc)
	if err != nil {
		return nil, fmt.Errorf("compile flow %d version %d: %w", flowID, version, err)
	}
	s.progMu.Lock()
	if len(s.programs) >= 512 { // versions and schemas change rarely: a crude bound is enough
		clear(s.programs)
	}
	s.programs[key] = p
	s.progMu.Unlock()
	return p, nil
}

// userEnv returns the flow's user fields of a user.
func userEnv(u *store.User) map[string]string {
	if u == nil {
		return nil
	}
	return map[string]string{
		flow.UserFirstName: u.FirstName, flow.UserLastName: u.LastName, flow.UserUsername: u.Username,
		flow.UserEmail: u.Email, flow.UserPhone: u.Phone, flow.UserExternalID: u.ExternalID,
	}
}

// flowUser is the user a chat's flow sees: the user a verified identity
// named. A chat no one signed in to that still has a user (the hint user
// a trusted e-mail hint names) shows the flow the hinted address alone,
// the visitor's own words: nothing stored on that user reaches the flow,
// whose messages the visitor reads.
func flowUser(authenticated bool, hint string, u *store.User) *store.User {
	if u == nil || authenticated {
		return u
	}
	return &store.User{Email: hint}
}

// chatEnv builds the flow environment from stored field values.
func chatEnv(sc flow.Schema, vals []store.ChatFieldValue, u *store.User) flow.Env {
	env := flow.Env{User: userEnv(u)}
	for _, v := range vals {
		d, ok := sc.ChatField(v.Name)
		if !ok {
			continue
		}
		x, err := d.Parse(v.Value)
		if err != nil {
			continue // a value stored before its field changed type: treat as missing
		}
		if env.Chat == nil {
			env.Chat = map[string]flow.Value{}
		}
		env.Chat[d.Name] = x
	}
	return env
}

// runtimeFor loads what running chat c's flow needs.
func (s *Service) runtimeFor(ctx context.Context, c *store.Chat) (*runtime, error) {
	if c.FlowID == 0 {
		return nil, nil
	}
	sc, _, err := s.schema(ctx)
	if err != nil {
		return nil, err
	}
	p, err := s.program(ctx, c.FlowID, c.FlowVersion, sc)
	if err != nil {
		return nil, err
	}
	vals, err := s.store.ChatFieldValues(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	var u *store.User
	if c.UserID != 0 {
		if u, err = s.store.GetUser(ctx, c.UserID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
	}
	env := chatEnv(sc, vals, flowUser(c.Authenticated, c.EmailHint, u))
	env.Language = string(chatLang(c))
	return &runtime{prog: p, env: env}, nil
}

func decodeState(raw store.RawJSON) (flow.State, error) {
	var st flow.State
	if len(raw) == 0 {
		return st, nil
	}
	if err := json.Unmarshal(raw, &st); err != nil {
		return st, fmt.Errorf("decode flow state: %w", err)
	}
	return st, nil
}

func encodeState(st flow.State) store.RawJSON {
	b, _ := json.Marshal(st) // State always encodes
	return b
}

// payload is the stored Payload of a message: the protocol.ChatMessage
// fields beyond sender, text and seq.
func payload(m protocol.ChatMessage) store.RawJSON {
	b, _ := json.Marshal(m)
	if string(b) == `{"seq":0,"from":"","text":"","createdAt":""}` {
		return nil
	}
	return b
}

// WireMessage converts a stored message to its wire form.
func WireMessage(m store.Message) protocol.ChatMessage {
	return wireFields(decodePayload(m.Payload), m)
}

// decodePayload is a stored message's payload, written by payload; a
// broken one decodes to nothing, and its message shows its text alone.
func decodePayload(p store.RawJSON) protocol.ChatMessage {
	var w protocol.ChatMessage
	if len(p) > 0 {
		_ = json.Unmarshal(p, &w)
	}
	return w
}

// wireFields is w, decoded from m's payload, with m's own fields.
func wireFields(w protocol.ChatMessage, m store.Message) protocol.ChatMessage {
	w.Seq, w.From, w.Text, w.ClientMsgID, w.Internal = m.Seq, m.Sender, m.Text, m.ClientMsgID, m.Internal
	w.CreatedAt = m.CreatedAt.UTC().Format(time.RFC3339Nano)
	return w
}

// wireMemo decodes the payloads of a start's first messages once: they
// are the same for every start of a flow version (its first steps'
// prompts and buttons), and decoding them again was a twentieth of a
// node's work a start. The messages it returns share their decoded
// parts (Choices, Prompt) with each other: they are for encoding only.
type wireMemo struct {
	mu sync.Mutex
	m  map[string]protocol.ChatMessage // by payload
}

// wire is WireMessages through the memo.
func (w *wireMemo) wire(ms []store.Message) []protocol.ChatMessage {
	out := make([]protocol.ChatMessage, len(ms))
	for i, m := range ms {
		if len(m.Payload) == 0 {
			out[i] = WireMessage(m)
			continue
		}
		w.mu.Lock()
		d, ok := w.m[string(m.Payload)]
		w.mu.Unlock()
		if !ok {
			d = decodePayload(m.Payload)
			w.mu.Lock()
			if len(w.m) >= 256 { // flows and their versions change rarely: a crude bound is enough
				clear(w.m)
			}
			if w.m == nil {
				w.m = map[string]protocol.ChatMessage{}
			}
			w.m[string(m.Payload)] = d
			w.mu.Unlock()
		}
		out[i] = wireFields(d, m)
	}
	return out
}

// WireMessages converts stored messages.
func WireMessages(ms []store.Message) []protocol.ChatMessage {
	out := make([]protocol.ChatMessage, len(ms))
	for i, m := range ms {
		out[i] = WireMessage(m)
	}
	return out
}

func systemMessage(text string, p protocol.ChatMessage) store.Message {
	return store.Message{Sender: store.SenderSystem, Text: text, Payload: payload(p)}
}
