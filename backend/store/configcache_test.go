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
	a, b := openMigrated(t, dsn), openMigrated(t, dsn)
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

// A chat and its first advance commit together: when the advance cannot
// apply, there is no chat.
func TestCreateChatAdvanced(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		tmpl := newChat(t, s, ChatBot) // a profile and flow to refer to
		state := RawJSON(`{"step":1}`)
		mk := func() *Chat {
			return &Chat{ID: NewChatID(), ProfileID: tmpl.ProfileID, Status: ChatBot, Context: ContextEmbedded}
		}
		c := mk()
		res, err := s.CreateChatAdvanced(ctx, c, nil, &ChatAdvance{CheckState: true, ExpectState: c.FlowState, NotEnded: true,
			Messages: []Message{{Sender: SenderBot, Text: "hello"}}, Update: ChatUpdate{FlowState: &state}})
		must(t, err)
		if !res.Applied || res.Chat == nil || res.Chat.LastSeq != 1 || string(res.Chat.FlowState) != string(state) || len(res.Messages) != 1 {
			t.Fatalf("created and advanced: %+v", res)
		}

		// With field values and messages of every kind: what it returns is
		// what a read finds.
		cf := &CustomField{Entity: EntityChat, Name: "CFStart" + RandomID(4), Label: "Start", Type: FieldText}
		must(t, s.CreateCustomField(ctx, cf))
		ag := &Agent{Email: "start-" + RandomID(6) + "@example.com", Name: "Ann", Role: RoleAgent}
		must(t, s.CreateAgent(ctx, ag))
		full := mk()
		queued, now := ChatQueued, s.Now()
		committed := 0
		if s.appends != nil {
			_, committed = s.appends.counts()
		}
		res, err = s.CreateChatAdvanced(ctx, full, []ChatFieldValue{{FieldID: cf.ID, Value: "gold"}}, &ChatAdvance{
			CheckState: true, ExpectState: full.FlowState, ExpectStatus: ChatBot, NotEnded: true,
			Messages: []Message{{Sender: SenderBot, Text: "one"}, {Sender: SenderAgent, AgentID: ag.ID, Text: "two", Payload: RawJSON(`{"agentName":"Ann"}`)},
				{Sender: SenderSystem, Text: "queued"}},
			Update: ChatUpdate{FlowState: &state, Status: &queued, QueuedAt: &now}})
		must(t, err)
		if s.appends != nil {
			if _, n := s.appends.counts(); n != committed+1 {
				t.Fatalf("PostgreSQL: the start did not go through the one statement (%d statements, %d before)", n, committed)
			}
		}
		read, err := s.GetChat(ctx, full.ID)
		must(t, err)
		if read.Status != ChatQueued || read.LastSeq != 3 || string(read.FlowState) != string(state) ||
			!read.QueuedAt.Equal(res.Chat.QueuedAt) || !read.StartedAt.Equal(res.Chat.StartedAt) || read.Status != res.Chat.Status ||
			read.LastSeq != res.Chat.LastSeq || read.ProfileID != res.Chat.ProfileID {
			t.Fatalf("returned %+v, read %+v", res.Chat, read)
		}
		got, err := s.MessagesAfter(ctx, full.ID, 0, 0)
		must(t, err)
		if len(got) != 3 || got[1].AgentID != ag.ID || string(got[1].Payload) != `{"agentName":"Ann"}` || got[2].Seq != 3 || got[0].AgentID != 0 {
			t.Fatalf("messages: %+v", got)
		}
		for i, m := range got {
			if m.Seq != res.Messages[i].Seq || m.Text != res.Messages[i].Text || !m.CreatedAt.Equal(res.Messages[i].CreatedAt) {
				t.Fatalf("message %d: returned %+v, read %+v", i, res.Messages[i], m)
			}
		}
		vals, err := s.ChatFieldValues(ctx, full.ID)
		must(t, err)
		if len(vals) != 1 || vals[0].Value != "gold" || vals[0].FieldID != cf.ID {
			t.Fatalf("field values: %+v", vals)
		}
		unknown := mk()
		_, err = s.CreateChatAdvanced(ctx, unknown, []ChatFieldValue{{FieldID: cf.ID + 100000, Value: "x"}}, &ChatAdvance{Update: ChatUpdate{FlowState: &state}})
		wantErr(t, err, ErrNotFound)
		if _, err := s.GetChat(ctx, unknown.ID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("the chat with an unknown field exists: %v", err)
		}

		bad := mk()
		_, err = s.CreateChatAdvanced(ctx, bad, nil, &ChatAdvance{ExpectStatus: ChatQueued, Messages: []Message{{Sender: SenderBot, Text: "x"}}})
		wantErr(t, err, ErrConflict)
		if _, err := s.GetChat(ctx, bad.ID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("the chat whose advance failed exists: %v", err)
		}
		worse := mk()
		_, err = s.CreateChatAdvanced(ctx, worse, nil, &ChatAdvance{Messages: []Message{{Sender: "robot", Text: "x"}}})
		wantErr(t, err, ErrInvalid)
		if _, err := s.GetChat(ctx, worse.ID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("the chat with an invalid message exists: %v", err)
		}
	})
}

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
		for _, tc := range cases {
			byID, byEmail, err := s.UsersByExternalIDOrEmail(ctx, tc.ext, tc.email)
			must(t, err)
			if (byID == nil) != (tc.byID == nil) || (byID != nil && byID.ID != tc.byID.ID) ||
				(byEmail == nil) != (tc.byEmail == nil) || (byEmail != nil && byEmail.ID != tc.byEmail.ID) {
				t.Fatalf("%s: got %+v, %+v", tc.name, byID, byEmail)
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
	})
}
