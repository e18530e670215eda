package widget

import (
	"net/url"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"halochat/app/protocol"
)

// The static window: the server prerenders the Window into the widget
// page, so that the window paints from HTML and CSS the moment the loader
// shows the iframe, long before the wasm runs. The wasm then replaces the
// prerendered DOM (go-app always does); OnInit reads what the visitor did
// to the static window first, while it is still in the document, and
// OnMount gives it back to the new one. Both run in one go, with no turn
// of the browser's event loop between the read, the replacement and the
// restore, so no keystroke falls between them.

// Query parameters of the widget page. The loader sets the page's
// overrides (title, colour, theme); the server adds the profile's title
// and colour (PageQuery), which only the prerender sees.
const (
	QueryTitle         = "title"
	QueryColour        = "colour"
	QueryTheme         = "theme"
	QueryProfileTitle  = "profileTitle"
	QueryProfileColour = "profileColour"
	// The profile's language setting and default language, and the
	// browser's languages (its Accept-Language header, best first): the
	// static window speaks the language the wasm will.
	QueryProfileLanguage        = "profileLanguage"
	QueryProfileDefaultLanguage = "profileDefaultLanguage"
	QueryLanguages              = "languages"
	maxQueryTitle               = 200
	maxQueryLanguages           = 32
)

// draft is what the visitor typed into the static composer.
type draft struct {
	text       string
	start, end int
	focused    bool
}

// fromQuery takes the page's overrides from the widget page's query.
func (w *Window) fromQuery(q url.Values) {
	w.cfg.ConfigID = q.Get("configId")
	w.title = clip(q.Get(QueryTitle))
	if c := q.Get(QueryColour); protocol.ValidColour(c) {
		w.colour = c
	}
	if t := q.Get(QueryTheme); t == "dark" || t == "light" {
		w.theme = t
	}
}

func clip(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > maxQueryTitle {
		s = s[:maxQueryTitle]
	}
	return s
}

// OnPreRender runs on the server: the static window shows the profile's
// title and colour, and the page's overrides.
func (w *Window) OnPreRender(ctx app.Context) {
	q := ctx.Page().URL().Query()
	w.fromQuery(q)
	w.profile.Title = clip(q.Get(QueryProfileTitle))
	if c := q.Get(QueryProfileColour); protocol.ValidColour(c) {
		w.profile.Colour = c
	}
	w.profile.Language, w.profile.DefaultLanguage = q.Get(QueryProfileLanguage), q.Get(QueryProfileDefaultLanguage)
	w.prefs = q[QueryLanguages]
	if len(w.prefs) > maxQueryLanguages {
		w.prefs = w.prefs[:maxQueryLanguages]
	}
}

// OnInit runs in the browser before the first render, while the static
// window is still in the document: the first render then matches it
// (title, colour, theme), and the visitor's draft is kept.
func (w *Window) OnInit() {
	if !app.IsClient {
		return
	}
	w.fromQuery(app.Window().URL().Query())
	doc := app.Window().Get("document")
	if root := doc.Call("getElementById", "hc-root"); root.Truthy() {
		data := root.Get("dataset")
		w.profile.Title = clip(jsString(data.Get("profileTitle")))
		if c := jsString(data.Get("profileColour")); protocol.ValidColour(c) {
			w.profile.Colour = c
		}
		w.profile.Language = jsString(data.Get("profileLanguage"))
		w.profile.DefaultLanguage = jsString(data.Get("profileDefaultLanguage"))
	}
	w.prefs = browserLanguages()
	if in := doc.Call("getElementById", "hc-input"); in.Truthy() {
		w.draft = draft{text: in.Get("value").String(), start: in.Get("selectionStart").Int(),
			end: in.Get("selectionEnd").Int(), focused: doc.Get("activeElement").Equal(in)}
	}
}

func jsString(v app.Value) string {
	if v.Type() != app.TypeString {
		return ""
	}
	return v.String()
}

// restoreDraft gives the visitor's draft to the wasm's composer.
func (w *Window) restoreDraft() {
	d := w.draft
	w.draft = draft{}
	if d.text == "" && !d.focused {
		return
	}
	in := app.Window().GetElementByID("hc-input")
	if !in.Truthy() {
		return
	}
	in.Set("value", d.text)
	if d.focused {
		in.Call("focus")
	}
	in.Call("setSelectionRange", d.start, d.end)
}

// colourSheet links the stylesheet that sets the window's colour: the
// page's CSP refuses style attributes, and a stylesheet paints with the
// static window, before any script runs.
func (w *Window) colourSheet() app.UI {
	c := w.effectiveColour()
	if c == "" {
		return nil
	}
	return app.ElemSelfClosing("link").Attr("rel", "stylesheet").Attr("href", "/web/"+ColourSheet+"?c="+url.QueryEscape(c))
}

// ColourSheet is the file name of the colour stylesheet under the
// widget's /web/.
const ColourSheet = "colour.css"

// ColourCSS is the colour stylesheet's content for c, a colour that
// protocol.ValidColour accepts (false otherwise).
func ColourCSS(c string) (string, bool) {
	if !protocol.ValidColour(c) {
		return "", false
	}
	return ":root{--hc-colour:" + c + ";--hc-on-colour:" + onColour(c) + "}\n", true
}

// placeholder tells whether the window waits for what it will show: it
// does not yet know the profile, or a chat is starting or resuming.
func (w *Window) placeholder() bool {
	return w.conv == nil && w.leaving == nil && w.notice == "" && (w.avail == nil || w.starting)
}

// renderPlaceholder stands in for the conversation's history while it is
// on its way.
func renderPlaceholder() app.UI {
	return app.Elem("div").Class("hc-skeleton").Aria("hidden", "true").Body(
		app.Elem("div").Class("hc-skel", "hc-skel-1"),
		app.Elem("div").Class("hc-skel", "hc-skel-2"),
		app.Elem("div").Class("hc-skel", "hc-skel-3"),
	)
}
