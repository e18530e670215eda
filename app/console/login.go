package console

import (
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"halochat/app/protocol"
)

// Login is the agents' and admins' login page.
type Login struct {
	app.Compo
	err  string
	busy bool
}

func (l *Login) Render() app.UI {
	return app.Div().Class("cc-login").Body(
		app.H1().Text("halochat"),
		app.Form().ID("cc-login-form").Class("cc-form").OnSubmit(l.submit).Body(
			app.Label().For("cc-email").Text("Email"),
			app.Input().ID("cc-email").Type("email").Name("email").Attr("autocomplete", "username").Required(true),
			app.Label().For("cc-password").Text("Password"),
			app.Input().ID("cc-password").Type("password").Name("password").Attr("autocomplete", "current-password").Required(true),
			notice("cc-error", l.err),
			app.Button().ID("cc-login").Type("submit").Disabled(l.busy).Text("Log in"),
		),
	)
}

func (l *Login) submit(ctx app.Context, e app.Event) {
	e.PreventDefault()
	email, password := strings.TrimSpace(inputValue("cc-email")), inputValue("cc-password")
	l.busy, l.err = true, ""
	next := queryParam(ctx, "next")
	if !strings.HasPrefix(next, Prefix+"/") || strings.HasPrefix(next, Prefix+"/login") {
		next = ""
	}
	ctx.Async(func() {
		var out protocol.AgentLogin
		err := call(ctx, "POST", "/auth/login", protocol.LoginRequest{Email: email, Password: password}, &out)
		ctx.Dispatch(func(ctx app.Context) {
			l.busy = false
			if err != nil {
				l.err = "Log in failed: " + err.Error()
				return
			}
			if next == "" {
				next = Prefix + "/agent"
				if out.Agent.Role == "admin" {
					next = Prefix + "/admin/profiles"
				}
			}
			ctx.Navigate(next)
		})
	})
}
