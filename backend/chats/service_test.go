package chats_test

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"halochat/app/flow"
	"halochat/app/protocol"
	"halochat/backend/chats"
	"halochat/backend/demo"
	"halochat/backend/store"
)

// flowState decodes chat c's stored flow state.
func flowState(t *testing.T, c *store.Chat) flow.State {
	t.Helper()
	var st flow.State
	if len(c.FlowState) > 0 {
		if err := json.Unmarshal(c.FlowState, &st); err != nil {
			t.Fatalf("decode the flow state of chat %s: %v", c.ID, err)
		}
	}
	return st
}

// wantAt fails unless chat c's flow waits at step with status.
func wantAt(t *testing.T, c *store.Chat, step int, status flow.Status) {
	t.Helper()
	if st := flowState(t, c); st.Step != step || st.Status != status {
		t.Fatalf("chat %s: flow at step %d (%s), want step %d (%s)", c.ID, st.Step, st.Status, step, status)
	}
}

func TestStart(t *testing.T) {
	eachDatabase(t, func(t *testing.T, e *env) {
		portalOnly := e.profile(t, "portalOnly", func(p *store.ChatProfile) { p.Access = store.AccessPortal })
		agentsOnly := e.profile(t, "agentsOnly", func(p *store.ChatProfile) { p.Access = store.AccessAgentsOnly })
		shop := e.profile(t, "shop", func(p *store.ChatProfile) { p.AllowedOrigins = []string{"https://shop.example"} })
		noFlow := e.profile(t, "noFlow", func(p *store.ChatProfile) { p.FlowID = 0 })
		portalUser, err := e.st.GetUserByEmail(e.ctx, e.demo.PortalUser.Email)
		if err != nil {
			t.Fatalf("read the demo portal user: %v", err)
		}
		on := func(p *store.ChatProfile) protocol.StartChatRequest {
			return protocol.StartChatRequest{ConfigID: p.ID, ConfigKey: p.Key}
		}
		tests := []struct {
			name  string
			req   chats.StartRequest
			want  *protocol.APIError // the refusal; nil for a start
			check func(t *testing.T, resp *protocol.StartChatResponse, c *store.Chat)
		}{
			{name: "no profile id", req: chats.StartRequest{StartChatRequest: protocol.StartChatRequest{ConfigKey: "k"}},
				want: &protocol.APIError{Code: protocol.CodeProfileNotFound, Field: "configId"}},
			{name: "unknown profile", req: e.embedded(protocol.StartChatRequest{ConfigID: "nosuchprofile", ConfigKey: "k"}),
				want: &protocol.APIError{Code: protocol.CodeProfileNotFound, Field: "configId"}},
			{name: "wrong key", req: e.embedded(protocol.StartChatRequest{ConfigID: e.demo.Profile.ID, ConfigKey: "wrong"}),
				want: &protocol.APIError{Code: protocol.CodeProfileNotFound, Field: "configKey", Kind: protocol.KindUnproven}},
			{name: "portal-only profile from a website", req: e.embedded(on(portalOnly)), want: &protocol.APIError{Code: protocol.CodeAccessDenied}},
			{name: "agents-only profile from a website", req: e.embedded(on(agentsOnly)), want: &protocol.APIError{Code: protocol.CodeAccessDenied}},
			{name: "agents-only profile from the portal", want: &protocol.APIError{Code: protocol.CodeAccessDenied},
				req: chats.StartRequest{StartChatRequest: on(agentsOnly), Context: store.ContextPortal, User: portalUser}},
			{name: "portal start without a portal user", want: &protocol.APIError{Code: protocol.CodeAccessDenied},
				req: chats.StartRequest{StartChatRequest: e.embedded(protocol.StartChatRequest{}).StartChatRequest, Context: store.ContextPortal}},
			{name: "profile without a flow", req: e.embedded(on(noFlow)), want: &protocol.APIError{Code: protocol.CodeNoFlow}},
			{name: "origin not allowed", want: &protocol.APIError{Code: protocol.CodeOriginNotAllowed, Field: "hostOrigin"},
				req: e.embedded(protocol.StartChatRequest{ConfigID: shop.ID, ConfigKey: shop.Key, HostOrigin: "https://evil.example"})},
			{name: "allowed origin, in another case and with a path",
				req: e.embedded(protocol.StartChatRequest{ConfigID: shop.ID, ConfigKey: shop.Key, HostOrigin: "HTTPS://Shop.Example/cart"}),
				check: func(t *testing.T, _ *protocol.StartChatResponse, c *store.Chat) {
					if c.HostOrigin != "https://shop.example" || c.ProfileID != shop.ID {
						t.Fatalf("chat from %q on profile %s, want https://shop.example on %s", c.HostOrigin, c.ProfileID, shop.ID)
					}
				}},
			{name: "start step override allowed", req: e.embedded(protocol.StartChatRequest{StartStepOverride: demo.StepGoldWelcome}),
				check: func(t *testing.T, resp *protocol.StartChatResponse, c *store.Chat) {
					if c.StartStep != demo.StepGoldWelcome || resp.Chat.StartStep != demo.StepGoldWelcome {
						t.Fatalf("start step %d (answer %d), want %d", c.StartStep, resp.Chat.StartStep, demo.StepGoldWelcome)
					}
					if len(resp.Messages) == 0 || resp.Messages[0].Step != demo.StepGoldWelcome {
						t.Fatalf("first message %+v, want step %d's", resp.Messages, demo.StepGoldWelcome)
					}
					wantAt(t, c, demo.StepMenu, flow.StatusAwaitingChoice)
				}},
			{name: "start step override refused", want: &protocol.APIError{Code: protocol.CodeStartStepNotAllowed, Field: "startStepOverride"},
				req: e.embedded(protocol.StartChatRequest{StartStepOverride: demo.StepMenu})},
			{name: "start step override unknown", want: &protocol.APIError{Code: protocol.CodeStartStepNotFound, Field: "startStepOverride"},
				req: e.embedded(protocol.StartChatRequest{StartStepOverride: 99})},
			{name: "bad identity token", want: &protocol.APIError{Code: protocol.CodeInvalidToken, Field: "id_token"},
				req: e.embedded(protocol.StartChatRequest{IDToken: "not.a.token"})},
			{name: "token user", req: e.embedded(protocol.StartChatRequest{IDToken: e.demo.Identity.ExampleToken}),
				check: func(t *testing.T, resp *protocol.StartChatResponse, c *store.Chat) {
					if !c.Authenticated || c.UserID == 0 || !resp.Chat.Authenticated {
						t.Fatalf("chat authenticated %v, user %d; want an authenticated chat with a user", c.Authenticated, c.UserID)
					}
					u, err := e.st.GetUser(e.ctx, c.UserID)
					if err != nil || u.Email != "dana@demo.halochat.test" || u.ExternalID != "demo-user-1" {
						t.Fatalf("chat user %+v (%v), want the token's", u, err)
					}
					vals, err := e.st.ChatFieldValues(e.ctx, c.ID)
					if err != nil || len(vals) != 2 {
						t.Fatalf("chat fields %+v (%v), want the token's two", vals, err)
					}
					// The token's tier takes the flow down its gold branch.
					if !hasText(resp.Messages, "As a Gold customer you go straight to the front of the queue.") {
						t.Fatalf("messages %+v: no gold welcome", resp.Messages)
					}
				}},
			{name: "anonymous", req: e.embedded(protocol.StartChatRequest{}),
				check: func(t *testing.T, resp *protocol.StartChatResponse, c *store.Chat) {
					if c.Authenticated || c.UserID != 0 || c.Context != store.ContextEmbedded || c.StartStep != demo.StepWelcome {
						t.Fatalf("chat %+v, want an anonymous embedded chat from step %d", c, demo.StepWelcome)
					}
					if c.Status != store.ChatBot || resp.Chat.Pending == nil || resp.Chat.Pending.Kind != "choice" || len(resp.Chat.Pending.Choices) != 4 {
						t.Fatalf("status %s, pending %+v; want the bot offering the menu's 4 choices", c.Status, resp.Chat.Pending)
					}
					wantAt(t, c, demo.StepMenu, flow.StatusAwaitingChoice)
					if resp.ResumeSecret == "" {
						t.Fatal("no resume secret")
					}
					if _, err := e.svc.Verify(e.ctx, c.ID, resp.ResumeSecret); err != nil {
						t.Fatalf("the answer's resume secret does not verify: %v", err)
					}
				}},
			{name: "portal user: the flow's start step, the override ignored",
				req: chats.StartRequest{StartChatRequest: e.embedded(protocol.StartChatRequest{StartStepOverride: demo.StepGoldWelcome}).StartChatRequest,
					Context: store.ContextPortal, User: portalUser},
				check: func(t *testing.T, _ *protocol.StartChatResponse, c *store.Chat) {
					if c.Context != store.ContextPortal || c.UserID != portalUser.ID || !c.Authenticated || c.StartStep != demo.StepWelcome {
						t.Fatalf("chat %+v, want portal user %d's authenticated portal chat from step %d", c, portalUser.ID, demo.StepWelcome)
					}
				}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				before := e.chatCount(t)
				resp, err := e.svc.Start(e.ctx, tc.req)
				wantRefusal(t, err, tc.want)
				if tc.want != nil {
					if n := e.chatCount(t); n != before {
						t.Fatalf("a refused start left %d chats, want %d", n, before)
					}
					return
				}
				if n := e.chatCount(t); n != before+1 {
					t.Fatalf("%d chats after a start, want %d", n, before+1)
				}
				tc.check(t, resp, e.chat(t, resp.ChatID))
			})
		}
	})
}

