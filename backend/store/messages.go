package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"halochat/app/protocol"
)

// Message senders.
const (
	SenderVisitor = "visitor"
	SenderBot     = "bot"
	SenderAgent   = "agent"
	SenderSystem  = "system"
)

// Message is one message of a chat. (ChatID, Seq) is its key: Seq numbers
// a chat's messages 1, 2, 3, … without gaps, in commit order.
type Message struct {
	bun.BaseModel `bun:"table:messages,alias:m"`

	ChatID      string  `bun:"chat_id,pk"`
	Seq         int64   `bun:"seq,pk"` // set by the store
	Sender      string  `bun:"sender"` // Sender* constant
	AgentID     int64   `bun:"agent_id,nullzero"`
	ClientMsgID string  `bun:"client_msg_id,nullzero"` // the sender's id for idempotent resends; unique per chat
	Text        string  `bun:"text"`
	Payload     RawJSON `bun:"payload"` // choices etc., opaque JSON
	// Internal marks an agent's note: agents read it, the visitor never.
	Internal  bool      `bun:"internal"`
	CreatedAt time.Time `bun:"created_at"` // set by the store
}

// appendAttempts bounds the retries of an append that lost a race on a
// client message id.
const appendAttempts = 5

// AppendMessage stores msg as the chat's next message, in one transaction:
// UPDATE chats SET last_seq = last_seq + 1 … RETURNING last_seq, then the
// insert with that seq. When msg.ClientMsgID is set and a message with that
// id is already stored for the chat, the stored message is returned with
// created false and no seq is used (an idempotent resend), also when two
// sends of the same id race. ErrNotFound when the chat does not exist.
func (s *Store) AppendMessage(ctx context.Context, msg Message) (Message, bool, error) {
	out, created, err := s.appendMessages(ctx, msg.ChatID, []Message{msg})
	if err != nil {
		return Message{}, false, err
	}
	return out[0], created[0], nil
}

// appendMessages stores msgs as the chat's next messages, in order and in
// one transaction (e.g. a visitor message with the bot's replies). Each
// message's ChatID is set to chatID. As with AppendMessage, a message whose
// ClientMsgID is already stored is not stored again: stored[i] is then the
// earlier row and created[i] false.
func (s *Store) appendMessages(ctx context.Context, chatID string, msgs []Message) (stored []Message, created []bool, err error) {
	what := fmt.Sprintf("append messages to chat %q", chatID)
	if len(msgs) == 0 {
		return nil, nil, nil
	}
	if err := checkText(what, "chat id", chatID); err != nil {
		return nil, nil, err
	}
	for i := range msgs {
		m := &msgs[i]
		if err := oneOf(what, "sender", m.Sender, SenderVisitor, SenderBot, SenderAgent, SenderSystem); err != nil {
			return nil, nil, err
		}
		if err := checkModel(what, m); err != nil {
			return nil, nil, err
		}
	}
	for range appendAttempts {
		err = s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
			var err error
			stored, created, err = s.appendTx(ctx, tx, what, chatID, msgs)
			return err
		})
		if !errors.Is(err, errRetry) {
			break
		}
	}
	if err != nil {
		if errors.Is(err, errRetry) {
			err = fmt.Errorf("%s: gave up after %d races on a client message id", what, appendAttempts)
		}
		return nil, nil, err
	}
	return stored, created, nil
}

// clientIDs returns the client message ids of msgs that carry one.
func clientIDs(msgs []Message) []string {
	var ids []string
	for _, m := range msgs {
		if m.ClientMsgID != "" {
			ids = append(ids, m.ClientMsgID)
		}
	}
	return ids
}

// storedByClientID returns the chat's messages already stored under
// these client ids, by client id.
func storedByClientID(ctx context.Context, db bun.IDB, what, chatID string, ids []string) (map[string]Message, error) {
	known := map[string]Message{}
	if len(ids) == 0 {
		return known, nil
	}
	var rows []Message
	if err := db.NewSelect().Model(&rows).Where("m.chat_id = ?", chatID).
		Where("m.client_msg_id IN (?)", bun.List(ids)).Scan(ctx); err != nil {
		return nil, wrap(err, what)
	}
	for _, r := range rows {
		utcTimes(&r)
		known[r.ClientMsgID] = r
	}
	return known, nil
}

