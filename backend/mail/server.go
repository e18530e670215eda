// Package mail sends the service's e-mail: the SMTP server it is given
// (serve --smtp smtp://user:pass@host:port), plain-text messages, and
// the dispatcher that sends what the store's mail outbox holds, with
// retries (store/mails.go).
package mail

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strings"
)

// Server is the SMTP server mail goes through, as its URL says.
type Server struct {
	// Host and Port are where it listens (default port: 587 for smtp,
	// 465 for smtps).
	Host, Port string
	// User and Password log in (AUTH PLAIN) when User is set: only over
	// TLS, or to a loopback server.
	User, Password string
	// ImplicitTLS: smtps://, TLS from the first byte. Otherwise (smtp://)
	// the connection is upgraded with STARTTLS whenever the server offers
	// it, and must be when ?starttls=required.
	ImplicitTLS bool
	// RequireTLS refuses to send over a connection the server did not
	// let us encrypt (smtp://…?starttls=required).
	RequireTLS bool
	// TLS, when set, replaces the default TLS settings (tests trust
	// their own certificate with it). Its ServerName defaults to Host.
	TLS *tls.Config
}

// ParseURL reads an SMTP server's URL: smtp://[user[:password]@]host[:port]
// (STARTTLS when offered; ?starttls=required to refuse a server that does
// not offer it) or smtps://… (TLS from the start). User and password are
// percent-decoded. Every error names what is wrong, never the password.
func ParseURL(raw string) (Server, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		// url's errors quote the whole URL, password included.
		return Server{}, errors.New("the SMTP URL is not a URL (want smtp://user:password@host:port)")
	}
	var s Server
	switch u.Scheme {
	case "smtp":
		s.Port = "587"
	case "smtps":
		s.Port, s.ImplicitTLS = "465", true
	default:
		return Server{}, fmt.Errorf("the SMTP URL's scheme is %q: want smtp:// (STARTTLS when offered) or smtps:// (TLS)", u.Scheme)
	}
	s.Host = u.Hostname()
	if s.Host == "" || u.Opaque != "" {
		return Server{}, errors.New("the SMTP URL names no host (want smtp://user:password@host:port)")
	}
	if p := u.Port(); p != "" {
		s.Port = p
	}
	if u.Path != "" && u.Path != "/" {
		return Server{}, fmt.Errorf("the SMTP URL has a path (%q): want smtp://user:password@host:port", u.Path)
	}
	if u.User != nil {
		s.User = u.User.Username()
		s.Password, _ = u.User.Password()
	}
	for k, v := range u.Query() {
		switch {
		case k == "starttls" && len(v) == 1 && (v[0] == "required" || v[0] == "optional"):
			s.RequireTLS = v[0] == "required"
		case k == "starttls":
			return Server{}, fmt.Errorf("the SMTP URL's starttls is %q: want required or optional", strings.Join(v, ","))
		default:
			return Server{}, fmt.Errorf("the SMTP URL has an unknown parameter %q (known: starttls)", k)
		}
	}
	if s.ImplicitTLS {
		s.RequireTLS = true
	}
	return s, nil
}

// Addr is host:port.
func (s Server) Addr() string { return net.JoinHostPort(s.Host, s.Port) }

// String is the server's URL without its password: for logs.
func (s Server) String() string {
	u := url.URL{Scheme: "smtp", Host: s.Addr()}
	if s.ImplicitTLS {
		u.Scheme = "smtps"
	}
	if s.User != "" {
		u.User = url.User(s.User)
	}
	if s.RequireTLS && !s.ImplicitTLS {
		u.RawQuery = "starttls=required"
	}
	return u.String()
}

// ParseFrom checks the From address mails are sent with (serve
// --smtp-from): an address, optionally with a name ("Support
// <help@example.com>").
func ParseFrom(s string) (*mail.Address, error) {
	if strings.TrimSpace(s) == "" {
		return nil, errors.New("no sender address (--smtp-from, HALOCHAT_SMTP_FROM)")
	}
	a, err := mail.ParseAddress(s)
	if err != nil {
		return nil, fmt.Errorf("the sender address %q is not an e-mail address: %w", s, err)
	}
	return a, nil
}
