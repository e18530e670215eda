package console

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"halochat/app/protocol"
)

// The self-service portal page (/portal redirects here): a portal user
// logs in with e-mail and password, sees their tickets, and chats through the real chat
// widget — the embed loader /chat/index.js on this very origin, its
// config marked portal, so that chat starts carry the portal session
// cookie and start portal chats (backend/portal, backend/chatapi).
//
// It talks to /portal/api/* only; the agent session plays no part.

// Portal is the self-service portal page.
type Portal struct {
	app.Compo
	loaded   bool
	me       *protocol.PortalUser
	tickets  []protocol.PortalTicket
	profiles []protocol.PortalProfile
	chosen   string // the profile the chat widget runs
	err      string
	busy     bool
	widget   bool // the loader was added to the page
}

func (p *Portal) OnMount(ctx app.Context) { p.load(ctx) }

// load reads who is logged in, the profiles to chat with and the tickets,
// then adds the chat widget.
func (p *Portal) load(ctx app.Context) {
	ctx.Async(func() {
		var me protocol.PortalMe
		err := call(ctx, "GET", "/portal/api/me", nil, &me)
		var profiles []protocol.PortalProfile
		if err == nil {
			err = call(ctx, "GET", "/portal/api/profiles", nil, &profiles)
		}
		var tickets []protocol.PortalTicket
		if err == nil && me.User != nil {
			err = call(ctx, "GET", "/portal/api/tickets", nil, &tickets)
		}
		ctx.Dispatch(func(ctx app.Context) {
			p.loaded = true
			p.me = me.User
			if err != nil {
				p.err = err.Error()
			}
			p.profiles, p.tickets = profiles, tickets
			p.chosen = ""
			want := queryParam(ctx, "profile")
			for _, pr := range profiles {
				if pr.ID == want || (p.chosen == "" && want == "") {
					p.chosen = pr.ID
				}
			}
			if p.chosen == "" && len(profiles) > 0 {
				p.chosen = profiles[0].ID
			}
			p.mountWidget()
		})
	})
}

// mountWidget puts the embed loader on the page for the chosen profile,
// once: haloChatConfig marked portal, then /chat/index.js.
func (p *Portal) mountWidget() {
	if p.widget || p.chosen == "" {
		return
	}
	var pr protocol.PortalProfile
	for _, x := range p.profiles {
		if x.ID == p.chosen {
			pr = x
		}
	}
	loc := app.Window().Get("location")
	cfg, err := json.Marshal(protocol.Config{ChatServiceURL: loc.Get("origin").String(), ConfigID: pr.ID, ConfigKey: pr.Key, Portal: true})
	if err != nil {
		return
	}
	app.Window().Set("haloChatConfig", app.Window().Get("JSON").Call("parse", string(cfg)))
	doc := app.Window().Get("document")
	s := doc.Call("createElement", "script")
	s.Set("src", "/chat/index.js")
	doc.Get("head").Call("appendChild", s)
	p.widget = true
}

// openChat opens the widget's window (the Halo openChatWindow event).
func openChat(ctx app.Context, e app.Event) {
	ev := app.Window().Get("CustomEvent").New("haloChat_inboundEvent_openChatWindow")
	app.Window().Call("dispatchEvent", ev)
}

func (p *Portal) Render() app.UI {
	var body app.UI
	switch {
	case !p.loaded:
		body = app.P().Class("cc-muted").Text("Loading…")
	case p.me == nil:
		body = p.renderLogin()
	default:
		body = p.renderHome()
	}
	var who app.UI = app.Span().Class("cc-who").Text("")
	var logout app.UI = app.Text("")
	if p.me != nil {
		who = app.Span().ID("pt-who").Class("cc-who").Text(p.me.Name)
		logout = app.Button().ID("pt-logout").Class("cc-logout").Text("Log out").OnClick(p.logout)
	}
	// #halo-chat stays the root's first child on every render: the loader
	// holds its shadow root (launcher and widget iframe).
	return app.Div().Class("cc-app").Body(
		app.Div().ID("halo-chat"),
		app.Header().Class("cc-header").Body(
			app.Strong().Class("cc-brand").Text("Support portal"),
			app.Nav().Class("cc-nav"),
			who,
			logout,
		),
		app.Main().ID("pt-main").Class("cc-main").Body(body),
	)
}

