package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"halochat/backend/testenv"
)

// forEachDB runs fn once per database of testenv.Databases (SQLite and,
// when configured, PostgreSQL), in parallel, on a migrated store.
func forEachDB(t *testing.T, fn func(t *testing.T, s *Store)) {
	t.Helper()
	for name, dsn := range testenv.Databases(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := openMigrated(t, dsn)
			fn(t, s)
		})
	}
}

func openMigrated(t *testing.T, dsn string) *Store {
	t.Helper()
	ctx := context.Background()
	s, err := Open(ctx, dsn)
	if err != nil {
		t.Fatalf("Open(%s): %v", testenv.Short(dsn), err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return s
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantErr(t *testing.T, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("error = %v, want %v", err, want)
	}
}

func TestMigrate(t *testing.T) {
	for name, dsn := range testenv.Databases(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			// Two processes migrating a fresh database at once.
			var wg sync.WaitGroup
			stores := make([]*Store, 3)
			errs := make([]error, len(stores))
			for i := range stores {
				s, err := Open(ctx, dsn)
				must(t, err)
				t.Cleanup(func() { _ = s.Close() })
				stores[i] = s
				wg.Go(func() { errs[i] = s.Migrate(ctx) })
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Fatalf("concurrent Migrate %d: %v", i, err)
				}
			}
			// And again: idempotent.
			must(t, stores[0].Migrate(ctx))
			must(t, stores[0].Migrate(ctx))
			var names []string
			must(t, stores[0].DB().NewSelect().TableExpr("bun_migrations").Column("name").Scan(ctx, &names))
			want := len(schemaMigrations())
			if len(names) != want {
				t.Fatalf("bun_migrations holds %v, want %d rows", names, want)
			}
			if got := stores[0].Dialect(); got != name {
				t.Errorf("Dialect() = %q, want %q", got, name)
			}
			must(t, stores[0].Ping(ctx))
		})
	}
}

func TestOpenDSN(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for _, dsn := range []string{
		"sqlite://" + filepath.Join(dir, "new", "folder", "a.db"),
		"sqlite::memory:",
	} {
		s := openMigrated(t, dsn)
		p := &ChatProfile{Name: "p", Access: AccessPortal}
		must(t, s.CreateProfile(ctx, p))
		if _, err := s.GetProfile(ctx, p.ID); err != nil {
			t.Fatalf("%s: %v", dsn, err)
		}
		var journal string
		must(t, s.DB().QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&journal))
		var fk int
		must(t, s.DB().QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk))
		var busy int
		must(t, s.DB().QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&busy))
		t.Logf("%s: journal_mode=%s foreign_keys=%d busy_timeout=%d", dsn, journal, fk, busy)
		if fk != 1 || busy != 10000 {
			t.Errorf("%s: foreign_keys=%d busy_timeout=%d", dsn, fk, busy)
		}
		if dsn != "sqlite::memory:" && journal != "wal" {
			t.Errorf("%s: journal_mode=%s, want wal", dsn, journal)
		}
	}
	if _, err := Open(ctx, "mysql://x"); err == nil {
		t.Error("Open(mysql://x) succeeded")
	}
}

