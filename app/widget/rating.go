package widget

import (
	"strings"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"halochat/app/i18n"
	"halochat/app/protocol"
)

// ratingForm is the question a visitor is asked when their chat has
// ended: a score from 1 to 5 and an optional comment.
type ratingForm struct {
	score   int                  // chosen; 0: none yet
	sending bool                 // the rating is on its way
	sent    *protocol.ChatRating // what the service stored last
	err     string               // why the last rating was refused
}

// starIcon is a five-pointed star, drawn (no font needed).
const starIcon = `<svg class="hc-star-icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">` +
	`<path fill="currentColor" d="M12 2l3.1 6.3 6.9 1-5 4.9 1.2 6.8-6.2-3.2-6.2 3.2L7 14.2 2 9.3l6.9-1z"/></svg>`

// asksRating reports whether the window asks for a rating of its chat:
// the profile asks, the chat has ended, and the service still knows it.
func (w *Window) asksRating() bool {
	if w.conv == nil || !w.conv.Ended() || w.secret == "" || w.avail == nil || !w.avail.AskRating {
		return false
	}
	switch w.conv.Chat.EndReason {
	case protocol.EndLogout, protocol.CodeChatNotFound:
		return false
	}
	return true
}

// renderRating is the rating question.
func (w *Window) renderRating() app.UI {
	r := w.rating
	stars := make([]app.UI, 0, protocol.MaxRatingScore)
	for i := protocol.MinRatingScore; i <= protocol.MaxRatingScore; i++ {
		cls := "hc-star"
		if i <= r.score {
			cls += " hc-star-on"
		}
		stars = append(stars, app.Elem("button").Class(cls).Attr("type", "button").Role("radio").DataSet("score", i).
			Aria("checked", i == r.score).Aria("label", w.f(i18n.RateStar, i, protocol.MaxRatingScore)).
			Body(app.Raw(starIcon)).
			On("click", func(ctx app.Context, e app.Event) { w.rating.score, w.rating.err = i, "" }))
	}
	send := w.t(i18n.RateSend)
	if r.sent != nil {
		send = w.t(i18n.RateChange)
	}
	return app.Elem("form").ID("hc-rating").Class("hc-rating").On("submit", func(ctx app.Context, e app.Event) {
		e.PreventDefault()
		w.act(w.sendRating)(ctx, e)
	}).Body(
		para("hc-rating-q", w.t(i18n.RateQuestion)).ID("hc-rating-q"),
		app.Elem("div").Class("hc-stars").Role("radiogroup").Aria("labelledby", "hc-rating-q").Body(stars...),
		// One line, not a textarea: go-app's textarea type alone added
		// 8.7 KB brotli to the widget.
		input("hc-rating-comment", "hc-input hc-rating-comment", "text").
			Attr("maxlength", protocol.MaxRatingComment).Attr("placeholder", w.t(i18n.RateComment)).Aria("label", w.t(i18n.RateComment)),
		app.If(r.err != "", func() app.UI {
			return para("hc-input-error", r.err).Role("alert")
		}),
		app.If(r.sent != nil && r.err == "", func() app.UI {
			return para("hc-rating-thanks", w.t(i18n.RateThanks)).ID("hc-rating-thanks").Role("status")
		}),
		submit(send, r.score == 0 || r.sending || w.ending).ID("hc-rating-send"),
	)
}

// sendRating sends the chosen score and the comment, and tells the page
// (haloChat_outboundEvent_chatRated) once the service has stored them.
func (w *Window) sendRating(ctx app.Context) {
	if w.rating.score == 0 || w.rating.sending || !w.asksRating() {
		return
	}
	comment := ""
	if el := app.Window().GetElementByID("hc-rating-comment"); el.Truthy() {
		comment = strings.TrimSpace(el.Get("value").String())
	}
	chatID, secret := w.conv.ChatID, w.secret
	req := protocol.RatingRequest{Score: w.rating.score, Comment: comment}
	w.rating.sending, w.rating.err = true, ""
	ctx.Async(func() {
		rctx, cancel := withTimeout(15 * time.Second)
		defer cancel()
		stored, err := w.client.Rate(rctx, chatID, secret, req)
		ctx.Dispatch(func(ctx app.Context) {
			if w.conv == nil || w.conv.ChatID != chatID {
				return // a new chat took the window meanwhile
			}
			w.rating.sending = false
			if err != nil {
				msg := apiMessage(err)
				w.rating.err = w.f(i18n.RateFailed, msg)
				app.Window().Get("console").Call("warn", "halochat: rate chat "+chatID+": "+msg)
				return
			}
			w.rating.sent = stored
			w.emit(Outbound{protocol.OutChatRated, map[string]any{"chatId": chatID, "score": stored.Score, "comment": stored.Comment}})
		})
	})
}

// renderEndConfirm asks before the visitor ends the chat.
func (w *Window) renderEndConfirm() app.UI {
	return app.Elem("div").ID("hc-confirm").Class("hc-confirm").Role("alertdialog").Aria("labelledby", "hc-confirm-q").Body(
		app.Elem("p").ID("hc-confirm-q").Text(w.t(i18n.EndConfirm)),
		button("hc-send", w.t(i18n.EndChat)).ID("hc-end-yes").
			On("click", w.act(func(ctx app.Context) {
				w.confirmEnd = false
				w.endConversation(ctx, false, protocol.EndByVisitor)
			})),
		button("hc-new", w.t(i18n.KeepChatting)).ID("hc-end-no").
			On("click", w.act(func(ctx app.Context) {
				w.confirmEnd = false
				focusInput(ctx)
			})),
	)
}

// askEnd shows the confirmation before ending the chat.
func (w *Window) askEnd(ctx app.Context) {
	if w.conv == nil || w.conv.Ended() {
		return
	}
	w.confirmEnd = true
	ctx.Defer(func(app.Context) {
		if el := app.Window().GetElementByID("hc-end-no"); el.Truthy() {
			el.Call("focus")
		}
	})
}
