package console

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"halochat/app/protocol"
)

// listPage is the shape the small admin pages share: a table of what the
// API lists, a form that creates one more, and an edit form for one
// listed item (opened by its row's Edit button).
//
// The edit form's inputs are filled once, when it opens, and read back by
// id when the admin saves: a refused save keeps what was typed.
type listPage[T any] struct {
	listForms
	idOf func(T) int64 // an item's API id
	list []T
}

// listForms is the part of a listPage that does not depend on what it
// lists: its methods are compiled once rather than once per page (a
// generic method's copies each carry the item type's whole name).
type listForms struct {
	session
	path   string // the API collection: GET lists, POST creates
	reload func(ctx app.Context)
	err    string
	ok     string

	// ui is the page's own context (from OnMount): answers that arrive
	// after the button that asked was removed (a confirmation box closes)
	// still update the page, which a handler's context would not.
	ui    app.Context
	hasUI bool

	// rev counts the list's loads: the edit form's handlers are scoped
	// by it (go-app keeps a handler made by the same func literal unless
	// its scope changes, and these capture the item being edited).
	rev int

	editing int64             // id of the item in the edit form (0: none)
	errs    map[string]string // the edit form's errors, by API field
	editErr string            // the last edit's refusal, as the API said it
	editOK  string
	confirm string // a destructive action asked for, not confirmed yet
}

// mount starts the page: the session, then the list of the collection
// at path, whose items idOf names.
func (p *listPage[T]) mount(ctx app.Context, path string, idOf func(T) int64, ready func(ctx app.Context)) {
	p.path, p.idOf, p.reload = path, idOf, p.load
	p.authenticate(ctx, true, func(ctx app.Context) {
		p.load(ctx)
		if ready != nil {
			ready(ctx)
		}
	})
}

// context is the page's own context once the list was first loaded
// (from OnMount), else ctx.
func (p *listForms) context(ctx app.Context) app.Context {
	if p.hasUI {
		return p.ui
	}
	return ctx
}

// load lists the collection. The first load (from OnMount) keeps its
// context as the page's.
func (p *listPage[T]) load(ctx app.Context) {
	if !p.hasUI {
		p.ui, p.hasUI = ctx, true
	}
	loadInto(p.ui, p.path, &p.list, &p.err, func() { p.rev++ })
}

// item is the listed item with this id (false when none is).
func (p *listPage[T]) item(id int64) (T, bool) {
	if i := slices.IndexFunc(p.list, func(t T) bool { return p.idOf(t) == id }); i >= 0 {
		return p.list[i], true
	}
	var none T
	return none, false
}

// editor is the edit form of the item being edited, as form makes it
// (path: the item's API path); nothing while the form is closed or its
// item is no longer listed.
func (p *listPage[T]) editor(form func(item T, path string) app.UI) app.UI {
	t, ok := p.item(p.editing)
	if !ok {
		return app.Text("")
	}
	return form(t, p.path+"/"+strconv.FormatInt(p.editing, 10))
}

// editHandler is the Edit handler of item id: when clicked it opens the
// edit form with the item as listed then.
func (p *listPage[T]) editHandler(id int64, open func(ctx app.Context, item T)) app.EventHandler {
	return func(ctx app.Context, e app.Event) {
		if t, ok := p.item(id); ok {
			open(ctx, t)
		}
	}
}

// scope is the edit form's event scope: its handlers are remade when
// the item edited or its data changes.
func (p *listForms) scope() app.EventOption { return app.EventScope(p.editing, p.rev) }

// create POSTs body to the collection, then reloads the list; done (if
// set) sees the answer. A refusal is the page's error, and is shown at
// the field it names.
func (p *listForms) create(ctx app.Context, body any, out any, done func()) {
	ctx, path := p.context(ctx), p.path
	ctx.Async(func() {
		err := call(ctx, "POST", path, body, out)
		ctx.Dispatch(func(ctx app.Context) {
			if err != nil {
				p.err, p.ok = err.Error(), ""
				// Shown at the field the refusal names too, unless an
				// edit form (whose rows share the field names) is open.
				if ae, ok := err.(*apiError); ok && ae.field() != "" && p.editing == 0 {
					p.errs = map[string]string{fieldKey(ae.field()): ae.Message}
				}
				return
			}
			p.err = ""
			if done != nil {
				done()
			}
			p.reload(ctx)
		})
	})
}

