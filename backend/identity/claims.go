package identity

import (
	"encoding/json"
	"fmt"
	"net/mail"
	"sort"
	"strings"
	"unicode/utf8"

	"halochat/app/flow"
	"halochat/app/protocol"
	"halochat/backend/store"
)

// Claim names of ChatMatchingData (docs/CONTRACT.md#chat-matching-data).
const (
	ClaimMatchingGUID = "chatmatchingdataguid"
	ClaimMatchingKey  = "chatmatchingdatakey"
)

// Limits on mapped values.
const (
	// MaxUserFieldLen caps a user field value, in characters.
	MaxUserFieldLen = 320
	// MaxChatFieldLen caps a chat custom field value, in characters.
	MaxChatFieldLen = 4000
)

// UserField returns the canonical user field (one of flow.UserFields) that
// name means, ignoring case, spaces, '_' and '-': "firstName",
// "first_name" and "FirstName" all mean "firstname"; "external_id" means
// "externalid". ok is false for anything else.
func UserField(name string) (field string, ok bool) {
	n := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '_', '-':
			return -1
		}
		return r
	}, strings.ToLower(name))
	if flow.IsUserField(n) {
		return n, true
	}
	return "", false
}

// Mapped is what a set of claims (or of ChatMatchingData properties) says
// about the visitor.
type Mapped struct {
	// User holds the user fields the claims filled, by flow.UserFields
	// name; an e-mail address is normalised (store.NormalizeEmail).
	User map[string]string
	// ChatFields are the chat custom field values, by field, in the order
	// of the fields given; Name and Label are filled.
	ChatFields []store.ChatFieldValue
}

// MapClaims maps claims to user fields and chat custom fields:
//
//   - User fields: each mapping (claim → user field) whose claim is
//     present fills its field; when several mappings target one field, the
//     claim first in name order wins. A claim named exactly like a user
//     field (e.g. "firstname", as in Halo's ChatMatchingData example) fills
//     that field when no mapping did. Values must be JSON strings, numbers
//     or booleans (taken as text); an e-mail must be an address.
//   - Chat custom fields (only those in chatFields; pass none for chats
//     not started from the embedded widget): a field takes the claim named
//     exactly like its database name or, failing that, its label
//     (case-sensitive). The value must fit the field's type (flow's
//     FieldDef.ParseJSON: numbers as JSON numbers or numeric strings,
//     booleans as true/false, dates as RFC 3339 or YYYY-MM-DD, a choice one
//     of its choices) and is stored in canonical form. A null claim leaves
//     the field unset.
//   - Every other claim is ignored.
//
// A value that does not fit is a *protocol.APIError of KindUnfit, code
// invalid_token, naming the claim (user fields) or the field's database
// name (chat fields).
func MapClaims(claims map[string]json.RawMessage, mappings store.TokenMappings, chatFields []store.CustomField) (*Mapped, error) {
	m := &Mapped{User: map[string]string{}}
	mapped := make([]string, 0, len(mappings))
	for claim := range mappings {
		mapped = append(mapped, claim)
	}
	sort.Strings(mapped)
	setUser := func(claim, field string) error {
		if _, done := m.User[field]; done {
			return nil
		}
		raw, ok := claims[claim]
		if !ok || isNull(raw) {
			return nil
		}
		v, err := userValue(claim, field, raw)
		if err != nil {
			return err
		}
		if v != "" {
			m.User[field] = v
		}
		return nil
	}
	for _, claim := range mapped {
		field, ok := UserField(mappings[claim])
		if !ok {
			continue // refused when the profile is saved; ignore old data
		}
		if err := setUser(claim, field); err != nil {
			return nil, err
		}
	}
	for _, field := range flow.UserFields() {
		if err := setUser(field, field); err != nil {
			return nil, err
		}
	}

	for _, f := range chatFields {
		if f.Entity != store.EntityChat {
			continue
		}
		claim := f.Name
		raw, ok := claims[claim]
		if !ok {
			claim = f.Label
			raw, ok = claims[claim]
		}
		if !ok || isNull(raw) {
			continue
		}
		v, err := ChatFieldValue(f, raw)
		if err != nil {
			return nil, &protocol.APIError{Kind: protocol.KindUnfit, Code: protocol.CodeInvalidToken, Field: f.Name,
				Message: fmt.Sprintf("chat custom field %s (%q), from claim %q: %v", f.Name, f.Label, claim, err)}
		}
		m.ChatFields = append(m.ChatFields, store.ChatFieldValue{FieldID: f.ID, Value: v, Name: f.Name, Label: f.Label})
	}
	return m, nil
}

// ChatFieldValue checks a JSON value against a custom field's type and
// returns its canonical text form.
func ChatFieldValue(f store.CustomField, raw json.RawMessage) (string, error) {
	v, err := f.FieldDef().ParseJSON(raw)
	if err != nil {
		return "", stripFieldPrefix(err, f.Name)
	}
	s := v.String()
	if utf8.RuneCountInString(s) > MaxChatFieldLen {
		return "", fmt.Errorf("value is longer than %d characters", MaxChatFieldLen)
	}
	if strings.IndexByte(s, 0) >= 0 {
		return "", fmt.Errorf("value holds a NUL character")
	}
	return s, nil
}

// stripFieldPrefix drops flow's "field NAME: " prefix, which the caller's
// message already says.
func stripFieldPrefix(err error, name string) error {
	msg := strings.TrimPrefix(err.Error(), "field "+name+": ")
	return fmt.Errorf("%s", msg)
}

func isNull(raw json.RawMessage) bool { return strings.TrimSpace(string(raw)) == "null" }

// userValue reads a claim as the text of a user field.
func userValue(claim, field string, raw json.RawMessage) (string, error) {
	bad := func(format string, args ...any) error {
		return &protocol.APIError{Kind: protocol.KindUnfit, Code: protocol.CodeInvalidToken, Field: claim,
			Message: fmt.Sprintf("claim %q (user field %s): ", claim, field) + fmt.Sprintf(format, args...)}
	}
	v, err := flow.ValueFromJSON(flow.TypeText, raw)
	if err != nil {
		return "", bad("%v", err)
	}
	s := strings.TrimSpace(v.String())
	if utf8.RuneCountInString(s) > MaxUserFieldLen {
		return "", bad("longer than %d characters", MaxUserFieldLen)
	}
	if strings.IndexByte(s, 0) >= 0 {
		return "", bad("holds a NUL character")
	}
	if field == flow.UserEmail && s != "" {
		if !ValidEmail(s) {
			return "", bad("%q is not an e-mail address", s)
		}
		s = store.NormalizeEmail(s)
	}
	return s, nil
}

// ValidEmail reports whether s is a bare e-mail address (local@domain, no
// display name or angle brackets), at most 254 bytes.
func ValidEmail(s string) bool {
	if len(s) > 254 || strings.ContainsAny(s, " <>\t\r\n") {
		return false
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	return at > 0 && at < len(s)-1
}
