package chats

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"halochat/app/i18n"
	"halochat/app/protocol"
	"halochat/backend/identity"
	"halochat/backend/store"
)

// OfflineMessage is a leave-a-message form the widget sent when nobody
// was in, as the HTTP layer hands it over.
type OfflineMessage = protocol.OfflineMessageRequest

// LeftMessage is what Config.OnOfflineMessage is told once an offline
// message's ticket is stored: the profile it came through (its settings,
// e.g. a notification address), the ticket and the form.
type LeftMessage struct {
	Profile *store.ChatProfile
	Ticket  *store.Ticket
	Form    OfflineMessage
}

// LeaveMessage logs the ticket of an offline message: of the profile's
// ticket type, for the user the identity token (or a trusted e-mail hint)
// names, with the chat custom fields the token carries copied to the
// ticket's fields by label as a chat's ticket gets them
// (ticketFieldValues), and the form's name, e-mail and text in its
// details. The profile must be open to the page (as for a chat start);
// each bad field is refused by name (CheckOfflineMessage); a token's jti
// is used only once every check passed. Refusals of the form are in the
// language a chat would speak (the profile's, or the best for the
// browser's acceptLanguage). The ticket goes through
// store.CreateTicket, which records ticket.created for the webhooks.
func (s *Service) LeaveMessage(ctx context.Context, req OfflineMessage, acceptLanguage string) (*store.Ticket, error) {
	st := &starting{s: s, req: StartRequest{Context: store.ContextEmbedded, StartChatRequest: protocol.StartChatRequest{
		ConfigID: req.ConfigID, ConfigKey: req.ConfigKey, HostOrigin: req.HostOrigin, IDToken: req.IDToken}}, embedded: true}
	p, err := s.profileFor(ctx, req.ConfigID, req.ConfigKey)
	if err != nil {
		return nil, err
	}
	if err := st.accessRefusal(p); err != nil {
		return nil, err
	}
	st.profile = p
	if err := CheckOfflineMessage(req, s.langs.choose(p, nil, acceptLanguage)); err != nil {
		return nil, err
	}
	who, err := st.identity(ctx)
	if err != nil {
		return nil, err
	}
	_, defs, err := s.schema(ctx)
	if err != nil {
		return nil, err
	}
	values, err := s.ticketFieldValues(ctx, p.TicketTypeID, namedFields(defs, who.ChatFields))
	if err != nil {
		return nil, err
	}
	if err := s.ident.Use(ctx, who); err != nil {
		return nil, err
	}
	t := offlineTicket(p, who, req)
	notify := s.ticketMail(p, i18n.MailNotifyFromOffline)
	if err := s.store.CreateTicketWithMail(ctx, t, values, notify); err != nil {
		return nil, fmt.Errorf("log the offline message's ticket on profile %s: %w", p.ID, err)
	}
	s.wakeMailer(notify)
	s.log.Info("offline message logged", "profile", p.ID, "ticket", t.ID, "fields", len(values), "authenticated", who.Authenticated)
	if s.onOffline != nil {
		s.onOffline(ctx, LeftMessage{Profile: p, Ticket: t, Form: req})
	}
	return t, nil
}

// offlineTicket is the ticket of offline message req on profile p.
func offlineTicket(p *store.ChatProfile, who *identity.Identity, req OfflineMessage) *store.Ticket {
	name, email := strings.TrimSpace(req.Name), strings.TrimSpace(req.Email)
	from := email
	if name != "" {
		from = name + " <" + email + ">"
	}
	details := fmt.Sprintf("Offline message (left while nobody was in)\nFrom: %s\nPage: %s\n\n%s\n",
		from, protocol.NormalizeOrigin(req.HostOrigin), strings.TrimSpace(req.Text))
	t := &store.Ticket{TicketTypeID: p.TicketTypeID, ProfileID: p.ID, Summary: "Offline message from " + from, Details: details}
	if who.User != nil {
		t.UserID = who.User.ID
	}
	return t
}

// CheckOfflineMessage refuses the bad fields of an offline message, each
// by name: name (at most protocol.MaxOfflineNameLength characters, one
// line), email (required, an address, at most MaxOfflineEmailLength),
// text (required, at most MaxOfflineTextLength characters, no control
// characters but line breaks and tabs). The refusal's Field is the first
// bad field; with several, Problems lists each. Each message is
// "field: " and what is wrong, in l (the visitor's language).
func CheckOfflineMessage(req OfflineMessage, l i18n.Lang) error {
	var probs []protocol.FieldProblem
	bad := func(field string, key i18n.ServerKey, args ...any) {
		probs = append(probs, protocol.FieldProblem{Field: field, Message: field + ": " + i18n.SF(l, key, args...)})
	}
	name, email, text := strings.TrimSpace(req.Name), strings.TrimSpace(req.Email), strings.TrimSpace(req.Text)
	switch {
	case !utf8.ValidString(req.Name) || strings.ContainsFunc(req.Name, isControl):
		bad("name", i18n.RefuseNameLine)
	case utf8.RuneCountInString(name) > protocol.MaxOfflineNameLength:
		bad("name", i18n.RefuseNameTooLong, protocol.MaxOfflineNameLength)
	}
	switch {
	case email == "":
		bad("email", i18n.RefuseEmailRequired)
	case utf8.RuneCountInString(email) > protocol.MaxOfflineEmailLength:
		bad("email", i18n.RefuseEmailTooLong, protocol.MaxOfflineEmailLength)
	case !identity.ValidEmail(email):
		bad("email", i18n.RefuseEmailInvalid, email)
	}
	switch {
	case text == "":
		bad("text", i18n.RefuseTextRequired)
	case utf8.RuneCountInString(text) > protocol.MaxOfflineTextLength:
		bad("text", i18n.RefuseTextTooLong, protocol.MaxOfflineTextLength)
	case !utf8.ValidString(text) || strings.ContainsFunc(text, func(r rune) bool { return r != '\n' && r != '\t' && r != '\r' && isControl(r) }):
		bad("text", i18n.RefuseTextControl)
	}
	switch len(probs) {
	case 0:
		return nil
	case 1:
		return &protocol.APIError{Code: protocol.CodeInvalidRequest, Field: probs[0].Field, Message: probs[0].Message}
	}
	msgs := make([]string, len(probs))
	for i, p := range probs {
		msgs[i] = p.Message
	}
	return &protocol.APIError{Code: protocol.CodeInvalidRequest, Field: probs[0].Field,
		Message: strings.Join(msgs, "; "), Problems: probs}
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f || r == utf8.RuneError }
