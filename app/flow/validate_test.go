package flow

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// TestValidateRules breaks the example flow one rule at a time and checks
// that the problem names the step, the field and what is wrong.
func TestValidateRules(t *testing.T) {
	step := func(f *Flow, n int) *Step { return f.Step(n) }
	tests := []problemCase{
		{"duplicate step number", func(f *Flow) { f.Steps = append(f.Steps, end(6, "")) }, 6, "number", "used by more than one step"},
		{"non-positive step number", func(f *Flow) { f.Steps = append(f.Steps, end(-2, "")) }, -2, "number", "not positive"},
		{"number at or above nextStepNumber", func(f *Flow) { f.Steps = append(f.Steps, end(10, "")) }, 10, "number", "not below nextStepNumber 10"},
		{"nextStepNumber not positive", func(f *Flow) { f.NextStepNumber = 0 }, 0, "nextStepNumber", "not between 1 and"},
		{"start step missing", func(f *Flow) { f.StartStep = 8 }, 0, "startStep", "start step 8 does not exist"},
		{"branch to an unknown step", func(f *Flow) { step(f, 1).Next = 8 }, 1, "next", "branch to unknown step 8"},
		{"message next missing", func(f *Flow) { step(f, 1).Next = 0 }, 1, "next", "required branch next is missing"},
		{"question next missing", func(f *Flow) { step(f, 2).Next = 0 }, 2, "next", "required branch next is missing"},
		{"create_ticket next missing", func(f *Flow) { step(f, 5).Next = 0 }, 5, "next", "required branch next is missing"},
		{"condition true missing", func(f *Flow) { step(f, 3).Condition.True = 0 }, 3, "condition.true", "required branch condition.true is missing"},
		{"condition false to unknown step", func(f *Flow) { step(f, 3).Condition.False = 99 }, 3, "condition.false", "branch to unknown step 99"},
		{"choice option next missing", func(f *Flow) { step(f, 4).Choice.Options[1].Next = 0 }, 4, "choice.options[1].next", "required branch"},
		{"transfer fallback missing", func(f *Flow) { step(f, 7).Transfer.Fallback = 0 }, 7, "transfer.fallback", "required branch transfer.fallback is missing"},
		{"runbook success missing", func(f *Flow) {
			f.Steps = append(f.Steps, Step{Number: 8, Kind: KindRunbook, Runbook: &RunbookStep{Runbook: "r", Failure: 6}})
		}, 8, "runbook.success", "required branch runbook.success is missing"},
		{"runbook failure missing", func(f *Flow) {
			f.Steps = append(f.Steps, Step{Number: 8, Kind: KindRunbook, Runbook: &RunbookStep{Runbook: "r", Success: 6}})
		}, 8, "runbook.failure", "required branch runbook.failure is missing"},
		{"question payload missing", func(f *Flow) { step(f, 2).Question = nil }, 2, "question", "a question step needs its question"},
		{"choice payload missing", func(f *Flow) { step(f, 4).Choice = nil }, 4, "choice", "a choice step needs its choice"},
		{"condition payload missing", func(f *Flow) { step(f, 3).Condition = nil }, 3, "condition", "needs its condition"},
		{"ticket payload missing", func(f *Flow) { step(f, 5).Ticket = nil }, 5, "ticket", "a create_ticket step needs its ticket"},
		{"transfer payload missing", func(f *Flow) { step(f, 7).Transfer = nil }, 7, "transfer", "needs its transfer"},
		{"runbook payload missing", func(f *Flow) { f.Steps = append(f.Steps, Step{Number: 8, Kind: KindRunbook}) }, 8, "runbook", "needs its runbook"},
		{"payload of another kind", func(f *Flow) { step(f, 1).Ticket = &TicketStep{Summary: "x"} }, 1, "ticket", "a message step has no ticket"},
		{"next on a branching kind", func(f *Flow) { step(f, 3).Next = 4 }, 3, "next", "a condition step has no next"},
		{"unknown kind", func(f *Flow) { step(f, 6).Kind = "dance" }, 6, "kind", `unknown step kind "dance"`},
		{"message without text", func(f *Flow) { step(f, 1).Text = "  " }, 1, "text", "message step needs a text"},
		{"text too long", func(f *Flow) { step(f, 6).Text = strings.Repeat("x", MaxTextLength+1) }, 6, "text", "longer than"},
		{"question without variable", func(f *Flow) { step(f, 2).Question.Variable = "" }, 2, "question.variable", "variable name is missing"},
		{"bad variable name", func(f *Flow) { step(f, 2).Question.Variable = "e-mail" }, 2, "question.variable", `variable name "e-mail" is not`},
		{"unknown validation type", func(f *Flow) { step(f, 2).Question.Validation.Type = "phone" }, 2, "question.validation.type", `"phone" is not text, email, number or pattern`},
		{"bad regex pattern", func(f *Flow) { step(f, 2).Question.Validation = Validation{Type: ValidatePattern, Pattern: "[a-"} }, 2, "question.validation.pattern", "pattern does not compile"},
		{"pattern type without pattern", func(f *Flow) { step(f, 2).Question.Validation = Validation{Type: ValidatePattern} }, 2, "question.validation.pattern", "needs a pattern"},
		{"pattern on another type", func(f *Flow) { step(f, 2).Question.Validation.Pattern = "x" }, 2, "question.validation.pattern", "needs validation type pattern"},
		{"min on a text question", func(f *Flow) { one := 1.0; step(f, 2).Question.Validation.Min = &one }, 2, "question.validation.min", "min needs validation type number"},
		{"min above max", func(f *Flow) {
			lo, hi := 5.0, 1.0
			step(f, 2).Question.Validation = Validation{Type: ValidateNumber, Min: &lo, Max: &hi}
		}, 2, "question.validation.min", "min 5 is above max 1"},
		{"negative maxLength", func(f *Flow) { step(f, 2).Question.Validation.MaxLength = -1 }, 2, "question.validation.maxLength", "negative"},
		{"choice without options", func(f *Flow) { step(f, 4).Choice.Options = nil }, 4, "choice.options", "at least one option"},
		{"choice labels equal ignoring case", func(f *Flow) { step(f, 4).Choice.Options[1].Label = "BILLING" }, 4, "choice.options[1].label", "repeats option 0"},
		{"empty choice label", func(f *Flow) { step(f, 4).Choice.Options[0].Label = "" }, 4, "choice.options[0].label", "label is empty"},
		{"ticket without summary", func(f *Flow) { step(f, 5).Ticket.Summary = "" }, 5, "ticket.summary", "needs a summary"},
		{"runbook without id", func(f *Flow) {
			f.Steps = append(f.Steps, Step{Number: 8, Kind: KindRunbook, Runbook: &RunbookStep{Success: 6, Failure: 6}})
		}, 8, "runbook.runbook", "needs a runbook id"},
		{"runbook output with a bad path", func(f *Flow) {
			f.Steps = append(f.Steps, Step{Number: 8, Kind: KindRunbook, Runbook: &RunbookStep{Runbook: "r", Success: 6, Failure: 6,
				Outputs: []RunbookOutput{{Path: "items[x]", Variable: "v", Type: TypeText}}}})
		}, 8, "runbook.outputs[0].path", "is not a number"},
		{"runbook output of type choice", func(f *Flow) {
			f.Steps = append(f.Steps, Step{Number: 8, Kind: KindRunbook, Runbook: &RunbookStep{Runbook: "r", Success: 6, Failure: 6,
				Outputs: []RunbookOutput{{Path: "a", Variable: "v", Type: TypeChoice}}}})
		}, 8, "runbook.outputs[0].type", "is not text, number, boolean or date"},
		{"variable set with two types", func(f *Flow) {
			f.Steps = append(f.Steps, Step{Number: 8, Kind: KindRunbook, Runbook: &RunbookStep{Runbook: "r", Success: 6, Failure: 6,
				Outputs: []RunbookOutput{{Path: "a", Variable: "email", Type: TypeNumber}}}})
		}, 8, "runbook.outputs[0].variable", `variable "email" is set as number here but as text by step 2`},
		{"condition on an unknown chat field", func(f *Flow) { step(f, 3).Condition.Criteria[0].Field.Name = "CFnope" }, 3, "condition.criteria[0].field.name", `no chat custom field has the database name or label "CFnope"`},
		{"condition on a chat field by wrong-case label", func(f *Flow) { step(f, 3).Condition.Criteria[1].Field.Name = "contract value" }, 3, "condition.criteria[1].field.name", "no chat custom field"},
		{"condition on an unknown user field", func(f *Flow) {
			step(f, 3).Condition.Criteria[0] = crit(SourceUser, "shoe_size", OpIsEmpty, "")
		}, 3, "condition.criteria[0].field.name", `unknown user field "shoe_size"`},
		{"condition on a variable no step sets", func(f *Flow) {
			step(f, 3).Condition.Criteria[0] = crit(SourceVariable, "mood", OpIsEmpty, "")
		}, 3, "condition.criteria[0].field.name", `no question, choice or runbook step of the flow sets variable "mood"`},
		{"condition on an unknown source", func(f *Flow) { step(f, 3).Condition.Criteria[0].Field.Source = "ticket" }, 3, "condition.criteria[0].field.source", `unknown source "ticket"`},
		{"unknown operator", func(f *Flow) { step(f, 3).Condition.Criteria[1].Op = "between" }, 3, "condition.criteria[1].op", `unknown operator "between"`},
		{"operator not valid for the type", func(f *Flow) { step(f, 3).Condition.Criteria[1].Op = OpContains }, 3, "condition.criteria[1].op", "operator contains is not valid for a number field"},
		{"value that is not a number", func(f *Flow) { step(f, 3).Condition.Criteria[1].Value = "abc" }, 3, "condition.criteria[1].value", "value does not fit a number field"},
		{"value that is not a choice", func(f *Flow) { step(f, 3).Condition.Criteria[0].Values[1] = "diamond" }, 3, "condition.criteria[0].values[1]", `value "diamond" is not one of the choices of CFcustomerTier`},
		{"value that is not a date", func(f *Flow) {
			step(f, 3).Condition.Criteria[1] = crit(SourceChat, "CFrenewal", OpLessThan, "2024-02-30")
		}, 3, "condition.criteria[1].value", "value does not fit a date field"},
		{"empty value", func(f *Flow) { step(f, 3).Condition.Criteria[1].Value = "" }, 3, "condition.criteria[1].value", "use is_empty or not_empty"},
		{"value on is_empty", func(f *Flow) { step(f, 3).Condition.Criteria[1].Op = OpIsEmpty }, 3, "condition.criteria[1].value", "operator is_empty takes no value"},
		{"one_of without values", func(f *Flow) { step(f, 3).Condition.Criteria[0].Values = nil }, 3, "condition.criteria[0].values", "at least one value"},
		{"values on equals", func(f *Flow) { step(f, 3).Condition.Criteria[0].Op = OpEquals }, 3, "condition.criteria[0].values", "takes value, not values"},
		{"unknown match", func(f *Flow) { step(f, 3).Condition.Match = "most" }, 3, "condition.match", `match is "most", not all or any`},
		{"loop with no input step", func(f *Flow) {
			f.NextStepNumber = 12
			f.Steps = append(f.Steps, msg(10, "again", 11), cond(11, MatchAll, 10, 6, crit(SourceChat, "VIP", OpNotEmpty, "")))
		}, 10, "", "steps 10, 11 form a loop with no question, choice, ticket, runbook or transfer step"},
		{"a message looping to itself", func(f *Flow) { f.NextStepNumber = 11; f.Steps = append(f.Steps, msg(10, "again", 10)) }, 10, "", "steps 10 form a loop"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := exampleFlow(t)
			tt.change(f)
			wantProblem(t, f.Validate(testSchema()), tt.step, tt.field, tt.msg)
		})
	}
}

