package browsertest

import (
	"bytes"
	"testing"

	"halochat/app/i18n"
)

// TestGermanVisitorReadsTheRefusalInGerman: in a German browser the demo
// profile (automatic language) starts a German chat; a file over the
// profile's limit is refused (413) with the service's reason in German,
// its size unit too, inside the widget's own German frame.
func TestGermanVisitorReadsTheRefusalInGerman(t *testing.T) {
	s := startStack(t)
	s.limitAttachments(t, 64<<10)
	paths := files(t, map[string][]byte{"gross.txt": bytes.Repeat([]byte("0123456789abcdef\n"), (100<<10)/17)})
	b, _ := s.visitorOn(t, Options{Languages: "de-DE,de"}, "")
	b.dispatch(t, "openChatWindow", map[string]any{})
	b.waitEvent(t, "chatStarted", 1)
	w := b.widget(t, s.serviceURL)
	waitText(t, w, "#hc-end", i18n.T(i18n.German, i18n.EndChat))
	b.Allow("status of 413 (Request Entity Too Large)")
	pick(t, w, "#hc-file", paths["gross.txt"])
	b.expectBanner(t, w, "#hc-upload-error", "gross.txt wurde nicht gesendet: Die Datei ist größer als die Grenze von 64 KiB")
}
