package store

import (
	"context"
	"database/sql/driver"
	"fmt"
	"regexp"
	"slices"
	"time"

	"github.com/uptrace/bun"

	"halochat/app/flow"
)

// Custom field entities and types (docs/CONTRACT.md#chat-custom-fields).
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

// Choice is one option of a choice custom field: the flow engine's, so a
// stored field is the definition the engine reads.
type Choice = flow.Choice

// Choices is a JSON array of [Choice].
type Choices []Choice

// Value implements driver.Valuer.
func (c Choices) Value() (driver.Value, error) { return jsonValue([]Choice(c), "[]") }

// Scan implements sql.Scanner.
func (c *Choices) Scan(src any) error { *c = nil; return jsonScan(src, (*[]Choice)(c)) }

// FieldDef is the field as the flow engine checks values against it.
func (f CustomField) FieldDef() flow.FieldDef {
	return flow.CustomField{Name: f.Name, Label: f.Label, Type: f.Type, Choices: f.Choices}.FieldDef()
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
	return create(ctx, s, "create custom field", f, checkField)
}

// GetCustomField returns the custom field with that id.
func (s *Store) GetCustomField(ctx context.Context, id int64) (*CustomField, error) {
	return getBy[CustomField](ctx, s.db, fmt.Sprintf("get custom field %d", id), "id", id)
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
	return update(ctx, s, fmt.Sprintf("update custom field %d", f.ID), f, checkField, "entity")
}

// DeleteCustomField deletes a custom field and its stored values.
func (s *Store) DeleteCustomField(ctx context.Context, id int64) error {
	defer s.config.invalidate()
	return deleteWhere[CustomField](ctx, s, fmt.Sprintf("delete custom field %d", id), "id = ?", id)
}

// fieldValue is a chat's or a ticket's custom field value as a caller
// hands it in: the field's id and the value.
type fieldValue interface{ idValue() (int64, string) }

func (v ChatFieldValue) idValue() (int64, string)   { return v.FieldID, v.Value }
func (v TicketFieldValue) idValue() (int64, string) { return v.FieldID, v.Value }

// checkFieldValues refuses values that name a field twice or hold text
// either database refuses, and returns their field ids in order (for
// checkFieldIDs), before anything is written.
func checkFieldValues[V fieldValue](what string, values []V) ([]int64, error) {
	ids := make([]int64, len(values))
	for i, v := range values {
		id, value := v.idValue()
		if slices.Contains(ids[:i], id) {
			return nil, invalid(what, "field %d given twice", id)
		}
		if err := checkText(what, "field value", value); err != nil {
			return nil, err
		}
		ids[i] = id
	}
	return ids, nil
}

// checkFieldIDs checks with db that every id, each given once, names a
// custom field of entity (ErrNotFound otherwise): values and ticket types
// name their fields by id, and the foreign key alone would take a field
// of the other entity.
func checkFieldIDs(ctx context.Context, db bun.IDB, what, entity string, ids []int64) error {
	n, err := db.NewSelect().Model((*CustomField)(nil)).
		Where("cf.id IN (?)", bun.List(ids)).Where("cf.entity = ?", entity).Count(ctx)
	if err != nil {
		return wrap(err, what)
	}
	if n != int64(len(ids)) {
		return fmt.Errorf("%s: %w: not every field id is a %s custom field", what, ErrNotFound, entity)
	}
	return nil
}
