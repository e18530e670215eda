//go:build js

package widget

import (
	"context"

	"github.com/coder/websocket"

	"halochat/app/webfetch"
)

// dialOptions: in the browser the WebSocket API decides (its Origin is the
// iframe's, which is the service's own).
func (c *Client) dialOptions() *websocket.DialOptions { return nil }

// do makes one HTTP call with the browser's fetch, without cookies (but
// on the portal page, see SendCookies).
func (c *Client) do(ctx context.Context, method, url string, header map[string]string, body []byte) (int, []byte, error) {
	creds := "omit"
	if c.SendCookies {
		creds = "same-origin"
	}
	return webfetch.Do(ctx, webfetch.Request{Method: method, URL: url, Header: header, Body: body, Credentials: creds})
}