// TestRoundTrip stores and reads back one of everything, and checks the
// not-found, conflict and invalid-input errors.
func TestRoundTrip(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store) {
		ctx := context.Background()

		// Flows.
		flow := &Flow{Name: "Support"}
		must(t, s.CreateFlow(ctx, flow))
		wantErr(t, s.CreateFlow(ctx, &Flow{Name: "Support"}), ErrConflict)
		doc := []byte(`{"steps":[{"n":1},{"n":9}]}`)
		fv, err := s.CreateFlowVersion(ctx, flow.ID, 0, doc, []FlowStep{
			{Step: 1, Kind: "message", CanStart: true},
			{Step: 9, Kind: "condition", Fields: []string{"CFtier", "CFregion", "CFtier"}},
		})
		must(t, err)
		if fv.Version != 1 {
			t.Fatalf("first version = %d", fv.Version)
		}

		// Fields and ticket types.
		tier := &CustomField{Entity: EntityChat, Name: "CFtier", Label: "Tier", Type: FieldChoice,
			Choices: Choices{{Value: "gold"}, {Value: "silver", Label: "Silver"}}}
		must(t, s.CreateCustomField(ctx, tier))
		wantErr(t, s.CreateCustomField(ctx, &CustomField{Entity: EntityChat, Name: "CFtier", Label: "x", Type: FieldText}), ErrConflict)
		ticketTier := &CustomField{Entity: EntityTicket, Name: "CFtier", Label: "Tier", Type: FieldText}
		must(t, s.CreateCustomField(ctx, ticketTier))
		wantErr(t, s.CreateCustomField(ctx, &CustomField{Entity: EntityChat, Name: "tier", Label: "x", Type: FieldText}), ErrInvalid)
		wantErr(t, s.CreateCustomField(ctx, &CustomField{Entity: "order", Name: "CFx", Label: "x", Type: FieldText}), ErrInvalid)
		gotField, err := s.GetCustomFieldByName(ctx, EntityChat, "CFtier")
		must(t, err)
		if gotField.ID != tier.ID || len(gotField.Choices) != 2 || gotField.Choices[1].Label != "Silver" {
			t.Fatalf("GetCustomFieldByName = %+v", gotField)
		}
		tier.Label = "Customer tier"
		must(t, s.UpdateCustomField(ctx, tier))
		if f, _ := s.GetCustomField(ctx, tier.ID); f.Label != "Customer tier" {
			t.Fatalf("label after update = %q", f.Label)
		}
		if fs, err := s.ListCustomFields(ctx, EntityTicket); err != nil || len(fs) != 1 {
			t.Fatalf("ListCustomFields(ticket) = %v, %v", fs, err)
		}

		tt := &TicketType{Name: "Incident"}
		must(t, s.CreateTicketType(ctx, tt))
		wantErr(t, s.CreateTicketType(ctx, &TicketType{Name: "Incident"}), ErrConflict)
		must(t, s.SetTicketTypeFields(ctx, tt.ID, []int64{ticketTier.ID}))
		wantErr(t, s.SetTicketTypeFields(ctx, tt.ID, []int64{tier.ID}), ErrNotFound) // a chat field
		tfs, err := s.TicketTypeFields(ctx, tt.ID)
		must(t, err)
		if len(tfs) != 1 || tfs[0].ID != ticketTier.ID {
			t.Fatalf("TicketTypeFields = %+v", tfs)
		}
		if got, err := s.GetTicketTypeByName(ctx, "Incident"); err != nil || got.ID != tt.ID {
			t.Fatalf("GetTicketTypeByName = %v, %v", got, err)
		}

		// Profiles.
		p := &ChatProfile{
			Name: "Website", Access: AccessPortalAndExternal,
			Appearance:     Appearance{Colour: "#ff0000", Title: "Help", Greeting: "Hi", LauncherPosition: "bottom-left"},
			AllowedOrigins: StringList{"https://a.example", "https://b.example"},
			Identity: IdentitySettings{TokenRequired: true, HS256Secrets: []HMACSecret{{KID: "k1", Secret: "s"}},
				PublicKeys: []PublicKey{{KID: "k2", Alg: "ES256", PEM: "-----BEGIN PUBLIC KEY-----"}},
				Issuer:     "iss", Audience: "aud", LeewaySeconds: 30},
			TokenMappings:   TokenMappings{"given_name": "firstName", "CFtier": "CFtier"},
			Availability:    Availability{TimeZone: "Europe/London", Weekly: []OpeningInterval{{Weekday: 1, Start: "09:00", End: "17:00"}}, Holidays: []Holiday{{Date: "2026-12-25"}}, NeedsAgent: true},
			EmailStorageKey: "userEmail", TrustEmailStorage: true,
			FlowID: flow.ID, StartStep: 1, TicketTypeID: tt.ID,
		}
		must(t, s.CreateProfile(ctx, p))
		if len(p.ID) != 16 || len(p.Key) != 32 {
			t.Fatalf("generated id %q key %q", p.ID, p.Key)
		}
		got, err := s.GetProfile(ctx, p.ID)
		must(t, err)
		if fmt.Sprint(got.Appearance, got.AllowedOrigins, got.Identity, got.TokenMappings, got.Availability) !=
			fmt.Sprint(p.Appearance, p.AllowedOrigins, p.Identity, p.TokenMappings, p.Availability) ||
			got.Key != p.Key || got.FlowID != flow.ID || got.TicketTypeID != tt.ID || !got.TrustEmailStorage ||
			got.EmailStorageKey != "userEmail" || got.StartStep != 1 {
			t.Fatalf("GetProfile = %+v\nwant %+v", got, p)
		}
		if got.CreatedAt.Location() != time.UTC || !got.CreatedAt.Equal(p.CreatedAt) {
			t.Fatalf("CreatedAt = %v (%v), want %v in UTC", got.CreatedAt, got.CreatedAt.Location(), p.CreatedAt)
		}
		wantErr(t, s.CreateProfile(ctx, &ChatProfile{Name: "Website", Access: AccessPortal}), ErrConflict)
		wantErr(t, s.CreateProfile(ctx, &ChatProfile{Name: "X", Access: "public"}), ErrInvalid)
		wantErr(t, s.CreateProfile(ctx, &ChatProfile{Name: "X", Access: AccessPortal, FlowID: 999999}), ErrConflict)
		got.Appearance.Colour = "teal"
		got.Key = "ignored"
		must(t, s.UpdateProfile(ctx, got))
		key, err := s.RegenerateProfileKey(ctx, p.ID)
		must(t, err)
		byName, err := s.GetProfileByName(ctx, "Website")
		must(t, err)
		if byName.Appearance.Colour != "teal" || byName.Key != key || key == p.Key {
			t.Fatalf("after update: colour %q key %q (regenerated %q, old %q)", byName.Appearance.Colour, byName.Key, key, p.Key)
		}
		plain := &ChatProfile{Name: "Plain", Access: AccessAgentsOnly}
		must(t, s.CreateProfile(ctx, plain))
		if got, _ := s.GetProfile(ctx, plain.ID); got.FlowID != 0 || len(got.AllowedOrigins) != 0 || len(got.TokenMappings) != 0 || got.TicketTypeID != 0 {
			t.Fatalf("empty profile read back as %+v", got)
		}
		if ps, err := s.ListProfiles(ctx); err != nil || len(ps) != 2 || ps[0].Name != "Plain" {
			t.Fatalf("ListProfiles = %v, %v", ps, err)
		}

		// Users.
		u := &User{ExternalID: "ext-1", Email: " John@Example.COM ", FirstName: "John", LastName: "Doe", Phone: "1"}
		must(t, s.CreateUser(ctx, u))
		anon1, anon2 := &User{FirstName: "A"}, &User{FirstName: "B"} // NULL external id and e-mail twice
		must(t, s.CreateUser(ctx, anon1))
		must(t, s.CreateUser(ctx, anon2))
		wantErr(t, s.CreateUser(ctx, &User{Email: "john@example.com"}), ErrConflict)
		wantErr(t, s.CreateUser(ctx, &User{ExternalID: "ext-1"}), ErrConflict)
		if got, err := s.GetUserByEmail(ctx, "JOHN@example.com"); err != nil || got.ID != u.ID || got.ExternalID != "ext-1" {
			t.Fatalf("GetUserByEmail = %+v, %v", got, err)
		}
		if got, err := s.GetUserByExternalID(ctx, "ext-1"); err != nil || got.Email != "john@example.com" {
			t.Fatalf("GetUserByExternalID = %+v, %v", got, err)
		}
		if got, err := s.GetUser(ctx, anon1.ID); err != nil || got.Email != "" || got.ExternalID != "" {
			t.Fatalf("GetUser(anon) = %+v, %v", got, err)
		}
		u.Username = "jd"
		must(t, s.UpdateUser(ctx, u))
		if us, err := s.ListUsers(ctx, Page{Offset: 1, Limit: 1}); err != nil || len(us) != 1 || us[0].ID != anon1.ID {
			t.Fatalf("ListUsers page = %+v, %v", us, err)
		}

		// Agents and API clients.
		ag := &Agent{Email: "Ann@Example.com", Name: "Ann", PasswordHash: "h", Role: RoleAdmin}
		must(t, s.CreateAgent(ctx, ag))
		wantErr(t, s.CreateAgent(ctx, &Agent{Email: "ann@example.COM", Name: "Ann2", Role: RoleAgent}), ErrConflict)
		wantErr(t, s.CreateAgent(ctx, &Agent{Email: "x@example.com", Role: "boss"}), ErrInvalid)
		must(t, s.SetAgentPresence(ctx, ag.ID, PresenceOnline))
		if got, err := s.GetAgentByEmail(ctx, "ANN@example.com"); err != nil || got.Presence != PresenceOnline || got.LastSeenAt.IsZero() || got.Role != RoleAdmin {
			t.Fatalf("GetAgentByEmail = %+v, %v", got, err)
		}
		if n, err := s.CountAgentsWithPresence(ctx, PresenceOnline); err != nil || n != 1 {
			t.Fatalf("CountAgentsWithPresence = %d, %v", n, err)
		}
		ag.Name = "Annie"
		ag.Presence = PresenceAway
		must(t, s.UpdateAgent(ctx, ag))
		if as, err := s.ListAgents(ctx); err != nil || len(as) != 1 || as[0].Name != "Annie" {
			t.Fatalf("ListAgents = %+v, %v", as, err)
		}
		ac := &APIClient{ClientID: "backend", SecretHash: "sh", Name: "Backend", Permissions: StringList{PermReadModifyUsers}}
		must(t, s.CreateAPIClient(ctx, ac))
		wantErr(t, s.CreateAPIClient(ctx, &APIClient{ClientID: "backend", SecretHash: "x"}), ErrConflict)
		if got, err := s.GetAPIClientByClientID(ctx, "backend"); err != nil || !got.HasPermission(PermReadModifyUsers) || got.SecretHash != "sh" {
			t.Fatalf("GetAPIClientByClientID = %+v, %v", got, err)
		}

		// Chats.
		c := &Chat{ProfileID: p.ID, FlowID: flow.ID, FlowVersion: 1, UserID: u.ID, Authenticated: true,
			Context: ContextEmbedded, HostOrigin: "https://a.example", FlowState: RawJSON(`{"step":1}`)}
		must(t, s.CreateChat(ctx, c, []ChatFieldValue{{FieldID: tier.ID, Value: "gold"}}))
		wantErr(t, s.CreateChat(ctx, &Chat{ProfileID: p.ID, Context: ContextEmbedded}, []ChatFieldValue{{FieldID: ticketTier.ID, Value: "x"}}), ErrNotFound)
		wantErr(t, s.CreateChat(ctx, &Chat{ProfileID: "nope", Context: ContextEmbedded}, nil), ErrConflict)
		wantErr(t, s.CreateChat(ctx, &Chat{ProfileID: p.ID, FlowID: flow.ID, FlowVersion: 7, Context: ContextEmbedded}, nil), ErrConflict)
		gc, err := s.GetChat(ctx, c.ID)
		must(t, err)
		if len(c.ID) != 26 || gc.Status != ChatBot || gc.UserID != u.ID || gc.AgentID != 0 || string(gc.FlowState) != `{"step":1}` ||
			!gc.Authenticated || gc.FlowVersion != 1 || !gc.EndedAt.IsZero() || gc.StartedAt.Location() != time.UTC {
			t.Fatalf("GetChat = %+v", gc)
		}
		vals, err := s.ChatFieldValues(ctx, c.ID)
		must(t, err)
		if len(vals) != 1 || vals[0].Name != "CFtier" || vals[0].Label != "Customer tier" || vals[0].Value != "gold" {
			t.Fatalf("ChatFieldValues = %+v", vals)
		}
		must(t, s.SetChatFieldValues(ctx, c.ID, []ChatFieldValue{{FieldID: tier.ID, Value: "silver"}}))
		if vals, _ := s.ChatFieldValues(ctx, c.ID); len(vals) != 1 || vals[0].Value != "silver" {
			t.Fatalf("ChatFieldValues after set = %+v", vals)
		}
		state := RawJSON(`{"step":2}`)
		ok, err := s.UpdateChat(ctx, c.ID, ChatLive, ChatUpdate{FlowState: &state})
		must(t, err)
		if ok {
			t.Fatal("UpdateChat with the wrong expected status succeeded")
		}
		ok, err = s.UpdateChat(ctx, c.ID, ChatBot, ChatUpdate{FlowState: &state})
		if err != nil || !ok {
			t.Fatalf("UpdateChat = %v, %v", ok, err)
		}
		if _, err := s.UpdateChat(ctx, "nope", "", ChatUpdate{FlowState: &state}); !errors.Is(err, ErrNotFound) {
			t.Fatalf("UpdateChat(unknown) = %v", err)
		}
		if ok, err := s.QueueChat(ctx, c.ID); err != nil || !ok {
			t.Fatalf("QueueChat = %v, %v", ok, err)
		}
		if ok, err := s.ClaimQueuedChat(ctx, c.ID, ag.ID); err != nil || !ok {
			t.Fatalf("ClaimQueuedChat = %v, %v", ok, err)
		}
		if cs, err := s.ListChats(ctx, ChatFilter{Status: ChatLive, AgentID: ag.ID}); err != nil || len(cs) != 1 || cs[0].ID != c.ID {
			t.Fatalf("ListChats(live) = %+v, %v", cs, err)
		}

		// Anonymous chat upgraded.
		anon := &Chat{ProfileID: p.ID, Context: ContextEmbedded}
		must(t, s.CreateChat(ctx, anon, nil))
		if ok, err := s.UpgradeChatUser(ctx, anon.ID, anon1.ID, []ChatFieldValue{{FieldID: tier.ID, Value: "gold"}}); err != nil || !ok {
			t.Fatalf("UpgradeChatUser = %v, %v", ok, err)
		}
		if ok, err := s.UpgradeChatUser(ctx, anon.ID, anon2.ID, nil); err != nil || ok {
			t.Fatalf("second UpgradeChatUser = %v, %v", ok, err)
		}

		// Tickets.
		tk := &Ticket{TicketTypeID: tt.ID, UserID: u.ID, ChatID: c.ID, Summary: "Printer", Details: "visitor: hi"}
		must(t, s.CreateTicket(ctx, tk, []TicketFieldValue{{FieldID: ticketTier.ID, Value: "gold"}}))
		wantErr(t, s.CreateTicket(ctx, &Ticket{Summary: "x"}, []TicketFieldValue{{FieldID: tier.ID, Value: "x"}}), ErrNotFound)
		tk2 := &Ticket{Summary: "Other", UserID: anon1.ID}
		must(t, s.CreateTicket(ctx, tk2, nil))
		if tk2.ID <= tk.ID {
			t.Fatalf("ticket ids %d then %d", tk.ID, tk2.ID)
		}
		gt, err := s.GetTicket(ctx, tk.ID)
		must(t, err)
		if gt.Summary != "Printer" || gt.ChatID != c.ID || gt.Status != TicketOpen || gt.TicketTypeID != tt.ID {
			t.Fatalf("GetTicket = %+v", gt)
		}
		tv, err := s.TicketFieldValues(ctx, tk.ID)
		must(t, err)
		if len(tv) != 1 || tv[0].Name != "CFtier" || tv[0].Value != "gold" {
			t.Fatalf("TicketFieldValues = %+v", tv)
		}
		for _, tc := range []struct {
			f    TicketFilter
			want []int64
		}{
			{TicketFilter{}, []int64{tk2.ID, tk.ID}},
			{TicketFilter{UserID: u.ID}, []int64{tk.ID}},
			{TicketFilter{ChatID: c.ID}, []int64{tk.ID}},
			{TicketFilter{Limit: 1, Offset: 1}, []int64{tk.ID}},
			{TicketFilter{UserID: 999999}, nil},
		} {
			ts, err := s.ListTickets(ctx, tc.f)
			must(t, err)
			var ids []int64
			for _, t := range ts {
				ids = append(ids, t.ID)
			}
			if fmt.Sprint(ids) != fmt.Sprint(tc.want) {
				t.Errorf("ListTickets(%+v) = %v, want %v", tc.f, ids, tc.want)
			}
		}
		must(t, s.SetTicketStatus(ctx, tk.ID, TicketClosed))
		if ok, err := s.EndChat(ctx, c.ID, "resolved", tk.ID); err != nil || !ok {
			t.Fatalf("EndChat = %v, %v", ok, err)
		}
		if ok, err := s.EndChat(ctx, c.ID, "again", 0); err != nil || ok {
			t.Fatalf("second EndChat = %v, %v", ok, err)
		}
		if gc, _ := s.GetChat(ctx, c.ID); gc.Status != ChatEnded || gc.TicketID != tk.ID || gc.EndReason != "resolved" || gc.EndedAt.IsZero() {
			t.Fatalf("ended chat = %+v", gc)
		}

		// Deleting what is referred to is a conflict; the rest cascades.
		wantErr(t, s.DeleteFlow(ctx, flow.ID), ErrConflict)
		wantErr(t, s.DeleteProfile(ctx, p.ID), ErrConflict)
		must(t, s.DeleteCustomField(ctx, ticketTier.ID))
		if tv, _ := s.TicketFieldValues(ctx, tk.ID); len(tv) != 0 {
			t.Fatalf("values of a deleted field: %+v", tv)
		}
		must(t, s.DeleteAPIClient(ctx, ac.ID))
		must(t, s.DeleteAgent(ctx, ag.ID))
		if gc, _ := s.GetChat(ctx, c.ID); gc.AgentID != 0 {
			t.Fatalf("chat keeps deleted agent %d", gc.AgentID)
		}

		// Not found.
		for _, tc := range []struct {
			name string
			err  error
		}{
			{"profile", func() error { _, err := s.GetProfile(ctx, "nope"); return err }()},
			{"profile by name", func() error { _, err := s.GetProfileByName(ctx, "nope"); return err }()},
			{"flow", func() error { _, err := s.GetFlow(ctx, 999999); return err }()},
			{"flow by name", func() error { _, err := s.GetFlowByName(ctx, "nope"); return err }()},
			{"flow version", func() error { _, err := s.GetFlowVersion(ctx, flow.ID, 99); return err }()},
			{"flow step", func() error { _, err := s.GetFlowStep(ctx, flow.ID, 1, 5); return err }()},
			{"field", func() error { _, err := s.GetCustomField(ctx, 999999); return err }()},
			{"field by name", func() error { _, err := s.GetCustomFieldByName(ctx, EntityTicket, "CFnope"); return err }()},
			{"ticket type", func() error { _, err := s.GetTicketType(ctx, 999999); return err }()},
			{"ticket type by name", func() error { _, err := s.GetTicketTypeByName(ctx, "nope"); return err }()},
			{"ticket", func() error { _, err := s.GetTicket(ctx, 999999); return err }()},
			{"user", func() error { _, err := s.GetUser(ctx, 999999); return err }()},
			{"user by email", func() error { _, err := s.GetUserByEmail(ctx, "no@example.com"); return err }()},
			{"user by empty email", func() error { _, err := s.GetUserByEmail(ctx, ""); return err }()},
			{"user by external id", func() error { _, err := s.GetUserByExternalID(ctx, "nope"); return err }()},
			{"agent", func() error { _, err := s.GetAgent(ctx, ag.ID); return err }()},
			{"agent by email", func() error { _, err := s.GetAgentByEmail(ctx, "no@example.com"); return err }()},
			{"api client", func() error { _, err := s.GetAPIClientByClientID(ctx, "backend"); return err }()},
			{"chat", func() error { _, err := s.GetChat(ctx, "nope"); return err }()},
			{"matching data", func() error { _, err := s.GetMatchingData(ctx, "nope"); return err }()},
			{"update profile", s.UpdateProfile(ctx, &ChatProfile{ID: "nope", Name: "n", Access: AccessPortal})},
			{"update agent", s.UpdateAgent(ctx, &Agent{ID: 999999, Email: "a@b", Role: RoleAgent})},
			{"update field", s.UpdateCustomField(ctx, &CustomField{ID: 999999, Entity: EntityChat, Name: "CFa", Label: "a", Type: FieldText})},
			{"delete ticket type", s.DeleteTicketType(ctx, 999999)},
			{"presence", s.SetAgentPresence(ctx, 999999, PresenceOnline)},
			{"append to unknown chat", func() error {
				_, _, err := s.AppendMessage(ctx, Message{ChatID: "nope", Sender: SenderBot})
				return err
			}()},
		} {
			if !errors.Is(tc.err, ErrNotFound) {
				t.Errorf("%s: error = %v, want ErrNotFound", tc.name, tc.err)
			}
		}

		// Text the databases cannot agree on is refused before the database.
		for _, tc := range []struct {
			name string
			err  error
		}{
			{"NUL in name", s.CreateFlow(ctx, &Flow{Name: "a\x00b"})},
			{"NUL in lookup", func() error { _, err := s.GetProfile(ctx, "a\x00"); return err }()},
			{"bad UTF-8", s.CreateUser(ctx, &User{FirstName: "\xff"})},
			{"NUL in message", func() error {
				_, _, err := s.AppendMessage(ctx, Message{ChatID: c.ID, Sender: SenderBot, Text: "x\x00"})
				return err
			}()},
			{"NUL in document", func() error {
				_, err := s.CreateFlowVersion(ctx, flow.ID, 1, []byte("{\x00}"), nil)
				return err
			}()},
			{"NUL in list", s.CreateAPIClient(ctx, &APIClient{SecretHash: "x", Permissions: StringList{"a\x00"}})},
			{"bad sender", func() error { _, _, err := s.AppendMessage(ctx, Message{ChatID: c.ID, Sender: "robot"}); return err }()},
		} {
			if !errors.Is(tc.err, ErrInvalid) {
				t.Errorf("%s: error = %v, want ErrInvalid", tc.name, tc.err)
			}
		}
	})
}

