package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"halochat/backend/testenv"
)

// The runtime's cached profiles, flows and fields: a change through the
// same store is seen at once, a copy handed out is the caller's own, and
// a change through another node's store is seen within ConfigCacheTTL.
func TestConfigCache(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		f := &Flow{Name: "cache-" + RandomID(4)}
		must(t, s.CreateFlow(ctx, f))
		p := &ChatProfile{Name: "cache-" + RandomID(4), Access: AccessPortalAndExternal, FlowID: f.ID,
			AllowedOrigins: StringList{"https://a.example"}, TokenMappings: TokenMappings{"sub": "user.externalId"}}
		must(t, s.CreateProfile(ctx, p))

		got, err := s.CachedProfile(ctx, p.ID)
		must(t, err)
		got.AllowedOrigins[0], got.TokenMappings["sub"], got.Name = "https://evil.example", "x", "changed"
		again, err := s.CachedProfile(ctx, p.ID)
		must(t, err)
		if again.AllowedOrigins[0] != "https://a.example" || again.TokenMappings["sub"] != "user.externalId" || again.Name != p.Name {
			t.Fatalf("a caller's change reached the cache: %+v", again)
		}

		p.Name = p.Name + "-renamed"
		must(t, s.UpdateProfile(ctx, p))
		if got, err := s.CachedProfile(ctx, p.ID); err != nil || got.Name != p.Name {
			t.Fatalf("after an update through this store: %+v, %v", got, err)
		}

		if fl, err := s.CachedFlow(ctx, f.ID); err != nil || fl.CurrentVersion != 0 {
			t.Fatalf("flow: %+v, %v", fl, err)
		}
		if _, err := s.CreateFlowVersion(ctx, f.ID, 0, []byte(`{}`), nil); err != nil {
			t.Fatal(err)
		}
		if fl, err := s.CachedFlow(ctx, f.ID); err != nil || fl.CurrentVersion != 1 {
			t.Fatalf("flow after a new version: %+v, %v", fl, err)
		}

		before, err := s.CachedCustomFields(ctx, EntityChat)
		must(t, err)
		cf := &CustomField{Entity: EntityChat, Name: "CFCache" + RandomID(4), Label: "Cache", Type: FieldText}
		must(t, s.CreateCustomField(ctx, cf))
		after, err := s.CachedCustomFields(ctx, EntityChat)
		must(t, err)
		if len(after) != len(before)+1 {
			t.Fatalf("fields: %d, then %d after adding one", len(before), len(after))
		}

		if _, err := s.CachedProfile(ctx, "nosuchprofile"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("unknown profile: %v", err)
		}
	})
}

func TestConfigCacheAcrossNodes(t *testing.T) {
	dsn := testenv.PostgresDSN(t)
	ctx := context.Background()
	a, b := testenv.OpenStore(t, dsn, Open), testenv.OpenStore(t, dsn, Open)
	f := &Flow{Name: "nodes-" + RandomID(4)}
	must(t, a.CreateFlow(ctx, f))
	p := &ChatProfile{Name: "nodes-" + RandomID(4), Access: AccessPortalAndExternal, FlowID: f.ID}
	must(t, a.CreateProfile(ctx, p))
	if got, err := b.CachedProfile(ctx, p.ID); err != nil || got.Name != p.Name {
		t.Fatalf("other node: %+v, %v", got, err)
	}
	p.Name += "-renamed"
	must(t, a.UpdateProfile(ctx, p))
	deadline := time.Now().Add(ConfigCacheTTL + time.Second)
	for {
		got, err := b.CachedProfile(ctx, p.ID)
		must(t, err)
		if got.Name == p.Name {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the other node still has %q after %v", got.Name, ConfigCacheTTL+time.Second)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
