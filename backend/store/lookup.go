package store

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"
)

// UsersByID returns the users with these ids in one query, by id; ids
// that name no user are absent.
func (s *Store) UsersByID(ctx context.Context, ids []int64) (map[int64]User, error) {
	out := make(map[int64]User, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var rows []User
	if err := s.db.NewSelect().Model(&rows).Where("u.id IN (?)", bun.List(ids)).Scan(ctx); err != nil {
		return nil, wrap(err, fmt.Sprintf("get %d users by id", len(ids)))
	}
	for _, u := range rows {
		utcTimes(&u)
		out[u.ID] = u
	}
	return out, nil
}
