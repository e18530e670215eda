package mail

import (
	"context"
	"fmt"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"halochat/app/protocol"
	"halochat/backend/mail/smtptest"
	"halochat/backend/retry"
	"halochat/backend/store"
	"halochat/backend/testenv"
)

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// queueTickets logs n tickets on a profile with a notification address,
// each queuing its notification, and returns the tickets.
func queueTickets(t *testing.T, st *store.Store, n int) []*store.Ticket {
	t.Helper()
	ctx := context.Background()
	p := &store.ChatProfile{Name: "desk " + store.RandomID(4), Access: store.AccessPortalAndExternal, NotificationEmail: "desk@example.com"}
	if err := st.CreateProfile(ctx, p); err != nil {
		t.Fatal(err)
	}
	var out []*store.Ticket
	for i := range n {
		tk := &store.Ticket{Summary: fmt.Sprintf("Offline message %d", i), ProfileID: p.ID}
		err := st.CreateTicketWithMail(ctx, tk, nil, func(tk *store.Ticket) []store.Mail {
			return []store.Mail{{Kind: store.MailNotification, TicketID: tk.ID, Recipient: p.NotificationEmail,
				Subject: fmt.Sprintf("New ticket #%d", tk.ID), Body: "Summary: " + tk.Summary}}
		})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, tk)
	}
	return out
}

// A server that refuses with 4xx first has every mail in the end, each
// once, after the backoff; one that answers 5xx fails the mail for good
// at once, its error kept. Both databases.
func TestDispatcherRetriesUntilTheServerTakesTheMail(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		clk := &clock{now: time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)}
		st := testenv.OpenStore(t, dsn, func(ctx context.Context, dsn string) (*store.Store, error) {
			return store.OpenWithOptions(ctx, dsn, store.Options{Now: clk.Now})
		})
		var mu sync.Mutex
		refuseFirst := 3
		srv := smtptest.Start(t, smtptest.Options{TLS: true, User: "u", Password: "p", Refuse: func(n int) *smtp.SMTPError {
			mu.Lock()
			defer mu.Unlock()
			if n < refuseFirst {
				return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "greylisted"}
			}
			return nil
		}})
		d := NewDispatcher(DispatchConfig{Store: st, Sender: sender(t, srv, ""), From: &mail.Address{Address: "chat@example.com"},
			Logger: testenv.Logger(), Parallel: 1, Backoff: retry.Backoff{First: time.Minute, Max: time.Hour, Jitter: func() float64 { return 0.5 }}})
		tickets := queueTickets(t, st, 3)

		if n, err := d.RunOnce(ctx); err != nil || n != 3 {
			t.Fatalf("first round: %d attempted, %v", n, err)
		}
		pending, err := st.ListMails(ctx, store.MailFilter{Status: protocol.DeliveryPending})
		if err != nil || len(pending) != 3 || pending[0].Attempts != 1 || !strings.Contains(pending[0].LastError, "greylisted") ||
			!pending[0].NextAttemptAt.Equal(clk.Now().Add(time.Minute)) {
			t.Fatalf("after 451: %+v, %v", pending, err)
		}
		if n, _ := d.RunOnce(ctx); n != 0 {
			t.Errorf("%d attempted before the backoff was over", n)
		}
		clk.Add(time.Minute)
		if n, err := d.RunOnce(ctx); err != nil || n != 3 {
			t.Fatalf("second round: %d attempted, %v", n, err)
		}
		got := srv.Received()
		if len(got) != 3 {
			t.Fatalf("received %d, want 3", len(got))
		}
		seen := map[string]bool{}
		for _, r := range got {
			seen[r.Header("Subject")] = true
			if r.To[0] != "desk@example.com" || !strings.Contains(r.Text(), "Offline message") {
				t.Errorf("received %v: %q", r.To, r.Text())
			}
		}
		for _, tk := range tickets {
			if !seen[fmt.Sprintf("New ticket #%d", tk.ID)] {
				t.Errorf("ticket %d's notification never arrived (got %v)", tk.ID, seen)
			}
		}
		sent, _ := st.ListMails(ctx, store.MailFilter{Status: protocol.DeliveryDelivered})
		if len(sent) != 3 || sent[0].Attempts != 2 {
			t.Errorf("sent %+v", sent)
		}

		// A 5xx is final.
		mu.Lock()
		refuseFirst = 0
		mu.Unlock()
		bounce := smtptest.Start(t, smtptest.Options{Refuse: func(int) *smtp.SMTPError {
			return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
		}})
		d2 := NewDispatcher(DispatchConfig{Store: st, Sender: sender(t, bounce, ""), From: &mail.Address{Address: "chat@example.com"},
			Logger: testenv.Logger()})
		queueTickets(t, st, 1)
		if n, err := d2.RunOnce(ctx); err != nil || n != 1 {
			t.Fatalf("bounce round: %d, %v", n, err)
		}
		failed, _ := st.ListMails(ctx, store.MailFilter{Status: protocol.DeliveryFailed})
		if len(failed) != 1 || !strings.Contains(failed[0].LastError, "no such user") {
			t.Errorf("failed %+v", failed)
		}
	})
}

// Run sends a mail queued while it idles once woken, and stops with its
// context.
func TestDispatcherRunSendsWhenWoken(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dsn string) {
		st := testenv.OpenStore(t, dsn, store.Open)
		srv := smtptest.Start(t, smtptest.Options{})
		d := NewDispatcher(DispatchConfig{Store: st, Sender: sender(t, srv, ""), From: &mail.Address{Address: "chat@example.com"},
			Logger: testenv.Logger(), Poll: time.Hour})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { d.Run(ctx); close(done) }()
		queueTickets(t, st, 1)
		d.Wake()
		srv.Wait(t, 1, 10*time.Second)
		cancel()
		<-done
	})
}
