package widget

import (
	"strings"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"halochat/app/i18n"
	"halochat/app/protocol"
)

// transcriptMail is the ended chat's "E-mail me the transcript" form.
type transcriptMail struct {
	chatID  string // the chat it is about: another chat's form starts afresh
	sending bool
	sentTo  string // the address the service queued the mail to
	err     string // why the service refused
}

// offersTranscript reports whether the window offers the ended chat's
// transcript by e-mail: the service sends mail, and the chat is one the
// service still knows.
func (w *Window) offersTranscript() bool {
	if w.conv == nil || !w.conv.Ended() || w.secret == "" || w.avail == nil || !w.avail.MailTranscript {
		return false
	}
	switch w.conv.Chat.EndReason {
	case protocol.EndLogout, protocol.CodeChatNotFound:
		return false
	}
	return true
}

// mailPrefill is the address the form starts with: the identity token's,
// the chat's user's, or the page's e-mail hint.
func (w *Window) mailPrefill() string {
	if _, email := tokenNameEmail(w.pageToken); email != "" {
		return email
	}
	if w.conv != nil && w.conv.Chat.UserEmail != "" {
		return w.conv.Chat.UserEmail
	}
	return w.emailHint
}

// renderTranscriptMail is the form: an address and the button.
func (w *Window) renderTranscriptMail() app.UI {
	m := w.mail
	if m.chatID != w.conv.ChatID {
		m = transcriptMail{}
	}
	return app.Elem("form").ID("hc-mail").Class("hc-rating").On("submit", func(ctx app.Context, e app.Event) {
		e.PreventDefault()
		w.act(w.sendTranscriptMail)(ctx, e)
	}).Body(
		input("hc-mail-email", "hc-input", "email").Attr("value", w.mailPrefill()).
			Attr("maxlength", protocol.MaxOfflineEmailLength).Attr("placeholder", w.t(i18n.OfflineEmail)).Aria("label", w.t(i18n.OfflineEmail)),
		app.If(m.err != "", func() app.UI {
			return para("hc-input-error", m.err).Role("alert")
		}),
		app.If(m.sentTo != "" && m.err == "", func() app.UI {
			return para("hc-rating-thanks", w.f(i18n.MailTranscriptSent, m.sentTo)).ID("hc-mail-sent").Role("status")
		}),
		submit(w.t(i18n.MailTranscript), m.sending || w.ending).ID("hc-mail-send"),
	)
}

// sendTranscriptMail asks the service to e-mail the transcript to the
// address in the form.
func (w *Window) sendTranscriptMail(ctx app.Context) {
	if !w.offersTranscript() || (w.mail.chatID == w.conv.ChatID && w.mail.sending) {
		return
	}
	email := ""
	if el := app.Window().GetElementByID("hc-mail-email"); el.Truthy() {
		email = strings.TrimSpace(el.Get("value").String())
	}
	chatID, secret := w.conv.ChatID, w.secret
	w.mail = transcriptMail{chatID: chatID, sending: true}
	ctx.Async(func() {
		rctx, cancel := withTimeout(15 * time.Second)
		defer cancel()
		q, err := w.client.MailTranscript(rctx, chatID, secret, email)
		ctx.Dispatch(func(ctx app.Context) {
			if w.conv == nil || w.conv.ChatID != chatID {
				return // a new chat took the window meanwhile
			}
			w.mail.sending = false
			if err != nil {
				msg := apiMessage(err)
				w.mail.err = w.f(i18n.MailTranscriptFailed, msg)
				return
			}
			w.mail.sentTo = q.Email
		})
	})
}
