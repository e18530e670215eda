package store

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"halochat/app/protocol"
)

// newWebhook stores a webhook subscribed to events.
func newWebhook(t *testing.T, s *Store, disabled bool, events ...string) *Webhook {
	t.Helper()
	w := &Webhook{URL: "http://127.0.0.1:1/hook", Events: events, Secret: "whsec_c2VjcmV0", Disabled: disabled}
	must(t, s.CreateWebhook(context.Background(), w))
	return w
}

// allDeliveries lists a webhook's deliveries, oldest first.
func allDeliveries(t *testing.T, s *Store, webhookID int64) []Delivery {
	t.Helper()
	ds, err := s.ListDeliveries(context.Background(), webhookID, DeliveryFilter{Limit: MaxLimit})
	must(t, err)
	for i, j := 0, len(ds)-1; i < j; i, j = i+1, j-1 {
		ds[i], ds[j] = ds[j], ds[i]
	}
	return ds
}

// decodeEvent decodes a delivery's body, and its data into data.
func decodeEvent(t *testing.T, d Delivery, data any) protocol.WebhookEvent {
	t.Helper()
	var e protocol.WebhookEvent
	if err := json.Unmarshal(d.Payload, &e); err != nil {
		t.Fatalf("delivery %d: body %s: %v", d.ID, d.Payload, err)
	}
	if err := json.Unmarshal(e.Data, data); err != nil {
		t.Fatalf("delivery %d: data %s: %v", d.ID, e.Data, err)
	}
	if e.Type != d.EventType || e.Timestamp.IsZero() {
		t.Errorf("delivery %d: body type %q at %v, row type %q", d.ID, e.Type, e.Timestamp, d.EventType)
	}
	return e
}

// TestOutboxRecordsEachChange walks a chat through every change a
// webhook hears of — start with the bot's first words (PostgreSQL: one
// statement), a visitor's message (PostgreSQL: AppendIf's statement), an
// agent's accept and message, the end — and a ticket, and checks what
// each webhook's outbox holds, in order: everything for the one
// subscribed to everything, its own events for a narrower one, nothing
// for a disabled one.
func TestOutboxRecordsEachChange(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		all := newWebhook(t, s, false, protocol.WebhookEventTypes()...)
		ends := newWebhook(t, s, false, protocol.WebhookChatEnded)
		off := newWebhook(t, s, true, protocol.WebhookEventTypes()...)
		u := &User{Email: "outbox@example.com"}
		must(t, s.CreateUser(ctx, u))
		ag := &Agent{Email: "outbox-agent@example.com", Name: "Olga", Role: RoleAgent}
		must(t, s.CreateAgent(ctx, ag))
		p := &ChatProfile{Name: "outbox", Access: AccessPortalAndExternal}
		must(t, s.CreateProfile(ctx, p))

		c := &Chat{ProfileID: p.ID, Context: ContextEmbedded, UserID: u.ID}
		_, err := s.CreateChatAdvanced(ctx, c, nil, &ChatAdvance{Messages: []Message{{Sender: SenderBot, Text: "Hello!"}}})
		must(t, err)
		res, err := s.AppendIf(ctx, c.ID, AppendCond{NotEnded: true}, Message{Sender: SenderVisitor, ClientMsgID: "v1", Text: "Hi <there> & you"})
		must(t, err)
		if !res.Applied {
			t.Fatal("the visitor's message was not appended")
		}
		must(t, queueAndClaim(ctx, s, c.ID, ag.ID))
		res, err = s.AppendIf(ctx, c.ID, AppendCond{ExpectStatus: ChatLive, AgentID: ag.ID}, Message{Sender: SenderAgent, AgentID: ag.ID, Text: "How can I help?"})
		must(t, err)
		if !res.Applied {
			t.Fatal("the agent's message was not appended")
		}
		tk := &Ticket{Summary: "a problem", ChatID: c.ID, UserID: u.ID}
		must(t, s.CreateTicket(ctx, tk, nil))
		if ok, err := endChat(ctx, s, c.ID, "agent", tk.ID); err != nil || !ok {
			t.Fatalf("end: %v, %v", ok, err)
		}
		closed := TicketClosed
		_, err = s.UpdateTicket(ctx, tk.ID, TicketUpdate{Status: &closed})
		must(t, err)

		got := allDeliveries(t, s, all.ID)
		want := []string{protocol.WebhookChatStarted, protocol.WebhookChatMessage, protocol.WebhookChatMessage,
			protocol.WebhookChatAssigned, protocol.WebhookChatMessage, protocol.WebhookTicketCreated, protocol.WebhookChatEnded,
			protocol.WebhookTicketUpdated}
		if len(got) != len(want) {
			t.Fatalf("%d deliveries %+v, want %v", len(got), got, want)
		}
		for i, d := range got {
			if d.EventType != want[i] || d.Status != protocol.DeliveryPending || d.Attempts != 0 || d.NextAttemptAt.IsZero() ||
				!d.RetryUntil.Equal(d.CreatedAt.Add(RetryFor)) {
				t.Errorf("delivery %d: %+v, want a pending %s", i, d, want[i])
			}
		}
		checkChatEvents(t, got, c, u.ID, ag.ID, tk.ID)
		if ds := allDeliveries(t, s, ends.ID); len(ds) != 1 || ds[0].EventType != protocol.WebhookChatEnded || ds[0].EventID != got[6].EventID {
			t.Errorf("the chat.ended webhook's deliveries: %+v", ds)
		}
		if ds := allDeliveries(t, s, off.ID); len(ds) != 0 {
			t.Errorf("the disabled webhook has %d deliveries", len(ds))
		}
	})
}

