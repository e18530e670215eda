package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/uptrace/bun"

	"halochat/app/protocol"
)

// CreateChat stores a new chat with its chat custom field values in one
// transaction. An empty ID is generated, an empty Status is ChatBot;
// StartedAt is now and LastSeq 0. A value for an unknown field, or a
// field that is not a chat field, is refused (ErrNotFound).
func (s *Store) CreateChat(ctx context.Context, c *Chat, fields []ChatFieldValue) error {
	_, err := s.CreateChatAdvanced(ctx, c, fields, nil)
	return err
}

// CreateChatAdvanced is CreateChat and then, when adv is not nil,
// AdvanceChat(c.ID, *adv), in one transaction: a chat's start and its
// flow's first step commit together, or not at all.
func (s *Store) CreateChatAdvanced(ctx context.Context, c *Chat, fields []ChatFieldValue, adv *ChatAdvance) (AdvanceResult, error) {
	return s.CreateChatUsing(ctx, c, fields, adv, ChatWith{})
}

// ChatWith is what a chat's creation stores in its commit beside the
// chat (CreateChatUsing).
type ChatWith struct {
	// Use is the use of the identity token the chat starts with
	// (UseTokenID): a token used before on Use.ProfileID, and not yet
	// expired, creates nothing and is refused with ErrTokenUsed. nil
	// records no use: a start that stores no chat leaves its token unused.
	Use *TokenUse
	// User is the chat's user when the chat is their first: a new user,
	// stored with the chat (its ID, CreatedAt and UpdatedAt set, and the
	// chat's UserID), so that a start that stores no chat leaves no user
	// behind. Its ID is 0 or one ReserveUserID gave (a PostgreSQL chat
	// then commits in one statement: its chat.started event names the
	// user). An external id or e-mail address taken meanwhile creates
	// nothing and is refused with ErrUserTaken. nil: the chat's UserID,
	// if any, names a stored user.
	User *User
}

// CreateChatUsing is CreateChatAdvanced that also stores what with holds,
// in the same commit. On PostgreSQL those are part of the chat's one
// statement (createChatStatement), elsewhere rows of its transaction: a
// start with a token and a new user commits once.
func (s *Store) CreateChatUsing(ctx context.Context, c *Chat, fields []ChatFieldValue, adv *ChatAdvance, with ChatWith) (AdvanceResult, error) {
	const what = "create chat"
	var res AdvanceResult
	use := with.Use
	if c.ID == "" {
		c.ID = RandomID(chatIDBytes)
	}
	if c.Status == "" {
		c.Status = ChatBot
	}
	if err := checkChat(what, c); err != nil {
		return res, err
	}
	if adv != nil {
		if err := checkAdvance(what, adv); err != nil {
			return res, err
		}
	}
	c.LastSeq = 0
	if use != nil {
		u := *use
		u.ExpiresAt = u.ExpiresAt.UTC()
		use = &u
		if use.ProfileID != c.ProfileID {
			return res, fmt.Errorf("%s: %w: the token was used on profile %q, the chat is on %q", what, ErrInvalid, use.ProfileID, c.ProfileID)
		}
		if err := checkModel(what, use); err != nil {
			return res, err
		}
	}
	user, ownUser := with.User, c.UserID
	if user != nil {
		u := *user
		u.Email, u.HintEmail = NormalizeEmail(u.Email), NormalizeEmail(u.HintEmail)
		if err := checkModel(what, &u); err != nil {
			return res, err
		}
		user = &u
		c.UserID = u.ID
	}
	if adv != nil && s.dialect == DialectPostgres && (user == nil || user.ID != 0) {
		if res, ok, err := s.createChatPG(ctx, what, c, fields, *adv, use, user); ok {
			switch {
			case err != nil:
				c.UserID = ownUser
			case user != nil:
				*with.User = *user
			}
			return res, err
		}
	}
	c.StartedAt = s.Now()
	c.UpdatedAt = c.StartedAt
	err := s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if user != nil {
			user.CreatedAt, user.UpdatedAt = c.StartedAt, c.StartedAt
			if err := insert(ctx, tx, what, user); err != nil {
				if errors.Is(err, ErrConflict) {
					return fmt.Errorf("%s: %w", what, ErrUserTaken)
				}
				return err
			}
			c.UserID = user.ID
		}
		if use != nil {
			used, err := s.tokenUseInsert(tx, use).Exec(ctx)
			n, err := rowsAffected(used, err, what)
			if err != nil {
				return err
			}
			if n != 1 {
				return fmt.Errorf("%s: %w", what, ErrTokenUsed)
			}
		}
		if err := insert(ctx, tx, what, c); err != nil {
			return err
		}
		if err := putChatFields(ctx, tx, what, c.ID, fields); err != nil {
			return err
		}
		started, err := chatEvent(protocol.WebhookChatStarted, c, c.StartedAt)
		if err != nil {
			return err
		}
		if err := s.recordEvents(ctx, tx, what, c.StartedAt, []outboxEvent{started}); err != nil {
			return err
		}
		if adv == nil {
			return nil
		}
		if res, err = s.advanceTx(ctx, tx, what, c.ID, *adv); err == nil && !res.Applied {
			// Nobody else knows the chat yet: its own conditions failed.
			err = fmt.Errorf("%s: %w: the first advance's conditions do not hold for the new chat", what, ErrConflict)
		}
		return err
	})
	if err != nil {
		c.UserID = ownUser
		return AdvanceResult{}, err
	}
	if user != nil {
		*with.User = *user
	}
	return res, nil
}

