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

// Chat returns chat id. It asks for no resume secret: it is for agents'
// routes (behind their login) and the server itself; a visitor's chat is
// read with Verify. A chat that does not exist is a chat_not_found
// refusal.
func (s *Service) Chat(ctx context.Context, id string) (*store.Chat, error) {
	c, err := s.store.GetChat(ctx, id)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrInvalid) {
		return nil, errNoChat(id)
	}
	if err != nil {
		return nil, fmt.Errorf("read chat %s: %w", id, err)
	}
	return c, nil
}

// ChatState reads chat id afresh and describes it (State). The caller
// has checked its right to the chat (a visitor's with Verify); a chat
// that does not exist is a chat_not_found refusal.
func (s *Service) ChatState(ctx context.Context, id string) (*protocol.ChatState, error) {
	c, err := s.Chat(ctx, id)
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
	var out []store.Message
	for {
		page, err := s.store.MessagesAfter(ctx, chatID, after, store.MaxLimit)
		if err != nil {
			return nil, fmt.Errorf("read the messages of chat %s after %d: %w", chatID, after, err)
		}
		out = append(out, page...)
		if len(page) < int(store.MaxLimit) {
			return out, nil
		}
		after = page[len(page)-1].Seq
	}
}

// Transcript returns every message of chat chatID after seq after in its
// wire form, in seq order: the agents' REST API. The caller has checked
// its right to the chat.
func (s *Service) Transcript(ctx context.Context, chatID string, after int64) ([]protocol.ChatMessage, error) {
	msgs, err := s.MessagesAfter(ctx, chatID, after)
	if err != nil {
		return nil, err
	}
	return WireMessages(msgs), nil
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
	return WireMessages(page), nil
}

// ListChats returns the states of the chats q selects, for agents. A
// blank q.Text lists by the filter alone; otherwise only the chats whose
// messages or user hold every word of it (store.SearchChats). A search
// text the store refuses is an invalid_request refusal with field "q"
// (the API's name of the search text).
func (s *Service) ListChats(ctx context.Context, q store.ChatSearch) ([]protocol.ChatState, error) {
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

// Tickets lists the tickets f selects, for agents.
func (s *Service) Tickets(ctx context.Context, f store.TicketFilter) ([]store.Ticket, error) {
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

// Ticket returns ticket id and its custom field values, for agents. An
// id that names no ticket (0 and below included: what an unparsable id
// becomes) is a ticket_not_found refusal.
func (s *Service) Ticket(ctx context.Context, id int64) (*store.Ticket, []store.TicketFieldValue, error) {
	if id <= 0 {
		return nil, nil, errNoTicket()
	}
	t, err := s.store.GetTicket(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, errNoTicket()
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read ticket %d: %w", id, err)
	}
	vals, err := s.store.TicketFieldValues(ctx, id)
	if err != nil {
		return nil, nil, fmt.Errorf("read the fields of ticket %d: %w", id, err)
	}
	return t, vals, nil
}

// SetAgentPresence records agent agentID as online or offline
// (store.PresenceOnline, store.PresenceOffline): the realtime server
// calls it as an agent's first console connects and its last one goes.
func (s *Service) SetAgentPresence(ctx context.Context, agentID int64, presence string) error {
	if err := s.store.SetAgentPresence(ctx, agentID, presence); err != nil {
		return fmt.Errorf("set the presence of agent %d to %s: %w", agentID, presence, err)
	}
	return nil
}

// TouchAgents keeps the agents ids online for store.PresenceTTL more: the
// realtime server calls it for the consoles it holds, so that a node's
// agents stop counting as online when the node dies.
func (s *Service) TouchAgents(ctx context.Context, ids []int64) error {
	if err := s.store.TouchAgents(ctx, ids); err != nil {
		return fmt.Errorf("refresh the presence of %d agents: %w", len(ids), err)
	}
	return nil
}
