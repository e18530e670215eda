package store

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// linkKeyName names the key that signs attachment links in service_keys.
const linkKeyName = "attachment-links"

// serviceKey is a row of service_keys.
type serviceKey struct {
	bun.BaseModel `bun:"table:service_keys,alias:sk"`

	Name      string    `bun:"name,pk"`
	Value     []byte    `bun:"value"`
	CreatedAt time.Time `bun:"created_at"`
}

// LinkKey is the key that signs the attachment download links of
// transcript mails (backend/filelink), the same on every node. With a
// secret key (Options.Secrets) it is derived from it, so the database
// alone does not give it away, and a key rotation ends the links made
// before it. Without one it is a random key the first caller stores in
// service_keys: whoever reads that table reads the attachments
// themselves from the same database already.
func (s *Store) LinkKey(ctx context.Context) ([]byte, error) {
	if s.keys != nil {
		return s.keys.Derive(linkKeyName), nil
	}
	s.linkKeyMu.Lock()
	defer s.linkKeyMu.Unlock()
	if s.linkKey != nil {
		return s.linkKey, nil
	}
	const what = "read the attachment link key"
	k, err := getOne[serviceKey](ctx, s.db, what, func(q *bun.SelectQuery) *bun.SelectQuery {
		return q.Where("sk.name = ?", linkKeyName)
	})
	if errors.Is(err, ErrNotFound) {
		fresh := serviceKey{Name: linkKeyName, Value: make([]byte, 32), CreatedAt: s.now().UTC()}
		_, _ = rand.Read(fresh.Value)
		// Another node may store its key first: then its key is the one.
		if _, err := s.execWrite(ctx, s.db.NewInsert().Model(&fresh).On("CONFLICT (name) DO NOTHING")); err != nil {
			return nil, wrap(err, "store the attachment link key")
		}
		k, err = getOne[serviceKey](ctx, s.db, what, func(q *bun.SelectQuery) *bun.SelectQuery {
			return q.Where("sk.name = ?", linkKeyName)
		})
	}
	if err != nil {
		return nil, err
	}
	if len(k.Value) < 32 {
		return nil, fmt.Errorf("%s: the stored key has %d bytes, want 32", what, len(k.Value))
	}
	s.linkKey = k.Value
	return s.linkKey, nil
}
