package chatapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"halochat/app/protocol"
	"halochat/backend/demo"
	"halochat/backend/filelink"
	"halochat/backend/mail/smtptest"
	"halochat/backend/store"
	"halochat/backend/testenv"
)

// linkRE finds a transcript mail's file links.
var linkRE = regexp.MustCompile(`http://127\.0\.0\.1:\d+/chat/api/v1/files/\S+`)

// A German chat's transcript arrives in German, each file with a link
// that downloads it without secret or login, with the safety headers of
// the chat's own route, for filelink.Validity. A changed link is a 403
// that tells nothing of the file (a forged link to a file that does not
// exist answers the same), an expired one a 410, and so is the link of
// a file deleted since. Both databases; the service's clock is the
// test's.
func TestTranscriptMailInTheChatsLanguageLinksItsFiles(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		clk := testenv.NewClock(time.Now().UTC().Truncate(time.Second))
		st := testenv.OpenStore(t, e.dsn, func(ctx context.Context, dsn string) (*store.Store, error) {
			return store.OpenWithOptions(ctx, dsn, store.Options{Now: clk.Now})
		})
		clocked := *e
		clocked.st = st
		srv := smtptest.Start(t, smtptest.Options{})
		n := clocked.node(nodeOpts{mail: mailTo(t, srv)})

		resp := n.mustStart(protocol.StartChatRequest{Languages: []string{"de-DE", "en"}})
		if resp.Chat.Language != "de" {
			t.Fatalf("the chat's language is %q, want de", resp.Chat.Language)
		}
		pdf := []byte("%PDF-1.4\n1 0 obj\n<<>>\nendobj\n")
		files := map[string][]byte{"pixel.png": pngBytes, "bericht.pdf": pdf}
		for _, name := range []string{"pixel.png", "bericht.pdf"} {
			var a protocol.Attachment
			if code := upload(t, n.url+"/chat/api/v1/chats/"+resp.ChatID+"/attachments", name, files[name], &a,
				protocol.HeaderResumeSecret, resp.ResumeSecret, "Origin", n.url); code != http.StatusCreated {
				t.Fatalf("upload %s: %d", name, code)
			}
		}
		var q protocol.TranscriptMailQueued
		if code := n.call("POST", "/chat/api/v1/chats/"+resp.ChatID+"/transcript", protocol.TranscriptMailRequest{Email: "ada@example.com"},
			&q, hdr(resp.ResumeSecret)...); code != http.StatusAccepted {
			t.Fatalf("transcript: %d", code)
		}
		r := srv.Wait(t, 1, 20*time.Second)[0]
		body := r.Text()
		until := clk.Now().Add(filelink.Validity).UTC().Format("2006-01-02 15:04")
		if got := r.Header("Subject"); got != "Ihr Chat mit "+e.demo.Profile.Name {
			t.Errorf("subject %q, want German", got)
		}
		for _, want := range []string{"Hier ist der Verlauf Ihres Chats mit " + e.demo.Profile.Name, "Sie: Datei: pixel.png (",
			"Sie: Datei: bericht.pdf (", "gültig bis " + until + " (UTC)", "Bot: "} {
			if !strings.Contains(body, want) {
				t.Errorf("the mail does not say %q:\n%s", want, body)
			}
		}
		links := linkRE.FindAllString(body, -1)
		if len(links) != 2 {
			t.Fatalf("%d links in the mail, want 2:\n%s", len(links), body)
		}
		disposition := map[string]string{"pixel.png": "inline", "bericht.pdf": "attachment"}
		for i, name := range []string{"pixel.png", "bericht.pdf"} {
			dl, got := download(t, links[i])
			h := dl.Header
			if dl.StatusCode != 200 || !bytes.Equal(got, files[name]) || h.Get("X-Content-Type-Options") != "nosniff" ||
				!strings.HasPrefix(h.Get("Content-Security-Policy"), "sandbox") || h.Get("Cache-Control") != "no-store" ||
				!strings.HasPrefix(h.Get("Content-Disposition"), disposition[name]+";") {
				t.Errorf("link to %s: %d, %d bytes, headers %v", name, dl.StatusCode, len(got), h)
			}
		}

		link := links[1]
		fileID := strings.Split(strings.TrimPrefix(link[strings.Index(link, "/files/"):], "/files/"), "/")[1]
		fileID = fileID[:strings.IndexByte(fileID, '?')]
		sigOf := func(l string) string { return l[strings.Index(l, "sig=")+4:] }
		sig := sigOf(link)
		changed := strings.Replace(link, "sig="+sig, "sig="+strings.Map(func(r rune) rune {
			if r == 'A' {
				return 'B'
			}
			return 'A'
		}, sig[:1])+sig[1:], 1)
		refusal := func(what, url string, status int, code string) string {
			t.Helper()
			dl, b := download(t, url)
			var eb protocol.ErrorBody
			_ = json.Unmarshal(b, &eb)
			if dl.StatusCode != status || eb.Error.Code != code {
				t.Errorf("%s: %d %s, want %d %s", what, dl.StatusCode, b, status, code)
			}
			if bytes.Contains(b, pdf) {
				t.Errorf("%s: the refusal carries the file", what)
			}
			return eb.Error.Message
		}
		tampered := refusal("a changed signature", changed, http.StatusForbidden, protocol.CodeBadLink)
		for what, url := range map[string]string{
			"no signature":             link[:strings.Index(link, "&sig=")],
			"another file":             strings.Replace(link, fileID, "nosuchfile000000", 1),
			"another chat":             strings.Replace(link, "/files/"+resp.ChatID+"/", "/files/nosuchchat/", 1),
			"a later expiry":           strings.Replace(link, "expires=", "expires=9", 1),
			"another file's signature": strings.Replace(link, sig, sigOf(links[0]), 1),
		} {
			if msg := refusal(what, url, http.StatusForbidden, protocol.CodeBadLink); msg != tampered {
				t.Errorf("%s says %q, a changed signature %q: a refusal must not tell one file from another", what, msg, tampered)
			}
		}

		// A minute before it expires it works; then it is gone, though a
		// forged link is still only forged.
		clk.Add(filelink.Validity - time.Minute)
		if dl, _ := download(t, link); dl.StatusCode != 200 {
			t.Errorf("a minute before expiry: %d", dl.StatusCode)
		}
		clk.Add(time.Minute)
		if msg := refusal("expired", link, http.StatusGone, protocol.CodeGone); !strings.Contains(msg, "expired") {
			t.Errorf("the expired link says %q", msg)
		}
		refusal("changed and expired", changed, http.StatusForbidden, protocol.CodeBadLink)

		// Within its time again, the link of a deleted chat's file is gone.
		clk.Add(-time.Hour)
		if err := n.svc.DeleteChat(context.Background(), resp.ChatID); err != nil {
			t.Fatal(err)
		}
		if msg := refusal("deleted", link, http.StatusGone, protocol.CodeGone); !strings.Contains(msg, "deleted") {
			t.Errorf("the deleted file's link says %q", msg)
		}
	})
}

