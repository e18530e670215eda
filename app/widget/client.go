package widget

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"halochat/app/protocol"
)

// Client speaks the chat runtime's widget API (app/protocol) from the
// widget iframe, which shares the service's origin. Under js/wasm net/http
// is the browser's fetch and the websocket the browser's WebSocket; the
// same code runs natively in tests.
type Client struct {
	// Base is the chat service's URL, e.g. "https://chat.example.com".
	Base string
	// SendCookies makes browser calls carry the service's cookies: only
	// on the service's own portal page, whose session starts portal
	// chats. Elsewhere the widget uses no cookies.
	SendCookies bool
}

// APIError is a refusal from the service: its status and body.
type APIError struct {
	Status int
	protocol.APIError
}

func (e *APIError) Error() string { return e.Message }

// apiMessage is what to show of err: the service's message when err
// carries a refusal (in the chat's language, without the "field: " that
// starts it for API clients), else err's own text.
func apiMessage(err error) string {
	if ae, ok := errors.AsType[*APIError](err); ok {
		return strings.TrimPrefix(ae.Message, ae.Field+": ")
	}
	return err.Error()
}

// refusalCode is the code of the service's refusal err carries, else
// fallback. (errors.AsType, not errors.As: As links internal/reflectlite
// into the wasm.)
func refusalCode(err error, fallback string) string {
	if ae, ok := errors.AsType[*APIError](err); ok {
		return ae.Code
	}
	return fallback
}

// call sends a JSON request and decodes a JSON answer into out (if not nil).
func (c *Client) call(ctx context.Context, method, path string, header map[string]string, in, out any) error {
	var body []byte
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encode %s %s: %w", method, path, err)
		}
		body = b
		if header == nil {
			header = map[string]string{}
		}
		header["Content-Type"] = "application/json"
	}
	status, data, err := c.do(ctx, method, c.Base+path, header, body)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if status >= 400 {
		var eb protocol.ErrorBody
		if json.Unmarshal(data, &eb) != nil || eb.Error.Code == "" {
			eb.Error = protocol.APIError{Code: protocol.CodeInternal, Message: fmt.Sprintf("%s %s answered %d", method, path, status)}
		}
		return &APIError{Status: status, APIError: eb.Error}
	}
	if out == nil || len(data) == 0 {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("decode %s %s: %w", method, path, err)
	}
	return nil
}

