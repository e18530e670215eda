package store

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"
)

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
		t.Run("sequence", func(t *testing.T) { appendSequence(t, s) })
		t.Run("concurrent appends", func(t *testing.T) { concurrentAppends(t, s) })
		t.Run("concurrent resend", func(t *testing.T) { concurrentResend(t, s) })
	})
}

// appendSequence appends single messages and batches with and without
// client message ids, and reads them back in seq order.
func appendSequence(t *testing.T, s *Store) {
	ctx := context.Background()
	c := newChat(t, s, ChatBot)
	for i := 1; i <= 5; i++ {
		m, created, err := s.AppendMessage(ctx, Message{ChatID: c.ID, Sender: SenderBot, Text: fmt.Sprint("m", i), Payload: RawJSON(`{"choices":["a"]}`)})
		must(t, err)
		if !created || m.Seq != int64(i) {
			t.Fatalf("append %d: seq %d created %v", i, m.Seq, created)
		}
	}
	// A batch: visitor message with a client id and two bot replies.
	out, created, err := s.appendMessages(ctx, c.ID, []Message{
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
	out, created, err = s.appendMessages(ctx, c.ID, []Message{
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
	// The prepared read (PostgreSQL) reads what bun reads, an agent's
	// internal note included.
	ag := &Agent{Email: "m-" + RandomID(4) + "@agents.test", Role: RoleAgent}
	must(t, s.CreateAgent(ctx, ag))
	_, _, err = s.AppendMessage(ctx, Message{ChatID: c.ID, Sender: SenderAgent, AgentID: ag.ID, ClientMsgID: "a1", Text: "note", Internal: true})
	must(t, err)
	for _, limit := range []int64{0, 3, MaxLimit + 1} {
		read, err := s.MessagesAfter(ctx, c.ID, 1, limit)
		must(t, err)
		viaBun, err := s.messagesAfterBun(ctx, "read through bun", c.ID, 1, limit)
		must(t, err)
		if !reflect.DeepEqual(read, viaBun) || len(read) == 0 || !read[len(read)-1].Internal && limit != 3 {
			t.Fatalf("limit %d: MessagesAfter read %+v, bun %+v", limit, read, viaBun)
		}
	}
	if gc, _ := s.GetChat(ctx, c.ID); gc.LastSeq != 10 {
		t.Fatalf("last_seq = %d", gc.LastSeq)
	}
}

// concurrentAppends appends from several goroutines at once: every
// message stored, seqs gapless.
func concurrentAppends(t *testing.T, s *Store) {
	ctx := context.Background()
	c := newChat(t, s, ChatLive)
	const workers, each = 8, 50
	start := time.Now()
	underLoad(workers, each, func(w, i int) {
		m := Message{ChatID: c.ID, Sender: SenderVisitor, ClientMsgID: fmt.Sprintf("w%d-%d", w, i), Text: "x"}
		if _, created, err := s.AppendMessage(ctx, m); err != nil || !created {
			t.Errorf("worker %d append %d: created=%v %v", w, i, created, err)
		}
	})
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
}

// concurrentResend sends one client message id from several goroutines
// at once: one is stored, every sender gets its seq, no seq is lost.
func concurrentResend(t *testing.T, s *Store) {
	ctx := context.Background()
	c := newChat(t, s, ChatLive)
	_, _, err := s.AppendMessage(ctx, Message{ChatID: c.ID, Sender: SenderBot, Text: "hello"})
	must(t, err)
	for round := range 5 {
		const n = 8
		seqs := make([]int64, n)
		created := make([]bool, n)
		errs := make([]error, n)
		id := fmt.Sprint("same-", round)
		underLoad(n, 1, func(i, _ int) {
			var m Message
			m, created[i], errs[i] = s.AppendMessage(ctx, Message{ChatID: c.ID, Sender: SenderVisitor, ClientMsgID: id, Text: "hi"})
			seqs[i] = m.Seq
		})
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
}

// TestAppendIfInSession: an agent's message conditioned on their session
// is stored only while the session holds, in the statement that appends
// it; what ended it is ErrSessionEnded, and nothing is stored.
func TestAppendIfInSession(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		now := s.Now()
		agent := func(name string, disabled bool, expires time.Duration) (*Agent, string) {
			a := &Agent{Email: name + "-" + RandomID(6) + "@example.com", Name: name, Role: RoleAgent, Disabled: disabled}
			must(t, s.CreateAgent(ctx, a))
			hash := "hash-" + RandomID(12)
			must(t, s.CreateAgentSession(ctx, &AgentSession{TokenHash: hash, AgentID: a.ID, ExpiresAt: now.Add(expires)}))
			return a, hash
		}
		ann, annSession := agent("ann", false, time.Hour)
		_, boSession := agent("bo", false, time.Hour)
		old, oldSession := agent("old", false, -time.Minute)
		gone, goneSession := agent("gone", true, time.Hour)
		chatOf := func(a *Agent) string {
			c := newChat(t, s, ChatLive)
			if ok, err := s.UpdateChat(ctx, c.ID, ChatLive, ChatUpdate{AgentID: &a.ID}); err != nil || !ok {
				t.Fatalf("give the chat to %s: %v, %v", a.Name, ok, err)
			}
			return c.ID
		}
		annChat, oldChat, goneChat := chatOf(ann), chatOf(old), chatOf(gone)
		cases := []struct {
			name    string
			chat    string
			agent   int64
			session string
			err     error // nil: stored
		}{
			{"the agent's session", annChat, ann.ID, annSession, nil},
			{"another agent's session", annChat, ann.ID, boSession, ErrSessionEnded},
			{"an unknown session", annChat, ann.ID, "hash-none", ErrSessionEnded},
			{"an expired session", oldChat, old.ID, oldSession, ErrSessionEnded},
			{"a disabled agent", goneChat, gone.ID, goneSession, ErrSessionEnded},
			{"a session without its agent", annChat, 0, annSession, ErrInvalid},
		}
		for i, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				id := fmt.Sprint("s", i)
				res, err := s.AppendIf(ctx, tc.chat, AppendCond{ExpectStatus: ChatLive, AgentID: tc.agent, Session: tc.session},
					Message{Sender: SenderAgent, AgentID: tc.agent, ClientMsgID: id, Text: tc.name})
				if tc.err != nil {
					wantErr(t, err, tc.err)
					if _, err := s.MessageByClientID(ctx, tc.chat, id); !errors.Is(err, ErrNotFound) {
						t.Fatalf("refused, yet stored (or not readable): %v", err)
					}
					return
				}
				if err != nil || !res.Applied || len(res.Messages) != 1 {
					t.Fatalf("AppendIf = %+v, %v; want it stored", res, err)
				}
			})
		}
		// The session ends: the next message is refused.
		must(t, s.DeleteAgentSession(ctx, annSession))
		_, err := s.AppendIf(ctx, annChat, AppendCond{ExpectStatus: ChatLive, AgentID: ann.ID, Session: annSession},
			Message{Sender: SenderAgent, AgentID: ann.ID, ClientMsgID: "after", Text: "logged out"})
		wantErr(t, err, ErrSessionEnded)
		if c, _ := s.GetChat(ctx, annChat); c.LastSeq != 1 {
			t.Fatalf("last_seq = %d, want 1 (refusals take no number)", c.LastSeq)
		}
	})
}

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
		underLoad(24, 1, func(i, _ int) {
			id := fmt.Sprint("m", i%8)
			if _, err := s.AppendIf(ctx, race.ID, AppendCond{NotEnded: true}, Message{Sender: SenderVisitor, ClientMsgID: id, Text: id}); err != nil {
				t.Errorf("append %s: %v", id, err)
			}
		})
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
