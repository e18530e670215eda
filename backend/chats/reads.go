package chats

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"halochat/app/protocol"
	"halochat/backend/store"
)

// The reads the transports (backend/realtime, backend/chatapi) need: they
// ask the service, never the store, so what a chat looks like on the wire
// is decided here.

// errNoChat refuses a chat id that names no chat, to a caller allowed to
// know (an agent).
func errNoChat(id string) *protocol.APIError {
	return refuse(protocol.CodeChatNotFound, "no chat %q", id)
}

// chat returns chat id, for whoever has proved their right to it. A chat
// that does not exist is a chat_not_found refusal.
func (s *Service) chat(ctx context.Context, id string) (*store.Chat, error) {
	c, err := s.store.GetChat(ctx, id)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrInvalid) {
		return nil, errNoChat(id)
	}
	if err != nil {
		return nil, fmt.Errorf("read chat %s: %w", id, err)
	}
	return c, nil
}

// Follow checks that agent a may follow chat id live (the agent
// socket's watch): a chat it may read that stays so while it follows.
// Under VisibilityQueueAndOwn that leaves out a queued chat a does not
// hold (another agent may take it): it is read over the REST API until a
// accepts it.
func (s *Service) Follow(ctx context.Context, id string, a *store.Agent) error {
	c, err := s.chat(ctx, id)
	if err != nil {
		return err
	}
	return s.mayRead(ctx, c, a, true)
}

// mayRead refuses agent a chat c unless its profile's
// AgentChatVisibility lets a read it: an admin reads every chat, an
// agent the chats it holds or held and, unless the profile says
// VisibilityQueueAndOwn, every other. Under VisibilityQueueAndOwn an
// agent also reads the queued chats (to choose which to accept), but
// does not follow them (follow).
func (s *Service) mayRead(ctx context.Context, c *store.Chat, a *store.Agent, follow bool) error {
	if a != nil && (a.Role == store.RoleAdmin || c.AgentID == a.ID) {
		return nil
	}
	p, err := s.store.CachedProfile(ctx, c.ProfileID)
	if err != nil {
		return fmt.Errorf("read the agent chat visibility of chat %s: %w", c.ID, err)
	}
	switch {
	case a == nil:
	case p.AgentChatVisibility != store.VisibilityQueueAndOwn:
		return nil
	case c.Status == store.ChatQueued && !follow:
		return nil
	case c.Status == store.ChatQueued:
		return refuse(protocol.CodeForbidden, "chat %s is queued: accept it to follow it (its chat profile's agentChatVisibility is %s)",
			c.ID, store.VisibilityQueueAndOwn)
	}
	return refuse(protocol.CodeForbidden, "chat %s is not yours: its chat profile lets agents read its queued chats and their own only (agentChatVisibility %s)",
		c.ID, store.VisibilityQueueAndOwn)
}

// visibleTo is what a list of agent a keeps: nothing for an admin (0),
// else the chats (or tickets of chats) a may read (store.ChatFilter's
// VisibleTo).
func visibleTo(a *store.Agent) int64 {
	if a != nil && a.Role == store.RoleAdmin {
		return 0
	}
	if a == nil {
		return -1 // no agent holds chat -1: the queued chats and those of VisibilityAll profiles
	}
	return a.ID
}

// ChatState reads chat id afresh and describes it (State). The caller
// has checked its right to the chat (a visitor's with Verify); a chat
// that does not exist is a chat_not_found refusal.
func (s *Service) ChatState(ctx context.Context, id string) (*protocol.ChatState, error) {
	c, err := s.chat(ctx, id)
	if err != nil {
		return nil, err
	}
	return s.State(ctx, c)
}

// MessagesAfter returns every stored message of chat chatID after seq
// after, in seq order, as stored: for the websocket, which encodes a
// message once for every socket that follows the chat (WireMessage). The
// caller has checked its right to the chat; store errors are internal.
func (s *Service) MessagesAfter(ctx context.Context, chatID string, after int64) ([]store.Message, error) {
	return s.messagesBetween(ctx, chatID, after, 0)
}

// messagesBetween is MessagesAfter up to seq upTo (0: no bound).
func (s *Service) messagesBetween(ctx context.Context, chatID string, after, upTo int64) ([]store.Message, error) {
	out := []store.Message{}
	for upTo == 0 || after < upTo {
		limit := store.MaxLimit
		if upTo != 0 {
			limit = min(limit, upTo-after)
		}
		page, err := s.store.MessagesAfter(ctx, chatID, after, limit)
		if err != nil {
			return nil, fmt.Errorf("read the messages of chat %s after %d: %w", chatID, after, err)
		}
		out = append(out, page...)
		if len(page) < int(limit) {
			break
		}
		after = page[len(page)-1].Seq
	}
	return out, nil
}

// Transcript returns chat id, when r may read it (ChatFor), and its
// messages after seq after in their wire form, in seq order: the REST
// API.
func (s *Service) Transcript(ctx context.Context, id string, after int64, r Reader) (*store.Chat, []protocol.ChatMessage, error) {
	return s.TranscriptRange(ctx, id, after, 0, r)
}

// TranscriptRange is Transcript up to seq upTo (0: no bound): Halo's
// GET /api/ChatMessage?last_id=&max_id=.
func (s *Service) TranscriptRange(ctx context.Context, id string, after, upTo int64, r Reader) (*store.Chat, []protocol.ChatMessage, error) {
	c, err := s.ChatFor(ctx, id, r)
	if err != nil {
		return nil, nil, err
	}
	msgs, err := s.messagesBetween(ctx, c.ID, after, upTo)
	if err != nil {
		return nil, nil, err
	}
	return c, WireMessages(msgs), nil
}

