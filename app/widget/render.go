package widget

import (
	"math"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"halochat/app/i18n"
	"halochat/app/protocol"
)

// Render describes the window from its state.
func (w *Window) Render() app.UI {
	if w.renders < 2 {
		w.renders++
		w.marks.once("render " + string(rune('0'+w.renders)))
	}
	title := w.title
	if title == "" {
		title = w.profile.Title
	}
	if title == "" {
		title = w.t(i18n.DefaultTitle)
	}
	// The colour reaches CSS through a stylesheet (colourSheet) and the
	// CSSOM (see Window.paint), never as a style attribute: the page's CSP
	// (style-src 'self') refuses those. The profile's title and colour
	// ride along for the wasm's first render to match the static window.
	lang := w.lang()
	root := app.Elem("div").ID("hc-root").Class("hc-window", "hc-theme-"+themeOr(w.theme)).Attr("lang", string(lang)).Attr("dir", lang.Dir()).
		DataSet("profile-title", w.profile.Title).DataSet("profile-colour", w.profile.Colour).
		DataSet("profile-language", w.profile.Language).DataSet("profile-default-language", w.profile.DefaultLanguage)
	root = root.On("drop", w.onDrop).On("dragover", w.onDragOver).On("keydown", func(ctx app.Context, e app.Event) {
		if e.Get("key").String() == "Escape" {
			w.closeWindow(ctx)
		}
	})
	return root.Body(
		w.colourSheet(),
		app.Elem("header").Class("hc-header").Body(
			app.Elem("h1").Class("hc-title").Text(title),
			app.Elem("div").Class("hc-actions").Body(
				app.If(w.conv != nil && !w.conv.Ended(), func() app.UI {
					return button("hc-end", w.t(i18n.EndChat)).ID("hc-end").On("click", w.act(w.askEnd))
				}),
				// × only minimises: the chat goes on.
				button("hc-close", "×").Aria("label", w.t(i18n.Close)).
					On("click", func(ctx app.Context, e app.Event) { w.closeWindow(ctx) }),
			),
		),
		app.If(w.confirmEnd && w.conv != nil && !w.conv.Ended(), w.renderEndConfirm),
		w.renderStatus(),
		app.Elem("div").ID("hc-messages").Class("hc-messages").Aria("live", "polite").Aria("relevant", "additions").Body(
			w.renderMessages()...,
		),
		w.renderFooter(),
	)
}

func themeOr(t string) string {
	if t == "dark" {
		return "dark"
	}
	return "light"
}

// onColour picks black or white text for the best contrast on a hex
// colour (named colours get white, which suits the darker ones; the
// contrast of light named colours is the page author's choice).
func onColour(c string) string {
	r, g, b, ok := hexRGB(c)
	if !ok {
		return "#fff"
	}
	lin := func(v float64) float64 {
		v /= 255
		if v <= 0.03928 {
			return v / 12.92
		}
		return math.Pow((v+0.055)/1.055, 2.4)
	}
	l := 0.2126*lin(r) + 0.7152*lin(g) + 0.0722*lin(b)
	// Contrast with white (1.05/(l+0.05)) against black ((l+0.05)/0.05).
	if 1.05/(l+0.05) >= (l+0.05)/0.05 {
		return "#fff"
	}
	return "#111"
}

func hexRGB(c string) (r, g, b float64, ok bool) {
	if len(c) == 0 || c[0] != '#' {
		return 0, 0, 0, false
	}
	h := c[1:]
	val := func(s string) (float64, bool) {
		var n int
		for _, ch := range s {
			n <<= 4
			switch {
			case ch >= '0' && ch <= '9':
				n |= int(ch - '0')
			case ch >= 'a' && ch <= 'f':
				n |= int(ch-'a') + 10
			case ch >= 'A' && ch <= 'F':
				n |= int(ch-'A') + 10
			default:
				return 0, false
			}
		}
		if len(s) == 1 {
			n = n*16 + n
		}
		return float64(n), true
	}
	var parts [3]string
	switch len(h) {
	case 3, 4:
		parts = [3]string{h[0:1], h[1:2], h[2:3]}
	case 6, 8:
		parts = [3]string{h[0:2], h[2:4], h[4:6]}
	default:
		return 0, 0, 0, false
	}
	var okR, okG, okB bool
	r, okR = val(parts[0])
	g, okG = val(parts[1])
	b, okB = val(parts[2])
	return r, g, b, okR && okG && okB
}

func (w *Window) renderStatus() app.UI {
	var text string
	switch {
	case w.notice != "":
		return para("hc-notice", w.notice).Role("alert")
	case w.leaving != nil && w.conv == nil:
		text = w.t(i18n.Unavailable)
	case w.starting || (w.conv == nil && w.open && w.ready):
		text = w.t(i18n.Connecting)
	case w.conv != nil && !w.conv.Ended() && w.stream != nil && !w.connected:
		text = w.t(i18n.Reconnecting)
	case w.avail != nil && !w.avail.ChatAvailable && w.conv == nil:
		text = w.t(i18n.Unavailable)
	case w.conv != nil && w.conv.Chat.Status == protocol.ChatStatusQueued:
		text = w.t(i18n.Waiting)
	}
	if text == "" {
		return app.Text("")
	}
	return para("hc-status", text)
}

