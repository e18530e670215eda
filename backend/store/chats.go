package store

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"halochat/app/i18n"
)

// Chat contexts and statuses.
const (
	ContextEmbedded = "embedded" // the widget on an external site
	ContextPortal   = "portal"   // the self-service portal
	ContextAgent    = "agent"    // started from the agent app
	ContextAPI      = "api"      // started through the REST API (POST /api/Chat: outreach)

	ChatBot    = "bot"    // the bot flow is running
	ChatQueued = "queued" // waiting for an agent
	ChatLive   = "live"   // an agent has it
	ChatEnded  = "ended"
)

// Chat is one conversation.
type Chat struct {
	bun.BaseModel `bun:"table:chats,alias:c"`

	ID            string `bun:"id,pk"` // random, unguessable; set by CreateChat when empty
	ProfileID     string `bun:"profile_id"`
	FlowID        int64  `bun:"flow_id,nullzero"`      // 0 = no flow
	FlowVersion   int64  `bun:"flow_version,nullzero"` // the pinned version
	StartStep     int64  `bun:"start_step"`
	UserID        int64  `bun:"user_id,nullzero"` // 0 = anonymous
	Authenticated bool   `bun:"authenticated"`    // started or upgraded with a verified identity
	Context       string `bun:"context"`          // Context* constant
	HostOrigin    string `bun:"host_origin"`
	// EmailHint is the e-mail address the host page's session storage
	// key gave at the start: unverified, a note for agents ("" = none).
	EmailHint        string    `bun:"email_hint"`
	Status           string    `bun:"status"`             // Chat* status constant
	AgentID          int64     `bun:"agent_id,nullzero"`  // 0 = none
	ResumeSecretHash string    `bun:"resume_secret_hash"` // hash of the widget's resume secret
	FlowState        RawJSON   `bun:"flow_state"`         // the flow runner's state, opaque
	LastSeq          int64     `bun:"last_seq"`           // seq of the newest message
	StartedAt        time.Time `bun:"started_at"`
	QueuedAt         time.Time `bun:"queued_at,nullzero"`
	AcceptedAt       time.Time `bun:"accepted_at,nullzero"`
	EndedAt          time.Time `bun:"ended_at,nullzero"`
	EndReason        string    `bun:"end_reason"`
	TicketID         int64     `bun:"ticket_id,nullzero"`
	// Language is the chat's app/i18n language, decided when it started
	// ("" is stored as i18n.Default): its system messages are in it.
	Language string `bun:"language"`
	// TeamID is the team the chat was routed to (0: none, any agent).
	TeamID int64 `bun:"team_id,nullzero"`
	// OfferedAt is when a queued chat with an agent was offered to them
	// (auto routing): it waits for their accept from then.
	OfferedAt time.Time `bun:"offered_at,nullzero"`
	UpdatedAt time.Time `bun:"updated_at"`
}

// ChatFieldValue is the value of a chat custom field for one chat.
type ChatFieldValue struct {
	bun.BaseModel `bun:"table:chat_field_values,alias:cfv"`

	ChatID  string `bun:"chat_id,pk"` // set by the store
	FieldID int64  `bun:"field_id,pk"`
	Value   string `bun:"value"`
	Name    string `bun:"name,scanonly"`  // the field's database name, filled on read
	Label   string `bun:"label,scanonly"` // the field's label, filled on read
}

// chatLimitIDBytes is the size of generated chat ids (26 characters).
const chatIDBytes = 16

// NewChatID returns a new random chat id, for a chat about to be created.
func NewChatID() string { return RandomID(chatIDBytes) }

func checkChat(what string, c *Chat) error {
	if c.ProfileID == "" {
		return invalid(what, "profile id is empty")
	}
	if err := oneOf(what, "context", c.Context, ContextEmbedded, ContextPortal, ContextAgent, ContextAPI); err != nil {
		return err
	}
	if c.Language == "" {
		c.Language = string(i18n.Default)
	}
	if !i18n.Valid(c.Language) {
		return invalid(what, "language %q is not one of %s", c.Language, i18n.List())
	}
	return oneOf(what, "status", c.Status, ChatBot, ChatQueued, ChatLive, ChatEnded)
}

// GetChat returns the chat with that id.
func (s *Store) GetChat(ctx context.Context, id string) (*Chat, error) {
	return getBy[Chat](ctx, s.db, fmt.Sprintf("get chat %q", id), "id", id)
}