func TestFlowVersions(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		f := &Flow{Name: "Sales"}
		must(t, s.CreateFlow(ctx, f))
		other := &Flow{Name: "Other"}
		must(t, s.CreateFlow(ctx, other))
		if _, err := s.GetCurrentFlowVersion(ctx, f.ID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("current version of a new flow: %v", err)
		}
		for v := int64(1); v <= 3; v++ {
			doc := fmt.Sprintf(`{"v":%d}`, v)
			steps := []FlowStep{{Step: 1, Kind: "message", CanStart: true}, {Step: 2 + v, Kind: "condition", Fields: []string{fmt.Sprintf("CFv%d", v), "CFall"}}}
			fv, err := s.CreateFlowVersion(ctx, f.ID, v-1, []byte(doc), steps)
			must(t, err)
			if fv.Version != v {
				t.Fatalf("version = %d, want %d", fv.Version, v)
			}
		}
		_, err := s.CreateFlowVersion(ctx, other.ID, 0, []byte(`{}`), []FlowStep{{Step: 4, Kind: "condition", Fields: []string{"CFall"}}})
		must(t, err)

		// A save based on a stale version is refused and changes nothing.
		_, err = s.CreateFlowVersion(ctx, f.ID, 1, []byte(`{"stale":true}`), nil)
		wantErr(t, err, ErrConflict)
		_, err = s.CreateFlowVersion(ctx, 999999, 0, []byte(`{}`), nil)
		wantErr(t, err, ErrNotFound)
		_, err = s.CreateFlowVersion(ctx, f.ID, 3, []byte(`{}`), []FlowStep{{Step: 1, Kind: "a"}, {Step: 1, Kind: "b"}})
		wantErr(t, err, ErrInvalid)

		cur, err := s.GetCurrentFlowVersion(ctx, f.ID)
		must(t, err)
		if cur.Version != 3 || string(cur.Document) != `{"v":3}` || cur.CreatedAt.Location() != time.UTC {
			t.Fatalf("current = %d %s", cur.Version, cur.Document)
		}
		if gf, _ := s.GetFlow(ctx, f.ID); gf.CurrentVersion != 3 {
			t.Fatalf("flow current_version = %d", gf.CurrentVersion)
		}
		old, err := s.GetFlowVersion(ctx, f.ID, 1)
		must(t, err)
		if string(old.Document) != `{"v":1}` {
			t.Fatalf("version 1 = %s", old.Document)
		}

		steps, err := s.FlowSteps(ctx, f.ID, 2)
		must(t, err)
		if len(steps) != 2 || steps[1].Step != 4 || fmt.Sprint(steps[1].Fields) != "[CFall CFv2]" || !steps[0].CanStart || steps[1].CanStart {
			t.Fatalf("FlowSteps = %+v", steps)
		}
		st, err := s.GetFlowStep(ctx, f.ID, 3, 5)
		must(t, err)
		if st.Kind != "condition" || st.CanStart || len(st.Fields) != 2 {
			t.Fatalf("GetFlowStep = %+v", st)
		}

		refs, err := s.StepsUsingChatField(ctx, "CFall", true)
		must(t, err)
		if fmt.Sprint(refs) != fmt.Sprintf("[{%d Other 1 4} {%d Sales 3 5}]", other.ID, f.ID) {
			t.Fatalf("StepsUsingChatField(current) = %v", refs)
		}
		refs, err = s.StepsUsingChatField(ctx, "CFv1", false)
		must(t, err)
		if len(refs) != 1 || refs[0].Version != 1 {
			t.Fatalf("StepsUsingChatField(all) = %v", refs)
		}
		if refs, _ := s.StepsUsingChatField(ctx, "CFv1", true); len(refs) != 0 {
			t.Fatalf("old version reported as current: %v", refs)
		}

		// Two editors saving from the same version: exactly one wins.
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range errs {
			wg.Go(func() {
				_, errs[i] = s.CreateFlowVersion(ctx, f.ID, 3, []byte(fmt.Sprintf(`{"editor":%d}`, i)), []FlowStep{{Step: 1, Kind: "m"}})
			})
		}
		wg.Wait()
		wins := 0
		for _, err := range errs {
			switch {
			case err == nil:
				wins++
			case !errors.Is(err, ErrConflict):
				t.Fatalf("concurrent save: %v", err)
			}
		}
		if wins != 1 {
			t.Fatalf("%d concurrent saves won, want 1", wins)
		}
		must(t, s.RenameFlow(ctx, f.ID, "Sales 2"))
		if fs, err := s.ListFlows(ctx); err != nil || len(fs) != 2 || fs[1].Name != "Sales 2" || fs[1].CurrentVersion != 4 {
			t.Fatalf("ListFlows = %+v, %v", fs, err)
		}
	})
}

