// Package console holds the go-app components of the agent console and
// the admin pages, served under /console/ (compiled to WebAssembly by
// wasm/console, prerendered by the server).
//
// Every page reads and writes through the service's REST API with the
// agent's session cookie: the API is the guard (admin endpoints refuse
// agents with 403), the pages only explain.
//
// Form fields are not bound to component state while the user types (a
// re-render mid-typing would lose keystrokes): the pages read the DOM by
// element id when the user saves or acts.
package console

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"halochat/app/flow"
	"halochat/app/protocol"
)

// Prefix is the path the console is served under.
const Prefix = "/console"

// Register declares the console's routes. They must not collide with the
// widget's ("/"): go-app's route table is global on the server.
func Register() {
	app.Route("/login", func() app.Composer { return &Login{} })
	app.Route("/agent", func() app.Composer { return &AgentPage{} })
	app.Route("/transcripts", func() app.Composer { return &Transcripts{} })
	app.Route("/tickets", func() app.Composer { return &Tickets{} })
	app.Route("/admin/profiles", func() app.Composer { return &Profiles{} })
	app.Route("/admin/profile", func() app.Composer { return &ProfileEdit{} })
	app.Route("/admin/flows", func() app.Composer { return &Flows{} })
	app.Route("/admin/flow", func() app.Composer { return &FlowEditor{} })
	app.Route("/admin/fields", func() app.Composer { return &Fields{} })
	app.Route("/admin/runbooks", func() app.Composer { return &Runbooks{} })
	app.Route("/admin/tickettypes", func() app.Composer { return &TicketTypes{} })
	app.Route("/admin/agents", func() app.Composer { return &Agents{} })
	app.Route("/admin/apiclients", func() app.Composer { return &APIClients{} })
	app.Route("/admin/users", func() app.Composer { return &Users{} })
	app.Route("/admin/webhooks", func() app.Composer { return &Webhooks{} })
	app.Route("/admin/audit", func() app.Composer { return &AuditLog{} })
	app.Route("/admin/teams", func() app.Composer { return &Teams{} })
	app.Route("/admin/canned", func() app.Composer { return &CannedResponses{} })
	app.Route("/admin/reports", func() app.Composer { return &Reports{} })
	app.Route("/portal", func() app.Composer { return &Portal{} })
}

// apiError is a refused API call: the API's refusal with the answer's
// status.
type apiError struct {
	protocol.APIError
	// Problems are a refused flow document's, each at its step (the
	// refusal's own, read as what they are).
	Problems []flow.Problem `json:"problems"`
	Status   int            `json:"-"`
}

func (e *apiError) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("the service answered %d", e.Status)
	}
	return e.Message
}

// field is the field an API message names ("appearance.colour: …").
func (e *apiError) field() string {
	f, _, ok := strings.Cut(e.Message, ": ")
	if !ok || strings.ContainsAny(f, " \"") {
		return ""
	}
	return f
}

// call sends in as JSON (nil: no body) and decodes the answer into out.
func call(ctx context.Context, method, path string, in, out any) error {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	status, data, err := fetch(ctx, method, path, body)
	if err != nil {
		return &apiError{APIError: protocol.APIError{Message: "the service cannot be reached: " + err.Error()}}
	}
	if status >= 300 {
		return refusal(status, data)
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("read the answer of %s %s: %w", method, path, err)
		}
	}
	return nil
}

// refusal reads the body of a refused call ({"error": …}; anything else
// leaves only the status to say).
func refusal(status int, body []byte) *apiError {
	var eb struct {
		Error apiError `json:"error"`
	}
	_ = json.Unmarshal(body, &eb)
	eb.Error.Status = status
	return &eb.Error
}

// session is what every page knows about the agent.
type session struct {
	me     *protocol.Me
	denied bool // an admin page opened by an agent
}

