package store

import (
	"cmp"
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"
)

// queueChat hands a bot chat to the agent queue as the bot flow does: a
// conditional update on its status.
func queueChat(ctx context.Context, s *Store, chatID string) (bool, error) {
	status, now := ChatQueued, s.Now()
	return s.UpdateChat(ctx, chatID, ChatBot, ChatUpdate{Status: &status, QueuedAt: &now})
}

// claimChat gives a queued chat to an agent as an agent's accept does.
func claimChat(ctx context.Context, s *Store, chatID string, agentID int64) (bool, error) {
	status, now := ChatLive, s.Now()
	res, err := s.AdvanceChat(ctx, chatID, ChatAdvance{ExpectStatus: ChatQueued,
		Update: ChatUpdate{Status: &status, AgentID: &agentID, AcceptedAt: &now}})
	return res.Applied, err
}

// endChat ends a chat that has not ended, with the ticket logged from it
// (0 for none), as the flow's end does.
func endChat(ctx context.Context, s *Store, chatID, reason string, ticketID int64) (bool, error) {
	status, now := ChatEnded, s.Now()
	u := ChatUpdate{Status: &status, EndedAt: &now, EndReason: &reason}
	if ticketID != 0 {
		u.TicketID = &ticketID
	}
	res, err := s.AdvanceChat(ctx, chatID, ChatAdvance{NotEnded: true, Update: u})
	return res.Applied, err
}

// TestClaimRace: of agents accepting one queued chat at once, exactly one
// gets it.
func TestClaimRace(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		c := newChat(t, s, ChatBot)
		if ok, err := claimChat(ctx, s, c.ID, 1); err != nil || ok {
			t.Fatalf("claim of a bot chat = %v, %v", ok, err)
		}
		if ok, err := queueChat(ctx, s, c.ID); err != nil || !ok {
			t.Fatalf("queue = %v, %v", ok, err)
		}
		if ok, err := queueChat(ctx, s, c.ID); err != nil || ok {
			t.Fatalf("second queue = %v, %v", ok, err)
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
		var winner int64 // written by the one winner only
		oneWins(t, len(agents), errLost, func(i int) error {
			if ok, err := claimChat(ctx, s, c.ID, agents[i]); err != nil || !ok {
				return cmp.Or(err, errLost)
			}
			winner = agents[i]
			return nil
		})
		gc, err := s.GetChat(ctx, c.ID)
		must(t, err)
		if gc.AgentID != winner || gc.Status != ChatLive || gc.AcceptedAt.IsZero() {
			t.Fatalf("winner %d, chat %+v", winner, gc)
		}
	})
}

// Each field of ChatUpdate sets the Chat field of its name (applyTo relies
// on it). Through UpdateChat, an update naming every column writes each
// on both databases, and pointers to zero clear the nullable ones.
func TestChatUpdateFieldsAreChatFields(t *testing.T) {
	ut, ct := reflect.TypeFor[ChatUpdate](), reflect.TypeFor[Chat]()
	for i := range ut.NumField() {
		f := ut.Field(i)
		if cf, ok := ct.FieldByName(f.Name); !ok || f.Type.Kind() != reflect.Pointer || cf.Type != f.Type.Elem() {
			t.Errorf("ChatUpdate.%s (%s) names no Chat field of its element type", f.Name, f.Type)
		}
	}
	forEachDB(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		c := newChat(t, s, ChatBot)
		ag := &Agent{Email: "upd@example.com", Role: RoleAgent}
		u := &User{Email: "upd@example.com"}
		must(t, s.CreateAgent(ctx, ag))
		must(t, s.CreateUser(ctx, u))
		tk := &Ticket{Summary: "upd", UserID: u.ID}
		must(t, s.CreateTicket(ctx, tk, nil))
		status, secret, reason, state := ChatEnded, "hash", "done", RawJSON(`{"at":3}`)
		yes, step, now := true, int64(4), s.Now()
		team := &Team{Name: "upd"}
		must(t, s.CreateTeam(ctx, team))
		full := ChatUpdate{Status: &status, AgentID: &ag.ID, UserID: &u.ID, Authenticated: &yes, FlowState: &state,
			StartStep: &step, ResumeSecretHash: &secret, QueuedAt: &now, AcceptedAt: &now, EndedAt: &now,
			EndReason: &reason, TicketID: &tk.ID, TeamID: &team.ID, OfferedAt: &now}
		if ok, err := s.UpdateChat(ctx, c.ID, ChatBot, full); err != nil || !ok {
			t.Fatalf("full update = %v, %v", ok, err)
		}
		var want Chat
		if cols := full.applyTo(&want); len(cols) != ut.NumField() {
			t.Errorf("a full update writes %v, want %d columns", cols, ut.NumField())
		}
		wantColumns(t, s, c.ID, want)

		var zero int64
		var never time.Time
		cleared := ChatUpdate{AgentID: &zero, UserID: &zero, TicketID: &zero, QueuedAt: &never, AcceptedAt: &never, EndedAt: &never}
		if ok, err := s.UpdateChat(ctx, c.ID, "", cleared); err != nil || !ok {
			t.Fatalf("clearing update = %v, %v", ok, err)
		}
		cleared.applyTo(&want)
		wantColumns(t, s, c.ID, want)
	})
}

// wantColumns checks that the chat holds want's value in every column a
// ChatUpdate can write.
func wantColumns(t *testing.T, s *Store, chatID string, want Chat) {
	t.Helper()
	got, err := s.GetChat(context.Background(), chatID)
	must(t, err)
	gv, wv := reflect.ValueOf(*got), reflect.ValueOf(want)
	for i := range reflect.TypeFor[ChatUpdate]().NumField() {
		name := reflect.TypeFor[ChatUpdate]().Field(i).Name
		if g, w := gv.FieldByName(name).Interface(), wv.FieldByName(name).Interface(); !reflect.DeepEqual(g, w) {
			t.Errorf("chat's %s = %v, want %v", name, g, w)
		}
	}
}
