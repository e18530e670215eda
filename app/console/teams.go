package console

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"halochat/app/protocol"
)

// Teams lists the teams of agents, creates them and edits them: name,
// members, how chats are handed out (manual: the team's own queue; auto:
// offered to the least busy member online) and the accept timeout.
type Teams struct {
	app.Compo
	listPage[protocol.Team]
	agents []protocol.Agent
}

func (p *Teams) OnMount(ctx app.Context) {
	p.mount(ctx, "/api/Team", func(t protocol.Team) int64 { return t.ID }, func(ctx app.Context) {
		loadInto(ctx, "/api/Agent", &p.agents, &p.err)
	})
}

var teamModes = [][2]string{
	{protocol.TeamModeManual, "Manual: the team's own queue; a member accepts"},
	{protocol.TeamModeAuto, "Auto: offered to the online member with the fewest open chats, below their cap"},
}

func (p *Teams) Render() app.UI {
	names := map[int64]string{}
	for _, a := range p.agents {
		names[a.ID] = a.Name
	}
	rows := make([]app.UI, 0, len(p.list))
	for _, t := range p.list {
		members := make([]string, 0, len(t.Members))
		for _, id := range t.Members {
			name := names[id]
			if name == "" {
				name = "agent " + strconv.FormatInt(id, 10)
			}
			members = append(members, name)
		}
		rows = append(rows, editableRow(t.ID, p.editHandler(t.ID, p.open), t.Name, t.Mode, strings.Join(members, ", "), timeoutText(t.AcceptTimeout)))
	}
	return p.shell("/admin/teams",
		app.H1().Text("Teams"),
		app.P().Class("cc-muted").Text("A flow's transfer step (or an agent's transfer) can send a chat to a team instead of every agent. "+
			"A chat not accepted within the team's timeout goes to the next member; when nobody can take it, the transfer step's fallback runs."),
		notice("cc-error", p.err),
		notice("cc-ok", p.ok),
		table([]string{"Name", "Mode", "Members", "Accept timeout", ""}, rows),
		p.editor(p.editForm),
		app.H2().Text("New team"),
		app.Form().ID("tm-new").Class("cc-form").OnSubmit(p.submit).Body(append(p.inputs("tm-", protocol.TeamModeManual),
			app.Button().ID("tm-create").Type("submit").Class("cc-primary").Text("Create team"))...),
	)
}

func timeoutText(s int64) string {
	if s == 0 {
		return "none"
	}
	return fmt.Sprintf("%d s", s)
}

// inputs are the team form's inputs, ids prefix + field.
func (p *Teams) inputs(prefix, mode string) []app.UI {
	return []app.UI{
		p.editRow(prefix, "name", "Name", app.Input().ID(prefix+"name")),
		p.editRow(prefix, "mode", "Mode", selectOf(prefix+"mode", mode, teamModes)),
		p.editRow(prefix, "acceptTimeout", "Accept timeout in seconds (0: wait on)",
			app.Input().ID(prefix+"acceptTimeout").Type("number").Attr("min", 0).Value("60")),
		app.P().Class("cc-muted").Text("Members:"),
		app.Range(p.agents).Slice(func(i int) app.UI {
			a := p.agents[i]
			id := prefix + "member-" + strconv.FormatInt(a.ID, 10)
			return app.Div().Class("cc-check").Body(app.Input().ID(id).Type("checkbox"), app.Label().For(id).Text(a.Name+" ("+a.Email+")"))
		}),
		p.fieldError("members"),
	}
}

// read is the team form (ids prefix + field) as the API takes it.
func (p *Teams) read(prefix string, t protocol.Team) (protocol.TeamInput, map[string]string) {
	t.Name, t.Mode = strings.TrimSpace(inputValue(prefix+"name")), inputValue(prefix+"mode")
	errs := required("name", t.Name)
	n, err := strconv.ParseInt(strings.TrimSpace(inputValue(prefix+"acceptTimeout")), 10, 64)
	if err != nil || n < 0 {
		errs["acceptTimeout"] = "A number of seconds, 0 or more."
	}
	t.AcceptTimeout, t.Members = n, []int64{}
	for _, a := range p.agents {
		if inputChecked(prefix + "member-" + strconv.FormatInt(a.ID, 10)) {
			t.Members = append(t.Members, a.ID)
		}
	}
	return protocol.TeamInput{Team: t}, errs
}

func (p *Teams) submit(ctx app.Context, e app.Event) {
	e.PreventDefault()
	in, errs := p.read("tm-", protocol.Team{})
	if len(errs) > 0 {
		p.errs, p.err = errs, "Not created: fix the fields marked."
		return
	}
	p.errs = map[string]string{}
	p.create(ctx, in, nil, func() {
		setInput("tm-name", "")
		p.ok = "Created the team " + in.Name + "."
	})
}

func (p *Teams) open(ctx app.Context, t protocol.Team) {
	p.startEdit(ctx, t.ID, func() {
		setInput("tm-e-name", t.Name)
		setInput("tm-e-mode", t.Mode)
		setInput("tm-e-acceptTimeout", strconv.FormatInt(t.AcceptTimeout, 10))
		for _, a := range p.agents {
			el := app.Window().GetElementByID("tm-e-member-" + strconv.FormatInt(a.ID, 10))
			if el.Truthy() {
				el.Set("checked", slices.Contains(t.Members, a.ID))
			}
		}
	})
}

// editForm is the edit form of t, whose API path is path.
func (p *Teams) editForm(t protocol.Team, path string) app.UI {
	save := func(ctx app.Context, e app.Event) {
		in, errs := p.read("tm-e-", t)
		if p.invalid(errs) {
			return
		}
		p.send(ctx, "PUT", path, in, nil, func(app.Context) { p.editOK = "Saved." })
	}
	del := p.remover(path, "Deleted the team "+t.Name+".", nil)
	return p.editSection("tm-edit", "Edit team: "+t.Name, save, append(p.inputs("tm-e-", t.Mode),
		p.confirmBox("delete", "Delete the team "+t.Name+"? Its chats go on without it: any agent may take them. Its canned responses are kept, for every agent.",
			"tm-delete-confirm", "Delete the team", del)),
		app.Button().ID("tm-delete").Type("button").Class("cc-danger").Text("Delete…").OnClick(p.ask("delete")))
}
