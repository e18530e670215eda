package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

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
		full.EmailHint = "hint@example.com"
		queued, now := ChatQueued, s.Now()
		committed := 0
		if s.starts != nil {
			_, committed = s.starts.counts()
		}
		res, err = s.CreateChatAdvanced(ctx, full, []ChatFieldValue{{FieldID: cf.ID, Value: "gold"}}, &ChatAdvance{
			CheckState: true, ExpectState: full.FlowState, ExpectStatus: ChatBot, NotEnded: true,
			Messages: []Message{{Sender: SenderBot, Text: "one"}, {Sender: SenderAgent, AgentID: ag.ID, Text: "two", Payload: RawJSON(`{"agentName":"Ann"}`)},
				{Sender: SenderSystem, Text: "queued"}},
			Update: ChatUpdate{FlowState: &state, Status: &queued, QueuedAt: &now}})
		must(t, err)
		if s.starts != nil {
			if _, n := s.starts.counts(); n != committed+1 {
				t.Fatalf("PostgreSQL: the start did not go through the one statement (%d statements, %d before)", n, committed)
			}
		}
		read, err := s.GetChat(ctx, full.ID)
		must(t, err)
		if read.Status != ChatQueued || read.LastSeq != 3 || string(read.FlowState) != string(state) ||
			!read.QueuedAt.Equal(res.Chat.QueuedAt) || !read.StartedAt.Equal(res.Chat.StartedAt) || read.Status != res.Chat.Status ||
			read.LastSeq != res.Chat.LastSeq || read.ProfileID != res.Chat.ProfileID || read.EmailHint != "hint@example.com" {
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

// A chat that starts with an identity token records the token's use in
// its own commit: the token's second start creates nothing and is
// refused (ErrTokenUsed), of concurrent starts with one token exactly
// one creates its chat, and an expired use stops nothing.
func TestCreateChatUsingAToken(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		tmpl := newChat(t, s, ChatBot) // a profile and flow to refer to
		hour := s.Now().Add(time.Hour)
		start := func(jti string, until time.Time) (*Chat, error) {
			c := &Chat{ID: NewChatID(), ProfileID: tmpl.ProfileID, Status: ChatBot, Context: ContextEmbedded}
			_, err := s.CreateChatUsing(ctx, c, nil, &ChatAdvance{Messages: []Message{{Sender: SenderBot, Text: "hello"}}},
				ChatWith{Use: &TokenUse{ProfileID: tmpl.ProfileID, JTIHash: jti, ExpiresAt: until}})
			return c, err
		}
		exists := func(c *Chat) bool {
			t.Helper()
			_, err := s.GetChat(ctx, c.ID)
			if err != nil && !errors.Is(err, ErrNotFound) {
				t.Fatal(err)
			}
			return err == nil
		}
		for _, tc := range []struct {
			what  string
			jti   string
			until time.Time
			want  error
		}{
			{"first start", "j1", hour, nil},
			{"the token's second start", "j1", hour, ErrTokenUsed},
			{"another token", "j2", hour, nil},
			{"a use that has expired", "old", s.Now().Add(-time.Second), nil},
			{"its token used anew", "old", hour, nil},
			{"and not again", "old", hour, ErrTokenUsed},
		} {
			c, err := start(tc.jti, tc.until)
			if !errors.Is(err, tc.want) || (err != nil && tc.want == nil) {
				t.Errorf("%s: %v, want %v", tc.what, err, tc.want)
			}
			if got := exists(c); got != (tc.want == nil) {
				t.Errorf("%s: the chat exists: %v, want %v", tc.what, got, tc.want == nil)
			}
		}
		// The use is the one UseTokenID knows.
		if ok, err := s.UseTokenID(ctx, tmpl.ProfileID, "j1", hour); err != nil || ok {
			t.Errorf("UseTokenID after a start with the token: %v, %v; want it used", ok, err)
		}
		oneWins(t, 8, errLost, func(int) error {
			_, err := start("race", hour)
			if errors.Is(err, ErrTokenUsed) {
				return errLost
			}
			return err
		})
		// A use on another profile than the chat's is refused.
		c := &Chat{ID: NewChatID(), ProfileID: tmpl.ProfileID, Status: ChatBot, Context: ContextEmbedded}
		if _, err := s.CreateChatUsing(ctx, c, nil, &ChatAdvance{}, ChatWith{Use: &TokenUse{ProfileID: "other", JTIHash: "j3", ExpiresAt: hour}}); !errors.Is(err, ErrInvalid) {
			t.Errorf("a use on another profile: %v, want ErrInvalid", err)
		}
	})
}