func TestResume(t *testing.T) {
	eachDatabase(t, func(t *testing.T, e *env) {
		no := false
		tests := []struct {
			name string
			// prepare runs on the previous chat; it returns the resume
			// secret the browser shows.
			prepare func(t *testing.T, prev *protocol.StartChatResponse) string
			retain  *bool
			// resumed: the previous chat comes back; else a new one starts
			// and the previous one is left with prevStatus (and prevReason).
			resumed                bool
			prevStatus, prevReason string
			endedID                bool // the answer names the previous chat as ended
		}{
			{name: "right secret", resumed: true,
				prepare: func(_ *testing.T, prev *protocol.StartChatResponse) string { return prev.ResumeSecret }},
			{name: "wrong secret: a new chat, the other left alone", prevStatus: store.ChatBot,
				prepare: func(*testing.T, *protocol.StartChatResponse) string { return "not-the-secret" }},
			{name: "ended chat: a new chat", prevStatus: store.ChatEnded, prevReason: protocol.EndByVisitor,
				prepare: func(t *testing.T, prev *protocol.StartChatResponse) string {
					if err := e.svc.End(e.ctx, prev.ChatID, protocol.EndByVisitor); err != nil {
						t.Fatal(err)
					}
					return prev.ResumeSecret
				}},
			{name: "not retained: restarted", retain: &no, prevStatus: store.ChatEnded, prevReason: protocol.EndRestarted, endedID: true,
				prepare: func(_ *testing.T, prev *protocol.StartChatResponse) string { return prev.ResumeSecret }},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				prev := e.start(t, protocol.StartChatRequest{})
				secret := tc.prepare(t, prev)
				resp := e.start(t, protocol.StartChatRequest{PreviousChatID: prev.ChatID, ResumeSecret: secret, RetainPreviousChat: tc.retain})
				if tc.resumed {
					if !resp.Resumed || resp.ChatID != prev.ChatID || len(resp.Messages) != len(prev.Messages) {
						t.Fatalf("resumed %v chat %s with %d messages, want chat %s back with %d",
							resp.Resumed, resp.ChatID, len(resp.Messages), prev.ChatID, len(prev.Messages))
					}
					return
				}
				if resp.Resumed || resp.ChatID == prev.ChatID {
					t.Fatalf("chat %s resumed %v, want a new chat", resp.ChatID, resp.Resumed)
				}
				if got := resp.EndedChatID == prev.ChatID; got != tc.endedID {
					t.Fatalf("endedChatId %q, want the previous chat named: %v", resp.EndedChatID, tc.endedID)
				}
				if c := e.chat(t, prev.ChatID); c.Status != tc.prevStatus || c.EndReason != tc.prevReason {
					t.Fatalf("previous chat %s (%q), want %s (%q)", c.Status, c.EndReason, tc.prevStatus, tc.prevReason)
				}
			})
		}

		c := e.start(t, protocol.StartChatRequest{})
		// Whether a chat exists is not told to a caller without its secret.
		notFound := &protocol.APIError{Code: protocol.CodeChatNotFound}
		for _, tc := range []struct {
			name, id, secret string
			want             *protocol.APIError
		}{
			{"right secret", c.ChatID, c.ResumeSecret, nil},
			{"wrong secret", c.ChatID, "not-the-secret", notFound},
			{"no secret", c.ChatID, "", notFound},
			{"unknown chat", "nosuchchat", c.ResumeSecret, notFound},
		} {
			t.Run("verify/"+tc.name, func(t *testing.T) {
				got, err := e.svc.Verify(e.ctx, tc.id, tc.secret)
				wantRefusal(t, err, tc.want)
				if tc.want == nil && got.ID != c.ChatID {
					t.Fatalf("verified chat %s, want %s", got.ID, c.ChatID)
				}
			})
		}
	})
}