func TestValidateAcceptsTheExampleAndLoopsThroughInputSteps(t *testing.T) {
	f := exampleFlow(t)
	if err := f.Validate(testSchema()); err != nil {
		t.Fatal(err)
	}
	// A loop is fine when a step in it waits: 1 → 2 (question) → 1.
	g := flowOf(msg(1, "again", 2), question(2, "x", Validation{}, 3), cond(3, MatchAll, 1, 4, crit(SourceVariable, "x", OpIsEmpty, "")), end(4, ""))
	if err := g.Validate(Schema{}); err != nil {
		t.Fatal(err)
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	f := exampleFlow(t)
	f.Step(1).Next = 77
	f.Step(4).Choice.Options[0].Next = 0
	f.Step(3).Condition.Criteria[1].Value = "lots"
	err := f.Validate(testSchema())
	var ve *ValidationError
	if !errors.As(err, &ve) || len(ve.Problems) != 3 {
		t.Fatalf("want three problems, got %v", err)
	}
	for i, want := range []int{1, 3, 4} {
		if ve.Problems[i].Step != want {
			t.Errorf("problem %d at step %d, want %d (in step order)", i, ve.Problems[i].Step, want)
		}
	}
	if !strings.Contains(err.Error(), "step 1 next: branch to unknown step 77") {
		t.Errorf("message: %v", err)
	}
}

func TestWarnings(t *testing.T) {
	f := exampleFlow(t)
	f.NextStepNumber = 11
	f.Steps = append(f.Steps, end(10, "{{var.nope}} {{user.email}} {{chat.Region}} {{foo}} {{firstname|there}} {{var.nope2|x}}"))
	got := f.Warnings(testSchema())
	var msgs []string
	for _, p := range got {
		msgs = append(msgs, p.String())
	}
	joined := strings.Join(msgs, "\n")
	for _, want := range []string{
		"step 10: step 10 cannot be reached",
		`step 10 text: placeholder {{var.nope}}: no step of the flow sets variable "nope"`,
		"step 10 text: placeholder {{foo}} is not",
		`step 10 text: placeholder {{var.nope2|x}}: no step of the flow sets variable "nope2"`,
	} {
		if !strings.Contains(joined, want) {
			t.Errorf("missing warning %q in:\n%s", want, joined)
		}
	}
	if len(got) != 4 {
		t.Errorf("%d warnings, want 4:\n%s", len(got), joined)
	}
	if w := exampleFlow(t).Warnings(testSchema()); len(w) != 0 {
		t.Errorf("example flow warnings: %v", w)
	}
}

func TestParseIsStrict(t *testing.T) {
	good := `{"name":"x","startStep":1,"nextStepNumber":2,"steps":[{"number":1,"kind":"end"}]}`
	if _, err := Parse([]byte(good)); err != nil {
		t.Fatalf("good document: %v", err)
	}
	var many strings.Builder
	many.WriteString(`{"name":"x","startStep":1,"nextStepNumber":1002,"steps":[`)
	for i := 1; i <= MaxSteps+1; i++ {
		if i > 1 {
			many.WriteString(",")
		}
		many.WriteString(`{"number":` + itoa(i) + `,"kind":"end"}`)
	}
	many.WriteString("]}")
	tests := []struct{ name, doc, want string }{
		{"unknown field", strings.Replace(good, `"kind":"end"`, `"kind":"end","colour":"red"`, 1), "unknown field"},
		{"trailing data", good + ` {}`, "data after"},
		{"trailing garbage", good + `x`, "invalid character"},
		{"duplicate key", strings.Replace(good, `"name":"x"`, `"name":"x","name":"y"`, 1), "duplicate key"},
		{"duplicate key in another case", strings.Replace(good, `"name":"x"`, `"name":"x","Name":"y"`, 1), "duplicate key"},
		{"not an object", `[]`, "cannot unmarshal"},
		{"not JSON", `{"name":`, "unexpected EOF"},
		{"too large", `{"name":"` + strings.Repeat("x", MaxDocumentSize) + `"}`, "more than"},
		{"too many steps", many.String(), "steps, more than 1000"},
		{"too deep", strings.Repeat("[", 40) + strings.Repeat("]", 40), "nested deeper"},
		{"structural problem", strings.Replace(good, `"startStep":1`, `"startStep":2`, 1), "start step 2 does not exist"},
		{"string for a number", strings.Replace(good, `"startStep":1`, `"startStep":"1"`, 1), "cannot unmarshal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.doc))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error with %q", err, tt.want)
			}
		})
	}
}

