package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"halochat/app/protocol"
	"halochat/backend/service"
	"halochat/backend/store"
	"halochat/backend/testenv"
	"halochat/backend/testenv/loopback"
)

// writer is one chat whose visitor keeps sending while the backup runs.
type writer struct {
	id, secret string
	acked      atomic.Int64 // the highest seq acknowledged
	sent       atomic.Int64
	failed     atomic.Int64
}

// TestBackupWhileWritingRestoresAndServes: `halochat backup` copies a
// SQLite database while four chats keep writing to it through a running
// service; none of their messages is refused meanwhile. The copy holds
// every message acknowledged before the backup began, each chat whole
// (seqs 1..last_seq, no half transaction). `halochat restore` puts it in
// place of a new database, and a service started on it resumes the old
// chats and starts new ones.
func TestBackupWhileWritingRestoresAndServes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dsn := testenv.SQLiteDSN(t)
	svc := loopback.Start(t, loopback.Options{DSN: dsn, Limits: service.Unlimited()})
	page := svc.SameOrigin()
	writers := make([]*writer, 4)
	for i := range writers {
		var sr protocol.StartChatResponse
		page.Do("POST", "/chat/api/v1/start", protocol.StartChatRequest{ConfigID: svc.Demo.Profile.ID,
			ConfigKey: svc.Demo.Profile.Key, HostOrigin: "https://host.example"}).Expect(http.StatusCreated).Decode(&sr)
		writers[i] = &writer{id: sr.ChatID, secret: sr.ResumeSecret}
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i, w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for m := 0; ; m++ {
				select {
				case <-stop:
					return
				default:
				}
				w.sent.Add(1)
				r, err := page.Send("POST", "/chat/api/v1/chats/"+w.id+"/messages",
					protocol.SendRequest{ClientMsgID: fmt.Sprintf("w%d-%d", i, m), Text: "during the backup"}, protocol.HeaderResumeSecret, w.secret)
				var ack protocol.Ack
				if err != nil || r.Status != http.StatusOK || json.Unmarshal(r.Body, &ack) != nil {
					w.failed.Add(1)
					continue
				}
				w.acked.Store(max(w.acked.Load(), ack.Seq))
			}
		}()
	}
	time.Sleep(300 * time.Millisecond)
	before := make([]int64, len(writers))
	for i, w := range writers {
		before[i] = w.acked.Load()
	}
	out := filepath.Join(t.TempDir(), "halochat-backup.db")
	var stderr bytes.Buffer
	if err := run(ctx, []string{"backup", "--db", dsn, "--out", out}, &bytes.Buffer{}, &stderr); err != nil {
		t.Fatalf("backup: %v\n%s", err, stderr.String())
	}
	time.Sleep(300 * time.Millisecond)
	close(stop)
	wg.Wait()
	var sent, failed int64
	for _, w := range writers {
		sent, failed = sent+w.sent.Load(), failed+w.failed.Load()
	}
	if failed != 0 {
		t.Errorf("%d of %d messages refused while the backup ran", failed, sent)
	}
	if err := run(ctx, []string{"backup", "--db", dsn, "--out", out}, &bytes.Buffer{}, &bytes.Buffer{}); err == nil ||
		!strings.Contains(err.Error(), "exists") {
		t.Errorf("a backup over an existing file: %v, want a refusal", err)
	}

	restored := "sqlite://" + filepath.Join(t.TempDir(), "restored", "halochat.db")
	if err := run(ctx, []string{"restore", "--from", out, "--db", restored}, &bytes.Buffer{}, &stderr); err != nil {
		t.Fatalf("restore: %v\n%s", err, stderr.String())
	}
	if err := run(ctx, []string{"restore", "--from", out, "--db", restored}, &bytes.Buffer{}, &bytes.Buffer{}); err == nil ||
		!strings.Contains(err.Error(), "--force") {
		t.Errorf("a restore over a database without --force: %v, want a refusal naming --force", err)
	}
	copied := loopback.Start(t, loopback.Options{DSN: restored, Limits: service.Unlimited()})
	var inCopy, atEnd int64
	for i, w := range writers {
		n := checkWhole(t, copied.Store, w.id)
		if n < before[i] {
			t.Errorf("chat %s: the copy ends at seq %d, but %d was acknowledged before the backup began", w.id, n, before[i])
		}
		inCopy, atEnd = inCopy+n, atEnd+checkWhole(t, svc.Store, w.id)
		// The restored service resumes the chat.
		copied.SameOrigin().Do("POST", "/chat/api/v1/chats/"+w.id+"/messages", protocol.SendRequest{ClientMsgID: "after-restore", Text: "back"},
			protocol.HeaderResumeSecret, w.secret).Expect(http.StatusOK)
	}
	copied.SameOrigin().Do("POST", "/chat/api/v1/start", protocol.StartChatRequest{ConfigID: svc.Demo.Profile.ID,
		ConfigKey: svc.Demo.Profile.Key, HostOrigin: "https://host.example"}).Expect(http.StatusCreated)
	fi, _ := os.Stat(out)
	t.Logf("backup while writing: %d messages sent during the run, none refused; the copy (%d bytes) holds %d of the chats' %d messages at the end",
		sent, fi.Size(), inCopy, atEnd)
}

// checkWhole fails unless chat's stored messages are seqs 1..last_seq,
// and returns last_seq.
func checkWhole(t *testing.T, st *store.Store, chatID string) int64 {
	t.Helper()
	ctx := context.Background()
	c, err := st.GetChat(ctx, chatID)
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := st.MessagesAfter(ctx, chatID, 0, store.MaxLimit)
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range msgs {
		if m.Seq != int64(i+1) {
			t.Fatalf("chat %s: seq %d at position %d", chatID, m.Seq, i+1)
		}
	}
	if int64(len(msgs)) != c.LastSeq {
		t.Errorf("chat %s: %d messages stored, last_seq %d", chatID, len(msgs), c.LastSeq)
	}
	return c.LastSeq
}

func TestBackupRefusals(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"backup", "--db", "sqlite:///nowhere/none.db", "--out", filepath.Join(t.TempDir(), "b.db")}, "none.db"},
		{[]string{"backup", "--db", "postgres://u@127.0.0.1/db", "--out", "b.db"}, "pg_dump"},
		{[]string{"backup", "--db", "sqlite:///x.db"}, "--out"},
		{[]string{"restore", "--db", "sqlite:///x.db"}, "--from"},
		{[]string{"restore", "--from", filepath.Join(t.TempDir(), "missing.db"), "--db", "sqlite:///x.db"}, "missing.db"},
	} {
		err := run(ctx, c.args, &bytes.Buffer{}, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("halochat %v: %v, want a refusal naming %q", c.args, err, c.want)
		}
	}
}
