package chats

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"halochat/app/i18n"
	"halochat/app/protocol"
	"halochat/backend/filelink"
	"halochat/backend/identity"
	"halochat/backend/metrics"
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
	lang := chatLang(c) // of the refusals, and of the mail
	email = strings.TrimSpace(email)
	switch {
	case email == "":
		return nil, &protocol.APIError{Code: protocol.CodeInvalidRequest, Field: "email", Message: "email: " + i18n.S(lang, i18n.RefuseEmailRequired)}
	case utf8.RuneCountInString(email) > protocol.MaxOfflineEmailLength || !identity.ValidEmail(email):
		return nil, &protocol.APIError{Code: protocol.CodeInvalidRequest, Field: "email", Message: "email: " + i18n.SF(lang, i18n.RefuseEmailInvalid, clip(email, 80))}
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
	until := s.store.Now().Add(filelink.Validity).UTC()
	var link func(string, *protocol.Attachment) string
	if s.publicURL != "" {
		key, err := s.store.LinkKey(ctx)
		if err != nil {
			return nil, fmt.Errorf("mail the transcript of chat %s: %w", c.ID, err)
		}
		link = func(chatID string, at *protocol.Attachment) string {
			return s.publicURL + filelink.Path(key, chatID, at.ID, until)
		}
	}
	text, files := writeTranscript(msgs, s.agentNames(ctx, msgs), mailStyle(lang, link))
	body := i18n.SF(lang, i18n.MailTranscriptIntro, p.Name) + "\n\n" + text
	switch {
	case files > 0 && link != nil:
		body += "\n" + i18n.SF(lang, i18n.MailFilesLinked, until.Format("2006-01-02 15:04")) + "\n"
	case files > 0:
		body += "\n" + i18n.S(lang, i18n.MailFilesInWindow) + "\n"
	}
	m := &store.Mail{ChatID: c.ID, Recipient: email, Subject: i18n.SF(lang, i18n.MailTranscriptSubject, p.Name), Body: body}
	left, err := s.store.QueueTranscriptMail(ctx, m, protocol.MaxTranscriptMails)
	if errors.Is(err, store.ErrConflict) {
		return nil, &protocol.APIError{Code: protocol.CodeConflict, Field: "email",
			Message: "email: " + i18n.SF(lang, i18n.RefuseTranscriptLimit, protocol.MaxTranscriptMails)}
	}
	if err != nil {
		return nil, fmt.Errorf("mail the transcript of chat %s: %w", c.ID, err)
	}
	s.mailer.Wake()
	s.metrics.MailQueued(metrics.MailTranscript)
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
// a new ticket (nil when the service sends no mail or p has no address),
// in p's default language; how says how the ticket came
// (MailNotifyFromChat, MailNotifyFromOffline). It is queued in the
// ticket's transaction (store.CreateTicketWithMail).
func (s *Service) ticketMail(p *store.ChatProfile, how i18n.ServerKey) func(*store.Ticket) []store.Mail {
	if s.mailer == nil || p.NotificationEmail == "" {
		return nil
	}
	lang := i18n.Lang(p.DefaultLanguage).Or(i18n.Default)
	return func(t *store.Ticket) []store.Mail {
		var b strings.Builder
		line := func(label i18n.ServerKey, v string) { fmt.Fprintf(&b, "%s: %s\n", i18n.S(lang, label), v) }
		b.WriteString(i18n.SF(lang, how, p.Name) + "\n\n")
		line(i18n.MailTicket, "#"+strconv.FormatInt(t.ID, 10))
		line(i18n.MailSummary, t.Summary)
		if t.ChatID != "" {
			line(i18n.MailChat, t.ChatID)
		}
		if s.publicURL != "" {
			line(i18n.MailConsole, s.publicURL+"/console/")
		}
		b.WriteString("\n" + t.Details)
		return []store.Mail{{Kind: store.MailNotification, TicketID: t.ID, ChatID: t.ChatID, Recipient: p.NotificationEmail,
			Subject: clip(i18n.SF(lang, i18n.MailNotifySubject, t.ID, t.Summary), 200), Body: b.String()}}
	}
}

// wakeMailer tells the dispatcher that a ticket's notification was
// queued (ticketMail gave one), once its transaction committed.
func (s *Service) wakeMailer(queued func(*store.Ticket) []store.Mail) {
	if queued != nil {
		s.mailer.Wake()
		s.metrics.MailQueued(metrics.MailNotification)
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
