package chats

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"halochat/app/protocol"
	"halochat/backend/store"
)

// checkPost checks a message an agent or an API client posts: text
// within the length limit and not blank, and a client message id of at
// most 100 bytes (optional: with one, a resend is acknowledged again and
// changes nothing). It returns the text, trimmed.
func (s *Service) checkPost(req protocol.SendRequest) (string, error) {
	if len(req.ClientMsgID) > 100 {
		return "", &protocol.APIError{Code: protocol.CodeInvalidRequest, Field: "client_msg_id", Message: "client_msg_id: at most 100 bytes"}
	}
	if err := s.checkText(req.ClientMsgID); err != nil {
		return "", err
	}
	text := strings.TrimSpace(req.Text)
	if err := s.checkText(text); err != nil {
		return "", err
	}
	if text == "" {
		return "", &protocol.APIError{Code: protocol.CodeInvalidRequest, Field: "text", Message: "the message is empty"}
	}
	return text, nil
}

// Poster is who an API client's message is from: the bot under the
// client's name, or (Agent set) a named agent.
type Poster struct {
	Client *store.APIClient
	Agent  *store.Agent
}

// PosterAgent returns the enabled agent agentID an API client names as
// the author of its messages (agent_id); a refusal names field.
func (s *Service) PosterAgent(ctx context.Context, agentID int64, field string) (*store.Agent, error) {
	a, err := s.store.GetAgent(ctx, agentID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && a.Disabled) {
		return nil, &protocol.APIError{Code: protocol.CodeInvalidRequest, Kind: protocol.KindUnfit, Field: field,
			Message: fmt.Sprintf("%s: no enabled agent %d", field, agentID)}
	}
	if err != nil {
		return nil, fmt.Errorf("read agent %d: %w", agentID, err)
	}
	return a, nil
}

// CheckClientPost checks, before anything is stored, that API client
// p.Client may post req into chat chatID: the chat exists on a profile
// the client is bound to and has not ended, and with p.Agent it is live
// with that agent.
func (s *Service) CheckClientPost(ctx context.Context, chatID string, p Poster, req protocol.SendRequest) error {
	if _, err := s.checkPost(req); err != nil {
		return err
	}
	c, err := s.ChatFor(ctx, chatID, ClientReader(p.Client))
	if err != nil {
		return err
	}
	if c.Status == store.ChatEnded {
		if dup, err := s.store.MessageByClientID(ctx, chatID, req.ClientMsgID); req.ClientMsgID != "" && err == nil && dup != nil {
			return nil // a resend: acknowledged again
		}
		return errChatEnded(chatID)
	}
	if p.Agent != nil && (c.Status != store.ChatLive || c.AgentID != p.Agent.ID) {
		return &protocol.APIError{Code: protocol.CodeAccessDenied, Field: "agent_id",
			Message: fmt.Sprintf("chat %s is not live with agent %d (%s): an API client posts as an agent only into that agent's live chats", chatID, p.Agent.ID, p.Agent.Name)}
	}
	return nil
}

// ClientSend posts API client p.Client's message into chat chatID and
// publishes it like any other: as the bot under the client's name into
// any chat that has not ended, or as agent p.Agent into a chat live with
// it. A resend with the same client message id is acknowledged again
// (Duplicate) and changes nothing, also after the chat ended.
func (s *Service) ClientSend(ctx context.Context, chatID string, p Poster, req protocol.SendRequest) (protocol.Ack, error) {
	ack := protocol.Ack{V: protocol.ProtocolVersion, ClientMsgID: req.ClientMsgID}
	if err := s.CheckClientPost(ctx, chatID, p, req); err != nil {
		return ack, err
	}
	text, _ := s.checkPost(req) // checked above
	msg := clientMessage(p, req.ClientMsgID, text)
	cond := store.AppendCond{NotEnded: true}
	if p.Agent != nil {
		cond = store.AppendCond{ExpectStatus: store.ChatLive, AgentID: p.Agent.ID}
	}
	ack, err := s.appendOne(ctx, chatID, ack, cond, msg)
	if isEnded(err) && req.ClientMsgID != "" {
		// The condition failed: a resend of a message stored before the
		// chat moved on is still acknowledged.
		if m, derr := s.store.MessageByClientID(ctx, chatID, req.ClientMsgID); derr == nil {
			ack.Seq, ack.Duplicate = m.Seq, true
			return ack, nil
		}
	}
	return ack, err
}

// clientMessage is the stored form of a message an API client posts.
func clientMessage(p Poster, clientMsgID, text string) store.Message {
	if p.Agent != nil {
		return store.Message{Sender: store.SenderAgent, AgentID: p.Agent.ID, ClientMsgID: clientMsgID, Text: text,
			Payload: payload(protocol.ChatMessage{AgentName: p.Agent.Name})}
	}
	return store.Message{Sender: store.SenderBot, ClientMsgID: clientMsgID, Text: text,
		Payload: payload(protocol.ChatMessage{AgentName: p.Client.Name})}
}

// ClientEnd ends chat chatID at API client cl's call (reason "api"),
// when the client is bound to the chat's profile.
func (s *Service) ClientEnd(ctx context.Context, chatID string, cl *store.APIClient) error {
	if _, err := s.ChatFor(ctx, chatID, ClientReader(cl)); err != nil {
		return err
	}
	return s.End(ctx, chatID, protocol.EndByAPI)
}