// startEdit opens the edit form for item id; fill sets its inputs once
// the form is rendered.
func (p *listForms) startEdit(ctx app.Context, id int64, fill func()) {
	p.editing, p.errs, p.editErr, p.editOK, p.confirm, p.ok = id, map[string]string{}, "", "", "", ""
	ctx.Defer(func(app.Context) { fill() })
}

func (p *listForms) closeEdit() {
	p.editing, p.errs, p.editErr, p.editOK, p.confirm = 0, map[string]string{}, "", "", ""
}

// invalid shows errs (found before asking the API) at their fields.
func (p *listForms) invalid(errs map[string]string) bool {
	if len(errs) == 0 {
		return false
	}
	p.errs, p.editErr, p.editOK = errs, "Not saved: fix the fields marked.", ""
	return true
}

// send calls the API for the item in the edit form. A refusal is shown
// in the form, at the field the API names if it names one; the form
// keeps what was typed. On success done runs (if set) and the list is
// reloaded.
func (p *listForms) send(ctx app.Context, method, path string, body, out any, done func(ctx app.Context)) {
	p.errs, p.editErr, p.editOK = map[string]string{}, "", ""
	ctx = p.context(ctx)
	ctx.Async(func() {
		err := call(ctx, method, path, body, out)
		ctx.Dispatch(func(ctx app.Context) {
			p.confirm = ""
			if err != nil {
				if ae, ok := err.(*apiError); ok && ae.field() != "" {
					p.errs[fieldKey(ae.field())] = ae.Message
				}
				p.editErr = "Not saved: " + err.Error()
				return
			}
			if done != nil {
				done(ctx)
			}
			p.reload(ctx)
		})
	})
}

// editRow is a labelled input of the edit form (its id is prefix+field)
// with the error of the last save at that field.
func (p *listForms) editRow(prefix, field, label string, input app.UI) app.UI {
	return app.Div().Class("cc-row").DataSet("field", field).Body(
		app.Label().For(prefix+field).Text(label),
		input,
		notice("cc-field-error", p.errs[field]),
	)
}

// fieldError is the error of the last save at field, for inputs that are
// not one labelled row (checkbox lists).
func (p *listForms) fieldError(field string) app.UI {
	return app.Div().DataSet("field", field).Body(notice("cc-field-error", p.errs[field]))
}

// confirmBox asks before a destructive action: shown while p.confirm is
// action, with a button (id) that does it.
func (p *listForms) confirmBox(action, warning, id, label string, do app.EventHandler) app.UI {
	if p.confirm != action {
		return app.Text("")
	}
	return app.Div().Class("cc-warning").ID(id+"-box").Body(
		app.P().Text(warning),
		app.Button().ID(id).Type("button").Class("cc-danger").Text(label).OnClick(do, p.scope()),
		app.Button().Type("button").Text("Cancel").OnClick(func(ctx app.Context, e app.Event) { p.confirm = "" }),
	)
}

// ask returns a handler that asks for the confirmation of action.
func (p *listForms) ask(action string) app.EventHandler {
	return func(ctx app.Context, e app.Event) {
		e.PreventDefault()
		p.confirm = action
	}
}

// secretBox shows a secret just made, this once (the box's id, what it
// says, the secret).
func secretBox(id, says, secret string) app.UI {
	return app.Div().ID(id).Class("cc-warning").Body(app.P().Text(says), app.Pre().Class("cc-code").Text(secret))
}

// remover is the handler of a delete's confirmation: DELETE path, close
// the form and say ok; then (if set) runs.
func (p *listForms) remover(path, ok string, then func()) app.EventHandler {
	return func(ctx app.Context, e app.Event) {
		p.send(ctx, "DELETE", path, nil, nil, func(app.Context) {
			p.closeEdit()
			p.ok = ok
			if then != nil {
				then()
			}
		})
	}
}

// saveAsking is an edit form's save for an item with a Disabled
// checkbox (id checkbox): disabling an enabled item asks for the
// "disable" confirmation first, whose button then puts.
func (p *listForms) saveAsking(wasDisabled bool, checkbox string, put func(ctx app.Context)) app.EventHandler {
	return func(ctx app.Context, e app.Event) {
		if !wasDisabled && inputChecked(checkbox) {
			p.confirm = "disable"
			return
		}
		put(ctx)
	}
}

