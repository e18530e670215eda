package console

import (
	"fmt"
	"strconv"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// ticket is a ticket as /api/Tickets shows it (the store's field names).
type ticket struct {
	ID        int64
	ChatID    string
	Summary   string
	Details   string
	Status    string
	CreatedAt string
	Fields    []struct {
		Name  string `json:"name"`
		Label string `json:"label"`
		Value string `json:"value"`
	} `json:"fields"`
}

// Tickets lists the tickets logged from chats; one opens (on a click, or
// from ?id= in the page's URL) with its custom field values and
// transcript.
type Tickets struct {
	app.Compo
	session
	list []ticket
	open *ticket
	err  string
}

func (p *Tickets) OnMount(ctx app.Context) {
	p.authenticate(ctx, false, func(ctx app.Context) {
		if id, err := strconv.ParseInt(queryParam(ctx, "id"), 10, 64); err == nil && id > 0 {
			p.load(ctx, id)
		}
		ctx.Async(func() {
			var out struct {
				Tickets []ticket `json:"tickets"`
			}
			err := call(ctx, "GET", "/api/Tickets", nil, &out)
			ctx.Dispatch(func(app.Context) {
				if err != nil {
					p.err = err.Error()
				}
				p.list = out.Tickets
			})
		})
	})
}

func (p *Tickets) Render() app.UI {
	rows := make([]app.UI, 0, len(p.list))
	for _, t := range p.list {
		id := t.ID
		rows = append(rows, app.Tr().DataSet("ticket", t.ID).Body(
			app.Td().Body(app.Button().Class("cc-ticket-link").Text("#"+strconv.FormatInt(t.ID, 10)).OnClick(func(ctx app.Context, e app.Event) { p.load(ctx, id) }, app.EventScope(id))),
			app.Td().Text(t.Summary), app.Td().Text(t.Status), app.Td().Text(localTime(t.CreatedAt)), app.Td().Text(shortID(t.ChatID)),
		))
	}
	var detail app.UI = app.Text("")
	if t := p.open; t != nil {
		var fields app.UI = app.P().Class("cc-muted").Text("No custom field values.")
		if len(t.Fields) > 0 {
			frows := make([]app.UI, 0, len(t.Fields))
			for _, f := range t.Fields {
				frows = append(frows, app.Tr().DataSet("field", f.Name).Body(
					app.Td().Text(f.Label), app.Td().Text(f.Name), app.Td().Class("cc-field-value").Text(f.Value)))
			}
			fields = app.Table().ID("cc-ticket-fields").Class("cc-table").Body(
				app.THead().Body(app.Tr().Body(app.Th().Text("Field"), app.Th().Text("Database name"), app.Th().Text("Value"))),
				app.TBody().Body(frows...),
			)
		}
		detail = app.Section().ID("cc-ticket").Class("cc-embed").DataSet("ticket", t.ID).Body(
			app.H2().Text(fmt.Sprintf("Ticket #%d: %s", t.ID, t.Summary)),
			table([]string{"Status", "Logged", "Chat"}, []app.UI{cells(t.Status, localTime(t.CreatedAt), shortID(t.ChatID))}),
			fields,
			app.H3().Text("Transcript"),
			app.Pre().Class("cc-code").Text(t.Details),
		)
	}
	return p.shell("/tickets",
		app.H1().Text("Tickets"),
		notice("cc-error", p.err),
		table([]string{"Ticket", "Summary", "Status", "Logged", "Chat"}, rows),
		detail,
	)
}

func (p *Tickets) load(ctx app.Context, id int64) {
	ctx.Async(func() {
		var t ticket
		err := call(ctx, "GET", fmt.Sprintf("/api/Tickets/%d", id), nil, &t)
		ctx.Dispatch(func(app.Context) {
			if err != nil {
				p.err = err.Error()
				return
			}
			p.open = &t
		})
	})
}
