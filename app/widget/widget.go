// Package widget holds the go-app components of the visitor chat widget,
// the page that runs inside the iframe the loader (static/index.js) puts on
// the host page. It is compiled to WebAssembly by wasm/widget and
// prerendered by the server.
package widget

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// Register declares the widget's routes. Both the wasm main and the
// server's handler call it: go-app matches routes on both sides.
func Register() {
	app.Route("/", func() app.Composer { return &Window{} })
}

// Strings are every text the widget shows, in one place for translation.
type Strings struct {
	DefaultTitle string
	Connecting   string
	Close        string
	Placeholder  string
	Send         string
}

// English is the default string table.
var English = Strings{
	DefaultTitle: "Chat with us",
	Connecting:   "Connecting…",
	Close:        "Close chat",
	Placeholder:  "Type your message",
	Send:         "Send",
}

// Window is the chat window: header, message list and composer.
type Window struct {
	app.Compo

	title    string
	configID string
	status   string
}

// OnMount reads the profile the loader asked for from the page's query.
func (w *Window) OnMount(ctx app.Context) {
	q := ctx.Page().URL().Query()
	w.configID = q.Get("configId")
	w.title = q.Get("title")
	w.status = English.Connecting
}

// Render describes the window from its state.
func (w *Window) Render() app.UI {
	title := w.title
	if title == "" {
		title = English.DefaultTitle
	}
	return app.Div().Class("hc-window").Body(
		app.Header().Class("hc-header").Body(
			app.H1().Class("hc-title").Text(title),
			app.Button().Class("hc-close").Aria("label", English.Close).Text("×"),
		),
		app.Div().Class("hc-messages").Aria("live", "polite").Body(
			app.P().Class("hc-status").Text(w.status),
		),
		app.Form().Class("hc-composer").Body(
			app.Input().Class("hc-input").Type("text").Placeholder(English.Placeholder).Aria("label", English.Placeholder),
			app.Button().Class("hc-send").Type("submit").Text(English.Send),
		),
	)
}
