package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"halochat/app/protocol"
	"halochat/backend/httpx"
	"halochat/backend/store"
)

func userJSON(u *store.User) protocol.User {
	return protocol.User{ID: u.ID, Email: u.Email, ExternalID: u.ExternalID, Username: u.Username, FirstName: u.FirstName,
		LastName: u.LastName, Phone: u.Phone, HasPassword: u.PasswordHash != "", Disabled: u.Disabled,
		CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt}
}

func (a *IdentityAPI) listUsers(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	var page store.Page
	for _, p := range []struct {
		name string
		dst  *int64
	}{{"offset", &page.Offset}, {"limit", &page.Limit}} {
		if v := q.Get(p.name); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				return apiInvalid(p.name, "must be a whole number ≥ 0, not %q", v)
			}
			*p.dst = n
		}
	}
	us, err := a.Store.ListUsers(r.Context(), page)
	if err != nil {
		return err
	}
	return writeList(w, us, userJSON)
}

func (a *IdentityAPI) user(ctx context.Context, r *http.Request) (*store.User, error) {
	return byPathID(ctx, r, "user", a.Store.GetUser)
}

func (a *IdentityAPI) getUser(w http.ResponseWriter, r *http.Request) error {
	u, err := a.user(r.Context(), r)
	if err != nil {
		return err
	}
	return writeOK(w, http.StatusOK, userJSON(u))
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

func applyUserInput(u *store.User, in *protocol.UserInput) {
	u.Email, u.ExternalID = in.Email, strings.TrimSpace(in.ExternalID)
	u.Username, u.FirstName, u.LastName, u.Phone = strings.TrimSpace(in.Username), strings.TrimSpace(in.FirstName),
		strings.TrimSpace(in.LastName), strings.TrimSpace(in.Phone)
	u.Disabled = in.Disabled
}

func (a *IdentityAPI) createUser(w http.ResponseWriter, r *http.Request) error {
	var in protocol.UserInput
	if err := httpx.ReadJSON(w, r, maxAdminBody, &in); err != nil {
		return err
	}
	hash, err := checkUserInput(&in, true)
	if err != nil {
		return err
	}
	if err := a.userTaken(r.Context(), 0, &in); err != nil {
		return err
	}
	u := &store.User{PasswordHash: hash}
	applyUserInput(u, &in)
	if err := a.Store.CreateUser(r.Context(), u); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return apiConflict("email or externalId: taken by another user")
		}
		return err
	}
	return writeOK(w, http.StatusCreated, userJSON(u))
}

func (a *IdentityAPI) updateUser(w http.ResponseWriter, r *http.Request) error {
	u, err := a.user(r.Context(), r)
	if err != nil {
		return err
	}
	var in protocol.UserInput
	if err := httpx.ReadJSON(w, r, maxAdminBody, &in); err != nil {
		return err
	}
	if in.ID != 0 && in.ID != u.ID {
		return apiInvalid("id", "%d is not the id in the path (%d)", in.ID, u.ID)
	}
	hash, err := checkUserInput(&in, false)
	if err != nil {
		return err
	}
	if err := a.userTaken(r.Context(), u.ID, &in); err != nil {
		return err
	}
	next := *u
	applyUserInput(&next, &in)
	if hash != "" {
		next.PasswordHash = hash
	}
	if err := a.Store.UpdateUser(r.Context(), &next); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return apiConflict("email or externalId: taken by another user")
		}
		return err
	}
	// A new password or a disabled account ends the user's portal sessions.
	if hash != "" || next.Disabled {
		if err := a.Store.DeletePortalSessionsOf(r.Context(), u.ID); err != nil {
			return err
		}
	}
	return writeOK(w, http.StatusOK, userJSON(&next))
}

func (a *IdentityAPI) disableUser(w http.ResponseWriter, r *http.Request) error {
	u, err := a.user(r.Context(), r)
	if err != nil {
		return err
	}
	if !u.Disabled {
		next := *u
		next.Disabled = true
		if err := a.Store.UpdateUser(r.Context(), &next); err != nil {
			return err
		}
		u = &next
	}
	if err := a.Store.DeletePortalSessionsOf(r.Context(), u.ID); err != nil {
		return err
	}
	return writeOK(w, http.StatusOK, userJSON(u))
}