// newChat makes a profile and a chat for message tests.
func newChat(t *testing.T, s *Store, status string) *Chat {
	t.Helper()
	ctx := context.Background()
	p := &ChatProfile{Name: "p-" + RandomID(6), Access: AccessPortalAndExternal}
	must(t, s.CreateProfile(ctx, p))
	c := &Chat{ProfileID: p.ID, Context: ContextEmbedded, Status: status}
	must(t, s.CreateChat(ctx, c, nil))
	return c
}

func TestMessages(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store) {
		ctx := context.Background()

		t.Run("sequence", func(t *testing.T) {
			c := newChat(t, s, ChatBot)
			for i := 1; i <= 5; i++ {
				m, created, err := s.AppendMessage(ctx, Message{ChatID: c.ID, Sender: SenderBot, Text: fmt.Sprint("m", i), Payload: RawJSON(`{"choices":["a"]}`)})
				must(t, err)
				if !created || m.Seq != int64(i) {
					t.Fatalf("append %d: seq %d created %v", i, m.Seq, created)
				}
			}
			// A batch: visitor message with a client id and two bot replies.
			out, created, err := s.AppendMessages(ctx, c.ID, []Message{
				{Sender: SenderVisitor, ClientMsgID: "v1", Text: "yes"},
				{Sender: SenderBot, Text: "ok"},
				{Sender: SenderBot, Text: "bye"},
			})
			must(t, err)
			if out[0].Seq != 6 || out[2].Seq != 8 || !created[0] || !created[2] {
				t.Fatalf("batch = %+v %v", out, created)
			}
			// The same batch again: the visitor message is known, the bot
			// messages (no client id) are new.
			out, created, err = s.AppendMessages(ctx, c.ID, []Message{
				{Sender: SenderVisitor, ClientMsgID: "v1", Text: "yes"},
				{Sender: SenderVisitor, ClientMsgID: "v2", Text: "a"},
				{Sender: SenderVisitor, ClientMsgID: "v2", Text: "a"},
			})
			must(t, err)
			if out[0].Seq != 6 || created[0] || out[1].Seq != 9 || !created[1] || out[2].Seq != 9 || created[2] {
				t.Fatalf("second batch = %+v %v", out, created)
			}

			all, err := s.MessagesAfter(ctx, c.ID, 0, 0)
			must(t, err)
			if len(all) != 9 {
				t.Fatalf("MessagesAfter(0) gave %d messages", len(all))
			}
			for i, m := range all {
				if m.Seq != int64(i+1) || m.ChatID != c.ID || m.CreatedAt.Location() != time.UTC {
					t.Fatalf("message %d = %+v", i, m)
				}
			}
			if string(all[0].Payload) != `{"choices":["a"]}` || all[5].ClientMsgID != "v1" || all[6].ClientMsgID != "" {
				t.Fatalf("round trip: %+v", all[:7])
			}
			page, err := s.MessagesAfter(ctx, c.ID, 3, 2)
			must(t, err)
			if len(page) != 2 || page[0].Seq != 4 || page[1].Seq != 5 {
				t.Fatalf("MessagesAfter(3, 2) = %+v", page)
			}
			if gc, _ := s.GetChat(ctx, c.ID); gc.LastSeq != 9 {
				t.Fatalf("last_seq = %d", gc.LastSeq)
			}
		})

		t.Run("concurrent appends", func(t *testing.T) {
			c := newChat(t, s, ChatLive)
			const workers, each = 8, 50
			var wg sync.WaitGroup
			errs := make(chan error, workers*each)
			start := time.Now()
			for w := range workers {
				wg.Go(func() {
					for i := range each {
						m := Message{ChatID: c.ID, Sender: SenderVisitor, ClientMsgID: fmt.Sprintf("w%d-%d", w, i), Text: "x"}
						if _, created, err := s.AppendMessage(ctx, m); err != nil || !created {
							errs <- fmt.Errorf("worker %d append %d: created=%v %w", w, i, created, err)
							return
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			t.Logf("%d appends by %d goroutines in %v", workers*each, workers, time.Since(start))
			all, err := s.MessagesAfter(ctx, c.ID, 0, MaxLimit)
			must(t, err)
			if len(all) != workers*each {
				t.Fatalf("%d messages stored, want %d", len(all), workers*each)
			}
			for i, m := range all {
				if m.Seq != int64(i+1) {
					t.Fatalf("message %d has seq %d", i, m.Seq)
				}
			}
		})

		t.Run("concurrent resend", func(t *testing.T) {
			c := newChat(t, s, ChatLive)
			_, _, err := s.AppendMessage(ctx, Message{ChatID: c.ID, Sender: SenderBot, Text: "hello"})
			must(t, err)
			for round := range 5 {
				const n = 8
				var wg sync.WaitGroup
				seqs := make([]int64, n)
				created := make([]bool, n)
				errs := make([]error, n)
				id := fmt.Sprint("same-", round)
				for i := range n {
					wg.Go(func() {
						var m Message
						m, created[i], errs[i] = s.AppendMessage(ctx, Message{ChatID: c.ID, Sender: SenderVisitor, ClientMsgID: id, Text: "hi"})
						seqs[i] = m.Seq
					})
				}
				wg.Wait()
				wins := 0
				for i := range n {
					must(t, errs[i])
					if created[i] {
						wins++
					}
					if seqs[i] != int64(round+2) {
						t.Fatalf("round %d: sender %d got seq %d", round, i, seqs[i])
					}
				}
				if wins != 1 {
					t.Fatalf("round %d: %d senders created the message", round, wins)
				}
			}
			// A later resend of an old id changes nothing.
			m, created, err := s.AppendMessage(ctx, Message{ChatID: c.ID, Sender: SenderVisitor, ClientMsgID: "same-0", Text: "hi"})
			must(t, err)
			if created || m.Seq != 2 {
				t.Fatalf("resend: seq %d created %v", m.Seq, created)
			}
			all, err := s.MessagesAfter(ctx, c.ID, 0, 0)
			must(t, err)
			if len(all) != 6 || all[5].Seq != 6 {
				t.Fatalf("stored %d messages", len(all))
			}
			if gc, _ := s.GetChat(ctx, c.ID); gc.LastSeq != 6 {
				t.Fatalf("last_seq = %d, want 6 (no seq consumed by resends)", gc.LastSeq)
			}
		})

		t.Run("claim race", func(t *testing.T) {
			c := newChat(t, s, ChatBot)
			if ok, err := s.ClaimQueuedChat(ctx, c.ID, 1); err != nil || ok {
				t.Fatalf("claim of a bot chat = %v, %v", ok, err)
			}
			if ok, err := s.QueueChat(ctx, c.ID); err != nil || !ok {
				t.Fatalf("QueueChat = %v, %v", ok, err)
			}
			if ok, err := s.QueueChat(ctx, c.ID); err != nil || ok {
				t.Fatalf("second QueueChat = %v, %v", ok, err)
			}
			if qs, err := s.ListChats(ctx, ChatFilter{Status: ChatQueued}); err != nil || len(qs) != 1 || qs[0].QueuedAt.IsZero() {
				t.Fatalf("queue = %+v, %v", qs, err)
			}
			agents := make([]int64, 8)
			for i := range agents {
				a := &Agent{Email: fmt.Sprintf("a%d@example.com", i), Name: "A", Role: RoleAgent}
				must(t, s.CreateAgent(ctx, a))
				agents[i] = a.ID
			}
			var wg sync.WaitGroup
			won := make([]bool, len(agents))
			errs := make([]error, len(agents))
			for i := range agents {
				wg.Go(func() { won[i], errs[i] = s.ClaimQueuedChat(ctx, c.ID, agents[i]) })
			}
			wg.Wait()
			winner := int64(0)
			for i := range agents {
				must(t, errs[i])
				if won[i] {
					if winner != 0 {
						t.Fatal("two agents claimed the chat")
					}
					winner = agents[i]
				}
			}
			gc, err := s.GetChat(ctx, c.ID)
			must(t, err)
			if winner == 0 || gc.AgentID != winner || gc.Status != ChatLive || gc.AcceptedAt.IsZero() {
				t.Fatalf("winner %d, chat %+v", winner, gc)
			}
		})
	})
}

func TestMatchingData(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		ac := &APIClient{SecretHash: "h", Name: "n"}
		must(t, s.CreateAPIClient(ctx, ac))

		multi := &MatchingData{KeyHash: "k1", Content: RawJSON(`{"firstname":"John"}`), APIClientID: ac.ID}
		must(t, s.CreateMatchingData(ctx, multi))
		if d := multi.ExpiresAt.Sub(multi.CreatedAt); d != MatchingDataTTL {
			t.Fatalf("TTL = %v", d)
		}
		for range 2 {
			d, err := s.ConsumeMatchingData(ctx, multi.GUID, nil)
			must(t, err)
			if string(d.Content) != `{"firstname":"John"}` || d.SingleUse || !d.UsedAt.IsZero() || !d.ExpiresAt.Equal(multi.ExpiresAt) {
				t.Fatalf("consumed %+v", d)
			}
		}

		// A failing check (wrong key) does not use the item up.
		single := &MatchingData{KeyHash: "k2", Content: RawJSON(`{}`), SingleUse: true}
		must(t, s.CreateMatchingData(ctx, single))
		errKey := errors.New("wrong key")
		_, err := s.ConsumeMatchingData(ctx, single.GUID, func(d *MatchingData) error {
			if d.KeyHash != "nope" {
				return errKey
			}
			return nil
		})
		wantErr(t, err, errKey)

		var wg sync.WaitGroup
		const n = 8
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() { _, errs[i] = s.ConsumeMatchingData(ctx, single.GUID, nil) })
		}
		wg.Wait()
		wins := 0
		for _, err := range errs {
			switch {
			case err == nil:
				wins++
			case !errors.Is(err, ErrUsed):
				t.Fatalf("consume: %v", err)
			}
		}
		if wins != 1 {
			t.Fatalf("%d consumers won, want 1", wins)
		}
		_, err = s.ConsumeMatchingData(ctx, single.GUID, nil)
		wantErr(t, err, ErrUsed)
		if d, _ := s.GetMatchingData(ctx, single.GUID); d.UsedAt.IsZero() {
			t.Fatal("used_at not set")
		}

		expired := &MatchingData{KeyHash: "k3", ExpiresAt: s.Now().Add(-time.Second)}
		must(t, s.CreateMatchingData(ctx, expired))
		_, err = s.ConsumeMatchingData(ctx, expired.GUID, nil)
		wantErr(t, err, ErrExpired)
		_, err = s.ConsumeMatchingData(ctx, "nope", nil)
		wantErr(t, err, ErrNotFound)
		wantErr(t, s.CreateMatchingData(ctx, &MatchingData{GUID: single.GUID, KeyHash: "x"}), ErrConflict)

		// The sweep deletes the expired and the used single-use items.
		deleted, err := s.DeleteExpiredMatchingData(ctx, s.Now())
		must(t, err)
		if deleted != 2 {
			t.Fatalf("swept %d items, want 2", deleted)
		}
		if _, err := s.GetMatchingData(ctx, multi.GUID); err != nil {
			t.Fatalf("live item swept: %v", err)
		}
		// A day later everything has expired.
		deleted, err = s.DeleteExpiredMatchingData(ctx, s.Now().Add(MatchingDataTTL))
		must(t, err)
		if deleted != 1 {
			t.Fatalf("swept %d items a day later, want 1", deleted)
		}
	})
}

