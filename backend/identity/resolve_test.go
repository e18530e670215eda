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
	e := &env{secret: "0123456789abcdef0123456789abcdef-resolve"}
	now := func() time.Time { return testNow.Add(time.Duration(e.offset.Load())) }
	e.advance = func(d time.Duration) { e.offset.Add(int64(d)) }
	st := openWithChatFields(t, dsn, now)
	e.st = st
	e.r = &identity.Resolver{Store: st}
	e.p = e.profile(t, "p")
	return e
}

// profile makes a profile with the env's key and mappings.
func (e *env) profile(t testing.TB, name string) *store.ChatProfile {
	t.Helper()
	p := &store.ChatProfile{Name: name, Access: store.AccessPortalAndExternal,
		Identity:      store.IdentitySettings{HS256Secrets: []store.HMACSecret{{KID: "k", Secret: e.secret}}},
		TokenMappings: testMappings}
	if err := e.st.CreateProfile(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	return p
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

// use resolves tok on p and uses it, as a chat start does.
func (e *env) use(p *store.ChatProfile, tok string) error {
	ctx := context.Background()
	id, err := e.r.Resolve(ctx, p, identity.Request{IDToken: tok})
	if err != nil {
		return err
	}
	return e.r.Use(ctx, id)
}

// oneWins runs attempt 8 times at once: exactly one must succeed, the
// others be refused with 401.
func oneWins(t *testing.T, attempt func() error) {
	t.Helper()
	var wg sync.WaitGroup
	var won, lost atomic.Int32
	for range 8 {
		wg.Go(func() {
			err := attempt()
			var ie *protocol.APIError
			switch {
			case err == nil:
				won.Add(1)
			case errors.As(err, &ie) && httpx.Status(ie) == 401:
				lost.Add(1)
			default:
				t.Errorf("attempt: %v", err)
			}
		})
	}
	wg.Wait()
	if won.Load() != 1 || lost.Load() != 7 {
		t.Errorf("won %d, lost %d; want 1 and 7", won.Load(), lost.Load())
	}
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

// TestResolve runs its steps in order on one database for each: later
// steps meet the users, items and token ids earlier ones made.
func TestResolve(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dsn string) {
		testenv.RunSteps(t, newEnv(t, dsn), []testenv.Step[*env]{
			{Name: "no token: anonymous, the hint kept for prefill only", Run: resolveAnonymous},
			{Name: "a required token is required", Run: resolveTokenRequired},
			{Name: "a trusted hint signs no one in: it names a hint user of its own, and fills no chat field", Run: resolveTrustedHint},
			{Name: "a token finds or creates the user by external id and updates it", Run: resolveByExternalID},
			{Name: "by e-mail when there is no external id; other users are never merged", Run: resolveByEmail},
			{Name: "chat custom fields only for embedded chats", Run: resolveChatFieldsEmbeddedOnly},
			{Name: "a token with only custom fields is an anonymous visitor with fields", Run: resolveFieldsOnly},
			{Name: "matching data replaces the token's claims", Run: resolveMatchingData},
			{Name: "matching data refusals look alike", Run: resolveMatchingRefusals},
			{Name: "concurrent uses of a single-use item: exactly one wins", Run: resolveMatchingRace},
			{Name: "a jti is used once per profile, by Use only", Run: resolveJTIOnce},
			{Name: "a token refused for another reason keeps its jti", Run: resolveRefusedKeepsJTI},
			{Name: "concurrent uses of one jti: exactly one wins", Run: resolveJTIRace},
			{Name: "the sweep deletes expired and used items and jti records", Run: resolveSweep},
		})
	})
}

func resolveAnonymous(t *testing.T, e *env) {
	id := e.mustResolve(t, identity.Request{EmailHint: " Ann@Example.com "})
	if id.Authenticated || id.User != nil || id.EmailHint != "ann@example.com" {
		t.Errorf("identity = %+v", id)
	}
	id = e.mustResolve(t, identity.Request{EmailHint: "not an address"})
	if id.EmailHint != "" {
		t.Errorf("bad hint kept: %q", id.EmailHint)
	}
}

func resolveTokenRequired(t *testing.T, e *env) {
	ctx := context.Background()
	p := *e.p
	p.Identity.TokenRequired = true
	_, err := e.r.Resolve(ctx, &p, identity.Request{EmailHint: "a@b.example"})
	var ie *protocol.APIError
	if !errors.As(err, &ie) || httpx.Status(ie) != 401 {
		t.Fatalf("err = %v", err)
	}
}

func resolveTrustedHint(t *testing.T, e *env) {
	ctx := context.Background()
	p := *e.p
	p.TrustEmailStorage = true
	owner := &store.User{Email: "owner@example.com", FirstName: "Olga", PasswordHash: "a portal password's hash"}
	if err := e.st.CreateUser(ctx, owner); err != nil {
		t.Fatal(err)
	}
	resolve := func(hint string) *identity.Identity {
		t.Helper()
		id, err := e.r.Resolve(ctx, &p, identity.Request{EmailHint: hint, Embedded: true})
		if err != nil {
			t.Fatal(err)
		}
		if id.Authenticated || len(id.ChatFields) != 0 || id.EmailHint != store.NormalizeEmail(hint) {
			t.Fatalf("hint %q: identity = %+v", hint, id)
		}
		return id
	}
	first := resolve("trusted@example.com")
	if first.User == nil || first.User.HintEmail != "trusted@example.com" || first.User.Email != "" {
		t.Fatalf("a new hinted address: user = %+v, want a hint user of its own", first.User)
	}
	if again := resolve("Trusted@Example.com"); again.User == nil || again.User.ID != first.User.ID {
		t.Errorf("the same address again: user = %+v, want hint user %d", again.User, first.User.ID)
	}
	// A portal user's address: a hint user of the address, not them.
	if id := resolve("Owner@Example.com"); id.User == nil || id.User.ID == owner.ID || id.User.FirstName != "" || id.User.Email != "" {
		t.Errorf("a portal user's address: user = %+v, want a hint user, not %d", id.User, owner.ID)
	}
	// A hint user an admin made someone's (here: a password) takes no
	// more chats.
	u := first.User
	u.PasswordHash = "now a portal user"
	if err := e.st.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if id := resolve("trusted@example.com"); id.User != nil {
		t.Errorf("a hint user with a password: user = %+v, want none", id.User)
	}
}

func resolveByExternalID(t *testing.T, e *env) {
	ctx := context.Background()
	tok := e.token(t, jwt.MapClaims{"sub": "ext-1", "given_name": "Ann", "mail": "ann@example.com", "CFtier": "gold"})
	id := e.mustResolve(t, identity.Request{IDToken: tok, Embedded: true})
	if !id.Authenticated || id.User == nil || id.User.ID == 0 || id.User.ExternalID != "ext-1" ||
		id.User.FirstName != "Ann" || id.User.Email != "ann@example.com" || !id.NewUser {
		t.Fatalf("identity = %+v user %+v", id, id.User)
	}
	if len(id.ChatFields) != 2 { // CFtier by name, CFlabelClash by label
		t.Errorf("chat fields = %+v", id.ChatFields)
	}
	first := id.User.ID
	tok = e.token(t, jwt.MapClaims{"sub": "ext-1", "given_name": "Annie", "family_name": "Lee"})
	id = e.mustResolve(t, identity.Request{IDToken: tok, Embedded: true})
	if id.User.ID != first || id.User.FirstName != "Annie" || id.User.LastName != "Lee" || id.User.Email != "ann@example.com" || id.NewUser {
		t.Errorf("second resolve user = %+v (new %v)", id.User, id.NewUser)
	}
	stored, err := e.st.GetUser(ctx, first)
	if err != nil || stored.FirstName != "Annie" {
		t.Errorf("stored user = %+v, %v", stored, err)
	}
}

func resolveByEmail(t *testing.T, e *env) {
	id := e.mustResolve(t, identity.Request{IDToken: e.token(t, jwt.MapClaims{"mail": "Bob@Example.com", "given_name": "Bob"})})
	id2 := e.mustResolve(t, identity.Request{IDToken: e.token(t, jwt.MapClaims{"mail": "bob@example.com", "sub": "ext-bob"})})
	if id2.User.ID != id.User.ID || id2.User.ExternalID != "ext-bob" || !id.NewUser || id2.NewUser {
		t.Errorf("linking by e-mail: %+v (new %v) then %+v (new %v)", id.User, id.NewUser, id2.User, id2.NewUser)
	}
	// Ann's address under another external id: a new user without it.
	id3 := e.mustResolve(t, identity.Request{IDToken: e.token(t, jwt.MapClaims{"mail": "ann@example.com", "sub": "ext-other"})})
	if id3.User.ID == id.User.ID || id3.User.Email != "" || id3.User.ExternalID != "ext-other" || !id3.NewUser {
		t.Errorf("other user = %+v (new %v)", id3.User, id3.NewUser)
	}
}

func resolveChatFieldsEmbeddedOnly(t *testing.T, e *env) {
	id := e.mustResolve(t, identity.Request{IDToken: e.token(t, jwt.MapClaims{"sub": "ext-1", "CFtier": "platinum"})})
	if len(id.ChatFields) != 0 {
		t.Errorf("portal chat got chat fields %+v", id.ChatFields)
	}
	_, ie := e.resolve(t, identity.Request{IDToken: e.token(t, jwt.MapClaims{"sub": "ext-1", "CFtier": "platinum"}), Embedded: true})
	wantRefusal(t, ie, 422, "CFtier")
}

func resolveFieldsOnly(t *testing.T, e *env) {
	id := e.mustResolve(t, identity.Request{IDToken: e.token(t, jwt.MapClaims{"Seats": 3}), Embedded: true})
	if id.Authenticated || id.User != nil || len(id.ChatFields) != 1 || id.ChatFields[0].Value != "3" {
		t.Errorf("identity = %+v", id)
	}
}

func resolveMatchingData(t *testing.T, e *env) {
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
}

func resolveMatchingRefusals(t *testing.T, e *env) {
	ctx := context.Background()
	md := e.matching(t, `{"sub":"ext-dora"}`, true)
	claims := func(guid, key string) identity.Request {
		return identity.Request{IDToken: e.token(t, jwt.MapClaims{identity.ClaimMatchingGUID: guid, identity.ClaimMatchingKey: key}), Embedded: true}
	}
	// Every refusal of an item is this one, whatever the cause.
	same := func(what string, ie *protocol.APIError) {
		t.Helper()
		want := protocol.APIError{Code: "invalid_token", Field: identity.ClaimMatchingGUID,
			Message: "identity token refused: " + identity.MatchingRefused}
		if ie == nil || *ie != want || httpx.Status(ie) != 401 {
			t.Errorf("%s: refusal %+v, want %+v (401)", what, ie, want)
		}
	}
	_, ie := e.resolve(t, claims(md.GUID, md.Key+"x"))
	same("wrong key", ie)
	_, ie = e.resolve(t, claims("5a4f0c1e-0000-4000-8000-000000000000", md.Key))
	same("unknown GUID", ie)
	_, ie = e.resolve(t, claims(strings.Repeat("g", 101), md.Key))
	same("a GUID longer than any", ie)
	_, ie = e.resolve(t, claims("a\x00b", md.Key))
	same("a GUID with a NUL", ie)
	_, ie = e.resolve(t, identity.Request{IDToken: e.token(t, jwt.MapClaims{identity.ClaimMatchingGUID: md.GUID})})
	wantRefusal(t, ie, 401, "no "+identity.ClaimMatchingKey)
	_, ie = e.resolve(t, identity.Request{IDToken: e.token(t, jwt.MapClaims{identity.ClaimMatchingKey: md.Key})})
	wantRefusal(t, ie, 401, "no "+identity.ClaimMatchingGUID)
	// The wrong key did not use it up.
	if id := e.mustResolve(t, claims(md.GUID, md.Key)); id.User.ExternalID != "ext-dora" {
		t.Errorf("user = %+v", id.User)
	}
	_, ie = e.resolve(t, claims(md.GUID, md.Key))
	same("used", ie)
	_, ie = e.resolve(t, claims(md.GUID, md.Key+"x"))
	same("used, wrong key", ie)

	bad := e.matching(t, `{"sub":"ext-eve","CFtier":"platinum"}`, true)
	_, ie = e.resolve(t, claims(bad.GUID, bad.Key))
	wantRefusal(t, ie, 422, "CFtier")
	if d, err := e.st.GetMatchingData(ctx, bad.GUID); err != nil || !d.UsedAt.IsZero() {
		t.Errorf("a refused value used the item up: %+v %v", d, err)
	}

	// Bound to another profile: refused here, used there.
	other := e.profile(t, "other")
	bound, err := identity.CreateMatchingData(ctx, e.st, 0, []identity.NewMatchingData{
		{Content: json.RawMessage(`{"sub":"ext-bound"}`), ProfileIDs: []string{other.ID}}})
	if err != nil {
		t.Fatal(err)
	}
	_, ie = e.resolve(t, claims(bound[0].GUID, bound[0].Key))
	same("bound to another profile", ie)
	if id, err := e.r.Resolve(ctx, other, claims(bound[0].GUID, bound[0].Key)); err != nil || id.User.ExternalID != "ext-bound" {
		t.Errorf("on the profile it is bound to: %+v, %v", id, err)
	}

	old := e.matching(t, `{"sub":"ext-old"}`, false)
	e.advance(store.MatchingDataTTL)
	defer e.advance(-store.MatchingDataTTL)
	_, ie = e.resolve(t, identity.Request{IDToken: sign(t, jwt.SigningMethodHS256, "k", []byte(e.secret),
		jwt.MapClaims{"exp": testNow.Add(store.MatchingDataTTL + time.Hour).Unix(),
			identity.ClaimMatchingGUID: old.GUID, identity.ClaimMatchingKey: old.Key})})
	same("expired", ie)
}

func resolveMatchingRace(t *testing.T, e *env) {
	ctx := context.Background()
	md := e.matching(t, `{"sub":"ext-race"}`, true)
	req := identity.Request{IDToken: e.token(t, jwt.MapClaims{identity.ClaimMatchingGUID: md.GUID, identity.ClaimMatchingKey: md.Key})}
	oneWins(t, func() error { _, err := e.r.Resolve(ctx, e.p, req); return err })
}

func resolveJTIOnce(t *testing.T, e *env) {
	ctx := context.Background()
	tok := e.token(t, jwt.MapClaims{"sub": "ext-jti", "jti": "once"})
	use := func(p *store.ChatProfile) *protocol.APIError {
		t.Helper()
		err := e.use(p, tok)
		var ie *protocol.APIError
		if err != nil && !errors.As(err, &ie) {
			t.Fatalf("Resolve/Use: %v", err)
		}
		return ie
	}
	// Resolving alone (a resume comparing users) uses nothing.
	e.mustResolve(t, identity.Request{IDToken: tok})
	e.mustResolve(t, identity.Request{IDToken: tok})
	if ie := use(e.p); ie != nil {
		t.Fatalf("first use refused: %v", ie.Message)
	}
	wantRefusal(t, use(e.p), 401, "already been used")
	if ie := use(e.profile(t, "jti elsewhere")); ie != nil {
		t.Errorf("the jti on another profile: %v", ie.Message)
	}
	// No jti, no record: a token without one is used freely.
	plain := e.mustResolve(t, identity.Request{IDToken: e.token(t, jwt.MapClaims{"sub": "ext-jti"})})
	for range 2 {
		if err := e.r.Use(ctx, plain); err != nil {
			t.Errorf("a token without jti: %v", err)
		}
	}
	if err := e.r.Use(ctx, e.mustResolve(t, identity.Request{})); err != nil {
		t.Errorf("no token: %v", err)
	}
	// A jti must be a non-empty string.
	for _, bad := range []any{7, "", []string{"a"}, strings.Repeat("j", 1001)} {
		_, ie := e.resolve(t, identity.Request{IDToken: e.token(t, jwt.MapClaims{"sub": "ext-jti", "jti": bad})})
		wantRefusal(t, ie, 401, "jti claim")
	}
}

func resolveRefusedKeepsJTI(t *testing.T, e *env) {
	ctx := context.Background()
	early := e.token(t, jwt.MapClaims{"sub": "ext-early", "jti": "early", "nbf": testNow.Add(time.Minute).Unix()})
	_, ie := e.resolve(t, identity.Request{IDToken: early})
	wantRefusal(t, ie, 401, "not valid before")
	bad := e.matching(t, `{"sub":"ext-late","CFtier":"platinum"}`, false)
	badTok := e.token(t, jwt.MapClaims{"jti": "bad value", identity.ClaimMatchingGUID: bad.GUID, identity.ClaimMatchingKey: bad.Key})
	_, ie = e.resolve(t, identity.Request{IDToken: badTok, Embedded: true})
	wantRefusal(t, ie, 422, "CFtier")
	e.advance(time.Minute)
	defer e.advance(-time.Minute)
	if err := e.r.Use(ctx, e.mustResolve(t, identity.Request{IDToken: early})); err != nil {
		t.Errorf("the token once valid: %v", err)
	}
	// Not embedded, no chat custom fields: the same token is fine.
	if err := e.r.Use(ctx, e.mustResolve(t, identity.Request{IDToken: badTok})); err != nil {
		t.Errorf("the token without chat fields: %v", err)
	}
}

func resolveJTIRace(t *testing.T, e *env) {
	tok := e.token(t, jwt.MapClaims{"sub": "ext-jti-race", "jti": "race"})
	oneWins(t, func() error { return e.use(e.p, tok) })
}

func resolveSweep(t *testing.T, e *env) {
	ctx := context.Background()
	// Everything made so far expires; keep is made afterwards.
	e.advance(store.MatchingDataTTL)
	defer e.advance(-store.MatchingDataTTL)
	keep := e.matching(t, `{}`, false)
	count := func(table string) int64 {
		n, err := e.st.DB().NewSelect().Table(table).Count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	// The jti records made so far expired with their tokens.
	if n := count("token_uses"); n == 0 {
		t.Fatal("no jti records before the sweep")
	}
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { identity.SweepExpired(sctx, e.st, time.Hour, nil); close(done) }()
	deadline := time.Now().Add(5 * time.Second)
	for (count("chat_matching_data") != 1 || count("token_uses") != 0) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	if n, uses := count("chat_matching_data"), count("token_uses"); n != 1 || uses != 0 {
		t.Errorf("%d items and %d jti records left, want 1 and 0", n, uses)
	}
	if _, err := e.st.GetMatchingData(ctx, keep.GUID); err != nil {
		t.Errorf("the unexpired item went: %v", err)
	}
}
