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

func (a *IdentityAPI) listFields(w http.ResponseWriter, r *http.Request) error {
	entity := r.URL.Query().Get("entity")
	if entity != "" && entity != store.EntityChat && entity != store.EntityTicket {
		return apiInvalid("entity", `must be "chat" or "ticket"`)
	}
	fs, err := a.Store.ListCustomFields(r.Context(), entity)
	if err != nil {
		return err
	}
	return writeList(w, fs, fieldJSON)
}

func (a *IdentityAPI) field(ctx context.Context, r *http.Request) (*store.CustomField, error) {
	return byPathID(ctx, r, "custom field", a.Store.GetCustomField)
}

func (a *IdentityAPI) getField(w http.ResponseWriter, r *http.Request) error {
	f, err := a.field(r.Context(), r)
	if err != nil {
		return err
	}
	return writeOK(w, http.StatusOK, fieldJSON(f))
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

func (a *IdentityAPI) createField(w http.ResponseWriter, r *http.Request) error {
	var in protocol.CustomFieldInput
	if err := httpx.ReadJSON(w, r, maxAdminBody, &in); err != nil {
		return err
	}
	choices, err := checkFieldInput(&in)
	if err != nil {
		return err
	}
	if err := a.checkFieldUnique(r.Context(), 0, in.Entity, in.Name, in.Label); err != nil {
		return err
	}
	f := &store.CustomField{Entity: in.Entity, Name: in.Name, Label: in.Label, Type: in.Type, Choices: choices}
	if err := a.Store.CreateCustomField(r.Context(), f); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return apiConflict("name: the %s field %q exists already", in.Entity, in.Name)
		}
		return err
	}
	return writeOK(w, http.StatusCreated, fieldJSON(f))
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

func (a *IdentityAPI) updateField(w http.ResponseWriter, r *http.Request) error {
	f, err := a.field(r.Context(), r)
	if err != nil {
		return err
	}
	var in protocol.CustomFieldInput
	if err := httpx.ReadJSON(w, r, maxAdminBody, &in); err != nil {
		return err
	}
	if in.ID != 0 && in.ID != f.ID {
		return apiInvalid("id", "%d is not the id in the path (%d)", in.ID, f.ID)
	}
	if in.Entity == "" {
		in.Entity = f.Entity
	}
	if in.Entity != f.Entity {
		return apiInvalid("entity", "cannot change from %q to %q: make a new field", f.Entity, in.Entity)
	}
	choices, err := checkFieldInput(&in)
	if err != nil {
		return err
	}
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
	if len(changes) > 0 {
		if err := a.usedBy(r.Context(), f, strings.Join(changes, " and ")); err != nil {
			return err
		}
	}
	if err := a.checkFieldUnique(r.Context(), f.ID, f.Entity, in.Name, in.Label); err != nil {
		return err
	}
	f.Name, f.Label, f.Type, f.Choices = in.Name, in.Label, in.Type, choices
	if err := a.Store.UpdateCustomField(r.Context(), f); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return apiConflict("name: the %s field %q exists already", f.Entity, f.Name)
		}
		return err
	}
	return writeOK(w, http.StatusOK, fieldJSON(f))
}

func (a *IdentityAPI) deleteField(w http.ResponseWriter, r *http.Request) error {
	f, err := a.field(r.Context(), r)
	if err != nil {
		return err
	}
	if err := a.usedBy(r.Context(), f, "delete"); err != nil {
		return err
	}
	if err := a.Store.DeleteCustomField(r.Context(), f.ID); err != nil {
		return err
	}
	return writeOK(w, http.StatusNoContent, nil)
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

func (a *IdentityAPI) listTicketTypes(w http.ResponseWriter, r *http.Request) error {
	ts, err := a.Store.ListTicketTypes(r.Context())
	if err != nil {
		return err
	}
	out := make([]protocol.TicketType, len(ts))
	for i := range ts {
		if out[i], err = a.ticketTypeJSON(r.Context(), &ts[i]); err != nil {
			return err
		}
	}
	return writeOK(w, http.StatusOK, out)
}

func (a *IdentityAPI) ticketType(ctx context.Context, r *http.Request) (*store.TicketType, error) {
	return byPathID(ctx, r, "ticket type", a.Store.GetTicketType)
}

func (a *IdentityAPI) getTicketType(w http.ResponseWriter, r *http.Request) error {
	t, err := a.ticketType(r.Context(), r)
	if err != nil {
		return err
	}
	j, err := a.ticketTypeJSON(r.Context(), t)
	if err != nil {
		return err
	}
	return writeOK(w, http.StatusOK, j)
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
	j, err := a.ticketTypeJSON(ctx, t)
	if err != nil {
		return err
	}
	return writeOK(w, http.StatusCreated, j)
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
	if in.ID != 0 && in.ID != t.ID {
		return apiInvalid("id", "%d is not the id in the path (%d)", in.ID, t.ID)
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
	j, err := a.ticketTypeJSON(ctx, t)
	if err != nil {
		return err
	}
	return writeOK(w, http.StatusOK, j)
}

func (a *IdentityAPI) deleteTicketType(w http.ResponseWriter, r *http.Request) error {
	t, err := a.ticketType(r.Context(), r)
	if err != nil {
		return err
	}
	if err := a.Store.DeleteTicketType(r.Context(), t.ID); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return apiConflict("ticket type %q is still used by a chat profile or by tickets", t.Name)
		}
		return err
	}
	return writeOK(w, http.StatusNoContent, nil)
}