func TestRandomID(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id := RandomID(16)
		if len(id) != 26 || seen[id] {
			t.Fatalf("RandomID = %q", id)
		}
		seen[id] = true
	}
	ids := []string{RandomID(10), RandomID(10)}
	sort.Strings(ids)
	if len(ids[0]) != 16 {
		t.Fatalf("RandomID(10) = %q", ids[0])
	}
}

func TestSQLiteDSN(t *testing.T) {
	for _, tc := range []struct {
		dsn, prefix string
		memory      bool
	}{
		{"sqlite:///abs/dir/a.db", "file:///abs/dir/a.db?", false},
		{"sqlite://rel/a.db", "file:rel/a.db?", false},
		{"sqlite:a.db", "file:a.db?", false},
		{"sqlite:///abs/my%20dir/a.db", "file:///abs/my%20dir/a.db?", false},
		{"sqlite::memory:", "file::memory:?", true},
	} {
		name, _, memory, err := sqliteDSN(tc.dsn, 10*time.Second)
		if err != nil || memory != tc.memory || len(name) < len(tc.prefix) || name[:len(tc.prefix)] != tc.prefix {
			t.Errorf("sqliteDSN(%q) = %q, %v, %v; want prefix %q", tc.dsn, name, memory, err, tc.prefix)
		}
	}
	name, _, _, err := sqliteDSN("sqlite:///abs/a.db?_pragma=cache_size(-20000)&_txlock=deferred", 5*time.Second)
	must(t, err)
	for _, want := range []string{"busy_timeout%285000%29", "journal_mode%28WAL%29", "foreign_keys%281%29", "cache_size%28-20000%29", "_txlock=deferred"} {
		if !strings.Contains(name, want) {
			t.Errorf("sqliteDSN with options = %q, missing %q", name, want)
		}
	}
	if _, _, _, err := sqliteDSN("sqlite://", time.Second); err == nil {
		t.Error("sqliteDSN(sqlite://) succeeded")
	}
}

