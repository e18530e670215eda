//go:build js

package console

import (
	"context"
	"syscall/js"

	"halochat/app/webfetch"
)

// fetch makes one same-origin HTTP call with the browser's fetch, sending
// the session cookie.
func fetch(ctx context.Context, method, url string, body []byte) (int, []byte, error) {
	h := map[string]string{"Accept": "application/json"}
	if body != nil {
		h["Content-Type"] = "application/json"
	}
	return webfetch.Do(ctx, webfetch.Request{Method: method, URL: url, Header: h, Body: body, Credentials: "same-origin"})
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
