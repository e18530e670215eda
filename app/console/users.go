package console

import (
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"halochat/app/protocol"
)

// Users lists the users (self-service portal users and visitors that
// identity tokens named), creates portal users with a password, edits
// them (names, e-mail, a new password), disables or enables them, and
// exports or erases their data (userdata.go).
type Users struct {
	app.Compo
	listPage[protocol.User]
}

func (p *Users) OnMount(ctx app.Context) {
	p.mount(ctx, "/api/User", func(u protocol.User) int64 { return u.ID }, nil)
}

// userForm is the user form as read from the page (ids prefix + field).
type userForm struct{ Email, FirstName, LastName, ExternalID, Phone, Password string }

func readUserForm(prefix string) userForm {
	return userForm{Email: strings.TrimSpace(inputValue(prefix + "email")), FirstName: strings.TrimSpace(inputValue(prefix + "firstName")),
		LastName: strings.TrimSpace(inputValue(prefix + "lastName")), ExternalID: strings.TrimSpace(inputValue(prefix + "externalId")),
		Phone: strings.TrimSpace(inputValue(prefix + "phone")), Password: inputValue(prefix + "password")}
}

// fill sets the form's inputs (ids prefix + field) to f.
func (f userForm) fill(prefix string) {
	for field, v := range map[string]string{"email": f.Email, "firstName": f.FirstName, "lastName": f.LastName,
		"externalId": f.ExternalID, "phone": f.Phone, "password": f.Password} {
		setInput(prefix+field, v)
	}
}

// check finds what the API would refuse, by field.
func (f userForm) check(passwordRequired bool) map[string]string {
	errs := map[string]string{}
	if !validEmail(f.Email) {
		errs["email"] = "An e-mail address, like sam@example.com: the portal login."
	}
	checkPassword(errs, f.Password, passwordRequired)
	return errs
}

// input is the form written over u (the user as listed; a new user's is
// empty): the fields the form does not show, such as the username, keep
// their values.
func (f userForm) input(u protocol.User, disabled bool) protocol.UserInput {
	u.Email, u.FirstName, u.LastName, u.ExternalID, u.Phone, u.Disabled = f.Email, f.FirstName, f.LastName, f.ExternalID, f.Phone, disabled
	return protocol.UserInput{User: u, Password: f.Password}
}

// userInputs are the labelled inputs of a user form, ids prefix + field.
func (p *Users) userInputs(prefix, passwordLabel string) []app.UI {
	row := func(field, label string, input app.HTMLInput) app.UI {
		return p.editRow(prefix, field, label, input.ID(prefix+field))
	}
	return []app.UI{
		row("email", "Email (the portal login)", app.Input().Type("email").Attr("autocomplete", "off")),
		row("firstName", "First name", app.Input()),
		row("lastName", "Last name", app.Input()),
		row("phone", "Phone", app.Input()),
		row("externalId", "External id (the host system's id; identity tokens match it)", app.Input()),
		row("password", passwordLabel, app.Input().Type("password").Attr("autocomplete", "new-password")),
	}
}

func (p *Users) Render() app.UI {
	rows := make([]app.UI, 0, len(p.list))
	for _, u := range p.list {
		login := "identity token only"
		if u.HasPassword {
			login = "password"
		}
		name := strings.TrimSpace(u.FirstName + " " + u.LastName)
		rows = append(rows, editableRow(u.ID, p.editHandler(u.ID, p.open), name, u.Email, u.ExternalID, login, stateText(u.Disabled)))
	}
	return p.shell("/admin/users",
		app.H1().Text("Portal users"),
		app.P().Class("cc-muted").Text("People who log in to the self-service portal at /portal: with the password set here, "+
			"or with an identity token of a portal profile (such users are created when they first log in or chat)."),
		notice("cc-error", p.err),
		notice("cc-ok", p.ok),
		table([]string{"Name", "Email", "External id", "Portal login", "State", ""}, rows),
		p.editor(p.editForm),
		app.H2().Text("New portal user"),
		app.Form().ID("us-new").Class("cc-form").OnSubmit(p.submit).Body(append(p.userInputs("us-", "Password"),
			app.Button().ID("us-create").Type("submit").Class("cc-primary").Text("Create portal user"))...),
	)
}

func (p *Users) submit(ctx app.Context, e app.Event) {
	e.PreventDefault()
	in := readUserForm("us-")
	if errs := in.check(true); len(errs) > 0 {
		p.errs, p.err = errs, "Not created: fix the fields marked."
		return
	}
	p.errs = map[string]string{}
	p.create(ctx, in.input(protocol.User{}, false), nil, func() {
		userForm{}.fill("us-")
		p.ok = "Created the portal user " + in.Email + ": they log in at /portal."
	})
}

func (p *Users) open(ctx app.Context, u protocol.User) {
	p.startEdit(ctx, u.ID, func() {
		userForm{Email: u.Email, FirstName: u.FirstName, LastName: u.LastName, ExternalID: u.ExternalID, Phone: u.Phone}.fill("us-e-")
	})
}

// editForm is the edit form of u, whose API path is path.
func (p *Users) editForm(u protocol.User, path string) app.UI {
	return p.accountEditor(accountEdit{
		prefix: "us", path: path, title: "Edit portal user: " + u.Email, name: u.Email, disabled: u.Disabled,
		body: func(disabled bool) (any, bool) {
			in := readUserForm("us-e-")
			if p.invalid(in.check(false)) {
				return nil, false
			}
			return in.input(u, disabled), true
		},
		savedWithPassword: "Saved, with the new password (their portal sessions ended).",
		disabledNow:       u.Email + " is disabled: they can no longer log in to the portal.",
		confirmDisable:    "Disable " + u.Email + "? They are logged out and can no longer log in to the portal; their chats and tickets stay.",
	}, append(p.userInputs("us-e-", "New password (empty: keep the current one)"), p.dataTools(u, path)))
}
