package console

import (
	"strconv"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// listPage is the shape the small admin pages share: a table of what the
// API lists, and a form that creates one more.
type listPage[T any] struct {
	session
	list []T
	err  string
	ok   string
}

func (p *listPage[T]) load(ctx app.Context, path string) {
	ctx.Async(func() {
		var list []T
		err := call(ctx, "GET", path, nil, &list)
		ctx.Dispatch(func(app.Context) {
			if err != nil {
				p.err = err.Error()
			}
			p.list = list
		})
	})
}

// create POSTs body to path, then reloads the list; done (if set) sees
// the answer.
func (p *listPage[T]) create(ctx app.Context, path string, body any, out any, done func()) {
	ctx.Async(func() {
		err := call(ctx, "POST", path, body, out)
		ctx.Dispatch(func(ctx app.Context) {
			if err != nil {
				p.err, p.ok = err.Error(), ""
				return
			}
			p.err = ""
			if done != nil {
				done()
			}
			p.load(ctx, path)
		})
	})
}

func table(head []string, rows []app.UI) app.UI {
	return app.Table().Class("cc-table").Body(
		app.THead().Body(app.Tr().Body(app.Range(head).Slice(func(i int) app.UI { return app.Th().Text(head[i]) }))),
		app.TBody().Body(rows...),
	)
}

func cells(texts ...string) app.UI {
	return app.Tr().Body(app.Range(texts).Slice(func(i int) app.UI { return app.Td().Text(texts[i]) }))
}

// ticketType is GET /api/TicketType.
type ticketType struct {
	ID     int64         `json:"id"`
	Name   string        `json:"name"`
	Fields []customField `json:"fields"`
}

// TicketTypes lists ticket types with their fields and creates new ones.
type TicketTypes struct {
	app.Compo
	listPage[ticketType]
	ticketFields []customField
}

func (p *TicketTypes) OnMount(ctx app.Context) {
	p.authenticate(ctx, true, func(ctx app.Context) {
		p.load(ctx, "/api/TicketType")
		ctx.Async(func() {
			var fs []customField
			_ = call(ctx, "GET", "/api/CustomField?entity=ticket", nil, &fs)
			ctx.Dispatch(func(app.Context) { p.ticketFields = fs })
		})
	})
}

func (p *TicketTypes) Render() app.UI {
	rows := make([]app.UI, 0, len(p.list))
	for _, t := range p.list {
		var labels []string
		for _, f := range t.Fields {
			labels = append(labels, f.Label)
		}
		rows = append(rows, cells(t.Name, strings.Join(labels, ", ")))
	}
	return p.shell("/admin/tickettypes",
		app.H1().Text("Ticket types"),
		notice("cc-error", p.err),
		table([]string{"Name", "Ticket fields (chat fields with the same label are copied)"}, rows),
		app.H2().Text("New ticket type"),
		app.Form().Class("cc-form").OnSubmit(p.submit).Body(
			app.Label().For("tt-name").Text("Name"),
			app.Input().ID("tt-name"),
			app.Range(p.ticketFields).Slice(func(i int) app.UI {
				f := p.ticketFields[i]
				id := "tt-field-" + strconv.FormatInt(f.ID, 10)
				return app.Div().Class("cc-check").Body(app.Input().ID(id).Type("checkbox"), app.Label().For(id).Text(f.Label+" ("+f.Name+")"))
			}),
			app.Button().ID("tt-create").Type("submit").Class("cc-primary").Text("Create ticket type"),
		),
	)
}

func (p *TicketTypes) submit(ctx app.Context, e app.Event) {
	e.PreventDefault()
	ids := []int64{}
	for _, f := range p.ticketFields {
		if inputChecked("tt-field-" + strconv.FormatInt(f.ID, 10)) {
			ids = append(ids, f.ID)
		}
	}
	p.create(ctx, "/api/TicketType", map[string]any{"name": strings.TrimSpace(inputValue("tt-name")), "fieldIds": ids}, nil, nil)
}

// agentAccount is GET /api/Agent.
type agentAccount struct {
	ID       int64  `json:"id"`
	Email    string `json:"email"`
	Name     string `json:"name"`
	Role     string `json:"role"`
	Presence string `json:"presence"`
	Disabled bool   `json:"disabled"`
}

// Agents lists agents and admins and creates new ones.
type Agents struct {
	app.Compo
	listPage[agentAccount]
}

func (p *Agents) OnMount(ctx app.Context) {
	p.authenticate(ctx, true, func(ctx app.Context) { p.load(ctx, "/api/Agent") })
}

func (p *Agents) Render() app.UI {
	rows := make([]app.UI, 0, len(p.list))
	for _, a := range p.list {
		state := a.Presence
		if a.Disabled {
			state = "disabled"
		}
		rows = append(rows, cells(a.Name, a.Email, a.Role, state))
	}
	return p.shell("/admin/agents",
		app.H1().Text("Agents"),
		notice("cc-error", p.err),
		table([]string{"Name", "Email", "Role", "Presence"}, rows),
		app.H2().Text("New agent"),
		app.Form().Class("cc-form").OnSubmit(func(ctx app.Context, e app.Event) {
			e.PreventDefault()
			p.create(ctx, "/api/Agent", map[string]string{"name": strings.TrimSpace(inputValue("ag-name")),
				"email": strings.TrimSpace(inputValue("ag-email")), "role": inputValue("ag-role"), "password": inputValue("ag-password")}, nil, nil)
		}).Body(
			app.Label().For("ag-name").Text("Name"), app.Input().ID("ag-name"),
			app.Label().For("ag-email").Text("Email"), app.Input().ID("ag-email").Type("email"),
			app.Label().For("ag-role").Text("Role"), selectOf("ag-role", "agent", [][2]string{{"agent", "Agent"}, {"admin", "Admin"}}),
			app.Label().For("ag-password").Text("Password"), app.Input().ID("ag-password").Type("password").Attr("autocomplete", "new-password"),
			app.Button().ID("ag-create").Type("submit").Class("cc-primary").Text("Create agent"),
		),
	)
}

// apiClient is GET /api/APIClient (with clientSecret only when created).
type apiClient struct {
	ID           int64    `json:"id"`
	ClientID     string   `json:"clientId"`
	Name         string   `json:"name"`
	Permissions  []string `json:"permissions"`
	Disabled     bool     `json:"disabled"`
	ClientSecret string   `json:"clientSecret,omitempty"`
}

// APIClients lists API clients and creates new ones; a new client's
// secret is shown once.
type APIClients struct {
	app.Compo
	listPage[apiClient]
	secret *apiClient
}

func (p *APIClients) OnMount(ctx app.Context) {
	p.authenticate(ctx, true, func(ctx app.Context) { p.load(ctx, "/api/APIClient") })
}

func (p *APIClients) Render() app.UI {
	rows := make([]app.UI, 0, len(p.list))
	for _, c := range p.list {
		rows = append(rows, cells(c.Name, c.ClientID, strings.Join(c.Permissions, ", ")))
	}
	var secret app.UI = app.Text("")
	if p.secret != nil {
		secret = app.Div().ID("ac-secret").Class("cc-warning").Body(
			app.P().Text("The secret of "+p.secret.ClientID+" — shown this once, only a hash is kept:"),
			app.Pre().Class("cc-code").Text(p.secret.ClientSecret),
		)
	}
	return p.shell("/admin/apiclients",
		app.H1().Text("API clients"),
		notice("cc-error", p.err),
		secret,
		table([]string{"Name", "Client id", "Permissions"}, rows),
		app.H2().Text("New API client"),
		app.Form().Class("cc-form").OnSubmit(func(ctx app.Context, e app.Event) {
			e.PreventDefault()
			perms := []string{}
			for _, perm := range []string{"admin", "users:write"} {
				if inputChecked("ac-perm-" + strings.ReplaceAll(perm, ":", "-")) {
					perms = append(perms, perm)
				}
			}
			out := &apiClient{}
			p.create(ctx, "/api/APIClient", map[string]any{"name": strings.TrimSpace(inputValue("ac-name")), "permissions": perms}, out,
				func() { p.secret = out })
		}).Body(
			app.Label().For("ac-name").Text("Name"), app.Input().ID("ac-name"),
			app.Div().Class("cc-check").Body(app.Input().ID("ac-perm-admin").Type("checkbox"), app.Label().For("ac-perm-admin").Text("Admin (the whole admin API)")),
			app.Div().Class("cc-check").Body(app.Input().ID("ac-perm-users-write").Type("checkbox"), app.Label().For("ac-perm-users-write").Text("Read & Modify Users (ChatMatchingData)")),
			app.Button().ID("ac-create").Type("submit").Class("cc-primary").Text("Create API client"),
		),
	)
}
