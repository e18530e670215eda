package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"halochat/app/protocol"
	"halochat/backend/privacy"
	"halochat/backend/store"
)

func userJSON(u *store.User) protocol.User { return privacy.UserJSON(u) }

// users are the visitors and portal users (/api/User).
func (a *IdentityAPI) users() resource[store.User, protocol.UserInput, protocol.User] {
	return resource[store.User, protocol.UserInput, protocol.User]{
		load:   a.user,
		list:   a.listUsers,
		show:   shown(userJSON),
		build:  a.buildUser,
		create: a.Store.CreateUser,
		update: a.Store.UpdateUser,
		taken:  func(*store.User) error { return apiConflict("email or externalId: taken by another user") },
		// A new password or a disabled account ends the user's portal
		// sessions.
		updated: func(ctx context.Context, was, next *store.User) error {
			if next.PasswordHash == was.PasswordHash && !next.Disabled {
				return nil
			}
			return a.Store.DeletePortalSessionsOf(ctx, next.ID)
		},
	}
}

// listUsers reads the page of users ?offset= and ?limit= ask for.
func (a *IdentityAPI) listUsers(r *http.Request) ([]store.User, error) {
	page, err := pageQuery(r)
	if err != nil {
		return nil, err
	}
	return a.Store.ListUsers(r.Context(), page)
}

// pageQuery reads the page ?offset= and ?limit= ask for.
func pageQuery(r *http.Request) (store.Page, error) {
	q := r.URL.Query()
	var page store.Page
	for _, p := range []struct {
		name string
		dst  *int64
	}{{"offset", &page.Offset}, {"limit", &page.Limit}} {
		if v := q.Get(p.name); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				return page, apiInvalid(p.name, "must be a whole number ≥ 0, not %q", v)
			}
			*p.dst = n
		}
	}
	return page, nil
}

func (a *IdentityAPI) user(ctx context.Context, r *http.Request) (*store.User, error) {
	return byPathID(ctx, r, "user", a.Store.GetUser)
}

// checkUserInput validates the fields and (when given or required) the
// password, and returns the password's hash ("" = none given).
func checkUserInput(in *protocol.UserInput, passwordRequired bool) (string, error) {
	if err := checkEmail(in.Email); err != nil {
		return "", err
	}
	for _, f := range []struct{ name, v string }{
		{"externalId", in.ExternalID}, {"username", in.Username}, {"firstName", in.FirstName},
		{"lastName", in.LastName}, {"phone", in.Phone},
	} {
		if err := textField(f.name, f.v, false, 200); err != nil {
			return "", err
		}
	}
	return hashPassword(in.Password, passwordRequired, "the portal user's")
}

// userTaken answers 409 naming the field when another user holds the
// e-mail address or the external id.
func (a *IdentityAPI) userTaken(ctx context.Context, self int64, in *protocol.UserInput) error {
	email := store.NormalizeEmail(in.Email)
	switch u, err := a.Store.GetUserByEmail(ctx, email); {
	case err == nil && u.ID != self:
		return apiConflict("email: a user with %q exists (id %d)", email, u.ID)
	case err != nil && !errors.Is(err, store.ErrNotFound):
		return err
	}
	if ext := strings.TrimSpace(in.ExternalID); ext != "" {
		switch u, err := a.Store.GetUserByExternalID(ctx, ext); {
		case err == nil && u.ID != self:
			return apiConflict("externalId: user %d has external id %q", u.ID, ext)
		case err != nil && !errors.Is(err, store.ErrNotFound):
			return err
		}
	}
	return nil
}

// buildUser validates in and returns the user to store: a new one (with
// a password) when cur is nil, else a copy of cur that in changes.
func (a *IdentityAPI) buildUser(ctx context.Context, cur *store.User, in *protocol.UserInput) (*store.User, error) {
	next := &store.User{}
	if cur != nil {
		if err := pathIDIs(in.ID, cur.ID); err != nil {
			return nil, err
		}
		*next = *cur
	}
	hash, err := checkUserInput(in, cur == nil)
	if err != nil {
		return nil, err
	}
	if err := a.userTaken(ctx, next.ID, in); err != nil {
		return nil, err
	}
	applyUserInput(next, in)
	if hash != "" {
		next.PasswordHash = hash
	}
	return next, nil
}

func applyUserInput(u *store.User, in *protocol.UserInput) {
	u.Email, u.ExternalID = in.Email, strings.TrimSpace(in.ExternalID)
	u.Username, u.FirstName, u.LastName, u.Phone = strings.TrimSpace(in.Username), strings.TrimSpace(in.FirstName),
		strings.TrimSpace(in.LastName), strings.TrimSpace(in.Phone)
	u.Disabled = in.Disabled
}

// disableUser disables u (kept so their chats and tickets keep them) and
// ends their portal sessions.
func (a *IdentityAPI) disableUser(ctx context.Context, u *store.User) (*store.User, error) {
	if !u.Disabled {
		next := *u
		next.Disabled = true
		if err := a.Store.UpdateUser(ctx, &next); err != nil {
			return nil, err
		}
		u = &next
	}
	if err := a.Store.DeletePortalSessionsOf(ctx, u.ID); err != nil {
		return nil, err
	}
	return u, nil
}
