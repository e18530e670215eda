package store

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// ChatUpdate names the chat columns UpdateChat changes; nil leaves a column
// alone. For the nullable ids, a pointer to 0 clears the column; for the
// times, a pointer to the zero time clears it.
type ChatUpdate struct {
	Status           *string
	AgentID          *int64
	UserID           *int64
	Authenticated    *bool
	FlowState        *RawJSON
	StartStep        *int64
	ResumeSecretHash *string
	QueuedAt         *time.Time
	AcceptedAt       *time.Time
	EndedAt          *time.Time
	EndReason        *string
	TicketID         *int64
	TeamID           *int64
	OfferedAt        *time.Time
}

// UpdateChat applies u to the chat if its status is expectStatus (any
// status when expectStatus is ""). It reports whether the chat was updated:
// false means the status did not match; ErrNotFound means no such chat.
func (s *Store) UpdateChat(ctx context.Context, chatID, expectStatus string, u ChatUpdate) (bool, error) {
	what := fmt.Sprintf("update chat %q", chatID)
	if err := checkText(what, "chat id", chatID); err != nil {
		return false, err
	}
	q := s.db.NewUpdate().Model((*Chat)(nil)).Set("updated_at = ?", s.Now()).Where("id = ?", chatID)
	if expectStatus != "" {
		q = q.Where("status = ?", expectStatus)
	}
	q, err := applyChatUpdate(what, q, u)
	if err != nil {
		return false, err
	}
	res, err := s.execWrite(ctx, q)
	return chatMatched(ctx, s.db, what, chatID, res, err)
}

// chatMatched reports whether a conditional UPDATE of chat chatID, run
// with db, touched its row; when it did not, ErrNotFound if the chat does
// not exist at all (a condition that failed is false, no error). Every
// move of a chat is such an update, and its callers tell "lost" from
// "gone" alike.
func chatMatched(ctx context.Context, db bun.IDB, what, chatID string, res sql.Result, err error) (bool, error) {
	n, err := rowsAffected(res, err, what)
	if err != nil || n > 0 {
		return err == nil, err
	}
	return false, chatExists(ctx, db, what, chatID)
}

// ChatAdvance is one move of a chat's runtime, committed as a whole by
// AdvanceChat: a conditional update of the chat row and the messages
// that go with it.
type ChatAdvance struct {
	// ExpectState, when CheckState is set, is the flow state the chat
	// must still hold (compare-and-swap: two nodes moving one chat's flow
	// cannot both win).
	CheckState  bool
	ExpectState RawJSON
	// ExpectStatus, when set, is the status the chat must have.
	ExpectStatus string
	// NotEnded requires the chat not to have ended.
	NotEnded bool
	// ExpectAgentID, when set, is the agent the chat must be with.
	ExpectAgentID int64
	// Taker, when set, is an agent the chat must be open to: offered to
	// nobody else, and of no team or of one Taker is a member of.
	Taker int64
	// WithinCap, with Update.AgentID set, gives the chat to that agent
	// only while they hold fewer open chats (live, or offered to them)
	// than their cap, this one aside. The agent's row is locked first, so
	// that two transactions giving chats to one agent count one after the
	// other (PostgreSQL's READ COMMITTED reads each statement afresh).
	WithinCap bool
	// HeldBy, when set, is the agent the chat must be with, or none (0):
	// an offer moves on only from the agent it was offered to.
	HeldBy *int64
	// Transfer, when set, makes the advance's event chat.transferred
	// from that agent (-1: from nobody, e.g. the queue).
	Transfer int64
	// Update is applied to the chat row (nil fields are left alone).
	Update ChatUpdate
	// Messages are appended after the update, in order.
	Messages []Message
}

// AdvanceResult is what AdvanceChat did.
type AdvanceResult struct {
	// Applied is false when a condition did not hold (nothing written).
	Applied bool
	// Duplicate is the stored message when a message's ClientMsgID was
	// already stored for the chat: nothing is written then (a resend).
	Duplicate *Message
	// Messages are the appended messages with their seqs.
	Messages []Message
	// Chat is the chat row after the update.
	Chat *Chat
}

