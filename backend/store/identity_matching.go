package store

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// CreateMatchingDataBatch stores several ChatMatchingData items in one
// transaction (all or none), filling each as [Store.CreateMatchingData]
// does.
func (s *Store) CreateMatchingDataBatch(ctx context.Context, items []*MatchingData) error {
	const what = "create chat matching data"
	now := s.Now()
	for _, d := range items {
		if d.GUID == "" {
			d.GUID = RandomID(16)
		}
		if d.KeyHash == "" {
			return invalid(what, "key hash is empty")
		}
		if len(d.Content) == 0 {
			d.Content = RawJSON("{}")
		}
		d.CreatedAt = now
		if d.ExpiresAt.IsZero() {
			d.ExpiresAt = now.Add(MatchingDataTTL)
		}
		d.ExpiresAt = d.ExpiresAt.UTC()
		d.UsedAt = time.Time{}
		if err := checkModel(what, d); err != nil {
			return err
		}
	}
	if len(items) == 0 {
		return nil
	}
	return s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.NewInsert().Model(&items).Exec(ctx)
		return wrap(err, what)
	})
}