// appendTx is appendMessages' work inside transaction tx: messages whose
// client id is stored already are answered from the rows, the others
// take the chat's next seqs. errRetry when a concurrent send stored one
// of the client ids first.
func (s *Store) appendTx(ctx context.Context, tx bun.Tx, what, chatID string, msgs []Message) ([]Message, []bool, error) {
	known, err := storedByClientID(ctx, tx, what, chatID, clientIDs(msgs))
	if err != nil {
		return nil, nil, err
	}
	stored := make([]Message, len(msgs))
	created := make([]bool, len(msgs))
	var fresh []int // indexes of msgs to insert
	batch := map[string]int{}
	for i, m := range msgs {
		if m.ClientMsgID != "" {
			if r, ok := known[m.ClientMsgID]; ok {
				stored[i] = r
				continue
			}
			if j, ok := batch[m.ClientMsgID]; ok { // the same id twice in one batch
				stored[i] = msgs[j]
				stored[i].Seq = -1 - int64(j) // patched below
				continue
			}
			batch[m.ClientMsgID] = i
		}
		fresh = append(fresh, i)
	}
	if len(fresh) == 0 {
		return stored, created, nil
	}

	now := s.Now()
	var last int64
	var profileID string
	var userID sql.NullInt64
	err = tx.NewUpdate().Model((*Chat)(nil)).
		Set("last_seq = last_seq + ?", len(fresh)).Set("updated_at = ?", now).
		Where("id = ?", chatID).Returning("last_seq, profile_id, user_id").Scan(ctx, &last, &profileID, &userID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, fmt.Errorf("%s: chat %w", what, ErrNotFound)
	}
	if err != nil {
		return nil, nil, wrap(err, what)
	}
	rows := make([]Message, len(fresh))
	for k, i := range fresh {
		m := msgs[i]
		m.ChatID = chatID
		m.Seq = last - int64(len(fresh)) + 1 + int64(k)
		m.CreatedAt = now
		rows[k] = m
		stored[i] = m
		created[i] = true
	}
	// Returning("NULL"): without it bun adds RETURNING for the nullzero
	// columns and reports the rows it expected, not the rows inserted.
	res, err := tx.NewInsert().Model(&rows).On("CONFLICT (chat_id, client_msg_id) WHERE client_msg_id IS NOT NULL DO NOTHING").
		Returning("NULL").Exec(ctx)
	if err != nil {
		return nil, nil, wrap(err, what)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return nil, nil, fmt.Errorf("%s: rows affected: %w", what, err)
	}
	if n != int64(len(rows)) {
		// A concurrent send stored one of these client ids after our
		// check: roll back (giving back the seqs) and check again.
		return nil, nil, errRetry
	}
	for i := range stored {
		if stored[i].Seq < 0 {
			stored[i] = stored[-1-stored[i].Seq]
		}
	}
	events, err := messageEvents(&Chat{ID: chatID, ProfileID: profileID, UserID: userID.Int64}, rows)
	if err != nil {
		return nil, nil, err
	}
	if err := s.recordEvents(ctx, tx, what, now, events); err != nil {
		return nil, nil, err
	}
	return stored, created, nil
}

// AppendCond is the condition under which AppendIf appends.
type AppendCond struct {
	// ExpectStatus, when set, is the status the chat must have.
	ExpectStatus string
	// NotEnded requires the chat not to have ended.
	NotEnded bool
	// AgentID, when set, is the agent the chat must be with.
	AgentID int64
	// Session, when set (with AgentID), is the token hash of a session
	// AgentID must hold, unexpired, while the agent is enabled: checked in
	// the append's own statement, so that an agent's socket checks its
	// session for each message without a look-up of its own. Refused:
	// ErrSessionEnded, nothing stored.
	Session string
}

// holds says whether chat c, as read, meets cond.
func (cond AppendCond) holds(c *Chat) bool {
	return (cond.ExpectStatus == "" || c.Status == cond.ExpectStatus) && (!cond.NotEnded || c.Status != ChatEnded) &&
		(cond.AgentID == 0 || c.AgentID == cond.AgentID)
}

// appendRefused says why a message was not appended on PostgreSQL (its
// statement answered no row): the chat does not exist (ErrNotFound),
// cond does not hold (nothing applied), or it is a resend of clientMsgID
// (Duplicate, found while cond holds, as on SQLite).
func (s *Store) appendRefused(ctx context.Context, chatID string, cond AppendCond, clientMsgID string) (AdvanceResult, error) {
	var res AdvanceResult
	if err := s.checkSession(ctx, chatID, cond); err != nil {
		return res, err
	}
	c, err := s.GetChat(ctx, chatID)
	if err != nil || !cond.holds(c) || clientMsgID == "" {
		return res, err
	}
	dup, err := s.MessageByClientID(ctx, chatID, clientMsgID)
	if errors.Is(err, ErrNotFound) { // cond holds now, not when the statement ran
		return res, nil
	}
	if err != nil {
		return res, fmt.Errorf("%s: %w", appendWhat(chatID), err)
	}
	res.Duplicate = dup
	return res, nil
}

