package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"halochat/app/flow"
	"halochat/app/protocol"
	"halochat/backend/httpx"
	"halochat/backend/store"
)

func fieldJSON(f *store.CustomField) protocol.CustomField {
	j := protocol.CustomField{ID: f.ID, Entity: f.Entity, CustomField: flow.CustomField{Name: f.Name, Label: f.Label, Type: f.Type,
		Choices: []flow.Choice(f.Choices)}, CreatedAt: f.CreatedAt, UpdatedAt: f.UpdatedAt}
	if j.Choices == nil {
		j.Choices = []flow.Choice{}
	}
	return j
}

// fields are the chat and ticket custom fields (/api/CustomField).
func (a *IdentityAPI) fields() resource[store.CustomField, protocol.CustomFieldInput, protocol.CustomField] {
	return resource[store.CustomField, protocol.CustomFieldInput, protocol.CustomField]{
		load:   a.field,
		list:   a.listFields,
		show:   shown(fieldJSON),
		build:  a.buildField,
		create: a.Store.CreateCustomField,
		update: a.Store.UpdateCustomField,
		taken: func(f *store.CustomField) error {
			return apiConflict("name: the %s field %q exists already", f.Entity, f.Name)
		},
		remove: func(ctx context.Context, f *store.CustomField) error {
			if err := a.usedBy(ctx, f, "delete"); err != nil {
				return err
			}
			return a.Store.DeleteCustomField(ctx, f.ID)
		},
	}
}

// listFields reads the fields of the ?entity= asked for (chat, ticket or
// both).
func (a *IdentityAPI) listFields(r *http.Request) ([]store.CustomField, error) {
	entity := r.URL.Query().Get("entity")
	if entity != "" && entity != store.EntityChat && entity != store.EntityTicket {
		return nil, apiInvalid("entity", `must be "chat" or "ticket"`)
	}
	return a.Store.ListCustomFields(r.Context(), entity)
}

func (a *IdentityAPI) field(ctx context.Context, r *http.Request) (*store.CustomField, error) {
	return byPathID(ctx, r, "custom field", a.Store.GetCustomField)
}

// checkFieldInput validates a field definition and returns its choices.
func checkFieldInput(in *protocol.CustomFieldInput) (store.Choices, error) {
	if in.Entity != store.EntityChat && in.Entity != store.EntityTicket {
		return nil, apiInvalid("entity", `must be "chat" or "ticket", not %q`, in.Entity)
	}
	if !store.ValidFieldName(in.Name) || len(in.Name) > 64 {
		return nil, apiInvalid("name", "%q is not a database name: CF followed by 1 to 62 letters or digits (e.g. CFcustomerTier)", in.Name)
	}
	if err := textField("label", in.Label, true, 200); err != nil {
		return nil, err
	}
	if in.Label != strings.TrimSpace(in.Label) {
		return nil, apiInvalid("label", "has leading or trailing spaces (claims match labels exactly)")
	}
	switch in.Type {
	case store.FieldText, store.FieldNumber, store.FieldBoolean, store.FieldDate, store.FieldChoice:
	default:
		return nil, apiInvalid("type", "must be text, number, boolean, date or choice, not %q", in.Type)
	}
	if in.Type != store.FieldChoice {
		if len(in.Choices) > 0 {
			return nil, apiInvalid("choices", "only a choice field has choices")
		}
		return store.Choices{}, nil
	}
	if len(in.Choices) == 0 {
		return nil, apiInvalid("choices", "a choice field needs at least one choice")
	}
	if len(in.Choices) > 500 {
		return nil, apiInvalid("choices", "holds more than 500 choices")
	}
	seen := map[string]bool{}
	for i, c := range in.Choices {
		if err := textField(fmt.Sprintf("choices[%d].value", i), c.Value, true, 200); err != nil {
			return nil, err
		}
		if err := textField(fmt.Sprintf("choices[%d].label", i), c.Label, false, 200); err != nil {
			return nil, err
		}
		if seen[c.Value] {
			return nil, apiInvalid(fmt.Sprintf("choices[%d].value", i), "%q is listed twice", c.Value)
		}
		seen[c.Value] = true
	}
	return store.Choices(in.Choices), nil
}

