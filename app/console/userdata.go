package console

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"halochat/app/protocol"
)

// eraseWord is what an admin types to confirm an erasure: the user's
// e-mail address, or "user <id>" for a user without one.
func eraseWord(u protocol.User) string {
	if u.Email != "" {
		return u.Email
	}
	return "user " + strconv.FormatInt(u.ID, 10)
}

// erasedText says what an erasure removed.
func erasedText(e protocol.UserErasure) string {
	return fmt.Sprintf("Erased user %d's personal data: %d messages, %d files, %d chat field values, %d tickets emptied "+
		"(%d field values), %d rating comments, %d ChatMatchingData items, %d webhook deliveries, %d mails, %d portal sessions. "+
		"Their %d chats and the tickets' numbers and statuses stay.",
		e.UserID, e.Messages, e.Attachments, e.ChatFieldValues, e.Tickets, e.TicketFieldValues, e.RatingComments,
		e.MatchingData, e.WebhookDeliveries, e.Mails, e.PortalSessions, e.Chats)
}

// dataTools are the user's data on their edit form: the export (JSON,
// or a zip with the files: links the browser downloads with the
// session) and the erasure, behind a typed confirmation.
func (p *Users) dataTools(u protocol.User, path string) app.UI {
	word := eraseWord(u)
	erase := func(ctx app.Context, e app.Event) {
		if strings.TrimSpace(inputValue("us-erase-typed")) != word {
			p.editOK, p.editErr = "", "Not erased: type "+strconv.Quote(word)+" to confirm."
			return
		}
		var out protocol.UserErasure
		p.send(ctx, "POST", path+"/erase", nil, &out, func(app.Context) { p.editOK = erasedText(out) })
	}
	box := app.UI(app.Text(""))
	if p.confirm == "erase" {
		box = app.Div().Class("cc-warning").ID("us-erase-box").Body(
			app.P().Text("Erase "+word+"'s personal data? Their name, e-mail address, the messages they wrote, their files, "+
				"their chats' field values, their tickets' summaries and transcripts and the mails about them are deleted for good; "+
				"chat and ticket numbers and statuses stay. This cannot be undone."),
			app.Label().For("us-erase-typed").Text("Type "+word+" to confirm"),
			app.Input().ID("us-erase-typed").Attr("autocomplete", "off"),
			app.Div().Class("cc-inline").Body(
				app.Button().ID("us-erase-confirm").Type("button").Class("cc-danger").Text("Erase this person's data").OnClick(erase, p.scope()),
				app.Button().Type("button").Text("Cancel").OnClick(func(ctx app.Context, e app.Event) { p.confirm = "" }),
			),
		)
	}
	return app.Div().Class("cc-row").ID("us-data").Body(
		app.Label().Text("Their data"),
		app.Div().Class("cc-inline").Body(
			app.A().ID("us-export").Href(path+"/export").Attr("download", "").Text("Export (JSON)"),
			app.A().ID("us-export-zip").Href(path+"/export?files=1").Attr("download", "").Text("Export with files (zip)"),
			app.Button().ID("us-erase").Type("button").Class("cc-danger").Text("Erase…").OnClick(p.ask("erase")),
		),
		box,
	)
}
