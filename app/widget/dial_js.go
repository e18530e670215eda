//go:build js

package widget

import (
	"context"
	"errors"
	"syscall/js"

	"github.com/coder/websocket"
)

// dialOptions: in the browser the WebSocket API decides (its Origin is the
// iframe's, which is the service's own).
func (c *Client) dialOptions() *websocket.DialOptions { return nil }

// do makes one HTTP call with the browser's fetch. Using net/http's client
// here would add about 5 MB (1 MB brotli) to the widget's wasm for the
// same fetch underneath (measured: docs/BENCHMARKS.md).
func (c *Client) do(ctx context.Context, method, url string, header map[string]string, body []byte) (int, []byte, error) {
	type result struct {
		status int
		body   string
		err    error
	}
	done := make(chan result, 1)
	report := func(r result) {
		select {
		case done <- r:
		default:
		}
	}
	abort := js.Global().Get("AbortController").New()
	init := js.Global().Get("Object").New()
	init.Set("method", method)
	init.Set("credentials", "omit") // the widget uses no cookies
	init.Set("signal", abort.Get("signal"))
	h := js.Global().Get("Object").New()
	for k, v := range header {
		h.Set(k, v)
	}
	init.Set("headers", h)
	if body != nil {
		init.Set("body", string(body))
	}
	var onResponse, onText, onError js.Func
	status := 0
	onError = js.FuncOf(func(this js.Value, args []js.Value) any {
		msg := "fetch failed"
		if len(args) > 0 {
			msg = args[0].Call("toString").String()
		}
		report(result{err: errors.New(msg)})
		return nil
	})
	onText = js.FuncOf(func(this js.Value, args []js.Value) any {
		report(result{status: status, body: args[0].String()})
		return nil
	})
	onResponse = js.FuncOf(func(this js.Value, args []js.Value) any {
		status = args[0].Get("status").Int()
		args[0].Call("text").Call("then", onText, onError)
		return nil
	})
	defer func() {
		onResponse.Release()
		onText.Release()
		onError.Release()
	}()
	js.Global().Call("fetch", url, init).Call("then", onResponse, onError)
	select {
	case r := <-done:
		return r.status, []byte(r.body), r.err
	case <-ctx.Done():
		abort.Call("abort")
		<-done // the rejection of the aborted fetch; the funcs are released after it
		return 0, nil, ctx.Err()
	}
}
