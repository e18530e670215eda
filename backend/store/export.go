package store

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"
)

// UserData is everything stored about one user (GET /api/User/{id}/export),
// as rows: their chats oldest first, each chat's messages, values,
// rating and attachments by chat id, and their tickets.
type UserData struct {
	User         *User
	Chats        []Chat
	Messages     map[string][]Message
	Values       map[string][]ChatFieldValue
	Ratings      map[string]*ChatRating
	Attachments  map[string][]Attachment
	Tickets      []Ticket
	TicketValues map[int64][]TicketFieldValue
}

// ReadUserData reads everything stored about a user: ErrNotFound when
// there is no such user. One query a table: the chats' rows are read
// together, not a chat at a time.
func (s *Store) ReadUserData(ctx context.Context, userID int64) (*UserData, error) {
	what := fmt.Sprintf("read the data of user %d", userID)
	u, err := s.GetUser(ctx, userID)
	if err != nil {
		return nil, err
	}
	d := &UserData{User: u, Messages: map[string][]Message{}, Values: map[string][]ChatFieldValue{},
		Ratings: map[string]*ChatRating{}, Attachments: map[string][]Attachment{}, TicketValues: map[int64][]TicketFieldValue{}}
	ofChats := func(col string) func(*bun.SelectQuery) *bun.SelectQuery {
		return func(q *bun.SelectQuery) *bun.SelectQuery { return q.Where(col+" IN ("+chatsOfUser+")", userID) }
	}
	if d.Chats, err = list[Chat](ctx, s.db, what+": chats", func(q *bun.SelectQuery) *bun.SelectQuery {
		return q.Where("c.user_id = ?", userID).Order("c.started_at", "c.id")
	}); err != nil {
		return nil, err
	}
	msgs, err := list[Message](ctx, s.db, what+": messages", func(q *bun.SelectQuery) *bun.SelectQuery {
		return ofChats("m.chat_id")(q).Order("m.chat_id", "m.seq")
	})
	if err != nil {
		return nil, err
	}
	for _, m := range msgs {
		d.Messages[m.ChatID] = append(d.Messages[m.ChatID], m)
	}
	values, err := list[ChatFieldValue](ctx, s.db, what+": chat field values", func(q *bun.SelectQuery) *bun.SelectQuery {
		return ofChats("cfv.chat_id")(q.ColumnExpr("cfv.*").ColumnExpr("cf.name AS name, cf.label AS label").
			Join("JOIN custom_fields AS cf ON cf.id = cfv.field_id")).Order("cfv.chat_id", "cf.name")
	})
	if err != nil {
		return nil, err
	}
	for _, v := range values {
		d.Values[v.ChatID] = append(d.Values[v.ChatID], v)
	}
	ratings, err := list[ChatRating](ctx, s.db, what+": ratings", ofChats("cr.chat_id"))
	if err != nil {
		return nil, err
	}
	for i := range ratings {
		d.Ratings[ratings[i].ChatID] = &ratings[i]
	}
	files, err := list[Attachment](ctx, s.db, what+": attachments", func(q *bun.SelectQuery) *bun.SelectQuery {
		return ofChats("at.chat_id")(q).Order("at.chat_id", "at.seq")
	})
	if err != nil {
		return nil, err
	}
	for _, a := range files {
		d.Attachments[a.ChatID] = append(d.Attachments[a.ChatID], a)
	}
	return d, s.readUserTickets(ctx, what, userID, d)
}

// readUserTickets reads the tickets of a user (logged for them or from
// their chats) and their field values into d.
func (s *Store) readUserTickets(ctx context.Context, what string, userID int64, d *UserData) error {
	var err error
	if d.Tickets, err = list[Ticket](ctx, s.db, what+": tickets", func(q *bun.SelectQuery) *bun.SelectQuery {
		return q.Where("t.id IN ("+ticketsOfUser+")", userID, userID).Order("t.id")
	}); err != nil {
		return err
	}
	values, err := list[TicketFieldValue](ctx, s.db, what+": ticket field values", func(q *bun.SelectQuery) *bun.SelectQuery {
		return q.ColumnExpr("tfv.*").ColumnExpr("cf.name AS name, cf.label AS label").
			Join("JOIN custom_fields AS cf ON cf.id = tfv.field_id").
			Where("tfv.ticket_id IN ("+ticketsOfUser+")", userID, userID).Order("tfv.ticket_id", "cf.name")
	})
	if err != nil {
		return err
	}
	for _, v := range values {
		d.TicketValues[v.TicketID] = append(d.TicketValues[v.TicketID], v)
	}
	return nil
}
