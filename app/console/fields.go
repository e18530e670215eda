package console

import (
	"fmt"
	"slices"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"halochat/app/flow"
	"halochat/app/protocol"
)

// Fields lists the custom fields, creates new ones, and edits or deletes them
// (docs/CONTRACT.md#chat-custom-fields). The API refuses (409) to rename,
// relabel, retype or delete a chat field a flow's condition uses; the page
// shows why.
type Fields struct {
	app.Compo
	listPage[protocol.CustomField]
}

var fieldTypes = [][2]string{{"text", "Text"}, {"number", "Number"}, {"boolean", "Boolean"}, {"date", "Date"}, {"choice", "Single choice"}}

func (p *Fields) OnMount(ctx app.Context) {
	p.mount(ctx, "/api/CustomField", func(f protocol.CustomField) int64 { return f.ID }, nil)
}

func (p *Fields) Render() app.UI {
	rows := make([]app.UI, 0, len(p.list))
	for _, f := range p.list {
		rows = append(rows, editableRow(f.ID, p.editHandler(f.ID, p.open),
			f.Entity, f.Name, f.Label, f.Type, strings.Join(f.FieldDef().Choices, ", ")))
	}
	return p.shell("/admin/fields",
		app.H1().Text("Custom fields"),
		app.P().Class("cc-muted").Text("Chat fields are filled from identity tokens (a claim named like the field's database name or label), read by condition steps, and copied to the ticket field with the same label."),
		notice("cc-error", p.err),
		notice("cc-ok", p.ok),
		table([]string{"Entity", "Database name", "Label", "Type", "Choices", ""}, rows),
		p.editor(p.editForm),
		app.H2().Text("New custom field"),
		app.Form().Class("cc-form").OnSubmit(p.submit).Body(
			app.Label().For("cf-entity").Text("Entity"),
			selectOf("cf-entity", "chat", [][2]string{{"chat", "Chat"}, {"ticket", "Ticket"}}),
			app.Label().For("cf-name").Text("Database name (CF + letters and digits)"),
			app.Input().ID("cf-name").Placeholder("CFcustomerTier"),
			app.Label().For("cf-label").Text("Label"),
			app.Input().ID("cf-label").Placeholder("Customer tier"),
			app.Label().For("cf-type").Text("Type"),
			selectOf("cf-type", "text", fieldTypes),
			app.Label().For("cf-choices").Text("Choices (single choice; comma-separated)"),
			app.Input().ID("cf-choices"),
			app.Button().ID("cf-create").Type("submit").Class("cc-primary").Text("Create field"),
		),
	)
}

func (p *Fields) submit(ctx app.Context, e app.Event) {
	e.PreventDefault()
	in := fieldForm{Name: strings.TrimSpace(inputValue("cf-name")), Label: strings.TrimSpace(inputValue("cf-label")),
		Type: inputValue("cf-type"), Choices: splitList(inputValue("cf-choices"))}
	p.create(ctx, in.input(inputValue("cf-entity"), nil), nil, nil)
}

func (p *Fields) open(ctx app.Context, f protocol.CustomField) {
	p.startEdit(ctx, f.ID, func() {
		setInput("cf-e-name", f.Name)
		setInput("cf-e-label", f.Label)
		setInput("cf-e-type", f.Type)
		setInput("cf-e-choices", strings.Join(f.FieldDef().Choices, ", "))
	})
}

// editForm is the edit form of f, whose API path is path.
func (p *Fields) editForm(f protocol.CustomField, path string) app.UI {
	save := func(ctx app.Context, e app.Event) {
		in := fieldForm{Name: strings.TrimSpace(inputValue("cf-e-name")), Label: strings.TrimSpace(inputValue("cf-e-label")),
			Type: inputValue("cf-e-type"), Choices: splitList(inputValue("cf-e-choices"))}
		if p.invalid(in.check()) {
			return
		}
		p.send(ctx, "PUT", path, in.input(f.Entity, f.Choices), nil, func(app.Context) { p.editOK = "Saved." })
	}
	del := p.remover(path, "Deleted the field "+f.Name+".", nil)
	warning := "Delete the " + f.Entity + " field " + f.Name + "? Its stored values are deleted with it."
	if f.Entity == "chat" {
		warning += " A flow whose condition uses it keeps it from being deleted."
	}
	return p.editSection("cf-edit", "Edit "+f.Entity+" field: "+f.Name, save, []app.UI{
		app.P().Class("cc-muted").Text("Entity: " + f.Entity + " (cannot change: make a new field)"),
		p.editRow("cf-e-", "name", "Database name (CF + letters and digits)", app.Input().ID("cf-e-name")),
		p.editRow("cf-e-", "label", "Label", app.Input().ID("cf-e-label")),
		p.editRow("cf-e-", "type", "Type", selectOf("cf-e-type", f.Type, fieldTypes)),
		p.editRow("cf-e-", "choices", "Choices (single choice; comma-separated)", app.Input().ID("cf-e-choices")),
		p.confirmBox("delete", warning, "cf-delete-confirm", "Delete the field", del),
	}, app.Button().ID("cf-delete").Type("button").Class("cc-danger").Text("Delete…").OnClick(p.ask("delete")))
}

// fieldForm is the custom field edit form as read from the page.
type fieldForm struct {
	Name, Label, Type string
	Choices           []string
}

// input is what the form sends for a field of entity; choices keep the
// labels of the old ones with the same value.
func (f fieldForm) input(entity string, old []flow.Choice) protocol.CustomFieldInput {
	return protocol.CustomFieldInput{CustomField: protocol.CustomField{Entity: entity,
		CustomField: flow.CustomField{Name: f.Name, Label: f.Label, Type: f.Type, Choices: choicesOf(f.Choices, old)}}}
}

// check finds what the API would refuse, by field.
func (f fieldForm) check() map[string]string {
	errs := required("label", f.Label)
	if !validFieldName(f.Name) {
		errs["name"] = "CF followed by 1 to 62 letters or digits, e.g. CFcustomerTier."
	}
	if !slices.ContainsFunc(fieldTypes, func(t [2]string) bool { return t[0] == f.Type }) {
		errs["type"] = "Choose a type."
	}
	switch {
	case f.Type == "choice" && len(f.Choices) == 0:
		errs["choices"] = "A single choice field needs at least one choice."
	case f.Type != "choice" && len(f.Choices) > 0:
		errs["choices"] = "Only a single choice field has choices: empty this, or choose that type."
	case len(f.Choices) > 0:
		for i, c := range f.Choices {
			if slices.Contains(f.Choices[:i], c) {
				errs["choices"] = fmt.Sprintf("%q is listed twice.", c)
			}
		}
	}
	return errs
}

func validFieldName(s string) bool {
	if len(s) < 3 || len(s) > 64 || !strings.HasPrefix(s, "CF") {
		return false
	}
	for _, c := range s[2:] {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// splitList splits a comma-separated list, dropping empty items.
func splitList(s string) []string {
	var out []string
	for part := range strings.SplitSeq(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// choicesOf makes the API's choices from values, keeping the label an
// existing choice of the same value has (a new one is labelled by its
// value).
func choicesOf(values []string, old []flow.Choice) []flow.Choice {
	out := []flow.Choice{}
	for _, v := range values {
		c := flow.Choice{Value: v, Label: v}
		if i := slices.IndexFunc(old, func(o flow.Choice) bool { return o.Value == v }); i >= 0 && old[i].Label != "" {
			c.Label = old[i].Label
		}
		out = append(out, c)
	}
	return out
}