// AdvanceChat applies a in one transaction. When a message of a carries
// a ClientMsgID already stored for the chat, nothing is written and the
// stored message is returned as Duplicate. When a condition fails,
// nothing is written and Applied is false. ErrNotFound when the chat does
// not exist.
func (s *Store) AdvanceChat(ctx context.Context, chatID string, a ChatAdvance) (AdvanceResult, error) {
	what := fmt.Sprintf("advance chat %q", chatID)
	var res AdvanceResult
	if err := checkText(what, "chat id", chatID); err != nil {
		return res, err
	}
	if err := checkAdvance(what, &a); err != nil {
		return res, err
	}
	err := s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		res, err = s.advanceTx(ctx, tx, what, chatID, a)
		return err
	})
	if err != nil {
		return AdvanceResult{}, err
	}
	return res, nil
}

// advanceTx is AdvanceChat's work inside transaction tx.
func (s *Store) advanceTx(ctx context.Context, tx bun.Tx, what, chatID string, a ChatAdvance) (AdvanceResult, error) {
	var res AdvanceResult
	if ids := clientIDs(a.Messages); len(ids) > 0 {
		var rows []Message
		if err := tx.NewSelect().Model(&rows).Where("m.chat_id = ?", chatID).
			Where("m.client_msg_id IN (?)", bun.List(ids)).Order("m.seq").Limit(1).Scan(ctx); err != nil {
			return res, wrap(err, what)
		}
		if len(rows) > 0 {
			utcTimes(&rows[0])
			res.Duplicate = &rows[0]
			return res, nil
		}
	}
	q := tx.NewUpdate().Model((*Chat)(nil)).Set("updated_at = ?", s.Now()).Where("id = ?", chatID)
	q, err := s.routeConds(ctx, tx, what, chatID, q, &a)
	if err != nil {
		return res, err
	}
	if a.CheckState {
		q = q.Where("flow_state = ?", string(a.ExpectState))
	}
	if a.ExpectStatus != "" {
		q = q.Where("status = ?", a.ExpectStatus)
	}
	if a.NotEnded {
		q = q.Where("status <> ?", ChatEnded)
	}
	if a.ExpectAgentID != 0 {
		q = q.Where("agent_id = ?", a.ExpectAgentID)
	}
	q, err = applyChatUpdate(what, q, a.Update)
	if err != nil {
		return res, err
	}
	r, err := q.Exec(ctx)
	if ok, err := chatMatched(ctx, tx, what, chatID, r, err); !ok {
		return res, err
	}
	if len(a.Messages) > 0 {
		stored, _, err := s.appendTx(ctx, tx, what, chatID, a.Messages)
		if err != nil {
			return res, err
		}
		res.Messages = stored
	}
	c, err := getBy[Chat](ctx, tx, what, "id", chatID)
	if err != nil {
		return res, err
	}
	// The messages' events are appendTx's; the change of status comes
	// after them (an end's last words before chat.ended).
	events, err := advanceEvents(c, a.Update, nil, c.UpdatedAt)
	if a.Transfer != 0 && err == nil {
		events, err = transferEvents(c, a.Transfer, c.UpdatedAt)
	}
	if err != nil {
		return res, err
	}
	if err := s.recordEvents(ctx, tx, what, c.UpdatedAt, events); err != nil {
		return res, err
	}
	res.Chat = c
	res.Applied = true
	return res, nil
}

// checkAdvance checks what an advance would store.
func checkAdvance(what string, a *ChatAdvance) error {
	for i := range a.Messages {
		m := &a.Messages[i]
		if err := oneOf(what, "sender", m.Sender, SenderVisitor, SenderBot, SenderAgent, SenderSystem); err != nil {
			return err
		}
		if err := checkModel(what, m); err != nil {
			return err
		}
	}
	return checkModel(what, &a.Update)
}

