package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/smtp"
	"net/textproto"
	"time"
)

// Sender sends messages through one SMTP server, a connection a message.
type Sender struct {
	Server Server
	// Timeout bounds one message's whole conversation with the server
	// (default 30 s).
	Timeout time.Duration
	// HelloName is the name said in EHLO (default "localhost").
	HelloName string
}

// PermanentError is a refusal that sending again will not change: the
// server's 5xx answer (a recipient it does not know, a message it will
// not take, a login it refuses), or a connection we will not use (no TLS
// where it is required). Other errors (4xx, no answer) are worth a retry.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent reports whether err is a PermanentError.
func Permanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}

// Send sends msg to to, from the envelope sender from, and returns once
// the server has taken it. A 5xx answer is a PermanentError.
func (s Sender) Send(ctx context.Context, from, to string, msg []byte) error {
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conn, err := s.dial(ctx)
	if err != nil {
		return err
	}
	// net/smtp has no context: the deadline bounds every read and write,
	// and an ended ctx closes the connection.
	deadline, _ := ctx.Deadline()
	_ = conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	err = s.converse(conn, from, to, msg)
	if err != nil && ctx.Err() != nil {
		return fmt.Errorf("send mail via %s: no answer within %s: %w", s.Server, timeout, err)
	}
	return err
}

// dial opens the connection, TLS from the start for smtps.
func (s Sender) dial(ctx context.Context) (net.Conn, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.Server.Addr())
	if err != nil {
		return nil, fmt.Errorf("connect to the SMTP server %s: %w", s.Server, err)
	}
	if !s.Server.ImplicitTLS {
		return conn, nil
	}
	tc := tls.Client(conn, s.tlsConfig())
	if err := tc.HandshakeContext(ctx); err != nil {
		conn.Close()
		return nil, fmt.Errorf("TLS with the SMTP server %s: %w", s.Server, err)
	}
	return tc, nil
}

func (s Sender) tlsConfig() *tls.Config {
	c := &tls.Config{MinVersion: tls.VersionTLS12}
	if s.Server.TLS != nil {
		c = s.Server.TLS.Clone()
	}
	if c.ServerName == "" {
		c.ServerName = s.Server.Host
	}
	return c
}

// converse says EHLO, STARTTLS when offered (required for smtps or
// ?starttls=required), AUTH when a user is set, then sends the message.
func (s Sender) converse(conn net.Conn, from, to string, msg []byte) error {
	c, err := smtp.NewClient(conn, s.Server.Host)
	if err != nil {
		conn.Close()
		return classify("greeting", s.Server, err)
	}
	defer c.Close()
	name := s.HelloName
	if name == "" {
		name = "localhost"
	}
	if err := c.Hello(name); err != nil {
		return classify("EHLO", s.Server, err)
	}
	if !s.Server.ImplicitTLS {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(s.tlsConfig()); err != nil {
				return classify("STARTTLS", s.Server, err)
			}
		} else if s.Server.RequireTLS {
			return &PermanentError{fmt.Errorf("the SMTP server %s does not offer STARTTLS, which its URL requires", s.Server)}
		}
	}
	if s.Server.User != "" {
		// PlainAuth refuses to send the password over a connection that
		// is neither TLS nor to localhost.
		if err := c.Auth(smtp.PlainAuth("", s.Server.User, s.Server.Password, s.Server.Host)); err != nil {
			return classify("login", s.Server, err)
		}
	}
	if err := c.Mail(from); err != nil {
		return classify("MAIL FROM", s.Server, err)
	}
	if err := c.Rcpt(to); err != nil {
		return classify("RCPT TO "+to, s.Server, err)
	}
	w, err := c.Data()
	if err != nil {
		return classify("DATA", s.Server, err)
	}
	if _, err := w.Write(msg); err != nil {
		return classify("the message", s.Server, err)
	}
	if err := w.Close(); err != nil {
		return classify("the message", s.Server, err)
	}
	// The message was taken (250 after DATA): a failed QUIT loses nothing.
	_ = c.Quit()
	return nil
}

// classify wraps an error of step: a 5xx answer is permanent, and so is
// a login net/smtp refuses to make over an unencrypted connection.
func classify(step string, srv Server, err error) error {
	err = fmt.Errorf("SMTP %s at %s: %w", step, srv, err)
	var tp *textproto.Error
	if errors.As(err, &tp) && tp.Code >= 500 {
		return &PermanentError{err}
	}
	var ne net.Error
	if step == "login" && !errors.As(err, &tp) && !errors.As(err, &ne) {
		return &PermanentError{err}
	}
	return err
}
