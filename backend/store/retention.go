package store

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// RetainedProfiles returns the chat profiles that delete old chats
// (RetentionDays > 0): their ids and retentions alone.
func (s *Store) RetainedProfiles(ctx context.Context) ([]ChatProfile, error) {
	return list[ChatProfile](ctx, s.db, "list the profiles with a retention", func(q *bun.SelectQuery) *bun.SelectQuery {
		return q.Column("id", "retention_days").Where("retention_days > 0").Order("id")
	})
}

// DeleteEndedChats deletes, in one transaction, up to limit chats of a
// profile that ended before endedBefore, oldest first, with everything
// they hold (messages, attachments and their chunks, custom-field values,
// ratings, the outbox's mails about them; their tickets stay, without the
// chat). It returns how many it
// deleted and the ids of their attachments kept in the files directory,
// for the caller to remove after the commit.
//
// Several nodes may run it at once: on PostgreSQL each takes the chats
// it deletes with FOR UPDATE SKIP LOCKED, so two never wait on one
// another's batch; on SQLite there is one writer anyway. The chats are
// ended, so no message is being written to them.
func (s *Store) DeleteEndedChats(ctx context.Context, profileID string, endedBefore time.Time, limit int64) (int64, []string, error) {
	what := fmt.Sprintf("delete the chats of profile %q that ended before %s", profileID, endedBefore.UTC().Format(time.RFC3339))
	var (
		n     int64
		files []string
	)
	err := s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		n, files = 0, nil
		var ids []string
		q := tx.NewSelect().Model((*Chat)(nil)).Column("id").
			Where("profile_id = ?", profileID).Where("status = ?", ChatEnded).Where("ended_at < ?", endedBefore.UTC()).
			Order("ended_at").Limit(limit)
		if s.dialect == DialectPostgres {
			q = q.For("UPDATE SKIP LOCKED")
		}
		if err := q.Scan(ctx, &ids); err != nil {
			return wrap(err, what)
		}
		if len(ids) == 0 {
			return nil
		}
		if err := tx.NewSelect().Model((*Attachment)(nil)).Column("id").Where("in_dir").
			Where("chat_id IN (?)", bun.List(ids)).Scan(ctx, &files); err != nil {
			return wrap(err, what+": list the files")
		}
		// The chats' mails (transcripts) would outlive them (chat_id SET
		// NULL), holding the transcript and the visitor's address.
		if _, err := tx.NewDelete().Model((*Mail)(nil)).Where("chat_id IN (?)", bun.List(ids)).Exec(ctx); err != nil {
			return wrap(err, what+": delete the mails")
		}
		res, err := tx.NewDelete().Model((*Chat)(nil)).Where("id IN (?)", bun.List(ids)).Exec(ctx)
		n, err = rowsAffected(res, err, what)
		return err
	})
	if err != nil {
		return 0, nil, err
	}
	return n, files, nil
}
