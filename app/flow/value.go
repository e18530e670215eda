package flow

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Type is the type of a custom field, a variable or a runbook output.
type Type string

// Types.
const (
	TypeText    Type = "text"
	TypeNumber  Type = "number"
	TypeBoolean Type = "boolean"
	// TypeDate holds a calendar date (YYYY-MM-DD) or an instant (RFC 3339,
	// kept in UTC). Two instants compare as instants; otherwise both sides
	// compare as calendar dates, an instant's date being its UTC date.
	TypeDate Type = "date"
	// TypeChoice is a single choice among a field's Choices. It compares
	// like text.
	TypeChoice Type = "choice"
)

func (t Type) valid() bool {
	switch t {
	case TypeText, TypeNumber, TypeBoolean, TypeDate, TypeChoice:
		return true
	}
	return false
}

// Value is a typed value. The zero Value is "missing", which every
// operator treats as empty. Values are immutable and comparable with ==.
// Its JSON form is {"type":"number","value":"42"}, the value in its
// canonical text form (String).
type Value struct {
	typ  Type
	s    string  // canonical text form
	n    float64 // number
	b    bool    // boolean
	sec  int64   // date: unix seconds (instant) or the UTC midnight of the date
	nsec int32   // date: nanoseconds of an instant
	day  bool    // date: calendar date without a time
}

// NewText returns a text value. Invalid UTF-8 is replaced by U+FFFD, so
// that the value survives JSON unchanged.
func NewText(s string) Value { return Value{typ: TypeText, s: validUTF8(s)} }

func validUTF8(s string) string {
	ascii, i := true, 0
	for ; i+8 <= len(s) && ascii; i += 8 {
		ascii = word(s, i)&hiBits == 0
	}
	for ; i < len(s) && ascii; i++ {
		ascii = s[i] < utf8.RuneSelf
	}
	if ascii || utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// NewNumber returns a number value. NaN and infinities are refused.
func NewNumber(f float64) (Value, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return Value{}, errors.New("not a finite number")
	}
	if f == 0 {
		f = 0 // no negative zero
	}
	return Value{typ: TypeNumber, s: formatNumber(f), n: f}, nil
}

// NewBool returns a boolean value.
func NewBool(b bool) Value { return Value{typ: TypeBoolean, s: strconv.FormatBool(b), b: b} }

// Type returns the value's type; "" for the missing value.
func (v Value) Type() Type { return v.typ }

// String returns the canonical text form ("" when missing): numbers in
// shortest decimal form (exponent only beyond 1e21 or below 1e-6), true
// and false, dates as YYYY-MM-DD and instants as RFC 3339 in UTC.
func (v Value) String() string { return v.s }

// IsEmpty reports whether the value is missing or an empty text.
func (v Value) IsEmpty() bool {
	return v.typ == "" || (v.s == "" && (v.typ == TypeText || v.typ == TypeChoice))
}

// Number returns the value of a number.
func (v Value) Number() (float64, bool) { return v.n, v.typ == TypeNumber }

// Bool returns the value of a boolean.
func (v Value) Bool() (bool, bool) { return v.b, v.typ == TypeBoolean }

// ParseValue parses s as a value of type t. Number, boolean and date
// ignore surrounding spaces; text and choice keep s as it is but for
// invalid UTF-8 (see NewText); a choice is not checked against any list
// here (see FieldDef.Parse). An empty
// string is an error for every type but text and choice.
func ParseValue(t Type, s string) (Value, error) {
	switch t {
	case TypeText:
		return NewText(s), nil
	case TypeChoice:
		return Value{typ: TypeChoice, s: validUTF8(s)}, nil
	case TypeNumber:
		f, err := parseNumber(strings.TrimSpace(s))
		if err != nil {
			return Value{}, err
		}
		return NewNumber(f)
	case TypeBoolean:
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "true":
			return NewBool(true), nil
		case "false":
			return NewBool(false), nil
		}
		return Value{}, fmt.Errorf("%q is not true or false", s)
	case TypeDate:
		return parseDate(strings.TrimSpace(s))
	}
	return Value{}, fmt.Errorf("unknown type %q", t)
}