// The demo menu's options, by index.
const (
	choiceBilling  = 0
	choiceTransfer = 2
)

func choice(i int) *int { return &i }

// send sends a visitor's message, failing the test on a refusal.
func (e *env) send(t *testing.T, chatID string, req protocol.SendRequest) protocol.Ack {
	t.Helper()
	ack, err := e.svc.Send(e.ctx, chatID, req)
	if err != nil {
		t.Fatalf("send %+v to chat %s: %v", req, chatID, err)
	}
	return ack
}

func TestSend(t *testing.T) {
	eachDatabase(t, func(t *testing.T, e *env) {
		atMenu := func(*testing.T, string) {}
		atEmail := func(t *testing.T, id string) {
			e.send(t, id, protocol.SendRequest{ClientMsgID: "billing", Choice: choice(choiceBilling)})
		}
		tests := []struct {
			name string
			// prepare brings the new chat (at the menu) where the case needs it.
			prepare   func(t *testing.T, chatID string)
			req       protocol.SendRequest
			want      *protocol.APIError // the refusal; nil for an acknowledgement
			duplicate bool               // the acknowledgement is of an earlier message
			// then: where the flow waits afterwards (0: where it was).
			step   int
			status flow.Status
		}{
			{name: "a choice from the menu", prepare: atMenu, req: protocol.SendRequest{ClientMsgID: "m1", Choice: choice(choiceBilling)},
				step: demo.StepAskEmail, status: flow.StatusAwaitingAnswer},
			{name: "a choice typed as its label", prepare: atMenu, req: protocol.SendRequest{ClientMsgID: "m1", Text: "A billing question"},
				step: demo.StepAskEmail, status: flow.StatusAwaitingAnswer},
			{name: "an answer", prepare: atEmail, req: protocol.SendRequest{ClientMsgID: "m2", Text: " dana@example.test "},
				step: demo.StepAskProblem, status: flow.StatusAwaitingAnswer},
			{name: "an invalid answer: asked again", prepare: atEmail, req: protocol.SendRequest{ClientMsgID: "m2", Text: "no email"},
				step: demo.StepAskEmail, status: flow.StatusAwaitingAnswer},
			{name: "resend of the same client message id", prepare: atEmail, duplicate: true,
				req:  protocol.SendRequest{ClientMsgID: "billing", Choice: choice(choiceBilling)},
				step: demo.StepAskEmail, status: flow.StatusAwaitingAnswer},
			{name: "resend as text of an id sent as a choice", prepare: atEmail, duplicate: true,
				req:  protocol.SendRequest{ClientMsgID: "billing", Text: "dana@example.test"},
				step: demo.StepAskEmail, status: flow.StatusAwaitingAnswer},
			{name: "too long", prepare: atMenu, req: protocol.SendRequest{ClientMsgID: "m1", Text: strings.Repeat("x", 4001)},
				want: &protocol.APIError{Code: protocol.CodeTooLarge, Field: "text"}},
			{name: "not UTF-8", prepare: atMenu, req: protocol.SendRequest{ClientMsgID: "m1", Text: "\xff"},
				want: &protocol.APIError{Code: protocol.CodeInvalidRequest, Field: "text"}},
			{name: "empty", prepare: atMenu, req: protocol.SendRequest{ClientMsgID: "m1", Text: " \n "},
				want: &protocol.APIError{Code: protocol.CodeInvalidRequest, Field: "text"}},
			{name: "no client message id", prepare: atMenu, req: protocol.SendRequest{Text: "hello"},
				want: &protocol.APIError{Code: protocol.CodeInvalidRequest, Field: "clientMsgId"}},
			{name: "a choice the menu does not offer", prepare: atMenu, req: protocol.SendRequest{ClientMsgID: "m1", Choice: choice(4)},
				want: &protocol.APIError{Code: protocol.CodeUnexpectedInput, Field: "choice", Kind: protocol.KindUnfit}},
			{name: "a choice while a question waits", prepare: atEmail, req: protocol.SendRequest{ClientMsgID: "m2", Choice: choice(0)},
				want: &protocol.APIError{Code: protocol.CodeUnexpectedInput}},
			{name: "to an ended chat", want: &protocol.APIError{Code: protocol.CodeChatEnded}, req: protocol.SendRequest{ClientMsgID: "m1", Text: "hello"},
				prepare: func(t *testing.T, id string) {
					if err := e.svc.End(e.ctx, id, protocol.EndByVisitor); err != nil {
						t.Fatal(err)
					}
				}},
			{name: "resend to a chat ended since", duplicate: true, req: protocol.SendRequest{ClientMsgID: "billing", Text: "hello"},
				prepare: func(t *testing.T, id string) {
					atEmail(t, id)
					if err := e.svc.End(e.ctx, id, protocol.EndByVisitor); err != nil {
						t.Fatal(err)
					}
				}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				id := e.start(t, protocol.StartChatRequest{}).ChatID
				tc.prepare(t, id)
				before := e.chat(t, id)
				ack, err := e.svc.Send(e.ctx, id, tc.req)
				wantRefusal(t, err, tc.want)
				after := e.chat(t, id)
				if tc.want != nil || tc.duplicate {
					if after.LastSeq != before.LastSeq || string(after.FlowState) != string(before.FlowState) {
						t.Fatalf("the chat moved (seq %d → %d, state %s → %s), want it unchanged",
							before.LastSeq, after.LastSeq, before.FlowState, after.FlowState)
					}
				}
				if tc.want != nil {
					return
				}
				if ack.ClientMsgID != tc.req.ClientMsgID || ack.Duplicate != tc.duplicate || ack.Seq == 0 {
					t.Fatalf("ack %+v, want client message %q acknowledged (duplicate: %v)", ack, tc.req.ClientMsgID, tc.duplicate)
				}
				stored, err := e.st.MessageByClientID(e.ctx, id, tc.req.ClientMsgID)
				if err != nil || stored.Seq != ack.Seq || stored.Sender != store.SenderVisitor {
					t.Fatalf("stored %+v (%v), want the visitor's message at seq %d", stored, err, ack.Seq)
				}
				if tc.step != 0 {
					wantAt(t, after, tc.step, tc.status)
				}
			})
		}
	})
}

