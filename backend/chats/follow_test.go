package chats_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"halochat/app/flow"
	"halochat/app/protocol"
	"halochat/backend/chats"
	"halochat/backend/store"
	"halochat/backend/storetest"
)

// follower is one identified user of the follow tests: a host site's
// user, known by the external id sub.
type follower struct {
	e   *env
	sub string
}

// token is a fresh identity token for the user, with extra claims.
func (f follower) token(t *testing.T, extra map[string]any) string {
	t.Helper()
	claims := map[string]any{"sub": f.sub, "email": f.sub + "@users.example", "given_name": "Pat"}
	for k, v := range extra {
		claims[k] = v
	}
	return storetest.DemoToken(t, f.e.demo, claims)
}

// start starts (or resumes) a chat in a new browser — one that holds no
// chat — with a fresh token for the user, on profile p (nil: the demo's).
func (f follower) start(t *testing.T, p *store.ChatProfile, req protocol.StartChatRequest) *protocol.StartChatResponse {
	t.Helper()
	if req.IDToken == "" {
		req.IDToken = f.token(t, nil)
	}
	if p != nil {
		req.ConfigID, req.ConfigKey = p.ID, p.Key
	}
	return f.e.start(t, req)
}

// followCase is one situation a new browser of the user meets.
type followCase struct {
	name string
	// before readies the situation for user f and returns the chat the
	// start must resume ("": it starts a new chat), and the chats it must
	// leave open.
	before func(t *testing.T, f follower) (resumed string, open []string)
	// req is the start in the new browser (nil: a fresh token, retained).
	req func(t *testing.T, f follower) protocol.StartChatRequest
	// ended are the chats the start must end, with their reasons.
	ended func(f follower) map[string]string
}

// TestIdentifiedUsersChatFollowsThem: a start with a verified token of a
// user who has an open chat on the profile resumes it in the new browser
// — the newest, and only the user's own on the same profile — while an
// ended chat, another profile's, an anonymous one or an e-mail hint's is
// left alone, and retainPreviousChat false ends the user's chat.
func TestIdentifiedUsersChatFollowsThem(t *testing.T) {
	eachDatabase(t, func(t *testing.T, e *env) {
		for i, tc := range followCases(t, e) {
			t.Run(tc.name, func(t *testing.T) {
				f := follower{e: e, sub: fmt.Sprintf("user-%d", i)}
				want, open := tc.before(t, f)
				req := protocol.StartChatRequest{}
				if tc.req != nil {
					req = tc.req(t, f)
				} else {
					req.IDToken = f.token(t, nil)
				}
				chatsBefore := e.chatCount(t)
				resp := e.start(t, req)
				if want != "" {
					e.wantResumedInNewBrowser(t, resp, want)
					if n := e.chatCount(t); n != chatsBefore {
						t.Errorf("the resume made %d chats, want none", n-chatsBefore)
					}
				} else if resp.Resumed || resp.ChatID == "" {
					t.Fatalf("resumed chat %s, want a new chat", resp.ChatID)
				}
				for _, id := range open {
					if c := e.chat(t, id); c.Status == store.ChatEnded && id != resp.ChatID {
						t.Errorf("chat %s ended (%s), want it left open", id, c.EndReason)
					}
				}
				var ended map[string]string
				if tc.ended != nil {
					ended = tc.ended(f)
				}
				for id, reason := range ended {
					if c := e.chat(t, id); c.Status != store.ChatEnded || c.EndReason != reason {
						t.Errorf("chat %s is %s (%q), want ended as %s", id, c.Status, c.EndReason, reason)
					}
					if resp.EndedChatID != id {
						t.Errorf("endedChatId %q, want %s", resp.EndedChatID, id)
					}
				}
			})
		}
	})
}

// wantResumedInNewBrowser checks that resp resumed chat id in a browser
// of its own: every message, and a resume secret of its own that opens
// the chat.
func (e *env) wantResumedInNewBrowser(t *testing.T, resp *protocol.StartChatResponse, id string) {
	t.Helper()
	if !resp.Resumed || resp.ChatID != id {
		t.Fatalf("resumed %v chat %s, want chat %s resumed", resp.Resumed, resp.ChatID, id)
	}
	if got, want := len(resp.Messages), len(e.messages(t, id)); got != want || want == 0 {
		t.Errorf("the resume shows %d messages, want all %d", got, want)
	}
	c := e.chat(t, id)
	if c.ResumeSecretHash == "" || resp.ResumeSecret == "" {
		t.Fatal("no resume secret")
	}
	if _, err := e.svc.Verify(e.ctx, id, resp.ResumeSecret); err != nil {
		t.Errorf("the new browser's resume secret does not open the chat: %v", err)
	}
}