// ValueFromJSON converts a JSON value to type t: text accepts strings,
// numbers (their literal) and booleans; number accepts numbers and
// numeric strings; boolean accepts booleans and "true"/"false"; date and
// choice accept strings. null, objects and arrays fit no type.
func ValueFromJSON(t Type, raw json.RawMessage) (Value, error) {
	if x, ok := simpleJSON(raw); ok {
		return valueFromAny(t, x)
	}
	return valueFromJSONDecoder(t, raw)
}

// simpleJSON decodes, without a decoder, the values claims nearly always
// are: a string with no escape or control character, a number, true,
// false and null. ok is false for anything else (which the decoder then
// reads, or refuses).
func simpleJSON(raw []byte) (x any, ok bool) {
	b := raw
	for len(b) > 0 && isJSONSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isJSONSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	if len(b) == 0 {
		return nil, false
	}
	switch c := b[0]; {
	case c == '"':
		if len(b) < 2 || b[len(b)-1] != '"' {
			return nil, false
		}
		in := b[1 : len(b)-1]
		for _, c := range in {
			if c < 0x20 || c == '"' || c == '\\' {
				return nil, false
			}
		}
		if !utf8.Valid(in) {
			return nil, false
		}
		return string(in), true
	case c == '-' || ('0' <= c && c <= '9'):
		if !json.Valid(b) {
			return nil, false
		}
		return json.Number(b), true
	}
	switch string(b) {
	case "true":
		return true, true
	case "false":
		return false, true
	case "null":
		return nil, true
	}
	return nil, false
}

func isJSONSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// valueFromJSONDecoder is ValueFromJSON for any JSON text.
func valueFromJSONDecoder(t Type, raw json.RawMessage) (Value, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var x any
	if err := d.Decode(&x); err != nil {
		return Value{}, err
	}
	if !jsonSpace(raw[d.InputOffset():]) {
		return Value{}, errors.New("trailing data after JSON value")
	}
	return valueFromAny(t, x)
}

// valueFromAny converts a value decoded with UseNumber.
func valueFromAny(t Type, x any) (Value, error) {
	switch x := x.(type) {
	case string:
		return ParseValue(t, x)
	case json.Number:
		if t == TypeText || t == TypeNumber {
			if t == TypeText {
				return NewText(x.String()), nil
			}
			return ParseValue(t, x.String())
		}
	case bool:
		if t == TypeText {
			return NewText(strconv.FormatBool(x)), nil
		}
		if t == TypeBoolean {
			return NewBool(x), nil
		}
	}
	if !t.valid() {
		return Value{}, fmt.Errorf("unknown type %q", t)
	}
	return Value{}, fmt.Errorf("a JSON %s is not a %s", jsonKind(x), t)
}

func jsonKind(x any) string {
	switch x.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case json.Number:
		return "number"
	case bool:
		return "boolean"
	case []any:
		return "array"
	}
	return "object"
}

// MarshalJSON encodes {"type":…,"value":…}; the missing value is null.
func (v Value) MarshalJSON() ([]byte, error) {
	if v.typ == "" {
		return []byte("null"), nil
	}
	return json.Marshal(valueJSON{Type: v.typ, Value: v.s})
}

// UnmarshalJSON decodes what MarshalJSON encodes, checking the value.
func (v *Value) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*v = Value{}
		return nil
	}
	var j valueJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	x, err := ParseValue(j.Type, j.Value)
	if err != nil {
		return err
	}
	*v = x
	return nil
}

type valueJSON struct {
	Type  Type   `json:"type"`
	Value string `json:"value"`
}

// parseNumber accepts the JSON number grammar only (no hex, no
// underscores, no Inf/NaN, no leading '+' or '.'), so every platform and
// client agrees on what a number is.
func parseNumber(s string) (float64, error) {
	if !isJSONNumber(s) {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is out of range", s)
	}
	return f, nil
}

func isJSONNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	digits := func() int {
		j := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i - j
	}
	if i < len(s) && s[i] == '0' {
		i++
	} else if digits() == 0 {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}

