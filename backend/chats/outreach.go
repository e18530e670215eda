package chats

import (
	"context"
	"errors"
	"fmt"

	"halochat/app/flow"
	"halochat/app/protocol"
	"halochat/backend/secret"
	"halochat/backend/store"
)

// Outreach is a chat started for a user by an API client or an agent
// (POST /api/Chat): proactive outreach, as Intercom's outbound message.
type Outreach struct {
	ProfileID string
	// UserExternalID and UserEmail name the user the chat is for, found
	// (or created) as a token's user is (identity.Resolver.NamedUser).
	UserExternalID, UserEmail string
	// Poster is who the first message is from: the bot under the API
	// client's name, or an agent (an agent session posts as itself).
	Poster      Poster
	Text        string
	ClientMsgID string
}

// StartOutreach starts a chat for the user o names on profile o.ProfileID whose
// first message is o.Text, and answers it with its transcript; created
// is false when it answers a resend (a chat of the user on the profile
// that holds o.ClientMsgID already).
//
// The chat is open, authenticated as the user and waits for them: their
// widget shows it when they open it with an identity token naming them
// (the chat resumes), and the idle timeout starts only once they write
// (Config.OutreachTimeout until then). From the bot (no agent) the
// profile's flow starts at once after the message, at its start step,
// so the visitor's reply goes to the flow (which may hand them to an
// agent); from an agent the chat is live with that agent from the start
// and no flow step runs: the reply goes to the agent. A user with
// another open chat on the profile is a conflict naming it: one open
// chat per user and profile, which is what their widget resumes.
func (s *Service) StartOutreach(ctx context.Context, o Outreach, r Reader) (*protocol.ChatTranscript, bool, error) {
	text, err := s.checkPost(protocol.SendRequest{ClientMsgID: o.ClientMsgID, Text: o.Text})
	if err != nil {
		return nil, false, err
	}
	p, err := s.outreachProfile(ctx, o.ProfileID, r)
	if err != nil {
		return nil, false, err
	}
	u, err := s.ident.NamedUser(ctx, o.UserExternalID, o.UserEmail, [2]string{"user_external_id", "user_email"})
	if err != nil {
		return nil, false, err
	}
	if open, err := s.openChatOf(ctx, p.ID, u.ID); err != nil || open != nil {
		if err == nil {
			err = s.resentOutreach(ctx, open, o.ClientMsgID)
		}
		if err != nil {
			return nil, false, err
		}
		out, err := s.transcriptOf(ctx, open)
		return out, false, err
	}
	fl, rt, err := s.outreachRuntime(ctx, p, u)
	if err != nil {
		return nil, false, err
	}
	c := &store.Chat{ID: store.NewChatID(), ProfileID: p.ID, FlowID: fl.ID, FlowVersion: fl.CurrentVersion,
		StartStep: int64(rt.prog.StartStep()), UserID: u.ID, Authenticated: true, Context: store.ContextAPI,
		Status: store.ChatBot, ResumeSecretHash: secret.HashKey(secret.Token(24)), Language: string(profileLanguage(p))}
	first := clientMessage(o.Poster, o.ClientMsgID, text)
	if o.Poster.Agent != nil {
		err = s.createLive(ctx, c, o.Poster.Agent, first)
	} else {
		create := &newChat{}
		unlock := s.lock(c.ID)
		_, _, err = s.runFlowFrom(ctx, c, create, rt, flow.Start(0, false), []store.Message{first}, protocol.EndByFlow)
		unlock()
		if create.chat != nil {
			c = create.chat
		}
	}
	if err != nil {
		return nil, false, fmt.Errorf("start an outreach chat on profile %s for user %d: %w", p.ID, u.ID, err)
	}
	s.log.Info("outreach chat started", "chat", c.ID, "profile", p.ID, "user", u.ID, "status", c.Status)
	out, err := s.transcriptOf(ctx, c)
	return out, true, err
}

