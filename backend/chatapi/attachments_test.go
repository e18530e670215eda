package chatapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"halochat/app/protocol"
	"halochat/backend/service"
	"halochat/backend/store"
	"halochat/backend/testenv/loopback"
)

// pngBytes is a 1×1 PNG.
var pngBytes = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89" +
	"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")

// upload POSTs content as the multipart field "file" named name, with
// the header pairs, and decodes the answer into out.
func upload(t *testing.T, url, name string, content []byte, out any, header ...string) int {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = fw.Write(content)
	_ = mw.Close()
	req, _ := http.NewRequest("POST", url, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("upload %s: %v", name, err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatalf("upload %s: %d, undecodable answer: %v", name, resp.StatusCode, err)
	}
	return resp.StatusCode
}

// download GETs url with the header pairs.
func download(t *testing.T, url string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("download %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// storedFiles counts the attachment and chunk rows of chat id (every
// chat's when id is "").
func storedFiles(t *testing.T, st *store.Store, id string) (files, chunks int) {
	t.Helper()
	ctx := context.Background()
	q := "SELECT count(*) FROM attachments"
	qc := "SELECT count(*) FROM attachment_chunks"
	var args []any
	if id != "" {
		q += " WHERE chat_id = ?"
		qc += " WHERE attachment_id IN (SELECT id FROM attachments WHERE chat_id = ?)"
		args = append(args, id)
	}
	if err := st.DB().QueryRowContext(ctx, q, args...).Scan(&files); err != nil {
		t.Fatal(err)
	}
	if err := st.DB().QueryRowContext(ctx, qc, args...).Scan(&chunks); err != nil {
		t.Fatal(err)
	}
	return files, chunks
}

// A visitor's file is stored and served as its bytes say, never as its
// name says; a file over the profile's limit is a 413 naming it, one of a
// kind the profile does not take a 415 naming those it takes, and
// neither leaves a row behind.
func TestVisitorAttachments(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		p, _ := e.st.GetProfile(ctx, e.demo.Profile.ID)
		p.Attachments = store.AttachmentSettings{MaxBytes: 600 << 10}
		if err := e.st.UpdateProfile(ctx, p); err != nil {
			t.Fatal(err)
		}
		n := e.node(nodeOpts{})
		big := bytes.Repeat([]byte("all work and no play\n"), (600<<10)/21) // just under 600 KiB: three chunks
		tests := []struct {
			name        string
			content     []byte
			status      int
			contentType string
			disposition string // of the download
			inMessage   string // refusal's words
		}{
			{"pixel.png", pngBytes, http.StatusCreated, "image/png", "inline", ""},
			{"notes.txt", big, http.StatusCreated, "text/plain; charset=utf-8", "attachment", ""},
			{"report.pdf", []byte("%PDF-1.4\n1 0 obj\n<<>>\nendobj\n"), http.StatusCreated, "application/pdf", "attachment", ""},
			{"evil.png", []byte("<!DOCTYPE html><html><script>alert(1)</script></html>"), http.StatusUnsupportedMediaType, "", "", "text/html"},
			{"logo.svg", []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>`), http.StatusUnsupportedMediaType, "", "", "images, PDF, text files, office documents, zip archives"},
			{"huge.txt", append(big, bytes.Repeat([]byte("x"), 20<<10)...), http.StatusRequestEntityTooLarge, "", "", "600 KiB"},
			{"empty.txt", nil, http.StatusBadRequest, "", "", "empty"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				resp := n.mustStart(protocol.StartChatRequest{})
				base := n.url + "/chat/api/v1/chats/" + resp.ChatID + "/attachments"
				var raw json.RawMessage
				code := upload(t, base, tt.name, tt.content, &raw, protocol.HeaderResumeSecret, resp.ResumeSecret, "Origin", n.url)
				if code != tt.status {
					t.Fatalf("upload: %d %s, want %d", code, raw, tt.status)
				}
				if tt.status != http.StatusCreated {
					if !strings.Contains(string(raw), tt.inMessage) || !strings.Contains(string(raw), `"field":"file"`) {
						t.Errorf("refusal %s: want the field file and %q", raw, tt.inMessage)
					}
					if f, c := storedFiles(t, e.st, resp.ChatID); f+c != 0 {
						t.Errorf("refused, yet %d attachments and %d chunks stored", f, c)
					}
					return
				}
				var a protocol.Attachment
				_ = json.Unmarshal(raw, &a)
				if a.Name != tt.name || a.Size != int64(len(tt.content)) || a.ContentType != tt.contentType ||
					a.URL != protocol.AttachmentURL(resp.ChatID, a.ID) {
					t.Errorf("attachment %+v, want %s of %d bytes, %s", a, tt.name, len(tt.content), tt.contentType)
				}
				checkAttachmentMessage(t, n, resp.ChatID, resp.ResumeSecret, a)
				dl, body := download(t, n.url+a.URL, protocol.HeaderResumeSecret, resp.ResumeSecret)
				h := dl.Header
				if dl.StatusCode != 200 || !bytes.Equal(body, tt.content) || h.Get("Content-Type") != tt.contentType ||
					!strings.HasPrefix(h.Get("Content-Disposition"), tt.disposition+";") ||
					h.Get("X-Content-Type-Options") != "nosniff" || !strings.HasPrefix(h.Get("Content-Security-Policy"), "sandbox") {
					t.Errorf("download: %d, %d bytes, headers %v", dl.StatusCode, len(body), h)
				}
			})
		}
	})
}

// checkAttachmentMessage fails unless the chat's last message is the
// visitor's carrying a.
func checkAttachmentMessage(t *testing.T, n *node, chatID, secret string, a protocol.Attachment) {
	t.Helper()
	var poll protocol.PollResponse
	n.call("GET", "/chat/api/v1/chats/"+chatID+"/messages?after=0", nil, &poll, hdr(secret)...)
	if len(poll.Messages) == 0 {
		t.Fatal("no messages")
	}
	m := poll.Messages[len(poll.Messages)-1]
	if m.From != protocol.FromVisitor || m.Attachment == nil || *m.Attachment != a || m.Text != a.Name {
		t.Errorf("last message %+v, want the visitor's carrying %+v", m, a)
	}
}

// An agent attaches to its live chat through the agent API; the file
// reaches the visitor, who reads it with the chat's secret. Another
// chat's visitor, an agent the profile's visibility keeps out and an
// agent writing to a chat that is not theirs are refused; the files
// (in a directory here, --files) go with their chat.
func TestAgentAttachmentsAccessAndDeletion(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		p, _ := e.st.GetProfile(ctx, e.demo.Profile.ID)
		p.AgentChatVisibility = store.VisibilityQueueAndOwn
		if err := e.st.UpdateProfile(ctx, p); err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		s := loopback.Start(t, loopback.Options{DSN: e.dsn, Store: e.st, FilesDir: dir,
			Limits: service.Limits{StartsPerMinute: -1}})
		n := &node{e: e, url: s.URL, svc: s.Chats, broker: s.Broker, auth: s.Auth, rt: s.Realtime, api: s.SameOrigin()}
		e.extraAgent("other@example.com", "Other", "password-other-123")
		mine := n.agentToken(e.demo.Agent.Email, e.demo.Agent.Password)
		other := n.agentToken("other@example.com", "password-other-123")
		agentClient(t, n, mine) // an agent online: the flow queues the chat
		started := n.mustStart(protocol.StartChatRequest{})
		chatID, visitorSecret := started.ChatID, hdr(started.ResumeSecret)
		v := visitor(t, n, chatID, started.ResumeSecret, started.Chat.LastSeq)
		choose(v, "v1", 2)
		v.messagesUntil(chatID, func(m protocol.ChatMessage) bool { return m.Event == protocol.EventQueued })
		if code := n.call("POST", "/api/Chat/"+chatID+"/accept", nil, nil, "Authorization", "Bearer "+mine); code != 200 {
			t.Fatalf("accept: %d", code)
		}
		var a protocol.Attachment
		if code := upload(t, n.url+"/api/Chat/"+chatID+"/attachments", "pixel.png", pngBytes, &a, "Authorization", "Bearer "+mine); code != 201 {
			t.Fatalf("agent upload: %d %+v", code, a)
		}
		var eb protocol.ErrorBody
		if code := upload(t, n.url+"/api/Chat/"+chatID+"/attachments", "pixel.png", pngBytes, &eb, "Authorization", "Bearer "+other); code != 403 {
			t.Errorf("another agent's upload: %d %+v, want 403", code, eb)
		}
		if _, err := os.Stat(filepath.Join(dir, a.ID)); err != nil {
			t.Fatalf("the file is not in the files directory: %v", err)
		}
		stranger := n.mustStart(protocol.StartChatRequest{})
		agentURL := n.url + protocol.AgentAttachmentURL(chatID, a.ID)
		for _, tc := range []struct {
			name   string
			url    string
			header []string
			status int
		}{
			{"the chat's agent", agentURL, []string{"Authorization", "Bearer " + mine}, 200},
			{"an agent the visibility keeps out", agentURL, []string{"Authorization", "Bearer " + other}, 403},
			{"no one", agentURL, nil, 401},
			{"another chat's visitor", n.url + a.URL, hdr(stranger.ResumeSecret), 404},
			{"another chat's visitor, at their own chat", n.url + protocol.AttachmentURL(stranger.ChatID, a.ID), hdr(stranger.ResumeSecret), 404},
			{"the chat's visitor", n.url + a.URL, visitorSecret, 200},
		} {
			resp, body := download(t, tc.url, tc.header...)
			if resp.StatusCode != tc.status || (tc.status == 200 && !bytes.Equal(body, pngBytes)) {
				t.Errorf("%s: %d (%d bytes), want %d", tc.name, resp.StatusCode, len(body), tc.status)
			}
		}
		if err := n.svc.DeleteChat(ctx, chatID); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(dir, a.ID)); !os.IsNotExist(err) {
			t.Errorf("the deleted chat's file is still there: %v", err)
		}
		if f, c := storedFiles(t, e.st, chatID); f+c != 0 {
			t.Errorf("the deleted chat left %d attachments and %d chunks", f, c)
		}
	})
}