// checkSession reads whether cond's session holds (ErrSessionEnded
// when it does not); nil without one.
func (s *Store) checkSession(ctx context.Context, chatID string, cond AppendCond) error {
	if cond.Session == "" {
		return nil
	}
	a, err := s.AgentBySession(ctx, cond.Session, s.Now())
	switch {
	case errors.Is(err, ErrNotFound) || err == nil && a.ID != cond.AgentID:
		return fmt.Errorf("%s: agent %d: %w", appendWhat(chatID), cond.AgentID, ErrSessionEnded)
	case err != nil:
		return fmt.Errorf("%s: %w", appendWhat(chatID), err)
	}
	return nil
}

// AppendIf appends one message to the chat when cond holds: what
// AdvanceChat does for a lone message with no change to the chat row,
// with the same results (Applied false when cond fails, Duplicate for a
// client message id already stored) except that Chat is not read and a
// resend is found only while cond holds (when it fails, Applied is false
// whether or not the message was stored before).
//
// On PostgreSQL it is one statement: the chat's row lock numbers the
// message and the insert uses that number; a resend changes nothing (the
// statement finds its client id stored), and a statement is atomic, so
// a resend racing its original meets the unique index and gives the
// number back. That is one round trip where the transaction takes
// seven. Under load the statements of many chats' messages commit
// together (appendBatcher): one round trip and one commit for a batch
// (docs/BENCHMARKS.md).
func (s *Store) AppendIf(ctx context.Context, chatID string, cond AppendCond, m Message) (AdvanceResult, error) {
	if cond.Session != "" && cond.AgentID == 0 {
		return AdvanceResult{}, fmt.Errorf("%s: a session condition without its agent: %w", appendWhat(chatID), ErrInvalid)
	}
	if s.dialect != DialectPostgres {
		// SQLite: reads first, so that a condition that fails does not
		// take the database's one write turn; the transaction checks the
		// chat's again (the session, as an agent's look-up before each
		// frame did, is read just before).
		if err := s.checkSession(ctx, chatID, cond); err != nil {
			return AdvanceResult{}, err
		}
		c, err := s.GetChat(ctx, chatID)
		if err != nil {
			return AdvanceResult{}, err
		}
		if !cond.holds(c) {
			return AdvanceResult{}, nil
		}
		return s.AdvanceChat(ctx, chatID, ChatAdvance{ExpectStatus: cond.ExpectStatus, NotEnded: cond.NotEnded,
			ExpectAgentID: cond.AgentID, Messages: []Message{m}})
	}
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
		// The chat does not exist, or cond does not hold, or a resend.
		return s.appendRefused(ctx, chatID, cond, m.ClientMsgID)
	case isConstraint(err) && m.ClientMsgID != "":
		dup, derr := s.MessageByClientID(ctx, chatID, m.ClientMsgID)
		if derr != nil {
			return res, fmt.Errorf("%s: %w (after %v)", appendWhat(chatID), derr, err)
		}
		res.Duplicate = dup
		return res, nil
	default:
		return res, wrap(err, appendWhat(chatID))
	}
}

// appendWhat says what an append that failed was doing: made only then
// (every message's own string was an allocation on the message path).
func appendWhat(chatID string) string { return fmt.Sprintf("append a message to chat %q", chatID) }

// checkAppend refuses a message the store cannot hold.
func checkAppend(what, chatID string, m *Message) error {
	if err := checkText(what, "chat id", chatID); err != nil {
		return err
	}
	if err := oneOf(what, "sender", m.Sender, SenderVisitor, SenderBot, SenderAgent, SenderSystem); err != nil {
		return err
	}
	return checkModel(what, m)
}

