//go:build js

package webfetch

import (
	"context"
	"errors"
	"syscall/js"
)

// Request is one call.
type Request struct {
	Method, URL string
	Header      map[string]string
	Body        []byte // nil: no body
	// Credentials is fetch's credentials mode: "omit" (the widget: no
	// cookies) or "same-origin" (the console: its session cookie).
	Credentials string
}

// Do makes the call and returns the status and the body; ctx's end
// aborts it.
func Do(ctx context.Context, req Request) (int, []byte, error) {
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
	init.Set("method", req.Method)
	init.Set("credentials", req.Credentials)
	init.Set("signal", abort.Get("signal"))
	h := js.Global().Get("Object").New()
	for k, v := range req.Header {
		h.Set(k, v)
	}
	init.Set("headers", h)
	if req.Body != nil {
		init.Set("body", string(req.Body))
	}
	status := 0
	var onResponse, onText, onError js.Func
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
	js.Global().Call("fetch", req.URL, init).Call("then", onResponse, onError)
	select {
	case r := <-done:
		return r.status, []byte(r.body), r.err
	case <-ctx.Done():
		abort.Call("abort")
		<-done // the rejection of the aborted fetch; the funcs are released after it
		return 0, nil, ctx.Err()
	}
}
