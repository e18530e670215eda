// Package storetest gives tests a migrated store on a real database, and
// the demo seeded into it, closed when the test ends. (The store's own
// tests cannot import it: they use testenv.OpenStore with store.Open.)
package storetest

import (
	"context"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"halochat/app/flow"
	"halochat/backend/chats"
	"halochat/backend/demo"
	"halochat/backend/secret"
	"halochat/backend/store"
	"halochat/backend/testenv"
)

// Open opens and migrates the store at dsn (see testenv.ForEachDB for
// DSNs) and closes it when the test ends. An empty database is first
// filled with a copy of a migrated one (fromTemplate).
func Open(t testing.TB, dsn string) *store.Store {
	t.Helper()
	fromTemplate(t, dsn)
	return testenv.OpenStore(t, dsn, store.Open)
}

// OpenWith is Open with options (a clock, batching).
func OpenWith(t testing.TB, dsn string, o store.Options) *store.Store {
	t.Helper()
	fromTemplate(t, dsn)
	return testenv.OpenStore(t, dsn, func(ctx context.Context, dsn string) (*store.Store, error) {
		return store.OpenWithOptions(ctx, dsn, o)
	})
}

// Demo opens the store at dsn and seeds the demo into it, its logins'
// passwords hashed at bcrypt's lowest cost.
func Demo(t testing.TB, dsn string) (*store.Store, *demo.Result) {
	t.Helper()
	st := Open(t, dsn)
	res, err := demo.SeedWith(context.Background(), st, demo.Options{PasswordCost: bcrypt.MinCost})
	if err != nil {
		t.Fatalf("seed the demo: %v", err)
	}
	return st, res
}

// DemoProfile creates a chat profile named name like the demo's — its
// flow, ticket type, identity settings and token mappings, open to the
// portal and external sites — changed by edit (when not nil).
func DemoProfile(t testing.TB, st *store.Store, res *demo.Result, name string, edit func(*store.ChatProfile)) *store.ChatProfile {
	t.Helper()
	ctx := context.Background()
	base, err := st.GetProfile(ctx, res.Profile.ID)
	if err != nil {
		t.Fatalf("read the demo profile: %v", err)
	}
	p := &store.ChatProfile{Name: name, Access: store.AccessPortalAndExternal, Identity: base.Identity,
		TokenMappings: base.TokenMappings, FlowID: base.FlowID, TicketTypeID: base.TicketTypeID}
	if edit != nil {
		edit(p)
	}
	if err := st.CreateProfile(ctx, p); err != nil {
		t.Fatalf("create the profile %s: %v", name, err)
	}
	return p
}

// DemoToken is an identity token the demo profile accepts: claims signed
// with its HS256 secret under its kid, exp an hour ahead unless claims has
// one.
func DemoToken(t testing.TB, res *demo.Result, claims map[string]any) string {
	t.Helper()
	return testenv.IDToken(t, res.Identity.HS256Secret, map[string]any{"kid": res.Identity.KID}, claims)
}

// SaveFlow stores f as a new flow whose first version it is, its steps
// indexed against the chat fields' schema sc.
func SaveFlow(t testing.TB, st *store.Store, f *flow.Flow, sc flow.Schema) *store.Flow {
	t.Helper()
	ctx := context.Background()
	doc, err := flow.Marshal(f)
	if err != nil {
		t.Fatalf("marshal the flow %s: %v", f.Name, err)
	}
	fl := &store.Flow{Name: f.Name}
	if err := st.CreateFlow(ctx, fl); err != nil {
		t.Fatalf("create the flow %s: %v", f.Name, err)
	}
	if _, err := st.CreateFlowVersion(ctx, fl.ID, 0, doc, chats.StepIndex(f, sc)); err != nil {
		t.Fatalf("store the flow %s's first version: %v", f.Name, err)
	}
	return fl
}

// PasswordHash hashes the password of a login a test creates, at
// bcrypt's lowest cost (see secret.HashPasswordCost).
func PasswordHash(t testing.TB, password string) string {
	t.Helper()
	h, err := secret.HashPasswordCost(password, bcrypt.MinCost)
	if err != nil {
		t.Fatalf("hash a test password: %v", err)
	}
	return h
}