func TestParseLeavesChatFieldsToValidate(t *testing.T) {
	doc := `{"name":"x","startStep":1,"nextStepNumber":4,"steps":[
		{"number":1,"kind":"condition","condition":{"match":"all","criteria":[{"field":{"source":"chat","name":"CFnew"},"op":"equals","value":"x"}],"true":2,"false":3}},
		{"number":2,"kind":"end"},{"number":3,"kind":"end"}]}`
	f := mustParse(t, doc)
	if err := f.Validate(testSchema()); err == nil || !strings.Contains(err.Error(), "CFnew") {
		t.Fatalf("Validate with the schema: %v", err)
	}
	s := testSchema()
	s.ChatFields = append(s.ChatFields, FieldDef{Name: "CFnew", Label: "New", Type: TypeText})
	if err := f.Validate(s); err != nil {
		t.Fatal(err)
	}
}

func TestValidateSuccessor(t *testing.T) {
	prev := exampleFlow(t) // steps 1-7 and 9, nextStepNumber 10: 8 is retired
	tests := []struct {
		name   string
		change func(f *Flow)
		want   string
	}{
		{"unchanged", func(f *Flow) {}, ""},
		{"a deleted step", func(f *Flow) { f.RemoveStep(9); f.Step(1).Text = "Hello" }, ""},
		{"a new step takes the next number", func(f *Flow) { f.AddStep(end(0, "")) }, ""},
		{"a retired number comes back", func(f *Flow) { f.Steps = append(f.Steps, end(8, "")) }, "step 8 number: step number 8 was deleted"},
		{"nextStepNumber goes down", func(f *Flow) { f.RemoveStep(9); f.NextStepNumber = 9 }, "nextStepNumber 9 is below the previous version's 10"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next := prev.Clone()
			tt.change(next)
			err := ValidateSuccessor(prev, next)
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
		})
	}
	// Deleted in v2, back in v3: refused against v2 too.
	v2 := prev.Clone()
	v2.RemoveStep(9)
	v3 := v2.Clone()
	v3.Steps = append(v3.Steps, end(9, ""))
	if err := ValidateSuccessor(v2, v3); err == nil {
		t.Fatal("step 9 came back in v3")
	}
}