// transferred starts a chat at the demo's transfer step.
func (e *env) transferred(t *testing.T) string {
	t.Helper()
	return e.start(t, protocol.StartChatRequest{StartStepOverride: demo.StepTransfer}).ChatID
}

func TestTransfer(t *testing.T) {
	eachDatabase(t, func(t *testing.T, e *env) {
		const noAgent = "Nobody is available right now, so we will log a ticket."
		tests := []struct {
			name string
			// online: the demo agent's presence while the chat transfers.
			online bool
			// transfer brings a new chat to the transfer step.
			transfer func(t *testing.T) string
			// then: while no agent is online any more, a queued chat's
			// wait is given up.
			giveUp bool
			status string
			text   string // a message the chat must hold
			step   int
			state  flow.Status
		}{
			{name: "an agent online: queued", online: true, transfer: e.transferred,
				status: store.ChatQueued, text: "You are in the queue: an agent will be with you shortly.", step: demo.StepTransfer, state: flow.StatusAwaitingAgent},
			{name: "chosen from the menu, an agent online: queued", online: true, status: store.ChatQueued, step: demo.StepTransfer, state: flow.StatusAwaitingAgent,
				transfer: func(t *testing.T) string {
					id := e.start(t, protocol.StartChatRequest{}).ChatID
					e.send(t, id, protocol.SendRequest{ClientMsgID: "m1", Choice: choice(choiceTransfer)})
					return id
				}},
			{name: "nobody online: the fallback step", transfer: e.transferred,
				status: store.ChatBot, text: noAgent, step: demo.StepAskProblem, state: flow.StatusAwaitingAnswer},
			{name: "queued, then everybody left: the fallback step", online: true, transfer: e.transferred, giveUp: true,
				status: store.ChatBot, text: "No agent is available any more.", step: demo.StepAskProblem, state: flow.StatusAwaitingAnswer},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				if tc.online {
					e.presence(t, e.agent, store.PresenceOnline)
				}
				id := tc.transfer(t)
				e.presence(t, e.agent, store.PresenceOffline)
				if tc.giveUp {
					// The earlier cases' queued chats fall back too.
					if n, err := e.svc.FallbackUnattended(e.ctx, 0); err != nil || n == 0 {
						t.Fatalf("%d chats fell back (%v), want this one", n, err)
					}
				}
				c := e.chat(t, id)
				if c.Status != tc.status {
					t.Fatalf("chat %s, want %s", c.Status, tc.status)
				}
				if c.Status == store.ChatQueued && c.QueuedAt.IsZero() {
					t.Fatal("queued with no time it was queued at")
				}
				wantAt(t, c, tc.step, tc.state)
				msgs := e.messages(t, id)
				if tc.text != "" && !hasText(msgs, tc.text) {
					t.Fatalf("no message %q in %+v", tc.text, msgs)
				}
				queue, err := e.svc.QueueStates(e.ctx)
				if err != nil {
					t.Fatal(err)
				}
				inQueue := false
				for _, q := range queue {
					inQueue = inQueue || q.ID == id
				}
				if inQueue != (tc.status == store.ChatQueued) {
					t.Fatalf("chat in the queue: %v, with status %s", inQueue, c.Status)
				}
			})
		}
	})
}

