package console

import (
	"net/url"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"halochat/app/protocol"
)

// Transcripts lists past chats and shows one's messages, with a search by
// user or text (over the chats loaded).
type Transcripts struct {
	app.Compo
	session

	chats []protocol.ChatState
	open  string
	msgs  []protocol.ChatMessage
	texts map[string]string // chat id → its messages' text, once loaded
	query string
	err   string
}

func (t *Transcripts) OnMount(ctx app.Context) {
	t.texts = map[string]string{}
	t.session.authenticate(ctx, false, func(ctx app.Context) {
		ctx.Async(func() {
			var out struct {
				Chats []protocol.ChatState `json:"chats"`
			}
			err := call(ctx, "GET", "/api/Chat?status=ended", nil, &out)
			ctx.Dispatch(func(app.Context) {
				if err != nil {
					t.err = err.Error()
					return
				}
				t.chats = out.Chats
			})
		})
	})
}

func (t *Transcripts) Render() app.UI {
	var shown []protocol.ChatState
	q := strings.ToLower(t.query)
	for _, c := range t.chats {
		hay := strings.ToLower(c.UserName + " " + c.UserEmail + " " + c.ID + " " + t.texts[c.ID])
		if q == "" || strings.Contains(hay, q) {
			shown = append(shown, c)
		}
	}
	return t.shell("/transcripts",
		app.H1().Text("Transcripts"),
		notice("cc-error", t.err),
		app.Form().Class("cc-search").OnSubmit(func(ctx app.Context, e app.Event) {
			e.PreventDefault()
			t.query = strings.TrimSpace(inputValue("cc-search"))
		}).Body(
			app.Input().ID("cc-search").Type("search").Placeholder("Search by user or id"),
			app.Button().Type("submit").Text("Search"),
		),
		app.Div().Class("cc-console").Body(
			app.Ul().Class("cc-list cc-transcripts").Body(app.Range(shown).Slice(func(i int) app.UI {
				c := shown[i]
				return app.Li().Body(app.Button().Class("cc-mychat").OnClick(func(ctx app.Context, e app.Event) { t.load(ctx, c.ID) }).
					Text(visitorName(c) + " · " + c.StartedAt + " · " + c.EndReason))
			})),
			app.Section().Class("cc-conversation").Body(
				app.Div().Class("cc-messages").Body(app.Range(t.msgs).Slice(func(i int) app.UI { return message(t.msgs[i]) })),
			),
		),
	)
}

func (t *Transcripts) load(ctx app.Context, id string) {
	t.open = id
	ctx.Async(func() {
		var out struct {
			Messages []protocol.ChatMessage `json:"messages"`
		}
		err := call(ctx, "GET", "/api/ChatMessage?chat_id="+url.QueryEscape(id), nil, &out)
		ctx.Dispatch(func(app.Context) {
			if err != nil {
				t.err = err.Error()
				return
			}
			t.msgs = out.Messages
			var b strings.Builder
			for _, m := range out.Messages {
				b.WriteString(m.Text + " ")
			}
			t.texts[id] = b.String()
		})
	})
}