// The link of a file its visitor's erasure removed answers 410 gone, as
// a deleted chat's does; before the erasure it worked.
func TestErasedFilesLinkIsGone(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		srv := smtptest.Start(t, smtptest.Options{})
		n := e.node(nodeOpts{mail: mailTo(t, srv)})
		tok, err := demo.SignIdentityToken(e.demo.Identity.HS256Secret, demo.IdentityKID, map[string]any{
			"sub": "erase-me-" + store.RandomID(4), "email": "erase.me@example.com", "exp": time.Now().Add(5 * time.Minute).Unix()})
		if err != nil {
			t.Fatal(err)
		}
		resp := n.mustStart(protocol.StartChatRequest{IDToken: tok})
		var a protocol.Attachment
		if code := upload(t, n.url+"/chat/api/v1/chats/"+resp.ChatID+"/attachments", "pixel.png", pngBytes, &a,
			protocol.HeaderResumeSecret, resp.ResumeSecret, "Origin", n.url); code != http.StatusCreated {
			t.Fatalf("upload: %d", code)
		}
		if code := n.call("POST", "/chat/api/v1/chats/"+resp.ChatID+"/transcript", protocol.TranscriptMailRequest{Email: "erase.me@example.com"},
			nil, hdr(resp.ResumeSecret)...); code != http.StatusAccepted {
			t.Fatalf("transcript: %d", code)
		}
		links := linkRE.FindAllString(srv.Wait(t, 1, 20*time.Second)[0].Text(), -1)
		if len(links) != 1 {
			t.Fatalf("links %v, want 1", links)
		}
		if dl, _ := download(t, links[0]); dl.StatusCode != http.StatusOK {
			t.Fatalf("before the erasure: %d", dl.StatusCode)
		}
		c, err := e.st.GetChat(ctx, resp.ChatID)
		if err != nil || c.UserID == 0 {
			t.Fatalf("chat %+v, %v: want a user's", c, err)
		}
		if _, err := e.st.EraseUser(ctx, c.UserID); err != nil {
			t.Fatal(err)
		}
		dl, b := download(t, links[0])
		var eb protocol.ErrorBody
		_ = json.Unmarshal(b, &eb)
		if dl.StatusCode != http.StatusGone || eb.Error.Code != protocol.CodeGone || !strings.Contains(eb.Error.Message, "deleted") {
			t.Errorf("after the erasure: %d %s, want 410 gone", dl.StatusCode, b)
		}
	})
}
