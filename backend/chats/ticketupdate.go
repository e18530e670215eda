package chats

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"unicode/utf8"

	"halochat/app/protocol"
	"halochat/backend/identity"
	"halochat/backend/store"
)

// TicketChange is a change to a ticket asked over the REST API
// (PUT /api/Tickets/{id}): a new status, and field values by the
// field's database name (JSON null clears a value).
type TicketChange struct {
	Status *string
	Fields map[string]json.RawMessage
}

// unfit is a 422 refusal naming field.
func unfit(field, format string, args ...any) *protocol.APIError {
	return &protocol.APIError{Code: protocol.CodeInvalidRequest, Kind: protocol.KindUnfit, Field: field,
		Message: field + ": " + fmt.Sprintf(format, args...)}
}

// UpdateTicket applies ch to ticket id for r (who must be able to read
// it, as Ticket) and returns the ticket and its field values after it.
// Every value is checked against its field's type first — a value that
// does not fit, a field the ticket's type does not have, a status that
// is not open or closed, is a 422 refusal naming it, and nothing
// changes; then everything is stored in one transaction.
func (s *Service) UpdateTicket(ctx context.Context, id int64, ch TicketChange, r Reader) (*store.Ticket, []store.TicketFieldValue, error) {
	t, err := s.ticketFor(ctx, id, r)
	if err != nil {
		return nil, nil, err
	}
	u := store.TicketUpdate{Status: ch.Status}
	if ch.Status != nil && *ch.Status != store.TicketOpen && *ch.Status != store.TicketClosed {
		return nil, nil, unfit("status", "%q is not a ticket status (%s or %s)", *ch.Status, store.TicketOpen, store.TicketClosed)
	}
	if len(ch.Fields) > 0 {
		if u.Set, u.Clear, err = s.ticketValues(ctx, t, ch.Fields); err != nil {
			return nil, nil, err
		}
	}
	if _, err := s.store.UpdateTicket(ctx, id, u); err != nil {
		return nil, nil, fmt.Errorf("update ticket %d: %w", id, err)
	}
	return s.Ticket(ctx, id, r)
}

// ticketValues checks the named field values against ticket t's fields
// (those assigned to its ticket type; every ticket field when it has
// none) and returns what to set and what to clear, in name order.
func (s *Service) ticketValues(ctx context.Context, t *store.Ticket, named map[string]json.RawMessage) ([]store.TicketFieldValue, []int64, error) {
	var defs []store.CustomField
	var err error
	if t.TicketTypeID != 0 {
		defs, err = s.store.TicketTypeFields(ctx, t.TicketTypeID)
	} else {
		defs, err = s.store.ListCustomFields(ctx, store.EntityTicket)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read the fields of ticket %d: %w", t.ID, err)
	}
	byName := make(map[string]store.CustomField, len(defs))
	for _, d := range defs {
		byName[d.Name] = d
	}
	names := make([]string, 0, len(named))
	for n := range named {
		names = append(names, n)
	}
	sort.Strings(names)
	var set []store.TicketFieldValue
	var clear []int64
	for _, n := range names {
		field := "fields." + n
		d, ok := byName[n]
		if !ok {
			return nil, nil, unfit(field, "ticket %d has no such field (its ticket type's fields, by database name)", t.ID)
		}
		raw := named[n]
		if string(raw) == "null" {
			clear = append(clear, d.ID)
			continue
		}
		v, err := d.FieldDef().ParseJSON(raw)
		if err != nil {
			return nil, nil, unfit(field, "%v (a %s field)", err, d.Type)
		}
		if utf8.RuneCountInString(v.String()) > identity.MaxChatFieldLen {
			return nil, nil, unfit(field, "at most %d characters", identity.MaxChatFieldLen)
		}
		set = append(set, store.TicketFieldValue{FieldID: d.ID, Value: v.String()})
	}
	return set, clear, nil
}