// A chat that is a new user's first stores the user in its own commit:
// the chat is theirs, and a start that stores no chat (its token used
// before, its first step refused) leaves no user behind. An external id
// taken meanwhile is refused with ErrUserTaken, and of concurrent first
// starts of one person exactly one creates the user. On PostgreSQL with
// an id from ReserveUserID (the chat's one statement) and without one
// (its transaction).
func TestCreateChatWithANewUser(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		tmpl := newChat(t, s, ChatBot)
		hour := s.Now().Add(time.Hour)
		hello := func() *ChatAdvance { return &ChatAdvance{Messages: []Message{{Sender: SenderBot, Text: "hello"}}} }
		for _, reserve := range []bool{true, false} {
			newUser := func(ext string) *User {
				u := &User{ExternalID: ext, Email: " " + strings.ToUpper(ext) + "@Example.com", FirstName: "Ann"}
				if reserve {
					var err error
					u.ID, err = s.ReserveUserID(ctx)
					must(t, err)
				}
				return u
			}
			start := func(u *User, jti string, adv *ChatAdvance) (*Chat, error) {
				c := &Chat{ID: NewChatID(), ProfileID: tmpl.ProfileID, Status: ChatBot, Context: ContextEmbedded, Authenticated: true}
				with := ChatWith{User: u}
				if jti != "" {
					with.Use = &TokenUse{ProfileID: tmpl.ProfileID, JTIHash: jti, ExpiresAt: hour}
				}
				_, err := s.CreateChatUsing(ctx, c, nil, adv, with)
				return c, err
			}
			stored := func(ext string) *User {
				t.Helper()
				u, err := s.GetUserByExternalID(ctx, ext)
				if errors.Is(err, ErrNotFound) {
					return nil
				}
				must(t, err)
				return u
			}
			p := fmt.Sprintf("reserve %v: ", reserve)
			ext := fmt.Sprintf("new-%v", reserve)

			u := newUser(ext)
			c, err := start(u, "first-"+ext, hello())
			must(t, err)
			got := stored(ext)
			if got == nil || u.ID == 0 || got.ID != u.ID || c.UserID != u.ID || got.Email != ext+"@example.com" || got.FirstName != "Ann" || u.CreatedAt.IsZero() {
				t.Fatalf("%sthe stored user %+v, the caller's %+v, the chat's %d", p, got, u, c.UserID)
			}
			if back, err := s.GetChat(ctx, c.ID); err != nil || back.UserID != u.ID {
				t.Fatalf("%sthe chat read back: %+v, %v", p, back, err)
			}

			// Nothing stored: the token used before, an invalid first step.
			for _, tc := range []struct {
				what, jti string
				adv       *ChatAdvance
				want      error
			}{
				{"the token used before", "first-" + ext, hello(), ErrTokenUsed},
				{"a first step the store refuses", "", &ChatAdvance{Messages: []Message{{Sender: "robot", Text: "x"}}}, ErrInvalid},
			} {
				c, err := start(newUser("none-"+ext), tc.jti, tc.adv)
				if !errors.Is(err, tc.want) {
					t.Errorf("%s%s: %v, want %v", p, tc.what, err, tc.want)
				}
				if got := stored("none-" + ext); got != nil {
					t.Errorf("%s%s: the user was stored: %+v", p, tc.what, got)
				}
				if _, err := s.GetChat(ctx, c.ID); !errors.Is(err, ErrNotFound) || c.UserID != 0 {
					t.Errorf("%s%s: the chat: %v, its user %d", p, tc.what, err, c.UserID)
				}
			}

			// The external id taken since the look-up.
			c, err = start(newUser(ext), "", hello())
			if !errors.Is(err, ErrUserTaken) || !errors.Is(err, ErrConflict) {
				t.Errorf("%sa taken external id: %v, want ErrUserTaken", p, err)
			}
			if _, err := s.GetChat(ctx, c.ID); !errors.Is(err, ErrNotFound) {
				t.Errorf("%sa taken external id: the chat exists (%v)", p, err)
			}

			race := make([]*User, 6) // ids reserved before the goroutines
			for i := range race {
				race[i] = newUser("race-" + ext)
			}
			oneWins(t, len(race), errLost, func(i int) error {
				_, err := start(race[i], "", hello())
				if errors.Is(err, ErrUserTaken) {
					return errLost
				}
				return err
			})
		}
	})
}
