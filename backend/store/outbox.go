package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"halochat/app/protocol"
)

// The outbox. A change that webhooks may report (a chat started, a
// message, an agent's accept, an end, a ticket) writes one delivery row
// for each enabled webhook subscribed to its event type, in the change's
// own transaction: the event is committed with the change or not at all,
// and nothing is lost across a crash (README.md#webhooks). The webhooks
// are read in that transaction, so a webhook created on one node is seen
// by the next change on any node, with no cache to go stale. With no
// webhook subscribed, the insert finds no row to write.
//
// Every delivery row carries its chain: the events of one chat share one
// (the chat's id), those of one ticket another. A chain's rows are
// written while its row (the chat's, the ticket's) is locked by the
// transaction, so their ids grow in commit order, and a dispatcher
// delivers a chain's rows in id order (deliveries.go).

// deliveryRetention is how long a webhook's delivered and failed
// deliveries stay in its log.
const deliveryRetention = 7 * 24 * time.Hour

// RetryFor is how long a delivery is retried before it is marked failed.
const RetryFor = 24 * time.Hour

// outboxEvent is one change to report.
type outboxEvent struct {
	id, typ, chain string
	payload        []byte // a protocol.WebhookEvent
}

// newEvent encodes an event of type typ on chain, with data, that
// happened at at.
func newEvent[T any](id, typ, chain string, at time.Time, data T) (outboxEvent, error) {
	body, err := json.Marshal(eventBody[T]{Type: typ, Timestamp: at, Data: data})
	if err != nil {
		return outboxEvent{}, fmt.Errorf("encode the %s event: %w", typ, err)
	}
	return outboxEvent{id: id, typ: typ, chain: chain, payload: body}, nil
}

// eventBody is protocol.WebhookEvent with its data not yet encoded: one
// encoding makes the same bytes as encoding the data and then the event
// (TestEventBodyIsAWebhookEvent), for half the work on every start and
// message. Its data has its own type, not an interface's, so that the
// encoder neither boxes it nor looks its type up on every event.
type eventBody[T any] struct {
	Type      string    `json:"type"`
	Timestamp time.Time `json:"timestamp"`
	Data      T         `json:"data"`
}

// randomEventID is the id of an event no other key names.
func randomEventID() string { return "evt_" + RandomID(16) }

// messageEventID is the id of a message's event: the same message always
// has the same one.
func messageEventID(chatID string, seq int64) string {
	return "evt_" + chatID + "_" + strconv.FormatInt(seq, 10)
}

// ticketChain is the chain of a ticket's events.
func ticketChain(id int64) string { return "ticket:" + strconv.FormatInt(id, 10) }

