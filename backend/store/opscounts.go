package store

import (
	"context"
	"database/sql"
	"time"
)

// OpsCounts is what an operator watches that only the database knows:
// the open chats by status, the queue's oldest wait, the webhook
// backlog and the mail outbox's (the /metrics gauges).
type OpsCounts struct {
	OpenChats      map[string]int64 // status → chats, ended ones aside
	OldestQueued   time.Time        // zero: none queued
	WebhookPending int64
	OldestPending  time.Time // zero: none pending
	MailPending    int64
	OldestMail     time.Time // zero: none pending
}

// OpsCounts reads the counts: four statements on indexes
// (chats_status_idx, webhook_deliveries_due_idx, mail_outbox_due_idx),
// none in a transaction.
func (s *Store) OpsCounts(ctx context.Context) (OpsCounts, error) {
	const what = "read the operational counts"
	c := OpsCounts{OpenChats: map[string]int64{}}
	var rows []struct {
		Status string `bun:"status"`
		N      int64  `bun:"n"`
	}
	if err := s.db.NewSelect().Table("chats").Column("status").ColumnExpr("count(*) AS n").
		Where("status IN (?, ?, ?)", ChatBot, ChatQueued, ChatLive).Group("status").Scan(ctx, &rows); err != nil {
		return c, wrap(err, what)
	}
	for _, r := range rows {
		c.OpenChats[r.Status] = r.N
	}
	// Scanned through bun, which reads SQLite's text times.
	var queued struct {
		Oldest time.Time `bun:"oldest,nullzero"`
	}
	if err := s.db.NewSelect().Table("chats").ColumnExpr("min(queued_at) AS oldest").
		Where("status = ?", ChatQueued).Scan(ctx, &queued); err != nil {
		return c, wrap(err, what)
	}
	c.OldestQueued = queued.Oldest
	var err error
	if c.WebhookPending, c.OldestPending, err = s.pending(ctx, "webhook_deliveries"); err != nil {
		return c, wrap(err, what)
	}
	if c.MailPending, c.OldestMail, err = s.pending(ctx, "mail_outbox"); err != nil {
		return c, wrap(err, what)
	}
	return c, nil
}

// pending counts the rows of an outbox table (webhook_deliveries,
// mail_outbox) still pending, and says when the oldest was created.
func (s *Store) pending(ctx context.Context, table string) (int64, time.Time, error) {
	var p struct {
		N      int64     `bun:"n"`
		Oldest time.Time `bun:"oldest,nullzero"`
	}
	err := s.db.NewSelect().Table(table).ColumnExpr("count(*) AS n, min(created_at) AS oldest").
		Where("status = 'pending'").Scan(ctx, &p)
	return p.N, p.Oldest, err
}

// Pools are the store's database/sql pools by name: "main", and on
// PostgreSQL "append" (the messages' prepared connections).
func (s *Store) Pools() map[string]*sql.DB {
	pools := map[string]*sql.DB{"main": s.db.DB}
	if s.appendDB != nil {
		pools["append"] = s.appendDB
	}
	return pools
}
