package mail

import (
	"bytes"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"time"
)

// Message is a plain-text mail to one recipient.
type Message struct {
	From    *mail.Address
	To      string // an address
	Subject string
	Text    string
	// ID is the mail's unique part of its Message-ID: the same mail sent
	// again (a retry after an unclear answer) has the same one, so
	// mail clients show it once.
	ID   string
	Date time.Time
}

// Bytes is the message as sent: RFC 5322 headers (the subject encoded
// when it is not ASCII) and the text as UTF-8, quoted-printable, with
// CRLF line ends.
func (m Message) Bytes() ([]byte, error) {
	to, err := mail.ParseAddress(m.To)
	if err != nil {
		return nil, fmt.Errorf("the recipient %q is not an e-mail address: %w", m.To, err)
	}
	if m.From == nil {
		return nil, fmt.Errorf("the mail to %s has no sender", m.To)
	}
	var b bytes.Buffer
	header := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	header("From", m.From.String())
	header("To", to.String())
	header("Subject", mime.QEncoding.Encode("utf-8", oneLine(m.Subject)))
	header("Date", m.Date.Format(time.RFC1123Z))
	domain := m.From.Address[strings.LastIndexByte(m.From.Address, '@')+1:]
	header("Message-ID", "<"+m.ID+"@"+domain+">")
	header("MIME-Version", "1.0")
	header("Content-Type", `text/plain; charset="utf-8"`)
	header("Content-Transfer-Encoding", "quoted-printable")
	header("Auto-Submitted", "auto-generated")
	b.WriteString("\r\n")
	w := quotedprintable.NewWriter(&b)
	text := strings.ReplaceAll(strings.ReplaceAll(m.Text, "\r\n", "\n"), "\n", "\r\n")
	if !strings.HasSuffix(text, "\r\n") {
		text += "\r\n" // the body ends with a line break, as SMTP's DATA does
	}
	if _, err := w.Write([]byte(text)); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// oneLine is s with its line breaks (which would end a header) as spaces.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
