package browsertest

import (
	"bytes"
	"context"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"halochat/app/protocol"
	"halochat/backend/store"
)

// pixelPNG is a 1×1 PNG.
var pixelPNG = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89" +
	"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")

// files writes the named files into a new folder and returns their paths.
func files(t *testing.T, contents map[string][]byte) map[string]string {
	t.Helper()
	dir := t.TempDir()
	paths := map[string]string{}
	for name, b := range contents {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		paths[name] = p
	}
	return paths
}

// pick gives the file input selector the file at path, as choosing it
// in the file dialog does.
func pick(t *testing.T, ctx context.Context, selector, path string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.SetUploadFiles(chromedp.CSS(selector), []string{path})); err != nil {
		t.Fatalf("pick %s for %s: %v", path, selector, err)
	}
}

// waitImage waits until an image matching selector has loaded.
func waitImage(t *testing.T, ctx context.Context, selector string) {
	t.Helper()
	js := `(function(){var i=document.querySelector(` + jsString(selector) + `);return !!i&&i.complete&&i.naturalWidth>0})()`
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		got, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerHTML`))
		t.Fatalf("no loaded image %s: %v\n%s", selector, err, got)
	}
}

// limitAttachments sets the demo profile's attachment size limit.
func (s *stack) limitAttachments(t *testing.T, maxBytes int64) {
	t.Helper()
	ctx := context.Background()
	p, err := s.store.GetProfile(ctx, s.demo.Profile.ID)
	if err != nil {
		t.Fatal(err)
	}
	p.Attachments = store.AttachmentSettings{MaxBytes: maxBytes}
	if err := s.store.UpdateProfile(ctx, p); err != nil {
		t.Fatal(err)
	}
}

// TestWidgetAttachmentsRefusedAndAccepted: the visitor attaches files
// with the composer's button. An HTML file named .png is refused (415)
// and a file over the profile's limit too (413), each with the server's
// reason shown; a PNG is sent and previewed in the conversation.
func TestWidgetAttachmentsRefusedAndAccepted(t *testing.T) {
	s := startStack(t)
	s.limitAttachments(t, 64<<10)
	paths := files(t, map[string][]byte{
		"evil.png":  []byte("<!DOCTYPE html><html><body><script>parent.postMessage('pwned','*')</script></body></html>"),
		"big.txt":   bytes.Repeat([]byte("0123456789abcdef\n"), (100<<10)/17),
		"pixel.png": pixelPNG,
	})
	b, _ := s.visitorOn(t, Options{}, "")
	b.dispatch(t, "openChatWindow", map[string]any{})
	b.waitEvent(t, "chatStarted", 1)
	w := b.widget(t, s.serviceURL)
	waitText(t, w, ".hc-choice", "Talk to a person")

	// The refusals the test provokes, as the browser logs them.
	b.Allow("status of 415 (Unsupported Media Type)")
	b.Allow("status of 413 (Request Entity Too Large)")
	pick(t, w, "#hc-file", paths["evil.png"])
	b.expectBanner(t, w, "#hc-upload-error", "evil.png was not sent: files of type text/html are not accepted; allowed are images, PDF, text files, office documents, zip archives")
	pick(t, w, "#hc-file", paths["big.txt"])
	b.expectBanner(t, w, "#hc-upload-error", "big.txt was not sent: the file is larger than the limit of 64 KiB")
	pick(t, w, "#hc-file", paths["pixel.png"])
	waitImage(t, w, ".hc-from-visitor .hc-attachment img.hc-preview")
	waitText(t, w, ".hc-choice", "Talk to a person") // a file answers no question: the menu stays
	if got := evalIn(t, w, `document.querySelector("#hc-upload-error") === null`); got != "true" {
		t.Errorf("the refusal is still shown after a file was sent")
	}
	// Dropped on the window, and pasted into the composer (a screenshot).
	for _, tc := range []struct{ name, js string }{
		{"dropped.png", `document.getElementById("hc-root").dispatchEvent(new DragEvent("drop", {dataTransfer: dt, bubbles: true, cancelable: true}))`},
		{"pasted.png", `document.getElementById("hc-input").dispatchEvent(new ClipboardEvent("paste", {clipboardData: dt, bubbles: true, cancelable: true}))`},
	} {
		evalIn(t, w, `(function(){var dt = new DataTransfer(); dt.items.add(new File([new Uint8Array(`+jsonBytes(pixelPNG)+`)], `+
			jsString(tc.name)+`, {type: "image/png"})); `+tc.js+`; return true})()`)
		waitImage(t, w, `.hc-from-visitor .hc-preview[alt=`+jsString(tc.name)+`]`)
	}
	b.Screenshot(t, "widget-attachment")
}

// upload attaches a file as the visitor, over the widget's API.
func (v *visitorChat) upload(t *testing.T, name string, content []byte) protocol.Attachment {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", name)
	_, _ = fw.Write(content)
	_ = mw.Close()
	req, _ := http.NewRequest("POST", v.s.serviceURL+"/chat/api/v1/chats/"+v.id+"/attachments", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set(protocol.HeaderResumeSecret, v.secret)
	req.Header.Set("Origin", v.s.serviceURL)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var a protocol.Attachment
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("visitor upload %s: %d %+v %v", name, resp.StatusCode, a, err)
	}
	return a
}

// TestAgentSeesAndSendsAttachments: the visitor's image shows as a
// preview in the agent's console; the agent attaches a text file with
// the composer's button (it reaches the visitor) and an HTML file is
// refused with the server's reason.
func TestAgentSeesAndSendsAttachments(t *testing.T) {
	s := startStack(t)
	agent := s.agentOnline(t)
	v := s.startVisitor(t, nil)
	v.choose(t, "Talk to a person")
	waitText(t, agent.Ctx, `.cc-queued[data-chat="`+v.id+`"]`, "waiting")
	agent.accept(t, v.id)

	v.upload(t, "screenshot.png", pixelPNG)
	waitImage(t, agent.Ctx, ".cc-from-visitor img.cc-preview")

	paths := files(t, map[string][]byte{
		"notes.txt": []byte("order 77: the parcel was left with a neighbour\n"),
		"page.html": []byte("<html><body><script>alert(1)</script></body></html>"),
	})
	agent.Allow("status of 415 (Unsupported Media Type)")
	pick(t, agent.Ctx, "#cc-file", paths["page.html"])
	agent.expectBanner(t, agent.Ctx, "#cc-upload-error", "page.html was not sent: files of type text/html are not accepted")
	pick(t, agent.Ctx, "#cc-file", paths["notes.txt"])
	waitText(t, agent.Ctx, ".cc-from-agent .cc-attachment", "notes.txt")
	if got := agent.eval(t, `document.querySelector(".cc-from-agent a.cc-attachment").getAttribute("download")`); got != "notes.txt" {
		t.Errorf("the text file's link: download=%q, want a download", got)
	}
	var poll protocol.PollResponse
	v.s.api.For(t).Do("GET", "/chat/api/v1/chats/"+v.id+"/messages?after=0", nil, protocol.HeaderResumeSecret, v.secret).
		Expect(http.StatusOK).Decode(&poll)
	last := poll.Messages[len(poll.Messages)-1]
	if last.From != protocol.FromAgent || last.Attachment == nil || last.Attachment.Name != "notes.txt" ||
		last.Attachment.ContentType != "text/plain; charset=utf-8" {
		t.Errorf("the visitor's last message %+v, want the agent's notes.txt", last)
	}
}

// evalIn evaluates expr in ctx (a frame) and returns its value as JSON.
func evalIn(t *testing.T, ctx context.Context, expr string) string {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[json.RawMessage](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return string(v)
}

// jsonBytes is b as a JSON array of numbers.
func jsonBytes(b []byte) string {
	n := make([]int, len(b))
	for i, c := range b {
		n[i] = int(c)
	}
	out, _ := json.Marshal(n)
	return string(out)
}
