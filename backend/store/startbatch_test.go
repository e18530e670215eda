package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"halochat/app/protocol"
)

// startSpec is a chat start of the batch tests: what it stores beside
// the chat.
type startSpec struct {
	name    string
	fields  bool   // a chat field's value
	newUser bool   // a new user, stored with the chat
	ownUser int64  // a stored user's chat
	jti     string // a token's use
	queue   bool   // the first advance queues the chat
}

// startFixture is what the batch tests' starts refer to.
type startFixture struct {
	s       *Store
	tmpl    *Chat
	field   *CustomField
	agent   *Agent
	user    *User
	expires time.Time
}

func newStartFixture(t *testing.T, s *Store) *startFixture {
	t.Helper()
	ctx := context.Background()
	f := &startFixture{s: s, tmpl: newChat(t, s, ChatBot), expires: s.Now().Add(time.Hour)}
	f.field = &CustomField{Entity: EntityChat, Name: "CFBatch" + RandomID(4), Label: "Batch", Type: FieldText}
	must(t, s.CreateCustomField(ctx, f.field))
	f.agent = &Agent{Email: "batch-" + RandomID(6) + "@example.com", Name: "Ann", Role: RoleAgent}
	must(t, s.CreateAgent(ctx, f.agent))
	f.user = &User{ExternalID: "stored-" + RandomID(6), Email: "stored-" + RandomID(6) + "@example.com"}
	must(t, s.CreateUser(ctx, f.user))
	must(t, s.CreateWebhook(ctx, &Webhook{URL: "https://example.com/batch", Secret: "whsec_dGVzdHNlY3JldHZhbHVl",
		Events: StringList{protocol.WebhookChatStarted, protocol.WebhookChatMessage}}))
	return f
}

// item is sp's start as the batcher gets it; tag keeps its user and
// token apart from another run's.
func (f *startFixture) item(t *testing.T, sp startSpec, tag string) *appendItem {
	t.Helper()
	ctx := context.Background()
	c := &Chat{ID: NewChatID(), ProfileID: f.tmpl.ProfileID, Status: ChatBot, Context: ContextEmbedded,
		HostOrigin: "https://host.example", EmailHint: "hint@example.com", Language: "fr", ResumeSecretHash: "hash-" + sp.name}
	var fields []ChatFieldValue
	if sp.fields {
		fields = []ChatFieldValue{{FieldID: f.field.ID, Value: "gold " + sp.name}}
	}
	var use *TokenUse
	if sp.jti != "" {
		use = &TokenUse{ProfileID: c.ProfileID, JTIHash: sp.jti + tag, ExpiresAt: f.expires}
	}
	var user *User
	switch {
	case sp.newUser:
		id, err := f.s.ReserveUserID(ctx)
		must(t, err)
		user = &User{ID: id, ExternalID: tag + sp.name, Email: tag + sp.name + "@example.com", FirstName: "Ann", LastName: "Lee", Phone: "+1"}
		c.UserID, c.Authenticated = id, true
	case sp.ownUser != 0:
		c.UserID, c.Authenticated = sp.ownUser, true
	}
	state := RawJSON(`{"step":2,"` + sp.name + `":true}`)
	adv := ChatAdvance{CheckState: true, ExpectState: c.FlowState, NotEnded: true, Update: ChatUpdate{FlowState: &state},
		Messages: []Message{{Sender: SenderBot, Text: "hello " + sp.name, Payload: RawJSON(`{"step":1}`)}}}
	if sp.queue {
		queued, now := ChatQueued, f.s.Now()
		adv.Update.Status, adv.Update.QueuedAt = &queued, &now
		adv.Messages = append(adv.Messages, Message{Sender: SenderAgent, AgentID: f.agent.ID, Text: "an agent"},
			Message{Sender: SenderSystem, Text: "queued"})
	}
	row, ok, err := f.s.newStartRow(ctx, "start", c, fields, adv, use, user)
	if err != nil || !ok {
		t.Fatalf("%s: the start's row: %v, %v", sp.name, ok, err)
	}
	return &appendItem{ctx: ctx, stmt: row.stmt(), done: make(chan struct{})}
}

// stored is what a start stored, its ids and times taken out (they
// differ from one run to the other) and checked against its own.
type stored struct {
	Chat     Chat
	Messages []Message
	Fields   []string
	User     *User
	Events   []string
}

