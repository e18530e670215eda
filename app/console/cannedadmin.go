package console

import (
	"strconv"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"halochat/app/protocol"
)

// CannedResponses lists the canned responses agents expand in the
// composer ("/" and the shortcut), creates, edits and deletes them; each
// is for every agent or for one team's.
type CannedResponses struct {
	app.Compo
	listPage[protocol.CannedResponse]
	teams []protocol.Team
}

func (p *CannedResponses) OnMount(ctx app.Context) {
	p.mount(ctx, "/api/CannedResponse", func(c protocol.CannedResponse) int64 { return c.ID }, func(ctx app.Context) {
		loadInto(ctx, "/api/Team", &p.teams, &p.err)
	})
}

func (p *CannedResponses) Render() app.UI {
	rows := make([]app.UI, 0, len(p.list))
	for _, c := range p.list {
		rows = append(rows, editableRow(c.ID, p.editHandler(c.ID, p.open), "/"+c.Shortcut, c.Text, p.teamName(c.TeamID)))
	}
	return p.shell("/admin/canned",
		app.H1().Text("Canned responses"),
		app.P().Class("cc-muted").Text("Agents type / and the start of a shortcut in the composer to pick one; its text is filled in for the chat "+
			"and can be edited before it is sent. Placeholders: {{user.firstname}} (any user field), {{agent.name}}, "+
			"{{chat.CFname}} (a chat field by name or label), each with an optional fallback: {{user.firstname|there}}."),
		notice("cc-error", p.err),
		notice("cc-ok", p.ok),
		table([]string{"Shortcut", "Text", "For", ""}, rows),
		p.editor(p.editForm),
		app.H2().Text("New canned response"),
		app.Form().ID("cr-new").Class("cc-form").NoValidate(true).OnSubmit(p.submit).Body(append(p.inputs("cr-", nil),
			app.Button().ID("cr-create").Type("submit").Class("cc-primary").Text("Create canned response"))...),
	)
}

// teamName is the For column: every agent, or the team's name.
func (p *CannedResponses) teamName(id *int64) string {
	if id == nil {
		return "every agent"
	}
	for _, t := range p.teams {
		if t.ID == *id {
			return "team " + t.Name
		}
	}
	return "team " + strconv.FormatInt(*id, 10) + " (deleted)"
}

// teamOptions are the team select's options: every agent, then each team.
func (p *CannedResponses) teamOptions() [][2]string {
	opts := [][2]string{{"", "Every agent"}}
	for _, t := range p.teams {
		opts = append(opts, [2]string{strconv.FormatInt(t.ID, 10), "Team " + t.Name})
	}
	return opts
}

// teamValue is the team select's value for a canned response's team.
func teamValue(id *int64) string {
	if id == nil {
		return noValue
	}
	return strconv.FormatInt(*id, 10)
}

// inputValueOf is what inputValue reads from a select set to v.
func inputValueOf(v string) string {
	if v == noValue {
		return ""
	}
	return v
}

// inputs are the form's inputs, ids prefix + API field.
func (p *CannedResponses) inputs(prefix string, team *int64) []app.UI {
	return []app.UI{
		p.editRow(prefix, "shortcut", "Shortcut (typed after /)", app.Input().ID(prefix+"shortcut").Placeholder("refund")),
		p.editRow(prefix, "text", "Text", app.Textarea().ID(prefix+"text").Rows(4)),
		p.editRow(prefix, "teamId", "For", selectOf(prefix+"teamId", inputValueOf(teamValue(team)), p.teamOptions())),
	}
}

// read is the form (ids prefix + field) as the API takes it, and the
// errors found before asking it.
func (p *CannedResponses) read(prefix string) (protocol.CannedResponseInput, map[string]string) {
	in := protocol.CannedResponseInput{
		Shortcut: strings.TrimPrefix(strings.TrimSpace(inputValue(prefix+"shortcut")), "/"),
		Text:     strings.TrimSpace(inputValue(prefix + "text")),
	}
	errs := required("shortcut", in.Shortcut)
	if in.Text == "" {
		errs["text"] = "Required."
	}
	if v := inputValue(prefix + "teamId"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			errs["teamId"] = "Pick a team or every agent."
		}
		in.TeamID = &id
	}
	return in, errs
}

func (p *CannedResponses) submit(ctx app.Context, e app.Event) {
	e.PreventDefault()
	in, errs := p.read("cr-")
	if len(errs) > 0 {
		p.errs, p.err, p.ok = errs, "Not created: fix the fields marked.", ""
		return
	}
	p.errs = map[string]string{}
	p.create(ctx, in, nil, func() {
		setInput("cr-shortcut", "")
		setInput("cr-text", "")
		p.ok = "Created /" + in.Shortcut + "."
	})
}

func (p *CannedResponses) open(ctx app.Context, c protocol.CannedResponse) {
	p.startEdit(ctx, c.ID, func() {
		setInput("cr-e-shortcut", c.Shortcut)
		setInput("cr-e-text", c.Text)
		setInput("cr-e-teamId", teamValue(c.TeamID))
	})
}

// editForm is the edit form of c, whose API path is path.
func (p *CannedResponses) editForm(c protocol.CannedResponse, path string) app.UI {
	save := func(ctx app.Context, e app.Event) {
		in, errs := p.read("cr-e-")
		if p.invalid(errs) {
			return
		}
		in.ID = c.ID
		p.send(ctx, "PUT", path, in, nil, func(app.Context) { p.editOK = "Saved." })
	}
	del := p.remover(path, "Deleted /"+c.Shortcut+".", nil)
	return p.editSection("cr-edit", "Edit canned response: /"+c.Shortcut, save, append(p.inputs("cr-e-", c.TeamID),
		p.confirmBox("delete", "Delete /"+c.Shortcut+"? Agents can no longer pick it.", "cr-delete-confirm", "Delete the canned response", del)),
		app.Button().ID("cr-delete").Type("button").Class("cc-danger").Text("Delete…").OnClick(p.ask("delete")))
}