// rotator is the handler of a new secret's confirmation: POST path and
// show the answer (with its secret, this once) and note.
func rotator[T any](p *listForms, path string, show func(*T), note string) app.EventHandler {
	return func(ctx app.Context, e app.Event) {
		out := new(T)
		p.send(ctx, "POST", path, nil, out, func(app.Context) {
			show(out)
			p.editOK = note
		})
	}
}

// enableToggle is the edit form's Enable button for a disabled item
// (enable saves it enabled; scoped like the form, as it captures the item)
// or its Disable… button, which asks for the "disable" confirmation; ids
// are prefix+"-enable" and prefix+"-disable".
func (p *listForms) enableToggle(prefix string, disabled bool, enable app.EventHandler) app.UI {
	if disabled {
		return app.Button().ID(prefix+"-enable").Type("button").Text("Enable").OnClick(enable, p.scope())
	}
	return app.Button().ID(prefix + "-disable").Type("button").Class("cc-danger").Text("Disable…").OnClick(p.ask("disable"))
}

// editSection is the edit form's frame: its title, the inputs, Save and
// Cancel, the other actions, and the last answer.
func (p *listForms) editSection(id, title string, save app.EventHandler, inputs []app.UI, actions ...app.UI) app.UI {
	buttons := append([]app.UI{
		app.Button().ID(id + "-save").Type("submit").Class("cc-primary").Text("Save"),
		app.Button().ID(id + "-cancel").Type("button").Text("Cancel").OnClick(func(ctx app.Context, e app.Event) { p.closeEdit() }),
	}, actions...)
	return app.Section().ID(id).Class("cc-edit").Body(
		app.H2().Text(title),
		// The page checks the form itself, with messages at the fields.
		app.Form().Class("cc-form").NoValidate(true).OnSubmit(func(ctx app.Context, e app.Event) {
			e.PreventDefault()
			save(ctx, e)
		}, p.scope()).Body(append(inputs,
			notice("cc-error", p.editErr),
			notice("cc-ok", p.editOK),
			app.Div().Class("cc-inline").Body(buttons...),
		)...),
	)
}

func table(head []string, rows []app.UI) app.UI {
	return app.Table().Class("cc-table").Body(
		app.THead().Body(app.Tr().Body(app.Range(head).Slice(func(i int) app.UI { return app.Th().Text(head[i]) }))),
		app.TBody().Body(rows...),
	)
}

// nameForm is the one-input form that creates an item from its name
// (the input's id inputID, the button's buttonID).
func nameForm(inputID, label, buttonID string, create app.EventHandler) app.UI {
	return app.Form().Class("cc-inline").OnSubmit(create).Body(
		app.Label().For(inputID).Text(label),
		app.Input().ID(inputID).Placeholder("Name"),
		app.Button().ID(buttonID).Type("submit").Class("cc-primary").Text("Create"),
	)
}

// stateText is a list's State column: enabled or disabled.
func stateText(disabled bool) string {
	if disabled {
		return "disabled"
	}
	return "enabled"
}

func cells(texts ...string) app.UI {
	return app.Tr().Body(app.Range(texts).Slice(func(i int) app.UI { return app.Td().Text(texts[i]) }))
}

// editableRow is a table row of texts with an Edit button (its handler
// is remade when the row's id or texts change).
func editableRow(id int64, edit app.EventHandler, texts ...string) app.UI {
	tds := make([]app.UI, 0, len(texts)+1)
	scope := []any{id}
	for _, t := range texts {
		tds = append(tds, app.Td().Text(t))
		scope = append(scope, t)
	}
	tds = append(tds, app.Td().Body(app.Button().Class("cc-edit").Text("Edit").OnClick(edit, app.EventScope(scope...))))
	return app.Tr().DataSet("id", id).Body(tds...)
}

func setChecked(id string, on bool) {
	if el := app.Window().GetElementByID(id); el.Truthy() {
		el.Set("checked", on)
	}
}

// TicketTypes lists ticket types with their fields, creates new ones,
// renames them, assigns their fields and deletes them.
type TicketTypes struct {
	app.Compo
	listPage[protocol.TicketType]
	ticketFields []protocol.CustomField
}