// outreachProfile returns profile id for an outreach by r: one r is
// bound to, with a bot flow.
func (s *Service) outreachProfile(ctx context.Context, id string, r Reader) (*store.ChatProfile, error) {
	p, err := s.store.CachedProfile(ctx, id)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrInvalid) || id == "" {
		return nil, &protocol.APIError{Code: protocol.CodeProfileNotFound, Kind: protocol.KindUnfit, Field: "chatprofile_id",
			Message: fmt.Sprintf("chatprofile_id: no chat profile %q", id)}
	}
	if err != nil {
		return nil, err
	}
	if r.Client != nil && !r.Client.MayUseProfile(p.ID) {
		return nil, &protocol.APIError{Code: protocol.CodeForbidden, Field: "chatprofile_id",
			Message: fmt.Sprintf("chatprofile_id: this API client is not bound to chat profile %s (its profileIds)", p.ID)}
	}
	if p.FlowID == 0 {
		return nil, refuse(protocol.CodeNoFlow, "chat profile %s has no bot flow", p.ID)
	}
	return p, nil
}

// openChatOf returns the open chat of user userID on profile profileID
// that the user's widget would resume (store.OpenUserChats: portal chats
// follow only portal starts), or nil.
func (s *Service) openChatOf(ctx context.Context, profileID string, userID int64) (*store.Chat, error) {
	open, err := s.store.OpenUserChats(ctx, profileID, userID, false)
	if err != nil {
		return nil, fmt.Errorf("list the open chats of user %d on profile %s: %w", userID, profileID, err)
	}
	if len(open) == 0 {
		return nil, nil
	}
	return &open[0], nil
}

// resentOutreach is nil when the open chat holds the outreach's client
// message id (a resend: answered with that chat), else the conflict.
func (s *Service) resentOutreach(ctx context.Context, open *store.Chat, clientMsgID string) error {
	if clientMsgID != "" {
		_, err := s.store.MessageByClientID(ctx, open.ID, clientMsgID)
		if err == nil {
			return nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	return &protocol.APIError{Code: protocol.CodeConflict, Field: "user",
		Message: fmt.Sprintf("the user has an open chat on this profile (%s): post into it (POST /api/ChatMessage) or end it first", open.ID)}
}

// outreachRuntime is the profile's current flow version, compiled, with
// the user as the flow sees an authenticated chat's user.
func (s *Service) outreachRuntime(ctx context.Context, p *store.ChatProfile, u *store.User) (*store.Flow, *runtime, error) {
	fl, err := s.store.CachedFlow(ctx, p.FlowID)
	if err != nil {
		return nil, nil, err
	}
	if fl.CurrentVersion == 0 {
		return nil, nil, refuse(protocol.CodeNoFlow, "the bot flow of chat profile %s has no saved version", p.ID)
	}
	sc, _, err := s.schema(ctx)
	if err != nil {
		return nil, nil, err
	}
	prog, err := s.program(ctx, fl.ID, fl.CurrentVersion, sc)
	if err != nil {
		return nil, nil, err
	}
	env := chatEnv(sc, nil, u)
	env.Language = string(profileLanguage(p))
	return fl, &runtime{prog: prog, env: env}, nil
}

// createLive stores chat c live with agent a, with its first message.
func (s *Service) createLive(ctx context.Context, c *store.Chat, a *store.Agent, first store.Message) error {
	c.Status, c.AgentID, c.AcceptedAt = store.ChatLive, a.ID, s.store.Now()
	res, err := s.store.CreateChatAdvanced(ctx, c, nil, &store.ChatAdvance{Messages: []store.Message{first}})
	if err != nil {
		return err
	}
	*c = *res.Chat
	return nil
}

// transcriptOf is chat c's state and every message.
func (s *Service) transcriptOf(ctx context.Context, c *store.Chat) (*protocol.ChatTranscript, error) {
	st, err := s.State(ctx, c)
	if err != nil {
		return nil, err
	}
	msgs, err := s.MessagesAfter(ctx, c.ID, 0)
	if err != nil {
		return nil, err
	}
	return &protocol.ChatTranscript{Chat: *st, Messages: WireMessages(msgs)}, nil
}
