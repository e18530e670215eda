package console

import (
	"fmt"
	"strconv"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"halochat/app/protocol"
)

// Tickets lists the tickets logged from chats; one opens (on a click, or
// from ?id= in the page's URL) with its custom field values and
// transcript.
type Tickets struct {
	app.Compo
	session
	list []protocol.Ticket
	open *protocol.TicketDetail
	err  string
}

func (p *Tickets) OnMount(ctx app.Context) {
	p.authenticate(ctx, false, func(ctx app.Context) {
		if id, err := strconv.ParseInt(queryParam(ctx, "id"), 10, 64); err == nil && id > 0 {
			p.load(ctx, id)
		}
		ctx.Async(func() {
			var out protocol.TicketList
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
			app.Td().Text(t.Summary), app.Td().Text(t.Status), app.Td().Text(clock(t.CreatedAt)), app.Td().Text(shortID(t.ChatID)),
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
			table([]string{"Status", "Logged", "Chat"}, []app.UI{cells(t.Status, clock(t.CreatedAt), shortID(t.ChatID))}),
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
		var t protocol.TicketDetail
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
