//go:build js

package widget

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"syscall/js"

	"halochat/app/webfetch"
)

// dial opens the browser's WebSocket (its Origin is the iframe's, which
// is the service's own).
func (c *Client) dial(ctx context.Context, url string) (socket, error) {
	s := &jsSocket{ws: js.Global().Get("WebSocket").New(url), opened: make(chan struct{}), wake: make(chan struct{}, 1)}
	s.onOpen = js.FuncOf(func(js.Value, []js.Value) any {
		s.openOnce.Do(func() { close(s.opened) })
		return nil
	})
	s.onMessage = js.FuncOf(func(_ js.Value, args []js.Value) any {
		data := args[0].Get("data")
		if data.Type() != js.TypeString {
			return nil // the protocol is text frames only
		}
		text := data.String()
		s.mu.Lock()
		if len(text) > maxFrame {
			s.fail(fmt.Errorf("a frame of %d bytes, more than %d", len(text), maxFrame))
			s.ws.Call("close", 1009, "frame too big")
		} else {
			s.queue = append(s.queue, []byte(text))
		}
		s.mu.Unlock()
		s.signal()
		return nil
	})
	s.onClose = js.FuncOf(func(_ js.Value, args []js.Value) any {
		s.mu.Lock()
		s.fail(fmt.Errorf("the websocket closed (code %d)", args[0].Get("code").Int()))
		s.mu.Unlock()
		s.openOnce.Do(func() { close(s.opened) })
		s.signal()
		for _, ev := range []string{"onopen", "onmessage", "onclose"} {
			s.ws.Set(ev, js.Null())
		}
		go s.release() // not from inside a handler being released
		return nil
	})
	s.ws.Set("onopen", s.onOpen)
	s.ws.Set("onmessage", s.onMessage)
	s.ws.Set("onclose", s.onClose)
	select {
	case <-s.opened:
		s.mu.Lock()
		err := s.err
		s.mu.Unlock()
		if err != nil {
			return nil, err
		}
		return s, nil
	case <-ctx.Done():
		_ = s.CloseNow()
		return nil, ctx.Err()
	}
}

// jsSocket is a socket over the browser's WebSocket: its events queue the
// messages that Read takes in order.
type jsSocket struct {
	ws                         js.Value
	onOpen, onMessage, onClose js.Func
	opened                     chan struct{}
	openOnce                   sync.Once
	wake                       chan struct{} // a message or the close arrived

	mu    sync.Mutex
	queue [][]byte
	err   error // set once closed
}

// fail records why the socket closed (the first reason); s.mu is held.
func (s *jsSocket) fail(err error) {
	if s.err == nil {
		s.err = err
	}
}

func (s *jsSocket) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *jsSocket) release() {
	s.onOpen.Release()
	s.onMessage.Release()
	s.onClose.Release()
}

// Read returns the next message; after the close, the messages that came
// before it and then the close's error.
func (s *jsSocket) Read(ctx context.Context) ([]byte, error) {
	for {
		s.mu.Lock()
		if len(s.queue) > 0 {
			b := s.queue[0]
			s.queue[0] = nil
			s.queue = s.queue[1:]
			s.mu.Unlock()
			return b, nil
		}
		err := s.err
		s.mu.Unlock()
		if err != nil {
			return nil, err
		}
		select {
		case <-s.wake:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Write sends one text message.
func (s *jsSocket) Write(ctx context.Context, data []byte) error {
	s.mu.Lock()
	err := s.err
	s.mu.Unlock()
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.ws.Get("readyState").Int() != 1 { // OPEN
		return errors.New("the websocket is not open")
	}
	s.ws.Call("send", string(data))
	return nil
}

// CloseNow closes the socket; Read then ends.
func (s *jsSocket) CloseNow() error {
	s.mu.Lock()
	s.fail(errors.New("the websocket was closed"))
	s.mu.Unlock()
	s.signal()
	s.ws.Call("close")
	return nil
}

// do makes one HTTP call with the browser's fetch, without cookies (but
// on the portal page, see SendCookies).
func (c *Client) do(ctx context.Context, method, url string, header map[string]string, body []byte) (int, []byte, error) {
	creds := "omit"
	if c.SendCookies {
		creds = "same-origin"
	}
	return webfetch.Do(ctx, webfetch.Request{Method: method, URL: url, Header: header, Body: body, Credentials: creds})
}
