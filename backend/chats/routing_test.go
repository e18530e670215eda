package chats_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"halochat/app/flow"
	"halochat/app/i18n"
	"halochat/app/protocol"
	"halochat/backend/chats"
	"halochat/backend/demo"
	"halochat/backend/store"
	"halochat/backend/storetest"
	"halochat/backend/testenv"
)

func eachClockedDB(t *testing.T, run func(t *testing.T, e *env, c *clock)) {
	eachDatabaseTicking(t, wednesdayNoon, run)
}

// teamSetup is a team of fresh agents, online, and a profile whose
// transfer step names the team.
type teamSetup struct {
	team    *store.Team
	members []*store.Agent
	profile *store.ChatProfile
}

// newTeam makes a team of n online agents in mode, with the accept
// timeout, and a copy of the demo profile whose flow transfers to it.
func (e *env) newTeam(t *testing.T, name, mode string, n int, timeout int64) *teamSetup {
	t.Helper()
	ts := &teamSetup{team: &store.Team{Name: name, Mode: mode, AcceptTimeout: timeout}}
	for i := range n {
		a := e.newAgent(t, fmt.Sprintf("%s%d", name, i))
		e.presence(t, a, store.PresenceOnline)
		ts.members = append(ts.members, a)
		ts.team.Members = append(ts.team.Members, a.ID)
	}
	if err := e.st.CreateTeam(e.ctx, ts.team); err != nil {
		t.Fatalf("create team %s: %v", name, err)
	}
	f := demo.Flow()
	f.Name = name + " flow"
	for i := range f.Steps {
		if f.Steps[i].Transfer != nil {
			f.Steps[i].Transfer.Team = ts.team.ID
		}
	}
	fl := storetest.SaveFlow(t, e.st, f, flow.Schema{})
	ts.profile = e.profile(t, name, func(p *store.ChatProfile) { p.FlowID = fl.ID })
	return ts
}

// startFor starts a chat on the team's profile at the transfer step.
func (e *env) startFor(t *testing.T, ts *teamSetup) string {
	t.Helper()
	return e.start(t, protocol.StartChatRequest{ConfigID: ts.profile.ID, ConfigKey: ts.profile.Key, StartStepOverride: demo.StepTransfer}).ChatID
}

// hold gives agent a n live chats of the shared queue.
func (e *env) hold(t *testing.T, a *store.Agent, n int) {
	t.Helper()
	for range n {
		id := e.transferred(t)
		if _, err := e.svc.Accept(e.ctx, id, a); err != nil {
			t.Fatalf("accept chat %s: %v", id, err)
		}
	}
}

