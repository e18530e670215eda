package store

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

func TestAppendIf(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		ag := &Agent{Email: "append-" + RandomID(6) + "@example.com", Name: "Ann", Role: RoleAgent}
		must(t, s.CreateAgent(ctx, ag))
		other := &Agent{Email: "other-" + RandomID(6) + "@example.com", Name: "Bo", Role: RoleAgent}
		must(t, s.CreateAgent(ctx, other))
		live := newChat(t, s, ChatLive)
		if ok, err := s.UpdateChat(ctx, live.ID, ChatLive, ChatUpdate{AgentID: &ag.ID}); err != nil || !ok {
			t.Fatalf("give the chat to the agent: %v, %v", ok, err)
		}
		ended := newChat(t, s, ChatEnded)

		cases := []struct {
			name     string
			chat     string
			cond     AppendCond
			msg      Message
			applied  bool
			dupOfSeq int64 // the resend's stored seq; 0 = not a resend
			seq      int64
			err      error
		}{
			{"visitor message", live.ID, AppendCond{NotEnded: true}, Message{Sender: SenderVisitor, ClientMsgID: "v1", Text: "hello"}, true, 0, 1, nil},
			{"agent message with payload", live.ID, AppendCond{ExpectStatus: ChatLive, AgentID: ag.ID}, Message{Sender: SenderAgent, AgentID: ag.ID, ClientMsgID: "a1", Text: "hi", Payload: RawJSON(`{"agentName":"Ann"}`)}, true, 0, 2, nil},
			{"resend is a duplicate", live.ID, AppendCond{NotEnded: true}, Message{Sender: SenderVisitor, ClientMsgID: "v1", Text: "hello"}, false, 1, 0, nil},
			{"no client id", live.ID, AppendCond{}, Message{Sender: SenderSystem, Text: "note"}, true, 0, 3, nil},
			{"wrong status", live.ID, AppendCond{ExpectStatus: ChatQueued}, Message{Sender: SenderAgent, AgentID: ag.ID, ClientMsgID: "a2", Text: "x"}, false, 0, 0, nil},
			{"another agent's chat", live.ID, AppendCond{ExpectStatus: ChatLive, AgentID: other.ID}, Message{Sender: SenderAgent, AgentID: other.ID, ClientMsgID: "b1", Text: "mine?"}, false, 0, 0, nil},
			{"ended chat", ended.ID, AppendCond{NotEnded: true}, Message{Sender: SenderVisitor, ClientMsgID: "v9", Text: "late"}, false, 0, 0, nil},
			{"after the refusals, no gap", live.ID, AppendCond{NotEnded: true}, Message{Sender: SenderVisitor, ClientMsgID: "v2", Text: "again"}, true, 0, 4, nil},
			{"no such chat", "nochat", AppendCond{NotEnded: true}, Message{Sender: SenderVisitor, ClientMsgID: "v1", Text: "x"}, false, 0, 0, ErrNotFound},
			{"bad sender", live.ID, AppendCond{}, Message{Sender: "robot", Text: "x"}, false, 0, 0, ErrInvalid},
			{"NUL in text", live.ID, AppendCond{}, Message{Sender: SenderVisitor, Text: "a\x00b"}, false, 0, 0, ErrInvalid},
		}
		for _, tc := range cases {
			res, err := s.AppendIf(ctx, tc.chat, tc.cond, tc.msg)
			if tc.err != nil {
				wantErr(t, err, tc.err)
				continue
			}
			must(t, err)
			if res.Applied != tc.applied {
				t.Fatalf("%s: applied %v, want %v", tc.name, res.Applied, tc.applied)
			}
			if tc.dupOfSeq != 0 {
				if res.Duplicate == nil || res.Duplicate.Seq != tc.dupOfSeq {
					t.Fatalf("%s: duplicate %+v, want seq %d", tc.name, res.Duplicate, tc.dupOfSeq)
				}
				continue
			}
			if res.Duplicate != nil {
				t.Fatalf("%s: unexpected duplicate %+v", tc.name, res.Duplicate)
			}
			if tc.applied && (len(res.Messages) != 1 || res.Messages[0].Seq != tc.seq || res.Messages[0].ChatID != tc.chat) {
				t.Fatalf("%s: messages %+v, want seq %d", tc.name, res.Messages, tc.seq)
			}
		}

		all, err := s.MessagesAfter(ctx, live.ID, 0, 0)
		must(t, err)
		if len(all) != 4 {
			t.Fatalf("stored %d messages, want 4: %+v", len(all), all)
		}
		for i, m := range all {
			if m.Seq != int64(i+1) || m.CreatedAt.Location() != time.UTC || m.CreatedAt.IsZero() {
				t.Fatalf("message %d = %+v", i, m)
			}
		}
		if all[1].AgentID != ag.ID || string(all[1].Payload) != `{"agentName":"Ann"}` || all[2].ClientMsgID != "" || all[2].AgentID != 0 {
			t.Fatalf("round trip: %+v", all)
		}
		if c, _ := s.GetChat(ctx, live.ID); c.LastSeq != 4 {
			t.Fatalf("last_seq = %d, want 4", c.LastSeq)
		}

		// Racing resends of one id and distinct messages: one row per id,
		// seqs without gaps.
		race := newChat(t, s, ChatLive)
		var wg sync.WaitGroup
		for i := range 24 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				id := fmt.Sprint("m", i%8)
				if _, err := s.AppendIf(ctx, race.ID, AppendCond{NotEnded: true}, Message{Sender: SenderVisitor, ClientMsgID: id, Text: id}); err != nil {
					t.Errorf("append %s: %v", id, err)
				}
			}()
		}
		wg.Wait()
		got, err := s.MessagesAfter(ctx, race.ID, 0, 0)
		must(t, err)
		seen := map[string]bool{}
		for i, m := range got {
			if m.Seq != int64(i+1) || seen[m.ClientMsgID] {
				t.Fatalf("race: message %d = %+v (seen %v)", i, m, seen)
			}
			seen[m.ClientMsgID] = true
		}
		if len(got) != 8 {
			t.Fatalf("race: %d messages, want 8", len(got))
		}
	})
}