// checkFieldUnique refuses a name or label another field of the entity has.
func (a *IdentityAPI) checkFieldUnique(ctx context.Context, self int64, entity, name, label string) error {
	fs, err := a.Store.ListCustomFields(ctx, entity)
	if err != nil {
		return err
	}
	for _, f := range fs {
		if f.ID == self {
			continue
		}
		if f.Name == name {
			return apiConflict("name: the %s field %q exists already (id %d)", entity, name, f.ID)
		}
		if f.Label == label {
			return apiConflict("label: the %s field %s already has the label %q (claims and ticket sync match labels)", entity, f.Name, label)
		}
	}
	return nil
}

// buildField validates in and returns the field to store: a new one when
// cur is nil, else cur as in changes it (not its entity, nor, while a
// flow's condition uses it, its name, label or type).
func (a *IdentityAPI) buildField(ctx context.Context, cur *store.CustomField, in *protocol.CustomFieldInput) (*store.CustomField, error) {
	if cur == nil {
		cur = &store.CustomField{Entity: in.Entity}
	} else {
		if err := pathIDIs(in.ID, cur.ID); err != nil {
			return nil, err
		}
		if in.Entity == "" {
			in.Entity = cur.Entity
		}
		if in.Entity != cur.Entity {
			return nil, apiInvalid("entity", "cannot change from %q to %q: make a new field", cur.Entity, in.Entity)
		}
	}
	choices, err := checkFieldInput(in)
	if err != nil {
		return nil, err
	}
	if cur.ID != 0 {
		if err := a.usedByChanges(ctx, cur, in); err != nil {
			return nil, err
		}
	}
	if err := a.checkFieldUnique(ctx, cur.ID, in.Entity, in.Name, in.Label); err != nil {
		return nil, err
	}
	cur.Name, cur.Label, cur.Type, cur.Choices = in.Name, in.Label, in.Type, choices
	return cur, nil
}

// usedByChanges refuses renaming, relabelling or retyping f while a
// flow's condition uses it.
func (a *IdentityAPI) usedByChanges(ctx context.Context, f *store.CustomField, in *protocol.CustomFieldInput) error {
	var changes []string
	if in.Name != f.Name {
		changes = append(changes, "rename")
	}
	if in.Label != f.Label {
		changes = append(changes, "relabel")
	}
	if in.Type != f.Type {
		changes = append(changes, "change the type of")
	}
	if len(changes) == 0 {
		return nil
	}
	return a.usedBy(ctx, f, strings.Join(changes, " and "))
}

// usedBy refuses a change to a chat field that the current version of a
// flow's condition reads.
func (a *IdentityAPI) usedBy(ctx context.Context, f *store.CustomField, change string) error {
	if f.Entity != store.EntityChat {
		return nil
	}
	refs, err := a.Store.StepsUsingChatField(ctx, f.Name, true)
	if err != nil {
		return err
	}
	if len(refs) == 0 {
		return nil
	}
	uses := make([]string, 0, len(refs))
	for _, ref := range refs {
		uses = append(uses, fmt.Sprintf("flow %q (id %d) step %d", ref.FlowName, ref.FlowID, ref.Step))
	}
	return apiConflict("cannot %s chat field %s: a condition uses it in %s; change the flow first",
		change, f.Name, strings.Join(uses, ", "))
}

func (a *IdentityAPI) ticketTypeJSON(ctx context.Context, t *store.TicketType) (protocol.TicketType, error) {
	fs, err := a.Store.TicketTypeFields(ctx, t.ID)
	if err != nil {
		return protocol.TicketType{}, err
	}
	j := protocol.TicketType{ID: t.ID, Name: t.Name, FieldIDs: []int64{}, Fields: []protocol.CustomField{},
		CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt}
	for i := range fs {
		j.FieldIDs = append(j.FieldIDs, fs[i].ID)
		j.Fields = append(j.Fields, fieldJSON(&fs[i]))
	}
	return j, nil
}

