package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/uptrace/bun"

	"halochat/app/protocol"
)

// Erasure is what EraseUser removed. Files are the ids of the removed
// attachments kept in the files directory (--files): the caller removes
// them once the transaction has committed.
type Erasure struct {
	protocol.UserErasure
	Files []string
}

// ErasedSummary is what an erased ticket's summary becomes: the ticket's
// number, status and times stay for the desk's reports.
const ErasedSummary = "[erased]"

// chatsOfUser selects the ids of a user's chats (the argument).
const chatsOfUser = `SELECT c.id FROM chats AS c WHERE c.user_id = ?`

// ticketsOfUser selects the ids of the tickets logged for a user or from
// one of their chats (the user's id, twice).
const ticketsOfUser = `SELECT t.id FROM tickets AS t WHERE t.user_id = ? OR t.chat_id IN (` + chatsOfUser + `)`

// EraseUser removes a person's personal data in one transaction: the
// user's fields (the row stays, emptied and disabled, so that counts and
// ticket numbers keep it), the messages they wrote and the files they
// attached, the custom-field values and e-mail hints of their chats,
// their ratings' comments (scores stay), the summaries, transcripts and
// field values of their tickets (numbers and statuses stay), the
// ChatMatchingData naming their e-mail address or external id, the
// delivered webhook events of their chats and tickets, the mails of the
// outbox about them or to them (mailsOf: transcripts, notifications of
// their offline messages; sent or not), and their portal sessions. It
// records the user.erased webhook event in the same
// transaction. ErrNotFound when there is no such user.
func (s *Store) EraseUser(ctx context.Context, userID int64) (*Erasure, error) {
	what := fmt.Sprintf("erase user %d", userID)
	out := &Erasure{UserErasure: protocol.UserErasure{UserID: userID}}
	err := s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		*out = Erasure{UserErasure: protocol.UserErasure{UserID: userID}} // a retried transaction starts over
		u := new(User)
		if err := tx.NewSelect().Model(u).Where("u.id = ?", userID).Scan(ctx); err != nil {
			return wrap(err, what)
		}
		n, err := tx.NewSelect().Model((*Chat)(nil)).Where("c.user_id = ?", userID).Count(ctx)
		if err != nil {
			return wrap(err, what)
		}
		out.Chats = int64(n)
		if err := tx.NewSelect().Model((*Attachment)(nil)).Column("id").Where("in_dir").
			Where("sender = ?", SenderVisitor).Where("chat_id IN ("+chatsOfUser+")", userID).Scan(ctx, &out.Files); err != nil {
			return wrap(err, what+": list the files")
		}
		if err := s.eraseRows(ctx, tx, what, userID, out); err != nil {
			return err
		}
		if out.MatchingData, err = eraseMatchingData(ctx, tx, what, u); err != nil {
			return err
		}
		cond, args := mailsOf(u)
		res, err := tx.NewDelete().Model((*Mail)(nil)).Where(cond, args...).Exec(ctx)
		if out.Mails, err = rowsAffected(res, err, what+": delete mails"); err != nil {
			return err
		}
		now := s.Now()
		if _, err := tx.NewUpdate().Model((*User)(nil)).
			Set("external_id = NULL, email = NULL, hint_email = NULL").
			Set("username = '', first_name = '', last_name = '', phone = '', password_hash = ''").
			Set("disabled = ?", true).Set("updated_at = ?", now).
			Where("id = ?", userID).Exec(ctx); err != nil {
			return wrap(err, what)
		}
		ev, err := newEvent(randomEventID(), protocol.WebhookUserErased, "user:"+strconv.FormatInt(userID, 10), now,
			protocol.WebhookUserErasedData{UserID: userID})
		if err != nil {
			return err
		}
		return s.recordEvents(ctx, tx, what, now, []outboxEvent{ev})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// eraseRows runs EraseUser's deletes and updates, counting what each
// removed into out.
func (s *Store) eraseRows(ctx context.Context, tx bun.Tx, what string, userID int64, out *Erasure) error {
	steps := []struct {
		into  *int64
		query string
		args  []any
	}{
		// The visitor's attachments (their chunks go with them), then the
		// messages they wrote, those carrying the files included.
		{&out.Attachments, `DELETE FROM attachments WHERE sender = ? AND chat_id IN (` + chatsOfUser + `)`, []any{SenderVisitor, userID}},
		{&out.Messages, `DELETE FROM messages WHERE sender = ? AND chat_id IN (` + chatsOfUser + `)`, []any{SenderVisitor, userID}},
		{&out.ChatFieldValues, `DELETE FROM chat_field_values WHERE chat_id IN (` + chatsOfUser + `)`, []any{userID}},
		{&out.RatingComments, `UPDATE chat_ratings SET comment = '' WHERE comment <> '' AND chat_id IN (` + chatsOfUser + `)`, []any{userID}},
		// An ended chat's flow state holds the answers given to the bot.
		{nil, `UPDATE chats SET email_hint = '', flow_state = CASE WHEN status = ? THEN '' ELSE flow_state END WHERE user_id = ?`, []any{ChatEnded, userID}},
		{&out.TicketFieldValues, `DELETE FROM ticket_field_values WHERE ticket_id IN (` + ticketsOfUser + `)`, []any{userID, userID}},
		{&out.WebhookDeliveries, `DELETE FROM webhook_deliveries WHERE status <> 'pending' AND (chain IN (` + chatsOfUser +
			`) OR chain IN (SELECT 'ticket:' || CAST(t.id AS TEXT) FROM tickets AS t WHERE t.user_id = ? OR t.chat_id IN (` + chatsOfUser + `)))`,
			[]any{userID, userID, userID}},
		{&out.Tickets, `UPDATE tickets SET summary = ?, details = '', updated_at = ? WHERE id IN (` + ticketsOfUser + `)`,
			[]any{ErasedSummary, s.Now(), userID, userID}},
		{&out.PortalSessions, `DELETE FROM portal_sessions WHERE user_id = ?`, []any{userID}},
	}
	for _, st := range steps {
		res, err := tx.ExecContext(ctx, st.query, st.args...)
		n, err := rowsAffected(res, err, what)
		if err != nil {
			return err
		}
		if st.into != nil {
			*st.into = n
		}
	}
	return nil
}

// eraseMatchingData deletes the ChatMatchingData items whose content
// names u: a string value anywhere in it equal (ignoring case) to the
// user's e-mail address, hint address or external id. The items live a
// day at most (MatchingDataTTL), so the table stays small.
func eraseMatchingData(ctx context.Context, tx bun.Tx, what string, u *User) (int64, error) {
	var names []string
	for _, v := range []string{u.Email, u.HintEmail, u.ExternalID} {
		if v = strings.TrimSpace(v); v != "" {
			names = append(names, v)
		}
	}
	if len(names) == 0 {
		return 0, nil
	}
	var items []MatchingData
	if err := tx.NewSelect().Model(&items).Column("guid", "content").Scan(ctx); err != nil {
		return 0, wrap(err, what+": read ChatMatchingData")
	}
	var guids []string
	for _, it := range items {
		var content any
		if json.Unmarshal(it.Content, &content) == nil && mentions(content, names) {
			guids = append(guids, it.GUID)
		}
	}
	if len(guids) == 0 {
		return 0, nil
	}
	res, err := tx.NewDelete().Model((*MatchingData)(nil)).Where("guid IN (?)", bun.List(guids)).Exec(ctx)
	return rowsAffected(res, err, what+": delete ChatMatchingData")
}

// mentions reports whether a decoded JSON value holds one of names as a
// string (ignoring case), at any depth.
func mentions(v any, names []string) bool {
	switch v := v.(type) {
	case string:
		for _, n := range names {
			if strings.EqualFold(strings.TrimSpace(v), n) {
				return true
			}
		}
	case []any:
		for _, e := range v {
			if mentions(e, names) {
				return true
			}
		}
	case map[string]any:
		for _, e := range v {
			if mentions(e, names) {
				return true
			}
		}
	}
	return false
}