// live starts a chat and gives it to agent a.
func (e *env) live(t *testing.T, a *store.Agent) string {
	t.Helper()
	e.presence(t, a, store.PresenceOnline)
	id := e.transferred(t)
	e.presence(t, a, store.PresenceOffline)
	if _, err := e.svc.Accept(e.ctx, id, a); err != nil {
		t.Fatalf("accept chat %s: %v", id, err)
	}
	return id
}

func TestEnd(t *testing.T) {
	eachDatabase(t, func(t *testing.T, e *env) {
		other := e.newAgent(t, "other")
		tests := []struct {
			name string
			// end makes a chat and ends it (or tries to).
			end         func(t *testing.T) (string, error)
			want        *protocol.APIError // the refusal; nil for an end
			wantStatus  string             // the chat's status after it
			reason      string
			withTicket  bool // the end names the chat's ticket
			wantEndings int  // chat_ended messages the chat holds
		}{
			{name: "by the visitor", wantStatus: store.ChatEnded, reason: protocol.EndByVisitor, wantEndings: 1,
				end: func(t *testing.T) (string, error) {
					id := e.start(t, protocol.StartChatRequest{}).ChatID
					return id, e.svc.End(e.ctx, id, protocol.EndByVisitor)
				}},
			{name: "by the agent", wantStatus: store.ChatEnded, reason: protocol.EndByAgent, wantEndings: 1,
				end: func(t *testing.T) (string, error) {
					id := e.live(t, e.agent)
					return id, e.svc.AgentEnd(e.ctx, id, e.agent)
				}},
			{name: "by an agent it is not live with", want: &protocol.APIError{Code: protocol.CodeAccessDenied}, wantStatus: store.ChatLive,
				end: func(t *testing.T) (string, error) {
					id := e.live(t, e.agent)
					return id, e.svc.AgentEnd(e.ctx, id, other)
				}},
			{name: "by the flow, after its ticket", wantStatus: store.ChatEnded, reason: protocol.EndByFlow, withTicket: true, wantEndings: 1,
				end: func(t *testing.T) (string, error) {
					id := e.start(t, protocol.StartChatRequest{}).ChatID
					e.send(t, id, protocol.SendRequest{ClientMsgID: "m1", Choice: choice(choiceBilling)})
					e.send(t, id, protocol.SendRequest{ClientMsgID: "m2", Text: "dana@example.test"})
					e.send(t, id, protocol.SendRequest{ClientMsgID: "m3", Text: "it broke"})
					return id, nil
				}},
			{name: "twice", want: &protocol.APIError{Code: protocol.CodeChatEnded}, wantStatus: store.ChatEnded, reason: protocol.EndByVisitor, wantEndings: 1,
				end: func(t *testing.T) (string, error) {
					id := e.start(t, protocol.StartChatRequest{}).ChatID
					if err := e.svc.End(e.ctx, id, protocol.EndByVisitor); err != nil {
						t.Fatal(err)
					}
					return id, e.svc.End(e.ctx, id, protocol.EndByAgent)
				}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				id, err := tc.end(t)
				wantRefusal(t, err, tc.want)
				c := e.chat(t, id)
				if c.Status != tc.wantStatus || c.EndReason != tc.reason {
					t.Fatalf("chat %s (reason %q), want %s (reason %q)", c.Status, c.EndReason, tc.wantStatus, tc.reason)
				}
				if ended := !c.EndedAt.IsZero(); ended != (tc.wantStatus == store.ChatEnded) {
					t.Fatalf("ended at %v with status %s", c.EndedAt, c.Status)
				}
				msgs := e.messages(t, id)
				var endings []protocol.ChatMessage
				for _, m := range msgs {
					if m.Event == protocol.EventChatEnded {
						endings = append(endings, m)
					}
				}
				if len(endings) != tc.wantEndings {
					t.Fatalf("%d chat_ended messages, want %d", len(endings), tc.wantEndings)
				}
				if len(endings) > 0 && endings[0].Reason != tc.reason {
					t.Fatalf("chat_ended message says %q, want %q", endings[0].Reason, tc.reason)
				}
				if !tc.withTicket {
					return
				}
				tk, err := e.st.GetTicket(e.ctx, c.TicketID)
				if err != nil || tk.ChatID != id || tk.Summary != "A billing question: it broke" {
					t.Fatalf("ticket %+v (%v), want chat %s's with its summary", tk, err, id)
				}
				if endings[0].TicketID != c.TicketID {
					t.Fatalf("chat_ended names ticket %d, want %d", endings[0].TicketID, c.TicketID)
				}
			})
		}
	})
}

