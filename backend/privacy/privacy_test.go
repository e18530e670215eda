package privacy

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"halochat/backend/store"
	"halochat/backend/storetest"
	"halochat/backend/testenv"
)

// attachTo stores a file of the visitor's on chat c: in the files
// directory when dir is set, else in the database.
func attachTo(t *testing.T, st *store.Store, c *store.Chat, dir, content string) string {
	t.Helper()
	id := store.NewAttachmentID()
	var body io.Reader = strings.NewReader(content)
	if dir != "" {
		if err := os.WriteFile(filepath.Join(dir, id), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		body = nil
	}
	_, ok, err := st.AddAttachment(context.Background(), &store.Attachment{ID: id, ChatID: c.ID, Name: "../note.txt", ContentType: "text/plain"},
		body, store.Message{ChatID: c.ID, Sender: store.SenderVisitor, Text: "📎 note.txt"}, store.AppendCond{})
	if err != nil || !ok {
		t.Fatalf("attach: %v %v", ok, err)
	}
	return id
}

// userAndProfile stores a user of that address and a chat profile for
// their chats.
func userAndProfile(t *testing.T, st *store.Store, email string) (*store.User, *store.ChatProfile) {
	t.Helper()
	u := &store.User{Email: email}
	noErr(t, st.CreateUser(context.Background(), u))
	p := &store.ChatProfile{Name: "p", Access: store.AccessPortalAndExternal}
	noErr(t, st.CreateProfile(context.Background(), p))
	return u, p
}

// The export's zip holds the document and every file (from the
// database and from the files directory); the erasure removes the
// visitor's files from the directory after its commit.
func TestExportZipAndEraseFiles(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		st := storetest.Open(t, dsn)
		dir := t.TempDir()
		svc := &Service{Store: st, FilesDir: dir}
		u, p := userAndProfile(t, st, "zoe@example.com")
		c := &store.Chat{ProfileID: p.ID, Context: store.ContextEmbedded, UserID: u.ID}
		if err := st.CreateChat(ctx, c, nil); err != nil {
			t.Fatal(err)
		}
		inDB := attachTo(t, st, c, "", "kept in the database")
		inDir := attachTo(t, st, c, dir, "kept in the directory")

		doc, data, err := svc.Export(ctx, u.ID, true)
		if err != nil {
			t.Fatal(err)
		}
		if doc.User.Email != "zoe@example.com" || len(doc.Chats) != 1 || len(doc.Chats[0].Attachments) != 2 || len(doc.Chats[0].Messages) != 2 {
			t.Fatalf("export %+v", doc)
		}
		var buf bytes.Buffer
		if err := svc.WriteZip(ctx, &buf, doc, data); err != nil {
			t.Fatal(err)
		}
		zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		if err != nil {
			t.Fatal(err)
		}
		files := map[string]string{}
		for _, f := range zr.File {
			r, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(r)
			files[f.Name] = string(b)
		}
		want := map[string]string{"files/" + inDB + "/note.txt": "kept in the database", "files/" + inDir + "/note.txt": "kept in the directory"}
		for name, content := range want {
			if files[name] != content {
				t.Errorf("zip file %s = %q, want %q (zip holds %d files)", name, files[name], content, len(files))
			}
		}
		if !strings.Contains(files[ExportJSONName], `"file": "files/`+inDir+`/note.txt"`) {
			t.Errorf("%s does not name the files: %s", ExportJSONName, files[ExportJSONName])
		}

		erased, err := svc.Erase(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if erased.Attachments != 2 || erased.Messages != 2 {
			t.Errorf("erasure %+v", erased)
		}
		if _, err := os.Stat(filepath.Join(dir, inDir)); !os.IsNotExist(err) {
			t.Errorf("the visitor's file is still in the directory: %v", err)
		}
	})
}

// The export reads one snapshot: while messages are written to the
// user's chats, each export's chats hold exactly the messages their
// last_seq counts — none written after the chat's row was read, none
// missing — whichever database.
func TestExportIsOneSnapshot(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		st := storetest.Open(t, dsn)
		svc := &Service{Store: st}
		u, p := userAndProfile(t, st, "sam@example.com")
		var chats []*store.Chat
		for range 2 {
			c := &store.Chat{ProfileID: p.ID, Context: store.ContextEmbedded, UserID: u.ID}
			if err := st.CreateChat(ctx, c, nil); err != nil {
				t.Fatal(err)
			}
			chats = append(chats, c)
		}
		stop := make(chan struct{})
		written := make(chan int)
		go func() {
			n := 0
			defer func() { written <- n }()
			for {
				select {
				case <-stop:
					return
				default:
				}
				c := chats[n%len(chats)]
				if _, _, err := st.AppendMessage(ctx, store.Message{ChatID: c.ID, Sender: store.SenderVisitor, Text: "more"}); err != nil {
					t.Error(err)
					return
				}
				n++
			}
		}()
		seen := map[int]bool{}
		for range 40 {
			doc, data, err := svc.Export(ctx, u.ID, false)
			if err != nil {
				t.Fatal(err)
			}
			total := 0
			for i, c := range data.Chats {
				msgs := doc.Chats[i].Messages
				if int64(len(msgs)) != c.LastSeq || (len(msgs) > 0 && msgs[len(msgs)-1].Seq != c.LastSeq) {
					t.Fatalf("chat %s exported with last_seq %d and %d messages (last %v): not one snapshot", c.ID, c.LastSeq, len(msgs), msgs[max(len(msgs)-1, 0):])
				}
				total += len(msgs)
			}
			seen[total] = true
		}
		close(stop)
		n := <-written
		if len(seen) < 2 {
			t.Fatalf("every export saw the same messages (%d written meanwhile): the writes did not overlap the exports", n)
		}
		t.Logf("%d exports saw %d different counts while %d messages were written", 40, len(seen), n)
	})
}