// followCases are the situations of TestIdentifiedUsersChatFollowsThem.
func followCases(t *testing.T, e *env) []followCase {
	other := e.profile(t, "other profile", func(*store.ChatProfile) {})
	no := false
	id := func(r *protocol.StartChatResponse) string { return r.ChatID }
	return []followCase{
		{name: "an open chat is resumed",
			before: func(t *testing.T, f follower) (string, []string) {
				return id(f.start(t, nil, protocol.StartChatRequest{})), nil
			}},
		{name: "a chat the host's backend started for the user is resumed",
			before: func(t *testing.T, f follower) (string, []string) {
				out, _, err := e.svc.StartOutreach(e.ctx, chats.Outreach{ProfileID: e.demo.Profile.ID, UserExternalID: f.sub,
					Poster: chats.Poster{Agent: e.agent}, Text: "Your order has shipped.", ClientMsgID: "outreach-" + f.sub},
					chats.AgentReader(e.agent))
				if err != nil {
					t.Fatalf("outreach: %v", err)
				}
				return out.Chat.ID, nil
			}},
		{name: "an ended chat is not",
			before: func(t *testing.T, f follower) (string, []string) {
				c := f.start(t, nil, protocol.StartChatRequest{})
				if err := e.svc.End(e.ctx, c.ChatID, protocol.EndByVisitor); err != nil {
					t.Fatal(err)
				}
				return "", nil
			}},
		{name: "another profile's chat is not",
			before: func(t *testing.T, f follower) (string, []string) {
				return "", []string{id(f.start(t, other, protocol.StartChatRequest{}))}
			}},
		{name: "another user's chat is not",
			before: func(t *testing.T, f follower) (string, []string) {
				return "", []string{id(follower{e: e, sub: f.sub + "-other"}.start(t, nil, protocol.StartChatRequest{}))}
			}},
		{name: "an anonymous chat is not",
			before: func(t *testing.T, f follower) (string, []string) {
				return "", []string{id(e.start(t, protocol.StartChatRequest{}))}
			}},
		{name: "the user's e-mail as a hint, without a token, resumes nothing",
			before: func(t *testing.T, f follower) (string, []string) {
				return "", []string{id(f.start(t, nil, protocol.StartChatRequest{}))}
			},
			req: func(t *testing.T, f follower) protocol.StartChatRequest {
				return protocol.StartChatRequest{EmailHint: f.sub + "@users.example"}
			}},
		{name: "of two open chats the newest is resumed",
			before: func(t *testing.T, f follower) (string, []string) {
				older := f.start(t, nil, protocol.StartChatRequest{})
				return e.upgradedChat(t, f), []string{older.ChatID}
			}},
		{name: "retainPreviousChat false ends the open chat as restarted",
			before: func(t *testing.T, f follower) (string, []string) {
				f.start(t, nil, protocol.StartChatRequest{RetainPreviousChat: &no})
				return "", nil
			},
			req: func(t *testing.T, f follower) protocol.StartChatRequest {
				return protocol.StartChatRequest{IDToken: f.token(t, nil), RetainPreviousChat: &no}
			},
			ended: func(f follower) map[string]string {
				return map[string]string{e.openChatOf(t, f): protocol.EndRestarted}
			}},
	}
}

// upgradedChat is an anonymous chat signed in as f's user: a second open
// chat of the user, newer than the first.
func (e *env) upgradedChat(t *testing.T, f follower) string {
	t.Helper()
	anon := e.start(t, protocol.StartChatRequest{})
	if _, err := e.svc.Upgrade(e.ctx, e.chat(t, anon.ChatID), f.token(t, nil)); err != nil {
		t.Fatalf("upgrade: %v", err)
	}
	return anon.ChatID
}

// openChatOf is the id of the first chat f's user started that the test
// saw (the chats are few: the user's by external id).
func (e *env) openChatOf(t *testing.T, f follower) string {
	t.Helper()
	u, _, err := e.st.UsersByExternalIDOrEmail(e.ctx, f.sub, "")
	if err != nil || u == nil {
		t.Fatalf("user %s: %v", f.sub, err)
	}
	list, err := e.st.ListChats(e.ctx, store.ChatFilter{UserID: u.ID})
	if err != nil || len(list) == 0 {
		t.Fatalf("the chats of user %s: %d, %v", f.sub, len(list), err)
	}
	return list[len(list)-1].ID // the oldest: the one before the start
}

