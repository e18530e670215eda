package store

import (
	"context"
	"fmt"
	"regexp"
	"time"

	"github.com/uptrace/bun"
)

// Custom field entities and types (SPEC §6).
const (
	EntityChat   = "chat"
	EntityTicket = "ticket"

	FieldText    = "text"
	FieldNumber  = "number"
	FieldBoolean = "boolean"
	FieldDate    = "date"
	FieldChoice  = "choice"
)

// CustomField defines a chat or ticket custom field.
type CustomField struct {
	bun.BaseModel `bun:"table:custom_fields,alias:cf"`

	ID        int64     `bun:"id,pk,autoincrement"`
	Entity    string    `bun:"entity"` // EntityChat | EntityTicket
	Name      string    `bun:"name"`   // database name: "CF" + letters/digits, unique per entity
	Label     string    `bun:"label"`
	Type      string    `bun:"type"`    // Field* constant
	Choices   Choices   `bun:"choices"` // for FieldChoice
	CreatedAt time.Time `bun:"created_at"`
	UpdatedAt time.Time `bun:"updated_at"`
}

// fieldNameRE is the shape of a custom field's database name.
var fieldNameRE = regexp.MustCompile(`^CF[A-Za-z0-9]+$`)

// ValidFieldName reports whether name is a valid custom field database
// name: "CF" followed by at least one ASCII letter or digit.
func ValidFieldName(name string) bool { return fieldNameRE.MatchString(name) }

func checkField(what string, f *CustomField) error {
	if err := oneOf(what, "entity", f.Entity, EntityChat, EntityTicket); err != nil {
		return err
	}
	if !ValidFieldName(f.Name) {
		return invalid(what, "name %q is not CF followed by letters or digits", f.Name)
	}
	if f.Label == "" {
		return invalid(what, "label is empty")
	}
	if err := oneOf(what, "type", f.Type, FieldText, FieldNumber, FieldBoolean, FieldDate, FieldChoice); err != nil {
		return err
	}
	if f.Type == FieldChoice && len(f.Choices) == 0 {
		return invalid(what, "a choice field needs choices")
	}
	return nil
}

// CreateCustomField stores a new custom field; (entity, name) is unique.
func (s *Store) CreateCustomField(ctx context.Context, f *CustomField) error {
	defer s.config.invalidate()
	const what = "create custom field"
	if err := checkField(what, f); err != nil {
		return err
	}
	f.CreatedAt = s.Now()
	f.UpdatedAt = f.CreatedAt
	return s.insert(ctx, what, f)
}

// GetCustomField returns the custom field with that id.
func (s *Store) GetCustomField(ctx context.Context, id int64) (*CustomField, error) {
	return getOne[CustomField](ctx, s.db, fmt.Sprintf("get custom field %d", id), func(q *bun.SelectQuery) *bun.SelectQuery {
		return q.Where("cf.id = ?", id)
	})
}

// GetCustomFieldByName returns the entity's custom field with that database name.
func (s *Store) GetCustomFieldByName(ctx context.Context, entity, name string) (*CustomField, error) {
	what := fmt.Sprintf("get %s custom field %q", entity, name)
	if err := checkText(what, "name", name); err != nil {
		return nil, err
	}
	if err := checkText(what, "entity", entity); err != nil {
		return nil, err
	}
	return getOne[CustomField](ctx, s.db, what, func(q *bun.SelectQuery) *bun.SelectQuery {
		return q.Where("cf.entity = ?", entity).Where("cf.name = ?", name)
	})
}

// ListCustomFields returns the entity's custom fields by name; an empty
// entity lists both.
func (s *Store) ListCustomFields(ctx context.Context, entity string) ([]CustomField, error) {
	what := fmt.Sprintf("list %s custom fields", entity)
	if err := checkText(what, "entity", entity); err != nil {
		return nil, err
	}
	return list[CustomField](ctx, s.db, what, func(q *bun.SelectQuery) *bun.SelectQuery {
		if entity != "" {
			q = q.Where("cf.entity = ?", entity)
		}
		return q.Order("cf.entity", "cf.name")
	})
}

