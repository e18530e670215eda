package store

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"halochat/app/protocol"
	"halochat/backend/testenv"
)

// A chat's transcript is mailed at most the limit's times, even when the
// requests race; a ticket's notification is queued with its ticket; a
// claim leases each due mail to one caller, and its result is kept.
func TestMailOutbox(t *testing.T) {
	testenv.ForEachStoreAt(t, time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC), openAt, func(t *testing.T, s *Store, clk *testenv.Clock) {
		ctx := context.Background()
		p := &ChatProfile{Name: "p", Access: AccessPortalAndExternal, NotificationEmail: "desk@example.com"}
		must(t, s.CreateProfile(ctx, p))
		c := &Chat{ProfileID: p.ID, Context: ContextEmbedded}
		must(t, s.CreateChat(ctx, c, nil))

		const most = 3
		var wg sync.WaitGroup
		var mu sync.Mutex
		queued, refused := 0, 0
		for range 5 {
			wg.Go(func() {
				_, err := s.QueueTranscriptMail(ctx, &Mail{ChatID: c.ID, Recipient: "v@example.com", Subject: "Your chat", Body: "hi"}, most)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					queued++
				case errors.Is(err, ErrConflict):
					refused++
				default:
					t.Errorf("queue a transcript: %v", err)
				}
			})
		}
		wg.Wait()
		if queued != most || refused != 2 {
			t.Errorf("5 racing requests: %d queued, %d refused; want %d and 2", queued, refused, most)
		}
		_, err := s.QueueTranscriptMail(ctx, &Mail{ChatID: "no-such-chat", Recipient: "v@example.com", Subject: "s", Body: "b"}, most)
		wantErr(t, err, ErrNotFound)
		_, err = s.QueueTranscriptMail(ctx, &Mail{ChatID: c.ID, Recipient: "", Subject: "s", Body: "b"}, most)
		wantErr(t, err, ErrInvalid)

		tk := &Ticket{Summary: "Offline message", ProfileID: p.ID}
		must(t, s.CreateTicketWithMail(ctx, tk, nil, func(t *Ticket) []Mail {
			return []Mail{{Kind: MailNotification, TicketID: t.ID, Recipient: p.NotificationEmail, Subject: "New ticket", Body: "b"}}
		}))
		all, err := s.ListMails(ctx, MailFilter{})
		must(t, err)
		if len(all) != most+1 || all[most].TicketID != tk.ID || all[most].Kind != MailNotification ||
			all[0].Status != protocol.DeliveryPending || !all[0].RetryUntil.Equal(clk.Now().Add(MailRetryFor)) {
			t.Fatalf("outbox %+v", all)
		}

		first, err := s.ClaimMails(ctx, 10, time.Minute)
		must(t, err)
		again, err := s.ClaimMails(ctx, 10, time.Minute)
		must(t, err)
		if len(first) != most+1 || len(again) != 0 {
			t.Fatalf("claims: %d then %d; want all, then none while leased", len(first), len(again))
		}
		must(t, s.FinishMail(ctx, MailResult{ID: first[0].ID, Status: protocol.DeliveryDelivered, At: clk.Now()}))
		must(t, s.FinishMail(ctx, MailResult{ID: first[1].ID, Status: protocol.DeliveryPending, At: clk.Now(),
			Next: clk.Now().Add(time.Hour), Error: "451 try later"}))
		clk.Add(2 * time.Minute) // the leases are over
		due, err := s.ClaimMails(ctx, 10, time.Minute)
		must(t, err)
		if len(due) != 2 || due[0].ID != first[2].ID {
			t.Errorf("after the leases: %d due, want the 2 not attempted", len(due))
		}
		sent, err := s.ListMails(ctx, MailFilter{Status: protocol.DeliveryDelivered})
		must(t, err)
		if len(sent) != 1 || sent[0].Attempts != 1 || !sent[0].SentAt.Equal(clk.Now().Add(-2*time.Minute)) {
			t.Errorf("sent %+v", sent)
		}
		clk.Add(8 * 24 * time.Hour)
		n, err := s.DeleteOldMails(ctx)
		must(t, err)
		if n != 1 {
			t.Errorf("old mails deleted: %d, want the one sent (pending ones stay)", n)
		}
	})
}
