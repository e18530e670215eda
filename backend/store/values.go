package store

import (
	"crypto/rand"
	"database/sql/driver"
	"encoding/base32"
	"encoding/json"
	"fmt"
	"strings"
	"time"
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

// nullID is the value to store for a nullable id: NULL for 0.
func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// nullTime is the value to store for a nullable time: NULL for the zero time.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC()
}

// nullText is the value to store for a nullable text: NULL for "".
func nullText(v string) any {
	if v == "" {
		return nil
	}
	return v
}

// idEncoding is lower-case base32 without padding: URL-safe and readable.
var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// RandomID returns a random identifier of n random bytes (crypto/rand) in
// lower-case base32: 10 bytes give 16 characters, 16 bytes 26.
func RandomID(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails since Go 1.24
	return strings.ToLower(idEncoding.EncodeToString(b))
}