// createChatStatement inserts a new chat, its field values and its first
// messages in one statement (PostgreSQL): one round trip and one commit,
// atomic as a statement is. The field values and messages come as arrays.
// With a token's jti hash ($37; empty for none) the statement first records
// its use until $38 (UseTokenID's upsert), and inserts the chat only when
// that use is the token's first: no row then means ErrTokenUsed. With $45
// true it also inserts the chat's new user ($6, $39-$44) under the same
// condition.
const createChatStatement = `WITH t AS (
	INSERT INTO token_uses (profile_id, jti_hash, expires_at)
	SELECT $2, $37::text, $38::timestamptz WHERE $37::text <> ''
	ON CONFLICT (profile_id, jti_hash) DO UPDATE SET expires_at = EXCLUDED.expires_at
	WHERE token_uses.expires_at <= $15
	RETURNING 1
), u AS (
	INSERT INTO users (id, external_id, email, username, first_name, last_name, phone,
		password_hash, disabled, hint_email, created_at, updated_at)
	SELECT $6, $39, $40, $41, $42, $43, $44, '', false, NULL, $15, $15
	WHERE $45::boolean AND ($37::text = '' OR EXISTS (SELECT FROM t))
	RETURNING id
), c AS (
	INSERT INTO chats (id, profile_id, flow_id, flow_version, start_step, user_id, authenticated, context, host_origin,
		status, agent_id, resume_secret_hash, flow_state, last_seq, started_at, queued_at, accepted_at, ended_at,
		end_reason, ticket_id, email_hint, updated_at, language, team_id, offered_at)
	SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $28, $15, $34, $35, $36
	WHERE $37::text = '' OR EXISTS (SELECT FROM t)
	RETURNING id
), f AS (
	INSERT INTO chat_field_values (chat_id, field_id, value)
	SELECT c.id, v.field_id, v.value FROM c, unnest($21::bigint[], $22::text[]) AS v(field_id, value)
), m AS (
	INSERT INTO messages (chat_id, seq, sender, agent_id, client_msg_id, text, payload, created_at)
	SELECT c.id, v.seq, v.sender, v.agent_id, NULL, v.text, v.payload, $15
	FROM c, unnest($23::bigint[], $24::text[], $25::bigint[], $26::text[], $27::text[]) AS v(seq, sender, agent_id, text, payload)
), w AS (
	INSERT INTO webhook_deliveries (webhook_id, event_id, event_type, chain, payload,
		status, attempts, next_attempt_at, retry_until, last_error, last_status, created_at)
	SELECT wh.id, e.id, e.typ, e.chain, e.payload, 'pending', 0, $15, $33, '', 0, $15
	FROM c, unnest($29::text[], $30::text[], $31::text[], $32::text[]) WITH ORDINALITY AS e(id, typ, chain, payload, ord)
	JOIN webhooks AS wh ON NOT wh.disabled AND wh.events LIKE '%"' || e.typ || '"%'
	ORDER BY e.ord, wh.id
)
SELECT 1 FROM c`

