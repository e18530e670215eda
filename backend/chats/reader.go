package chats

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"halochat/app/protocol"
	"halochat/backend/store"
)

// Reader is who reads chats and tickets over the REST API: an agent, by
// its role and its chat profiles' agentChatVisibility (mayRead), or an
// API client, which reads every chat (and ticket of a chat) of the chat
// profiles it is bound to (store.APIClient.ProfileIDs; none: every
// profile). Its permissions are checked before (auth.RequireAgentOr).
type Reader struct {
	Agent  *store.Agent
	Client *store.APIClient
}

// AgentReader is agent a as a Reader.
func AgentReader(a *store.Agent) Reader { return Reader{Agent: a} }

// ClientReader is API client c as a Reader.
func ClientReader(c *store.APIClient) Reader { return Reader{Client: c} }

// clientMayRead refuses API client cl chat c unless the client is bound
// to the chat's profile.
func clientMayRead(cl *store.APIClient, c *store.Chat) error {
	if cl.MayUseProfile(c.ProfileID) {
		return nil
	}
	return refuse(protocol.CodeForbidden, "chat %s is on chat profile %s, which this API client is not bound to (its profileIds)",
		c.ID, c.ProfileID)
}

// mayReadChat refuses r chat c unless r may read it: mayRead for an
// agent, clientMayRead for an API client.
func (s *Service) mayReadChat(ctx context.Context, c *store.Chat, r Reader) error {
	if r.Client != nil {
		return clientMayRead(r.Client, c)
	}
	return s.mayRead(ctx, c, r.Agent, false)
}

// ChatFor returns chat id for r: the REST API reads chats through it,
// asking no resume secret. A chat that does not exist is a
// chat_not_found refusal; one r may not read a forbidden one.
func (s *Service) ChatFor(ctx context.Context, id string, r Reader) (*store.Chat, error) {
	c, err := s.chat(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := s.mayReadChat(ctx, c, r); err != nil {
		return nil, err
	}
	return c, nil
}

// restrict makes a chat list keep what r may read.
func (r Reader) restrict(f *store.ChatFilter) {
	if r.Client != nil {
		f.ProfileIDs = r.Client.ProfileIDs
		return
	}
	f.VisibleTo = visibleTo(r.Agent)
}

// restrictTickets makes a ticket list keep what r may read.
func (r Reader) restrictTickets(f *store.TicketFilter) {
	if r.Client != nil {
		f.ProfileIDs = r.Client.ProfileIDs
		return
	}
	f.VisibleTo = visibleTo(r.Agent)
}

// mayReadTicket refuses r ticket t unless r may read its chat (a ticket
// holds its chat's transcript). A ticket of no chat (an offline
// message's) is read by every agent, by the API clients bound to no
// profile and by those bound to the profile it came through.
func (s *Service) mayReadTicket(ctx context.Context, t *store.Ticket, r Reader) error {
	var c *store.Chat
	if t.ChatID != "" {
		var err error
		if c, err = s.store.GetChat(ctx, t.ChatID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("read the chat of ticket %d: %w", t.ID, err)
		}
	}
	if c != nil {
		return s.mayReadChat(ctx, c, r)
	}
	if r.Client != nil && len(r.Client.ProfileIDs) > 0 && !slices.Contains(r.Client.ProfileIDs, t.ProfileID) {
		return refuse(protocol.CodeForbidden, "ticket %d is of no chat, and came through no chat profile of this API client", t.ID)
	}
	return nil
}
