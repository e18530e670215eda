package chats

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"halochat/app/flow"
	"halochat/app/protocol"
	"halochat/backend/store"
)

// Details describes chat id for the agents' details panel: who, where
// from, where in the flow, the ticket, the visitor's rating and the chat
// custom field values.
// For r, when it may read the chat (ChatFor): the values must never
// reach the visitor's side. A chat that does not exist is a
// chat_not_found refusal.
func (s *Service) Details(ctx context.Context, id string, r Reader) (*protocol.ChatDetails, error) {
	c, err := s.ChatFor(ctx, id, r)
	if err != nil {
		return nil, err
	}
	state, err := s.State(ctx, c)
	if err != nil {
		return nil, err
	}
	d := &protocol.ChatDetails{Chat: *state, Context: c.Context, HostOrigin: c.HostOrigin, UnverifiedEmail: c.EmailHint,
		AcceptedAt: rfc3339(c.AcceptedAt), EndedAt: rfc3339(c.EndedAt), Fields: []protocol.ChatFieldValue{}}
	p, err := s.store.GetProfile(ctx, c.ProfileID)
	if err != nil {
		return nil, fmt.Errorf("details of chat %s: %w", c.ID, err)
	}
	d.ProfileName = p.Name
	if d.User, err = s.chatUser(ctx, c); err != nil {
		return nil, err
	}
	if d.Flow, err = s.flowPosition(ctx, c); err != nil {
		return nil, err
	}
	if d.Ticket, err = s.chatTicket(ctx, c); err != nil {
		return nil, err
	}
	if d.Rating, err = s.Rating(ctx, c.ID); err != nil {
		return nil, fmt.Errorf("details of chat %s: %w", c.ID, err)
	}
	vals, err := s.store.ChatFieldValues(ctx, c.ID)
	if err != nil {
		return nil, fmt.Errorf("details of chat %s: %w", c.ID, err)
	}
	for _, v := range vals {
		d.Fields = append(d.Fields, protocol.ChatFieldValue{Name: v.Name, Label: v.Label, Value: v.Value})
	}
	return d, nil
}

// chatUser is the chat's user as the details panel shows them; nil for an
// anonymous chat, or a user deleted since.
func (s *Service) chatUser(ctx context.Context, c *store.Chat) (*protocol.ChatUser, error) {
	if c.UserID == 0 {
		return nil, nil
	}
	u, err := s.store.GetUser(ctx, c.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("details of chat %s: %w", c.ID, err)
	}
	return &protocol.ChatUser{ID: u.ID, Name: strings.TrimSpace(u.FirstName + " " + u.LastName),
		FirstName: u.FirstName, LastName: u.LastName, Username: u.Username, Email: u.Email, Phone: u.Phone, ExternalID: u.ExternalID}, nil
}

// flowPosition says which flow version the chat runs and at which step.
func (s *Service) flowPosition(ctx context.Context, c *store.Chat) (*protocol.ChatFlowPosition, error) {
	if c.FlowID == 0 {
		return nil, nil
	}
	f, err := s.store.GetFlow(ctx, c.FlowID)
	if err != nil {
		return nil, fmt.Errorf("details of chat %s: %w", c.ID, err)
	}
	pos := &protocol.ChatFlowPosition{ID: f.ID, Name: f.Name, Version: c.FlowVersion}
	state, err := decodeState(c.FlowState)
	if err != nil {
		return nil, fmt.Errorf("details of chat %s: %w", c.ID, err)
	}
	pos.Step, pos.Status = state.Step, string(state.Status)
	if pos.Step == 0 {
		return pos, nil
	}
	v, err := s.store.GetFlowVersion(ctx, c.FlowID, c.FlowVersion)
	if err != nil {
		return nil, fmt.Errorf("details of chat %s: %w", c.ID, err)
	}
	doc, err := flow.Parse(v.Document)
	if err != nil {
		return nil, fmt.Errorf("details of chat %s: flow %d version %d: %w", c.ID, c.FlowID, c.FlowVersion, err)
	}
	if step := doc.Step(pos.Step); step != nil {
		pos.StepKind, pos.StepTitle = string(step.Kind), step.Title
	}
	return pos, nil
}

// chatTicket is the ticket logged from the chat: the one the chat names,
// or else the newest one that names the chat.
func (s *Service) chatTicket(ctx context.Context, c *store.Chat) (*protocol.ChatTicket, error) {
	var t *store.Ticket
	if c.TicketID != 0 {
		var err error
		if t, err = s.store.GetTicket(ctx, c.TicketID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("details of chat %s: %w", c.ID, err)
		}
	}
	if t == nil {
		list, err := s.store.ListTickets(ctx, store.TicketFilter{ChatID: c.ID, Limit: 1})
		if err != nil {
			return nil, fmt.Errorf("details of chat %s: %w", c.ID, err)
		}
		if len(list) == 0 {
			return nil, nil
		}
		t = &list[0]
	}
	return &protocol.ChatTicket{ID: t.ID, Summary: t.Summary, Status: t.Status}, nil
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
