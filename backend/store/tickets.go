package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/uptrace/bun"

	"halochat/app/protocol"
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

	ID           int64  `bun:"id,pk,autoincrement"`
	TicketTypeID int64  `bun:"ticket_type_id,nullzero"`
	UserID       int64  `bun:"user_id,nullzero"`
	ChatID       string `bun:"chat_id,nullzero"`
	// ProfileID is the chat profile the ticket came through: its chat's,
	// or the widget's of an offline message.
	ProfileID string    `bun:"profile_id,nullzero"`
	Summary   string    `bun:"summary"`
	Details   string    `bun:"details"` // the transcript, as text
	Status    string    `bun:"status"`  // TicketOpen | TicketClosed
	CreatedAt time.Time `bun:"created_at"`
	UpdatedAt time.Time `bun:"updated_at"`
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
// transaction. An empty status is TicketOpen; a chat's ticket with no
// ProfileID gets its chat's. Every value must be for a
// ticket custom field (ErrNotFound otherwise); checking that the field is
// assigned to the ticket type is the caller's business.
func (s *Store) CreateTicket(ctx context.Context, t *Ticket, values []TicketFieldValue) error {
	return s.CreateTicketWithMail(ctx, t, values, nil)
}

// CreateTicketWithMail is CreateTicket that also queues the mails
// mails returns for the ticket (its id set), in the ticket's
// transaction (mails.go): a notification is committed with its ticket
// or not at all. mails may be nil.
func (s *Store) CreateTicketWithMail(ctx context.Context, t *Ticket, values []TicketFieldValue, mails func(*Ticket) []Mail) error {
	const what = "create ticket"
	if t.Status == "" {
		t.Status = TicketOpen
	}
	if err := oneOf(what, "status", t.Status, TicketOpen, TicketClosed); err != nil {
		return err
	}
	ids, err := checkFieldValues(what, values)
	if err != nil {
		return err
	}
	stamp(t, s.Now(), "CreatedAt", "UpdatedAt")
	return s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if t.ChatID != "" && t.ProfileID == "" {
			// A chat's ticket came through its chat's profile.
			err := tx.NewSelect().Table("chats").Column("profile_id").Where("id = ?", t.ChatID).Scan(ctx, &t.ProfileID)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return wrap(err, what+": the chat's profile")
			}
		}
		if err := insert(ctx, tx, what, t); err != nil {
			return err
		}
		e, err := ticketEvent(protocol.WebhookTicketCreated, t)
		if err != nil {
			return err
		}
		if err := s.recordEvents(ctx, tx, what, t.CreatedAt, []outboxEvent{e}); err != nil {
			return err
		}
		if mails != nil {
			if err := queueMails(ctx, tx, what, t.CreatedAt, mails(t)); err != nil {
				return err
			}
		}
		if len(values) == 0 {
			return nil
		}
		if err := checkFieldIDs(ctx, tx, what, EntityTicket, ids); err != nil {
			return err
		}
		rows := make([]TicketFieldValue, len(values))
		for i, v := range values {
			rows[i] = TicketFieldValue{TicketID: t.ID, FieldID: v.FieldID, Value: v.Value}
		}
		_, err = tx.NewInsert().Model(&rows).Exec(ctx)
		return wrap(err, what+": field values")
	})
}

// GetTicket returns the ticket with that id.
func (s *Store) GetTicket(ctx context.Context, id int64) (*Ticket, error) {
	return getBy[Ticket](ctx, s.db, fmt.Sprintf("get ticket %d", id), "id", id)
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
	// ProfileIDs, when not empty, keeps the tickets that came through
	// these profiles (an API client's, APIClient.ProfileIDs).
	ProfileIDs []string
	// VisibleTo keeps the tickets agent VisibleTo may read: those logged
	// from a chat it may read (ChatFilter.VisibleTo; a ticket holds its
	// chat's transcript), and those of no chat.
	VisibleTo int64
}

// ListTickets returns tickets matching f, newest first.
func (s *Store) ListTickets(ctx context.Context, f TicketFilter) ([]Ticket, error) {
	const what = "list tickets"
	if err := checkModel(what, &f); err != nil {
		return nil, err
	}
	return list[Ticket](ctx, s.db, what, func(q *bun.SelectQuery) *bun.SelectQuery {
		q = whereIf(q, "t.user_id", f.UserID)
		q = whereIf(q, "t.chat_id", f.ChatID)
		q = whereIf(q, "t.status", f.Status)
		if len(f.ProfileIDs) > 0 {
			q = q.Where("t.profile_id IN (?)", bun.List(f.ProfileIDs))
		}
		if f.VisibleTo != 0 {
			q = q.Where("(t.chat_id IS NULL OR EXISTS (SELECT 1 FROM chats AS c WHERE c.id = t.chat_id AND "+visibleTo+"))", f.VisibleTo)
		}
		return Page{Offset: f.Offset, Limit: f.Limit}.apply(q.OrderExpr("t.id DESC"))
	})
}

// PortalTicket is a ticket as its user sees it in the portal.
type PortalTicket struct {
	ID        int64     `bun:"id"`
	Summary   string    `bun:"summary"`
	Status    string    `bun:"status"`
	TypeName  string    `bun:"type_name"` // "" when the ticket has no type
	ChatID    string    `bun:"chat_id"`
	CreatedAt time.Time `bun:"created_at"`
}