func (w *Window) renderMessages() []app.UI {
	if w.conv == nil {
		var items []app.UI
		if w.profile.Greeting != "" {
			items = append(items, para("hc-greeting", w.profile.Greeting))
		}
		if w.placeholder() {
			items = append(items, renderPlaceholder())
		}
		return items
	}
	var items []app.UI
	for _, m := range w.conv.Messages {
		var file app.UI
		if m.Attachment != nil {
			file = &AttachmentView{Base: w.client.Base, Secret: w.secret, File: *m.Attachment, Units: w.t(i18n.SizeUnits)}
		}
		items = append(items, renderMessage(m, file))
	}
	for _, r := range w.outbox {
		if r.Text != "" {
			items = append(items, app.Elem("div").Class("hc-msg", "hc-from-visitor", "hc-sending").Body(
				para("hc-text", r.Text).Attr("dir", "auto")))
		}
	}
	if w.conv.Typing && !w.conv.Ended() {
		name := w.conv.Chat.AgentName
		if name == "" {
			name = w.t(i18n.TheAgent)
		}
		items = append(items, para("hc-typing", w.f(i18n.Typing, name)))
	}
	if p := w.conv.Pending(); p != nil && p.Kind == "choice" {
		var buttons []app.UI
		for i, label := range p.Choices {
			buttons = append(buttons, button("hc-choice", label).
				On("click", func(ctx app.Context, e app.Event) { w.choose(ctx, i) }))
		}
		items = append(items, app.Elem("div").Class("hc-choices").Body(buttons...))
	}
	if hint := w.hintFor(w.conv.Pending()); hint != "" {
		// The e-mail the host page keeps for the visitor, offered for the
		// bot's e-mail question: a prefill the visitor may take or not.
		items = append(items, app.Elem("div").Class("hc-choices").Body(
			button("hc-choice", hint).ID("hc-hint").Aria("label", w.f(i18n.UseEmail, hint)).
				On("click", w.act(func(ctx app.Context) { fillInput(ctx, hint) }))))
	}
	if w.conv.Chat.TicketID != 0 {
		items = append(items, para("hc-ticket", w.f(i18n.TicketLogged, w.conv.Chat.TicketID)))
	}
	return items
}

// renderMessage renders m, with file (nil: none) the view of the file
// it carries.
func renderMessage(m protocol.ChatMessage, file app.UI) app.UI {
	msg := app.Elem("div").Class("hc-msg", "hc-from-"+m.From).DataSet("seq", m.Seq)
	var parts []app.UI
	if (m.From == protocol.FromAgent || m.From == protocol.FromBot) && m.AgentName != "" { // a bot message an API client posted: its name
		parts = append(parts, app.Elem("span").Class("hc-name").Text(m.AgentName))
	}
	if file != nil {
		parts = append(parts, file)
	} else {
		parts = append(parts, app.Elem("p").Class("hc-text").Attr("dir", "auto").Body(linked(m.Text)...))
	}
	if t, err := time.Parse(time.RFC3339, m.CreatedAt); err == nil && m.From != protocol.FromSystem {
		parts = append(parts, app.Elem("time").Class("hc-time").Attr("datetime", m.CreatedAt).Text(t.Local().Format("15:04")))
	}
	return msg.Body(parts...)
}

func (w *Window) renderFooter() app.UI {
	if w.leaving != nil {
		return w.renderOffline()
	}
	if w.conv != nil && w.conv.Ended() {
		return app.Elem("div").Class("hc-ended").Body(
			app.Elem("p").Text(w.t(i18n.Ended)),
			app.If(w.asksRating(), w.renderRating),
			app.If(w.offersTranscript(), w.renderTranscriptMail),
			button("hc-new", w.t(i18n.NewChat)).On("click", w.act(w.newChat)),
			app.If(nobodyIn(w.conv), func() app.UI { return w.leaveButton(w.pageToken) }),
		)
	}
	if nobodyIn(w.conv) {
		return app.Elem("div").Class("hc-footer").Body(
			app.Elem("div").Class("hc-ended").Body(w.leaveButton(w.pageToken)),
			w.renderComposer(),
		)
	}
	return w.renderComposer()
}

// renderComposer is the message input and its send button. The input
// takes text before a chat is open (the static window's, the one that
// starts): Send waits for the chat.
func (w *Window) renderComposer() app.UI {
	return app.Elem("form").Class("hc-composer").On("submit", func(ctx app.Context, e app.Event) {
		e.PreventDefault()
		w.send(ctx)
	}).Body(
		input("hc-input", "hc-input", "text").Attr("placeholder", w.t(i18n.Placeholder)).
			Aria("label", w.t(i18n.Placeholder)).Aria("invalid", w.inputError != "").
			On("input", w.typed).On("paste", w.onPaste),
		app.If(w.inputError != "", func() app.UI {
			return para("hc-input-error", w.inputError).Role("alert")
		}),
		w.renderAttach(),
		submit(w.t(i18n.Send), w.conv == nil),
	)
}

// linked renders a message's text with its http, https and mailto URLs
// as links that open in a new tab and tell the target nothing
// (Linkify); everything else is text.
func linked(text string) []app.UI {
	segs := Linkify(text)
	out := make([]app.UI, 0, len(segs))
	for _, s := range segs {
		if s.Href == "" {
			out = append(out, app.Text(s.Text))
			continue
		}
		out = append(out, app.Elem("a").Class("hc-link").Attr("href", s.Href).Attr("target", "_blank").
			Attr("rel", "noopener noreferrer nofollow").Text(s.Text))
	}
	return out
}
