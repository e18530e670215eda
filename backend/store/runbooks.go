package store

import (
	"context"
	"database/sql/driver"
	"fmt"
	"net/url"
	"time"

	"github.com/uptrace/bun"

	"halochat/app/flow"
)

// Runbook is an outbound HTTP call a flow's runbook step names by ID
// (docs/CONTRACT.md#runbooks); admins manage them by their unique name.
// The secret signs every call (HMAC-SHA256 of the body); it is stored as
// is because signing needs it.
type Runbook struct {
	bun.BaseModel `bun:"table:runbooks,alias:rb"`

	ID        string `bun:"id,pk"`      // what flow documents name; set by CreateRunbook when empty
	Name      string `bun:"name"`       // unique
	URL       string `bun:"url"`        // http or https
	Secret    string `bun:"secret"`     // HMAC key; set by CreateRunbook when empty
	TimeoutMS int64  `bun:"timeout_ms"` // at most MaxRunbookTimeoutMS; 0 = the runtime's default (10 s)
	// Outputs are the runbook's own output mappings: the defaults a flow's
	// runbook step starts with (the step keeps its own copy).
	Outputs   RunbookOutputs `bun:"outputs"`
	CreatedAt time.Time      `bun:"created_at"`
	UpdatedAt time.Time      `bun:"updated_at"`
}

// MaxRunbookTimeoutMS bounds a runbook's timeout: 60 s.
const MaxRunbookTimeoutMS = 60_000

// RunbookOutputs is a JSON array of [flow.RunbookOutput].
type RunbookOutputs []flow.RunbookOutput

// Value implements driver.Valuer.
func (o RunbookOutputs) Value() (driver.Value, error) {
	return jsonValue([]flow.RunbookOutput(o), "[]")
}

// Scan implements sql.Scanner.
func (o *RunbookOutputs) Scan(src any) error {
	*o = nil
	return jsonScan(src, (*[]flow.RunbookOutput)(o))
}

func checkRunbook(what string, r *Runbook) error {
	if r.ID == "" {
		return invalid(what, "id is empty")
	}
	if err := checkName(what, r.Name); err != nil {
		return err
	}
	u, err := url.Parse(r.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return invalid(what, "url %q is not an absolute http(s) URL", r.URL)
	}
	if r.TimeoutMS < 0 || r.TimeoutMS > MaxRunbookTimeoutMS {
		return invalid(what, "timeout %d ms is not 0 to %d", r.TimeoutMS, MaxRunbookTimeoutMS)
	}
	if r.Secret == "" {
		return invalid(what, "secret is empty")
	}
	return checkClearSecrets(what, r)
}

// CreateRunbook stores a runbook; its id and name are unique
// (ErrConflict). An empty id or secret is generated; an empty name is
// the id (as the migration named runbooks stored without one).
func (s *Store) CreateRunbook(ctx context.Context, r *Runbook) error {
	if r.ID == "" {
		r.ID = "rb-" + RandomID(10)
	}
	if r.Name == "" {
		r.Name = r.ID
	}
	if r.Secret == "" {
		r.Secret = NewRunbookSecret()
	}
	return create(ctx, s, "create runbook", r, checkRunbook)
}

// GetRunbook returns the runbook with that id.
func (s *Store) GetRunbook(ctx context.Context, id string) (*Runbook, error) {
	what := fmt.Sprintf("get runbook %q", id)
	r, err := getBy[Runbook](ctx, s.db, what, "id", id)
	return openOne(s, what, r, err)
}

// GetRunbookByName returns the runbook with that name.
func (s *Store) GetRunbookByName(ctx context.Context, name string) (*Runbook, error) {
	what := fmt.Sprintf("get runbook named %q", name)
	r, err := getBy[Runbook](ctx, s.db, what, "name", name)
	return openOne(s, what, r, err)
}

// UpdateRunbook saves every field of r but its creation time.
func (s *Store) UpdateRunbook(ctx context.Context, r *Runbook) error {
	return update(ctx, s, fmt.Sprintf("update runbook %q", r.ID), r, checkRunbook)
}

// NewRunbookSecret returns a new random runbook signing secret.
func NewRunbookSecret() string { return RandomID(32) }

// ListRunbooks returns every runbook by name.
func (s *Store) ListRunbooks(ctx context.Context) ([]Runbook, error) {
	rs, err := list[Runbook](ctx, s.db, "list runbooks", orderBy("rb.name"))
	return openAll(s, "list runbooks", rs, err)
}

// DeleteRunbook deletes the runbook with that id (ErrNotFound when none).
// Flows name runbooks by id: the caller checks that none in use calls it.
func (s *Store) DeleteRunbook(ctx context.Context, id string) error {
	what := fmt.Sprintf("delete runbook %q", id)
	if err := checkText(what, "id", id); err != nil {
		return err
	}
	return deleteWhere[Runbook](ctx, s, what, "id = ?", id)
}
