package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// LoginFailures counts the failed attempts at one account's password, so
// that every node of a cluster refuses guesses at it alike.
type LoginFailures struct {
	bun.BaseModel `bun:"table:login_failures,alias:lf"`

	// Subject names what was attempted, whether or not such an account
	// exists (the caller's choice: a kind and a hash of the e-mail or
	// client id typed), so that a lock tells nobody which accounts exist.
	Subject string `bun:"subject,pk"`
	// Failures counts the attempts since the last success, or since the
	// earlier ones were forgotten; an attempt being checked counts.
	Failures int64     `bun:"failures"`
	LastAt   time.Time `bun:"last_at"`
	// LockedUntil: no attempt is admitted before it (zero: none).
	LockedUntil time.Time `bun:"locked_until,nullzero"`
}

// LoginPolicy is how failed attempts lock an account.
type LoginPolicy struct {
	// Forget: failures whose latest is older than this count no more.
	Forget time.Duration
	// Lock is how long an account stays locked once its n-th failure is
	// counted (0: not locked).
	Lock func(n int64) time.Duration
}

// count adds an attempt at now.
func (f *LoginFailures) count(now time.Time, p LoginPolicy) {
	if now.Sub(f.LastAt) >= p.Forget {
		f.Failures = 0
	}
	f.Failures++
	f.LastAt = now
	f.LockedUntil = time.Time{}
	if d := p.Lock(f.Failures); d > 0 {
		f.LockedUntil = now.Add(d)
	}
}

// claimTries bounds how often ClaimLogin reads again after another
// attempt at the same subject changed its row first.
const claimTries = 8

// ClaimLogin admits one attempt at subject's password at now (true), or
// refuses it while the account is locked (false; LockedUntil says until
// when). An admitted attempt is counted as failed, and the lock its
// failure earns is set, before the password is even checked: concurrent
// attempts, on any node, each take their own place in the count, and none
// slips past a lock because another's failure was not recorded yet. A
// success undoes the count with ClearLoginFailures.
//
// The claim is a conditional write on the count read (an insert when
// there is no row): of two attempts that read the same count one writes,
// the other reads again.
func (s *Store) ClaimLogin(ctx context.Context, subject string, now time.Time, p LoginPolicy) (LoginFailures, bool, error) {
	const what = "claim a login attempt"
	if err := checkText(what, "subject", subject); err != nil {
		return LoginFailures{}, false, err
	}
	now = now.UTC().Truncate(time.Microsecond)
	for range claimTries {
		cur, err := getOne[LoginFailures](ctx, s.db, what, func(q *bun.SelectQuery) *bun.SelectQuery {
			return q.Where("lf.subject = ?", subject)
		})
		if errors.Is(err, ErrNotFound) {
			next := LoginFailures{Subject: subject}
			next.count(now, p)
			res, err := s.execWrite(ctx, s.db.NewInsert().Model(&next).On("CONFLICT (subject) DO NOTHING").Returning("NULL"))
			if n, err := rowsAffected(res, err, what); err != nil || n == 1 {
				return next, err == nil, err
			}
			continue
		}
		if err != nil {
			return LoginFailures{}, false, err
		}
		if now.Before(cur.LockedUntil) {
			return *cur, false, nil
		}
		next := *cur
		next.count(now, p)
		res, err := s.execWrite(ctx, s.db.NewUpdate().Model(&next).
			Column("failures", "last_at", "locked_until").WherePK().Where("failures = ?", cur.Failures))
		if n, err := rowsAffected(res, err, what); err != nil || n == 1 {
			return next, err == nil, err
		}
	}
	// Every read lost to another attempt: the account is under a burst of
	// them. Refusing this one for a moment costs an honest user nothing.
	return LoginFailures{Subject: subject, LockedUntil: now.Add(time.Second)}, false, nil
}

// ClearLoginFailures forgets subject's failures: its password was right.
func (s *Store) ClearLoginFailures(ctx context.Context, subject string) error {
	_, err := s.execWrite(ctx, s.db.NewDelete().Model((*LoginFailures)(nil)).Where("subject = ?", subject))
	return wrap(err, "clear the failed logins of an account")
}

// DeleteStaleLoginFailures deletes the counts that policy p forgets at now
// and that lock nothing, and returns how many it deleted.
func (s *Store) DeleteStaleLoginFailures(ctx context.Context, now time.Time, p LoginPolicy) (int64, error) {
	now = now.UTC()
	res, err := s.execWrite(ctx, s.db.NewDelete().Model((*LoginFailures)(nil)).
		Where("last_at <= ?", now.Add(-p.Forget)).
		Where("(locked_until IS NULL OR locked_until <= ?)", now))
	return rowsAffected(res, err, fmt.Sprintf("delete failed logins older than %s", p.Forget))
}
