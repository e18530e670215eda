package widget

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"halochat/app/i18n"
	"halochat/app/protocol"
)

// offlineForm is the leave-a-message form while it shows: in place of
// the live chat when the chat is unavailable, or after a transfer found
// nobody in (docs/CONTRACT.md#offline).
type offlineForm struct {
	idToken     string // the page's identity token, if it gave one
	name, email string // the prefill
	sending     bool
	ticketID    int64  // the ticket logged (the form is done)
	err         string // the service's refusal
	field       string // the field it names
}

// leaveMessage shows the form, prefilled from the identity token's
// claims (read for the prefill only: the service verifies the token),
// the chat's user or the page's e-mail hint.
func (w *Window) leaveMessage(ctx app.Context, idToken string) {
	f := &offlineForm{idToken: idToken}
	f.name, f.email = tokenNameEmail(idToken)
	if w.conv != nil && f.email == "" {
		f.name, f.email = w.conv.Chat.UserName, w.conv.Chat.UserEmail
	}
	if f.email == "" {
		f.email = w.emailHint
	}
	w.leaving = f
	ctx.Defer(func(app.Context) {
		if el := app.Window().GetElementByID("hc-off-text"); el.Truthy() {
			el.Call("focus")
		}
	})
}

// tokenNameEmail reads the name and e-mail claims of a JWT, unverified.
func tokenNameEmail(tok string) (string, string) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return "", ""
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", ""
	}
	var c struct {
		Name   string `json:"name"`
		Given  string `json:"given_name"`
		Family string `json:"family_name"`
		Email  string `json:"email"`
	}
	if json.Unmarshal(raw, &c) != nil {
		return "", ""
	}
	name := c.Name
	if name == "" {
		name = strings.TrimSpace(c.Given + " " + c.Family)
	}
	return name, c.Email
}

// nobodyIn reports whether a transfer of the conversation found nobody in
// and no agent has taken it since.
func nobodyIn(c *Conversation) bool {
	if c == nil || c.Chat.Status == protocol.ChatStatusLive || c.Chat.Status == protocol.ChatStatusQueued {
		return false
	}
	for _, m := range c.Messages {
		if m.Event == protocol.EventNobodyIn {
			return true
		}
	}
	return false
}

// sendOffline posts the form.
func (w *Window) sendOffline(ctx app.Context) {
	f := w.leaving
	if f == nil || f.sending || f.ticketID != 0 {
		return
	}
	value := func(id string) string {
		if el := app.Window().GetElementByID(id); el.Truthy() {
			return el.Get("value").String()
		}
		return ""
	}
	req := protocol.OfflineMessageRequest{ConfigID: w.cfg.ConfigID, ConfigKey: w.cfg.ConfigKey, HostOrigin: w.hostOrigin,
		Name: value("hc-off-name"), Email: value("hc-off-email"), Text: value("hc-off-text"), IDToken: f.idToken}
	f.name, f.email, f.sending, f.err, f.field = req.Name, req.Email, true, "", ""
	ctx.Async(func() {
		sctx, cancel := withTimeout(30 * time.Second)
		defer cancel()
		resp, err := w.client.LeaveMessage(sctx, req)
		ctx.Dispatch(func(ctx app.Context) {
			f.sending = false
			if err != nil {
				f.err = apiMessage(err)
				if ae, ok := errors.AsType[*APIError](err); ok {
					f.field = ae.Field
				}
				return
			}
			f.ticketID = resp.TicketID
		})
	})
}

// renderOffline is the form, or its thanks once sent.
func (w *Window) renderOffline() app.UI {
	f := w.leaving
	back := app.If(w.conv != nil && !w.conv.Ended(), func() app.UI {
		return button("hc-new", w.t(i18n.OfflineBack)).ID("hc-off-back").
			On("click", func(ctx app.Context, e app.Event) { w.leaving = nil })
	})
	if f.ticketID != 0 {
		return app.Elem("div").Class("hc-ended", "hc-offline").Body(
			app.Elem("p").ID("hc-off-done").Role("status").Text(w.f(i18n.OfflineThanks, f.ticketID)), back)
	}
	labelled := func(id, field, label, typ, value string) app.UI {
		return app.Elem("label").Class("hc-off-label").Body(app.Text(label),
			input(id, "hc-input", typ).Attr("value", value).Aria("invalid", f.field == field))
	}
	send := w.t(i18n.OfflineSend)
	if f.sending {
		send = w.t(i18n.OfflineSending)
	}
	return app.Elem("form").ID("hc-offline").Class("hc-composer", "hc-offline").On("submit", func(ctx app.Context, e app.Event) {
		e.PreventDefault()
		w.sendOffline(ctx)
	}).Body(
		para("hc-off-intro", w.t(i18n.OfflineIntro)),
		labelled("hc-off-name", "name", w.t(i18n.OfflineName), "text", f.name),
		labelled("hc-off-email", "email", w.t(i18n.OfflineEmail), "email", f.email),
		app.Elem("label").Class("hc-off-label").Body(app.Text(w.t(i18n.OfflineMessage)),
			app.Elem("textarea").ID("hc-off-text").Class("hc-input").Attr("rows", 3).Attr("maxlength", protocol.MaxOfflineTextLength).
				Aria("invalid", f.field == "text")),
		app.If(f.err != "", func() app.UI { return para("hc-input-error", f.err).Role("alert") }),
		submit(send, f.sending).ID("hc-off-send"),
		back,
	)
}

// leaveButton offers the form.
func (w *Window) leaveButton(idToken string) app.UI {
	return button("hc-new", w.t(i18n.OfflineLeave)).ID("hc-leave").
		On("click", func(ctx app.Context, e app.Event) { w.leaveMessage(ctx, idToken) })
}