// appendStatement checks m and sets its chat and time, and returns the
// PostgreSQL statement that appends it when cond holds.
func (s *Store) appendStatement(chatID string, cond AppendCond, m *Message) (batchStmt, error) {
	if checkAppend("", chatID, m) != nil { // the error again, saying what was refused
		return batchStmt{}, checkAppend(appendWhat(chatID), chatID, m)
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
	shape := appendShape{system: m.Sender == SenderSystem, agent: cond.AgentID != 0, session: cond.Session != ""}
	status := ChatEnded // the chat's status must not be this one…
	if cond.ExpectStatus != "" {
		shape.expect, status = true, cond.ExpectStatus // …or must be this one
	}
	if !cond.NotEnded && cond.ExpectStatus == "" {
		status = "" // any status
	}
	args := []any{m.CreatedAt, chatID, status, m.Sender, agentID, clientID, m.Text, m.Payload}
	if shape.agent {
		args = append(args, cond.AgentID)
	}
	if shape.session {
		args = append(args, cond.Session)
	}
	if !shape.system { // the chat.message event's time and retry limit
		args = append(args, m.CreatedAt.Format(time.RFC3339Nano), m.CreatedAt.Add(RetryFor))
	}
	return batchStmt{chatID: chatID, args: args, sql: appendStatements[shape.index()]}, nil
}

// appendShape is what an append statement's text depends on.
type appendShape struct {
	system  bool // a system message: no event
	agent   bool // the chat must be with an agent ($9)
	expect  bool // the chat must have status $3 (else: must not have it)
	session bool // the agent must hold a session (the parameter after the agent's)
}

// The bits of a shape's index in appendStatements.
const (
	shapeSystem = 1 << iota
	shapeAgent
	shapeExpect
	shapeSession
)

func (a appendShape) index() (i int) {
	if a.system {
		i |= shapeSystem
	}
	if a.agent {
		i |= shapeAgent
	}
	if a.expect {
		i |= shapeExpect
	}
	if a.session {
		i |= shapeSession
	}
	return i
}

// appendStatements holds the text of each shape's statement, by
// appendShape.index, made once: a prepared statement (the message
// pool's connections cache it), where planning it anew each time cost a
// third of its rate in pgbench; and its text, built for every message,
// was a tenth of the node's allocations at half the maximum load.
var appendStatements = func() (out [16]string) {
	for i := range out {
		out[i] = appendSQL(appendShape{system: i&shapeSystem != 0, agent: i&shapeAgent != 0, expect: i&shapeExpect != 0,
			session: i&shapeSession != 0})
	}
	return out
}()

// appendSQL is the statement of one shape: $1 the time, $2 the chat,
// $3 the status, $4–$8 the message, then the agent ($9) when the shape
// has one, then the agent's session's token hash when it has one, then
// the event's time and retry limit unless it is a system message's.
func appendSQL(sh appendShape) string {
	cond := "status <> $3"
	if sh.expect {
		cond = "status = $3"
	}
	// A resend ($6 stored already) changes nothing and answers no row,
	// as a condition that fails does: AppendIf then finds the stored
	// message. Its unique violation would roll back the whole batch the
	// resend was in, and every message of it would run again alone. (Two
	// resends racing still meet the unique index: that batch falls back.)
	cond += " AND NOT EXISTS (SELECT 1 FROM messages WHERE chat_id = $2 AND client_msg_id = $6)"
	n := 8
	if sh.agent {
		n++
		cond += fmt.Sprintf(" AND agent_id = $%d", n)
	}
	if sh.session {
		// What AgentBySession reads, at the message's time ($1); the
		// shape has an agent ($9).
		n++
		cond += fmt.Sprintf(` AND EXISTS (SELECT 1 FROM agent_sessions AS cred JOIN agents AS a ON a.id = cred.agent_id
		WHERE cred.token_hash = $%d AND cred.agent_id = $9 AND cred.expires_at > $1 AND NOT a.disabled)`, n)
	}
	if sh.system { // no event
		return `WITH c AS (
	UPDATE chats SET last_seq = last_seq + 1, updated_at = $1 WHERE id = $2 AND ` + cond + ` RETURNING last_seq
)
INSERT INTO messages (chat_id, seq, sender, agent_id, client_msg_id, text, payload, created_at)
SELECT $2, c.last_seq, $4, $5, $6, $7, $8, $1 FROM c
RETURNING seq`
	}
	// The message's chat.message event (outbox.go), built here as
	// messageEvents builds it on the other paths: the chat's row gives
	// the number, the profile and the user.
	ts, retryUntil := fmt.Sprintf("$%d", n+1), fmt.Sprintf("$%d", n+2)
	return `WITH c AS (
	UPDATE chats SET last_seq = last_seq + 1, updated_at = $1 WHERE id = $2 AND ` + cond + `
	RETURNING last_seq, profile_id, user_id
), m AS (
	INSERT INTO messages (chat_id, seq, sender, agent_id, client_msg_id, text, payload, created_at)
	SELECT $2, c.last_seq, $4, $5, $6, $7, $8, $1 FROM c
	RETURNING seq
), w AS (
	INSERT INTO webhook_deliveries (webhook_id, event_id, event_type, chain, payload,
		status, attempts, next_attempt_at, retry_until, last_error, last_status, created_at)
	SELECT wh.id, 'evt_' || $2 || '_' || c.last_seq, '` + protocol.WebhookChatMessage + `', $2,
		json_build_object('type', '` + protocol.WebhookChatMessage + `', 'timestamp', ` + ts + `::text, 'data', json_build_object(
			'chat_id', $2::text, 'profile_id', c.profile_id, 'user_id', c.user_id, 'seq', c.last_seq,
			'author', $4::text, 'agent_id', $5::bigint, 'text', $7::text))::text,
		'pending', 0, $1, ` + retryUntil + `, '', 0, $1
	FROM c JOIN webhooks AS wh ON NOT wh.disabled AND wh.events LIKE '` + eventsSubscribe(protocol.WebhookChatMessage) + `'
	ORDER BY wh.id
)
SELECT seq FROM m`
}

// MessageByClientID returns the chat's message sent with that client
// message id.
func (s *Store) MessageByClientID(ctx context.Context, chatID, clientMsgID string) (*Message, error) {
	what := fmt.Sprintf("get message %q of chat %q", clientMsgID, chatID)
	if err := checkText(what, "client message id", clientMsgID); err != nil {
		return nil, err
	}
	return getOne[Message](ctx, s.db, what, func(q *bun.SelectQuery) *bun.SelectQuery {
		return q.Where("m.chat_id = ?", chatID).Where("m.client_msg_id = ?", clientMsgID)
	})
}

// messagesAfter is MessagesAfter's query on PostgreSQL.
const messagesAfter = `SELECT m.chat_id, m.seq, m.sender, m.agent_id, m.client_msg_id, m.text, m.payload, m.internal,
	m.created_at FROM messages AS m WHERE m.chat_id = $1 AND m.seq > $2 ORDER BY m.seq LIMIT $3`

// MessagesAfter returns up to limit messages of the chat with seq > afterSeq,
// in seq order (limit ≤ 0 means DefaultLimit; capped at MaxLimit). A
// socket reads them when an event leaves a gap (two commits of one chat
// published out of order) and when it starts to follow a chat: on
// PostgreSQL a prepared statement, batched with the other look-ups.
func (s *Store) MessagesAfter(ctx context.Context, chatID string, afterSeq, limit int64) ([]Message, error) {
	what := fmt.Sprintf("list messages of chat %q after %d", chatID, afterSeq)
	if err := checkText(what, "chat id", chatID); err != nil {
		return nil, err
	}
	if s.appendDB == nil {
		return s.messagesAfterBun(ctx, what, chatID, afterSeq, limit)
	}
	var out []Message
	err := s.lookup(ctx, batchStmt{sql: messagesAfter, args: []any{chatID, afterSeq, Page{Limit: limit}.limit()},
		rows: func(r rowScanner) error {
			out = out[:0] // a batch that failed runs again alone
			for r.Next() {
				var m Message
				var agent sql.NullInt64
				var client sql.NullString
				if err := r.Scan(&m.ChatID, &m.Seq, &m.Sender, &agent, &client, &m.Text, &m.Payload, &m.Internal,
					&m.CreatedAt); err != nil {
					return err
				}
				m.AgentID, m.ClientMsgID, m.CreatedAt = agent.Int64, client.String, m.CreatedAt.UTC()
				out = append(out, m)
			}
			return nil
		}})
	if err != nil {
		return nil, wrap(err, what)
	}
	return out, nil
}

// messagesAfterBun is MessagesAfter through bun (SQLite).
func (s *Store) messagesAfterBun(ctx context.Context, what, chatID string, afterSeq, limit int64) ([]Message, error) {
	return list[Message](ctx, s.db, what, func(q *bun.SelectQuery) *bun.SelectQuery {
		q = q.Where("m.chat_id = ?", chatID).Where("m.seq > ?", afterSeq).Order("m.seq")
		return Page{Limit: limit}.apply(q)
	})
}