// queueAndClaim queues a bot chat and gives it to the agent.
func queueAndClaim(ctx context.Context, s *Store, chatID string, agentID int64) error {
	if ok, err := queueChat(ctx, s, chatID); err != nil || !ok {
		return errors.Join(err, errors.New("not queued"))
	}
	if ok, err := claimChat(ctx, s, chatID, agentID); err != nil || !ok {
		return errors.Join(err, errors.New("not claimed"))
	}
	return nil
}

// checkChatEvents checks the bodies TestOutboxRecordsEachChange's chat
// made: the same on both databases and on every path.
func checkChatEvents(t *testing.T, got []Delivery, c *Chat, userID, agentID, ticketID int64) {
	t.Helper()
	var started, assigned, ended protocol.WebhookChatData
	decodeEvent(t, got[0], &started)
	decodeEvent(t, got[3], &assigned)
	decodeEvent(t, got[6], &ended)
	if started.ChatID != c.ID || started.ProfileID != c.ProfileID || started.UserID == nil || *started.UserID != userID ||
		started.AgentID != nil || started.Status != ChatBot {
		t.Errorf("chat.started data %+v", started)
	}
	if assigned.AgentID == nil || *assigned.AgentID != agentID || assigned.Status != ChatLive {
		t.Errorf("chat.assigned data %+v", assigned)
	}
	if ended.Reason != "agent" || ended.TicketID == nil || *ended.TicketID != ticketID || ended.Status != ChatEnded {
		t.Errorf("chat.ended data %+v", ended)
	}
	wantMsgs := []protocol.WebhookMessageData{
		{ChatID: c.ID, ProfileID: c.ProfileID, UserID: &userID, Seq: 1, Author: SenderBot, Text: "Hello!"},
		{ChatID: c.ID, ProfileID: c.ProfileID, UserID: &userID, Seq: 2, Author: SenderVisitor, Text: "Hi <there> & you"},
		{ChatID: c.ID, ProfileID: c.ProfileID, UserID: &userID, Seq: 3, Author: SenderAgent, AgentID: &agentID, Text: "How can I help?"},
	}
	for i, k := range []int{1, 2, 4} {
		var m protocol.WebhookMessageData
		e := decodeEvent(t, got[k], &m)
		w := wantMsgs[i]
		if m.ChatID != w.ChatID || m.ProfileID != w.ProfileID || *m.UserID != *w.UserID || m.Seq != w.Seq ||
			m.Author != w.Author || m.Text != w.Text || (m.AgentID == nil) != (w.AgentID == nil) ||
			(m.AgentID != nil && *m.AgentID != *w.AgentID) {
			t.Errorf("chat.message %d data %+v, want %+v", i, m, w)
		}
		if got[k].EventID != messageEventID(c.ID, w.Seq) || got[k].Chain != c.ID || e.Timestamp.Location().String() != "UTC" {
			t.Errorf("chat.message %d: id %q chain %q at %v", i, got[k].EventID, got[k].Chain, e.Timestamp)
		}
	}
	var tk protocol.WebhookTicketData
	decodeEvent(t, got[5], &tk)
	if tk.TicketID != ticketID || tk.ChatID == nil || *tk.ChatID != c.ID || tk.Summary != "a problem" || tk.Status != TicketOpen ||
		got[5].Chain != ticketChain(ticketID) {
		t.Errorf("ticket.created data %+v chain %q", tk, got[5].Chain)
	}
	decodeEvent(t, got[7], &tk)
	if tk.TicketID != ticketID || tk.Status != TicketClosed || got[7].Chain != got[5].Chain {
		t.Errorf("ticket.updated data %+v chain %q", tk, got[7].Chain)
	}
}

