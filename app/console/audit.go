package console

import (
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"halochat/app/protocol"
)

// auditPage is how many audit rows a page shows.
const auditPage = 50

// AuditLog lists the audit log, newest first: who changed what, when,
// from where, and the changed fields; filtered by entity and actor, a
// page at a time.
type AuditLog struct {
	app.Compo
	session
	rows   []protocol.AuditEntry
	offset int
	err    string
}

func (p *AuditLog) OnMount(ctx app.Context) {
	p.authenticate(ctx, true, func(ctx app.Context) { p.load(ctx, 0) })
}

// load reads the page at offset with the filters as typed.
func (p *AuditLog) load(ctx app.Context, offset int) {
	q := url.Values{"limit": {strconv.Itoa(auditPage)}, "offset": {strconv.Itoa(offset)}}
	for param, id := range map[string]string{"entity": "cc-audit-entity", "actor": "cc-audit-actor"} {
		if v := strings.TrimSpace(inputValue(id)); v != "" {
			q.Set(param, v)
		}
	}
	ctx.Async(func() {
		var out []protocol.AuditEntry
		err := call(ctx, "GET", "/api/AuditLog?"+q.Encode(), nil, &out)
		ctx.Dispatch(func(app.Context) {
			p.err = ""
			if err != nil {
				p.err = err.Error()
				return
			}
			p.rows, p.offset = out, offset
		})
	})
}

// changesText is an audit row's changes, one field a line:
// name: from → to, or name: changed.
func changesText(c map[string]any) string {
	names := make([]string, 0, len(c))
	for k := range c {
		names = append(names, k)
	}
	slices.Sort(names)
	lines := make([]string, 0, len(names))
	for _, k := range names {
		switch v := c[k].(type) {
		case map[string]any:
			text := func(x any) string { b, _ := json.Marshal(x); return string(b) }
			if from, ok := v["from"]; ok {
				lines = append(lines, k+": "+text(from)+" → "+text(v["to"]))
			} else {
				lines = append(lines, k+": "+text(v["to"]))
			}
		default:
			b, _ := json.Marshal(v)
			lines = append(lines, k+": "+strings.Trim(string(b), `"`))
		}
	}
	return strings.Join(lines, "\n")
}

func (p *AuditLog) Render() app.UI {
	rows := make([]app.UI, 0, len(p.rows))
	for _, e := range p.rows {
		actor := e.ActorType
		if e.ActorID != 0 {
			actor += ":" + strconv.FormatInt(e.ActorID, 10) + " " + e.ActorName
		}
		rows = append(rows, app.Tr().DataSet("audit", e.ID).Body(
			app.Td().Text(clock(e.At)), app.Td().Text(actor), app.Td().Text(e.Address),
			app.Td().Text(e.Entity+" "+e.EntityID), app.Td().Text(e.Action),
			app.Td().Body(app.Pre().Class("cc-audit-changes").Text(changesText(e.Changes))),
		))
	}
	search := func(ctx app.Context, e app.Event) { e.PreventDefault(); p.load(ctx, 0) }
	pager := []app.UI{}
	if p.offset > 0 {
		pager = append(pager, app.Button().ID("cc-audit-newer").Text("Newer").OnClick(func(ctx app.Context, e app.Event) {
			p.load(ctx, max(0, p.offset-auditPage))
		}))
	}
	if len(p.rows) == auditPage {
		pager = append(pager, app.Button().ID("cc-audit-older").Text("Older").OnClick(func(ctx app.Context, e app.Event) {
			p.load(ctx, p.offset+auditPage)
		}))
	}
	return p.shell("/admin/audit",
		app.H1().Text("Audit log"),
		app.P().Class("cc-muted").Text("Every change made through the admin pages and the admin API. Secrets show as \"changed\", never their values."),
		app.Form().Class("cc-inline").OnSubmit(search).Body(
			app.Label().For("cc-audit-entity").Text("Entity"),
			app.Input().ID("cc-audit-entity").Placeholder("ChatProfile, Agent, Webhook…"),
			app.Label().For("cc-audit-actor").Text("Actor"),
			app.Input().ID("cc-audit-actor").Placeholder("agent:12 or client:3"),
			app.Button().ID("cc-audit-search").Type("submit").Class("cc-primary").Text("Filter"),
		),
		notice("cc-error", p.err),
		table([]string{"When", "Who", "Address", "What", "Action", "Changes"}, rows),
		app.Div().Class("cc-inline").Body(pager...),
	)
}
