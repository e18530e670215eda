//go:build !js

package widget

import (
	"bytes"
	"context"
	"io"
	"net/http"

	"github.com/coder/websocket"
)

// dial opens a websocket with github.com/coder/websocket.
func (c *Client) dial(ctx context.Context, url string) (socket, error) {
	conn, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		return nil, err
	}
	conn.SetReadLimit(maxFrame)
	return nativeSocket{conn}, nil
}

// nativeSocket is a socket over github.com/coder/websocket.
type nativeSocket struct{ c *websocket.Conn }

func (n nativeSocket) Read(ctx context.Context) ([]byte, error) {
	_, b, err := n.c.Read(ctx)
	return b, err
}

func (n nativeSocket) Write(ctx context.Context, data []byte) error {
	return n.c.Write(ctx, websocket.MessageText, data)
}

func (n nativeSocket) CloseNow() error { return n.c.CloseNow() }

// do makes one HTTP call with net/http's default client (native builds:
// tests).
func (c *Client) do(ctx context.Context, method, url string, header map[string]string, body []byte) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return 0, nil, err
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, 8<<20))
	return res.StatusCode, data, err
}