// TestSQLiteImmediate checks that SQLite transactions take the write lock
// at BEGIN (_txlock=immediate): a transaction that has only read still
// keeps another connection's writer out.
func TestSQLiteImmediate(t *testing.T) {
	ctx := context.Background()
	dsn := testenv.SQLiteDSN(t)
	a := openMigrated(t, dsn)
	b, err := OpenWithOptions(ctx, dsn, Options{SQLiteBusyTimeout: 50 * time.Millisecond})
	must(t, err)
	t.Cleanup(func() { _ = b.Close() })

	tx, err := a.DB().BeginTx(ctx, nil)
	must(t, err)
	var n int
	must(t, tx.QueryRowContext(ctx, "SELECT count(*) FROM flows").Scan(&n))
	err = b.CreateFlow(ctx, &Flow{Name: "blocked"})
	if err == nil || !strings.Contains(err.Error(), "locked") {
		t.Fatalf("write beside an open transaction: %v, want database is locked", err)
	}
	must(t, tx.Rollback())
	must(t, b.CreateFlow(ctx, &Flow{Name: "after"}))
}

// TestMigrationsFrozen fails when a released migration's SQL changes:
// databases that already applied it would never see the change. Add a new
// migration instead (and its hash here).
func TestMigrationsFrozen(t *testing.T) {
	frozen := map[string]string{
		"20261101000001_initial":   "461c67290a5b13c1e78e8fe7325c6d7c0114c230cba7e95a6c506c997dc572d8",
		"20261125000001_auth":      "2d12b743c56b2b79c76b16421d7e6c0a60908a141c19454f460a3889f6a2e6cd",
		"20261125200001_runbooks":  "f8ac7ece92aa07b2196136167853e9bab2413acc66109eb6a2d8fe48e6f94ddf",
		"20261125210001_portal":    "851df79df4d96fd8cc418ba3a6ee7e7810cdda43d2ca5e9c9a335e5b3aff97d6",
		"20261125220001_hot_chats": "bb4fb8e90d5bb59c1ae0cfab6b0e260afeaba3237d8d7122d66efd14c50395fd",
	}
	ms := schemaMigrations()
	for i, m := range ms {
		if i > 0 && m.name <= ms[i-1].name {
			t.Errorf("migration %s sorts before %s", m.name, ms[i-1].name)
		}
		sum := sha256.Sum256([]byte(m.sql))
		if want, ok := frozen[m.name]; !ok {
			t.Errorf("migration %s has no frozen hash: add %q", m.name, hex.EncodeToString(sum[:]))
		} else if got := hex.EncodeToString(sum[:]); got != want {
			t.Errorf("migration %s changed (sha256 %s, frozen %s): write a new migration instead", m.name, got, want)
		}
	}
}
