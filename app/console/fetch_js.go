//go:build js

package console

import (
	"context"
	"errors"
	"syscall/js"
)

// fetch makes one same-origin HTTP call with the browser's fetch, sending
// the session cookie (net/http would add megabytes to the wasm).
func fetch(ctx context.Context, method, url string, body []byte) (int, []byte, error) {
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
	init.Set("credentials", "same-origin")
	init.Set("signal", abort.Get("signal"))
	h := js.Global().Get("Object").New()
	h.Set("Accept", "application/json")
	if body != nil {
		h.Set("Content-Type", "application/json")
		init.Set("body", string(body))
	}
	init.Set("headers", h)
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
	js.Global().Call("fetch", url, init).Call("then", onResponse, onError)
	select {
	case r := <-done:
		return r.status, []byte(r.body), r.err
	case <-ctx.Done():
		abort.Call("abort")
		<-done
		return 0, nil, ctx.Err()
	}
}

// copyText puts text on the clipboard; a refusal (no permission, page
// not focused) is only logged: the snippet stays on screen to copy by hand.
func copyText(text string) {
	c := js.Global().Get("navigator").Get("clipboard")
	if !c.Truthy() {
		return
	}
	var onError js.Func
	onError = js.FuncOf(func(this js.Value, args []js.Value) any {
		js.Global().Get("console").Call("warn", "copy to the clipboard refused; select the snippet and copy it by hand")
		onError.Release()
		return nil
	})
	c.Call("writeText", text).Call("catch", onError)
}