// TestFollowUsesTheTokenOnce: a token with a jti that started the chat
// resumes it only in the browser that holds it (a reload); a new browser
// needs a fresh token, which the resume uses up.
func TestFollowUsesTheTokenOnce(t *testing.T) {
	eachDatabase(t, func(t *testing.T, e *env) {
		f := follower{e: e, sub: "jti-user"}
		first := f.token(t, map[string]any{"jti": "j-1"})
		x := f.start(t, nil, protocol.StartChatRequest{IDToken: first})
		used := &protocol.APIError{Code: protocol.CodeInvalidToken, Field: "id_token"}

		_, err := e.svc.Start(e.ctx, e.embedded(protocol.StartChatRequest{IDToken: first}))
		wantRefusal(t, err, used)

		reload := f.start(t, nil, protocol.StartChatRequest{IDToken: first, PreviousChatID: x.ChatID, ResumeSecret: x.ResumeSecret})
		if !reload.Resumed || reload.ChatID != x.ChatID {
			t.Fatalf("a reload with the used token resumed %v chat %s, want %s", reload.Resumed, reload.ChatID, x.ChatID)
		}

		fresh := f.token(t, map[string]any{"jti": "j-2"})
		e.wantResumedInNewBrowser(t, f.start(t, nil, protocol.StartChatRequest{IDToken: fresh}), x.ChatID)
		if _, err := e.svc.Verify(e.ctx, x.ChatID, x.ResumeSecret); err != nil {
			t.Errorf("the first browser's resume secret no longer opens the chat: %v", err)
		}
		_, err = e.svc.Start(e.ctx, e.embedded(protocol.StartChatRequest{IDToken: fresh}))
		wantRefusal(t, err, used)
		if c := e.chat(t, x.ChatID); c.Status == store.ChatEnded {
			t.Errorf("a refused start ended the user's chat (%s)", c.EndReason)
		}
	})
}

// TestFollowEndsNothingOnARefusedStart: a start that would replace the
// user's chat but is refused leaves it open; a start on a profile that
// moved to another flow replaces it.
func TestFollowEndsNothingOnARefusedStart(t *testing.T) {
	eachDatabase(t, func(t *testing.T, e *env) {
		f := follower{e: e, sub: "refused-user"}
		x := f.start(t, nil, protocol.StartChatRequest{})
		no := false
		_, err := e.svc.Start(e.ctx, e.embedded(protocol.StartChatRequest{IDToken: f.token(t, nil), RetainPreviousChat: &no, StartStepOverride: 99}))
		wantRefusal(t, err, &protocol.APIError{Code: protocol.CodeStartStepNotFound, Field: "startStepOverride"})
		if c := e.chat(t, x.ChatID); c.Status == store.ChatEnded {
			t.Fatalf("a refused start ended the user's chat (%s)", c.EndReason)
		}

		moved := e.profile(t, "moving", func(*store.ChatProfile) {})
		y := f.start(t, moved, protocol.StartChatRequest{})
		fl := storetest.SaveFlow(t, e.st, &flow.Flow{Name: "another flow", StartStep: 1, NextStepNumber: 3, Steps: []flow.Step{
			{Number: 1, Kind: flow.KindMessage, Text: "Another flow here.", Next: 2},
			{Number: 2, Kind: flow.KindQuestion, Text: "Your question?", Question: &flow.Question{Variable: "q"}, Next: 1}}}, flow.Schema{})
		moved.FlowID = fl.ID
		if err := e.st.UpdateProfile(e.ctx, moved); err != nil {
			t.Fatal(err)
		}
		z := f.start(t, moved, protocol.StartChatRequest{})
		if z.Resumed || z.ChatID == y.ChatID || z.EndedChatID != y.ChatID {
			t.Fatalf("start on the moved profile: resumed %v chat %s (ended %q), want a new chat ending %s", z.Resumed, z.ChatID, z.EndedChatID, y.ChatID)
		}
		if c := e.chat(t, y.ChatID); c.Status != store.ChatEnded || c.EndReason != protocol.EndReplaced {
			t.Errorf("the former flow's chat is %s (%q), want ended as replaced", c.Status, c.EndReason)
		}
	})
}

