package protocol

import "time"

// The admin REST API's chat profiles (/api/ChatProfile): the bodies
// backend/httpapi answers and takes, and the console's admin pages send
// and read. The store keeps a profile's appearance, identity and
// availability settings as these very JSON documents.

// ChatProfile is a chat profile as the admin API shows it. Its key is
// shown (the embed snippet carries it); its HS256 secrets are write-only,
// answered only by the create that set them and by a rotation
// (ProfileSecret): a read shows each secret's kid alone.
type ChatProfile struct {
	ID                string               `json:"id"`  // the configId
	Key               string               `json:"key"` // the configKey
	Name              string               `json:"name"`
	Access            string               `json:"access"` // agents_only | portal | portal_and_external
	Appearance        Appearance           `json:"appearance"`
	AllowedOrigins    []string             `json:"allowedOrigins"`
	Identity          IdentitySettings     `json:"identity"`
	TokenMappings     map[string]string    `json:"tokenMappings"` // claim → user field
	Availability      AvailabilitySettings `json:"availability"`
	EmailStorageKey   string               `json:"emailStorageKey"`
	TrustEmailStorage bool                 `json:"trustEmailStorage"`
	FlowID            int64                `json:"flowId"`
	StartStep         int64                `json:"startStep"`
	TicketTypeID      int64                `json:"ticketTypeId"`
	// AgentChatVisibility says which of the profile's chats an agent may
	// read (admins read every chat): VisibilityAll or
	// VisibilityQueueAndOwn; "" in a request is VisibilityAll.
	AgentChatVisibility string `json:"agentChatVisibility"`
	// Attachments limits the files visitors and agents attach.
	Attachments AttachmentSettings `json:"attachments"`
	// RatingQuestion says whether the widget asks the visitor to rate a
	// chat that ended: RatingQuestionAsk or RatingQuestionOff; "" in a
	// request is RatingQuestionAsk.
	RatingQuestion string `json:"ratingQuestion"`
	// RetentionDays: the profile's chats (messages, files, custom-field
	// values, ratings) are deleted that many days after they ended;
	// 0 or left out keeps them.
	RetentionDays int64 `json:"retentionDays,omitempty"`
	// NotificationEmail is told of each new ticket of the profile (its
	// offline messages', its chats') when the service sends mail (serve
	// --smtp); "" or left out: nobody.
	NotificationEmail string `json:"notificationEmail,omitempty"`
	// Language is the language the widget speaks and the chat's system
	// messages are written in: a code of app/i18n (en, de, fr, es, pt,
	// nl, ar) or "auto" — the browser's preferred languages, then
	// DefaultLanguage. "" in a request is "auto".
	Language string `json:"language"`
	// DefaultLanguage is the language of an auto profile's visitor whose
	// browser prefers none of the catalogue's; "" in a request is "en".
	DefaultLanguage string    `json:"defaultLanguage"`
	CreatedAt       time.Time `json:"createdAt"`
	UpdatedAt       time.Time `json:"updatedAt"`
}

// Agent chat visibilities (ChatProfile.AgentChatVisibility).
const (
	// VisibilityAll: every agent reads every chat of the profile.
	VisibilityAll = "all"
	// VisibilityQueueAndOwn: an agent reads the profile's queued chats
	// and the chats it holds or held, no other.
	VisibilityQueueAndOwn = "queueAndOwn"
)

// ChatProfileInput is what POST and PUT take: the settings. id, key,
// createdAt and updatedAt are read-only: accepted (so that a GET's answer
// can be sent back) and ignored, but a PUT's id must match the path's.
type ChatProfileInput struct {
	ChatProfile
}

// ProfileKey answers a key regeneration (POST /api/ChatProfile/{id}/key).
type ProfileKey struct {
	ID  string `json:"id"`
	Key string `json:"key"`
}

// ProfileSecretInput asks for a new HS256 secret of kid
// (POST /api/ChatProfile/{id}/identity/secret): Secret when given (at
// least 32 bytes), a random one otherwise. A kid the profile has is
// given the new secret; another kid is added.
type ProfileSecretInput struct {
	KID    string `json:"kid"`
	Secret string `json:"secret,omitempty"`
}

