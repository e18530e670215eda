package chats

import (
	"strings"
	"testing"
	"time"

	"halochat/app/protocol"
	"halochat/backend/store"
)

// A ticket's transcript shows a file as its name, size and a link the
// agents can open (the service's URL and the agents' download path).
func TestTicketTranscriptLinksAttachments(t *testing.T) {
	at := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	file := &protocol.Attachment{ID: "f1", Name: "bill.pdf", Size: 3 << 20, ContentType: "application/pdf",
		URL: protocol.AttachmentURL("c1", "f1")}
	msgs := []store.Message{
		{ChatID: "c1", Seq: 1, Sender: store.SenderVisitor, Text: "my bill", CreatedAt: at},
		{ChatID: "c1", Seq: 2, Sender: store.SenderVisitor, Text: "bill.pdf", CreatedAt: at,
			Payload: payload(protocol.ChatMessage{Attachment: file})},
	}
	got := transcript(msgs, nil, "https://chat.example")
	want := "[2026-12-04 10:00:00Z] Visitor: my bill\n" +
		"[2026-12-04 10:00:00Z] Visitor: [file] bill.pdf (3 MiB) https://chat.example/api/Chat/c1/attachments/f1\n"
	if got != want {
		t.Errorf("transcript:\n%s\nwant:\n%s", got, want)
	}
	if a := *file; a.AgentURL() != "/api/Chat/c1/attachments/f1" || !strings.HasPrefix(a.URL, "/chat/api/v1/chats/c1/") {
		t.Errorf("agent URL %q of %q", a.AgentURL(), a.URL)
	}
}