func (f *startFixture) stored(t *testing.T, it *appendItem) stored {
	t.Helper()
	ctx := context.Background()
	row := it.stmt.start.chat
	c, err := f.s.GetChat(ctx, row.ID)
	must(t, err)
	at := row.StartedAt
	if !c.StartedAt.Equal(at) || !c.UpdatedAt.Equal(at) {
		t.Fatalf("chat %s: started %v, updated %v; want %v", row.ID, c.StartedAt, c.UpdatedAt, at)
	}
	out := stored{Chat: *c}
	out.Chat.ID, out.Chat.StartedAt, out.Chat.UpdatedAt, out.Chat.QueuedAt = "", time.Time{}, time.Time{}, time.Time{}
	if c.QueuedAt.IsZero() != row.QueuedAt.IsZero() || !c.QueuedAt.Equal(row.QueuedAt.UTC().Truncate(time.Microsecond)) {
		t.Fatalf("chat %s queued at %v, want %v", row.ID, c.QueuedAt, row.QueuedAt)
	}
	if it.stmt.start.user != nil {
		if c.UserID != it.stmt.start.user.ID {
			t.Fatalf("chat %s: user %d, want the new user %d", row.ID, c.UserID, it.stmt.start.user.ID)
		}
		out.Chat.UserID = 0
		u, err := f.s.GetUser(ctx, c.UserID)
		must(t, err)
		if !u.CreatedAt.Equal(at) {
			t.Fatalf("chat %s: its user created at %v, want %v", row.ID, u.CreatedAt, at)
		}
		u.ID, u.ExternalID, u.Email, u.CreatedAt, u.UpdatedAt = 0, "", "", time.Time{}, time.Time{}
		out.User = u
	}
	msgs, err := f.s.MessagesAfter(ctx, row.ID, 0, 0)
	must(t, err)
	for _, m := range msgs {
		if !m.CreatedAt.Equal(at) {
			t.Fatalf("chat %s: message %d at %v, want %v", row.ID, m.Seq, m.CreatedAt, at)
		}
		m.ChatID, m.CreatedAt = "", time.Time{}
		out.Messages = append(out.Messages, m)
	}
	vals, err := f.s.ChatFieldValues(ctx, row.ID)
	must(t, err)
	for _, v := range vals {
		out.Fields = append(out.Fields, fmt.Sprintf("%d=%s", v.FieldID, v.Value))
	}
	rows, err := f.s.db.QueryContext(ctx, `SELECT event_type, status, created_at, retry_until FROM webhook_deliveries WHERE chain = ? ORDER BY id`, row.ID)
	must(t, err)
	defer rows.Close()
	for rows.Next() {
		var typ, status string
		var created, until time.Time
		must(t, rows.Scan(&typ, &status, &created, &until))
		if !created.Equal(at) || !until.Equal(at.Add(RetryFor)) {
			t.Fatalf("chat %s: a delivery created %v, retried until %v; want %v and %v", row.ID, created, until, at, at.Add(RetryFor))
		}
		out.Events = append(out.Events, typ+" "+status)
	}
	must(t, rows.Err())
	return out
}

// A batch of chat starts runs as one statement (startsStatement) that
// stores what each start's own statement (createChatStatement) stores:
// the chat, its user, field values, first messages, token use and
// webhook deliveries. A start whose token was used before stores nothing
// and is answered sql.ErrNoRows, as alone.
func TestStartBatchIsOneStatement(t *testing.T) {
	s := openPostgresBatches(t, 1)
	ctx := context.Background()
	f := newStartFixture(t, s)
	if ok, err := s.UseTokenID(ctx, f.tmpl.ProfileID, "used-alone-", f.expires); err != nil || !ok {
		t.Fatalf("use a token: %v, %v", ok, err)
	}
	if ok, err := s.UseTokenID(ctx, f.tmpl.ProfileID, "used-batch-", f.expires); err != nil || !ok {
		t.Fatalf("use a token: %v, %v", ok, err)
	}
	specs := []startSpec{
		{name: "plain"},
		{name: "everything", fields: true, newUser: true, jti: "fresh-", queue: true},
		{name: "token-used", newUser: true, jti: "used-", fields: true},
		{name: "stored-user", ownUser: f.user.ID, fields: true},
		{name: "new-user", newUser: true},
	}
	alone := make([]*appendItem, len(specs))
	batch := make([]*appendItem, len(specs))
	for i, sp := range specs {
		alone[i], batch[i] = f.item(t, sp, "alone-"), f.item(t, sp, "batch-")
	}
	for _, it := range alone {
		it.seq, it.err = runAlone(ctx, s.appendDB, it.stmt)
	}
	if units := batchUnits(batch); len(units) != 1 || units[0].sql != startsStatement {
		t.Fatalf("a batch of %d starts is %d statements", len(batch), len(units))
	}
	must(t, s.appends.pipeline(ctx, batch))
	for i, sp := range specs {
		a, b := alone[i], batch[i]
		if sp.name == "token-used" {
			for _, it := range []*appendItem{a, b} {
				if !errors.Is(it.err, sql.ErrNoRows) {
					t.Fatalf("%s: %v, want sql.ErrNoRows", sp.name, it.err)
				}
				if _, err := s.GetChat(ctx, it.stmt.chatID); !errors.Is(err, ErrNotFound) {
					t.Fatalf("%s: the chat: %v, want none", sp.name, err)
				}
				if _, err := s.GetUser(ctx, it.stmt.start.user.ID); !errors.Is(err, ErrNotFound) {
					t.Fatalf("%s: the user: %v, want none", sp.name, err)
				}
			}
			continue
		}
		if a.err != nil || b.err != nil || a.seq != 1 || b.seq != 1 {
			t.Fatalf("%s: alone %d, %v; in the batch %d, %v", sp.name, a.seq, a.err, b.seq, b.err)
		}
		if got, want := f.stored(t, b), f.stored(t, a); !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: the batch stored\n%+v\nalone\n%+v", sp.name, got, want)
		}
		if sp.jti != "" {
			if ok, err := s.UseTokenID(ctx, f.tmpl.ProfileID, sp.jti+"batch-", f.expires); err != nil || ok {
				t.Fatalf("%s: the token after the batch: %v, %v; want it used", sp.name, ok, err)
			}
		}
	}
	if got := f.stored(t, batch[1]); len(got.Messages) != 3 || len(got.Fields) != 1 || got.User == nil || len(got.Events) != 3 {
		t.Fatalf("everything: %+v", got)
	}
}