func (p *Portal) chatSection(loggedIn bool) app.UI {
	if len(p.profiles) == 0 {
		if loggedIn {
			return app.P().Class("cc-muted").Text("Chat is not offered here at the moment.")
		}
		return app.Text("")
	}
	title, intro := "Chat with us", "Start a chat: the launcher at the bottom right opens it too."
	if !loggedIn {
		title, intro = "Chat without logging in", "You can also chat with us without an account."
	}
	var choose app.UI = app.Text("")
	if len(p.profiles) > 1 {
		links := make([]app.UI, 0, len(p.profiles))
		for _, pr := range p.profiles {
			a := app.A().Class("pt-profile").DataSet("profile", pr.ID).Href(Prefix + "/portal?profile=" + url.QueryEscape(pr.ID)).Text(pr.Name)
			if pr.ID == p.chosen {
				a = a.Class("cc-active")
			}
			links = append(links, a)
		}
		choose = app.Div().Class("cc-inline").Body(append([]app.UI{app.Span().Class("cc-muted").Text("Topic:")}, links...)...)
	}
	return app.Section().ID("pt-chat").Body(
		app.H2().Text(title),
		app.P().Class("cc-muted").Text(intro),
		choose,
		app.Button().ID("pt-open-chat").Type("button").Class("cc-primary").Text("Open chat").OnClick(openChat),
	)
}

func (p *Portal) renderLogin() app.UI {
	return app.Div().Body(
		app.Div().Class("cc-login").Body(
			app.H1().Text("Log in"),
			loginForm("pt", p.login, p.err, p.busy, app.Button().Class("cc-primary")),
		),
		p.chatSection(false),
	)
}

func (p *Portal) renderHome() app.UI {
	var tickets app.UI
	if len(p.tickets) == 0 {
		tickets = app.P().ID("pt-no-tickets").Class("cc-muted").Text("You have no tickets yet.")
	} else {
		rows := make([]app.UI, 0, len(p.tickets))
		for _, t := range p.tickets {
			typ := t.Type
			if typ == "" {
				typ = "—"
			}
			rows = append(rows, app.Tr().Class("pt-ticket").DataSet("id", t.ID).Body(
				app.Td().Text("#"+strconv.FormatInt(t.ID, 10)), app.Td().Class("pt-summary").Text(t.Summary),
				app.Td().Text(t.Status), app.Td().Text(typ), app.Td().Text(t.CreatedAt.Local().Format("2006-01-02 15:04")),
			))
		}
		tickets = app.Table().ID("pt-tickets").Class("cc-table").Body(
			app.THead().Body(app.Tr().Body(app.Th().Text("Ticket"), app.Th().Text("Summary"), app.Th().Text("Status"),
				app.Th().Text("Type"), app.Th().Text("Created"))),
			app.TBody().Body(rows...),
		)
	}
	return app.Div().Body(
		app.H1().Text("Hello, "+p.me.Name),
		notice("cc-error", p.err),
		app.H2().Text("Your tickets"),
		tickets,
		p.chatSection(true),
	)
}

func (p *Portal) login(ctx app.Context, e app.Event) {
	e.PreventDefault()
	email, password := strings.TrimSpace(inputValue("pt-email")), inputValue("pt-password")
	p.busy, p.err = true, ""
	ctx.Async(func() {
		err := call(ctx, "POST", "/portal/api/login", protocol.LoginRequest{Email: email, Password: password}, nil)
		ctx.Dispatch(func(ctx app.Context) {
			p.busy = false
			if err != nil {
				p.err = "Log in failed: " + err.Error()
				return
			}
			// A fresh page: the widget starts again, now with the session.
			app.Window().Get("location").Call("reload")
		})
	})
}

func (p *Portal) logout(ctx app.Context, e app.Event) {
	// The widget ends the user's chat and forgets it in this browser
	// (the Halo logout event), then the session ends.
	app.Window().Call("dispatchEvent", app.Window().Get("CustomEvent").New("haloChat_inboundEvent_logout"))
	ctx.Async(func() {
		_ = call(ctx, "POST", "/portal/api/logout", nil, nil)
		ctx.Dispatch(func(ctx app.Context) { app.Window().Get("location").Call("reload") })
	})
}
