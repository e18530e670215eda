package store

import (
	"context"
	"errors"
	"testing"
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