func chatExists(ctx context.Context, db bun.IDB, what, chatID string) error {
	if err := checkText(what, "chat id", chatID); err != nil {
		return err
	}
	ok, err := db.NewSelect().Model((*Chat)(nil)).Where("c.id = ?", chatID).Exists(ctx)
	if err != nil {
		return wrap(err, what)
	}
	if !ok {
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	return nil
}

// ChatFilter selects chats for ListChats; zero fields do not filter.
type ChatFilter struct {
	Page
	Status    string
	ProfileID string
	UserID    int64
	AgentID   int64
	TicketID  int64
	// ProfileIDs, when not empty, keeps the chats of these profiles (an
	// API client's, APIClient.ProfileIDs).
	ProfileIDs []string
	// VisibleTo keeps the chats agent VisibleTo may read by their
	// profile's AgentChatVisibility (see visibleTo); for an agent who is
	// not an admin.
	VisibleTo int64
}

// visibleTo is the condition on a chat (alias c) that an agent (the
// argument) may read it: every chat of a VisibilityAll profile, and of
// the others the queued chats and those the agent holds or held (a
// chat's agent stays set once it was accepted).
const visibleTo = `(c.status = '` + ChatQueued + `' OR c.agent_id = ? OR c.profile_id IN
	(SELECT cp.id FROM chat_profiles AS cp WHERE cp.agent_chat_visibility = '` + VisibilityAll + `'))`

// ListChats returns chats matching f: oldest queued first when filtering on
// ChatQueued (the queue order), otherwise newest first.
func (s *Store) ListChats(ctx context.Context, f ChatFilter) ([]Chat, error) {
	const what = "list chats"
	if err := checkModel(what, &f); err != nil {
		return nil, err
	}
	return list[Chat](ctx, s.db, what, func(q *bun.SelectQuery) *bun.SelectQuery {
		q = f.where(q)
		if f.Status == ChatQueued {
			q = q.Order("c.queued_at", "c.id")
		} else {
			q = q.OrderExpr("c.started_at DESC, c.id")
		}
		return f.apply(q)
	})
}

// where adds f's conditions (not its page) to a query on chats (alias c).
func (f ChatFilter) where(q *bun.SelectQuery) *bun.SelectQuery {
	q = whereIf(q, "c.status", f.Status)
	q = whereIf(q, "c.profile_id", f.ProfileID)
	q = whereIf(q, "c.user_id", f.UserID)
	q = whereIf(q, "c.ticket_id", f.TicketID)
	if len(f.ProfileIDs) > 0 {
		q = q.Where("c.profile_id IN (?)", bun.List(f.ProfileIDs))
	}
	if f.VisibleTo != 0 {
		q = q.Where(visibleTo, f.VisibleTo)
	}
	return whereIf(q, "c.agent_id", f.AgentID)
}

// IdleChats returns up to limit chats that have not ended and were last
// updated (a message, a status change) before before, oldest first —
// except an outreach chat (ContextAPI) whose visitor has not written yet:
// it waits for its visitor until outreachBefore (which is earlier).
func (s *Store) IdleChats(ctx context.Context, before, outreachBefore time.Time, limit int64) ([]Chat, error) {
	return list[Chat](ctx, s.db, "list idle chats", func(q *bun.SelectQuery) *bun.SelectQuery {
		return Page{Limit: limit}.apply(q.Where("c.status IN (?)", bun.List([]string{ChatBot, ChatQueued, ChatLive})).
			Where("c.updated_at < ?", before.UTC()).
			Where("(c.updated_at < ? OR c.context <> ? OR EXISTS (SELECT 1 FROM messages AS vm WHERE vm.chat_id = c.id AND vm.sender = ?))",
				outreachBefore.UTC(), ContextAPI, SenderVisitor).
			Order("c.updated_at"))
	})
}

// putChatFields upserts chat field values after checking they name chat fields.
func putChatFields(ctx context.Context, tx bun.IDB, what, chatID string, fields []ChatFieldValue) error {
	if len(fields) == 0 {
		return nil
	}
	ids, err := checkFieldValues(what, fields)
	if err != nil {
		return err
	}
	if err := checkFieldIDs(ctx, tx, what, EntityChat, ids); err != nil {
		return err
	}
	rows := make([]ChatFieldValue, len(fields))
	for i, f := range fields {
		rows[i] = ChatFieldValue{ChatID: chatID, FieldID: f.FieldID, Value: f.Value}
	}
	_, err = tx.NewInsert().Model(&rows).
		On("CONFLICT (chat_id, field_id) DO UPDATE").Set("value = EXCLUDED.value").Exec(ctx)
	return wrap(err, what+": field values")
}

// SetChatFieldValues writes (inserts or replaces) chat custom field values.
func (s *Store) SetChatFieldValues(ctx context.Context, chatID string, fields []ChatFieldValue) error {
	what := fmt.Sprintf("set field values of chat %q", chatID)
	return s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := chatExists(ctx, tx, what, chatID); err != nil {
			return err
		}
		return putChatFields(ctx, tx, what, chatID, fields)
	})
}

// ChatFieldValues returns a chat's custom field values with their field
// names and labels, by name.
func (s *Store) ChatFieldValues(ctx context.Context, chatID string) ([]ChatFieldValue, error) {
	what := fmt.Sprintf("get field values of chat %q", chatID)
	if err := checkText(what, "chat id", chatID); err != nil {
		return nil, err
	}
	return list[ChatFieldValue](ctx, s.db, what, func(q *bun.SelectQuery) *bun.SelectQuery {
		return q.ColumnExpr("cfv.*").ColumnExpr("cf.name AS name, cf.label AS label").
			Join("JOIN custom_fields AS cf ON cf.id = cfv.field_id").
			Where("cfv.chat_id = ?", chatID).Order("cf.name")
	})
}

// UpgradeChatUser makes an anonymous chat that has not ended an
// authenticated chat of userID and writes its chat custom field values,
// in one transaction (upgradeAnonChat). False when the chat already has a
// user, is authenticated, or has ended.
func (s *Store) UpgradeChatUser(ctx context.Context, chatID string, userID int64, fields []ChatFieldValue) (bool, error) {
	what := fmt.Sprintf("upgrade chat %q", chatID)
	if err := checkText(what, "chat id", chatID); err != nil {
		return false, err
	}
	var ok bool
	err := s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewUpdate().Model((*Chat)(nil)).
			Set("user_id = ?", userID).Set("authenticated = ?", true).Set("updated_at = ?", s.Now()).
			Where("id = ?", chatID).Where("user_id IS NULL").Where("authenticated = ?", false).
			Where("status <> ?", ChatEnded).Exec(ctx)
		if ok, err = chatMatched(ctx, tx, what, chatID, res, err); !ok {
			return err
		}
		return putChatFields(ctx, tx, what, chatID, fields)
	})
	return ok, err
}