// LeaveMessage sends the leave-a-message form: the ticket it logged.
func (c *Client) LeaveMessage(ctx context.Context, req protocol.OfflineMessageRequest) (*protocol.OfflineMessageResponse, error) {
	var resp protocol.OfflineMessageResponse
	if err := c.call(ctx, "POST", "/chat/api/v1/offline", nil, req, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

// Start starts or resumes a chat.
func (c *Client) Start(ctx context.Context, req protocol.StartChatRequest) (*protocol.StartChatResponse, error) {
	var resp protocol.StartChatResponse
	if err := c.call(ctx, "POST", "/chat/api/v1/start", nil, req, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

// Availability tells whether a profile can take a chat now.
func (c *Client) Availability(ctx context.Context, configID string) (*protocol.Availability, error) {
	var a protocol.Availability
	err := c.call(ctx, "GET", "/chat/api/v1/availability?configId="+url.QueryEscape(configID), nil, nil, &a)
	if err != nil {
		return nil, err
	}
	return &a, nil
}

func resumeHeader(secret string) map[string]string {
	return map[string]string{protocol.HeaderResumeSecret: secret}
}

// End ends a chat as the visitor, for a reason the server accepts from
// visitors (protocol.EndByVisitor or EndLogout).
func (c *Client) End(ctx context.Context, chatID, secret, reason string) error {
	return c.call(ctx, "POST", "/chat/api/v1/chats/"+url.PathEscape(chatID)+"/end?reason="+url.QueryEscape(reason),
		resumeHeader(secret), nil, nil)
}

// Rate rates the ended chat (a second rating within the window replaces
// the first).
func (c *Client) Rate(ctx context.Context, chatID, secret string, req protocol.RatingRequest) (*protocol.ChatRating, error) {
	var r protocol.ChatRating
	err := c.call(ctx, "POST", "/chat/api/v1/chats/"+url.PathEscape(chatID)+"/rating", resumeHeader(secret), req, &r)
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// MailTranscript asks the service to e-mail the chat's transcript to
// email.
func (c *Client) MailTranscript(ctx context.Context, chatID, secret, email string) (*protocol.TranscriptMailQueued, error) {
	var q protocol.TranscriptMailQueued
	err := c.call(ctx, "POST", "/chat/api/v1/chats/"+url.PathEscape(chatID)+"/transcript", resumeHeader(secret),
		protocol.TranscriptMailRequest{Email: email}, &q)
	if err != nil {
		return nil, err
	}
	return &q, nil
}

// Upgrade turns the anonymous chat into the token's user's chat.
func (c *Client) Upgrade(ctx context.Context, chatID, secret, idToken string) (*protocol.ChatState, error) {
	var st protocol.ChatState
	err := c.call(ctx, "POST", "/chat/api/v1/chats/"+url.PathEscape(chatID)+"/upgrade", resumeHeader(secret),
		protocol.UpgradeRequest{IDToken: idToken}, &st)
	if err != nil {
		return nil, err
	}
	return &st, nil
}

// Update is what a Stream reports: any of messages, the chat's state,
// the agent's typing, an acknowledgement, the connection's state, or an
// error the visitor should see.
type Update struct {
	Messages  []protocol.ChatMessage
	Chat      *protocol.ChatState
	Typing    *bool
	Ack       *protocol.Ack
	Connected *bool
	Err       *protocol.APIError
}

// Stream keeps one chat connected: it delivers everything after the last
// seq it delivered, reconnects with backoff after a drop, and resends
// until acknowledged what the visitor sent (the client message id makes
// a resend harmless).
type Stream struct {
	c        *Client
	chatID   string
	secret   string
	mode     string
	onUpdate func(Update)

	mu      sync.Mutex
	after   int64
	outbox  []protocol.SendRequest // sent or not, not acknowledged yet
	conn    socket
	wake    chan struct{}
	cancel  func()
	stopped bool
}

// Connect opens a stream for a chat. mode is protocol.ChatModeWebsocket or
// ChatModeHeartbeat (long-poll). onUpdate is called from the stream's
// goroutine.
func (c *Client) Connect(chatID, secret string, afterSeq int64, mode string, onUpdate func(Update)) *Stream {
	ctx, cancel := withStop()
	s := &Stream{c: c, chatID: chatID, secret: secret, mode: mode, onUpdate: onUpdate,
		after: afterSeq, wake: make(chan struct{}, 1), cancel: cancel}
	go s.run(ctx)
	return s
}

// Close stops the stream.
func (s *Stream) Close() {
	s.mu.Lock()
	s.stopped = true
	s.mu.Unlock()
	s.cancel()
}

// Send queues a visitor message; it is sent now if connected, else on
// reconnect, and again until acknowledged.
func (s *Stream) Send(req protocol.SendRequest) {
	s.mu.Lock()
	s.outbox = append(s.outbox, req)
	conn := s.conn
	s.mu.Unlock()
	if conn != nil && s.mode != protocol.ChatModeHeartbeat {
		ctx, cancel := withTimeout(10 * time.Second)
		defer cancel()
		_ = writeFrame(ctx, conn, protocol.Frame{Type: protocol.FrameSend, ClientMsgID: req.ClientMsgID, Text: req.Text, Choice: req.Choice})
		return
	}
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Typing tells the agent whether the visitor is typing (best effort).
func (s *Stream) Typing(typing bool) {
	s.mu.Lock()
	conn := s.conn
	s.mu.Unlock()
	ctx, cancel := withTimeout(5 * time.Second)
	defer cancel()
	if conn != nil {
		_ = writeFrame(ctx, conn, protocol.Frame{Type: protocol.FrameTyping, Typing: &typing})
		return
	}
	if s.mode == protocol.ChatModeHeartbeat {
		_ = s.c.call(ctx, "POST", s.path("/typing"), resumeHeader(s.secret), protocol.TypingRequest{Typing: typing}, nil)
	}
}

func (s *Stream) path(suffix string) string {
	return "/chat/api/v1/chats/" + url.PathEscape(s.chatID) + suffix
}

// deliver reports messages and advances the resume point.
func (s *Stream) deliver(u Update) {
	s.mu.Lock()
	for _, m := range u.Messages {
		if m.Seq > s.after {
			s.after = m.Seq
		}
	}
	if u.Ack != nil {
		s.outbox = removeSent(s.outbox, u.Ack.ClientMsgID)
	}
	s.mu.Unlock()
	s.onUpdate(u)
}

func removeSent(box []protocol.SendRequest, id string) []protocol.SendRequest {
	out := box[:0]
	for _, r := range box {
		if r.ClientMsgID != id {
			out = append(out, r)
		}
	}
	return out
}

func (s *Stream) snapshot() (int64, []protocol.SendRequest) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.after, append([]protocol.SendRequest(nil), s.outbox...)
}

// fatal reports whether an error means the chat is gone for good.
func fatal(err error) *protocol.APIError {
	if ae, ok := errors.AsType[*APIError](err); ok && (ae.Code == protocol.CodeChatNotFound || ae.Code == protocol.CodeChatEnded ||
		ae.Code == protocol.CodeUnsupportedVersion) {
		return &ae.APIError
	}
	return nil
}

func (s *Stream) run(ctx context.Context) {
	backoff := 500 * time.Millisecond
	for ctx.Err() == nil {
		var err error
		if s.mode == protocol.ChatModeHeartbeat {
			err = s.poll(ctx)
		} else {
			err = s.socket(ctx, &backoff)
		}
		if ctx.Err() != nil {
			return
		}
		if fe := fatal(err); fe != nil {
			s.onUpdate(Update{Err: fe})
			return
		}
		off := false
		s.onUpdate(Update{Connected: &off})
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		if backoff < 10*time.Second {
			backoff *= 2
		}
	}
}

// socket holds one websocket until it drops.
func (s *Stream) socket(ctx context.Context, backoff *time.Duration) error {
	wsURL := "ws" + strings.TrimPrefix(s.c.Base, "http") + "/chat/ws"
	conn, err := s.c.dial(ctx, wsURL)
	if err != nil {
		return fmt.Errorf("connect %s: %w", wsURL, err)
	}
	defer conn.CloseNow()
	after, _ := s.snapshot()
	if err := writeFrame(ctx, conn, protocol.Frame{Type: protocol.FrameHello, ChatID: s.chatID, ResumeSecret: s.secret, AfterSeq: after}); err != nil {
		return err
	}
	for {
		var f protocol.Frame
		if err := readFrame(ctx, conn, &f); err != nil {
			return err
		}
		switch f.Type {
		case protocol.FrameReady:
			on := true
			s.mu.Lock()
			s.conn = conn
			s.mu.Unlock()
			defer func() {
				s.mu.Lock()
				s.conn = nil
				s.mu.Unlock()
			}()
			*backoff = 500 * time.Millisecond
			s.deliver(Update{Chat: f.Chat, Connected: &on})
			// Everything not acknowledged yet, taken after the connection is
			// published: a send from now on is written by Send itself (a
			// message written twice is stored once: its client id).
			_, outbox := s.snapshot()
			for _, r := range outbox {
				if err := writeFrame(ctx, conn, protocol.Frame{Type: protocol.FrameSend, ClientMsgID: r.ClientMsgID, Text: r.Text, Choice: r.Choice}); err != nil {
					return err
				}
			}
		case protocol.FrameMessage:
			if f.Message != nil {
				s.deliver(Update{Messages: []protocol.ChatMessage{*f.Message}})
			}
		case protocol.FrameAck:
			s.deliver(Update{Ack: &protocol.Ack{ClientMsgID: f.ClientMsgID, Seq: f.Seq, Duplicate: f.Duplicate}})
		case protocol.FrameTyping:
			s.deliver(Update{Typing: f.Typing})
		case protocol.FrameError:
			if f.Error == nil {
				continue
			}
			ae := &APIError{APIError: *f.Error}
			if fatal(ae) != nil {
				return ae
			}
			s.deliver(Update{Err: f.Error})
		}
	}
}

// poll is the long-poll transport of chatMode "heartbeat".
func (s *Stream) poll(ctx context.Context) error {
	connected := false
	for ctx.Err() == nil {
		after, outbox := s.snapshot()
		for _, r := range outbox {
			var ack protocol.Ack
			if err := s.c.call(ctx, "POST", s.path("/messages"), resumeHeader(s.secret), r, &ack); err != nil {
				if ae, ok := errors.AsType[*APIError](err); ok && ae.Status < 500 && fatal(err) == nil {
					s.deliver(Update{Err: &ae.APIError, Ack: &protocol.Ack{ClientMsgID: r.ClientMsgID}})
					continue
				}
				return err
			}
			s.deliver(Update{Ack: &ack})
		}
		wait := "25"
		if len(s.wake) > 0 {
			wait = "0"
		}
		pollCtx, cancel := withStop() // ended by a send waiting, or by ctx's end
		go func() {
			select {
			case <-s.wake:
				cancel()
			case <-ctx.Done():
				cancel()
			case <-pollCtx.Done():
			}
		}()
		var pr protocol.PollResponse
		err := s.c.call(pollCtx, "GET", s.path("/messages?after="+strconv.FormatInt(after, 10)+"&wait="+wait),
			resumeHeader(s.secret), nil, &pr)
		woken := pollCtx.Err() != nil && ctx.Err() == nil
		cancel()
		if woken {
			continue // a send is waiting: go round to post it
		}
		if err != nil {
			return err
		}
		u := Update{Messages: pr.Messages, Chat: &pr.Chat, Typing: &pr.Typing}
		if !connected {
			connected = true
			u.Connected = &connected
		}
		s.deliver(u)
	}
	return ctx.Err()
}

// socket is a websocket of text messages: the browser's WebSocket in the
// widget (dial_js.go: a few lines over syscall/js, where the websocket
// library and the net/http it imports added 59 KB brotli), and
// github.com/coder/websocket in native builds (tests).
type socket interface {
	Read(ctx context.Context) ([]byte, error)
	Write(ctx context.Context, data []byte) error
	CloseNow() error
}

// maxFrame bounds a frame the widget reads.
const maxFrame = 1 << 20

func writeFrame(ctx context.Context, conn socket, f protocol.Frame) error {
	f.V = protocol.ProtocolVersion
	b, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("encode %s frame: %w", f.Type, err)
	}
	return conn.Write(ctx, b)
}

func readFrame(ctx context.Context, conn socket, f *protocol.Frame) error {
	b, err := conn.Read(ctx)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, f); err != nil {
		return fmt.Errorf("decode a frame: %w", err)
	}
	return nil
}
