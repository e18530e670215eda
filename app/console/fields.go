package console

import (
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// Fields lists the custom fields and creates new ones (SPEC §6).
type Fields struct {
	app.Compo
	session
	list []customField
	err  string
}

func (p *Fields) OnMount(ctx app.Context) {
	p.session.authenticate(ctx, true, p.load)
}

func (p *Fields) load(ctx app.Context) {
	ctx.Async(func() {
		var list []customField
		err := call(ctx, "GET", "/api/CustomField", nil, &list)
		ctx.Dispatch(func(app.Context) {
			if err != nil {
				p.err = err.Error()
			}
			p.list = list
		})
	})
}

func (p *Fields) Render() app.UI {
	return p.shell("/admin/fields",
		app.H1().Text("Custom fields"),
		app.P().Class("cc-muted").Text("Chat fields are filled from identity tokens (a claim named like the field's database name or label), read by condition steps, and copied to the ticket field with the same label."),
		notice("cc-error", p.err),
		app.Table().Class("cc-table").Body(
			app.THead().Body(app.Tr().Body(app.Th().Text("Entity"), app.Th().Text("Database name"), app.Th().Text("Label"), app.Th().Text("Type"), app.Th().Text("Choices"))),
			app.TBody().Body(app.Range(p.list).Slice(func(i int) app.UI {
				f := p.list[i]
				var choices []string
				for _, c := range f.Choices {
					choices = append(choices, c.Value)
				}
				return app.Tr().Body(app.Td().Text(f.Entity), app.Td().Body(app.Code().Text(f.Name)), app.Td().Text(f.Label),
					app.Td().Text(f.Type), app.Td().Text(strings.Join(choices, ", ")))
			})),
		),
		app.H2().Text("New custom field"),
		app.Form().Class("cc-form").OnSubmit(p.create).Body(
			app.Label().For("cf-entity").Text("Entity"),
			selectOf("cf-entity", "chat", [][2]string{{"chat", "Chat"}, {"ticket", "Ticket"}}),
			app.Label().For("cf-name").Text("Database name (CF + letters and digits)"),
			app.Input().ID("cf-name").Placeholder("CFcustomerTier"),
			app.Label().For("cf-label").Text("Label"),
			app.Input().ID("cf-label").Placeholder("Customer tier"),
			app.Label().For("cf-type").Text("Type"),
			selectOf("cf-type", "text", [][2]string{{"text", "Text"}, {"number", "Number"}, {"boolean", "Boolean"}, {"date", "Date"}, {"choice", "Single choice"}}),
			app.Label().For("cf-choices").Text("Choices (single choice; comma-separated)"),
			app.Input().ID("cf-choices"),
			app.Button().ID("cf-create").Type("submit").Class("cc-primary").Text("Create field"),
		),
	)
}

func (p *Fields) create(ctx app.Context, e app.Event) {
	e.PreventDefault()
	body := map[string]any{"entity": inputValue("cf-entity"), "name": strings.TrimSpace(inputValue("cf-name")),
		"label": strings.TrimSpace(inputValue("cf-label")), "type": inputValue("cf-type")}
	var choices []map[string]string
	for c := range strings.SplitSeq(inputValue("cf-choices"), ",") {
		if c = strings.TrimSpace(c); c != "" {
			choices = append(choices, map[string]string{"value": c, "label": c})
		}
	}
	if len(choices) > 0 {
		body["choices"] = choices
	}
	ctx.Async(func() {
		err := call(ctx, "POST", "/api/CustomField", body, nil)
		ctx.Dispatch(func(ctx app.Context) {
			if err != nil {
				p.err = err.Error()
				return
			}
			p.err = ""
			p.load(ctx)
		})
	})
}
