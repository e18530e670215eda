package store

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"halochat/app/protocol"
)

// TicketUpdate is a change to a ticket (PUT /api/Tickets/{id}): its
// status when Status is set, field values to set, and fields to clear.
// The caller has checked the values against their fields' types.
type TicketUpdate struct {
	Status *string
	Set    []TicketFieldValue
	Clear  []int64 // field ids whose value is removed
}

// UpdateTicket applies u to ticket id in one transaction and returns the
// ticket as stored after it: everything or nothing. ErrNotFound for an
// unknown ticket or a field id that is not a ticket field.
func (s *Store) UpdateTicket(ctx context.Context, id int64, u TicketUpdate) (*Ticket, error) {
	what := fmt.Sprintf("update ticket %d", id)
	if u.Status != nil {
		if err := oneOf(what, "status", *u.Status, TicketOpen, TicketClosed); err != nil {
			return nil, err
		}
	}
	ids, err := checkFieldValues(what, u.Set)
	if err != nil {
		return nil, err
	}
	var out *Ticket
	err = s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		q := tx.NewUpdate().Model((*Ticket)(nil)).Set("updated_at = ?", s.Now()).Where("id = ?", id)
		if u.Status != nil {
			q = q.Set("status = ?", *u.Status)
		}
		res, err := q.Exec(ctx)
		if err != nil {
			return wrap(err, what)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return fmt.Errorf("%s: %w", what, ErrNotFound)
		}
		if all := append(ids, u.Clear...); len(all) > 0 {
			if err := checkFieldIDs(ctx, tx, what, EntityTicket, all); err != nil {
				return err
			}
		}
		if len(u.Clear) > 0 {
			if _, err := tx.NewDelete().Model((*TicketFieldValue)(nil)).Where("ticket_id = ?", id).
				Where("field_id IN (?)", bun.List(u.Clear)).Exec(ctx); err != nil {
				return wrap(err, what+": clear field values")
			}
		}
		if len(u.Set) > 0 {
			rows := make([]TicketFieldValue, len(u.Set))
			for i, v := range u.Set {
				rows[i] = TicketFieldValue{TicketID: id, FieldID: v.FieldID, Value: v.Value}
			}
			if _, err := tx.NewInsert().Model(&rows).
				On("CONFLICT (ticket_id, field_id) DO UPDATE").Set("value = EXCLUDED.value").Exec(ctx); err != nil {
				return wrap(err, what+": field values")
			}
		}
		if out, err = getBy[Ticket](ctx, tx, what, "id", id); err != nil {
			return err
		}
		e, err := ticketEvent(protocol.WebhookTicketUpdated, out)
		if err != nil {
			return err
		}
		return s.recordEvents(ctx, tx, what, out.UpdatedAt, []outboxEvent{e})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
