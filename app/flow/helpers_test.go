package flow

import (
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
)

// testSchema is the chat custom fields the tests know.
func testSchema() Schema {
	return Schema{ChatFields: []FieldDef{
		{Name: "CFcustomerTier", Label: "Customer tier", Type: TypeChoice, Choices: []string{"bronze", "silver", "gold", "platinum"}},
		{Name: "CFcontractValue", Label: "Contract value", Type: TypeNumber},
		{Name: "CFvip", Label: "VIP", Type: TypeBoolean},
		{Name: "CFrenewal", Label: "Renewal date", Type: TypeDate},
		{Name: "CFregion", Label: "Region", Type: TypeText},
	}}
}

func exampleFlow(t testing.TB) *Flow {
	t.Helper()
	data, err := os.ReadFile("testdata/example.json")
	if err != nil {
		t.Fatal(err)
	}
	f, err := Parse(data)
	if err != nil {
		t.Fatalf("Parse(example.json): %v", err)
	}
	return f
}

func mustParse(t testing.TB, doc string) *Flow {
	t.Helper()
	f, err := Parse([]byte(doc))
	if err != nil {
		t.Fatalf("Parse: %v\n%s", err, doc)
	}
	return f
}

func mustCompile(t testing.TB, f *Flow) *Program {
	t.Helper()
	p, err := Compile(f, testSchema())
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return p
}

// flowOf builds a flow from steps, numbering nothing: the steps carry
// their numbers. The start step is the first step's.
func flowOf(steps ...Step) *Flow {
	hi := 0
	for _, s := range steps {
		hi = max(hi, s.Number)
	}
	return &Flow{Name: "t", StartStep: steps[0].Number, NextStepNumber: hi + 1, Steps: steps}
}

func msg(n int, text string, next int) Step {
	return Step{Number: n, Kind: KindMessage, Text: text, Next: next}
}

func end(n int, text string) Step { return Step{Number: n, Kind: KindEnd, Text: text} }

func question(n int, variable string, v Validation, next int) Step {
	return Step{Number: n, Kind: KindQuestion, Text: "Q" + itoa(n) + "?", Next: next,
		Question: &Question{Variable: variable, Validation: v, ErrorText: "bad answer"}}
}

func choice(n int, variable string, opts ...Option) Step {
	return Step{Number: n, Kind: KindChoice, Text: "Pick", Choice: &ChoiceStep{Variable: variable, Options: opts}}
}

func cond(n int, match Match, t, f int, crit ...Criterion) Step {
	return Step{Number: n, Kind: KindCondition, Condition: &Condition{Match: match, Criteria: crit, True: t, False: f}}
}

func crit(src Source, name string, op Operator, value string, values ...string) Criterion {
	return Criterion{Field: FieldRef{Source: src, Name: name}, Op: op, Value: value, Values: values}
}

func codeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func kinds(outs []Output) string {
	var b strings.Builder
	for i, o := range outs {
		if i > 0 {
			b.WriteString(" ")
		}
		b.WriteString(string(o.Kind))
	}
	return b.String()
}

func texts(outs []Output) []string {
	var s []string
	for _, o := range outs {
		if o.Kind == OutMessage {
			s = append(s, o.Text)
		}
	}
	return s
}

// roundTrip checks that a state survives JSON exactly.
func roundTrip(t *testing.T, st State) {
	t.Helper()
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	var back State
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("unmarshal %s: %v", b, err)
	}
	if !reflect.DeepEqual(st, back) {
		t.Fatalf("state round trip:\n got %#v\nwant %#v\njson %s", back, st, b)
	}
	b2, _ := json.Marshal(back)
	if string(b) != string(b2) {
		t.Fatalf("state JSON not stable:\n%s\n%s", b, b2)
	}
}

func date(t testing.TB, s string) Value {
	t.Helper()
	v, err := ParseValue(TypeDate, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// wantProblem fails unless err is a *ValidationError with a problem at
// step and field whose message holds msg.
func wantProblem(t *testing.T, err error, step int, field, msg string) {
	t.Helper()
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("Validate: %v, want a *ValidationError", err)
	}
	for _, p := range ve.Problems {
		if p.Step == step && p.Field == field && strings.Contains(p.Message, msg) {
			return
		}
	}
	t.Fatalf("no problem at step %d field %q with %q in:\n%v", step, field, msg, err)
}

// problemCase breaks a flow (change) and names the problem Validate must
// find: at step (0: the flow) and field, its message holding msg.
type problemCase struct {
	name   string
	change func(f *Flow)
	step   int
	field  string
	msg    string
}
