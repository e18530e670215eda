package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"halochat/backend/httpx"
	"halochat/backend/secret"
	"halochat/backend/store"
)

// Limits bound password guessing at agent logins (/auth/login) and API
// client tokens (/auth/token), per account and per client address.
//
// An account's failures are counted in the database, so every node of a
// cluster locks it alike: the lock is what keeps a password from being
// guessed, and a guesser spreading attempts over the nodes behind a load
// balancer must not get a budget per node. An address's failures are
// counted on each node (an x/time/rate bucket): they bound the work one
// address makes a node do (a bcrypt check per attempt) and keep one
// address from locking account after account; a cluster of n nodes lets
// an address n times the rate, while the account locks stay shared.
type Limits struct {
	// Failures is the failed attempts at one account (an e-mail, a client
	// id; whether or not it exists) that lock it: the Failures-th failure
	// locks it for FirstLock, each later one for twice as long as the
	// one before, up to MaxLock, until a success or Forget without one.
	// Defaults 5, 30 s, 15 min and 24 h; a negative Failures locks never.
	Failures           int
	FirstLock, MaxLock time.Duration
	Forget             time.Duration
	// AddressFailuresPerMinute is the failed attempts one address may
	// make a minute, in bursts of as many (default 10; negative: no limit).
	AddressFailuresPerMinute float64
}

// Defaults of Limits.
const (
	DefaultFailures                 = 5
	DefaultFirstLock                = 30 * time.Second
	DefaultMaxLock                  = 15 * time.Minute
	DefaultForget                   = 24 * time.Hour
	DefaultAddressFailuresPerMinute = 10
)

// Unlimited lifts both limits (load tests driven from one address).
func Unlimited() Limits { return Limits{Failures: -1, AddressFailuresPerMinute: -1} }

func (l Limits) withDefaults() Limits {
	if l.Failures == 0 {
		l.Failures = DefaultFailures
	}
	if l.FirstLock <= 0 {
		l.FirstLock = DefaultFirstLock
	}
	if l.MaxLock <= 0 {
		l.MaxLock = DefaultMaxLock
	}
	if l.Forget <= 0 {
		l.Forget = DefaultForget
	}
	if l.AddressFailuresPerMinute == 0 {
		l.AddressFailuresPerMinute = DefaultAddressFailuresPerMinute
	}
	return l
}

// policy is l's locks as the store applies them.
func (l Limits) policy() store.LoginPolicy {
	return store.LoginPolicy{Forget: l.Forget, Lock: func(n int64) time.Duration {
		if l.Failures < 0 || n < int64(l.Failures) {
			return 0
		}
		lock := l.FirstLock
		for i := int64(l.Failures); i < n && lock < l.MaxLock; i++ {
			lock *= 2
		}
		return min(lock, l.MaxLock)
	}}
}

// guard holds the per-address buckets, made on first use.
type guard struct {
	limits    Limits
	addresses *httpx.RateLimiter
}

func (s *Service) guard() *guard {
	s.guardOnce.Do(func() {
		l := s.Limits.withDefaults()
		s.g = &guard{limits: l, addresses: httpx.PerMinute(l.AddressFailuresPerMinute)}
	})
	return s.g
}

// What is attempted: an agent's password, or an API client's secret.
const (
	kindAgent  = "agent"
	kindClient = "client"
)

// attempt is one guess at an account's password the guard let through.
type attempt struct {
	s       *Service
	r       *http.Request
	kind    string
	account string // the e-mail or client id, for the log
	subject string // the store's name of it
	claim   store.LoginFailures
	claimed bool
}

// errLocked says an attempt was refused: its account or address failed
// too often; wait is the Retry-After.
type errLocked struct {
	wait time.Duration
	why  string
}

func (e *errLocked) Error() string { return e.why }

// admit lets an attempt at account's password through, or refuses it
// (*errLocked) while its address or the account is locked. A let-through
// attempt counts as a failure until done says otherwise.
func (s *Service) admit(r *http.Request, kind, account string) (*attempt, error) {
	g := s.guard()
	if wait := g.addresses.Wait(kind + " " + httpx.ClientKey(r)); wait > 0 {
		return nil, &errLocked{wait: wait, why: "too many failed attempts from this address"}
	}
	a := &attempt{s: s, r: r, kind: kind, account: account, subject: kind + ":" + secret.HashKey(account)}
	if g.limits.Failures < 0 {
		return a, nil
	}
	claim, ok, err := s.Store.ClaimLogin(r.Context(), a.subject, s.now(), g.limits.policy())
	if err != nil {
		return nil, fmt.Errorf("count the attempt: %w", err)
	}
	if !ok {
		return nil, &errLocked{wait: claim.LockedUntil.Sub(s.now()), why: "too many failed attempts for this " + accountWord(kind)}
	}
	a.claim, a.claimed = claim, true
	return a, nil
}

func accountWord(kind string) string {
	if kind == kindClient {
		return "client"
	}
	return "account"
}

// done settles the attempt with the check's outcome: a failure stays
// counted against the account and is counted against the address (and a
// lock it causes is logged); anything else was no guess (a success, or an
// e-mail no account can have) and clears the account's failures.
func (a *attempt) done(err error) {
	ctx := a.r.Context()
	if errors.Is(err, ErrBadCredentials) {
		a.failed(ctx)
		return
	}
	if err != nil && !errors.Is(err, store.ErrInvalid) {
		return // the service failed: the attempt stays counted
	}
	if a.claimed {
		if err := a.s.Store.ClearLoginFailures(ctx, a.subject); err != nil {
			a.s.log().WarnContext(ctx, "clear the failed logins of an account", "kind", a.kind, "err", err)
		}
	}
}

func (a *attempt) failed(ctx context.Context) {
	g := a.s.guard()
	log := a.s.log()
	if !a.claim.LockedUntil.IsZero() {
		log.WarnContext(ctx, "account locked after failed logins", "kind", a.kind, "account", a.account,
			"address", httpx.ClientIP(a.r), "failures", a.claim.Failures,
			"locked_for", a.claim.LockedUntil.Sub(a.claim.LastAt).String())
	}
	key := a.kind + " " + httpx.ClientKey(a.r)
	g.addresses.Allow(key)
	if wait := g.addresses.Wait(key); wait > 0 {
		log.WarnContext(ctx, "address locked after failed logins", "kind", a.kind,
			"address", httpx.ClientKey(a.r), "locked_for", wait.Round(time.Second).String())
	}
}

// guarded runs check — a login, a token issue: an attempt at kind's
// account — unless the guard refuses it (*errLocked), and settles the
// attempt with check's outcome.
func (s *Service) guarded(r *http.Request, kind, account string, check func() error) error {
	a, err := s.admit(r, kind, account)
	if err != nil {
		return err
	}
	err = check()
	a.done(err)
	return err
}

// DeleteStaleLoginFailures deletes the failure counts the limits forget
// and that lock nothing (the service sweeps with it) and returns how many.
func (s *Service) DeleteStaleLoginFailures(ctx context.Context) (int64, error) {
	return s.Store.DeleteStaleLoginFailures(ctx, s.now(), s.guard().limits.policy())
}