// TestOutboxRollsBackWithTheChange: a change that fails after its event
// was recorded leaves no delivery, as it leaves no change; a resend
// records nothing again.
func TestOutboxRollsBackWithTheChange(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		w := newWebhook(t, s, false, protocol.WebhookEventTypes()...)
		// The ticket's event is written before its field values, which
		// name a field that does not exist: the transaction fails.
		err := s.CreateTicket(ctx, &Ticket{Summary: "never"}, []TicketFieldValue{{FieldID: 999999, Value: "x"}})
		if err == nil {
			t.Fatal("a ticket with an unknown field was stored")
		}
		if ts, _ := s.ListTickets(ctx, TicketFilter{}); len(ts) != 0 {
			t.Fatalf("tickets %+v", ts)
		}
		// A start whose first advance does not hold for the new chat.
		p := &ChatProfile{Name: "rollback", Access: AccessPortalAndExternal}
		must(t, s.CreateProfile(ctx, p))
		_, err = s.CreateChatAdvanced(ctx, &Chat{ProfileID: p.ID, Context: ContextEmbedded}, nil,
			&ChatAdvance{ExpectStatus: ChatLive, Messages: []Message{{Sender: SenderBot, Text: "never"}}})
		wantErr(t, err, ErrConflict)
		if ds := allDeliveries(t, s, w.ID); len(ds) != 0 {
			t.Fatalf("%d deliveries after failed changes: %+v", len(ds), ds)
		}
		// A message, then its resend: one event.
		c := newChat(t, s, ChatBot)
		for range 2 {
			_, err := s.AppendIf(ctx, c.ID, AppendCond{NotEnded: true}, Message{Sender: SenderVisitor, ClientMsgID: "once", Text: "hi"})
			must(t, err)
		}
		var types []string
		for _, d := range allDeliveries(t, s, w.ID) {
			types = append(types, d.EventType)
		}
		if len(types) != 2 || types[0] != protocol.WebhookChatStarted || types[1] != protocol.WebhookChatMessage {
			t.Errorf("deliveries after a message and its resend: %v", types)
		}
	})
}

// An event encoded in one pass is the same bytes as its data encoded and
// then the protocol's event around it, for every kind of data.
func TestEventBodyIsAWebhookEvent(t *testing.T) {
	at := time.Date(2026, 12, 6, 5, 4, 3, 210000, time.UTC)
	agent, user := int64(7), int64(9)
	oneAndTwoPasses(t, at, protocol.WebhookChatData{ChatID: "c1", ProfileID: "p1", UserID: &user, AgentID: &agent, Status: ChatEnded, Reason: "visitor <left> & \"gone\""})
	oneAndTwoPasses(t, at, protocol.WebhookMessageData{ChatID: "c1", ProfileID: "p1", Seq: 3, Author: SenderBot, Text: "héllo\u2028<b>", Internal: true})
	oneAndTwoPasses(t, at, protocol.WebhookTicketData{TicketID: 4, UserID: &user, Status: "open", Summary: "a <b>summary</b>"})
	oneAndTwoPasses[any](t, at, map[string]any{"ticket": 1, "fields": map[string]string{"b": "2", "a": "1"}})
}

// oneAndTwoPasses checks newEvent for data of type T.
func oneAndTwoPasses[T any](t *testing.T, at time.Time, data T) {
	t.Helper()
	raw, err := json.Marshal(data)
	must(t, err)
	want, err := json.Marshal(protocol.WebhookEvent{Type: "x.y", Timestamp: at, Data: raw})
	must(t, err)
	got, err := newEvent("evt", "x.y", "c1", at, data)
	must(t, err)
	if string(got.payload) != string(want) {
		t.Errorf("%T in one pass:\n%s\ntwo passes:\n%s", data, got.payload, want)
	}
}
