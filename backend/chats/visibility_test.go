package chats_test

import (
	"testing"

	"halochat/app/protocol"
	"halochat/backend/chats"
	"halochat/backend/store"
)

// TestAgentChatVisibility: which agent reads (ChatFor) and follows
// (Follow) which chat, by the profile's agentChatVisibility. Under
// queueAndOwn an agent reads the queued chats and its own; it follows
// only its own (a queued chat may go to someone else); admins read and
// follow every chat.
func TestAgentChatVisibility(t *testing.T) {
	eachDatabase(t, func(t *testing.T, e *env) {
		other := e.newAgent(t, "other")
		admin := &store.Agent{ID: other.ID + 1000, Role: store.RoleAdmin}
		e.presence(t, e.agent, store.PresenceOnline) // so that a transfer queues
		forbidden := &protocol.APIError{Code: protocol.CodeForbidden}
		for _, vis := range []string{store.VisibilityAll, store.VisibilityQueueAndOwn} {
			p := e.profile(t, "visibility "+vis, func(p *store.ChatProfile) { p.AgentChatVisibility = vis })
			start := func(choices ...int) string {
				resp := e.start(t, protocol.StartChatRequest{ConfigID: p.ID, ConfigKey: p.Key})
				for i, c := range choices {
					if _, err := e.svc.Send(e.ctx, resp.ChatID, protocol.SendRequest{ClientMsgID: string(rune('a' + i)), Choice: &c}); err != nil {
						t.Fatalf("send choice %d: %v", c, err)
					}
				}
				return resp.ChatID
			}
			const talk = 2 // the demo menu's "Talk to a person"
			bot, queued, live := start(), start(talk), start(talk)
			if _, err := e.svc.Accept(e.ctx, live, e.agent); err != nil {
				t.Fatal(err)
			}
			own := vis == store.VisibilityQueueAndOwn
			for _, tc := range []struct {
				name         string
				chat         string
				reader       *store.Agent
				read, follow *protocol.APIError
			}{
				{"bot chat, an agent", bot, other, when(own, forbidden), when(own, forbidden)},
				{"bot chat, an admin", bot, admin, nil, nil},
				{"queued chat, an agent", queued, other, nil, when(own, forbidden)},
				{"queued chat, an admin", queued, admin, nil, nil},
				{"live chat, its agent", live, e.agent, nil, nil},
				{"live chat, another agent", live, other, when(own, forbidden), when(own, forbidden)},
				{"live chat, an admin", live, admin, nil, nil},
			} {
				t.Run(vis+"/"+tc.name, func(t *testing.T) {
					_, err := e.svc.ChatFor(e.ctx, tc.chat, chats.AgentReader(tc.reader))
					wantRefusal(t, err, tc.read)
					wantRefusal(t, e.svc.Follow(e.ctx, tc.chat, tc.reader), tc.follow)
					_, err = e.svc.Details(e.ctx, tc.chat, chats.AgentReader(tc.reader))
					wantRefusal(t, err, tc.read)
					_, _, err = e.svc.Transcript(e.ctx, tc.chat, 0, chats.AgentReader(tc.reader))
					wantRefusal(t, err, tc.read)
					list, err := e.svc.ListChats(e.ctx, store.ChatSearch{ChatFilter: store.ChatFilter{ProfileID: p.ID}}, chats.AgentReader(tc.reader))
					if err != nil {
						t.Fatal(err)
					}
					listed := false
					for _, c := range list {
						listed = listed || c.ID == tc.chat
					}
					if listed != (tc.read == nil) {
						t.Errorf("listed = %v, want %v", listed, tc.read == nil)
					}
				})
			}
		}
	})
}

// when is err when cond holds, else nil.
func when(cond bool, err *protocol.APIError) *protocol.APIError {
	if cond {
		return err
	}
	return nil
}
