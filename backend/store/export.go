package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/uptrace/bun"
)

// UserData is everything stored about one user (GET /api/User/{id}/export),
// as rows: their chats oldest first, each chat's messages, values,
// rating and attachments by chat id, their tickets, and the mails the
// service queued about them (mailsOf).
type UserData struct {
	User         *User
	Chats        []Chat
	Messages     map[string][]Message
	Values       map[string][]ChatFieldValue
	Ratings      map[string]*ChatRating
	Attachments  map[string][]Attachment
	Tickets      []Ticket
	TicketValues map[int64][]TicketFieldValue
	Mails        []Mail
}

// ReadUserData reads everything stored about a user: ErrNotFound when
// there is no such user. One query a table: the chats' rows are read
// together, not a chat at a time. All of it is read in one read-only
// transaction — REPEATABLE READ on PostgreSQL, one snapshot of the WAL
// on SQLite — so a message (or chat, or ticket) written meanwhile is
// either wholly in the export or wholly out of it.
func (s *Store) ReadUserData(ctx context.Context, userID int64) (*UserData, error) {
	what := fmt.Sprintf("read the data of user %d", userID)
	opts := &sql.TxOptions{ReadOnly: true}
	if s.dialect == DialectPostgres {
		opts.Isolation = sql.LevelRepeatableRead
	}
	var d *UserData
	err := s.db.RunInTx(ctx, opts, func(ctx context.Context, tx bun.Tx) error {
		u, err := getBy[User](ctx, tx, fmt.Sprintf("get user %d", userID), "id", userID)
		if err != nil {
			return err
		}
		d = &UserData{User: u, Messages: map[string][]Message{}, Values: map[string][]ChatFieldValue{},
			Ratings: map[string]*ChatRating{}, Attachments: map[string][]Attachment{}, TicketValues: map[int64][]TicketFieldValue{}}
		if err := readUserChats(ctx, tx, what, userID, d); err != nil {
			return err
		}
		if err := readUserTickets(ctx, tx, what, userID, d); err != nil {
			return err
		}
		cond, args := mailsOf(u)
		d.Mails, err = list[Mail](ctx, tx, what+": mails", func(q *bun.SelectQuery) *bun.SelectQuery {
			return q.Where(cond, args...).OrderExpr("m.id")
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// readUserChats reads the chats of a user and what they hold into d.
func readUserChats(ctx context.Context, tx bun.Tx, what string, userID int64, d *UserData) error {
	ofChats := func(col string) func(*bun.SelectQuery) *bun.SelectQuery {
		return func(q *bun.SelectQuery) *bun.SelectQuery { return q.Where(col+" IN ("+chatsOfUser+")", userID) }
	}
	var err error
	if d.Chats, err = list[Chat](ctx, tx, what+": chats", func(q *bun.SelectQuery) *bun.SelectQuery {
		return q.Where("c.user_id = ?", userID).Order("c.started_at", "c.id")
	}); err != nil {
		return err
	}
	msgs, err := list[Message](ctx, tx, what+": messages", func(q *bun.SelectQuery) *bun.SelectQuery {
		return ofChats("m.chat_id")(q).Order("m.chat_id", "m.seq")
	})
	if err != nil {
		return err
	}
	for _, m := range msgs {
		d.Messages[m.ChatID] = append(d.Messages[m.ChatID], m)
	}
	values, err := list[ChatFieldValue](ctx, tx, what+": chat field values", func(q *bun.SelectQuery) *bun.SelectQuery {
		return ofChats("cfv.chat_id")(q.ColumnExpr("cfv.*").ColumnExpr("cf.name AS name, cf.label AS label").
			Join("JOIN custom_fields AS cf ON cf.id = cfv.field_id")).Order("cfv.chat_id", "cf.name")
	})
	if err != nil {
		return err
	}
	for _, v := range values {
		d.Values[v.ChatID] = append(d.Values[v.ChatID], v)
	}
	ratings, err := list[ChatRating](ctx, tx, what+": ratings", ofChats("cr.chat_id"))
	if err != nil {
		return err
	}
	for i := range ratings {
		d.Ratings[ratings[i].ChatID] = &ratings[i]
	}
	files, err := list[Attachment](ctx, tx, what+": attachments", func(q *bun.SelectQuery) *bun.SelectQuery {
		return ofChats("at.chat_id")(q).Order("at.chat_id", "at.seq")
	})
	if err != nil {
		return err
	}
	for _, a := range files {
		d.Attachments[a.ChatID] = append(d.Attachments[a.ChatID], a)
	}
	return nil
}

// readUserTickets reads the tickets of a user (logged for them or from
// their chats) and their field values into d.
func readUserTickets(ctx context.Context, tx bun.Tx, what string, userID int64, d *UserData) error {
	var err error
	if d.Tickets, err = list[Ticket](ctx, tx, what+": tickets", func(q *bun.SelectQuery) *bun.SelectQuery {
		return q.Where("t.id IN ("+ticketsOfUser+")", userID, userID).Order("t.id")
	}); err != nil {
		return err
	}
	values, err := list[TicketFieldValue](ctx, tx, what+": ticket field values", func(q *bun.SelectQuery) *bun.SelectQuery {
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