// TestPortalUsersChatFollowsThem: the portal user's open portal chat
// follows them to another browser; a token for the same user on an
// external site neither resumes nor ends it.
func TestPortalUsersChatFollowsThem(t *testing.T) {
	eachDatabase(t, func(t *testing.T, e *env) {
		u, err := e.st.GetUserByEmail(e.ctx, e.demo.PortalUser.Email)
		if err != nil {
			t.Fatal(err)
		}
		portal := func() *protocol.StartChatResponse {
			t.Helper()
			resp, err := e.svc.Start(e.ctx, chats.StartRequest{Context: store.ContextPortal, User: u,
				StartChatRequest: protocol.StartChatRequest{ConfigID: e.demo.Profile.ID, ConfigKey: e.demo.Profile.Key}})
			if err != nil {
				t.Fatal(err)
			}
			return resp
		}
		x := portal()
		e.wantResumedInNewBrowser(t, portal(), x.ChatID)

		site := e.start(t, protocol.StartChatRequest{IDToken: storetest.DemoToken(t, e.demo,
			map[string]any{"email": e.demo.PortalUser.Email})})
		if site.Resumed || site.ChatID == x.ChatID {
			t.Errorf("a token start on the website resumed the portal chat")
		}
		if c := e.chat(t, site.ChatID); c.UserID != u.ID || c.Context != store.ContextEmbedded {
			t.Errorf("the website's chat is user %d's in %s, want the portal user's, embedded", c.UserID, c.Context)
		}
		if c := e.chat(t, x.ChatID); c.Status == store.ChatEnded {
			t.Errorf("the website's start ended the portal chat (%s)", c.EndReason)
		}
	})
}

// TestANewUserIsStoredWithTheirFirstChat: a token's user not known
// before is stored in the commit of their first chat, so that a refused
// start leaves no user behind; concurrent first starts of one new user
// (two tabs, two devices) all start, and share one user.
func TestANewUserIsStoredWithTheirFirstChat(t *testing.T) {
	eachDatabase(t, func(t *testing.T, e *env) {
		userOf := func(sub string) *store.User {
			t.Helper()
			u, err := e.st.GetUserByExternalID(e.ctx, sub)
			if errors.Is(err, store.ErrNotFound) {
				return nil
			}
			if err != nil {
				t.Fatal(err)
			}
			return u
		}
		f := follower{e: e, sub: "first-timer"}
		_, err := e.svc.Start(e.ctx, e.embedded(protocol.StartChatRequest{IDToken: f.token(t, nil), StartStepOverride: 99}))
		wantRefusal(t, err, &protocol.APIError{Code: protocol.CodeStartStepNotFound, Field: "startStepOverride"})
		if u := userOf(f.sub); u != nil {
			t.Fatalf("a refused first start stored its user: %+v", u)
		}
		x := f.start(t, nil, protocol.StartChatRequest{})
		u := userOf(f.sub)
		if u == nil || u.Email != f.sub+"@users.example" || u.FirstName != "Pat" || e.chat(t, x.ChatID).UserID != u.ID {
			t.Fatalf("the first chat's user: %+v, the chat's %d", u, e.chat(t, x.ChatID).UserID)
		}
		if x.Chat.UserEmail != u.Email || x.Chat.UserName != "Pat" {
			t.Fatalf("the start's answer names the user %q <%s>, want Pat <%s>", x.Chat.UserName, x.Chat.UserEmail, u.Email)
		}

		g := follower{e: e, sub: "two-tabs"}
		const n = 6
		tokens := make([]string, n)
		for i := range tokens {
			tokens[i] = g.token(t, nil)
		}
		var wg sync.WaitGroup
		ids, errs := make([]string, n), make([]error, n)
		for i := range n {
			wg.Go(func() {
				resp, err := e.svc.Start(e.ctx, e.embedded(protocol.StartChatRequest{IDToken: tokens[i]}))
				if errs[i] = err; err == nil {
					ids[i] = resp.ChatID
				}
			})
		}
		wg.Wait()
		one := userOf(g.sub)
		if one == nil {
			t.Fatal("no user after concurrent first starts")
		}
		for i := range n {
			if errs[i] != nil {
				t.Errorf("concurrent first start %d: %v", i, errs[i])
				continue
			}
			if c := e.chat(t, ids[i]); c.UserID != one.ID {
				t.Errorf("concurrent first start %d: the chat's user is %d, want %d", i, c.UserID, one.ID)
			}
		}
	})
}