// A batch of starts in which one fails (its new user's external id taken
// since the look-up) commits nothing; each start then runs alone, and
// only that one fails.
func TestStartBatchFailsAsAWhole(t *testing.T) {
	s := openPostgresBatches(t, 1)
	ctx := context.Background()
	f := newStartFixture(t, s)
	batch := []*appendItem{f.item(t, startSpec{name: "a", newUser: true}, "x-"), f.item(t, startSpec{name: "b", newUser: true}, "x-"),
		f.item(t, startSpec{name: "c", fields: true}, "x-")}
	taken := &User{ExternalID: batch[1].stmt.start.user.ExternalID}
	must(t, s.CreateUser(ctx, taken))
	if err := s.appends.pipeline(ctx, batch); err == nil || !isConstraint(err) {
		t.Fatalf("the batch with a taken external id: %v, want a unique violation", err)
	}
	for _, it := range batch {
		if _, err := s.GetChat(ctx, it.stmt.chatID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("chat %s after the failed batch: %v, want none", it.stmt.chatID, err)
		}
	}
	s.appends.commit(ctx, batch)
	for i, it := range batch {
		<-it.done
		if failed := isConstraint(it.err); failed != (i == 1) || (i != 1 && it.err != nil) {
			t.Fatalf("start %d on its own: %v", i, it.err)
		}
		if _, err := s.GetChat(ctx, it.stmt.chatID); (err == nil) != (i != 1) {
			t.Fatalf("start %d's chat: %v", i, err)
		}
	}
	if n := s.appends.alone.Load(); n != int64(len(batch)) {
		t.Fatalf("%d starts ran alone, want %d", n, len(batch))
	}
}

// Many starts at once, one batch in flight: they go in batches of one
// statement each, none falls back to running alone, and each chat is
// stored whole, with its new user.
func TestStartBatchUnderLoad(t *testing.T) {
	s := openPostgresBatches(t, 1)
	ctx := context.Background()
	f := newStartFixture(t, s)
	const workers, each = 24, 6
	chats := make([][]*Chat, workers)
	batches0, items0 := s.starts.counts()
	underLoad(workers, each, func(w, k int) {
		c := &Chat{ID: NewChatID(), ProfileID: f.tmpl.ProfileID, Status: ChatBot, Context: ContextEmbedded, Authenticated: true}
		id, err := s.ReserveUserID(ctx)
		if err != nil {
			t.Error(err)
			return
		}
		u := &User{ID: id, ExternalID: fmt.Sprintf("load-%d-%d", w, k), FirstName: "Load"}
		_, err = s.CreateChatUsing(ctx, c, []ChatFieldValue{{FieldID: f.field.ID, Value: u.ExternalID}},
			&ChatAdvance{Messages: []Message{{Sender: SenderBot, Text: "hi"}, {Sender: SenderBot, Text: "choose"}}},
			ChatWith{User: u, Use: &TokenUse{ProfileID: c.ProfileID, JTIHash: u.ExternalID, ExpiresAt: f.expires}})
		if err != nil || c.UserID != id || u.CreatedAt.IsZero() {
			t.Errorf("start %s: %v (user %d, want %d)", u.ExternalID, err, c.UserID, id)
		}
		chats[w] = append(chats[w], c)
	})
	for _, cs := range chats {
		for _, c := range cs {
			msgs, err := s.MessagesAfter(ctx, c.ID, 0, 0)
			must(t, err)
			vals, err := s.ChatFieldValues(ctx, c.ID)
			must(t, err)
			u, err := s.GetUser(ctx, c.UserID)
			must(t, err)
			if len(msgs) != 2 || len(vals) != 1 || vals[0].Value != u.ExternalID {
				t.Fatalf("chat %s: %d messages, field values %+v, user %+v", c.ID, len(msgs), vals, u)
			}
		}
	}
	batches, items := s.starts.counts()
	if batches, items = batches-batches0, items-items0; items != workers*each || batches >= items {
		t.Fatalf("%d starts in %d batches: want %d, some batched together", items, batches, workers*each)
	}
	t.Logf("%d starts in %d batches", items, batches)
	if merged, alone := s.starts.merged.Load(), s.starts.alone.Load(); merged == 0 || alone != 0 {
		t.Fatalf("%d batches of starts ran as one statement, %d starts ran alone after a failed batch: want some and none", merged, alone)
	}
}
