package chatapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"halochat/app/flow"
	"halochat/app/protocol"
	"halochat/backend/store"
)

// chatDetails serves GET /api/Chat/{id}/details: who, where from, where
// in the flow, the ticket, and the chat custom field values. Agents only:
// the values must never reach the visitor's side.
func (h *Handler) chatDetails(w http.ResponseWriter, r *http.Request) {
	c, ok := h.chat(w, r, r.PathValue("id"))
	if !ok {
		return
	}
	d, err := h.details(r.Context(), c)
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

func (h *Handler) details(ctx context.Context, c *store.Chat) (*protocol.ChatDetails, error) {
	st := h.cfg.Chats.Store()
	state, err := h.cfg.Chats.State(ctx, c)
	if err != nil {
		return nil, err
	}
	d := &protocol.ChatDetails{Chat: *state, Context: c.Context, HostOrigin: c.HostOrigin,
		AcceptedAt: rfc3339(c.AcceptedAt), EndedAt: rfc3339(c.EndedAt), Fields: []protocol.ChatFieldValue{}}
	p, err := st.GetProfile(ctx, c.ProfileID)
	if err != nil {
		return nil, fmt.Errorf("details of chat %s: %w", c.ID, err)
	}
	d.ProfileName = p.Name
	if c.UserID != 0 {
		u, err := st.GetUser(ctx, c.UserID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("details of chat %s: %w", c.ID, err)
		}
		if u != nil {
			d.User = &protocol.ChatUser{ID: u.ID, Name: strings.TrimSpace(u.FirstName + " " + u.LastName),
				Username: u.Username, Email: u.Email, Phone: u.Phone, ExternalID: u.ExternalID}
		}
	}
	if d.Flow, err = h.flowPosition(ctx, c); err != nil {
		return nil, err
	}
	if d.Ticket, err = h.chatTicket(ctx, c); err != nil {
		return nil, err
	}
	vals, err := st.ChatFieldValues(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	for _, v := range vals {
		d.Fields = append(d.Fields, protocol.ChatFieldValue{Name: v.Name, Label: v.Label, Value: v.Value})
	}
	return d, nil
}

// flowPosition says which flow version the chat runs and at which step.
func (h *Handler) flowPosition(ctx context.Context, c *store.Chat) (*protocol.ChatFlowPosition, error) {
	if c.FlowID == 0 {
		return nil, nil
	}
	st := h.cfg.Chats.Store()
	f, err := st.GetFlow(ctx, c.FlowID)
	if err != nil {
		return nil, fmt.Errorf("details of chat %s: %w", c.ID, err)
	}
	pos := &protocol.ChatFlowPosition{ID: f.ID, Name: f.Name, Version: c.FlowVersion}
	var state flow.State
	if len(c.FlowState) > 0 {
		if err := json.Unmarshal(c.FlowState, &state); err != nil {
			return nil, fmt.Errorf("details of chat %s: decode flow state: %w", c.ID, err)
		}
	}
	pos.Step, pos.Status = state.Step, string(state.Status)
	if pos.Step == 0 {
		return pos, nil
	}
	v, err := st.GetFlowVersion(ctx, c.FlowID, c.FlowVersion)
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
func (h *Handler) chatTicket(ctx context.Context, c *store.Chat) (*protocol.ChatTicket, error) {
	st := h.cfg.Chats.Store()
	var t *store.Ticket
	if c.TicketID != 0 {
		var err error
		if t, err = st.GetTicket(ctx, c.TicketID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("details of chat %s: %w", c.ID, err)
		}
	}
	if t == nil {
		list, err := st.ListTickets(ctx, store.TicketFilter{ChatID: c.ID, Limit: 1})
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
