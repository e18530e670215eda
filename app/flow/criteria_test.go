package flow

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestOperators covers every operator valid for every type, with a
// missing value for each, through a chat custom field of that type.
func TestOperators(t *testing.T) {
	field := map[Type]string{TypeText: "CFregion", TypeNumber: "CFcontractValue", TypeBoolean: "CFvip", TypeDate: "CFrenewal", TypeChoice: "CFcustomerTier"}
	tests := operatorCases()
	covered := make(map[string]bool)
	for _, tt := range tests {
		name := fmt.Sprintf("%s %q %s %q%q", tt.typ, tt.have, tt.op, tt.value, tt.values)
		t.Run(name, func(t *testing.T) {
			env := Env{Chat: map[string]Value{}}
			if tt.have != missingValue {
				v, err := ParseValue(tt.typ, tt.have)
				if err != nil {
					t.Fatal(err)
				}
				env.Chat[field[tt.typ]] = v
			}
			c := &Condition{Match: MatchAll, Criteria: []Criterion{crit(SourceChat, field[tt.typ], tt.op, tt.value, tt.values...)}}
			got, err := Evaluate(c, testSchema(), env, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
		covered[string(tt.typ)+" "+string(tt.op)] = true
	}
	for _, typ := range []Type{TypeText, TypeChoice, TypeNumber, TypeBoolean, TypeDate} {
		for _, op := range OperatorsFor(typ) {
			if !covered[string(typ)+" "+string(op)] {
				t.Errorf("no case for %s %s", typ, op)
			}
		}
	}
}

// missingValue stands for a field without a value in operatorCases.
const missingValue = "<missing>"

// operatorCase is a chat custom field of type typ holding have, compared
// with op to value (or values): the condition is want.
type operatorCase struct {
	typ    Type
	have   string // the field's value; missingValue for none
	op     Operator
	value  string
	values []string
	want   bool
}

// operatorCases covers every operator valid for every type, with a
// missing value for each.
func operatorCases() []operatorCase {
	missing := missingValue
	return []operatorCase{
		// text: case-insensitive, not trimmed
		{TypeText, "Europe West", OpEquals, "europe west", nil, true},
		{TypeText, "Europe West", OpEquals, "Europe", nil, false},
		{TypeText, "Europe ", OpEquals, "Europe", nil, false},
		{TypeText, missing, OpEquals, "Europe", nil, false},
		{TypeText, "Europe", OpNotEquals, "EUROPE", nil, false},
		{TypeText, "Asia", OpNotEquals, "Europe", nil, true},
		{TypeText, missing, OpNotEquals, "Europe", nil, true},
		{TypeText, "Europe West", OpContains, "PE WE", nil, true},
		{TypeText, "Europe West", OpContains, "east", nil, false},
		{TypeText, missing, OpContains, "e", nil, false},
		{TypeText, "Europe West", OpStartsWith, "eur", nil, true},
		{TypeText, "Europe West", OpStartsWith, "West", nil, false},
		{TypeText, missing, OpStartsWith, "e", nil, false},
		{TypeText, "", OpIsEmpty, "", nil, true},
		{TypeText, missing, OpIsEmpty, "", nil, true},
		{TypeText, " ", OpIsEmpty, "", nil, false},
		{TypeText, "x", OpNotEmpty, "", nil, true},
		{TypeText, missing, OpNotEmpty, "", nil, false},
		{TypeText, "ÉTÉ", OpOneOf, "", []string{"hiver", "été"}, true},
		{TypeText, "printemps", OpOneOf, "", []string{"hiver", "été"}, false},
		{TypeText, missing, OpOneOf, "", []string{"hiver"}, false},
		// choice: like text
		{TypeChoice, "gold", OpEquals, "gold", nil, true},
		{TypeChoice, "GOLD", OpEquals, "gold", nil, true},
		{TypeChoice, "silver", OpEquals, "gold", nil, false},
		{TypeChoice, missing, OpEquals, "gold", nil, false},
		{TypeChoice, "silver", OpNotEquals, "gold", nil, true},
		{TypeChoice, missing, OpNotEquals, "gold", nil, true},
		{TypeChoice, missing, OpIsEmpty, "", nil, true},
		{TypeChoice, "gold", OpIsEmpty, "", nil, false},
		{TypeChoice, "gold", OpNotEmpty, "", nil, true},
		{TypeChoice, "gold", OpOneOf, "", []string{"gold", "platinum"}, true},
		{TypeChoice, "bronze", OpOneOf, "", []string{"gold", "platinum"}, false},
		// number: numeric
		{TypeNumber, "10", OpEquals, "10.0", nil, true},
		{TypeNumber, "10", OpEquals, "1e1", nil, true},
		{TypeNumber, "10.5", OpEquals, "10", nil, false},
		{TypeNumber, missing, OpEquals, "0", nil, false},
		{TypeNumber, "10", OpNotEquals, "11", nil, true},
		{TypeNumber, missing, OpNotEquals, "0", nil, true},
		{TypeNumber, "10000.01", OpGreaterThan, "10000", nil, true},
		{TypeNumber, "10000", OpGreaterThan, "10000", nil, false},
		{TypeNumber, "-5", OpGreaterThan, "-6", nil, true},
		{TypeNumber, missing, OpGreaterThan, "-6", nil, false},
		{TypeNumber, "9", OpLessThan, "10", nil, true},
		{TypeNumber, "10", OpLessThan, "9", nil, false},
		{TypeNumber, missing, OpLessThan, "10", nil, false},
		{TypeNumber, missing, OpIsEmpty, "", nil, true},
		{TypeNumber, "0", OpIsEmpty, "", nil, false},
		{TypeNumber, "0", OpNotEmpty, "", nil, true},
		{TypeNumber, "3", OpOneOf, "", []string{"1", "2", "3.0"}, true},
		{TypeNumber, "4", OpOneOf, "", []string{"1", "2", "3"}, false},
		// boolean
		{TypeBoolean, "true", OpEquals, "true", nil, true},
		{TypeBoolean, "false", OpEquals, "TRUE", nil, false},
		{TypeBoolean, missing, OpEquals, "false", nil, false},
		{TypeBoolean, "false", OpNotEquals, "true", nil, true},
		{TypeBoolean, missing, OpNotEquals, "true", nil, true},
		{TypeBoolean, "false", OpIsEmpty, "", nil, false},
		{TypeBoolean, missing, OpIsEmpty, "", nil, true},
		{TypeBoolean, "false", OpNotEmpty, "", nil, true},
		// date: calendar dates, instants, mixed by UTC date
		{TypeDate, "2024-05-01", OpEquals, "2024-05-01", nil, true},
		{TypeDate, "2024-05-01T23:30:00Z", OpEquals, "2024-05-01", nil, true},
		{TypeDate, "2024-05-01T23:30:00-05:00", OpEquals, "2024-05-01", nil, false}, // 2024-05-02 in UTC
		{TypeDate, "2024-05-01T10:00:00+02:00", OpEquals, "2024-05-01T08:00:00Z", nil, true},
		{TypeDate, "2024-05-01T10:00:00Z", OpEquals, "2024-05-01T10:00:01Z", nil, false},
		{TypeDate, missing, OpEquals, "2024-05-01", nil, false},
		{TypeDate, "2024-05-02", OpNotEquals, "2024-05-01", nil, true},
		{TypeDate, "2024-05-02", OpGreaterThan, "2024-05-01", nil, true},
		{TypeDate, "2024-05-01T00:00:00Z", OpGreaterThan, "2024-05-01", nil, false},
		{TypeDate, "2024-05-01T00:00:00.5Z", OpGreaterThan, "2024-05-01T00:00:00Z", nil, true},
		{TypeDate, "1969-12-31", OpLessThan, "1970-01-01", nil, true},
		{TypeDate, "1969-12-31T23:59:59Z", OpLessThan, "1970-01-01", nil, true},
		{TypeDate, "2024-05-01", OpLessThan, "2024-05-01", nil, false},
		{TypeDate, missing, OpLessThan, "2024-05-01", nil, false},
		{TypeDate, missing, OpIsEmpty, "", nil, true},
		{TypeDate, "2024-05-01", OpNotEmpty, "", nil, true},
	}
}

func TestAllAndAny(t *testing.T) {
	yes := crit(SourceUser, "firstname", OpEquals, "jo")
	no := crit(SourceUser, "firstname", OpEquals, "al")
	env := Env{User: map[string]string{"firstname": "Jo"}}
	tests := []struct {
		name  string
		match Match
		crit  []Criterion
		want  bool
	}{
		{"all of nothing is true", MatchAll, nil, true},
		{"any of nothing is false", MatchAny, nil, false},
		{"all true", MatchAll, []Criterion{yes, yes}, true},
		{"all with one false", MatchAll, []Criterion{yes, no}, false},
		{"any with one true", MatchAny, []Criterion{no, yes}, true},
		{"any all false", MatchAny, []Criterion{no, no}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Evaluate(&Condition{Match: tt.match, Criteria: tt.crit}, Schema{}, env, nil)
			if err != nil || got != tt.want {
				t.Fatalf("got %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestEvaluateReadsUserFieldsAndVariables(t *testing.T) {
	env := Env{User: map[string]string{"email": "jo@example.com"}}
	vars := map[string]Value{"age": mustNum("42"), "topic": NewText("Billing")}
	c := &Condition{Match: MatchAll, Criteria: []Criterion{
		crit(SourceUser, "email", OpContains, "@EXAMPLE."),
		crit(SourceUser, "phone", OpIsEmpty, ""),
		crit(SourceVariable, "age", OpGreaterThan, "40"),
		crit(SourceVariable, "topic", OpOneOf, "", "billing", "sales"),
		crit(SourceVariable, "unset", OpIsEmpty, ""),
	}}
	got, err := Evaluate(c, Schema{}, env, vars)
	if err != nil || !got {
		t.Fatalf("got %v, %v", got, err)
	}
	var ve *ValidationError
	_, err = Evaluate(&Condition{Match: MatchAll, Criteria: []Criterion{crit(SourceVariable, "age", OpGreaterThan, "old")}}, Schema{}, env, vars)
	if !errors.As(err, &ve) {
		t.Fatalf("a value that is not a number: %v", err)
	}
}

// The compiled codes match the operators and sources they stand for.
func TestOperatorAndSourceCodes(t *testing.T) {
	ops := map[Operator]opCode{OpEquals: codeEquals, OpNotEquals: codeNotEquals, OpContains: codeContains,
		OpStartsWith: codeStartsWith, OpIsEmpty: codeIsEmpty, OpNotEmpty: codeNotEmpty,
		OpGreaterThan: codeGreaterThan, OpLessThan: codeLessThan, OpOneOf: codeOneOf, "bogus": 0}
	if len(ops) != len(Operators())+1 {
		t.Fatalf("the table misses an operator: %d of %d", len(ops)-1, len(Operators()))
	}
	for op, want := range ops {
		if got := opCodeOf(op); got != want {
			t.Errorf("opCodeOf(%q) = %d, want %d", op, got, want)
		}
	}
	for src, want := range map[Source]srcCode{SourceChat: codeChat, SourceUser: codeUser, SourceVariable: codeVariable, "bogus": 0} {
		if got := srcCodeOf(src); got != want {
			t.Errorf("srcCodeOf(%q) = %d, want %d", src, got, want)
		}
	}
}

// lowerText is strings.ToLower.
func TestLowerText(t *testing.T) {
	for _, s := range []string{"", "a", "jane@example.com", "Jane@example.com", "jane@example.coM", "abcdefghijklmnopqrstuvwxyz@[`{",
		"ABCDEFGHIJKLMNOPQRSTUVWXYZ", "0123456789-_.~", "straße", "ÀÉÎ", "émile.zola@exemple.fr", "a\xffb", "abcdefg\xffhijklmn", "ABCDEFG\xffhij", "12345678Z", "@@@@@@@@"} {
		if got, want := lowerText(s), strings.ToLower(s); got != want {
			t.Errorf("lowerText(%q) = %q, want %q", s, got, want)
		}
		if got, want := validUTF8(s), strings.ToValidUTF8(s, "\uFFFD"); got != want {
			t.Errorf("validUTF8(%q) = %q, want %q", s, got, want)
		}
	}
}