func TestAddStepNeverReusesANumber(t *testing.T) {
	f := exampleFlow(t)
	if n := f.AddStep(end(0, "")); n != 10 || f.NextStepNumber != 11 {
		t.Fatalf("first add: %d, next %d", n, f.NextStepNumber)
	}
	f.RemoveStep(10)
	if n := f.AddStep(end(0, "")); n != 11 {
		t.Fatalf("after removing 10, add gave %d", n)
	}
	hand := &Flow{Steps: []Step{end(4, "")}}
	if n := hand.AddStep(end(0, "")); n != 5 {
		t.Fatalf("hand-written flow: %d", n)
	}
	empty := &Flow{}
	if n := empty.AddStep(end(0, "")); n != 1 {
		t.Fatalf("empty flow: %d", n)
	}
	if f.RemoveStep(8) {
		t.Fatal("removed a step that does not exist")
	}
}

func TestParsePath(t *testing.T) {
	good := map[string][]pathElem{
		"data.tier":       {{key: "data", index: -1}, {key: "tier", index: -1}},
		"items[0].id":     {{key: "items", index: -1}, {index: 0}, {key: "id", index: -1}},
		"[2][10]":         {{index: 2}, {index: 10}},
		"a b.c-d":         {{key: "a b", index: -1}, {key: "c-d", index: -1}},
		"x[1].y[0][3].zz": {{key: "x", index: -1}, {index: 1}, {key: "y", index: -1}, {index: 0}, {index: 3}, {key: "zz", index: -1}},
	}
	for s, want := range good {
		got, err := parsePath(s)
		if err != nil || len(got) != len(want) {
			t.Errorf("parsePath(%q) = %v, %v", s, got, err)
			continue
		}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("parsePath(%q)[%d] = %v, want %v", s, i, got[i], want[i])
			}
		}
	}
	for _, s := range []string{"", ".a", "a.", "a..b", "a[", "a[]", "a[-1]", "a]", "a[0]b", "a.[0]", "a[1234567]"} {
		if got, err := parsePath(s); err == nil {
			t.Errorf("parsePath(%q) = %v, want an error", s, got)
		}
	}
}

