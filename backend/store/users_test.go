package store

import (
	"context"
	"errors"
	"testing"
)

func TestUsersByExternalIDOrEmail(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		tag := RandomID(4)
		a := &User{ExternalID: "ext-a-" + tag, Email: "a-" + tag + "@example.com"}
		b := &User{Email: "b-" + tag + "@example.com"}
		must(t, s.CreateUser(ctx, a))
		must(t, s.CreateUser(ctx, b))
		cases := []struct {
			name, ext, email string
			byID, byEmail    *User
		}{
			{"by external id", a.ExternalID, "", a, nil},
			{"by e-mail, any case", "", "B-" + tag + "@EXAMPLE.com", nil, b},
			{"both, two users", a.ExternalID, b.Email, a, b},
			{"both, one user", a.ExternalID, a.Email, a, a},
			{"unknown id, known address", "nobody-" + tag, a.Email, nil, a},
			{"neither", "", "", nil, nil},
			{"unknown both", "nobody-" + tag, "nobody-" + tag + "@example.com", nil, nil},
		}
		reservedBefore := int64(0)
		for _, tc := range cases {
			byID, byEmail, err := s.UsersByExternalIDOrEmail(ctx, tc.ext, tc.email)
			must(t, err)
			if (byID == nil) != (tc.byID == nil) || (byID != nil && byID.ID != tc.byID.ID) ||
				(byEmail == nil) != (tc.byEmail == nil) || (byEmail != nil && byEmail.ID != tc.byEmail.ID) {
				t.Fatalf("%s: got %+v, %+v", tc.name, byID, byEmail)
			}
			// UsersOrReservedID finds the same, and reserves a new user's
			// id (PostgreSQL) only when it finds neither: each id once.
			byID2, byEmail2, reserved, err := s.UsersOrReservedID(ctx, tc.ext, tc.email)
			must(t, err)
			if (byID2 == nil) != (byID == nil) || (byID2 != nil && byID2.ID != byID.ID) ||
				(byEmail2 == nil) != (byEmail == nil) || (byEmail2 != nil && byEmail2.ID != byEmail.ID) {
				t.Fatalf("%s, reserving: got %+v, %+v", tc.name, byID2, byEmail2)
			}
			none := byID == nil && byEmail == nil
			switch {
			case s.Dialect() != DialectPostgres || !none:
				if reserved != 0 {
					t.Fatalf("%s: reserved id %d, want none", tc.name, reserved)
				}
			case reserved <= reservedBefore || reserved <= b.ID:
				t.Fatalf("%s: reserved id %d after %d (users up to %d)", tc.name, reserved, reservedBefore, b.ID)
			default:
				reservedBefore = reserved
			}
		}
		if _, _, err := s.UsersByExternalIDOrEmail(ctx, "a\x00b", ""); !errors.Is(err, ErrInvalid) {
			t.Fatalf("NUL in the external id: %v", err)
		}
	})
}

// CreateUser (on PostgreSQL one statement through the batcher) stores
// what a read returns, and refuses a taken external id or address.
func TestCreateUser(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		tag := RandomID(4)
		u := &User{ExternalID: "cu-" + tag, Email: "CU-" + tag + "@Example.com", FirstName: "Ann", LastName: "Lee", Phone: "+1 555"}
		must(t, s.CreateUser(ctx, u))
		if u.ID == 0 || u.Email != "cu-"+tag+"@example.com" {
			t.Fatalf("created %+v", u)
		}
		got, err := s.GetUser(ctx, u.ID)
		must(t, err)
		if got.ExternalID != u.ExternalID || got.Email != u.Email || got.FirstName != "Ann" || got.Phone != "+1 555" || !got.CreatedAt.Equal(u.CreatedAt) {
			t.Fatalf("read %+v, created %+v", got, u)
		}
		anon := &User{FirstName: "No ids"}
		must(t, s.CreateUser(ctx, anon))
		again := &User{FirstName: "Also none"}
		must(t, s.CreateUser(ctx, again)) // empty ids are NULL: not unique
		wantErr(t, s.CreateUser(ctx, &User{ExternalID: u.ExternalID}), ErrConflict)
		wantErr(t, s.CreateUser(ctx, &User{Email: "cu-" + tag + "@EXAMPLE.com"}), ErrConflict)
		wantErr(t, s.CreateUser(ctx, &User{FirstName: "a\x00b"}), ErrInvalid)

		// A hint user: found by its hint address alone, never by e-mail;
		// one per address.
		hinted := &User{HintEmail: "CU-" + tag + "@Example.com"}
		must(t, s.CreateUser(ctx, hinted))
		got, err = s.GetUserByHintEmail(ctx, "cu-"+tag+"@example.COM")
		must(t, err)
		if got.ID != hinted.ID || got.HintEmail != "cu-"+tag+"@example.com" || got.Email != "" {
			t.Fatalf("GetUserByHintEmail = %+v, want %+v", got, hinted)
		}
		if byEmail, err := s.GetUserByEmail(ctx, got.HintEmail); err != nil || byEmail.ID != u.ID {
			t.Fatalf("GetUserByEmail of the hinted address = %+v, %v: want the user whose address it is", byEmail, err)
		}
		wantErr(t, s.CreateUser(ctx, &User{HintEmail: hinted.HintEmail}), ErrConflict)
		_, err = s.GetUserByHintEmail(ctx, "nobody-"+tag+"@example.com")
		wantErr(t, err, ErrNotFound)
	})
}
