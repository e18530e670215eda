package store

import (
	"crypto/rand"
	"database/sql/driver"
	"encoding/base32"
	"encoding/json"
	"fmt"
	"strings"
)

// JSON columns are TEXT on both dialects and are encoded and decoded in Go
// (never with SQL JSON functions, which differ between the two).

func jsonValue(v any, empty string) (driver.Value, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode JSON column: %w", err)
	}
	if string(b) == "null" {
		return empty, nil
	}
	return string(b), nil
}

func jsonScan(src, dst any) error {
	var b []byte
	switch s := src.(type) {
	case nil:
		return nil
	case string:
		b = []byte(s)
	case []byte:
		b = s
	default:
		return fmt.Errorf("decode JSON column: unexpected %T", src)
	}
	if len(b) == 0 {
		return nil
	}
	if err := json.Unmarshal(b, dst); err != nil {
		return fmt.Errorf("decode JSON column: %w", err)
	}
	return nil
}

// RawJSON is a JSON document the store keeps as it is (a flow document, a
// flow state, a message payload, matching data content). Stored as TEXT;
// an empty value is stored as the empty string.
type RawJSON []byte

// Value implements driver.Valuer.
func (r RawJSON) Value() (driver.Value, error) { return string(r), nil }

// Scan implements sql.Scanner.
func (r *RawJSON) Scan(src any) error {
	switch s := src.(type) {
	case nil:
		*r = nil
	case string:
		*r = RawJSON(s)
	case []byte:
		*r = append(RawJSON(nil), s...)
	default:
		return fmt.Errorf("decode JSON column: unexpected %T", src)
	}
	if len(*r) == 0 {
		*r = nil
	}
	return nil
}

// MarshalJSON embeds the document as it is ("null" when empty).
func (r RawJSON) MarshalJSON() ([]byte, error) {
	if len(r) == 0 {
		return []byte("null"), nil
	}
	return json.RawMessage(r).MarshalJSON()
}

// UnmarshalJSON keeps a copy of the document.
func (r *RawJSON) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*r = nil
		return nil
	}
	*r = append((*r)[:0], b...)
	return nil
}

// StringList is a JSON array of strings (allowed origins, permissions).
type StringList []string

// Value implements driver.Valuer.
func (l StringList) Value() (driver.Value, error) { return jsonValue([]string(l), "[]") }

// Scan implements sql.Scanner.
func (l *StringList) Scan(src any) error { *l = nil; return jsonScan(src, (*[]string)(l)) }

// Appearance is a chat profile's look; `initialize` may override it per page.
type Appearance struct {
	Colour           string `json:"colour,omitempty"`
	Theme            string `json:"theme,omitempty"` // "light" | "dark"
	Title            string `json:"title,omitempty"`
	Greeting         string `json:"greeting,omitempty"`
	LauncherPosition string `json:"launcherPosition,omitempty"` // e.g. "bottom-right", "bottom-left"
	IconURL          string `json:"iconUrl,omitempty"`
}

// Value implements driver.Valuer.
func (a Appearance) Value() (driver.Value, error) { return jsonValue(a, "{}") }

// Scan implements sql.Scanner.
func (a *Appearance) Scan(src any) error { *a = Appearance{}; return jsonScan(src, a) }

// HMACSecret is one HS256 shared secret, chosen by the token's kid.
type HMACSecret struct {
	KID    string `json:"kid"`
	Secret string `json:"secret"`
}

// PublicKey is one RS256 or ES256 verification key in PEM, chosen by kid.
type PublicKey struct {
	KID string `json:"kid"`
	Alg string `json:"alg"` // "RS256" | "ES256"
	PEM string `json:"pem"`
}

// IdentitySettings says how a chat profile verifies identity tokens.
type IdentitySettings struct {
	TokenRequired bool         `json:"tokenRequired"`
	HS256Secrets  []HMACSecret `json:"hs256Secrets,omitempty"`
	PublicKeys    []PublicKey  `json:"publicKeys,omitempty"`
	Issuer        string       `json:"issuer,omitempty"`
	Audience      string       `json:"audience,omitempty"`
	LeewaySeconds int          `json:"leewaySeconds,omitempty"`
}

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

// Availability decides whether a profile's chat is available.
type Availability struct {
	TimeZone   string            `json:"timeZone,omitempty"` // IANA name; empty = always open
	Weekly     []OpeningInterval `json:"weekly,omitempty"`   // empty = open all week
	Holidays   []Holiday         `json:"holidays,omitempty"`
	NeedsAgent bool              `json:"needsAgent"`
	// HideWhenUnavailable hides the launcher while chat is unavailable
	// (closed, or no agent online where the flow needs one), unless a
	// conversation is in progress in the browser.
	HideWhenUnavailable bool `json:"hideWhenUnavailable,omitempty"`
}

// Value implements driver.Valuer.
func (a Availability) Value() (driver.Value, error) { return jsonValue(a, "{}") }

// Scan implements sql.Scanner.
func (a *Availability) Scan(src any) error { *a = Availability{}; return jsonScan(src, a) }

// Choice is one option of a choice custom field.
type Choice struct {
	Value string `json:"value"`
	Label string `json:"label,omitempty"`
}

// Choices is a JSON array of [Choice].
type Choices []Choice

// Value implements driver.Valuer.
func (c Choices) Value() (driver.Value, error) { return jsonValue([]Choice(c), "[]") }

// Scan implements sql.Scanner.
func (c *Choices) Scan(src any) error { *c = nil; return jsonScan(src, (*[]Choice)(c)) }

// idEncoding is lower-case base32 without padding: URL-safe and readable.
var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// RandomID returns a random identifier of n random bytes (crypto/rand) in
// lower-case base32: 10 bytes give 16 characters, 16 bytes 26.
func RandomID(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails since Go 1.24
	return strings.ToLower(idEncoding.EncodeToString(b))
}
