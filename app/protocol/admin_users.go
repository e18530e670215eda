package protocol

import (
	"encoding/json"
	"time"
)

// The admin REST API's users (/api/User) and the ChatMatchingData a host
// backend registers for a later chat start (/api/ChatMatchingData).

// User is a user (a visitor or self-service portal user) as the admin API
// shows it: never its password hash.
type User struct {
	ID          int64     `json:"id"`
	Email       string    `json:"email"`
	ExternalID  string    `json:"externalId"`
	Username    string    `json:"username"`
	FirstName   string    `json:"firstName"`
	LastName    string    `json:"lastName"`
	Phone       string    `json:"phone"`
	HasPassword bool      `json:"hasPassword"` // can log in to the portal with a password
	Disabled    bool      `json:"disabled"`
	CreatedAt   time.Time `json:"createdAt"`
	UpdatedAt   time.Time `json:"updatedAt"`
}

// UserInput is what POST and PUT take. password (10 to 72 bytes) is
// required at creation and, when given on PUT, replaces the old one;
// id, hasPassword and the times are read-only.
type UserInput struct {
	User
	Password string `json:"password,omitempty"`
}

// ChatMatchingDataInput is one item of a POST /api/ChatMatchingData body:
// json_content is any JSON object, mapped at the chat start with the
// profile's identity token mappings, exactly as claims would be.
// chatprofile_id (this service's addition to Halo's body) binds the item
// to one chat profile, which its API client must be allowed to use;
// without it the item is bound to the client's profiles.
type ChatMatchingDataInput struct {
	JSONContent   json.RawMessage `json:"json_content"`
	SingleUse     bool            `json:"single_use"`
	ChatProfileID string          `json:"chatprofile_id,omitempty"`
}

// ChatMatchingData is one registered item: put guid and key in the
// identity token as the claims chatmatchingdataguid and
// chatmatchingdatakey. The key is shown only here.
type ChatMatchingData struct {
	GUID      string    `json:"guid"`
	Key       string    `json:"key"`
	ExpiresAt time.Time `json:"expires_at"`
	SingleUse bool      `json:"single_use"`
}
