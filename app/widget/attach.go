package widget

import (
	"fmt"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"halochat/app/i18n"
	"halochat/app/protocol"
	"halochat/app/webfetch"
)

// The visitor's files: the attach button, paste and drag and drop send
// a file with XMLHttpRequest (fetch reports no upload progress) to
// POST /chat/api/v1/chats/{id}/attachments; the message that carries it
// comes back over the chat's stream like any other. Files are read with
// the chat's resume secret in a header, so an image is fetched as a blob
// and previewed from a blob: URL, and any other file downloaded the same
// way.

// upload is the file being sent, or the last one's refusal.
type upload struct {
	name    string
	percent int    // 0–100 while sending
	err     string // why the last file was refused; "" when it was not
	busy    bool
}

// paperclip is the attach icon, drawn: an emoji is an empty box where
// no colour emoji font is installed.
const paperclip = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"><path d="M21 11.5l-8.6 8.6a5.5 5.5 0 0 1-7.8-7.8l8.6-8.6a3.7 3.7 0 0 1 5.2 5.2l-8.6 8.6a1.8 1.8 0 0 1-2.6-2.6l7.9-7.9"/></svg>`

// attachFiles sends the first file of a FileList (input, paste, drop).
func (w *Window) attachFiles(ctx app.Context, files app.Value) {
	if files.IsUndefined() || files.IsNull() || files.Length() == 0 {
		return
	}
	w.attachFile(ctx, files.Index(0))
}

// attachFile sends file into the chat, reporting progress and the
// server's refusal (413: too large, 415: a type not taken) in w.sending.
func (w *Window) attachFile(ctx app.Context, file app.Value) {
	if w.conv == nil || w.conv.Ended() || w.sending.busy {
		return
	}
	name := file.Get("name").String()
	w.sending = upload{name: name, busy: true}
	webfetch.Upload(w.client.Base+"/chat/api/v1/chats/"+w.conv.ChatID+"/attachments",
		map[string]string{protocol.HeaderResumeSecret: w.secret}, file,
		func(pct int) { ctx.Dispatch(func(ctx app.Context) { w.sending.percent = pct }) },
		func(status int, body string) { ctx.Dispatch(func(ctx app.Context) { w.attached(status, body) }) })
}

// attached takes the answer to an upload.
func (w *Window) attached(status int, body string) {
	name := w.sending.name
	w.sending = upload{}
	if status == 201 {
		return
	}
	msg := webfetch.UploadRefusal(status, body, w.t(i18n.AttachFailedOffline))
	w.sending.err = w.f(i18n.AttachFailed, name, msg)
}

// renderAttach is the composer's attach button (a label for a hidden
// file input), and the upload's progress or refusal.
func (w *Window) renderAttach() app.UI {
	off := w.conv == nil || w.conv.Ended() || w.sending.busy
	return app.Elem("div").Class("hc-attach").Body(
		app.Elem("label").Class("hc-attach-button").Aria("label", w.t(i18n.Attach)).Attr("title", w.t(i18n.Attach)).Body(
			app.Raw(paperclip),
			input("hc-file", "hc-file", "file").Attr("disabled", off).
				On("change", func(ctx app.Context, e app.Event) {
					input := e.Get("target")
					w.attachFiles(ctx, input.Get("files"))
					input.Set("value", "")
				}),
		),
		app.If(w.sending.busy, func() app.UI {
			return para("hc-upload", w.f(i18n.Uploading, w.sending.name, w.sending.percent)).ID("hc-upload").Role("status")
		}),
		app.If(w.sending.err != "", func() app.UI {
			return para("hc-upload-error", w.sending.err).ID("hc-upload-error").Role("alert")
		}),
	)
}

// onPaste sends a file pasted into the composer (a screenshot).
func (w *Window) onPaste(ctx app.Context, e app.Event) {
	files := e.Get("clipboardData").Get("files")
	if !files.IsUndefined() && files.Length() > 0 {
		e.PreventDefault()
		w.attachFiles(ctx, files)
	}
}

// onDrop sends a file dropped on the window; onDragOver lets it drop.
func (w *Window) onDrop(ctx app.Context, e app.Event) {
	e.PreventDefault()
	if dt := e.Get("dataTransfer"); !dt.IsUndefined() && !dt.IsNull() {
		w.attachFiles(ctx, dt.Get("files"))
	}
}

func (w *Window) onDragOver(ctx app.Context, e app.Event) { e.PreventDefault() }

// AttachmentView shows a file a message carries: a raster image as a
// preview, anything else as a download, both fetched with the chat's
// resume secret.
type AttachmentView struct {
	app.Compo
	Base, Secret string
	File         protocol.Attachment
	Units        string // i18n.SizeUnits in the window's language
	src          string // the image's blob: URL once fetched
}

// OnMount fetches an image to preview.
func (v *AttachmentView) OnMount(ctx app.Context) {
	if previewable(v.File.ContentType) {
		v.fetch(ctx, func(url string) { v.src = url })
	}
}

// OnDismount frees the preview.
func (v *AttachmentView) OnDismount() {
	if v.src != "" {
		app.Window().Get("URL").Call("revokeObjectURL", v.src)
	}
}

// fetch reads the file as a blob and hands its blob: URL to then.
func (v *AttachmentView) fetch(ctx app.Context, then func(url string)) {
	xhr := app.Window().Get("XMLHttpRequest").New()
	xhr.Call("open", "GET", v.Base+v.File.URL)
	xhr.Call("setRequestHeader", protocol.HeaderResumeSecret, v.Secret)
	xhr.Set("responseType", "blob")
	var done app.Func
	done = app.FuncOf(func(this app.Value, args []app.Value) any {
		done.Release()
		if xhr.Get("status").Int() == 200 {
			url := app.Window().Get("URL").Call("createObjectURL", xhr.Get("response")).String()
			ctx.Dispatch(func(ctx app.Context) { then(url) })
		}
		return nil
	})
	xhr.Set("onloadend", done)
	xhr.Call("send")
}

// download saves the file: a link to its blob, clicked.
func (v *AttachmentView) download(ctx app.Context, e app.Event) {
	e.PreventDefault()
	v.fetch(ctx, func(url string) {
		a := app.Window().Get("document").Call("createElement", "a")
		a.Set("href", url)
		a.Set("download", v.File.Name)
		a.Call("click")
		app.Window().Call("setTimeout", app.FuncOf(func(this app.Value, args []app.Value) any {
			app.Window().Get("URL").Call("revokeObjectURL", url)
			return nil
		}), 10000)
	})
}

// Render shows the preview (a link saving the file) or the file's name
// and size.
func (v *AttachmentView) Render() app.UI {
	label := fmt.Sprintf("%s (%s)", v.File.Name, webfetch.SizeIn(v.File.Size, v.Units))
	link := app.Elem("a").Class("hc-file-link").Attr("href", "#").Attr("title", label).On("click", v.download)
	if v.src != "" {
		return app.Elem("div").Class("hc-attachment").Body(link.Body(
			app.ElemSelfClosing("img").Class("hc-preview").Attr("src", v.src).Attr("alt", v.File.Name)))
	}
	return app.Elem("div").Class("hc-attachment").Body(link.Body(app.Raw(paperclip), app.Elem("span").Text(label)))
}

// previewable: the raster types the server serves inline.
func previewable(ct string) bool {
	switch ct {
	case "image/png", "image/jpeg", "image/gif", "image/webp":
		return true
	}
	return false
}