// ProfileSecret answers a new HS256 secret, this once: reads never show
// it again.
type ProfileSecret struct {
	ID     string `json:"id"` // the profile's
	KID    string `json:"kid"`
	Secret string `json:"secret"`
}

// Appearance is a chat profile's look; `initialize` may override it per page.
type Appearance struct {
	Colour           string `json:"colour,omitempty"`
	Theme            string `json:"theme,omitempty"` // "light" | "dark"
	Title            string `json:"title,omitempty"`
	Greeting         string `json:"greeting,omitempty"`
	LauncherPosition string `json:"launcherPosition,omitempty"` // "bottom-right" | "bottom-left"
	IconURL          string `json:"iconUrl,omitempty"`
}

// IdentitySettings says how a chat profile verifies identity tokens.
type IdentitySettings struct {
	TokenRequired bool         `json:"tokenRequired"`
	HS256Secrets  []HMACSecret `json:"hs256Secrets,omitempty"`
	PublicKeys    []PublicKey  `json:"publicKeys,omitempty"`
	Issuer        string       `json:"issuer,omitempty"`
	Audience      string       `json:"audience,omitempty"`
	LeewaySeconds int          `json:"leewaySeconds,omitempty"`
	// MaxTokenLifetimeSeconds caps how far a token's exp may lie past its
	// iat (or past now without one): MinTokenLifetimeSeconds to
	// MaxTokenLifetimeSeconds; 0 means DefaultTokenLifetimeSeconds.
	MaxTokenLifetimeSeconds int `json:"maxTokenLifetimeSeconds,omitempty"`
}

// Bounds of a profile's maximum token lifetime, in seconds.
const (
	DefaultTokenLifetimeSeconds = 24 * 3600      // a day
	MinTokenLifetimeSeconds     = 60             // a minute
	MaxTokenLifetimeSeconds     = 30 * 24 * 3600 // 30 days
)

// TokenLifetimeSeconds is the longest lifetime s accepts from a token:
// its MaxTokenLifetimeSeconds, or DefaultTokenLifetimeSeconds when unset.
func (s IdentitySettings) TokenLifetimeSeconds() int {
	if s.MaxTokenLifetimeSeconds == 0 {
		return DefaultTokenLifetimeSeconds
	}
	return s.MaxTokenLifetimeSeconds
}

// HMACSecret is one HS256 shared secret, chosen by the token's kid.
// Secret is absent from reads; a PUT that leaves it out keeps the stored
// secret of that kid.
type HMACSecret struct {
	KID    string `json:"kid"`
	Secret string `json:"secret,omitempty"`
}

// PublicKey is one RS256 or ES256 verification key in PEM, chosen by kid.
type PublicKey struct {
	KID string `json:"kid"`
	Alg string `json:"alg"` // "RS256" | "ES256"
	PEM string `json:"pem"`
}

// AvailabilitySettings decide whether a profile's chat is available.
type AvailabilitySettings struct {
	TimeZone   string            `json:"timeZone,omitempty"` // IANA name; empty = always open
	Weekly     []OpeningInterval `json:"weekly,omitempty"`   // empty = open all week
	Holidays   []Holiday         `json:"holidays,omitempty"`
	NeedsAgent bool              `json:"needsAgent"`
	// HideWhenUnavailable hides the launcher while chat is unavailable
	// (closed, or no agent online where the flow needs one), unless a
	// conversation is in progress in the browser.
	HideWhenUnavailable bool `json:"hideWhenUnavailable,omitempty"`
}

// OpeningInterval is one weekly opening window in the profile's time zone.
type OpeningInterval struct {
	Weekday int    `json:"weekday"` // 0 = Sunday … 6 = Saturday (time.Weekday)
	Start   string `json:"start"`   // "HH:MM"
	End     string `json:"end"`     // "HH:MM", after Start; "24:00" allowed
}

// Holiday is a closed day in the profile's time zone.
type Holiday struct {
	Date string `json:"date"` // "YYYY-MM-DD"
	Name string `json:"name,omitempty"`
}

// MaxRetentionDays is the longest retention a profile may set (100 years).
const MaxRetentionDays = 36500