// ListPortalTickets returns the tickets of a user — logged for them, or
// from a chat whose user is them — newest first.
func (s *Store) ListPortalTickets(ctx context.Context, userID int64, page Page) ([]PortalTicket, error) {
	what := fmt.Sprintf("list the portal tickets of user %d", userID)
	var out []PortalTicket
	q := s.db.NewSelect().TableExpr("tickets AS t").
		ColumnExpr("t.id, t.summary, t.status, t.created_at").
		ColumnExpr("COALESCE(t.chat_id, '') AS chat_id").
		ColumnExpr("COALESCE(tt.name, '') AS type_name").
		Join("LEFT JOIN ticket_types AS tt ON tt.id = t.ticket_type_id").
		Join("LEFT JOIN chats AS c ON c.id = t.chat_id").
		Where("t.user_id = ? OR c.user_id = ?", userID, userID)
	if err := page.apply(q.OrderExpr("t.id DESC")).Scan(ctx, &out); err != nil {
		return nil, wrap(err, what)
	}
	for i := range out {
		out[i].CreatedAt = out[i].CreatedAt.UTC()
	}
	return out, nil
}

// TicketType is a kind of ticket, with the ticket custom fields assigned to it.
type TicketType struct {
	bun.BaseModel `bun:"table:ticket_types,alias:tt"`

	ID        int64     `bun:"id,pk,autoincrement"`
	Name      string    `bun:"name"` // unique
	CreatedAt time.Time `bun:"created_at"`
	UpdatedAt time.Time `bun:"updated_at"`
}

// ticketTypeField assigns a ticket custom field to a ticket type.
type ticketTypeField struct {
	bun.BaseModel `bun:"table:ticket_type_fields,alias:ttf"`

	TicketTypeID int64 `bun:"ticket_type_id,pk"`
	FieldID      int64 `bun:"field_id,pk"`
	Position     int64 `bun:"position"`
}

// CreateTicketType stores a new ticket type; the name is unique.
func (s *Store) CreateTicketType(ctx context.Context, t *TicketType) error {
	return create(ctx, s, "create ticket type", t, checkTicketType)
}

func checkTicketType(what string, t *TicketType) error { return checkName(what, t.Name) }

// GetTicketType returns the ticket type with that id.
func (s *Store) GetTicketType(ctx context.Context, id int64) (*TicketType, error) {
	return getBy[TicketType](ctx, s.db, fmt.Sprintf("get ticket type %d", id), "id", id)
}

// GetTicketTypeByName returns the ticket type with that name.
func (s *Store) GetTicketTypeByName(ctx context.Context, name string) (*TicketType, error) {
	return getBy[TicketType](ctx, s.db, fmt.Sprintf("get ticket type named %q", name), "name", name)
}

// ListTicketTypes returns every ticket type by name.
func (s *Store) ListTicketTypes(ctx context.Context) ([]TicketType, error) {
	return list[TicketType](ctx, s.db, "list ticket types", orderBy("tt.name"))
}

// UpdateTicketType renames a ticket type.
func (s *Store) UpdateTicketType(ctx context.Context, t *TicketType) error {
	return update(ctx, s, fmt.Sprintf("update ticket type %d", t.ID), t, checkTicketType)
}

// DeleteTicketType deletes a ticket type; ErrConflict while a profile or a
// ticket refers to it.
func (s *Store) DeleteTicketType(ctx context.Context, id int64) error {
	return deleteWhere[TicketType](ctx, s, fmt.Sprintf("delete ticket type %d", id), "id = ?", id)
}

// SetTicketTypeFields replaces the ticket custom fields assigned to a ticket
// type with fieldIDs, in that order. Every id must be a ticket field.
func (s *Store) SetTicketTypeFields(ctx context.Context, typeID int64, fieldIDs []int64) error {
	what := fmt.Sprintf("assign fields to ticket type %d", typeID)
	noteAudit(ctx, "fields", fieldIDs)
	return s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := getBy[TicketType](ctx, tx, what, "id", typeID); err != nil {
			return err
		}
		if _, err := tx.NewDelete().Model((*ticketTypeField)(nil)).Where("ticket_type_id = ?", typeID).Exec(ctx); err != nil {
			return wrap(err, what)
		}
		if len(fieldIDs) == 0 {
			return nil
		}
		var ids []int64 // each once, at its first position
		var rows []ticketTypeField
		for i, id := range fieldIDs {
			if !slices.Contains(ids, id) {
				ids = append(ids, id)
				rows = append(rows, ticketTypeField{TicketTypeID: typeID, FieldID: id, Position: int64(i)})
			}
		}
		if err := checkFieldIDs(ctx, tx, what, EntityTicket, ids); err != nil {
			return err
		}
		_, err := tx.NewInsert().Model(&rows).Exec(ctx)
		return wrap(err, what)
	})
}

// TicketTypeFields returns the custom fields assigned to a ticket type, in
// their assigned order.
func (s *Store) TicketTypeFields(ctx context.Context, typeID int64) ([]CustomField, error) {
	return list[CustomField](ctx, s.db, fmt.Sprintf("list fields of ticket type %d", typeID),
		func(q *bun.SelectQuery) *bun.SelectQuery {
			return q.Join("JOIN ticket_type_fields AS ttf ON ttf.field_id = cf.id").
				Where("ttf.ticket_type_id = ?", typeID).Order("ttf.position", "cf.id")
		})
}
