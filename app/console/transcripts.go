package console

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"halochat/app/protocol"
)

// Transcripts lists past chats, newest first, and shows one's messages
// and details. The search asks the service (GET /api/Chat?q=) for the
// chats whose messages or user hold every word typed.
type Transcripts struct {
	app.Compo
	session

	chats     []protocol.ChatState
	searched  string // the search the list shows ("" for the newest chats)
	searching bool
	open      string
	msgs      []protocol.ChatMessage
	details   *protocol.ChatDetails
	detailErr string
	err       string
}

func (t *Transcripts) OnMount(ctx app.Context) {
	t.session.authenticate(ctx, false, func(ctx app.Context) {
		q := strings.TrimSpace(queryParam(ctx, "q"))
		if q != "" {
			ctx.Defer(func(app.Context) { setInput("cc-search", q) })
		}
		t.search(ctx, q)
	})
}

// search loads the ended chats holding every word of q (all of them when
// q is empty).
func (t *Transcripts) search(ctx app.Context, q string) {
	t.searching, t.err = true, ""
	path := "/api/Chat?status=ended"
	if q != "" {
		path += "&q=" + url.QueryEscape(q)
	}
	ctx.Async(func() {
		var out protocol.ChatList
		err := call(ctx, "GET", path, nil, &out)
		ctx.Dispatch(func(app.Context) {
			t.searching = false
			if err != nil {
				t.err = err.Error()
				return
			}
			t.chats, t.searched = out.Chats, q
		})
	})
}

func (t *Transcripts) Render() app.UI {
	summary := "The newest ended chats."
	switch {
	case t.searching:
		summary = "Searching…"
	case t.searched != "" && len(t.chats) == 0:
		summary = "No transcript holds every word of “" + t.searched + "”."
	case t.searched != "":
		summary = strconv.Itoa(len(t.chats)) + " transcript(s) hold every word of “" + t.searched + "”, newest first."
	}
	var conversation app.UI = app.P().Class("cc-muted").Text("Pick a chat to read its transcript.")
	if t.open != "" {
		conversation = app.Div().Class("cc-chat-layout").Body(
			app.Div().Class("cc-messages").Body(
				app.Range(t.msgs).Slice(func(i int) app.UI { return message(t.msgs[i]) }),
				app.If(t.details != nil && t.details.Rating != nil, func() app.UI {
					return app.P().ID("cc-transcript-rating").Class("cc-rating").Text("The visitor rated the chat " + ratingText(t.details.Rating))
				}),
			),
			detailsPanel(t.details, t.detailErr),
		)
	}
	return t.shell("/transcripts",
		app.H1().Text("Transcripts"),
		notice("cc-error", t.err),
		app.Form().Class("cc-search cc-inline").OnSubmit(func(ctx app.Context, e app.Event) {
			e.PreventDefault()
			t.search(ctx, strings.TrimSpace(inputValue("cc-search")))
		}).Body(
			app.Label().For("cc-search").Text("Search"),
			app.Input().ID("cc-search").Type("search").MaxLength(200).
				Placeholder("Words from the messages, or the user's name or e-mail"),
			app.Button().ID("cc-search-go").Type("submit").Text("Search"),
		),
		app.P().ID("cc-search-summary").Class("cc-muted").Text(summary),
		app.Div().Class("cc-console").Body(
			app.Ul().Class("cc-list cc-transcripts").Body(app.Range(t.chats).Slice(func(i int) app.UI {
				c := t.chats[i]
				cls := "cc-mychat cc-transcript"
				if c.ID == t.open {
					cls += " cc-current"
				}
				return app.Li().Body(app.Button().Class(cls).DataSet("chat", c.ID).
					OnClick(func(ctx app.Context, e app.Event) { t.load(ctx, c.ID) }, app.EventScope(c.ID)).
					Text(visitorName(c) + " · " + localTime(c.StartedAt) + " · " + c.EndReason))
			})),
			app.Section().Class("cc-conversation").Body(conversation),
		),
	)
}

// load shows one chat's transcript and details.
func (t *Transcripts) load(ctx app.Context, id string) {
	t.open, t.msgs, t.details, t.detailErr = id, nil, nil, ""
	ctx.Async(func() {
		var out protocol.MessageList
		err := call(ctx, "GET", "/api/ChatMessage?chat_id="+url.QueryEscape(id), nil, &out)
		d, derr := fetchDetails(ctx, id)
		ctx.Dispatch(func(app.Context) {
			if t.open != id {
				return // another chat was opened meanwhile
			}
			if err != nil {
				t.err = err.Error()
				return
			}
			t.msgs = out.Messages
			if derr != nil {
				t.detailErr = "Cannot load the chat's details: " + derr.Error()
				return
			}
			t.details = d
		})
	})
}