// UpdateCustomField saves every field of f but its entity and creation time.
func (s *Store) UpdateCustomField(ctx context.Context, f *CustomField) error {
	defer s.config.invalidate()
	what := fmt.Sprintf("update custom field %d", f.ID)
	if err := checkField(what, f); err != nil {
		return err
	}
	f.UpdatedAt = s.Now()
	return s.updatePK(ctx, what, f, "entity", "created_at")
}

// DeleteCustomField deletes a custom field and its stored values.
func (s *Store) DeleteCustomField(ctx context.Context, id int64) error {
	defer s.config.invalidate()
	return deleteWhere[CustomField](ctx, s, fmt.Sprintf("delete custom field %d", id), "id = ?", id)
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
	const what = "create ticket type"
	if t.Name == "" {
		return invalid(what, "name is empty")
	}
	t.CreatedAt = s.Now()
	t.UpdatedAt = t.CreatedAt
	return s.insert(ctx, what, t)
}

// GetTicketType returns the ticket type with that id.
func (s *Store) GetTicketType(ctx context.Context, id int64) (*TicketType, error) {
	return getOne[TicketType](ctx, s.db, fmt.Sprintf("get ticket type %d", id), func(q *bun.SelectQuery) *bun.SelectQuery {
		return q.Where("tt.id = ?", id)
	})
}

// GetTicketTypeByName returns the ticket type with that name.
func (s *Store) GetTicketTypeByName(ctx context.Context, name string) (*TicketType, error) {
	what := fmt.Sprintf("get ticket type named %q", name)
	if err := checkText(what, "name", name); err != nil {
		return nil, err
	}
	return getOne[TicketType](ctx, s.db, what, func(q *bun.SelectQuery) *bun.SelectQuery {
		return q.Where("tt.name = ?", name)
	})
}

// ListTicketTypes returns every ticket type by name.
func (s *Store) ListTicketTypes(ctx context.Context) ([]TicketType, error) {
	return list[TicketType](ctx, s.db, "list ticket types", func(q *bun.SelectQuery) *bun.SelectQuery {
		return q.Order("tt.name")
	})
}

// UpdateTicketType renames a ticket type.
func (s *Store) UpdateTicketType(ctx context.Context, t *TicketType) error {
	what := fmt.Sprintf("update ticket type %d", t.ID)
	if t.Name == "" {
		return invalid(what, "name is empty")
	}
	t.UpdatedAt = s.Now()
	return s.updatePK(ctx, what, t, "created_at")
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
	return s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := getOne[TicketType](ctx, tx, what, func(q *bun.SelectQuery) *bun.SelectQuery {
			return q.Where("tt.id = ?", typeID)
		}); err != nil {
			return err
		}
		if _, err := tx.NewDelete().Model((*ticketTypeField)(nil)).Where("ticket_type_id = ?", typeID).Exec(ctx); err != nil {
			return wrap(err, what)
		}
		if len(fieldIDs) == 0 {
			return nil
		}
		n, err := tx.NewSelect().Model((*CustomField)(nil)).
			Where("cf.id IN (?)", bun.List(fieldIDs)).Where("cf.entity = ?", EntityTicket).Count(ctx)
		if err != nil {
			return wrap(err, what)
		}
		rows := make([]ticketTypeField, 0, len(fieldIDs))
		seen := map[int64]bool{}
		for i, id := range fieldIDs {
			if !seen[id] {
				seen[id] = true
				rows = append(rows, ticketTypeField{TicketTypeID: typeID, FieldID: id, Position: int64(i)})
			}
		}
		if n != int64(len(rows)) {
			return fmt.Errorf("%s: %w: not every id is a ticket custom field", what, ErrNotFound)
		}
		_, err = tx.NewInsert().Model(&rows).Exec(ctx)
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