// PollMessages returns the next messages of chat chatID after seq after
// in their wire form: one page of at most store.MaxLimit (a long poll
// answers with what one read finds; the widget polls again from the last
// seq). Never nil. The caller has verified the visitor's resume secret.
func (s *Service) PollMessages(ctx context.Context, chatID string, after int64) ([]protocol.ChatMessage, error) {
	page, err := s.store.MessagesAfter(ctx, chatID, after, store.MaxLimit)
	if err != nil {
		return nil, fmt.Errorf("poll the messages of chat %s after %d: %w", chatID, after, err)
	}
	return WireMessages(ForVisitor(page)), nil
}

// ListChats returns the states of the chats q selects that r may read
// (see Reader). A blank q.Text lists by the filter alone;
// otherwise only the chats whose messages or user hold every word of it
// (store.SearchChats). A search text the store refuses is an
// invalid_request refusal with field "q" (the API's name of the search
// text).
func (s *Service) ListChats(ctx context.Context, q store.ChatSearch, r Reader) ([]protocol.ChatState, error) {
	r.restrict(&q.ChatFilter)
	var list []store.Chat
	var err error
	if strings.TrimSpace(q.Text) == "" {
		list, err = s.store.ListChats(ctx, q.ChatFilter)
	} else {
		list, err = s.store.SearchChats(ctx, q)
	}
	if se := (*store.SearchTextError)(nil); errors.As(err, &se) {
		return nil, &protocol.APIError{Code: protocol.CodeInvalidRequest, Field: "q",
			Message: "the q parameter (the search text) is refused: " + se.Problem}
	}
	if err != nil {
		return nil, fmt.Errorf("list chats: %w", err)
	}
	out := make([]protocol.ChatState, 0, len(list))
	for i := range list {
		st, err := s.State(ctx, &list[i])
		if err != nil {
			return nil, err
		}
		out = append(out, *st)
	}
	return out, nil
}

// LiveChatIDs returns the ids of the chats live with agent agentID (at
// most store.DefaultLimit): those an agent's console follows as it
// connects.
func (s *Service) LiveChatIDs(ctx context.Context, agentID int64) ([]string, error) {
	live, err := s.store.ListChats(ctx, store.ChatFilter{Status: store.ChatLive, AgentID: agentID})
	if err != nil {
		return nil, fmt.Errorf("list the live chats of agent %d: %w", agentID, err)
	}
	ids := make([]string, len(live))
	for i, c := range live {
		ids[i] = c.ID
	}
	return ids, nil
}

// Tickets lists the tickets f selects that r may read: those of the
// chats r may read (a ticket holds its chat's transcript), and, for an
// agent or an API client bound to no profile, those of no chat.
func (s *Service) Tickets(ctx context.Context, f store.TicketFilter, r Reader) ([]store.Ticket, error) {
	r.restrictTickets(&f)
	list, err := s.store.ListTickets(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("list tickets: %w", err)
	}
	return list, nil
}

// errNoTicket refuses a ticket id that names no ticket.
func errNoTicket() *protocol.APIError {
	return refuse(protocol.CodeTicketNotFound, "no such ticket")
}

// Ticket returns ticket id and its custom field values, for r (a ticket
// of a chat r may not read is a forbidden refusal, as the chat is). An
// id that names no ticket (0 and below included: what an unparsable id
// becomes) is a ticket_not_found refusal.
func (s *Service) Ticket(ctx context.Context, id int64, r Reader) (*store.Ticket, []store.TicketFieldValue, error) {
	t, err := s.ticketFor(ctx, id, r)
	if err != nil {
		return nil, nil, err
	}
	vals, err := s.store.TicketFieldValues(ctx, id)
	if err != nil {
		return nil, nil, fmt.Errorf("read the fields of ticket %d: %w", id, err)
	}
	return t, vals, nil
}

// ticketFor reads ticket id for r (see Ticket).
func (s *Service) ticketFor(ctx context.Context, id int64, r Reader) (*store.Ticket, error) {
	if id <= 0 {
		return nil, errNoTicket()
	}
	t, err := s.store.GetTicket(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errNoTicket()
	}
	if err != nil {
		return nil, fmt.Errorf("read ticket %d: %w", id, err)
	}
	if err := s.mayReadTicket(ctx, t, r); err != nil {
		return nil, err
	}
	return t, nil
}

// AgentConsoleOpened records that node holds a console of agent
// agentID: the realtime server calls it as the agent's first console on
// the node connects, and AgentConsoleClosed as their last one there
// goes. The agent is online while any node holds one (store/presence.go).
func (s *Service) AgentConsoleOpened(ctx context.Context, node string, agentID int64) error {
	return s.store.AgentConsoleOpened(ctx, node, agentID)
}

// AgentConsoleClosed records that node holds no console of agent
// agentID any more (AgentConsoleOpened).
func (s *Service) AgentConsoleClosed(ctx context.Context, node string, agentID int64) error {
	return s.store.AgentConsoleClosed(ctx, node, agentID)
}

// TouchAgents keeps node's word that it holds consoles of the agents ids
// for store.PresenceTTL more: the realtime server calls it for the
// consoles it holds, so that a node's agents stop counting as online
// when the node dies.
func (s *Service) TouchAgents(ctx context.Context, node string, ids []int64) error {
	return s.store.TouchAgents(ctx, node, ids)
}
