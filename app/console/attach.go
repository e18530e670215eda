package console

import (
	"fmt"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"halochat/app/protocol"
	"halochat/app/webfetch"
)

// An agent's files: the attach button, paste and drag and drop on the
// composer send a file to POST /api/Chat/{id}/attachments with
// XMLHttpRequest (for its upload progress) and the session cookie; the
// message carrying it arrives on the agent socket like any other. Files
// are read at /api/Chat/{id}/attachments/{file} with the same cookie: a
// raster image shows as a preview, anything else is a download.

// agentUpload is the file being sent, or the last one's refusal.
type agentUpload struct {
	name    string
	percent int
	err     string
	busy    bool
}

// paperclip is the attach icon, drawn: an emoji is an empty box where
// no colour emoji font is installed.
const paperclip = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"><path d="M21 11.5l-8.6 8.6a5.5 5.5 0 0 1-7.8-7.8l8.6-8.6a3.7 3.7 0 0 1 5.2 5.2l-8.6 8.6a1.8 1.8 0 0 1-2.6-2.6l7.9-7.9"/></svg>`

// attachFiles sends the first file of a FileList into the current chat.
func (p *AgentPage) attachFiles(ctx app.Context, files app.Value) {
	if files.IsUndefined() || files.IsNull() || files.Length() == 0 || p.upload.busy || p.current == "" {
		return
	}
	file, chatID := files.Index(0), p.current
	p.upload = agentUpload{name: file.Get("name").String(), busy: true}
	webfetch.Upload("/api/Chat/"+chatID+"/attachments", nil, file,
		func(pct int) { ctx.Dispatch(func(ctx app.Context) { p.upload.percent = pct }) },
		func(status int, body string) { ctx.Dispatch(func(ctx app.Context) { p.attached(status, body) }) })
}

// attached takes the answer to an upload.
func (p *AgentPage) attached(status int, body string) {
	name := p.upload.name
	p.upload = agentUpload{}
	if status == 201 {
		return
	}
	msg := webfetch.UploadRefusal(status, body, "the upload failed; check the file's size and your connection")
	p.upload.err = fmt.Sprintf("%s was not sent: %s", name, msg)
}

// renderAttach is the composer's attach button and the upload's state.
func (p *AgentPage) renderAttach() app.UI {
	return app.Div().Class("cc-attach").Body(
		app.Label().Class("cc-attach-button").Title("Attach a file").Aria("label", "Attach a file").Body(
			app.Raw(paperclip),
			app.Input().ID("cc-file").Class("cc-file").Type("file").Disabled(p.upload.busy).
				OnChange(func(ctx app.Context, e app.Event) {
					input := e.Get("target")
					p.attachFiles(ctx, input.Get("files"))
					input.Set("value", "")
				}),
		),
		app.If(p.upload.busy, func() app.UI {
			return app.Span().ID("cc-upload").Class("cc-muted").Role("status").
				Text(fmt.Sprintf("Sending %s… %d%%", p.upload.name, p.upload.percent))
		}),
		app.If(p.upload.err != "", func() app.UI {
			return app.Span().ID("cc-upload-error").Class("cc-error").Role("alert").Text(p.upload.err)
		}),
	)
}

// onPaste sends a file pasted into the composer.
func (p *AgentPage) onPaste(ctx app.Context, e app.Event) {
	if files := e.Get("clipboardData").Get("files"); !files.IsUndefined() && files.Length() > 0 {
		e.PreventDefault()
		p.attachFiles(ctx, files)
	}
}

// onDrop sends a file dropped on the conversation; onDragOver lets it.
func (p *AgentPage) onDrop(ctx app.Context, e app.Event) {
	e.PreventDefault()
	if dt := e.Get("dataTransfer"); !dt.IsUndefined() && !dt.IsNull() {
		p.attachFiles(ctx, dt.Get("files"))
	}
}

func (p *AgentPage) onDragOver(ctx app.Context, e app.Event) { e.PreventDefault() }

// attachmentView shows a message's file: a raster image as a preview
// linking to it, anything else as a download link with its size.
func attachmentView(a *protocol.Attachment) app.UI {
	url := a.AgentURL()
	label := fmt.Sprintf("%s (%s)", a.Name, webfetch.SizeText(a.Size))
	switch a.ContentType {
	case "image/png", "image/jpeg", "image/gif", "image/webp":
		return app.A().Class("cc-attachment").Href(url).Target("_blank").Rel("noopener").Title(label).Body(
			app.Img().Class("cc-preview").Src(url).Alt(a.Name))
	}
	return app.A().Class("cc-attachment").Href(url).Attr("download", a.Name).Body(app.Raw(paperclip), app.Span().Text(label))
}
