package store

import (
	"context"
	"database/sql/driver"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"halochat/app/i18n"
	"halochat/app/protocol"
)

// Chat profile access levels (docs/CONTRACT.md#profile-access).
const (
	AccessAgentsOnly        = "agents_only"
	AccessPortal            = "portal"
	AccessPortalAndExternal = "portal_and_external"
)

// Which chats of a profile an agent may read (its agentChatVisibility;
// admins read every chat): every chat, or the profile's queued chats
// and those the agent holds or held.
const (
	VisibilityAll         = protocol.VisibilityAll
	VisibilityQueueAndOwn = protocol.VisibilityQueueAndOwn
)

// ChatProfile is a chat profile: what the embed snippet's configId and
// configKey name, and everything the widget and the server need about it.
type ChatProfile struct {
	bun.BaseModel `bun:"table:chat_profiles,alias:cp"`

	ID                string           `bun:"id,pk"`      // the configId; random, set by CreateProfile when empty
	Key               string           `bun:"config_key"` // the configKey; shown in the embed snippet, so stored as is
	Name              string           `bun:"name"`       // unique
	Access            string           `bun:"access"`     // Access* constant
	Appearance        Appearance       `bun:"appearance"`
	AllowedOrigins    StringList       `bun:"allowed_origins"` // empty = any
	Identity          IdentitySettings `bun:"identity"`
	TokenMappings     TokenMappings    `bun:"token_mappings"`
	Availability      Availability     `bun:"availability"`
	EmailStorageKey   string           `bun:"email_storage_key"`   // host sessionStorage key; "" = none
	TrustEmailStorage bool             `bun:"trust_email_storage"` // treat that email as verified
	FlowID            int64            `bun:"flow_id,nullzero"`    // 0 = none
	StartStep         int64            `bun:"start_step"`          // 0 = the flow's own start step
	TicketTypeID      int64            `bun:"ticket_type_id,nullzero"`
	// AgentChatVisibility is a Visibility* constant ("" is stored as
	// VisibilityAll).
	AgentChatVisibility string             `bun:"agent_chat_visibility"`
	Attachments         AttachmentSettings `bun:"attachments"`
	// RatingQuestion is protocol.RatingQuestionAsk or RatingQuestionOff
	// ("" is stored as RatingQuestionAsk).
	RatingQuestion string `bun:"rating_question"`
	// RetentionDays: the profile's chats are deleted that many days after
	// they ended (privacy's retention job); 0 keeps them.
	RetentionDays int64 `bun:"retention_days"`
	// Language is an app/i18n language code or i18n.Auto ("" is stored
	// as Auto); DefaultLanguage an app/i18n code ("" is stored as
	// i18n.Default).
	Language        string `bun:"language"`
	DefaultLanguage string `bun:"default_language"`
	// NotificationEmail is the address told of the profile's new
	// tickets (offline messages, chats' tickets) when the service sends
	// mail; "" = none. The admin API checks it is an address.
	NotificationEmail string    `bun:"notification_email"`
	CreatedAt         time.Time `bun:"created_at"`
	UpdatedAt         time.Time `bun:"updated_at"`
}

// Lengths of generated profile ids and keys, in random bytes.
const (
	profileIDBytes  = 10 // 16 characters
	profileKeyBytes = 20 // 32 characters
)

// checkProfile checks p before it is stored, and gives an unset
// AgentChatVisibility and RatingQuestion their defaults.
func checkProfile(what string, p *ChatProfile) error {
	if err := checkName(what, p.Name); err != nil {
		return err
	}
	if p.AgentChatVisibility == "" {
		p.AgentChatVisibility = VisibilityAll
	}
	if err := oneOf(what, "agent chat visibility", p.AgentChatVisibility, VisibilityAll, VisibilityQueueAndOwn); err != nil {
		return err
	}
	if p.RatingQuestion == "" {
		p.RatingQuestion = protocol.DefaultRatingQuestion
	}
	if err := oneOf(what, "rating question", p.RatingQuestion, protocol.RatingQuestionAsk, protocol.RatingQuestionOff); err != nil {
		return err
	}
	if err := checkClearSecrets(what, p); err != nil {
		return err
	}
	if p.RetentionDays < 0 {
		return invalid(what, "retention days %d is negative", p.RetentionDays)
	}
	if err := checkLanguages(what, p); err != nil {
		return err
	}
	return oneOf(what, "access", p.Access, AccessAgentsOnly, AccessPortal, AccessPortalAndExternal)
}

// checkLanguages checks p's language settings and gives unset ones their
// defaults.
func checkLanguages(what string, p *ChatProfile) error {
	if p.Language == "" {
		p.Language = i18n.Auto
	}
	if p.DefaultLanguage == "" {
		p.DefaultLanguage = string(i18n.Default)
	}
	if p.Language != i18n.Auto && !i18n.Valid(p.Language) {
		return invalid(what, "language %q is neither auto nor one of %s", p.Language, i18n.List())
	}
	if !i18n.Valid(p.DefaultLanguage) {
		return invalid(what, "default language %q is not one of %s", p.DefaultLanguage, i18n.List())
	}
	return nil
}