// applyChatUpdate makes q, an UPDATE of chats, write the columns u names
// (q's model becomes a Chat holding u's values, which bun writes as it
// writes any Chat: NULL for a cleared id or time).
func applyChatUpdate(what string, q *bun.UpdateQuery, u ChatUpdate) (*bun.UpdateQuery, error) {
	if err := checkChatUpdate(what, u); err != nil {
		return nil, err
	}
	row := new(Chat)
	return q.Model(row).Column(u.applyTo(row)...), nil
}

// checkChatUpdate checks the values u would store.
func checkChatUpdate(what string, u ChatUpdate) error {
	if u.Status != nil {
		if err := oneOf(what, "status", *u.Status, ChatBot, ChatQueued, ChatLive, ChatEnded); err != nil {
			return err
		}
	}
	if u.ResumeSecretHash != nil {
		if err := checkText(what, "resume_secret_hash", *u.ResumeSecretHash); err != nil {
			return err
		}
	}
	if u.EndReason != nil {
		if err := checkText(what, "end_reason", *u.EndReason); err != nil {
			return err
		}
	}
	if u.FlowState != nil {
		if err := checkText(what, "flow state", string(*u.FlowState)); err != nil {
			return err
		}
	}
	return nil
}

// applyTo sets the fields of c that u names (after checkChatUpdate),
// times in UTC to the microsecond as both databases keep them, and
// returns their columns. Each field of ChatUpdate is named after the
// field of Chat it sets (TestChatUpdateFieldsAreChatFields), so that one
// loop, not a statement per field, writes an update and mirrors it.
func (u ChatUpdate) applyTo(c *Chat) []string {
	uv, cv := reflect.ValueOf(u), reflect.ValueOf(c).Elem()
	var cols []string
	for i := range uv.NumField() {
		if uv.Field(i).IsNil() {
			continue
		}
		v := uv.Field(i).Elem()
		if t, ok := v.Interface().(time.Time); ok {
			v = reflect.ValueOf(t.UTC().Truncate(time.Microsecond))
		}
		f, _ := cv.Type().FieldByName(uv.Type().Field(i).Name)
		cv.FieldByIndex(f.Index).Set(v)
		cols = append(cols, strings.Split(f.Tag.Get("bun"), ",")[0])
	}
	return cols
}

// routeConds adds a's Taker and WithinCap conditions to q, an UPDATE of
// chat chatID in tx, locking the capped agent's row first.
func (s *Store) routeConds(ctx context.Context, tx bun.Tx, what, chatID string, q *bun.UpdateQuery, a *ChatAdvance) (*bun.UpdateQuery, error) {
	if a.Taker != 0 {
		q = q.Where("(agent_id IS NULL OR agent_id = ?)", a.Taker).
			Where("(team_id IS NULL OR team_id IN (SELECT tm.team_id FROM team_members AS tm WHERE tm.agent_id = ?))", a.Taker)
	}
	if a.HeldBy != nil && *a.HeldBy == 0 {
		q = q.Where("agent_id IS NULL")
	} else if a.HeldBy != nil {
		q = q.Where("agent_id = ?", *a.HeldBy)
	}
	if !a.WithinCap {
		return q, nil
	}
	if a.Update.AgentID == nil || *a.Update.AgentID == 0 {
		return nil, invalid(what, "a capped advance names no agent")
	}
	agent := *a.Update.AgentID
	if _, err := tx.NewUpdate().Model((*Agent)(nil)).Set("max_chats = max_chats").Where("id = ?", agent).Exec(ctx); err != nil {
		return nil, wrap(err, what+": lock the agent")
	}
	return q.Where(`(SELECT count(*) FROM chats AS oc WHERE oc.agent_id = ? AND oc.status IN (?, ?) AND oc.id <> ?) <
	(SELECT ca.max_chats FROM agents AS ca WHERE ca.id = ?)`, agent, ChatQueued, ChatLive, chatID, agent), nil
}
