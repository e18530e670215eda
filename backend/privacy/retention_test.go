package privacy

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"halochat/backend/store"
	"halochat/backend/testenv"
)

// Retention deletes a profile's chats that ended more than its
// retentionDays ago, with their messages, values, ratings, files and
// transcript mails, in bounded batches, and on several nodes at once; it
// keeps open chats, recent ones, other profiles' and the tickets.
func TestRetentionDeletesOldEndedChats(t *testing.T) {
	open := func(ctx context.Context, dsn string, now func() time.Time) (*store.Store, error) {
		return store.OpenWithOptions(ctx, dsn, store.Options{Now: now})
	}
	testenv.ForEachStoreAt(t, time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC), open, func(t *testing.T, st *store.Store, clk *testenv.Clock) {
		ctx := context.Background()
		dir := t.TempDir()
		svc := &Service{Store: st, FilesDir: dir}
		kept := &store.ChatProfile{Name: "keeps", Access: store.AccessPortalAndExternal}
		short := &store.ChatProfile{Name: "30 days", Access: store.AccessPortalAndExternal, RetentionDays: 30}
		for _, p := range []*store.ChatProfile{kept, short} {
			noErr(t, st.CreateProfile(ctx, p))
		}
		newChat := func(p *store.ChatProfile, end bool) *store.Chat {
			c := &store.Chat{ProfileID: p.ID, Context: store.ContextEmbedded}
			noErr(t, st.CreateChat(ctx, c, nil))
			_, _, err := st.AppendMessage(ctx, store.Message{ChatID: c.ID, Sender: store.SenderVisitor, Text: "hello"})
			noErr(t, err)
			if end {
				ended, now := store.ChatEnded, st.Now()
				_, err := st.UpdateChat(ctx, c.ID, "", store.ChatUpdate{Status: &ended, EndedAt: &now})
				noErr(t, err)
			}
			return c
		}
		const old = 7
		var oldChats []*store.Chat
		for range old {
			oldChats = append(oldChats, newChat(short, true))
		}
		file := attachTo(t, st, oldChats[0], dir, "old file")
		_, err := st.RateChat(ctx, store.ChatRating{ChatID: oldChats[1].ID, Score: 3}, st.Now().Add(-time.Minute))
		noErr(t, err)
		ticket := &store.Ticket{ChatID: oldChats[2].ID, Summary: "s"}
		noErr(t, st.CreateTicket(ctx, ticket, nil))
		openOld := newChat(short, false)
		otherOld := newChat(kept, true)
		// Transcript mails: the old chat's goes with it, the other
		// profile's chat's stays.
		for _, c := range []*store.Chat{oldChats[3], otherOld} {
			_, err := st.QueueTranscriptMail(ctx, &store.Mail{ChatID: c.ID, Recipient: "visitor@example.com", Subject: "Your chat", Body: "visitor: hello"}, 3)
			noErr(t, err)
		}
		clk.Add(20 * 24 * time.Hour)
		recent := newChat(short, true)
		clk.Add(11 * 24 * time.Hour) // the first chats ended 31 days ago, recent 11

		// Three nodes at once, batches of 2.
		var wg sync.WaitGroup
		counts := make([]int64, 3)
		for i := range counts {
			wg.Go(func() {
				n, err := svc.SweepRetention(ctx, 2)
				if err != nil {
					t.Error(err)
				}
				counts[i] = n
			})
		}
		wg.Wait()
		if sum := counts[0] + counts[1] + counts[2]; sum != old {
			t.Errorf("the nodes deleted %v chats, %d in all, want %d", counts, sum, old)
		}
		for _, c := range oldChats {
			if _, err := st.GetChat(ctx, c.ID); err == nil {
				t.Errorf("chat %s ended 31 days ago is still there", c.ID)
			}
			msgs, err := st.MessagesAfter(ctx, c.ID, 0, 10)
			noErr(t, err)
			if len(msgs) != 0 {
				t.Errorf("chat %s's messages are left", c.ID)
			}
		}
		for _, c := range []*store.Chat{openOld, otherOld, recent} {
			if _, err := st.GetChat(ctx, c.ID); err != nil {
				t.Errorf("chat %s (open, another profile's, or recent) was deleted: %v", c.ID, err)
			}
		}
		if _, err := os.Stat(filepath.Join(dir, file)); !os.IsNotExist(err) {
			t.Errorf("the deleted chat's file is left: %v", err)
		}
		if _, err := st.ChatRating(ctx, oldChats[1].ID); err == nil {
			t.Error("the deleted chat's rating is left")
		}
		mails, err := st.ListMails(ctx, store.MailFilter{})
		noErr(t, err)
		if len(mails) != 1 || mails[0].ChatID != otherOld.ID {
			t.Errorf("mails after the sweep: %+v, want the kept chat's alone (the deleted chat's transcript gone)", mails)
		}
		tk, err := st.GetTicket(ctx, ticket.ID)
		if err != nil || tk.ChatID != "" {
			t.Errorf("ticket after its chat was deleted: %+v %v", tk, err)
		}
		if n, err := svc.SweepRetention(ctx, 2); err != nil || n != 0 {
			t.Errorf("a second sweep deleted %d (%v)", n, err)
		}
	})
}

func noErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
