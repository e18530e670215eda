package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"halochat/app/protocol"
)

// The mail outbox. Every mail the service sends is first a row of
// mail_outbox, written in the transaction of what causes it (a
// transcript asked for, a ticket logged): it is committed with its cause
// or not at all, and a dispatcher on any node sends it, retrying with a
// backoff until MailRetryFor has passed (backend/mail). Claims lease rows
// as the webhook outbox's do (leaseRows; FOR UPDATE SKIP LOCKED on
// PostgreSQL), so several nodes never send one mail at once; a node that
// dies mid-send leaves its rows to the next claim once the lease is over
// (at least once). Statuses are the webhook deliveries'
// (protocol.Delivery*).

// Kinds of mail.
const (
	MailTranscript   = "transcript"   // a chat's transcript, to its visitor
	MailNotification = "notification" // a new ticket, to its profile's notification address
)

// MailRetryFor is how long a mail is retried before it is marked failed.
const MailRetryFor = 24 * time.Hour

// mailRetention is how long sent and failed mails stay in the outbox.
const mailRetention = 7 * 24 * time.Hour

// Mail is one mail of the outbox.
type Mail struct {
	bun.BaseModel `bun:"table:mail_outbox,alias:m"`

	ID        int64  `bun:"id,pk,autoincrement"`
	Kind      string `bun:"kind"`               // Mail*
	ChatID    string `bun:"chat_id,nullzero"`   // the chat it is about, if any
	TicketID  int64  `bun:"ticket_id,nullzero"` // the ticket it is about, if any
	Recipient string `bun:"recipient"`          // one address
	Subject   string `bun:"subject"`
	Body      string `bun:"body"` // plain text
	Status    string `bun:"status"`
	Attempts  int64  `bun:"attempts"`
	// NextAttemptAt is when a pending mail is due.
	NextAttemptAt time.Time `bun:"next_attempt_at"`
	// LockedUntil is the lease of the dispatcher sending it.
	LockedUntil time.Time `bun:"locked_until,nullzero"`
	// RetryUntil is when a mail still failing is given up.
	RetryUntil time.Time `bun:"retry_until"`
	LastError  string    `bun:"last_error"`
	CreatedAt  time.Time `bun:"created_at"`
	SentAt     time.Time `bun:"sent_at,nullzero"`
}

// checkMail refuses a mail that could not be stored or sent.
func checkMail(what string, m *Mail) error {
	if err := oneOf(what, "kind", m.Kind, MailTranscript, MailNotification); err != nil {
		return err
	}
	if m.Recipient == "" {
		return invalid(what, "the mail has no recipient")
	}
	for field, v := range map[string]string{"recipient": m.Recipient, "subject": m.Subject, "body": m.Body} {
		if err := checkText(what, field, v); err != nil {
			return err
		}
	}
	return nil
}

// queueMails writes mails to the outbox in transaction tx, due at at.
func queueMails(ctx context.Context, tx bun.IDB, what string, at time.Time, mails []Mail) error {
	for i := range mails {
		m := &mails[i]
		if err := checkMail(what, m); err != nil {
			return err
		}
		m.Status, m.Attempts, m.NextAttemptAt, m.RetryUntil, m.CreatedAt = protocol.DeliveryPending, 0, at, at.Add(MailRetryFor), at
		if err := insert(ctx, tx, what+": queue mail", m); err != nil {
			return err
		}
	}
	return nil
}

// QueueTranscriptMail queues m, a chat's transcript, counting it against
// the chat's at most most: ErrConflict when the chat has had that many,
// ErrNotFound when there is no such chat. It returns how many more the
// chat may have. The count and the mail are one transaction, and the
// count a conditional update, so concurrent requests never pass most.
func (s *Store) QueueTranscriptMail(ctx context.Context, m *Mail, most int) (int, error) {
	what := fmt.Sprintf("queue the transcript mail of chat %s", m.ChatID)
	m.Kind = MailTranscript
	if err := checkMail(what, m); err != nil {
		return 0, err
	}
	var sent int
	err := s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewUpdate().Table("chats").Set("transcript_mails = transcript_mails + 1").
			Where("id = ?", m.ChatID).Where("transcript_mails < ?", most).Exec(ctx)
		n, err := rowsAffected(res, err, what)
		if err != nil {
			return err
		}
		if n == 0 {
			var count []int64
			if err := tx.NewSelect().Table("chats").Column("transcript_mails").Where("id = ?", m.ChatID).Scan(ctx, &count); err != nil {
				return wrap(err, what)
			}
			if len(count) == 0 {
				return fmt.Errorf("%s: %w", what, ErrNotFound)
			}
			return fmt.Errorf("%s: %w: the chat's transcript was mailed %d times already", what, ErrConflict, count[0])
		}
		if err := tx.NewSelect().Table("chats").Column("transcript_mails").Where("id = ?", m.ChatID).Scan(ctx, &sent); err != nil {
			return wrap(err, what)
		}
		return queueMails(ctx, tx, what, s.Now(), []Mail{*m})
	})
	return most - sent, err
}