// authenticate loads the agent, sends a visitor without a session to the
// login page, and marks admin pages opened by agents as denied; then
// calls ready on the UI goroutine.
func (s *session) authenticate(ctx app.Context, admin bool, ready func(ctx app.Context)) {
	ctx.Async(func() {
		var me protocol.Me
		err := call(ctx, "GET", "/auth/me", nil, &me)
		ctx.Dispatch(func(ctx app.Context) {
			if err != nil {
				next := ctx.Page().URL().Path
				ctx.Navigate(Prefix + "/login?next=" + url.QueryEscape(next))
				return
			}
			s.me = &me
			if admin && me.Role != "admin" {
				s.denied = true
				return
			}
			if ready != nil {
				ready(ctx)
			}
		})
	})
}

// shell wraps a page's body with the navigation.
func (s *session) shell(active string, body ...app.UI) app.UI {
	link := func(path, label string) app.UI {
		a := app.A().Href(Prefix + path).Text(label)
		if path == active {
			a = a.Class("cc-active")
		}
		return a
	}
	nav := []app.UI{link("/agent", "Agent console"), link("/transcripts", "Transcripts"), link("/tickets", "Tickets")}
	if s.me != nil && s.me.Role == "admin" {
		nav = append(nav, link("/admin/profiles", "Chat profiles"), link("/admin/flows", "Bot flows"), link("/admin/fields", "Custom fields"),
			link("/admin/runbooks", "Runbooks"), link("/admin/tickettypes", "Ticket types"), link("/admin/agents", "Agents"), link("/admin/teams", "Teams"), link("/admin/canned", "Canned responses"), link("/admin/apiclients", "API clients"),
			link("/admin/users", "Portal users"), link("/admin/webhooks", "Webhooks"), link("/admin/reports", "Reports"), link("/admin/audit", "Audit log"))
	}
	var who app.UI = app.Span().Class("cc-who").Text("…")
	if s.me != nil {
		who = app.Span().Class("cc-who").Text(s.me.Name + " (" + s.me.Role + ")")
	}
	main := body
	if s.denied {
		main = []app.UI{app.Div().Class("cc-denied").Body(
			app.H1().Text("Admins only"),
			app.P().Text("This page is for admins. Your account is an agent account: ask an admin to change the setting you need."),
			app.A().Href(Prefix+"/agent").Text("Back to the agent console"),
		)}
	}
	return app.Div().Class("cc-app").Body(
		app.Header().Class("cc-header").Body(
			app.Strong().Class("cc-brand").Text("halochat"),
			app.Nav().Class("cc-nav").Body(nav...),
			who,
			app.Button().Class("cc-logout").Text("Log out").OnClick(func(ctx app.Context, e app.Event) {
				ctx.Async(func() {
					_ = call(ctx, "POST", "/auth/logout", nil, nil)
					ctx.Dispatch(func(ctx app.Context) { ctx.Navigate(Prefix + "/login") })
				})
			}),
		),
		app.Main().Class("cc-main").Body(main...),
	)
}

// inputValue reads a form element's value by id.
func inputValue(id string) string {
	el := app.Window().GetElementByID(id)
	if !el.Truthy() {
		return ""
	}
	if v := el.Get("value").String(); v != noValue {
		return v
	}
	return ""
}

// inputChecked reads a checkbox by id.
func inputChecked(id string) bool {
	el := app.Window().GetElementByID(id)
	return el.Truthy() && el.Get("checked").Bool()
}

// setInput sets a form element's value by id.
func setInput(id, v string) {
	if el := app.Window().GetElementByID(id); el.Truthy() {
		el.Set("value", v)
	}
}

// queryParam reads a query parameter of the page's URL.
func queryParam(ctx app.Context, name string) string {
	return ctx.Page().URL().Query().Get(name)
}

// notice renders an error or success line (nothing when empty).
func notice(class, text string) app.UI {
	if text == "" {
		return app.Text("")
	}
	return app.P().Class(class).Text(text)
}