// optID is a nullable id for a payload: nil for 0.
func optID(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

// eventsSubscribe is the LIKE pattern of webhooks subscribed to typ
// (webhooks.events is a JSON array of strings).
func eventsSubscribe(typ string) string { return `%"` + typ + `"%` }

// recordEvents writes events, in order, for every enabled webhook
// subscribed to each one's type, in transaction tx. at is the change's
// time (the deliveries are due at once).
func (s *Store) recordEvents(ctx context.Context, tx bun.IDB, what string, at time.Time, events []outboxEvent) error {
	if len(events) == 0 {
		return nil
	}
	if s.dialect == DialectPostgres {
		ids, types, chains, payloads := make([]string, len(events)), make([]string, len(events)), make([]string, len(events)), make([]string, len(events))
		for i, e := range events {
			ids[i], types[i], chains[i], payloads[i] = e.id, e.typ, e.chain, string(e.payload)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO webhook_deliveries (webhook_id, event_id, event_type, chain, payload,
	status, attempts, next_attempt_at, retry_until, last_error, last_status, created_at)
SELECT wh.id, e.id, e.typ, e.chain, e.payload, 'pending', 0, ?, ?, '', 0, ?
FROM unnest(?::text[], ?::text[], ?::text[], ?::text[]) WITH ORDINALITY AS e(id, typ, chain, payload, ord)
JOIN webhooks AS wh ON NOT wh.disabled AND wh.events LIKE '%"' || e.typ || '"%'
ORDER BY e.ord, wh.id`, at, at.Add(RetryFor), at,
			pgdialect.Array(ids), pgdialect.Array(types), pgdialect.Array(chains), pgdialect.Array(payloads))
		return wrap(err, what+": record webhook events")
	}
	for _, e := range events {
		_, err := tx.ExecContext(ctx, `INSERT INTO webhook_deliveries (webhook_id, event_id, event_type, chain, payload,
	status, attempts, next_attempt_at, retry_until, last_error, last_status, created_at)
SELECT wh.id, ?, ?, ?, ?, 'pending', 0, ?, ?, '', 0, ?
FROM webhooks AS wh WHERE NOT wh.disabled AND wh.events LIKE ? ORDER BY wh.id`,
			e.id, e.typ, e.chain, string(e.payload), at, at.Add(RetryFor), at, eventsSubscribe(e.typ))
		if err != nil {
			return wrap(err, what+": record webhook events")
		}
	}
	return nil
}

// messageEvents are the chat.message events of msgs, stored in chat c
// (its profile and user as they are now): every message but the
// system's notes.
func messageEvents(c *Chat, msgs []Message) ([]outboxEvent, error) {
	var out []outboxEvent
	for _, m := range msgs {
		if m.Sender == SenderSystem {
			continue
		}
		e, err := newEvent(messageEventID(c.ID, m.Seq), protocol.WebhookChatMessage, c.ID, m.CreatedAt, protocol.WebhookMessageData{
			ChatID: c.ID, ProfileID: c.ProfileID, UserID: optID(c.UserID), Seq: m.Seq, Author: m.Sender,
			AgentID: optID(m.AgentID), Text: m.Text, Internal: m.Internal})
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// chatEvent is an event of type typ about chat c as it is after the
// change, at at.
func chatEvent(typ string, c *Chat, at time.Time) (outboxEvent, error) {
	d := protocol.WebhookChatData{ChatID: c.ID, ProfileID: c.ProfileID, UserID: optID(c.UserID),
		AgentID: optID(c.AgentID), Status: c.Status}
	if typ == protocol.WebhookChatEnded {
		d.Reason, d.TicketID = c.EndReason, optID(c.TicketID)
	}
	return newEvent(randomEventID(), typ, c.ID, at, d)
}

// advanceEvents are the events of an advance of chat c (as it is after
// it): its messages', then the change of its status that u makes — an
// agent taking it, its end.
func advanceEvents(c *Chat, u ChatUpdate, msgs []Message, at time.Time) ([]outboxEvent, error) {
	out, err := messageEvents(c, msgs)
	if err != nil {
		return nil, err
	}
	var typ string
	switch {
	case u.Status != nil && *u.Status == ChatEnded:
		typ = protocol.WebhookChatEnded
	case u.Status != nil && *u.Status == ChatLive && u.AgentID != nil && *u.AgentID != 0:
		typ = protocol.WebhookChatAssigned
	default:
		return out, nil
	}
	e, err := chatEvent(typ, c, at)
	if err != nil {
		return nil, err
	}
	return append(out, e), nil
}

// ticketEvent is an event of type typ about ticket t as it is after the
// change.
func ticketEvent(typ string, t *Ticket) (outboxEvent, error) {
	d := protocol.WebhookTicketData{TicketID: t.ID, UserID: optID(t.UserID), TicketTypeID: optID(t.TicketTypeID),
		Status: t.Status, Summary: t.Summary}
	if t.ChatID != "" {
		d.ChatID = &t.ChatID
	}
	return newEvent(randomEventID(), typ, ticketChain(t.ID), t.UpdatedAt, d)
}

// transferEvents is the chat.transferred event of chat c (as it is after
// the transfer) from agent from (-1: nobody).
func transferEvents(c *Chat, from int64, at time.Time) ([]outboxEvent, error) {
	d := protocol.WebhookChatData{ChatID: c.ID, ProfileID: c.ProfileID, UserID: optID(c.UserID),
		AgentID: optID(c.AgentID), Status: c.Status, TeamID: optID(c.TeamID)}
	if from > 0 {
		d.FromAgentID = &from
	}
	e, err := newEvent(randomEventID(), protocol.WebhookChatTransferred, c.ID, at, d)
	if err != nil {
		return nil, err
	}
	return []outboxEvent{e}, nil
}
