//go:build !js

package widget

import (
	"bytes"
	"context"
	"io"
	"net/http"

	"github.com/coder/websocket"
)

// dialOptions use the client's HTTP client (tests give one).
func (c *Client) dialOptions() *websocket.DialOptions {
	return &websocket.DialOptions{HTTPClient: c.HTTP}
}

// do makes one HTTP call with net/http (native builds: tests).
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
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	res, err := hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, 8<<20))
	return res.StatusCode, data, err
}
