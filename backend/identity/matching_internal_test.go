package identity

import (
	"context"
	"encoding/json"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"halochat/app/protocol"
	"halochat/backend/secret"
	"halochat/backend/store"
	"halochat/backend/testenv"
)

// Every refused ChatMatchingData claim costs one key comparison, whether
// its GUID exists or not: the time of a refusal does not tell a guessed
// GUID that exists from one that does not.
func TestEveryMatchingRefusalComparesAKey(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	var offset atomic.Int64
	clock := func() time.Time { return now.Add(time.Duration(offset.Load())) }
	st, err := store.OpenWithOptions(ctx, testenv.SQLiteDSN(t), store.Options{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	var p, other store.ChatProfile
	for i, q := range []*store.ChatProfile{&p, &other} {
		*q = store.ChatProfile{Name: []string{"here", "there"}[i], Access: store.AccessPortalAndExternal}
		if err := st.CreateProfile(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	var checks atomic.Int32
	r := &Resolver{Store: st, checkKey: func(hash, key string) bool { checks.Add(1); return secret.CheckKey(hash, key) }}
	made, err := CreateMatchingData(ctx, st, 0, []NewMatchingData{
		{Content: json.RawMessage(`{}`), SingleUse: true},
		{Content: json.RawMessage(`{}`), ProfileIDs: []string{other.ID}},
		{Content: json.RawMessage(`{}`)},
	})
	if err != nil {
		t.Fatal(err)
	}
	used, bound, old := made[0], made[1], made[2]
	if _, _, err := r.useMatchingData(ctx, &p, matchingClaims(used.GUID, used.Key), nil); err != nil {
		t.Fatal(err)
	}
	offset.Store(int64(store.MatchingDataTTL - time.Minute))
	fresh, err := CreateMatchingData(ctx, st, 0, []NewMatchingData{{Content: json.RawMessage(`{}`)}})
	if err != nil {
		t.Fatal(err)
	}
	offset.Store(int64(store.MatchingDataTTL))

	for _, tc := range []struct{ name, guid, key string }{
		{"unknown GUID", "5a4f0c1e-0000-4000-8000-000000000000", old.Key},
		{"GUID too long", strings.Repeat("g", 101), old.Key},
		{"GUID with a NUL", "a\x00b", old.Key},
		{"wrong key", fresh[0].GUID, old.Key},
		{"used", used.GUID, used.Key},
		{"bound to another profile", bound.GUID, bound.Key},
		{"expired", old.GUID, old.Key},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checks.Store(0)
			_, _, err := r.useMatchingData(ctx, &p, matchingClaims(tc.guid, tc.key), nil)
			ie, ok := err.(*protocol.APIError)
			if !ok || ie.Message != "identity token refused: "+MatchingRefused {
				t.Fatalf("err = %v, want the one refusal", err)
			}
			if n := checks.Load(); n != 1 {
				t.Errorf("%d key comparisons, want 1", n)
			}
		})
	}
}

func matchingClaims(guid, key string) map[string]json.RawMessage {
	g, _ := json.Marshal(guid)
	k, _ := json.Marshal(key)
	return map[string]json.RawMessage{ClaimMatchingGUID: g, ClaimMatchingKey: k}
}
