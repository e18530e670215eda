package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/uptrace/bun"
)

// The audit log. Every change made through the admin API writes one
// audit_log row — who, what, when, from where, the changed fields — in
// the change's own transaction: the row is committed with the change or
// not at all, as the webhook outbox's rows are (outbox.go).
//
// The caller (httpapi, for each admin write) puts a pending *Audit in
// the request's context with WithAudit. Every write of this package goes
// through tx or execWrite; while the context holds an unwritten Audit,
// they run the write in a transaction that also inserts the audit row,
// and mark the Audit written once that transaction commits. A request
// that writes several times (a ticket type and then its fields) is one
// row, written with its first committed write. A write that fails, or
// finds no row to change, rolls back and writes none.
//
// The generic helpers describe the change themselves: create records
// the new row's id and fields, update loads the row as it was in the
// same transaction and records the fields that differ. Columns that hold
// secrets (secretColumn) are recorded as AuditChanged, never their values.
//
// A change made outside the admin API that should be audited (a team's
// members, an erase) either runs under WithAudit too, or calls
// RecordAudit with its own transaction.

// AuditChanged is what the log records for a secret that was set or
// changed: never its value.
const AuditChanged = "changed"

// Actor types of an audit row.
const (
	ActorAgent  = "agent"  // a logged-in agent or admin
	ActorClient = "client" // an API client
	ActorSystem = "system" // the server itself (a sweep, a command)
)

// AuditEntry is one row of the audit log.
type AuditEntry struct {
	bun.BaseModel `bun:"table:audit_log,alias:al"`

	ID        int64     `bun:"id,pk,autoincrement"`
	At        time.Time `bun:"at"`
	ActorType string    `bun:"actor_type"` // ActorAgent, ActorClient, ActorSystem
	ActorID   int64     `bun:"actor_id"`
	ActorName string    `bun:"actor_name"`
	Address   string    `bun:"address"` // the client's IP address as httpx.ClientIP has it
	Entity    string    `bun:"entity"`  // the API's name for it: ChatProfile, Agent, Webhook…
	EntityID  string    `bun:"entity_id"`
	Action    string    `bun:"action"` // create, update, delete, or a sub-resource's name (key, secret…)
	// Changes maps a column to {"from": old, "to": new} (only "to" on a
	// create), or to AuditChanged for a secret.
	Changes AuditChanges `bun:"changes"`
}

// AuditChanges is an audit row's changed fields.
type AuditChanges map[string]any

// Value implements driver.Valuer.
func (c AuditChanges) Value() (driver.Value, error) { return jsonValue(c, "{}") }

// Scan implements sql.Scanner.
func (c *AuditChanges) Scan(src any) error { *c = nil; return jsonScan(src, c) }

// AuditChange is one ordinary field's change.
type AuditChange struct {
	From json.RawMessage `json:"from,omitempty"`
	To   json.RawMessage `json:"to,omitempty"`
}

// Audit is a change about to be made, to be logged with it: see WithAudit.
type Audit struct {
	mu      sync.Mutex
	entry   AuditEntry
	written bool
	// before and after, when after is set, are the row as it was (nil
	// for a new one) and as it is: the changes and the id come from them.
	before, after any
}

// NewAudit is a pending audit row: its actor, address, entity, action,
// and the entity's id when the request names it (a create's comes from
// the row stored).
func NewAudit(e AuditEntry) *Audit {
	e.ID = 0
	if e.Changes == nil {
		e.Changes = AuditChanges{}
	}
	return &Audit{entry: e}
}

type auditKey struct{}

// WithAudit returns ctx carrying a: the next write of this package made
// with it writes a's row in its own transaction (see the package's audit
// notes in audit.go).
func WithAudit(ctx context.Context, a *Audit) context.Context {
	return context.WithValue(ctx, auditKey{}, a)
}

// Written says whether a's row was committed.
func (a *Audit) Written() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.written
}

// pendingAudit is ctx's Audit while it is not written yet, else nil.
func pendingAudit(ctx context.Context) *Audit {
	a, _ := ctx.Value(auditKey{}).(*Audit)
	if a == nil || a.Written() {
		return nil
	}
	return a
}

// noteAudit records field's change on ctx's pending Audit, if any: to
// is the new value, or AuditChanged for a secret.
func noteAudit(ctx context.Context, field string, to any) {
	a := pendingAudit(ctx)
	if a == nil {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if to == AuditChanged {
		a.entry.Changes[field] = AuditChanged
		return
	}
	raw, err := json.Marshal(to)
	if err != nil {
		raw = []byte(`null`)
	}
	a.entry.Changes[field] = AuditChange{To: raw}
}

// describe sets the rows the change went from and to (before nil: created).
func (a *Audit) describe(before, after any) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.before, a.after = before, after
}

// writeAudit inserts a's row in tx.
func (s *Store) writeAudit(ctx context.Context, tx bun.IDB, a *Audit) error {
	a.mu.Lock()
	e := a.entry
	if a.after != nil {
		id, changes := s.diffRows(a.before, a.after)
		if id != "" {
			e.EntityID = id
		}
		for k, v := range changes {
			e.Changes[k] = v
		}
	}
	a.mu.Unlock()
	return s.RecordAudit(ctx, tx, &e)
}

