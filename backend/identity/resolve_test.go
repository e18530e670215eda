package identity_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"halochat/app/protocol"
	"halochat/backend/httpx"
	"halochat/backend/identity"
	"halochat/backend/store"
	"halochat/backend/storetest"
	"halochat/backend/testenv"
)

// env is one database with a profile, chat fields, and a movable clock.
type env struct {
	st      *store.Store
	r       *identity.Resolver
	p       *store.ChatProfile
	secret  string
	offset  atomic.Int64 // clock offset from testNow, in ns
	advance func(d time.Duration)
}

// openWithChatFields opens a store at dsn on the clock now, with the
// chat fields of testChatFields.
func openWithChatFields(t testing.TB, dsn string, now func() time.Time) *store.Store {
	t.Helper()
	st := storetest.OpenWith(t, dsn, store.Options{Now: now})
	for _, f := range testChatFields() {
		f.ID = 0
		if err := st.CreateCustomField(context.Background(), &f); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

func newEnv(t *testing.T, dsn string) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{secret: "0123456789abcdef0123456789abcdef-resolve"}
	now := func() time.Time { return testNow.Add(time.Duration(e.offset.Load())) }
	e.advance = func(d time.Duration) { e.offset.Add(int64(d)) }
	st := openWithChatFields(t, dsn, now)
	e.st = st
	e.r = &identity.Resolver{Store: st}
	e.p = &store.ChatProfile{Name: "p", Access: store.AccessPortalAndExternal,
		Identity:      store.IdentitySettings{HS256Secrets: []store.HMACSecret{{KID: "k", Secret: e.secret}}},
		TokenMappings: testMappings}
	if err := st.CreateProfile(ctx, e.p); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) token(t testing.TB, extra jwt.MapClaims) string {
	c := jwt.MapClaims{"exp": testNow.Add(time.Hour).Unix()}
	for k, v := range extra {
		c[k] = v
	}
	return sign(t, jwt.SigningMethodHS256, "k", []byte(e.secret), c)
}

func (e *env) resolve(t testing.TB, req identity.Request) (*identity.Identity, *protocol.APIError) {
	t.Helper()
	id, err := e.r.Resolve(context.Background(), e.p, req)
	if err != nil {
		var ie *protocol.APIError
		if !errors.As(err, &ie) {
			t.Fatalf("Resolve: %v (not an *protocol.APIError)", err)
		}
		return nil, ie
	}
	return id, nil
}

func (e *env) mustResolve(t testing.TB, req identity.Request) *identity.Identity {
	t.Helper()
	id, ie := e.resolve(t, req)
	if ie != nil {
		t.Fatalf("Resolve refused: %d %s", httpx.Status(ie), ie.Message)
	}
	return id
}

func (e *env) matching(t testing.TB, content string, singleUse bool) identity.CreatedMatchingData {
	t.Helper()
	got, err := identity.CreateMatchingData(context.Background(), e.st, 0,
		[]identity.NewMatchingData{{Content: json.RawMessage(content), SingleUse: singleUse}})
	if err != nil {
		t.Fatal(err)
	}
	return got[0]
}

func wantRefusal(t *testing.T, ie *protocol.APIError, status int, says string) {
	t.Helper()
	if ie == nil {
		t.Fatalf("accepted, want %d %q", status, says)
	}
	if httpx.Status(ie) != status || ie.Code != "invalid_token" || !strings.Contains(ie.Message, says) {
		t.Errorf("refusal = %d %s %q, want %d invalid_token saying %q", httpx.Status(ie), ie.Code, ie.Message, status, says)
	}
}

func TestResolve(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		ctx := context.Background()

		t.Run("no token: anonymous, the hint kept for prefill only", func(t *testing.T) {
			id := e.mustResolve(t, identity.Request{EmailHint: " Ann@Example.com "})
			if id.Authenticated || id.User != nil || id.EmailHint != "ann@example.com" {
				t.Errorf("identity = %+v", id)
			}
			id = e.mustResolve(t, identity.Request{EmailHint: "not an address"})
			if id.EmailHint != "" {
				t.Errorf("bad hint kept: %q", id.EmailHint)
			}
		})

		t.Run("a required token is required", func(t *testing.T) {
			p := *e.p
			p.Identity.TokenRequired = true
			_, err := e.r.Resolve(ctx, &p, identity.Request{EmailHint: "a@b.example"})
			var ie *protocol.APIError
			if !errors.As(err, &ie) || httpx.Status(ie) != 401 {
				t.Fatalf("err = %v", err)
			}
		})

		t.Run("a trusted hint is the identity; it fills no chat field", func(t *testing.T) {
			p := *e.p
			p.TrustEmailStorage = true
			id, err := e.r.Resolve(ctx, &p, identity.Request{EmailHint: "trusted@example.com", Embedded: true})
			if err != nil {
				t.Fatal(err)
			}
			if !id.Authenticated || id.User == nil || id.User.Email != "trusted@example.com" || len(id.ChatFields) != 0 {
				t.Errorf("identity = %+v", id)
			}
		})

		t.Run("a token finds or creates the user by external id and updates it", func(t *testing.T) {
			tok := e.token(t, jwt.MapClaims{"sub": "ext-1", "given_name": "Ann", "mail": "ann@example.com", "CFtier": "gold"})
			id := e.mustResolve(t, identity.Request{IDToken: tok, Embedded: true})
			if !id.Authenticated || id.User == nil || id.User.ID == 0 || id.User.ExternalID != "ext-1" ||
				id.User.FirstName != "Ann" || id.User.Email != "ann@example.com" {
				t.Fatalf("identity = %+v user %+v", id, id.User)
			}
			if len(id.ChatFields) != 2 { // CFtier by name, CFlabelClash by label
				t.Errorf("chat fields = %+v", id.ChatFields)
			}
			first := id.User.ID
			tok = e.token(t, jwt.MapClaims{"sub": "ext-1", "given_name": "Annie", "family_name": "Lee"})
			id = e.mustResolve(t, identity.Request{IDToken: tok, Embedded: true})
			if id.User.ID != first || id.User.FirstName != "Annie" || id.User.LastName != "Lee" || id.User.Email != "ann@example.com" {
				t.Errorf("second resolve user = %+v", id.User)
			}
			stored, err := e.st.GetUser(ctx, first)
			if err != nil || stored.FirstName != "Annie" {
				t.Errorf("stored user = %+v, %v", stored, err)
			}
		})

		t.Run("by e-mail when there is no external id; other users are never merged", func(t *testing.T) {
			id := e.mustResolve(t, identity.Request{IDToken: e.token(t, jwt.MapClaims{"mail": "Bob@Example.com", "given_name": "Bob"})})
			id2 := e.mustResolve(t, identity.Request{IDToken: e.token(t, jwt.MapClaims{"mail": "bob@example.com", "sub": "ext-bob"})})
			if id2.User.ID != id.User.ID || id2.User.ExternalID != "ext-bob" {
				t.Errorf("linking by e-mail: %+v then %+v", id.User, id2.User)
			}
			// Ann's address under another external id: a new user without it.
			id3 := e.mustResolve(t, identity.Request{IDToken: e.token(t, jwt.MapClaims{"mail": "ann@example.com", "sub": "ext-other"})})
			if id3.User.ID == id.User.ID || id3.User.Email != "" || id3.User.ExternalID != "ext-other" {
				t.Errorf("other user = %+v", id3.User)
			}
		})

		t.Run("chat custom fields only for embedded chats", func(t *testing.T) {
			id := e.mustResolve(t, identity.Request{IDToken: e.token(t, jwt.MapClaims{"sub": "ext-1", "CFtier": "platinum"})})
			if len(id.ChatFields) != 0 {
				t.Errorf("portal chat got chat fields %+v", id.ChatFields)
			}
			_, ie := e.resolve(t, identity.Request{IDToken: e.token(t, jwt.MapClaims{"sub": "ext-1", "CFtier": "platinum"}), Embedded: true})
			wantRefusal(t, ie, 422, "CFtier")
		})

		t.Run("a token with only custom fields is an anonymous visitor with fields", func(t *testing.T) {
			id := e.mustResolve(t, identity.Request{IDToken: e.token(t, jwt.MapClaims{"Seats": 3}), Embedded: true})
			if id.Authenticated || id.User != nil || len(id.ChatFields) != 1 || id.ChatFields[0].Value != "3" {
				t.Errorf("identity = %+v", id)
			}
		})

		t.Run("matching data replaces the token's claims", func(t *testing.T) {
			md := e.matching(t, `{"given_name":"Carl","sub":"ext-carl","mail":"carl@example.com","Customer Tier":"bronze","CFseats":"7"}`, false)
			tok := e.token(t, jwt.MapClaims{identity.ClaimMatchingGUID: md.GUID, identity.ClaimMatchingKey: md.Key, "sub": "ignored", "CFvip": true})
			for range 2 { // reusable until it expires
				id := e.mustResolve(t, identity.Request{IDToken: tok, Embedded: true})
				got := fieldValues(&identity.Mapped{ChatFields: id.ChatFields})
				if id.User.ExternalID != "ext-carl" || id.User.FirstName != "Carl" || id.MatchingDataGUID != md.GUID ||
					len(got) != 2 || got["CFtier"] != "bronze" || got["CFseats"] != "7" {
					t.Fatalf("identity = %+v user %+v fields %v", id, id.User, got)
				}
			}
		})

		t.Run("matching data refusals", func(t *testing.T) {
			md := e.matching(t, `{"sub":"ext-dora"}`, true)
			claims := func(guid, key string) identity.Request {
				return identity.Request{IDToken: e.token(t, jwt.MapClaims{identity.ClaimMatchingGUID: guid, identity.ClaimMatchingKey: key}), Embedded: true}
			}
			_, ie := e.resolve(t, claims(md.GUID, md.Key+"x"))
			wantRefusal(t, ie, 401, "key does not match")
			_, ie = e.resolve(t, claims("5a4f0c1e-0000-4000-8000-000000000000", md.Key))
			wantRefusal(t, ie, 401, "unknown GUID")
			_, ie = e.resolve(t, identity.Request{IDToken: e.token(t, jwt.MapClaims{identity.ClaimMatchingGUID: md.GUID})})
			wantRefusal(t, ie, 401, "no "+identity.ClaimMatchingKey)
			_, ie = e.resolve(t, identity.Request{IDToken: e.token(t, jwt.MapClaims{identity.ClaimMatchingKey: md.Key})})
			wantRefusal(t, ie, 401, "no "+identity.ClaimMatchingGUID)
			// The wrong key did not use it up.
			if id := e.mustResolve(t, claims(md.GUID, md.Key)); id.User.ExternalID != "ext-dora" {
				t.Errorf("user = %+v", id.User)
			}
			_, ie = e.resolve(t, claims(md.GUID, md.Key))
			wantRefusal(t, ie, 401, "has been used")

			bad := e.matching(t, `{"sub":"ext-eve","CFtier":"platinum"}`, true)
			_, ie = e.resolve(t, claims(bad.GUID, bad.Key))
			wantRefusal(t, ie, 422, "CFtier")
			if d, err := e.st.GetMatchingData(ctx, bad.GUID); err != nil || !d.UsedAt.IsZero() {
				t.Errorf("a refused value used the item up: %+v %v", d, err)
			}

			old := e.matching(t, `{"sub":"ext-old"}`, false)
			e.advance(store.MatchingDataTTL)
			defer e.advance(-store.MatchingDataTTL)
			_, ie = e.resolve(t, identity.Request{IDToken: sign(t, jwt.SigningMethodHS256, "k", []byte(e.secret),
				jwt.MapClaims{"exp": testNow.Add(store.MatchingDataTTL + time.Hour).Unix(),
					identity.ClaimMatchingGUID: old.GUID, identity.ClaimMatchingKey: old.Key})})
			wantRefusal(t, ie, 401, "has expired")
		})

		t.Run("concurrent uses of a single-use item: exactly one wins", func(t *testing.T) {
			md := e.matching(t, `{"sub":"ext-race"}`, true)
			req := identity.Request{IDToken: e.token(t, jwt.MapClaims{identity.ClaimMatchingGUID: md.GUID, identity.ClaimMatchingKey: md.Key})}
			var wg sync.WaitGroup
			var won, lost atomic.Int32
			for range 8 {
				wg.Go(func() {
					_, err := e.r.Resolve(ctx, e.p, req)
					var ie *protocol.APIError
					switch {
					case err == nil:
						won.Add(1)
					case errors.As(err, &ie) && httpx.Status(ie) == 401:
						lost.Add(1)
					default:
						t.Errorf("Resolve: %v", err)
					}
				})
			}
			wg.Wait()
			if won.Load() != 1 || lost.Load() != 7 {
				t.Errorf("won %d, lost %d; want 1 and 7", won.Load(), lost.Load())
			}
		})

		t.Run("the sweep deletes expired and used items", func(t *testing.T) {
			// Everything made so far expires; keep is made afterwards.
			e.advance(store.MatchingDataTTL)
			defer e.advance(-store.MatchingDataTTL)
			keep := e.matching(t, `{}`, false)
			sctx, cancel := context.WithCancel(ctx)
			done := make(chan struct{})
			go func() { identity.SweepMatchingData(sctx, e.st, time.Hour, nil); close(done) }()
			deadline := time.Now().Add(5 * time.Second)
			for {
				n, err := e.st.DB().NewSelect().Table("chat_matching_data").Count(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if n == 1 || time.Now().After(deadline) {
					if n != 1 {
						t.Errorf("%d items left, want 1", n)
					}
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			cancel()
			<-done
			if _, err := e.st.GetMatchingData(ctx, keep.GUID); err != nil {
				t.Errorf("the unexpired item went: %v", err)
			}
		})
	})
}
