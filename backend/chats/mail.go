package chats

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"halochat/app/protocol"
	"halochat/backend/identity"
	"halochat/backend/store"
)

// Mailer is the service's mail dispatcher (backend/mail), told when a
// mail was queued so it sends it at once rather than at its next poll.
type Mailer interface{ Wake() }

// MailOn says whether the service sends mail (serve --smtp): without it
// the e-mail features are hidden and refused (errMailOff).
func (s *Service) MailOn() bool { return s.mailer != nil }

// errMailOff refuses an e-mail feature on a service that sends no mail.
func errMailOff(what string) error {
	return &protocol.APIError{Code: protocol.CodeMailOff, Message: what +
		": this chat service sends no e-mail (it was started without an SMTP server: serve --smtp)"}
}

// MailTranscript queues chat c's transcript, as it is now, in a mail to
// email (the visitor's resume secret proved the chat): at most
// protocol.MaxTranscriptMails a chat. Refusals: mail_off without SMTP;
// invalid_request naming email; conflict once the chat has had its
// mails. The mail goes through the outbox (sent and retried in the
// background): the answer never waits for the SMTP server.
func (s *Service) MailTranscript(ctx context.Context, c *store.Chat, email string) (*protocol.TranscriptMailQueued, error) {
	if s.mailer == nil {
		return nil, errMailOff("transcripts by e-mail")
	}
	email = strings.TrimSpace(email)
	switch {
	case email == "":
		return nil, &protocol.APIError{Code: protocol.CodeInvalidRequest, Field: "email", Message: "email is required: the address the transcript is sent to"}
	case utf8.RuneCountInString(email) > protocol.MaxOfflineEmailLength || !identity.ValidEmail(email):
		return nil, &protocol.APIError{Code: protocol.CodeInvalidRequest, Field: "email", Message: fmt.Sprintf("email: %q is not an e-mail address", clip(email, 80))}
	}
	p, err := s.store.CachedProfile(ctx, c.ProfileID)
	if err != nil {
		return nil, fmt.Errorf("mail the transcript of chat %s: read profile %s: %w", c.ID, c.ProfileID, err)
	}
	msgs, err := s.MessagesAfter(ctx, c.ID, 0)
	if err != nil {
		return nil, err
	}
	msgs = ForVisitor(msgs) // never the agents' internal notes
	body := fmt.Sprintf("Here is the transcript of your chat with %s, as you asked in the chat window.\n\n%s\n"+
		"Files sent in the chat are named above; they can be downloaded from the chat window.\n",
		p.Name, transcript(msgs, s.agentNames(ctx, msgs), ""))
	m := &store.Mail{ChatID: c.ID, Recipient: email, Subject: "Your chat with " + p.Name, Body: body}
	left, err := s.store.QueueTranscriptMail(ctx, m, protocol.MaxTranscriptMails)
	if errors.Is(err, store.ErrConflict) {
		return nil, &protocol.APIError{Code: protocol.CodeConflict, Field: "email", Message: fmt.Sprintf(
			"this chat's transcript was already e-mailed %d times: at most %d a chat", protocol.MaxTranscriptMails, protocol.MaxTranscriptMails)}
	}
	if err != nil {
		return nil, fmt.Errorf("mail the transcript of chat %s: %w", c.ID, err)
	}
	s.mailer.Wake()
	s.log.Info("transcript mail queued", "chat", c.ID, "mail", m.ID, "left", left)
	return &protocol.TranscriptMailQueued{Email: email, Remaining: left}, nil
}

// clip is s cut to at most n runes.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// ticketMail is the mail that tells profile p's notification address of
// a new ticket (nil when the service sends no mail or p has no address):
// queued in the ticket's transaction (store.CreateTicketWithMail).
func (s *Service) ticketMail(p *store.ChatProfile, what string) func(*store.Ticket) []store.Mail {
	if s.mailer == nil || p.NotificationEmail == "" {
		return nil
	}
	return func(t *store.Ticket) []store.Mail {
		body := fmt.Sprintf("A new ticket was logged through the chat profile %q (%s).\n\nTicket: #%d\nSummary: %s\n",
			p.Name, what, t.ID, t.Summary)
		if t.ChatID != "" {
			body += "Chat: " + t.ChatID + "\n"
		}
		if s.publicURL != "" {
			body += "Console: " + s.publicURL + "/console/\n"
		}
		body += "\n" + t.Details
		return []store.Mail{{Kind: store.MailNotification, TicketID: t.ID, ChatID: t.ChatID, Recipient: p.NotificationEmail,
			Subject: clip(fmt.Sprintf("New ticket #%d: %s", t.ID, t.Summary), 200), Body: body}}
	}
}

// wakeMailer tells the dispatcher that a mail may have been queued.
func (s *Service) wakeMailer(queued func(*store.Ticket) []store.Mail) {
	if queued != nil {
		s.mailer.Wake()
	}
}

// agentNames are the names of the agents who wrote msgs, by id.
func (s *Service) agentNames(ctx context.Context, msgs []store.Message) map[int64]string {
	names := map[int64]string{}
	for _, m := range msgs {
		if m.AgentID != 0 && names[m.AgentID] == "" {
			if a, err := s.store.GetAgent(ctx, m.AgentID); err == nil {
				names[m.AgentID] = a.Name
			}
		}
	}
	return names
}