func TestAccept(t *testing.T) {
	eachDatabase(t, func(t *testing.T, e *env) {
		e.presence(t, e.agent, store.PresenceOnline)
		queued := e.transferred(t)
		bot := e.start(t, protocol.StartChatRequest{})
		e.presence(t, e.agent, store.PresenceOffline)
		claimed := &protocol.APIError{Code: protocol.CodeAlreadyClaimed}

		t.Run("race: one agent wins", func(t *testing.T) {
			// Agents on two nodes accept at once: the nodes' own locks do
			// not see each other, the stored state decides.
			nodes := []*chats.Service{e.svc, e.node()}
			agents := make([]*store.Agent, 6)
			for i := range agents {
				agents[i] = e.newAgent(t, "racer"+string(rune('a'+i)))
			}
			errs := make([]error, len(agents))
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i, a := range agents {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					_, errs[i] = nodes[i%len(nodes)].Accept(e.ctx, queued, a)
				}()
			}
			close(start)
			wg.Wait()
			var winner *store.Agent
			for i, err := range errs {
				if err == nil {
					if winner != nil {
						t.Fatalf("agents %s and %s both won", winner.Name, agents[i].Name)
					}
					winner = agents[i]
					continue
				}
				wantRefusal(t, err, claimed)
			}
			if winner == nil {
				t.Fatal("no agent won")
			}
			c := e.chat(t, queued)
			if c.Status != store.ChatLive || c.AgentID != winner.ID || c.AcceptedAt.IsZero() {
				t.Fatalf("chat %s with agent %d, want live with the winner %d", c.Status, c.AgentID, winner.ID)
			}
			wantAt(t, c, demo.StepTransfer, flow.StatusLive)
			joined := 0
			for _, m := range e.messages(t, queued) {
				if m.Event == protocol.EventAgentJoined {
					joined++
					if m.AgentName != winner.Name {
						t.Fatalf("%s joined, want %s", m.AgentName, winner.Name)
					}
				}
			}
			if joined != 1 {
				t.Fatalf("%d agent_joined messages, want 1", joined)
			}
		})
		for _, tc := range []struct {
			name, id string
			want     *protocol.APIError
		}{
			{"a chat not in the queue", bot.ChatID, claimed},
			{"a chat taken already", queued, claimed},
			{"no such chat", "nosuchchat", &protocol.APIError{Code: protocol.CodeChatNotFound}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := e.svc.Accept(e.ctx, tc.id, e.agent)
				wantRefusal(t, err, tc.want)
				if tc.id == bot.ChatID {
					if c := e.chat(t, tc.id); c.Status != store.ChatBot || c.AgentID != 0 {
						t.Fatalf("chat %s with agent %d, want it left to the bot", c.Status, c.AgentID)
					}
				}
			})
		}
	})
}