// createChatPG is CreateChatAdvanced on PostgreSQL for a chat whose first
// advance can be worked out without reading anything (newStartRow). It
// commits through the message batcher, so that under load many starts
// share a commit, and a statement (startsStatement). ok is false when
// the chat needs the transaction instead. A new user (not nil, its ID
// reserved) gets its times.
func (s *Store) createChatPG(ctx context.Context, what string, c *Chat, fields []ChatFieldValue, adv ChatAdvance, use *TokenUse, user *User) (res AdvanceResult, ok bool, err error) {
	start, ok, err := s.newStartRow(ctx, what, c, fields, adv, use, user)
	if !ok || err != nil {
		return res, ok, err
	}
	_, err = s.batched(ctx, s.starts, start.stmt())
	var pgErr *pgconn.PgError
	switch {
	case errors.Is(err, sql.ErrNoRows) && use != nil:
		return res, true, fmt.Errorf("%s: %w", what, ErrTokenUsed)
	case errors.Is(err, sql.ErrNoRows):
		err = fmt.Errorf("%s: the insert returned no row", what)
	case user != nil && errors.As(err, &pgErr) && pgErr.Code == "23505" && pgErr.TableName == "users":
		return res, true, fmt.Errorf("%s: %w", what, ErrUserTaken)
	}
	if err != nil {
		return res, true, wrap(err, what)
	}
	row := start.chat
	if user != nil {
		user.CreatedAt, user.UpdatedAt = row.StartedAt, row.StartedAt
	}
	*c = row
	out := row
	return AdvanceResult{Applied: true, Chat: &out, Messages: start.msgs}, true, nil
}

// newStartRow is the insert of a new chat whose first advance can be
// worked out without reading anything: the chat is new, so its
// conditions are checked here, the update applied to the row before it
// is inserted, and the messages numbered from 1. ok is false when the
// chat needs the transaction instead (messages with client ids, or a
// field the cache does not know).
func (s *Store) newStartRow(ctx context.Context, what string, c *Chat, fields []ChatFieldValue, adv ChatAdvance, use *TokenUse, user *User) (start *startRow, ok bool, err error) {
	for _, m := range adv.Messages {
		if m.ClientMsgID != "" {
			return nil, false, nil
		}
	}
	known, err := s.CachedCustomFields(ctx, EntityChat)
	if err != nil {
		return nil, true, err
	}
	isChatField := make(map[int64]bool, len(known))
	for _, f := range known {
		isChatField[f.ID] = true
	}
	fieldIDs, err := checkFieldValues(what, fields)
	if err != nil {
		return nil, true, err
	}
	values := make([]string, len(fields))
	for i, f := range fields {
		if !isChatField[f.FieldID] {
			return nil, false, nil // let the transaction look it up
		}
		values[i] = f.Value
	}
	if err := checkChatUpdate(what, adv.Update); err != nil {
		return nil, true, err
	}
	if (adv.CheckState && string(adv.ExpectState) != string(c.FlowState)) ||
		(adv.ExpectStatus != "" && adv.ExpectStatus != c.Status) || (adv.NotEnded && c.Status == ChatEnded) ||
		(adv.ExpectAgentID != 0 && adv.ExpectAgentID != c.AgentID) {
		return nil, true, fmt.Errorf("%s: %w: the first advance's conditions do not hold for the new chat", what, ErrConflict)
	}

	now := s.Now().UTC().Truncate(time.Microsecond)
	row := *c
	row.StartedAt, row.UpdatedAt = now, now
	adv.Update.applyTo(&row)
	row.LastSeq = int64(len(adv.Messages))
	msgs := make([]Message, len(adv.Messages))
	for i, m := range adv.Messages {
		m.ChatID, m.Seq, m.CreatedAt = row.ID, int64(i+1), now
		msgs[i] = m
	}
	ev, err := startEvents(c, &row, adv.Update, msgs)
	if err != nil {
		return nil, true, err
	}
	return &startRow{chat: row, fieldIDs: fieldIDs, values: values, msgs: msgs, ev: ev, use: use, user: user}, true, nil
}

// eventArrays are events as the columns of an unnest.
type eventArrays struct{ ids, types, chains, payloads []string }

// startEvents are the events of a new chat's start (PostgreSQL's
// createChatPG): chat.started for the chat as it was asked for, then
// those of its first advance (row as it is after it, with msgs).
func startEvents(asked, row *Chat, u ChatUpdate, msgs []Message) (eventArrays, error) {
	var out eventArrays
	started, err := chatEvent(protocol.WebhookChatStarted, asked, row.StartedAt)
	if err != nil {
		return out, err
	}
	rest, err := advanceEvents(row, u, msgs, row.StartedAt)
	if err != nil {
		return out, err
	}
	n := 1 + len(rest)
	out = eventArrays{ids: make([]string, 0, n), types: make([]string, 0, n), chains: make([]string, 0, n), payloads: make([]string, 0, n)}
	for _, e := range append([]outboxEvent{started}, rest...) {
		out.ids, out.types = append(out.ids, e.id), append(out.types, e.typ)
		out.chains, out.payloads = append(out.chains, e.chain), append(out.payloads, string(e.payload))
	}
	return out, nil
}
