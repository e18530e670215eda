package privacy

import (
	"context"
	"fmt"
	"time"

	"halochat/backend/store"
	"halochat/backend/tick"
)

// RetentionBatch is how many chats one retention transaction deletes at
// most: a bounded batch holds SQLite's single write lock (and
// PostgreSQL's row locks) briefly, so the messages of open chats commit
// between batches.
const RetentionBatch = 500

// retentionTxTarget is how long one retention transaction should take
// on SQLite: a batch that took more than twice as long halves the next,
// one that took less than half doubles it (up to the batch asked for),
// and the job rests after each at least as long as it took. On SQLite
// every message's commit waits for the one writer: measured deleting
// 100,000 chats 500 at a time (~400 ms a transaction on a loaded 2-core
// machine), message commits took p50 201 ms instead of 18; paced so,
// p50 17.8 ms (alone 18.1), deleting 160 chats/s. PostgreSQL's messages
// do not wait for the job's row locks (other chats' rows): 500 at a
// time with the short rest, its commits kept p50 12.6 ms, p99 75 ms,
// deleting 2,100 chats/s.
const retentionTxTarget = 25 * time.Millisecond

// RetentionEvery is how often each node runs the retention job.
const RetentionEvery = 10 * time.Minute

// retentionPause is the shortest rest between two batches, in which the
// message path has the database to itself; after a batch the job rests
// at least as long as the batch took, so it never holds the writer more
// than half the time.
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
		size := batch
		for {
			start := time.Now()
			n, files, err := s.Store.DeleteEndedChats(ctx, p.ID, before, size)
			took := time.Since(start)
			total += n
			if err != nil {
				return total, err
			}
			if ferr := s.removeFiles(files, fmt.Sprintf("chats of profile %s past retention", p.ID)); ferr != nil {
				s.logger().Warn("retention: remove files", "err", ferr)
			}
			if n < size {
				break
			}
			var pause time.Duration
			size, pause = pace(s.Store.Dialect(), size, batch, took)
			select {
			case <-ctx.Done():
				return total, ctx.Err()
			case <-time.After(pause):
			}
		}
	}
	return total, nil
}

// pace is the next batch's size and the rest before it, after a batch of
// size chats took took (at most batch chats a transaction): on SQLite,
// near retentionTxTarget a transaction and a rest as long as it took;
// on PostgreSQL the same size and the short rest.
func pace(dialect string, size, batch int64, took time.Duration) (int64, time.Duration) {
	if dialect != store.DialectSQLite {
		return size, retentionPause
	}
	switch {
	case took > 2*retentionTxTarget && size > 10:
		size /= 2
	case took < retentionTxTarget/2 && size < batch:
		size = min(batch, size*2)
	}
	return size, max(retentionPause, took)
}
