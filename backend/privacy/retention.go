package privacy

import (
	"context"
	"fmt"
	"time"

	"halochat/backend/tick"
)

// RetentionBatch is how many chats one retention transaction deletes at
// most: a bounded batch holds SQLite's single write lock (and
// PostgreSQL's row locks) briefly, so the messages of open chats commit
// between batches.
const RetentionBatch = 500

// RetentionEvery is how often each node runs the retention job.
const RetentionEvery = 10 * time.Minute

// retentionPause is the rest between two batches, in which the message
// path has the database to itself.
const retentionPause = 20 * time.Millisecond

// RunRetention deletes old chats by each profile's retentionDays now
// and then every `every` (RetentionEvery when 0), until ctx ends. Every
// node runs it; several at once are safe (store.DeleteEndedChats).
// Expired ChatMatchingData is deleted by identity.SweepExpired, as
// before.
func (s *Service) RunRetention(ctx context.Context, every time.Duration) {
	if every <= 0 {
		every = RetentionEvery
	}
	run := func(ctx context.Context) {
		n, err := s.SweepRetention(ctx, RetentionBatch)
		switch {
		case err != nil && ctx.Err() == nil:
			s.logger().Warn("retention: delete old chats", "err", err)
		case n > 0:
			s.logger().Info("retention: deleted old chats", "chats", n)
		}
	}
	run(ctx)
	tick.Every(ctx, every, run)
}

// SweepRetention deletes, batch by batch, the chats that ended more than
// their profile's retentionDays ago, and their files in the files
// directory after each batch's commit. It returns how many chats it
// deleted.
func (s *Service) SweepRetention(ctx context.Context, batch int64) (int64, error) {
	profiles, err := s.Store.RetainedProfiles(ctx)
	if err != nil {
		return 0, err
	}
	var total int64
	for _, p := range profiles {
		before := s.Store.Now().Add(-time.Duration(p.RetentionDays) * 24 * time.Hour)
		for {
			n, files, err := s.Store.DeleteEndedChats(ctx, p.ID, before, batch)
			total += n
			if err != nil {
				return total, err
			}
			if ferr := s.removeFiles(files, fmt.Sprintf("chats of profile %s past retention", p.ID)); ferr != nil {
				s.logger().Warn("retention: remove files", "err", ferr)
			}
			if n < batch {
				break
			}
			select {
			case <-ctx.Done():
				return total, ctx.Err()
			case <-time.After(retentionPause):
			}
		}
	}
	return total, nil
}
