package webfetch

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"halochat/app/protocol"
)

// Upload POSTs file as the multipart field "file" to url with the
// browser's XMLHttpRequest (fetch reports no upload progress), with the
// given headers. progress gets the percentage sent; done gets the
// answer's status and body (status 0: no answer). Both run in the
// browser's event loop: dispatch from them to change a component.
func Upload(url string, header map[string]string, file app.Value, progress func(percent int), done func(status int, body string)) {
	form := app.Window().Get("FormData").New()
	form.Call("append", "file", file)
	xhr := app.Window().Get("XMLHttpRequest").New()
	xhr.Call("open", "POST", url)
	for k, v := range header {
		xhr.Call("setRequestHeader", k, v)
	}
	var onProgress, onDone app.Func
	onProgress = app.FuncOf(func(this app.Value, args []app.Value) any {
		if ev := args[0]; ev.Get("lengthComputable").Bool() && ev.Get("total").Float() > 0 {
			progress(int(100 * ev.Get("loaded").Float() / ev.Get("total").Float()))
		}
		return nil
	})
	onDone = app.FuncOf(func(this app.Value, args []app.Value) any {
		status, body := xhr.Get("status").Int(), xhr.Get("responseText").String()
		onProgress.Release()
		onDone.Release()
		done(status, body)
		return nil
	})
	xhr.Get("upload").Set("onprogress", onProgress)
	xhr.Set("onloadend", onDone)
	xhr.Call("send", form)
}

// UploadRefusal is why an upload answered status and body was refused:
// the server's message (without its "file: " prefix), or fallback when
// there was no answer or it carried none.
func UploadRefusal(status int, body, fallback string) string {
	var eb protocol.ErrorBody
	if status != 0 && json.Unmarshal([]byte(body), &eb) == nil && eb.Error.Message != "" {
		return strings.TrimPrefix(eb.Error.Message, "file: ")
	}
	return fallback
}

// SizeText writes a file size as people read it, in English.
func SizeText(n int64) string { return SizeIn(n, "bytes KB MB .") }

// SizeIn writes a file size in a language's units and decimal mark,
// given as i18n.SizeUnits has them ("octets Ko Mo ,": "1,5 Mo").
func SizeIn(n int64, units string) string {
	u := strings.Fields(units)
	if len(u) != 4 {
		u = []string{"bytes", "KB", "MB", "."}
	}
	switch {
	case n >= 1<<20:
		return strings.Replace(fmt.Sprintf("%.1f", float64(n)/(1<<20)), ".", u[3], 1) + " " + u[2]
	case n >= 1<<10:
		return fmt.Sprintf("%d %s", n>>10, u[1])
	}
	return fmt.Sprintf("%d %s", n, u[0])
}