// RecordAudit inserts e (its time now, when unset) in transaction tx: the
// hook for a change that is audited outside an admin API request. Never
// put a secret's value in e.Changes: AuditChanged says it changed.
func (s *Store) RecordAudit(ctx context.Context, tx bun.IDB, e *AuditEntry) error {
	if e.At.IsZero() {
		e.At = s.Now()
	}
	if e.Changes == nil {
		e.Changes = AuditChanges{}
	}
	what := fmt.Sprintf("write the audit row of %s %s %s", e.Action, e.Entity, e.EntityID)
	if e.ActorType == "" || e.Entity == "" || e.Action == "" {
		return invalid(what, "actor type, entity and action are required")
	}
	return insert(ctx, tx, what, e)
}

// done marks a written.
func (a *Audit) done() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.written = true
}

// errNoChange rolls back an audited write that found no row: the audit
// row goes with it, and the write's caller sees its zero rows.
var errNoChange = errors.New("store: audited write changed nothing")

// execAudited runs q and a's row in one transaction.
func (s *Store) execAudited(ctx context.Context, a *Audit, q execer) (sql.Result, error) {
	var res sql.Result
	err := s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		switch q := q.(type) {
		case *bun.InsertQuery:
			res, err = q.Conn(tx).Exec(ctx)
		case *bun.UpdateQuery:
			res, err = q.Conn(tx).Exec(ctx)
		case *bun.DeleteQuery:
			res, err = q.Conn(tx).Exec(ctx)
		default:
			return fmt.Errorf("audited write: unexpected query %T", q)
		}
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err == nil && n == 0 {
			return errNoChange
		}
		return nil
	})
	if errors.Is(err, errNoChange) {
		return res, nil
	}
	return res, err
}

// auditSkipColumns are bookkeeping, not a change anyone made.
var auditSkipColumns = map[string]bool{"created_at": true, "updated_at": true, "last_seen_at": true}

// secretColumn says whether a column holds a secret (or a key that works
// as one) whose value the log must never hold. The names are the schema's:
// secret, previous_secret, secret_hash, password_hash, config_key,
// email_storage_key, and identity (a profile's HS256 secrets).
func secretColumn(col string) bool {
	return col == "identity" || strings.Contains(col, "secret") || strings.Contains(col, "password") ||
		strings.Contains(col, "key") || strings.Contains(col, "token_hash")
}

// diffRows is the id of after (its primary key; several joined by "/")
// and the columns in which it differs from before (every set column when
// before is nil). Both point to the same bun model.
func (s *Store) diffRows(before, after any) (string, AuditChanges) {
	av := reflect.Indirect(reflect.ValueOf(after))
	table := s.db.Table(av.Type())
	var ids []string
	for _, pk := range table.PKs {
		ids = append(ids, fmt.Sprint(pk.Value(av).Interface()))
	}
	var bv reflect.Value
	if before != nil {
		bv = reflect.Indirect(reflect.ValueOf(before))
	}
	changes := AuditChanges{}
	for _, f := range table.DataFields {
		if auditSkipColumns[f.Name] {
			continue
		}
		to := f.Value(av)
		if !bv.IsValid() && to.IsZero() {
			continue
		}
		toJSON, _ := json.Marshal(to.Interface())
		var fromJSON []byte
		if bv.IsValid() {
			fromJSON, _ = json.Marshal(f.Value(bv).Interface())
			if string(fromJSON) == string(toJSON) {
				continue
			}
		}
		if secretColumn(f.Name) {
			changes[f.Name] = AuditChanged
			continue
		}
		changes[f.Name] = AuditChange{From: fromJSON, To: toJSON}
	}
	return strings.Join(ids, "/"), changes
}

// AuditFilter selects audit rows; zero fields do not filter.
type AuditFilter struct {
	Entity    string
	EntityID  string
	ActorType string
	ActorID   int64
	From, To  time.Time // From inclusive, To exclusive
	Page      Page
}

// ListAudit returns the audit rows f selects, newest first.
func (s *Store) ListAudit(ctx context.Context, f AuditFilter) ([]AuditEntry, error) {
	what := "list the audit log"
	for field, v := range map[string]string{"entity": f.Entity, "entity id": f.EntityID, "actor type": f.ActorType} {
		if err := checkText(what, field, v); err != nil {
			return nil, err
		}
	}
	return list[AuditEntry](ctx, s.db, what, func(q *bun.SelectQuery) *bun.SelectQuery {
		q = whereIf(q, "al.entity", f.Entity)
		q = whereIf(q, "al.entity_id", f.EntityID)
		q = whereIf(q, "al.actor_type", f.ActorType)
		q = whereIf(q, "al.actor_id", f.ActorID)
		if !f.From.IsZero() {
			q = q.Where("al.at >= ?", f.From.UTC())
		}
		if !f.To.IsZero() {
			q = q.Where("al.at < ?", f.To.UTC())
		}
		return f.Page.apply(q.Order("al.at DESC", "al.id DESC"))
	})
}
