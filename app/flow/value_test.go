package flow

import (
	"encoding/json"
	"testing"
)

func TestParseValue(t *testing.T) {
	tests := []struct {
		typ   Type
		in    string
		canon string // "" with ok=false: refused
		ok    bool
	}{
		{TypeText, " as is ", " as is ", true},
		{TypeText, "", "", true},
		{TypeChoice, "gold", "gold", true},
		{TypeNumber, "42", "42", true},
		{TypeNumber, " -0 ", "0", true},
		{TypeNumber, "3.50", "3.5", true},
		{TypeNumber, "1e3", "1000", true},
		{TypeNumber, "1E-7", "1e-07", true},
		{TypeNumber, "123456789012345678901234", "1.2345678901234569e+23", true},
		{TypeNumber, "0.000001", "0.000001", true},
		{TypeNumber, "", "", false},
		{TypeNumber, "+1", "", false},
		{TypeNumber, ".5", "", false},
		{TypeNumber, "5.", "", false},
		{TypeNumber, "01", "", false},
		{TypeNumber, "0x10", "", false},
		{TypeNumber, "1_000", "", false},
		{TypeNumber, "NaN", "", false},
		{TypeNumber, "Infinity", "", false},
		{TypeNumber, "1e400", "", false},
		{TypeNumber, "1,5", "", false},
		{TypeBoolean, "true", "true", true},
		{TypeBoolean, " FALSE ", "false", true},
		{TypeBoolean, "yes", "", false},
		{TypeBoolean, "1", "", false},
		{TypeDate, "2024-02-29", "2024-02-29", true},
		{TypeDate, "2023-02-29", "", false},
		{TypeDate, "2024-13-01", "", false},
		{TypeDate, "2024-5-1", "", false},
		{TypeDate, "2024-05-01T10:00:00+02:00", "2024-05-01T08:00:00Z", true},
		{TypeDate, "2024-05-01T10:00:00.250Z", "2024-05-01T10:00:00.25Z", true},
		{TypeDate, "2024-05-01T10:00:00", "", false},
		{TypeDate, "2024-05-01 10:00:00Z", "", false},
		{TypeDate, "0001-01-01T00:30:00+01:00", "", false}, // year 0 in UTC
		{TypeDate, "yesterday", "", false},
		{"colour", "red", "", false},
	}
	for _, tt := range tests {
		v, err := ParseValue(tt.typ, tt.in)
		if (err == nil) != tt.ok {
			t.Errorf("ParseValue(%s, %q): %v, want ok=%v", tt.typ, tt.in, err, tt.ok)
			continue
		}
		if !tt.ok {
			continue
		}
		if v.String() != tt.canon || v.Type() != tt.typ {
			t.Errorf("ParseValue(%s, %q) = %s %q, want %q", tt.typ, tt.in, v.Type(), v.String(), tt.canon)
		}
		again, err := ParseValue(tt.typ, v.String())
		if err != nil || again != v {
			t.Errorf("canonical form %q does not parse back: %#v, %v", v.String(), again, err)
		}
		b, _ := json.Marshal(v)
		var back Value
		if err := json.Unmarshal(b, &back); err != nil || back != v {
			t.Errorf("JSON %s: %#v, %v", b, back, err)
		}
	}
}

func TestValueFromJSON(t *testing.T) {
	tests := []struct {
		typ  Type
		raw  string
		want string
		ok   bool
	}{
		{TypeText, `"x"`, "x", true},
		{TypeText, `12.50`, "12.50", true},
		{TypeText, `false`, "false", true},
		{TypeText, `null`, "", false},
		{TypeText, `{"a":1}`, "", false},
		{TypeText, `[1]`, "", false},
		{TypeNumber, `12.50`, "12.5", true},
		{TypeNumber, `"7"`, "7", true},
		{TypeNumber, `true`, "", false},
		{TypeBoolean, `true`, "true", true},
		{TypeBoolean, `"false"`, "false", true},
		{TypeBoolean, `0`, "", false},
		{TypeDate, `"2024-01-31"`, "2024-01-31", true},
		{TypeDate, `20240131`, "", false},
		{TypeChoice, `"gold"`, "gold", true},
		{TypeNumber, `1 2`, "", false},
		{TypeNumber, `1 `, "1", true},
	}
	for _, tt := range tests {
		v, err := ValueFromJSON(tt.typ, json.RawMessage(tt.raw))
		if (err == nil) != tt.ok || (tt.ok && v.String() != tt.want) {
			t.Errorf("ValueFromJSON(%s, %s) = %q, %v; want %q ok=%v", tt.typ, tt.raw, v.String(), err, tt.want, tt.ok)
		}
	}
}

func TestFieldDefChecksChoicesExactly(t *testing.T) {
	d := testSchema().ChatFields[0]
	if _, err := d.Parse("gold"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Parse("Gold"); err == nil {
		t.Fatal("a choice in another case was accepted")
	}
	if _, err := d.ParseJSON(json.RawMessage(`"diamond"`)); err == nil {
		t.Fatal("an unknown choice was accepted")
	}
	n := testSchema().ChatFields[1]
	if v, err := n.ParseJSON(json.RawMessage(`12000`)); err != nil || v.String() != "12000" {
		t.Fatalf("%v %v", v, err)
	}
}

func TestSchemaFindsByNameBeforeLabel(t *testing.T) {
	s := Schema{ChatFields: []FieldDef{
		{Name: "CFa", Label: "CFb", Type: TypeText},
		{Name: "CFb", Label: "B", Type: TypeNumber},
	}}
	if d, _ := s.ChatField("CFb"); d.Name != "CFb" {
		t.Fatalf("CFb found %s: the database name must win", d.Name)
	}
	if d, _ := s.ChatField("B"); d.Name != "CFb" {
		t.Fatalf("label B found %s", d.Name)
	}
	if _, ok := s.ChatField("b"); ok {
		t.Fatal("labels are case-sensitive")
	}
}

func TestValueAccessors(t *testing.T) {
	n := mustNum("2.5")
	if f, ok := n.Number(); !ok || f != 2.5 {
		t.Fatal(f, ok)
	}
	if _, ok := n.Bool(); ok {
		t.Fatal("a number is not a boolean")
	}
	if b, ok := NewBool(true).Bool(); !ok || !b {
		t.Fatal("bool")
	}
	if _, err := NewNumber(0 / zero()); err == nil {
		t.Fatal("NaN accepted")
	}
	if !(Value{}).IsEmpty() || !NewText("").IsEmpty() || NewText(" ").IsEmpty() || n.IsEmpty() {
		t.Fatal("IsEmpty")
	}
	b, _ := json.Marshal(Value{})
	if string(b) != "null" {
		t.Fatalf("missing value marshals as %s", b)
	}
}

func zero() float64 { return 0 }
