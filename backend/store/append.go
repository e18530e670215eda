package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// AppendCond is the condition under which AppendIf appends.
type AppendCond struct {
	// ExpectStatus, when set, is the status the chat must have.
	ExpectStatus string
	// NotEnded requires the chat not to have ended.
	NotEnded bool
	// AgentID, when set, is the agent the chat must be with.
	AgentID int64
}

// AppendIf appends one message to the chat when cond holds: what
// AdvanceChat does for a lone message with no change to the chat row,
// with the same results (Applied false when cond fails, Duplicate for a
// client message id already stored) except that Chat is not read and a
// resend is found only while cond holds (when it fails, Applied is false
// whether or not the message was stored before).
//
// On PostgreSQL it is one statement: the chat's row lock numbers the
// message and the insert uses that number, and a statement is atomic, so
// a resend's unique violation gives the number back. That is one round
// trip where the transaction takes seven. Under load the statements of
// many chats' messages commit together (appendBatcher): one round trip
// and one commit for a batch (docs/BENCHMARKS.md).
func (s *Store) AppendIf(ctx context.Context, chatID string, cond AppendCond, m Message) (AdvanceResult, error) {
	if s.dialect != DialectPostgres {
		// SQLite: a read first, so that a condition that fails does not
		// take the database's one write turn; the transaction checks it
		// again.
		c, err := s.GetChat(ctx, chatID)
		if err != nil {
			return AdvanceResult{}, err
		}
		if (cond.ExpectStatus != "" && c.Status != cond.ExpectStatus) || (cond.NotEnded && c.Status == ChatEnded) ||
			(cond.AgentID != 0 && c.AgentID != cond.AgentID) {
			return AdvanceResult{}, nil
		}
		return s.AdvanceChat(ctx, chatID, ChatAdvance{ExpectStatus: cond.ExpectStatus, NotEnded: cond.NotEnded,
			ExpectAgentID: cond.AgentID, Messages: []Message{m}})
	}
	what := fmt.Sprintf("append a message to chat %q", chatID)
	var res AdvanceResult
	st, err := s.appendStatement(chatID, cond, &m)
	if err != nil {
		return res, err
	}
	m.Seq, err = s.commit(ctx, st)
	switch {
	case err == nil:
		res.Applied, res.Messages = true, []Message{m}
		return res, nil
	case errors.Is(err, sql.ErrNoRows):
		// The chat does not exist, or cond does not hold.
		return res, chatExists(ctx, s.db, what, chatID)
	case isConstraint(err) && m.ClientMsgID != "":
		dup, derr := s.MessageByClientID(ctx, chatID, m.ClientMsgID)
		if derr != nil {
			return res, fmt.Errorf("%s: %w (after %v)", what, derr, err)
		}
		res.Duplicate = dup
		return res, nil
	default:
		return res, wrap(err, what)
	}
}

// appendStatement checks m and sets its chat and time, and returns the
// PostgreSQL statement that appends it when cond holds.
func (s *Store) appendStatement(chatID string, cond AppendCond, m *Message) (batchStmt, error) {
	what := fmt.Sprintf("append a message to chat %q", chatID)
	if err := checkText(what, "chat id", chatID); err != nil {
		return batchStmt{}, err
	}
	if err := oneOf(what, "sender", m.Sender, SenderVisitor, SenderBot, SenderAgent, SenderSystem); err != nil {
		return batchStmt{}, err
	}
	if err := checkModel(what, m); err != nil {
		return batchStmt{}, err
	}
	m.ChatID, m.CreatedAt = chatID, s.Now()
	var agentID sql.NullInt64
	if m.AgentID != 0 {
		agentID = sql.NullInt64{Int64: m.AgentID, Valid: true}
	}
	var clientID sql.NullString
	if m.ClientMsgID != "" {
		clientID = sql.NullString{String: m.ClientMsgID, Valid: true}
	}
	cmp, status := "<>", ChatEnded
	if cond.ExpectStatus != "" {
		cmp, status = "=", cond.ExpectStatus
	}
	if !cond.NotEnded && cond.ExpectStatus == "" {
		cmp, status = "<>", "" // any status
	}
	// A prepared statement (the message pool's connections cache it):
	// planning this statement anew each time cost a third of its rate in
	// pgbench. Its text varies only with the condition, so few are cached.
	agentCond := ""
	args := []any{m.CreatedAt, chatID, status, m.Sender, agentID, clientID, m.Text, m.Payload}
	if cond.AgentID != 0 {
		agentCond = " AND agent_id = $9"
		args = append(args, cond.AgentID)
	}
	return batchStmt{chatID: chatID, args: args, sql: `WITH c AS (
	UPDATE chats SET last_seq = last_seq + 1, updated_at = $1 WHERE id = $2 AND status ` + cmp + ` $3` + agentCond + ` RETURNING last_seq
)
INSERT INTO messages (chat_id, seq, sender, agent_id, client_msg_id, text, payload, created_at)
SELECT $2, c.last_seq, $4, $5, $6, $7, $8, $1 FROM c
RETURNING seq`}, nil
}
