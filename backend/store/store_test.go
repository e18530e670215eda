package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"halochat/backend/testenv"
)

// forEachDB runs fn on a migrated store per database, in parallel.
func forEachDB(t *testing.T, fn func(t *testing.T, s *Store)) {
	t.Helper()
	testenv.ForEachStore(t, Open, fn)
}

func must(t testing.TB, err error) {
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

// underLoad runs do(w, 0) to do(w, each-1) in order on each of workers
// goroutines at once, and returns when all are done: the concurrent
// writers and readers whose races the database settles and whose
// statements the batchers group.
func underLoad(workers, each int, do func(w, k int)) {
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for k := range each {
				do(w, k)
			}
		})
	}
	wg.Wait()
}

// errLost is a race's losing answer for calls that report a loss as
// false rather than as an error (see oneWins).
var errLost = errors.New("lost the race")

// oneWins runs try(0) to try(n-1) at once and fails the test unless
// exactly one succeeds and every other fails with lost: the store's
// races (a flow's save, a single-use item, a token id, an agent's
// accept) are settled by the database, one winner each.
func oneWins(t *testing.T, n int, lost error, try func(i int) error) {
	t.Helper()
	errs := make([]error, n)
	underLoad(n, 1, func(i, _ int) { errs[i] = try(i) })
	wins := 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, lost):
			t.Fatalf("concurrent call: %v", err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d of %d concurrent calls won, want 1", wins, n)
	}
}

// TestRoundTrip stores and reads back one of everything, and checks the
// not-found, conflict and invalid-input errors. Each step stores what the
// next ones refer to.
func TestRoundTrip(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store) {
		r := &roundTrip{t: t, ctx: context.Background(), s: s}
		r.flows()
		r.fieldsAndTicketTypes()
		r.profiles()
		r.users()
		r.agentsAndClients()
		r.chats()
		r.tickets()
		r.deletes()
		r.notFound()
		r.invalidText()
	})
}

// roundTrip is TestRoundTrip's state: the rows its steps stored.
type roundTrip struct {
	t   *testing.T
	ctx context.Context
	s   *Store

	flow             *Flow
	tier, ticketTier *CustomField
	tt               *TicketType
	p                *ChatProfile
	u, anon1, anon2  *User
	ag               *Agent
	ac               *APIClient
	c                *Chat
	tk               *Ticket
}

// flows stores a flow and its first version.
func (r *roundTrip) flows() {
	t, ctx, s := r.t, r.ctx, r.s
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
	r.flow = flow
}

// fieldsAndTicketTypes stores a chat field and a ticket field of one name,
// and a ticket type.
func (r *roundTrip) fieldsAndTicketTypes() {
	t, ctx, s := r.t, r.ctx, r.s
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
	r.tier, r.ticketTier, r.tt = tier, ticketTier, tt
}

// profiles stores a profile with every setting and regenerates its key.
func (r *roundTrip) profiles() {
	t, ctx, s := r.t, r.ctx, r.s
	flow, tt := r.flow, r.tt
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
	r.p = p
}

// users stores a user with an external id and an e-mail address, and two
// anonymous ones.
func (r *roundTrip) users() {
	t, ctx, s := r.t, r.ctx, r.s
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
	r.u, r.anon1, r.anon2 = u, anon1, anon2
}

// agentsAndClients stores an agent, its presence and an API client.
func (r *roundTrip) agentsAndClients() {
	t, ctx, s := r.t, r.ctx, r.s
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
	if got, err := s.GetAPIClientByClientID(ctx, "backend"); err != nil || !slices.Contains(got.Permissions, PermReadModifyUsers) || got.SecretHash != "sh" {
		t.Fatalf("GetAPIClientByClientID = %+v, %v", got, err)
	}
	r.ag, r.ac = ag, ac
}

// chats stores a chat with field values, updates, queues and claims it,
// and upgrades an anonymous chat.
func (r *roundTrip) chats() {
	t, ctx, s := r.t, r.ctx, r.s
	p, flow, u, tier, ticketTier, ag, anon1, anon2 := r.p, r.flow, r.u, r.tier, r.ticketTier, r.ag, r.anon1, r.anon2
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
	if ok, err := queueChat(ctx, s, c.ID); err != nil || !ok {
		t.Fatalf("queue = %v, %v", ok, err)
	}
	if ok, err := claimChat(ctx, s, c.ID, ag.ID); err != nil || !ok {
		t.Fatalf("claim = %v, %v", ok, err)
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
	r.c = c
}

// tickets stores two tickets with their field values, lists them, and
// ends the chat with one.
func (r *roundTrip) tickets() {
	t, ctx, s := r.t, r.ctx, r.s
	tt, u, c, ticketTier, tier, anon1 := r.tt, r.u, r.c, r.ticketTier, r.tier, r.anon1
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
	if ok, err := endChat(ctx, s, c.ID, "resolved", tk.ID); err != nil || !ok {
		t.Fatalf("end = %v, %v", ok, err)
	}
	if ok, err := endChat(ctx, s, c.ID, "again", 0); err != nil || ok {
		t.Fatalf("second end = %v, %v", ok, err)
	}
	if gc, _ := s.GetChat(ctx, c.ID); gc.Status != ChatEnded || gc.TicketID != tk.ID || gc.EndReason != "resolved" || gc.EndedAt.IsZero() {
		t.Fatalf("ended chat = %+v", gc)
	}
	r.tk = tk
}

// deletes checks that what is referred to cannot go and the rest cascades.
func (r *roundTrip) deletes() {
	t, ctx, s := r.t, r.ctx, r.s
	p, ticketTier, tk, ac := r.p, r.ticketTier, r.tk, r.ac
	wantErr(t, s.DeleteProfile(ctx, p.ID), ErrConflict)
	must(t, s.DeleteCustomField(ctx, ticketTier.ID))
	if tv, _ := s.TicketFieldValues(ctx, tk.ID); len(tv) != 0 {
		t.Fatalf("values of a deleted field: %+v", tv)
	}
	must(t, s.DeleteAPIClient(ctx, ac.ID))
}

// notFound checks that every look-up of a missing row is ErrNotFound.
func (r *roundTrip) notFound() {
	t, ctx, s := r.t, r.ctx, r.s
	flow := r.flow
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
		{"agent", func() error { _, err := s.GetAgent(ctx, 999999); return err }()},
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
}

// invalidText checks that text the databases cannot agree on is refused
// before the database.
func (r *roundTrip) invalidText() {
	t, ctx, s := r.t, r.ctx, r.s
	c, flow := r.c, r.flow
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
}