// CreateProfile stores a new chat profile. An empty ID or Key is generated
// (random); the name must be unique (ErrConflict).
func (s *Store) CreateProfile(ctx context.Context, p *ChatProfile) error {
	defer s.config.invalidate()
	if p.ID == "" {
		p.ID = RandomID(profileIDBytes)
	}
	if p.Key == "" {
		p.Key = RandomID(profileKeyBytes)
	}
	return create(ctx, s, "create chat profile", p, checkProfile)
}

// GetProfile returns the chat profile with that id (the configId).
func (s *Store) GetProfile(ctx context.Context, id string) (*ChatProfile, error) {
	what := fmt.Sprintf("get chat profile %q", id)
	p, err := getBy[ChatProfile](ctx, s.db, what, "id", id)
	return openOne(s, what, p, err)
}

// GetProfileByName returns the chat profile with that name.
func (s *Store) GetProfileByName(ctx context.Context, name string) (*ChatProfile, error) {
	what := fmt.Sprintf("get chat profile named %q", name)
	p, err := getBy[ChatProfile](ctx, s.db, what, "name", name)
	return openOne(s, what, p, err)
}

// ListProfiles returns every chat profile by name.
func (s *Store) ListProfiles(ctx context.Context) ([]ChatProfile, error) {
	ps, err := list[ChatProfile](ctx, s.db, "list chat profiles", orderBy("cp.name"))
	return openAll(s, "list chat profiles", ps, err)
}

// UpdateProfile saves every field of p but its key (see
// RegenerateProfileKey) and creation time; ErrNotFound when p.ID is unknown.
func (s *Store) UpdateProfile(ctx context.Context, p *ChatProfile) error {
	defer s.config.invalidate()
	return update(ctx, s, fmt.Sprintf("update chat profile %q", p.ID), p, checkProfile, "config_key")
}

// RegenerateProfileKey gives the profile a new random key and returns it.
// Embed snippets holding the old key stop working.
func (s *Store) RegenerateProfileKey(ctx context.Context, id string) (string, error) {
	defer s.config.invalidate()
	what := fmt.Sprintf("regenerate key of chat profile %q", id)
	if err := checkText(what, "id", id); err != nil {
		return "", err
	}
	key := RandomID(profileKeyBytes)
	noteAudit(ctx, "config_key", AuditChanged)
	res, err := s.execWrite(ctx, s.db.NewUpdate().Model((*ChatProfile)(nil)).
		Set("config_key = ?", key).Set("updated_at = ?", s.Now()).
		Where("id = ?", id))
	if err := affected(res, err, what); err != nil {
		return "", err
	}
	return key, nil
}

// DeleteProfile deletes a chat profile; ErrConflict while chats refer to it.
func (s *Store) DeleteProfile(ctx context.Context, id string) error {
	defer s.config.invalidate()
	what := fmt.Sprintf("delete chat profile %q", id)
	if err := checkText(what, "id", id); err != nil {
		return err
	}
	return deleteWhere[ChatProfile](ctx, s, what, "id = ?", id)
}

// Appearance is a chat profile's look; `initialize` may override it per page.
// A profile's settings columns hold the admin API's JSON documents
// (app/protocol), so a stored setting reads back as the API shows it.
type Appearance protocol.Appearance

// Value implements driver.Valuer.
func (a Appearance) Value() (driver.Value, error) { return jsonValue(a, "{}") }

// Scan implements sql.Scanner.
func (a *Appearance) Scan(src any) error { *a = Appearance{}; return jsonScan(src, a) }

// HMACSecret is one HS256 shared secret, chosen by the token's kid.
type HMACSecret = protocol.HMACSecret

// PublicKey is one RS256 or ES256 verification key in PEM, chosen by kid.
type PublicKey = protocol.PublicKey

// IdentitySettings says how a chat profile verifies identity tokens.
type IdentitySettings protocol.IdentitySettings

// Value implements driver.Valuer.
func (s IdentitySettings) Value() (driver.Value, error) { return jsonValue(s, "{}") }

// Scan implements sql.Scanner.
func (s *IdentitySettings) Scan(src any) error { *s = IdentitySettings{}; return jsonScan(src, s) }

// TokenMappings maps a claim name to a user field (e.g. "given_name" →
// "firstName"). The field names are the identity package's to define.
type TokenMappings map[string]string

// Value implements driver.Valuer.
func (m TokenMappings) Value() (driver.Value, error) {
	return jsonValue(map[string]string(m), "{}")
}

// Scan implements sql.Scanner.
func (m *TokenMappings) Scan(src any) error { *m = nil; return jsonScan(src, (*map[string]string)(m)) }

// OpeningInterval is one weekly opening window in the profile's time zone.
type OpeningInterval = protocol.OpeningInterval

// Holiday is a closed day in the profile's time zone.
type Holiday = protocol.Holiday

// Availability decides whether a profile's chat is available.
type Availability protocol.AvailabilitySettings

// Value implements driver.Valuer.
func (a Availability) Value() (driver.Value, error) { return jsonValue(a, "{}") }

// Scan implements sql.Scanner.
func (a *Availability) Scan(src any) error { *a = Availability{}; return jsonScan(src, a) }
