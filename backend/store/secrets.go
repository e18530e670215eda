package store

import (
	"context"
	"fmt"
	"slices"

	"github.com/uptrace/bun"

	"halochat/backend/seal"
)

// Secrets at rest. The secrets the service must read back in clear —
// profiles' HS256 identity secrets (in chat_profiles.identity), runbook
// signing secrets and webhook signing secrets — are sealed with the
// store's key ring (Options.Secrets, package seal) when they are written,
// and opened when they are read, so the columns never hold them in
// clear. Without a ring (a demo, tests) they are written in clear; a
// sealed value read without one fails with seal.ErrNoKey.

// sealable is a model with secret fields.
type sealable interface{ secretFields() []*string }

func (p *ChatProfile) secretFields() []*string {
	out := make([]*string, len(p.Identity.HS256Secrets))
	for i := range p.Identity.HS256Secrets {
		out[i] = &p.Identity.HS256Secrets[i].Secret
	}
	return out
}

func (r *Runbook) secretFields() []*string { return []*string{&r.Secret} }

func (w *Webhook) secretFields() []*string { return []*string{&w.Secret, &w.PreviousSecret} }

// checkClearSecrets refuses a clear secret that reads as a sealed value:
// opening it would fail.
func checkClearSecrets(what string, row sealable) error {
	for _, f := range row.secretFields() {
		if seal.IsSealed(*f) {
			return invalid(what, "a secret may not start with %q", "enc:v1:")
		}
	}
	return nil
}

// withSealed runs write with row's secrets sealed (when the store has a
// key ring), and then gives row its clear secrets back.
func (s *Store) withSealed(row any, write func() error) error {
	sb, ok := row.(sealable)
	if !ok || s.keys == nil {
		return write()
	}
	fields := sb.secretFields()
	clear := make([]string, len(fields))
	for i, f := range fields {
		clear[i] = *f
		if *f != "" {
			*f = s.keys.Seal(*f)
		}
	}
	defer func() {
		for i, f := range fields {
			*f = clear[i]
		}
	}()
	return write()
}

// open replaces row's sealed secrets by their clear values.
func (s *Store) open(what string, row sealable) error {
	for _, f := range row.secretFields() {
		if !seal.IsSealed(*f) {
			continue
		}
		if s.keys == nil {
			return fmt.Errorf("%s: %w", what, seal.ErrNoKey)
		}
		v, err := s.keys.Open(*f)
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		*f = v
	}
	return nil
}

// openOne is a read's row with its secrets opened.
func openOne[T any, P interface {
	*T
	sealable
}](s *Store, what string, v *T, err error) (*T, error) {
	if err != nil {
		return nil, err
	}
	if err := s.open(what, P(v)); err != nil {
		return nil, err
	}
	return v, nil
}

// openAll is a read's rows with their secrets opened.
func openAll[T any, P interface {
	*T
	sealable
}](s *Store, what string, vs []T, err error) ([]T, error) {
	if err != nil {
		return nil, err
	}
	for i := range vs {
		if err := s.open(what, P(&vs[i])); err != nil {
			return nil, err
		}
	}
	return vs, nil
}

// SecretsSealed counts what SealSecrets did.
type SecretsSealed struct {
	Sealed   int // clear values sealed
	Resealed int // values sealed under an older key, sealed again under the current one
	Current  int // values already under the current key
}

// SealSecrets opens every stored secret (so that a key that cannot
// fails here, naming the key id) and seals under the ring's current key
// those held in clear — the first start with a key — and, when rotate
// is set (`halochat rotate-key`), those sealed under an older key. Each
// table's rows are rewritten in one transaction; nodes running
// meanwhile read either form, as long as their rings hold both keys.
func (s *Store) SealSecrets(ctx context.Context, rotate bool) (SecretsSealed, error) {
	var out SecretsSealed
	if s.keys == nil {
		return out, fmt.Errorf("seal the stored secrets: %w", seal.ErrNoKey)
	}
	defer s.config.invalidate()
	if err := sealTable[ChatProfile](ctx, s, "chat profiles", []string{"identity"}, rotate, &out); err != nil {
		return out, err
	}
	if err := sealTable[Runbook](ctx, s, "runbooks", []string{"secret"}, rotate, &out); err != nil {
		return out, err
	}
	return out, sealTable[Webhook](ctx, s, "webhooks", []string{"secret", "previous_secret"}, rotate, &out)
}

// sealTable is SealSecrets for the rows of one table, in one transaction.
func sealTable[T any, P interface {
	*T
	sealable
}](ctx context.Context, s *Store, table string, cols []string, rotate bool, out *SecretsSealed) error {
	what := "seal the secrets of the " + table
	return s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var rows []T
		if err := tx.NewSelect().Model(&rows).Scan(ctx); err != nil {
			return wrap(err, what)
		}
		for i := range rows {
			row := P(&rows[i])
			stale := false
			for _, f := range row.secretFields() {
				switch id := seal.KeyID(*f); {
				case *f == "":
				case id == "":
					out.Sealed++
					stale = true
				case id != s.keys.CurrentID() && rotate:
					out.Resealed++
					stale = true
				default:
					out.Current++
				}
			}
			if !stale {
				if err := s.open(what, row); err != nil { // the check that the ring opens it
					return err
				}
				continue
			}
			if err := s.open(what, row); err != nil {
				return err
			}
			if err := s.withSealed(row, func() error {
				_, err := tx.NewUpdate().Model(row).WherePK().Column(cols...).Exec(ctx)
				return err
			}); err != nil {
				return wrap(err, what)
			}
		}
		return nil
	})
}

// SealedKeyIDs returns the ids of the keys the stored secrets are sealed
// under (none when every one is in clear): a start without a key checks
// it, so that it does not fail later at the first chat.
func (s *Store) SealedKeyIDs(ctx context.Context) ([]string, error) {
	var ids []string
	add := func(row sealable) {
		for _, f := range row.secretFields() {
			if id := seal.KeyID(*f); id != "" && !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	const what = "list the keys of the stored secrets"
	profiles, err := list[ChatProfile](ctx, s.db, what, nil)
	if err != nil {
		return nil, err
	}
	for i := range profiles {
		add(&profiles[i])
	}
	runbooks, err := list[Runbook](ctx, s.db, what, nil)
	if err != nil {
		return nil, err
	}
	for i := range runbooks {
		add(&runbooks[i])
	}
	hooks, err := list[Webhook](ctx, s.db, what, nil)
	if err != nil {
		return nil, err
	}
	for i := range hooks {
		add(&hooks[i])
	}
	return ids, nil
}
