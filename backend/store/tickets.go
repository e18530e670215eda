package store

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// Ticket statuses.
const (
	TicketOpen   = "open"
	TicketClosed = "closed"
)

// Ticket is a ticket logged from a chat (or by the API). Its ID is the
// number the visitor sees.
type Ticket struct {
	bun.BaseModel `bun:"table:tickets,alias:t"`

	ID           int64     `bun:"id,pk,autoincrement"`
	TicketTypeID int64     `bun:"ticket_type_id,nullzero"`
	UserID       int64     `bun:"user_id,nullzero"`
	ChatID       string    `bun:"chat_id,nullzero"`
	Summary      string    `bun:"summary"`
	Details      string    `bun:"details"` // the transcript, as text
	Status       string    `bun:"status"`  // TicketOpen | TicketClosed
	CreatedAt    time.Time `bun:"created_at"`
	UpdatedAt    time.Time `bun:"updated_at"`
}

// TicketFieldValue is the value of a ticket custom field for one ticket.
type TicketFieldValue struct {
	bun.BaseModel `bun:"table:ticket_field_values,alias:tfv"`

	TicketID int64  `bun:"ticket_id,pk"` // set by the store
	FieldID  int64  `bun:"field_id,pk"`
	Value    string `bun:"value"`
	Name     string `bun:"name,scanonly"`  // the field's database name, filled on read
	Label    string `bun:"label,scanonly"` // the field's label, filled on read
}

// CreateTicket stores a ticket and its custom field values in one
// transaction. An empty status is TicketOpen. Every value must be for a
// ticket custom field (ErrNotFound otherwise); checking that the field is
// assigned to the ticket type is the caller's business.
func (s *Store) CreateTicket(ctx context.Context, t *Ticket, values []TicketFieldValue) error {
	const what = "create ticket"
	if t.Status == "" {
		t.Status = TicketOpen
	}
	if err := oneOf(what, "status", t.Status, TicketOpen, TicketClosed); err != nil {
		return err
	}
	rows := make([]TicketFieldValue, len(values))
	ids := make([]int64, len(values))
	seen := map[int64]bool{}
	for i, v := range values {
		if seen[v.FieldID] {
			return invalid(what, "field %d given twice", v.FieldID)
		}
		seen[v.FieldID] = true
		if err := checkText(what, "field value", v.Value); err != nil {
			return err
		}
		rows[i] = TicketFieldValue{FieldID: v.FieldID, Value: v.Value}
		ids[i] = v.FieldID
	}
	t.CreatedAt = s.Now()
	t.UpdatedAt = t.CreatedAt
	return s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := insert(ctx, tx, what, t); err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		n, err := tx.NewSelect().Model((*CustomField)(nil)).
			Where("cf.id IN (?)", bun.List(ids)).Where("cf.entity = ?", EntityTicket).Count(ctx)
		if err != nil {
			return wrap(err, what)
		}
		if n != int64(len(ids)) {
			return fmt.Errorf("%s: %w: not every field id is a ticket custom field", what, ErrNotFound)
		}
		for i := range rows {
			rows[i].TicketID = t.ID
		}
		_, err = tx.NewInsert().Model(&rows).Exec(ctx)
		return wrap(err, what+": field values")
	})
}

// GetTicket returns the ticket with that id.
func (s *Store) GetTicket(ctx context.Context, id int64) (*Ticket, error) {
	return getOne[Ticket](ctx, s.db, fmt.Sprintf("get ticket %d", id), func(q *bun.SelectQuery) *bun.SelectQuery {
		return q.Where("t.id = ?", id)
	})
}

// TicketFieldValues returns a ticket's custom field values with their
// field names and labels, by name.
func (s *Store) TicketFieldValues(ctx context.Context, ticketID int64) ([]TicketFieldValue, error) {
	return list[TicketFieldValue](ctx, s.db, fmt.Sprintf("get field values of ticket %d", ticketID),
		func(q *bun.SelectQuery) *bun.SelectQuery {
			return q.ColumnExpr("tfv.*").ColumnExpr("cf.name AS name, cf.label AS label").
				Join("JOIN custom_fields AS cf ON cf.id = tfv.field_id").
				Where("tfv.ticket_id = ?", ticketID).Order("cf.name")
		})
}

// TicketFilter selects tickets for ListTickets; zero fields do not filter.
type TicketFilter struct {
	Offset int64
	Limit  int64 // 0 = DefaultLimit; capped at MaxLimit
	UserID int64
	ChatID string
	Status string
}

// ListTickets returns tickets matching f, newest first.
func (s *Store) ListTickets(ctx context.Context, f TicketFilter) ([]Ticket, error) {
	const what = "list tickets"
	if err := checkModel(what, &f); err != nil {
		return nil, err
	}
	return list[Ticket](ctx, s.db, what, func(q *bun.SelectQuery) *bun.SelectQuery {
		if f.UserID != 0 {
			q = q.Where("t.user_id = ?", f.UserID)
		}
		if f.ChatID != "" {
			q = q.Where("t.chat_id = ?", f.ChatID)
		}
		if f.Status != "" {
			q = q.Where("t.status = ?", f.Status)
		}
		return Page{Offset: f.Offset, Limit: f.Limit}.apply(q.OrderExpr("t.id DESC"))
	})
}

// SetTicketStatus changes a ticket's status.
func (s *Store) SetTicketStatus(ctx context.Context, id int64, status string) error {
	what := fmt.Sprintf("set status of ticket %d", id)
	if err := oneOf(what, "status", status, TicketOpen, TicketClosed); err != nil {
		return err
	}
	res, err := s.execWrite(ctx, s.db.NewUpdate().Model((*Ticket)(nil)).
		Set("status = ?", status).Set("updated_at = ?", s.Now()).Where("id = ?", id))
	return affected(res, err, what)
}