// ticketTypes are the ticket types with their fields (/api/TicketType). A
// save sets the type and its fields in two steps, so createTicketType
// and updateTicketType are handlers of their own.
func (a *IdentityAPI) ticketTypes() resource[store.TicketType, protocol.TicketTypeInput, protocol.TicketType] {
	return resource[store.TicketType, protocol.TicketTypeInput, protocol.TicketType]{
		load: a.ticketType,
		list: all(a.Store.ListTicketTypes),
		show: a.ticketTypeJSON,
		remove: func(ctx context.Context, t *store.TicketType) error {
			err := a.Store.DeleteTicketType(ctx, t.ID)
			if errors.Is(err, store.ErrConflict) {
				return apiConflict("ticket type %q is still used by a chat profile or by tickets", t.Name)
			}
			return err
		},
	}
}

func (a *IdentityAPI) ticketType(ctx context.Context, r *http.Request) (*store.TicketType, error) {
	return byPathID(ctx, r, "ticket type", a.Store.GetTicketType)
}

// checkTicketTypeInput validates the name and that every field id is a
// ticket field (once).
func (a *IdentityAPI) checkTicketTypeInput(ctx context.Context, self int64, in *protocol.TicketTypeInput) error {
	if err := textField("name", in.Name, true, 200); err != nil {
		return err
	}
	in.Name = strings.TrimSpace(in.Name)
	if other, err := a.Store.GetTicketTypeByName(ctx, in.Name); err == nil && other.ID != self {
		return apiConflict("name: a ticket type named %q exists (id %d)", in.Name, other.ID)
	} else if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if len(in.FieldIDs) > 500 {
		return apiInvalid("fieldIds", "holds more than 500 fields")
	}
	fs, err := a.Store.ListCustomFields(ctx, store.EntityTicket)
	if err != nil {
		return err
	}
	for i, id := range in.FieldIDs {
		if slices.Contains(in.FieldIDs[:i], id) {
			return apiInvalid(fmt.Sprintf("fieldIds[%d]", i), "field %d is listed twice", id)
		}
		if !slices.ContainsFunc(fs, func(f store.CustomField) bool { return f.ID == id }) {
			return apiInvalid(fmt.Sprintf("fieldIds[%d]", i), "%d is not the id of a ticket custom field", id)
		}
	}
	return nil
}

func (a *IdentityAPI) createTicketType(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	var in protocol.TicketTypeInput
	if err := httpx.ReadJSON(w, r, maxAdminBody, &in); err != nil {
		return err
	}
	if err := a.checkTicketTypeInput(ctx, 0, &in); err != nil {
		return err
	}
	t := &store.TicketType{Name: in.Name}
	if err := a.Store.CreateTicketType(ctx, t); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return apiConflict("name: a ticket type named %q exists", in.Name)
		}
		return err
	}
	if err := a.Store.SetTicketTypeFields(ctx, t.ID, in.FieldIDs); err != nil {
		// Leave nothing half made: the checks above passed, so this is
		// a race or a database failure.
		if derr := a.Store.DeleteTicketType(context.WithoutCancel(ctx), t.ID); derr != nil {
			err = errors.Join(err, derr)
		}
		return fmt.Errorf("assign fields to the new ticket type: %w", err)
	}
	return answer(w, ctx, http.StatusCreated, t, a.ticketTypeJSON)
}

func (a *IdentityAPI) updateTicketType(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	t, err := a.ticketType(ctx, r)
	if err != nil {
		return err
	}
	var in protocol.TicketTypeInput
	if err := httpx.ReadJSON(w, r, maxAdminBody, &in); err != nil {
		return err
	}
	if err := pathIDIs(in.ID, t.ID); err != nil {
		return err
	}
	if err := a.checkTicketTypeInput(ctx, t.ID, &in); err != nil {
		return err
	}
	if err := a.Store.SetTicketTypeFields(ctx, t.ID, in.FieldIDs); err != nil {
		return err
	}
	if t.Name != in.Name {
		t.Name = in.Name
		if err := a.Store.UpdateTicketType(ctx, t); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return apiConflict("name: a ticket type named %q exists", in.Name)
			}
			return err
		}
	}
	return answer(w, ctx, http.StatusOK, t, a.ticketTypeJSON)
}