func (p *TicketTypes) OnMount(ctx app.Context) {
	p.mount(ctx, "/api/TicketType", func(t protocol.TicketType) int64 { return t.ID }, func(ctx app.Context) {
		loadInto(ctx, "/api/CustomField?entity=ticket", &p.ticketFields, &p.err)
	})
}

// loadInto lists path into *dst (a page's list, or one it needs beside
// its own); a failure becomes the page's error *errOut. then, if given,
// runs with the list in place.
func loadInto[T any](ctx app.Context, path string, dst *[]T, errOut *string, then ...func()) {
	ctx.Async(func() {
		var list []T
		err := call(ctx, "GET", path, nil, &list)
		ctx.Dispatch(func(app.Context) {
			if err != nil {
				*errOut = err.Error()
			}
			*dst = list
			for _, f := range then {
				f()
			}
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
		rows = append(rows, editableRow(t.ID, p.editHandler(t.ID, p.open), t.Name, strings.Join(labels, ", ")))
	}
	return p.shell("/admin/tickettypes",
		app.H1().Text("Ticket types"),
		notice("cc-error", p.err),
		notice("cc-ok", p.ok),
		table([]string{"Name", "Ticket fields (chat fields with the same label are copied)", ""}, rows),
		p.editor(p.editForm),
		app.H2().Text("New ticket type"),
		app.Form().Class("cc-form").OnSubmit(p.submit).Body(
			app.Label().For("tt-name").Text("Name"),
			app.Input().ID("tt-name"),
			p.fieldChecks("tt-field-"),
			app.Button().ID("tt-create").Type("submit").Class("cc-primary").Text("Create ticket type"),
		),
	)
}

// fieldChecks is a checkbox per ticket field, with ids prefix+field id.
func (p *TicketTypes) fieldChecks(prefix string) app.UI {
	return app.Range(p.ticketFields).Slice(func(i int) app.UI {
		f := p.ticketFields[i]
		id := prefix + strconv.FormatInt(f.ID, 10)
		return app.Div().Class("cc-check").Body(app.Input().ID(id).Type("checkbox"), app.Label().For(id).Text(f.Label+" ("+f.Name+")"))
	})
}

func (p *TicketTypes) checkedFields(prefix string) []int64 {
	ids := []int64{}
	for _, f := range p.ticketFields {
		if inputChecked(prefix + strconv.FormatInt(f.ID, 10)) {
			ids = append(ids, f.ID)
		}
	}
	return ids
}

func (p *TicketTypes) submit(ctx app.Context, e app.Event) {
	e.PreventDefault()
	p.create(ctx, ticketTypeInput(strings.TrimSpace(inputValue("tt-name")), p.checkedFields("tt-field-")), nil, nil)
}

// ticketTypeInput is what the forms send: a name and the fields assigned.
func ticketTypeInput(name string, fieldIDs []int64) protocol.TicketTypeInput {
	return protocol.TicketTypeInput{TicketType: protocol.TicketType{Name: name, FieldIDs: fieldIDs}}
}

func (p *TicketTypes) open(ctx app.Context, t protocol.TicketType) {
	p.startEdit(ctx, t.ID, func() {
		setInput("tt-e-name", t.Name)
		for _, f := range p.ticketFields {
			setChecked("tt-e-field-"+strconv.FormatInt(f.ID, 10), slices.ContainsFunc(t.Fields, func(g protocol.CustomField) bool { return g.ID == f.ID }))
		}
	})
}

// editForm is the edit form of t, whose API path is path.
func (p *TicketTypes) editForm(t protocol.TicketType, path string) app.UI {
	save := func(ctx app.Context, e app.Event) {
		name := strings.TrimSpace(inputValue("tt-e-name"))
		if p.invalid(required("name", name)) {
			return
		}
		p.send(ctx, "PUT", path, ticketTypeInput(name, p.checkedFields("tt-e-field-")), nil,
			func(app.Context) { p.editOK = "Saved." })
	}
	del := p.remover(path, "Deleted the ticket type "+t.Name+".", nil)
	return p.editSection("tt-edit", "Edit ticket type: "+t.Name, save, []app.UI{
		p.editRow("tt-e-", "name", "Name", app.Input().ID("tt-e-name")),
		app.P().Class("cc-muted").Text("Ticket fields of this type:"),
		p.fieldChecks("tt-e-field-"),
		p.fieldError("fieldIds"),
		p.confirmBox("delete", "Delete the ticket type "+t.Name+"? Profiles and tickets that use it keep it from being deleted.",
			"tt-delete-confirm", "Delete the ticket type", del),
	}, app.Button().ID("tt-delete").Type("button").Class("cc-danger").Text("Delete…").OnClick(p.ask("delete")))
}

// Agents lists agents and admins, creates new ones, edits them (name,
// e-mail, role, a new password) and disables or enables them.
type Agents struct {
	app.Compo
	listPage[protocol.Agent]
}

func (p *Agents) OnMount(ctx app.Context) {
	p.mount(ctx, "/api/Agent", func(a protocol.Agent) int64 { return a.ID }, nil)
}

var roleOptions = [][2]string{{"agent", "Agent"}, {"admin", "Admin"}}

func (p *Agents) Render() app.UI {
	rows := make([]app.UI, 0, len(p.list))
	for _, a := range p.list {
		state := a.Presence
		if a.Disabled {
			state = "disabled"
		}
		rows = append(rows, editableRow(a.ID, p.editHandler(a.ID, p.open), a.Name, a.Email, a.Role, state, strconv.FormatInt(a.MaxChats, 10)))
	}
	return p.shell("/admin/agents",
		app.H1().Text("Agents"),
		notice("cc-error", p.err),
		notice("cc-ok", p.ok),
		table([]string{"Name", "Email", "Role", "Presence", "Chats at once", ""}, rows),
		p.editor(p.editForm),
		app.H2().Text("New agent"),
		app.Form().Class("cc-form").OnSubmit(func(ctx app.Context, e app.Event) {
			e.PreventDefault()
			p.create(ctx, protocol.AgentInput{Agent: protocol.Agent{Name: strings.TrimSpace(inputValue("ag-name")),
				Email: strings.TrimSpace(inputValue("ag-email")), Role: inputValue("ag-role")}, Password: inputValue("ag-password")}, nil, nil)
		}).Body(
			app.Label().For("ag-name").Text("Name"), app.Input().ID("ag-name"),
			app.Label().For("ag-email").Text("Email"), app.Input().ID("ag-email").Type("email"),
			app.Label().For("ag-role").Text("Role"), selectOf("ag-role", "agent", roleOptions),
			app.Label().For("ag-password").Text("Password"), app.Input().ID("ag-password").Type("password").Attr("autocomplete", "new-password"),
			app.Button().ID("ag-create").Type("submit").Class("cc-primary").Text("Create agent"),
		),
	)
}

func (p *Agents) open(ctx app.Context, a protocol.Agent) {
	p.startEdit(ctx, a.ID, func() {
		setInput("ag-e-name", a.Name)
		setInput("ag-e-email", a.Email)
		setInput("ag-e-role", a.Role)
		setInput("ag-e-password", "")
		setInput("ag-e-maxChats", strconv.FormatInt(a.MaxChats, 10))
	})
}

// editForm is the edit form of a, whose API path is path.
func (p *Agents) editForm(a protocol.Agent, path string) app.UI {
	return p.accountEditor(accountEdit{
		prefix: "ag", path: path, title: "Edit agent: " + a.Name, name: a.Name, disabled: a.Disabled,
		body: func(disabled bool) (any, bool) {
			in := agentForm{Name: strings.TrimSpace(inputValue("ag-e-name")), Email: strings.TrimSpace(inputValue("ag-e-email")),
				Role: inputValue("ag-e-role"), Password: inputValue("ag-e-password")}
			if p.invalid(in.check()) {
				return nil, false
			}
			next := a
			next.Name, next.Email, next.Role, next.Disabled = in.Name, in.Email, in.Role, disabled
			n, err := strconv.ParseInt(strings.TrimSpace(inputValue("ag-e-maxChats")), 10, 64)
			if err != nil || n < 1 {
				p.invalid(map[string]string{"maxChats": "A number of chats, 1 or more."})
				return nil, false
			}
			next.MaxChats = n
			return protocol.AgentInput{Agent: next, Password: in.Password}, true
		},
		savedWithPassword: "Saved, with the new password.",
		disabledNow:       a.Name + " is disabled: they can no longer log in.",
		confirmDisable:    "Disable " + a.Name + "? They can no longer log in or take chats; their transcripts keep their name.",
	}, []app.UI{
		p.editRow("ag-e-", "name", "Name", app.Input().ID("ag-e-name")),
		p.editRow("ag-e-", "email", "Email", app.Input().ID("ag-e-email").Type("email")),
		p.editRow("ag-e-", "role", "Role", selectOf("ag-e-role", a.Role, roleOptions)),
		p.editRow("ag-e-", "maxChats", "Chats at once (their cap: accepts, routing and transfers past it are refused)",
			app.Input().ID("ag-e-maxChats").Type("number").Attr("min", 1)),
		p.editRow("ag-e-", "password", "New password (empty: keep the current one)",
			app.Input().ID("ag-e-password").Type("password").Attr("autocomplete", "new-password")),
	})
}

// accountEdit is what the edit form of an account differs in: an account
// logs in with a password and can be disabled (agents, portal users).
type accountEdit struct {
	prefix      string // of the form's ids: prefix+"-e-password", prefix+"-edit", …
	path        string // the account in the API: PUT saves it, DELETE disables it
	title, name string // the form's title; how its messages name the account
	disabled    bool
	// body is the PUT body the form makes with this disabled state, or
	// false when the form's own checks refused it.
	body func(disabled bool) (any, bool)
	// The messages: saved with a new password, disabled, and the question
	// before disabling.
	savedWithPassword, disabledNow, confirmDisable string
}

// accountEditor is the edit form of an account: inputs, then the question
// before disabling it; Save (the password input is emptied after each
// save), and Disable… or Enable.
func (p *listForms) accountEditor(ed accountEdit, inputs []app.UI) app.UI {
	put := func(ctx app.Context, disabled bool, done string) {
		body, ok := ed.body(disabled)
		if !ok {
			return
		}
		p.send(ctx, "PUT", ed.path, body, nil, func(app.Context) {
			setInput(ed.prefix+"-e-password", "")
			p.editOK = done
		})
	}
	save := func(ctx app.Context, e app.Event) {
		done := "Saved."
		if inputValue(ed.prefix+"-e-password") != "" {
			done = ed.savedWithPassword
		}
		put(ctx, ed.disabled, done)
	}
	disable := func(ctx app.Context, e app.Event) {
		p.send(ctx, "DELETE", ed.path, nil, nil, func(app.Context) { p.editOK = ed.disabledNow })
	}
	toggle := p.enableToggle(ed.prefix, ed.disabled, func(ctx app.Context, e app.Event) {
		put(ctx, false, ed.name+" is enabled again.")
	})
	title := ed.title
	if ed.disabled {
		title += " (disabled)"
	}
	return p.editSection(ed.prefix+"-edit", title, save, append(inputs,
		p.confirmBox("disable", ed.confirmDisable, ed.prefix+"-disable-confirm", "Disable "+ed.name, disable)), toggle)
}

// agentForm is the agent edit form as read from the page.
type agentForm struct{ Name, Email, Role, Password string }

// minPassword is the API's shortest agent password (httpapi.MinPasswordLen).
const minPassword = 10

// check finds what the API would refuse, by field.
func (f agentForm) check() map[string]string {
	errs := required("name", f.Name)
	if !validEmail(f.Email) {
		errs["email"] = "An e-mail address, like sam@example.com."
	}
	if f.Role != "agent" && f.Role != "admin" {
		errs["role"] = "Agent or admin."
	}
	checkPassword(errs, f.Password, false)
	return errs
}

// validEmail is the forms' check of an e-mail address: something@something,
// without blanks (the API checks it fully).
func validEmail(s string) bool {
	at := strings.Index(s, "@")
	return at > 0 && at != len(s)-1 && !strings.ContainsAny(s, " \t")
}

// checkPassword sets errs["password"] when the API would refuse password
// as a login password; an empty one passes unless required.
func checkPassword(errs map[string]string, password string, required bool) {
	switch {
	case password == "" && !required:
	case len([]rune(password)) < minPassword:
		errs["password"] = fmt.Sprintf("At least %d characters.", minPassword)
	case len(password) > 72:
		errs["password"] = "At most 72 bytes."
	}
}

// required reports field when value is empty.
func required(field, value string) map[string]string {
	errs := map[string]string{}
	if strings.TrimSpace(value) == "" {
		errs[field] = "Required."
	}
	return errs
}

var permissions = [][2]string{
	{"admin", "Admin (the whole admin API, and every permission below)"},
	{"users:write", "Read & Modify Users (ChatMatchingData)"},
	{"chats:read", "Read chats (list, transcripts, details, messages)"},
	{"chats:write", "Write chats (post messages, end chats, start chats for users)"},
	{"tickets:read", "Read tickets (list, fields)"},
	{"tickets:write", "Modify tickets (status, field values)"},
	{"metrics:read", "Read metrics (GET /metrics from another machine)"},
}

func permID(prefix, perm string) string { return prefix + strings.ReplaceAll(perm, ":", "-") }

// APIClients lists API clients, creates new ones, edits them (name,
// permissions, chat profiles, disabled), replaces their secret and
// deletes them; a secret is shown once.
type APIClients struct {
	app.Compo
	listPage[protocol.APIClient]
	secret   *protocol.APIClientWithSecret // just created or replaced: shown once
	profiles []protocol.ChatProfile        // what profileIds may name
}

func (p *APIClients) OnMount(ctx app.Context) {
	p.mount(ctx, "/api/APIClient", func(c protocol.APIClient) int64 { return c.ID }, func(ctx app.Context) {
		loadInto(ctx, "/api/ChatProfile", &p.profiles, &p.err)
	})
}

// everyProfileNote says what no chat profile checked means.
const everyProfileNote = "Chat profiles this client is bound to: its ChatMatchingData may be used on them (an item may name one as chatprofile_id), and its chat and ticket permissions reach their chats and tickets. None checked: every chat profile."

// profileChecks is a checkbox per chat profile, with ids prefix+profile id.
func (p *APIClients) profileChecks(prefix string) app.UI {
	return app.Div().Body(
		app.P().Class("cc-muted").Text(everyProfileNote),
		app.Range(p.profiles).Slice(func(i int) app.UI {
			pr := p.profiles[i]
			return app.Div().Class("cc-check").Body(app.Input().ID(prefix+pr.ID).Type("checkbox"), app.Label().For(prefix+pr.ID).Text(pr.Name))
		}),
	)
}

func (p *APIClients) checkedProfiles(prefix string) []string {
	ids := []string{}
	for _, pr := range p.profiles {
		if inputChecked(prefix + pr.ID) {
			ids = append(ids, pr.ID)
		}
	}
	return ids
}

// profileNames names a client's chat profiles for its row.
func (p *APIClients) profileNames(ids []string) string {
	if len(ids) == 0 {
		return "every profile"
	}
	names := make([]string, len(ids))
	for i, id := range ids {
		names[i] = id
		if j := slices.IndexFunc(p.profiles, func(pr protocol.ChatProfile) bool { return pr.ID == id }); j >= 0 {
			names[i] = p.profiles[j].Name
		}
	}
	return strings.Join(names, ", ")
}

func (p *APIClients) Render() app.UI {
	rows := make([]app.UI, 0, len(p.list))
	for _, c := range p.list {
		rows = append(rows, editableRow(c.ID, p.editHandler(c.ID, p.open), c.Name, c.ClientID, strings.Join(c.Permissions, ", "),
			p.profileNames(c.ProfileIDs), stateText(c.Disabled)))
	}
	var secret app.UI = app.Text("")
	if p.secret != nil {
		secret = secretBox("ac-secret", "The secret of "+p.secret.ClientID+" — shown this once, only a hash is kept:", p.secret.ClientSecret)
	}
	return p.shell("/admin/apiclients",
		app.H1().Text("API clients"),
		notice("cc-error", p.err),
		notice("cc-ok", p.ok),
		secret,
		table([]string{"Name", "Client id", "Permissions", "Chat profiles", "State", ""}, rows),
		p.editor(p.editForm),
		app.H2().Text("New API client"),
		app.Form().Class("cc-form").OnSubmit(func(ctx app.Context, e app.Event) {
			e.PreventDefault()
			out := &protocol.APIClientWithSecret{}
			p.create(ctx, protocol.APIClientInput{APIClient: protocol.APIClient{Name: strings.TrimSpace(inputValue("ac-name")),
				Permissions: checkedPerms("ac-perm-"), ProfileIDs: p.checkedProfiles("ac-prof-")}}, out,
				func() { p.secret = out })
		}).Body(
			app.Label().For("ac-name").Text("Name"), app.Input().ID("ac-name"),
			permChecks("ac-perm-"),
			p.profileChecks("ac-prof-"),
			app.Button().ID("ac-create").Type("submit").Class("cc-primary").Text("Create API client"),
		),
	)
}

func permChecks(prefix string) app.UI {
	return app.Range(permissions).Slice(func(i int) app.UI {
		id := permID(prefix, permissions[i][0])
		return app.Div().Class("cc-check").Body(app.Input().ID(id).Type("checkbox"), app.Label().For(id).Text(permissions[i][1]))
	})
}

func checkedPerms(prefix string) []string {
	perms := []string{}
	for _, perm := range permissions {
		if inputChecked(permID(prefix, perm[0])) {
			perms = append(perms, perm[0])
		}
	}
	return perms
}

func (p *APIClients) open(ctx app.Context, c protocol.APIClient) {
	p.secret = nil
	p.startEdit(ctx, c.ID, func() {
		setInput("ac-e-name", c.Name)
		for _, perm := range permissions {
			setChecked(permID("ac-e-perm-", perm[0]), slices.Contains(c.Permissions, perm[0]))
		}
		for _, pr := range p.profiles {
			setChecked("ac-e-prof-"+pr.ID, slices.Contains(c.ProfileIDs, pr.ID))
		}
		setChecked("ac-e-disabled", c.Disabled)
	})
}

// editForm is the edit form of c, whose API path is path.
func (p *APIClients) editForm(c protocol.APIClient, path string) app.UI {
	put := func(ctx app.Context) {
		name := strings.TrimSpace(inputValue("ac-e-name"))
		if p.invalid(required("name", name)) {
			return
		}
		next := c
		next.Name, next.Permissions, next.Disabled = name, checkedPerms("ac-e-perm-"), inputChecked("ac-e-disabled")
		next.ProfileIDs = p.checkedProfiles("ac-e-prof-")
		p.send(ctx, "PUT", path, protocol.APIClientInput{APIClient: next}, nil,
			func(app.Context) { p.editOK = "Saved." })
	}
	save := p.saveAsking(c.Disabled, "ac-e-disabled", put) // its tokens stop working: ask first
	rotate := rotator(&p.listForms, path+"/secret", func(out *protocol.APIClientWithSecret) { p.secret = out },
		"A new secret was made (shown above, this once): the old one no longer works.")
	del := p.remover(path, "Deleted the API client "+c.Name+" ("+c.ClientID+").", nil)
	return p.editSection("ac-edit", "Edit API client: "+c.Name+" ("+c.ClientID+")", save, []app.UI{
		p.editRow("ac-e-", "name", "Name", app.Input().ID("ac-e-name")),
		permChecks("ac-e-perm-"),
		p.fieldError("permissions"),
		p.profileChecks("ac-e-prof-"),
		p.fieldError("profileIds"),
		app.Div().Class("cc-check").Body(app.Input().ID("ac-e-disabled").Type("checkbox"),
			app.Label().For("ac-e-disabled").Text("Disabled (its tokens stop working)")),
		p.confirmBox("disable", "Disable "+c.Name+"? Its integrations stop working at once.", "ac-disable-confirm", "Disable the client",
			func(ctx app.Context, e app.Event) { put(ctx) }),
		p.confirmBox("rotate", "Replace the secret of "+c.Name+"? The current secret stops working at once: update every integration that uses it.",
			"ac-rotate-confirm", "Make a new secret", rotate),
		p.confirmBox("delete", "Delete "+c.Name+"? Its tokens stop working and it cannot be restored.", "ac-delete-confirm", "Delete the client", del),
	},
		app.Button().ID("ac-rotate").Type("button").Text("New secret…").OnClick(p.ask("rotate")),
		app.Button().ID("ac-delete").Type("button").Class("cc-danger").Text("Delete…").OnClick(p.ask("delete")),
	)
}
