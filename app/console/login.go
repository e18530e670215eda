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
		loginForm("cc", l.submit, l.err, l.busy, app.Button()),
	)
}

// loginForm is an e-mail and password form, the ids prefix+"-login-form",
// prefix+"-email", prefix+"-password" and prefix+"-login" (the button,
// made from button), with the last refusal err; busy while it is sent.
func loginForm(prefix string, submit app.EventHandler, err string, busy bool, button app.HTMLButton) app.UI {
	return app.Form().ID(prefix+"-login-form").Class("cc-form").OnSubmit(submit).Body(
		app.Label().For(prefix+"-email").Text("Email"),
		app.Input().ID(prefix+"-email").Type("email").Name("email").Attr("autocomplete", "username").Required(true),
		app.Label().For(prefix+"-password").Text("Password"),
		app.Input().ID(prefix+"-password").Type("password").Name("password").Attr("autocomplete", "current-password").Required(true),
		notice("cc-error", err),
		button.ID(prefix+"-login").Type("submit").Disabled(busy).Text("Log in"),
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