// A clone shares nothing with its original: changing every slice and
// pointer of the clone leaves the original as it was.
func TestCloneSharesNothing(t *testing.T) {
	lo, hi := 1.0, 9.0
	orig := flowOf(
		question(1, "x", Validation{Type: ValidateNumber, Min: &lo, Max: &hi}, 2),
		Step{Number: 2, Kind: KindChoice, Choice: &ChoiceStep{Options: []Option{{Label: "a", Next: 3}}}},
		Step{Number: 3, Kind: KindCondition, Condition: &Condition{Match: MatchAll, True: 4, False: 4,
			Criteria: []Criterion{crit(SourceUser, "email", OpOneOf, "", "a", "b")}}},
		Step{Number: 4, Kind: KindCreateTicket, Ticket: &TicketStep{Summary: "s"}, Next: 5},
		Step{Number: 5, Kind: KindRunbook, Runbook: &RunbookStep{Runbook: "rb", Success: 6, Failure: 6,
			Outputs: []RunbookOutput{{Path: "a", Variable: "v", Type: TypeText}}}},
		Step{Number: 6, Kind: KindTransfer, Transfer: &TransferStep{Fallback: 7}},
		end(7, ""),
	)
	want := flowOf(orig.Steps...).Clone()
	c := orig.Clone()
	for i := range c.Steps {
		s := &c.Steps[i]
		s.Text = "changed"
		switch s.Kind {
		case KindQuestion:
			*s.Question.Validation.Min, *s.Question.Validation.Max, s.Question.Variable = 0, 0, "y"
		case KindChoice:
			s.Choice.Options[0].Label = "z"
		case KindCondition:
			s.Condition.Criteria[0].Values[0], s.Condition.True = "z", 1
		case KindCreateTicket:
			s.Ticket.Summary = "z"
		case KindRunbook:
			s.Runbook.Outputs[0].Path = "z"
		case KindTransfer:
			s.Transfer.Fallback = 1
		}
	}
	if !reflect.DeepEqual(orig, want) {
		t.Fatalf("changing the clone changed the original:\n%+v\nwant\n%+v", orig, want)
	}
}