// queueOf is the queue agent a's console is sent.
func (e *env) queueOf(t *testing.T, a *store.Agent) []string {
	t.Helper()
	q, err := e.svc.QueueStates(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	teams, err := e.svc.TeamsOf(e.ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range chats.QueueFor(q, a.ID, teams) {
		ids = append(ids, c.ID)
	}
	return ids
}

// TestAutoTeamRouting: an auto team offers each chat to its online member
// with the fewest open chats; only that member sees or takes it; an offer
// not accepted within the timeout, or whose agent goes offline, goes to
// the next member; a live chat whose agent is gone (offline for
// GoneAfter) goes back to the team; a chat nobody can take takes its
// transfer's fallback.
func TestAutoTeamRouting(t *testing.T) {
	eachClockedDB(t, func(t *testing.T, e *env, clk *clock) {
		ts := e.newTeam(t, "auto", store.TeamAuto, 3, 30)
		busy, calm, away := ts.members[0], ts.members[1], ts.members[2]
		e.presence(t, away, store.PresenceOffline)
		e.hold(t, busy, 2)
		e.hold(t, calm, 1)

		id := e.startFor(t, ts)
		c := e.chat(t, id)
		if c.Status != store.ChatQueued || c.TeamID != ts.team.ID || c.AgentID != calm.ID {
			t.Fatalf("chat %s, team %d, offered to %d; want queued for team %d, offered to %d (the least busy online)",
				c.Status, c.TeamID, c.AgentID, ts.team.ID, calm.ID)
		}
		if q := e.queueOf(t, calm); !slices.Contains(q, id) {
			t.Fatalf("the offered agent's queue %v lacks chat %s", q, id)
		}
		if q := e.queueOf(t, busy); slices.Contains(q, id) {
			t.Fatalf("another member's queue %v shows chat %s offered to someone else", q, id)
		}
		_, err := e.svc.Accept(e.ctx, id, busy)
		wantRefusal(t, err, &protocol.APIError{Code: protocol.CodeAlreadyClaimed})

		// Not accepted in time: the next member.
		clk.add(31 * time.Second)
		if n, err := e.svc.RouteTeamChats(e.ctx); err != nil || n != 1 {
			t.Fatalf("route = %d, %v; want 1 moved", n, err)
		}
		if c := e.chat(t, id); c.Status != store.ChatQueued || c.AgentID != busy.ID {
			t.Fatalf("after the timeout: chat %s offered to %d, want offered to %d", c.Status, c.AgentID, busy.ID)
		}
		if _, err := e.svc.Accept(e.ctx, id, busy); err != nil {
			t.Fatalf("the next member accepts: %v", err)
		}

		// Its agent goes offline: theirs for the grace period (a reload,
		// a reconnect), then gone: back to the team, to the next member
		// (and their two chats of the shared queue back to that queue).
		e.presence(t, busy, store.PresenceOffline)
		if n, err := e.svc.RequeueGone(e.ctx, chats.GoneAfter); err != nil || n != 0 {
			t.Fatalf("requeue gone within the grace period = %d, %v; want 0 moved", n, err)
		}
		if c := e.chat(t, id); c.Status != store.ChatLive || c.AgentID != busy.ID {
			t.Fatalf("within the grace period: chat %s with %d, want live with %d", c.Status, c.AgentID, busy.ID)
		}
		clk.add(chats.GoneAfter + time.Second)
		if err := e.st.TouchAgents(e.ctx, "", []int64{calm.ID}); err != nil { // calm's console is still open
			t.Fatal(err)
		}
		if n, err := e.svc.RequeueGone(e.ctx, chats.GoneAfter); err != nil || n != 3 {
			t.Fatalf("requeue gone = %d, %v; want 3 moved (the team's chat, two of the shared queue)", n, err)
		}
		if c := e.chat(t, id); c.Status != store.ChatQueued || c.AgentID != calm.ID {
			t.Fatalf("agent gone: chat %s offered to %d, want queued, offered to %d", c.Status, c.AgentID, calm.ID)
		}
		if !hasText(e.messages(t, id), i18n.F(i18n.English, i18n.AgentGone, busy.Name, ts.team.Name)) {
			t.Fatal("the visitor was not told their agent left")
		}

		// Nobody else can take it: after the timeout, the fallback.
		clk.add(31 * time.Second)
		if _, err := e.svc.RouteTeamChats(e.ctx); err != nil {
			t.Fatal(err)
		}
		if c := e.chat(t, id); c.Status != store.ChatEnded || c.EndReason != protocol.EndUnattended {
			t.Fatalf("unattended after an agent had it: chat %s (%q), want ended (%s)", c.Status, c.EndReason, protocol.EndUnattended)
		}

		// A new chat nobody can take: the transfer step's fallback at once.
		e.presence(t, calm, store.PresenceOffline)
		id = e.startFor(t, ts)
		if c := e.chat(t, id); c.Status != store.ChatBot || c.TeamID != 0 {
			t.Fatalf("no member free: chat %s (team %d), want the fallback's bot", c.Status, c.TeamID)
		}
		if !hasText(e.messages(t, id), "Nobody is available right now, so we will log a ticket.") {
			t.Fatal("no member free: the fallback step did not run")
		}
	})
}

// TestManualTeamQueue: a manual team's chats wait in a queue only its
// members see and take; one nobody accepts within the timeout takes its
// fallback.
func TestManualTeamQueue(t *testing.T) {
	eachClockedDB(t, func(t *testing.T, e *env, clk *clock) {
		ts := e.newTeam(t, "manual", store.TeamManual, 2, 20)
		outsider := e.newAgent(t, "outsider")
		e.presence(t, outsider, store.PresenceOnline)
		id := e.startFor(t, ts)
		if c := e.chat(t, id); c.Status != store.ChatQueued || c.AgentID != 0 || c.TeamID != ts.team.ID {
			t.Fatalf("chat %s with agent %d, team %d; want queued for team %d", c.Status, c.AgentID, c.TeamID, ts.team.ID)
		}
		if q := e.queueOf(t, outsider); slices.Contains(q, id) {
			t.Fatal("an agent outside the team sees its queue")
		}
		for _, m := range ts.members {
			if q := e.queueOf(t, m); !slices.Contains(q, id) {
				t.Fatalf("member %s does not see the team's chat", m.Name)
			}
		}
		_, err := e.svc.Accept(e.ctx, id, outsider)
		wantRefusal(t, err, &protocol.APIError{Code: protocol.CodeForbidden})
		if _, err := e.svc.Accept(e.ctx, id, ts.members[1]); err != nil {
			t.Fatalf("a member accepts: %v", err)
		}

		late := e.startFor(t, ts)
		clk.add(21 * time.Second)
		if _, err := e.svc.RouteTeamChats(e.ctx); err != nil {
			t.Fatal(err)
		}
		if c := e.chat(t, late); c.Status != store.ChatBot {
			t.Fatalf("not accepted in time: chat %s, want back with the bot (the fallback)", c.Status)
		}
	})
}

// TestTransferWithNote: an agent hands a live chat on with a note: to an
// agent (the visitor reads who, the note is internal), to a manual team's
// queue; refusals name the field.
func TestTransferWithNote(t *testing.T) {
	eachDatabase(t, func(t *testing.T, e *env) {
		from, to := e.newAgent(t, "from"), e.newAgent(t, "to")
		e.presence(t, from, store.PresenceOnline)
		e.presence(t, to, store.PresenceOnline)
		id := e.transferred(t)
		if _, err := e.svc.Accept(e.ctx, id, from); err != nil {
			t.Fatal(err)
		}
		const note = "Wants a refund for order 1234; already checked the address."
		c, err := e.svc.Transfer(e.ctx, id, from, chats.TransferRequest{AgentID: to.ID, Note: note})
		if err != nil {
			t.Fatalf("transfer: %v", err)
		}
		if c.Status != store.ChatLive || c.AgentID != to.ID {
			t.Fatalf("chat %s with %d, want live with %d", c.Status, c.AgentID, to.ID)
		}
		msgs := e.messages(t, id)
		var gotNote *protocol.ChatMessage
		for i := range msgs {
			if msgs[i].Text == note {
				gotNote = &msgs[i]
			}
		}
		if gotNote == nil || !gotNote.Internal || gotNote.AgentName != from.Name {
			t.Fatalf("the note in the agents' transcript: %+v", gotNote)
		}
		if !hasText(msgs, i18n.F(i18n.English, i18n.TransferredTo, to.Name)) {
			t.Fatal("no 'You are now talking to' message")
		}
		visitor, err := e.svc.PollMessages(e.ctx, id, 0)
		if err != nil {
			t.Fatal(err)
		}
		if hasText(visitor, note) || !hasText(visitor, i18n.F(i18n.English, i18n.TransferredTo, to.Name)) {
			t.Fatalf("the visitor's messages: note shown %v, transfer shown %v", hasText(visitor, note), hasText(visitor, i18n.F(i18n.English, i18n.TransferredTo, to.Name)))
		}
		if _, err := e.svc.AgentSend(e.ctx, id, to, "", protocol.SendRequest{ClientMsgID: "t1", Text: "Hello, I am taking over."}); err != nil {
			t.Fatalf("the new agent writes: %v", err)
		}
		_, err = e.svc.AgentSend(e.ctx, id, from, "", protocol.SendRequest{ClientMsgID: "f1", Text: "still here?"})
		wantRefusal(t, err, &protocol.APIError{Code: protocol.CodeAccessDenied})

		team := &store.Team{Name: "billing", Mode: store.TeamManual, Members: []int64{from.ID}}
		if err := e.st.CreateTeam(e.ctx, team); err != nil {
			t.Fatal(err)
		}
		if c, err = e.svc.Transfer(e.ctx, id, to, chats.TransferRequest{TeamID: team.ID}); err != nil {
			t.Fatalf("transfer to a team: %v", err)
		}
		if c.Status != store.ChatQueued || c.AgentID != 0 || c.TeamID != team.ID {
			t.Fatalf("chat %s with %d, team %d; want queued for team %d", c.Status, c.AgentID, c.TeamID, team.ID)
		}
		if _, err := e.svc.Accept(e.ctx, id, from); err != nil {
			t.Fatalf("the team's member accepts the transferred chat: %v", err)
		}

		for _, tc := range []struct {
			name string
			req  chats.TransferRequest
			want *protocol.APIError
		}{
			{"nobody named", chats.TransferRequest{}, &protocol.APIError{Code: protocol.CodeInvalidRequest, Field: "agentId"}},
			{"both named", chats.TransferRequest{AgentID: to.ID, TeamID: team.ID}, &protocol.APIError{Code: protocol.CodeInvalidRequest, Field: "agentId"}},
			{"no such agent", chats.TransferRequest{AgentID: 999999}, &protocol.APIError{Code: protocol.CodeInvalidRequest, Field: "agentId"}},
			{"no such team", chats.TransferRequest{TeamID: 999999}, &protocol.APIError{Code: protocol.CodeInvalidRequest, Field: "teamId"}},
			{"a note too long", chats.TransferRequest{AgentID: to.ID, Note: strings.Repeat("x", 5000)}, &protocol.APIError{Code: protocol.CodeTooLarge, Field: "note"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := e.svc.Transfer(e.ctx, id, from, tc.req)
				wantRefusal(t, err, tc.want)
			})
		}
		e.presence(t, to, store.PresenceOffline)
		_, err = e.svc.Transfer(e.ctx, id, from, chats.TransferRequest{AgentID: to.ID})
		wantRefusal(t, err, &protocol.APIError{Code: protocol.CodeConflict})
	})
}

// TestInternalNote: a note of any agent who may read the chat shows
// marked to agents and never to the visitor (their poll, their start's
// answer, the ticket's transcript).
func TestInternalNote(t *testing.T) {
	eachDatabase(t, func(t *testing.T, e *env) {
		e.presence(t, e.agent, store.PresenceOnline)
		id := e.transferred(t)
		other := e.newAgent(t, "colleague")
		const note = "VIP customer: be gentle"
		ack, err := e.svc.AddNote(e.ctx, id, other, protocol.SendRequest{ClientMsgID: "n1", Text: note})
		if err != nil {
			t.Fatalf("a note on a queued chat: %v", err)
		}
		if again, err := e.svc.AddNote(e.ctx, id, other, protocol.SendRequest{ClientMsgID: "n1", Text: note}); err != nil || !again.Duplicate || again.Seq != ack.Seq {
			t.Fatalf("a resent note: %+v, %v", again, err)
		}
		msgs := e.messages(t, id)
		if !hasText(msgs, note) || !msgs[len(msgs)-1].Internal {
			t.Fatalf("the agents' transcript lacks the marked note: %+v", msgs[len(msgs)-1])
		}
		visitor, err := e.svc.PollMessages(e.ctx, id, 0)
		if err != nil {
			t.Fatal(err)
		}
		if hasText(visitor, note) {
			t.Fatal("the visitor's poll carries the internal note")
		}
		_, err = e.svc.AddNote(e.ctx, id, other, protocol.SendRequest{ClientMsgID: "n2", Text: "  "})
		wantRefusal(t, err, &protocol.APIError{Code: protocol.CodeInvalidRequest, Field: "text"})
	})
}

// TestCapUnderConcurrentAccepts: agents on two nodes (each with its own
// store connection pool) accept many queued chats at once: no chat goes
// to two agents, no agent goes over their cap, and every chat that could
// be taken is.
func TestCapUnderConcurrentAccepts(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dsn string) {
		st, res := storetest.Demo(t, dsn)
		e := &env{ctx: t.Context(), st: st, demo: res}
		e.svc = e.node()
		second := chats.New(chats.Config{Store: storetest.Open(t, dsn), Logger: testenv.Logger()})
		nodes := []*chats.Service{e.svc, second}
		const agents, chatsN, limit = 6, 24, 3
		var as []*store.Agent
		for i := range agents {
			a := &store.Agent{Email: fmt.Sprintf("cap%d@agents.test", i), Name: fmt.Sprintf("cap%d", i), Role: store.RoleAgent, MaxChats: limit}
			if err := st.CreateAgent(e.ctx, a); err != nil {
				t.Fatal(err)
			}
			e.presence(t, a, store.PresenceOnline)
			as = append(as, a)
		}
		ids := make([]string, chatsN)
		for i := range ids {
			ids[i] = e.transferred(t)
		}
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i, a := range as {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				node := nodes[i%len(nodes)]
				for k := range ids {
					id := ids[(k+i*5)%len(ids)] // each agent its own order: they collide often
					if _, err := node.Accept(e.ctx, id, a); err != nil && chats.ErrorOf(err).Code == protocol.CodeInternal {
						t.Errorf("agent %s accepts %s: %v", a.Name, id, err)
					}
				}
			}()
		}
		close(start)
		wg.Wait()
		held := map[int64]int{}
		for _, id := range ids {
			c := e.chat(t, id)
			if c.Status == store.ChatLive {
				held[c.AgentID]++
			}
			joined := 0
			for _, m := range e.messages(t, id) {
				if m.Event == protocol.EventAgentJoined {
					joined++
				}
			}
			if joined > 1 {
				t.Errorf("chat %s was given to %d agents", id, joined)
			}
		}
		total := 0
		for _, a := range as {
			if held[a.ID] > limit {
				t.Errorf("agent %s holds %d chats, over their cap of %d", a.Name, held[a.ID], limit)
			}
			total += held[a.ID]
		}
		if total != agents*limit {
			t.Errorf("%d chats taken, want %d (every agent up to their cap)", total, agents*limit)
		}
	})
}
