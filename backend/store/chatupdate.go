package store

import (
	"context"
	"fmt"
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
	return s.conditional(ctx, q, what, chatID)
}

// conditional runs a conditional chat UPDATE and reports whether it
// touched the row; ErrNotFound when the chat does not exist at all.
func (s *Store) conditional(ctx context.Context, q *bun.UpdateQuery, what, chatID string) (bool, error) {
	res, err := s.execWrite(ctx, q)
	if err != nil {
		return false, wrap(err, what)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("%s: rows affected: %w", what, err)
	}
	if n > 0 {
		return true, nil
	}
	if err := chatExists(ctx, s.db, what, chatID); err != nil {
		return false, err
	}
	return false, nil
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
	q, err := applyChatUpdate(what, q, a.Update)
	if err != nil {
		return res, err
	}
	r, err := q.Exec(ctx)
	if err != nil {
		return res, wrap(err, what)
	}
	n, err := r.RowsAffected()
	if err != nil {
		return res, fmt.Errorf("%s: rows affected: %w", what, err)
	}
	if n == 0 {
		return res, chatExists(ctx, tx, what, chatID)
	}
	if len(a.Messages) > 0 {
		stored, _, err := s.appendTx(ctx, tx, what, chatID, a.Messages)
		if err != nil {
			return res, err
		}
		res.Messages = stored
	}
	c, err := getOne[Chat](ctx, tx, what, func(q *bun.SelectQuery) *bun.SelectQuery {
		return q.Where("c.id = ?", chatID)
	})
	if err != nil {
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

// applyChatUpdate adds u's SET clauses to q.
func applyChatUpdate(what string, q *bun.UpdateQuery, u ChatUpdate) (*bun.UpdateQuery, error) {
	if err := checkChatUpdate(what, u); err != nil {
		return nil, err
	}
	if u.Status != nil {
		q = q.Set("status = ?", *u.Status)
	}
	if u.ResumeSecretHash != nil {
		q = q.Set("resume_secret_hash = ?", *u.ResumeSecretHash)
	}
	if u.EndReason != nil {
		q = q.Set("end_reason = ?", *u.EndReason)
	}
	if u.AgentID != nil {
		q = q.Set("agent_id = ?", nullID(*u.AgentID))
	}
	if u.UserID != nil {
		q = q.Set("user_id = ?", nullID(*u.UserID))
	}
	if u.TicketID != nil {
		q = q.Set("ticket_id = ?", nullID(*u.TicketID))
	}
	if u.QueuedAt != nil {
		q = q.Set("queued_at = ?", nullTime(*u.QueuedAt))
	}
	if u.AcceptedAt != nil {
		q = q.Set("accepted_at = ?", nullTime(*u.AcceptedAt))
	}
	if u.EndedAt != nil {
		q = q.Set("ended_at = ?", nullTime(*u.EndedAt))
	}
	if u.Authenticated != nil {
		q = q.Set("authenticated = ?", *u.Authenticated)
	}
	if u.StartStep != nil {
		q = q.Set("start_step = ?", *u.StartStep)
	}
	if u.FlowState != nil {
		q = q.Set("flow_state = ?", *u.FlowState)
	}
	return q, nil
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

// applyTo sets the columns u names on c (after checkChatUpdate).
func (u ChatUpdate) applyTo(c *Chat) {
	set := func(dst *time.Time, src *time.Time) {
		if src != nil {
			*dst = src.UTC().Truncate(time.Microsecond)
		}
	}
	if u.Status != nil {
		c.Status = *u.Status
	}
	if u.ResumeSecretHash != nil {
		c.ResumeSecretHash = *u.ResumeSecretHash
	}
	if u.EndReason != nil {
		c.EndReason = *u.EndReason
	}
	if u.AgentID != nil {
		c.AgentID = *u.AgentID
	}
	if u.UserID != nil {
		c.UserID = *u.UserID
	}
	if u.TicketID != nil {
		c.TicketID = *u.TicketID
	}
	set(&c.QueuedAt, u.QueuedAt)
	set(&c.AcceptedAt, u.AcceptedAt)
	set(&c.EndedAt, u.EndedAt)
	if u.Authenticated != nil {
		c.Authenticated = *u.Authenticated
	}
	if u.StartStep != nil {
		c.StartStep = *u.StartStep
	}
	if u.FlowState != nil {
		c.FlowState = *u.FlowState
	}
}
