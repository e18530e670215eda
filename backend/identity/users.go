package identity

import (
	"context"
	"errors"
	"fmt"

	"halochat/app/flow"
	"halochat/backend/store"
)

// findOrCreateUser returns the user the mapped user fields name: by
// external id, else by e-mail; a new user when neither finds one (or when
// neither is given). A found user's other fields are updated from the
// claims: the host system is the authority on its users.
//
// A user found by e-mail who already has another external id is not the
// token's user: the new user is created without the e-mail address (it
// is unique) rather than merged into someone else. created is true when
// the user is new, inserted by this call — or, with deferNew, to be
// inserted by the caller (Request.DeferNewUser).
func (r *Resolver) findOrCreateUser(ctx context.Context, fields map[string]string, deferNew bool) (u *store.User, created bool, err error) {
	// A concurrent first chat of the same person may create the user
	// between our look-up and our insert: look up again after a conflict.
	for range 3 {
		u, created, err = r.findOrCreateOnce(ctx, fields, deferNew)
		if err == nil {
			return u, created, nil
		}
		if !errors.Is(err, store.ErrConflict) {
			return nil, false, err
		}
	}
	return nil, false, err
}

func (r *Resolver) findOrCreateOnce(ctx context.Context, fields map[string]string, deferNew bool) (*store.User, bool, error) {
	ext, email := fields[flow.UserExternalID], fields[flow.UserEmail]
	// Both candidates in one query: by external id first, then by e-mail;
	// with deferNew, the id of a new user when neither exists.
	var byExt, byEmail *store.User
	var reserved int64
	var err error
	if deferNew {
		byExt, byEmail, reserved, err = r.Store.UsersOrReservedID(ctx, ext, email)
	} else {
		byExt, byEmail, err = r.Store.UsersByExternalIDOrEmail(ctx, ext, email)
	}
	if err != nil {
		return nil, false, fmt.Errorf("find the token's user: %w", err)
	}
	if byExt != nil {
		u, err := r.refreshUser(ctx, byExt, fields, true)
		return u, false, err
	}
	if email != "" && byEmail != nil {
		if ext == "" || byEmail.ExternalID == "" {
			if ext != "" {
				byEmail.ExternalID = ext // link the host system's id to the known address
			}
			u, err := r.refreshUser(ctx, byEmail, fields, false)
			return u, false, err
		}
		email = "" // someone else's address: see the doc comment
	}
	u := &store.User{ExternalID: ext, Email: email}
	applyUserFields(u, fields)
	if deferNew {
		u.ID = reserved
		if reserved == 0 { // a user with another external id holds the address (or SQLite: no ids to reserve)
			if u.ID, err = r.Store.ReserveUserID(ctx); err != nil {
				return nil, false, fmt.Errorf("reserve the token's new user's id: %w", err)
			}
		}
		return u, true, nil
	}
	if err := r.Store.CreateUser(ctx, u); err != nil {
		return nil, false, fmt.Errorf("create the token's user: %w", err)
	}
	return u, true, nil
}

// Refind looks id's user up again after the store refused to create it
// with what it started (store.ErrUserTaken: a concurrent first start of
// the same person, or another user who took the e-mail address, came
// first). Request.DeferNewUser's identities only.
func (r *Resolver) Refind(ctx context.Context, id *Identity) error {
	u, created, err := r.findOrCreateUser(ctx, id.userFields, true)
	if err != nil {
		return err
	}
	id.User, id.NewUser = u, created
	return nil
}

// applyUserFields copies the non-identifying fields present in fields to
// u and reports whether anything changed.
func applyUserFields(u *store.User, fields map[string]string) bool {
	changed := false
	set := func(dst *string, field string) {
		if v, ok := fields[field]; ok && v != "" && *dst != v {
			*dst, changed = v, true
		}
	}
	set(&u.FirstName, flow.UserFirstName)
	set(&u.LastName, flow.UserLastName)
	set(&u.Username, flow.UserUsername)
	set(&u.Phone, flow.UserPhone)
	return changed
}

// refreshUser saves the claims' fields on a found user when they differ.
// byExternalID allows the e-mail address to change too, unless another
// user holds it.
func (r *Resolver) refreshUser(ctx context.Context, u *store.User, fields map[string]string, byExternalID bool) (*store.User, error) {
	before := *u
	changed := applyUserFields(u, fields)
	changed = changed || u.ExternalID != before.ExternalID
	if email := fields[flow.UserEmail]; byExternalID && email != "" && email != u.Email {
		other, err := r.Store.GetUserByEmail(ctx, email)
		switch {
		case errors.Is(err, store.ErrNotFound):
			u.Email, changed = email, true
		case err != nil:
			return nil, fmt.Errorf("check the token's e-mail address: %w", err)
		case other.ID == u.ID:
		}
	}
	if !changed {
		return u, nil
	}
	if err := r.Store.UpdateUser(ctx, u); err != nil {
		if errors.Is(err, store.ErrConflict) {
			*u = before // the address or id was taken meanwhile: keep the stored user
			return u, nil
		}
		return nil, fmt.Errorf("update the token's user: %w", err)
	}
	return u, nil
}

// hintUser is the user a profile that trusts its e-mail hint keeps the
// chats hinting address under: a user of its own, keyed by the hint
// alone (store.User.HintEmail), never the user whose e-mail address it
// is — a portal user, a token's user — nor an agent. No log-in reaches
// it (they find users by e-mail address or external id), and nothing
// stored on it is shown to the visitor. nil once an admin made it
// someone's (an e-mail address, an external id or a password) or
// disabled it: then no chat joins it.
func (r *Resolver) hintUser(ctx context.Context, hint string) (*store.User, error) {
	for range 3 {
		u, err := r.Store.GetUserByHintEmail(ctx, hint)
		switch {
		case errors.Is(err, store.ErrNotFound):
			u = &store.User{HintEmail: hint}
			err = r.Store.CreateUser(ctx, u)
			if errors.Is(err, store.ErrConflict) {
				continue // a concurrent first chat hinting it made it
			}
			if err != nil {
				return nil, fmt.Errorf("create the hint user of %s: %w", hint, err)
			}
			return u, nil
		case err != nil:
			return nil, fmt.Errorf("find the hint user of %s: %w", hint, err)
		case u.Email != "" || u.ExternalID != "" || u.PasswordHash != "" || u.Disabled:
			return nil, nil
		}
		return u, nil
	}
	return nil, fmt.Errorf("create the hint user of %s: %w", hint, store.ErrConflict)
}