func formatNumber(f float64) string {
	if a := math.Abs(f); a != 0 && (a < 1e-6 || a >= 1e21) {
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

func parseDate(s string) (Value, error) {
	if len(s) == len("2006-01-02") {
		t, err := time.ParseInLocation(time.DateOnly, s, time.UTC)
		if err != nil {
			return Value{}, fmt.Errorf("%q is not a date (YYYY-MM-DD)", s)
		}
		return Value{typ: TypeDate, s: t.Format(time.DateOnly), sec: t.Unix(), day: true}, nil
	}
	// ParseInLocation with UTC: an offset never makes the time package
	// look up the local zone (a file read).
	t, err := time.ParseInLocation(time.RFC3339Nano, s, time.UTC)
	if err != nil {
		return Value{}, fmt.Errorf("%q is not a date (YYYY-MM-DD) or an RFC 3339 time", s)
	}
	t = t.UTC()
	if y := t.Year(); y < 1 || y > 9999 {
		return Value{}, fmt.Errorf("%q is out of range", s)
	}
	return Value{typ: TypeDate, s: t.Format(time.RFC3339Nano), sec: t.Unix(), nsec: int32(t.Nanosecond())}, nil
}

// days returns the UTC calendar day of a date value.
func (v Value) days() int64 {
	d := v.sec / 86400
	if v.sec%86400 < 0 {
		d--
	}
	return d
}

// compareDates orders two date values: as instants if both are
// instants, as calendar days otherwise.
func compareDates(a, b Value) int {
	if !a.day && !b.day {
		switch {
		case a.sec != b.sec:
			return cmp64(a.sec, b.sec)
		default:
			return cmp64(int64(a.nsec), int64(b.nsec))
		}
	}
	return cmp64(a.days(), b.days())
}

func cmp64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// FieldDef is a chat custom field known to the server.
type FieldDef struct {
	Name    string   `json:"name"`  // database name, e.g. CFcustomerTier
	Label   string   `json:"label"` // e.g. "Customer tier"
	Type    Type     `json:"type"`
	Choices []string `json:"choices,omitempty"` // for type choice
}

// Parse parses s as a value of the field, checking a choice against the
// field's choices (exactly).
func (d FieldDef) Parse(s string) (Value, error) {
	v, err := ParseValue(d.Type, s)
	if err != nil {
		return Value{}, fmt.Errorf("field %s: %w", d.Name, err)
	}
	return d.check(v)
}

// ParseJSON converts a JSON value (a claim, say) to a value of the field
// (see ValueFromJSON), checking a choice against the field's choices.
func (d FieldDef) ParseJSON(raw json.RawMessage) (Value, error) {
	v, err := ValueFromJSON(d.Type, raw)
	if err != nil {
		return Value{}, fmt.Errorf("field %s: %w", d.Name, err)
	}
	return d.check(v)
}

func (d FieldDef) check(v Value) (Value, error) {
	if d.Type == TypeChoice && v.s != "" {
		for _, c := range d.Choices {
			if c == v.s {
				return v, nil
			}
		}
		return Value{}, fmt.Errorf("field %s: %q is not one of its choices", d.Name, v.s)
	}
	return v, nil
}

// Schema is what the server knows about custom fields when it validates
// or runs a flow.
type Schema struct {
	ChatFields []FieldDef `json:"chatFields,omitempty"`
}

// ChatField finds a chat custom field by database name or, failing that,
// by label (both exact, case-sensitive: the database name wins, as for
// claims).
func (s Schema) ChatField(nameOrLabel string) (FieldDef, bool) {
	for _, d := range s.ChatFields {
		if d.Name == nameOrLabel {
			return d, true
		}
	}
	for _, d := range s.ChatFields {
		if d.Label == nameOrLabel {
			return d, true
		}
	}
	return FieldDef{}, false
}

// jsonSpace reports whether b holds only JSON whitespace.
func jsonSpace(b []byte) bool {
	for _, c := range b {
		if !isJSONSpace(c) {
			return false
		}
	}
	return true
}
