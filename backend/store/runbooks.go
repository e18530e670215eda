package store

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/uptrace/bun"
)

// Runbook is an outbound HTTP call a flow's runbook step names by ID
// (docs/CONTRACT.md#runbooks). The secret signs every call (HMAC-SHA256 of
// the body); it is stored as is because signing needs it.
type Runbook struct {
	bun.BaseModel `bun:"table:runbooks,alias:rb"`

	ID        string    `bun:"id,pk"` // what flow documents name
	Name      string    `bun:"name"`
	URL       string    `bun:"url"`        // http or https
	Secret    string    `bun:"secret"`     // HMAC key; set by CreateRunbook when empty
	TimeoutMS int64     `bun:"timeout_ms"` // 0 = the runtime's default (10 s)
	CreatedAt time.Time `bun:"created_at"`
	UpdatedAt time.Time `bun:"updated_at"`
}

func checkRunbook(what string, r *Runbook) error {
	if r.ID == "" {
		return invalid(what, "id is empty")
	}
	u, err := url.Parse(r.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return invalid(what, "url %q is not an absolute http(s) URL", r.URL)
	}
	if r.TimeoutMS < 0 {
		return invalid(what, "timeout is negative")
	}
	if r.Secret == "" {
		return invalid(what, "secret is empty")
	}
	return nil
}

// CreateRunbook stores a runbook; its id is unique (ErrConflict). An
// empty secret is generated.
func (s *Store) CreateRunbook(ctx context.Context, r *Runbook) error {
	if r.Secret == "" {
		r.Secret = RandomID(32)
	}
	return create(ctx, s, "create runbook", r, checkRunbook)
}

// GetRunbook returns the runbook with that id.
func (s *Store) GetRunbook(ctx context.Context, id string) (*Runbook, error) {
	return getBy[Runbook](ctx, s.db, fmt.Sprintf("get runbook %q", id), "id", id)
}

// UpdateRunbook saves every field of r but its creation time.
func (s *Store) UpdateRunbook(ctx context.Context, r *Runbook) error {
	return update(ctx, s, fmt.Sprintf("update runbook %q", r.ID), r, checkRunbook)
}
