package chats

import (
	"context"
	"fmt"

	"halochat/app/protocol"
	"halochat/backend/secret"
	"halochat/backend/store"
)

// supersededChat is an open chat of the start's user that the new chat
// replaces, and the reason it ends with.
type supersededChat struct {
	id, reason string
}

// follow resumes the identified user's open chat on this profile in a
// browser that does not hold it (started in another browser, on another
// device, or by the host's backend): one open conversation per user and
// profile, as Halo's and Intercom's users expect
// (docs/CONTRACT.md#identified-user). Only a verified identity token's
// user — or the portal's logged-in user, for the portal's chats — has a
// chat to follow; an anonymous visitor's chat stays bound to its browser
// (its resume secret), and an e-mail hint names no one.
//
// The newest open chat that runs the profile's flow is resumed, unless
// the start does not retain (retainPreviousChat false). Otherwise every
// open chat of the user here is marked superseded: once the new chat
// exists it ends them (restarted; replaced for a chat of another flow),
// and a start refused on the way ends nothing.
func (st *starting) follow(ctx context.Context) (*protocol.StartChatResponse, error) {
	if !st.portal && st.req.IDToken == "" {
		return nil, nil // no token: an anonymous visitor, or an e-mail hint's
	}
	// Refuse a profile that cannot start a chat before the identity is
	// resolved (resolving uses single-use ChatMatchingData up).
	if _, err := st.currentFlow(ctx); err != nil {
		return nil, err
	}
	who, err := st.identity(ctx)
	if err != nil || !who.Authenticated || who.User == nil {
		return nil, err
	}
	if who.NewUser {
		// The token's user did not exist before this start: they have no
		// chat to follow or supersede, and a start asks no more (the look-up
		// was a quarter of a new user's start's statements). A concurrent
		// start with the same token that found the user meanwhile is the
		// same race as two concurrent starts of a known user: both start.
		return nil, nil
	}
	open, err := st.s.store.OpenUserChats(ctx, st.profile.ID, who.User.ID, st.portal)
	if err != nil {
		return nil, fmt.Errorf("find the open chats of user %d on profile %s: %w", who.User.ID, st.profile.ID, err)
	}
	for i := range open {
		if c := &open[i]; st.req.Retain() && st.runsProfileFlow(c) {
			return st.resumeUserChat(ctx, c)
		}
	}
	for _, c := range open {
		reason := protocol.EndRestarted
		if st.req.Retain() {
			reason = protocol.EndReplaced // it runs another flow than the profile's
		}
		st.superseded = append(st.superseded, supersededChat{id: c.ID, reason: reason})
	}
	return nil, nil
}

// runsProfileFlow reports whether chat c may go on under the profile as
// it is now: it runs the profile's bot flow (a chat stays on the flow it
// started on), or none at all.
func (st *starting) runsProfileFlow(c *store.Chat) bool {
	return c.FlowID == 0 || c.FlowID == st.profile.FlowID
}

// resumeUserChat resumes the user's chat c in this browser, with a
// resume secret of its own. The browser proves the user by the token
// alone, so the resume uses the token's jti as a start would: a token
// used before resumes nothing (docs/CONTRACT.md#token-jti).
func (st *starting) resumeUserChat(ctx context.Context, c *store.Chat) (*protocol.StartChatResponse, error) {
	if err := st.s.ident.Use(ctx, st.who); err != nil {
		return nil, err
	}
	resume := secret.Token(24)
	if err := st.s.store.AddResumeSecret(ctx, c.ID, secret.HashKey(resume)); err != nil {
		return nil, fmt.Errorf("resume chat %s in another browser: %w", c.ID, err)
	}
	resp, err := st.s.response(ctx, c, resume)
	if err != nil {
		return nil, err
	}
	resp.Resumed = true
	st.s.log.Info("chat followed its user to another browser", "chat", c.ID, "profile", st.profile.ID,
		"user", c.UserID, "context", c.Context)
	return resp, nil
}

// endSuperseded ends the user's chats the new chat replaces, and returns
// the first one's id. The new chat exists by now: a failure to end one
// is logged, not answered (the idle sweep ends it in the end).
func (st *starting) endSuperseded(ctx context.Context) string {
	first := ""
	for _, c := range st.superseded {
		if err := st.s.End(ctx, c.id, c.reason); err != nil && !isEnded(err) {
			st.s.log.Error("end a chat a new chat of its user replaced", "chat", c.id, "reason", c.reason, "err", err)
			continue
		}
		if first == "" {
			first = c.id
		}
	}
	return first
}