// ClaimMails leases up to limit due mails (pending, due, not leased) to
// the caller until now+lease, oldest due first.
func (s *Store) ClaimMails(ctx context.Context, limit int, lease time.Duration) ([]Mail, error) {
	const what = "claim mails"
	now := s.Now()
	due := func(db bun.IDB) *bun.SelectQuery {
		return db.NewSelect().Model((*Mail)(nil)).Column("m.id").Where("m.status = ?", protocol.DeliveryPending).
			Where("m.next_attempt_at <= ?", now).Where("(m.locked_until IS NULL OR m.locked_until <= ?)", now)
	}
	claimed, err := claimRows[Mail](ctx, s, what, now.Add(lease), "UPDATE SKIP LOCKED", due,
		func(tx bun.IDB) *bun.SelectQuery {
			return due(tx).OrderExpr("m.next_attempt_at, m.id").Limit(int64(limit))
		})
	for i := range claimed {
		utcTimes(&claimed[i])
	}
	return claimed, err
}

// MailResult is what became of one attempt to send a mail.
type MailResult struct {
	ID int64
	// Status is protocol.DeliveryDelivered (sent), DeliveryPending (to
	// be tried again at Next) or DeliveryFailed (given up).
	Status string
	At     time.Time // when the attempt was made
	Next   time.Time // the next attempt, while pending
	Error  string    // "" when sent
}

// FinishMail records the result of an attempt (it counts one) and ends
// its lease.
func (s *Store) FinishMail(ctx context.Context, r MailResult) error {
	what := fmt.Sprintf("record an attempt of mail %d", r.ID)
	if err := oneOf(what, "status", r.Status, protocol.DeliveryDelivered, protocol.DeliveryPending, protocol.DeliveryFailed); err != nil {
		return err
	}
	if err := checkText(what, "error", r.Error); err != nil {
		return err
	}
	next := r.Next
	if r.Status != protocol.DeliveryPending {
		next = r.At
	}
	var sent any
	if r.Status == protocol.DeliveryDelivered {
		sent = r.At.UTC()
	}
	_, err := s.execWrite(ctx, s.db.NewUpdate().Model((*Mail)(nil)).Set("status = ?", r.Status).
		Set("attempts = attempts + 1").Set("last_error = ?", r.Error).Set("next_attempt_at = ?", next.UTC()).
		Set("locked_until = NULL").Set("sent_at = ?", sent).Where("id = ?", r.ID))
	return wrap(err, what)
}

// MailFilter selects mails for ListMails; zero fields do not filter.
type MailFilter struct {
	ChatID string
	Status string
}

// ListMails returns the outbox's mails matching f, oldest first: for
// operators and tests.
func (s *Store) ListMails(ctx context.Context, f MailFilter) ([]Mail, error) {
	return list[Mail](ctx, s.db, "list mails", func(q *bun.SelectQuery) *bun.SelectQuery {
		return whereIf(whereIf(q, "m.chat_id", f.ChatID), "m.status", f.Status).OrderExpr("m.id")
	})
}

// DeleteOldMails deletes the sent and failed mails made before the
// retention (mailRetention) as of now, and says how many.
func (s *Store) DeleteOldMails(ctx context.Context) (int64, error) {
	return deleteRows[Mail](ctx, s, "delete old mails", "status <> ? AND created_at < ?",
		protocol.DeliveryPending, s.Now().Add(-mailRetention))
}

// mailsOf returns the condition on mail_outbox naming user u's mails, and
// its arguments: those about one of their chats (a transcript) or
// tickets (a notification carries the offline message), and those to
// one of their addresses.
func mailsOf(u *User) (string, []any) {
	cond := "chat_id IN (" + chatsOfUser + ") OR ticket_id IN (" + ticketsOfUser + ")"
	args := []any{u.ID, u.ID, u.ID}
	for _, a := range []string{u.Email, u.HintEmail} {
		if a = strings.TrimSpace(a); a != "" {
			cond += " OR lower(recipient) = ?"
			args = append(args, strings.ToLower(a))
		}
	}
	return "(" + cond + ")", args
}
