package chatapi

import (
	"net/http"
	"strconv"

	"halochat/app/protocol"
	"halochat/backend/chats"
	"halochat/backend/httpx"
	"halochat/backend/store"
)

func (h *Handler) listTickets(w http.ResponseWriter, r *http.Request) {
	q := &query{v: r.URL.Query()}
	p := q.page()
	f := store.TicketFilter{Offset: p.Offset, Limit: p.Limit, ChatID: q.str("chat_id"), Status: q.str("status"), UserID: q.int("user_id")}
	if q.err != nil {
		h.fail(w, r, q.err)
		return
	}
	list, err := h.cfg.Chats.Tickets(r.Context(), f, h.reader(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := protocol.TicketList{Tickets: make([]protocol.Ticket, len(list))}
	for i := range list {
		out.Tickets[i] = ticketOf(&list[i])
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}

// ticketID is the ticket id of the path: an unparsable one is 0, which
// names no ticket.
func ticketID(r *http.Request) int64 {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return id
}

func (h *Handler) getTicket(w http.ResponseWriter, r *http.Request) {
	t, vals, err := h.cfg.Chats.Ticket(r.Context(), ticketID(r), h.reader(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, ticketDetail(t, vals))
}

// updateTicket serves PUT /api/Tickets/{id}: a new status and field
// values, each checked against its field's type (422 naming it; nothing
// changes then).
func (h *Handler) updateTicket(w http.ResponseWriter, r *http.Request) {
	var req protocol.TicketUpdate
	if !httpx.DecodeBody(w, r, h.cfg.MaxBodyBytes, &req) {
		return
	}
	t, vals, err := h.cfg.Chats.UpdateTicket(r.Context(), ticketID(r), chats.TicketChange{Status: req.Status, Fields: req.Fields}, h.reader(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, ticketDetail(t, vals))
}

// ticketDetail is a ticket with its field values as the API shows them.
func ticketDetail(t *store.Ticket, vals []store.TicketFieldValue) protocol.TicketDetail {
	out := protocol.TicketDetail{Ticket: ticketOf(t), Fields: []protocol.TicketField{}}
	for _, v := range vals {
		out.Fields = append(out.Fields, protocol.TicketField{FieldID: v.FieldID, Name: v.Name, Label: v.Label, Value: v.Value})
	}
	return out
}

// ticketOf is a ticket as the REST API shows it.
func ticketOf(t *store.Ticket) protocol.Ticket {
	return protocol.Ticket{ID: t.ID, TicketTypeID: t.TicketTypeID, UserID: t.UserID, ChatID: t.ChatID, Summary: t.Summary,
		Details: t.Details, Status: t.Status, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt}
}
