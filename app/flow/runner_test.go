package flow

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestExampleFlowWalksFromGreetingToTicket(t *testing.T) {
	p := mustCompile(t, exampleFlow(t))
	tier, _ := testSchema().ChatFields[0].Parse("silver")
	env := Env{User: map[string]string{"firstname": "Jane"}, Chat: map[string]Value{"CFcustomerTier": tier}}

	type step struct {
		in        Input
		wantKinds string
		wantTexts []string
		status    Status
		at        int
	}
	steps := []step{
		{Start(0, false), "message message prompt", []string{"Hi Jane, welcome to support.", "What is your email address?"}, StatusAwaitingAnswer, 2},
		{Answer("jane at example"), "invalid_answer message prompt", []string{"What is your email address?"}, StatusAwaitingAnswer, 2},
		{Answer("  jane@example.com "), "trace message choices", []string{"What do you need help with?"}, StatusAwaitingChoice, 4},
		{ChooseLabel("billing"), "create_ticket", nil, StatusAwaitingTicket, 5},
		{TicketCreated("T-42"), "message end", []string{"Ticket T-42 is logged. We will email you."}, StatusEnded, 6},
	}
	var st State
	for i, s := range steps {
		next, outs, err := p.Run(env, st, s.in)
		if err != nil {
			t.Fatalf("step %d (%s): %v", i, s.in.Kind, err)
		}
		if got := kinds(outs); got != s.wantKinds {
			t.Errorf("step %d: outputs %q, want %q", i, got, s.wantKinds)
		}
		if got := texts(outs); !reflect.DeepEqual(got, s.wantTexts) {
			t.Errorf("step %d: texts %q, want %q", i, got, s.wantTexts)
		}
		if next.Status != s.status || next.Step != s.at {
			t.Errorf("step %d: at %s/%d, want %s/%d", i, next.Status, next.Step, s.status, s.at)
		}
		roundTrip(t, next)
		st = next
		if i == 3 {
			if got := outs[0].Summary; got != "Billing: request from jane@example.com (silver customer)" {
				t.Errorf("ticket summary %q", got)
			}
		}
	}
	if st.Vars["email"].String() != "jane@example.com" || st.Vars["topic"].String() != "Billing" || st.TicketID != "T-42" {
		t.Errorf("final state %+v", st)
	}
	if st.Visited != 6 {
		t.Errorf("visited %d, want 6 (1,2,3,4,5,6)", st.Visited)
	}
}

func TestStartStepOverride(t *testing.T) {
	p := mustCompile(t, exampleFlow(t))
	started := State{Status: StatusAwaitingAnswer, Step: 2, Visited: 2}
	tests := []struct {
		name     string
		st       State
		in       Input
		wantCode Code
		wantStep int
	}{
		{"embedded override to a canStart step starts there", State{}, Start(9, true), "", 9},
		{"embedded override to a step without canStart is refused", State{}, Start(4, true), CodeStartStepNotAllowed, 0},
		{"embedded override to the start step without canStart is refused", State{}, Start(1, true), CodeStartStepNotAllowed, 0},
		{"embedded override to a missing step is refused", State{}, Start(99, true), CodeStartStepNotFound, 0},
		{"embedded override to a retired number is refused", State{}, Start(8, true), CodeStartStepNotFound, 0},
		{"embedded negative override is refused", State{}, Start(-3, true), CodeStartStepNotFound, 0},
		{"embedded without override starts at the start step", State{}, Start(0, true), "", 1},
		{"portal chat ignores an override to a canStart step", State{}, Start(9, false), "", 1},
		{"portal chat ignores an override to a missing step", State{}, Start(99, false), "", 1},
		{"a second start is refused", started, Start(0, false), CodeAlreadyStarted, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, outs, err := p.Run(Env{}, tt.st, tt.in)
			if codeOf(err) != tt.wantCode {
				t.Fatalf("error %v, want code %q", err, tt.wantCode)
			}
			if tt.wantCode != "" {
				if !reflect.DeepEqual(st, tt.st) || outs != nil {
					t.Fatalf("refused start changed the state: %+v, outputs %v", st, outs)
				}
				return
			}
			if len(outs) == 0 || outs[0].Step != tt.wantStep {
				t.Fatalf("first output %+v, want step %d", outs, tt.wantStep)
			}
		})
	}
}

func TestStepKinds(t *testing.T) {
	gold, _ := testSchema().ChatFields[0].Parse("gold")
	type call struct {
		in        Input
		wantKinds string
		status    Status
		at        int
		code      Code
	}
	tests := []struct {
		name  string
		flow  *Flow
		env   Env
		calls []call
	}{
		{"message steps chain to the end step", flowOf(msg(1, "a", 2), msg(2, "b", 3), end(3, "bye")), Env{}, []call{
			{Start(0, false), "message message message end", StatusEnded, 3, ""},
		}},
		{"an end step without text only ends", flowOf(msg(1, "a", 2), end(2, "")), Env{}, []call{
			{Start(0, false), "message end", StatusEnded, 2, ""},
		}},
		{"a question waits for an answer and goes to next", flowOf(question(1, "x", Validation{}, 2), end(2, "")), Env{}, []call{
			{Start(0, false), "message prompt", StatusAwaitingAnswer, 1, ""},
			{Answer("hi"), "end", StatusEnded, 2, ""},
		}},
		{"a choice goes to the chosen option by index", flowOf(choice(1, "", Option{Label: "A", Next: 2}, Option{Label: "B", Next: 3}), end(2, "two"), end(3, "three")), Env{}, []call{
			{Start(0, false), "message choices", StatusAwaitingChoice, 1, ""},
			{ChooseIndex(1), "message end", StatusEnded, 3, ""},
		}},
		{"a choice by label ignores case and spaces", flowOf(choice(1, "", Option{Label: "Sales", Next: 2}, Option{Label: "Help", Next: 3}), end(2, ""), end(3, "")), Env{}, []call{
			{Start(0, false), "message choices", StatusAwaitingChoice, 1, ""},
			{ChooseLabel(" help "), "end", StatusEnded, 3, ""},
		}},
		{"a choice refuses an index out of range", flowOf(choice(1, "", Option{Label: "A", Next: 2}), end(2, "")), Env{}, []call{
			{Start(0, false), "message choices", StatusAwaitingChoice, 1, ""},
			{ChooseIndex(1), "", StatusAwaitingChoice, 1, CodeInvalidChoice},
			{ChooseIndex(-1), "", StatusAwaitingChoice, 1, CodeInvalidChoice},
			{ChooseLabel("B"), "", StatusAwaitingChoice, 1, CodeInvalidChoice},
		}},
		{"a typed answer matching a label chooses it", flowOf(choice(1, "", Option{Label: "Sales", Next: 2}), end(2, "")), Env{}, []call{
			{Start(0, false), "message choices", StatusAwaitingChoice, 1, ""},
			{Answer("SALES"), "end", StatusEnded, 2, ""},
		}},
		{"a typed answer matching no label offers the choice again", flowOf(choice(1, "", Option{Label: "Sales", Next: 2}), end(2, "")), Env{}, []call{
			{Start(0, false), "message choices", StatusAwaitingChoice, 1, ""},
			{Answer("pricing"), "invalid_answer message choices", StatusAwaitingChoice, 1, ""},
		}},
		{"a true condition goes to true", flowOf(cond(1, MatchAll, 2, 3, crit(SourceChat, "CFcustomerTier", OpEquals, "gold")), end(2, "t"), end(3, "f")),
			Env{Chat: map[string]Value{"CFcustomerTier": gold}}, []call{
				{Start(0, false), "trace message end", StatusEnded, 2, ""},
			}},
		{"a false condition goes to false", flowOf(cond(1, MatchAll, 2, 3, crit(SourceChat, "Customer tier", OpEquals, "silver")), end(2, "t"), end(3, "f")),
			Env{Chat: map[string]Value{"CFcustomerTier": gold}}, []call{
				{Start(0, false), "trace message end", StatusEnded, 3, ""},
			}},
		{"create_ticket waits for the ticket then goes to next", flowOf(Step{Number: 1, Kind: KindCreateTicket, Ticket: &TicketStep{Summary: "s"}, Next: 2}, end(2, "{{ticket.id}}")), Env{}, []call{
			{Start(0, false), "create_ticket", StatusAwaitingTicket, 1, ""},
			{TicketCreated(""), "", StatusAwaitingTicket, 1, CodeInvalidInput},
			{Answer("x"), "", StatusAwaitingTicket, 1, CodeUnexpectedInput},
			{TicketCreated("T1"), "message end", StatusEnded, 2, ""},
		}},
		{"a runbook step waits for its result", flowOf(Step{Number: 1, Kind: KindRunbook, Runbook: &RunbookStep{Runbook: "rb", Success: 2, Failure: 3}}, end(2, "ok"), end(3, "ko")), Env{}, []call{
			{Start(0, false), "call_runbook", StatusAwaitingRunbook, 1, ""},
			{RunbookResult(true, nil), "trace message end", StatusEnded, 2, ""},
		}},
		{"a transfer accepted goes live, then ends with the agent", flowOf(Step{Number: 1, Kind: KindTransfer, Text: "hold on", Transfer: &TransferStep{Fallback: 2}}, end(2, "nobody")), Env{}, []call{
			{Start(0, false), "message enqueue", StatusAwaitingAgent, 1, ""},
			{Agent(AgentAccepted), "", StatusLive, 1, ""},
			{Agent(AgentUnavailable), "", StatusLive, 1, CodeUnexpectedInput},
			{Answer("hello agent"), "", StatusLive, 1, CodeUnexpectedInput},
			{Agent(AgentEnded), "end", StatusEnded, 1, ""},
		}},
		{"a transfer with nobody available goes to the fallback", flowOf(Step{Number: 1, Kind: KindTransfer, Transfer: &TransferStep{Fallback: 2}}, end(2, "nobody")), Env{}, []call{
			{Start(0, false), "enqueue", StatusAwaitingAgent, 1, ""},
			{Agent("bogus"), "", StatusAwaitingAgent, 1, CodeInvalidInput},
			{Agent(AgentUnavailable), "message end", StatusEnded, 2, ""},
		}},
		{"a chat queued for an agent can end", flowOf(Step{Number: 1, Kind: KindTransfer, Transfer: &TransferStep{Fallback: 2}}, end(2, "")), Env{}, []call{
			{Start(0, false), "enqueue", StatusAwaitingAgent, 1, ""},
			{Agent(AgentEnded), "end", StatusEnded, 1, ""},
		}},
		{"End ends a chat wherever it waits", flowOf(question(1, "x", Validation{}, 2), end(2, "")), Env{}, []call{
			{Start(0, false), "message prompt", StatusAwaitingAnswer, 1, ""},
			{End(), "end", StatusEnded, 1, ""},
		}},
		{"inputs before the start are refused", flowOf(end(1, "")), Env{}, []call{
			{Answer("x"), "", "", 0, CodeNotStarted},
			{Input{Kind: "poke"}, "", "", 0, CodeInvalidInput},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustCompile(t, tt.flow)
			var st State
			for i, c := range tt.calls {
				next, outs, err := p.Run(tt.env, st, c.in)
				if codeOf(err) != c.code {
					t.Fatalf("call %d (%s): error %v, want code %q", i, c.in.Kind, err, c.code)
				}
				if err != nil && !reflect.DeepEqual(next, st) {
					t.Fatalf("call %d: a refused input changed the state", i)
				}
				if got := kinds(outs); got != c.wantKinds {
					t.Errorf("call %d (%s): outputs %q, want %q", i, c.in.Kind, got, c.wantKinds)
				}
				if next.Status != c.status || next.Step != c.at {
					t.Errorf("call %d (%s): at %q/%d, want %q/%d", i, c.in.Kind, next.Status, next.Step, c.status, c.at)
				}
				roundTrip(t, next)
				st = next
			}
		})
	}
}

func TestEndedChatRefusesEveryInput(t *testing.T) {
	p := mustCompile(t, flowOf(end(1, "bye")))
	st, _, err := p.Run(Env{}, State{}, Start(0, false))
	if err != nil || st.Status != StatusEnded {
		t.Fatalf("start: %v %+v", err, st)
	}
	for _, in := range []Input{Start(0, false), Answer("x"), ChooseIndex(0), RunbookResult(true, nil), TicketCreated("t"), Agent(AgentEnded), End()} {
		got, outs, err := p.Run(Env{}, st, in)
		if codeOf(err) != CodeEnded || outs != nil || !reflect.DeepEqual(got, st) {
			t.Errorf("%s after the end: %v, %v, %+v", in.Kind, err, outs, got)
		}
	}
}

// TestQuestionValidation runs every kind of answer validation through the
// runner and through CheckAnswer.
func TestQuestionValidation(t *testing.T) {
	f1, f10 := 1.0, 10.0
	tests := []struct {
		name   string
		v      Validation
		answer string
		reason string
		want   Value
	}{
		{"optional empty answer clears the variable", Validation{}, "   ", "", Value{}},
		{"required refuses an empty answer", Validation{Required: true}, " ", ReasonRequired, Value{}},
		{"text keeps the trimmed answer", Validation{Required: true, Type: ValidateText}, "  hello there ", "", NewText("hello there")},
		{"maxLength counts characters", Validation{MaxLength: 3}, "héé", "", NewText("héé")},
		{"maxLength refuses longer answers", Validation{MaxLength: 3}, "hééé", ReasonMaxLength, Value{}},
		{"every answer is bounded", Validation{}, strings.Repeat("a", MaxAnswerLength+1), ReasonMaxLength, Value{}},
		{"email accepts an address", Validation{Type: ValidateEmail}, "jane.doe+x@mail.example.com", "", NewText("jane.doe+x@mail.example.com")},
		{"email refuses no domain dot", Validation{Type: ValidateEmail}, "jane@localhost", ReasonEmail, Value{}},
		{"email refuses two @", Validation{Type: ValidateEmail}, "a@b@c.com", ReasonEmail, Value{}},
		{"email refuses spaces", Validation{Type: ValidateEmail}, "jane doe@x.com", ReasonEmail, Value{}},
		{"number stores a number", Validation{Type: ValidateNumber}, "42.50", "", mustNum("42.5")},
		{"number refuses words", Validation{Type: ValidateNumber}, "forty", ReasonNumber, Value{}},
		{"number refuses hex", Validation{Type: ValidateNumber}, "0x10", ReasonNumber, Value{}},
		{"number refuses Inf", Validation{Type: ValidateNumber}, "Inf", ReasonNumber, Value{}},
		{"number below min is refused", Validation{Type: ValidateNumber, Min: &f1, Max: &f10}, "0.5", ReasonMin, Value{}},
		{"number above max is refused", Validation{Type: ValidateNumber, Min: &f1, Max: &f10}, "11", ReasonMax, Value{}},
		{"number at max is accepted", Validation{Type: ValidateNumber, Min: &f1, Max: &f10}, "10", "", mustNum("10")},
		{"pattern must match the whole answer", Validation{Type: ValidatePattern, Pattern: `[A-Z]{3}-\d+`}, "ABC-12", "", NewText("ABC-12")},
		{"pattern refuses a partial match", Validation{Type: ValidatePattern, Pattern: `[A-Z]{3}-\d+`}, "xABC-12", ReasonPattern, Value{}},
		{"pattern refuses a longer answer", Validation{Type: ValidatePattern, Pattern: `[A-Z]{3}`}, "ABCD", ReasonPattern, Value{}},
		{"number in range is trimmed", Validation{Type: ValidateNumber, Min: &f1, Max: &f10}, " 7 ", "", mustNum("7")},
		{"email refuses a missing domain", Validation{Type: ValidateEmail}, "jane@", ReasonEmail, Value{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// CheckAnswer, which the widget runs before sending, refuses
			// exactly what the runner refuses.
			if got := CheckAnswer(tt.v, tt.answer); got != tt.reason {
				t.Errorf("CheckAnswer = %q, the runner's reason is %q", got, tt.reason)
			}
			p := mustCompile(t, flowOf(question(1, "x", tt.v, 2), end(2, "")))
			st, _, err := p.Run(Env{}, State{}, Start(0, false))
			if err != nil {
				t.Fatal(err)
			}
			st.Vars = map[string]Value{"x": NewText("old")}
			next, outs, err := p.Run(Env{}, st, Answer(tt.answer))
			if err != nil {
				t.Fatal(err)
			}
			if tt.reason != "" {
				if kinds(outs) != "invalid_answer message prompt" || outs[0].Reason != tt.reason || outs[0].Text != "bad answer" {
					t.Fatalf("outputs %+v, want invalid_answer %s then the question again", outs, tt.reason)
				}
				want := st
				want.Retries = 1
				if !reflect.DeepEqual(next, want) {
					t.Fatalf("state %+v, want %+v (only retries changes)", next, want)
				}
				again, _, _ := p.Run(Env{}, next, Answer(tt.answer))
				if again.Retries != 2 {
					t.Fatalf("retries %d after a second wrong answer", again.Retries)
				}
				return
			}
			if next.Status != StatusEnded {
				t.Fatalf("outputs %+v, state %+v: the answer was refused", outs, next)
			}
			if got := next.Vars["x"]; got != tt.want {
				t.Fatalf("variable %#v, want %#v", got, tt.want)
			}
			if next.Retries != 0 {
				t.Fatalf("retries %d after leaving the question", next.Retries)
			}
		})
	}
}

func mustNum(s string) Value {
	v, err := ParseValue(TypeNumber, s)
	if err != nil {
		panic(err)
	}
	return v
}

func TestRunbookMapping(t *testing.T) {
	rb := Step{Number: 1, Kind: KindRunbook, Runbook: &RunbookStep{Runbook: "crm", Success: 2, Failure: 3, Outputs: []RunbookOutput{
		{Path: "data.tier", Variable: "tier", Type: TypeText},
		{Path: "data.count", Variable: "count", Type: TypeNumber},
		{Path: "items[1].ok", Variable: "ok", Type: TypeBoolean},
		{Path: "data.since", Variable: "since", Type: TypeDate},
	}}}
	p := mustCompile(t, flowOf(rb, end(2, "{{var.tier}} {{var.count}} {{var.ok}} {{var.since}}"), end(3, "failed")))
	started, _, err := p.Run(Env{}, State{Vars: nil}, Start(0, false))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		in       Input
		wantStep int
		wantText string
	}{
		{"a good answer maps every path", RunbookResult(true, []byte(`{"data":{"tier":"gold","count":3,"since":"2024-02-29"},"items":[{},{"ok":true}]}`)), 2, "gold 3 true 2024-02-29"},
		{"numeric strings and string booleans fit", RunbookResult(true, []byte(`{"data":{"tier":7,"count":"3.50","since":"2024-02-29T10:00:00+02:00"},"items":[0,{"ok":"TRUE"}]}`)), 2, "7 3.5 true 2024-02-29T08:00:00Z"},
		{"a missing path goes to failure", RunbookResult(true, []byte(`{"data":{"tier":"gold","count":3,"since":"2024-02-29"},"items":[{"ok":true}]}`)), 3, "failed"},
		{"a value of the wrong type goes to failure", RunbookResult(true, []byte(`{"data":{"tier":"gold","count":"many","since":"2024-02-29"},"items":[{},{"ok":true}]}`)), 3, "failed"},
		{"null fits no type", RunbookResult(true, []byte(`{"data":{"tier":null,"count":3,"since":"2024-02-29"},"items":[{},{"ok":true}]}`)), 3, "failed"},
		{"an object is not text", RunbookResult(true, []byte(`{"data":{"tier":{},"count":3,"since":"2024-02-29"},"items":[{},{"ok":true}]}`)), 3, "failed"},
		{"an invalid date goes to failure", RunbookResult(true, []byte(`{"data":{"tier":"g","count":3,"since":"2023-02-29"},"items":[{},{"ok":true}]}`)), 3, "failed"},
		{"a body that is not JSON goes to failure", RunbookResult(true, []byte(`{"data":`)), 3, "failed"},
		{"data after the JSON goes to failure", RunbookResult(true, []byte(`{} {}`)), 3, "failed"},
		{"a failed call goes to failure", RunbookResult(false, []byte(`{"data":{"tier":"gold","count":3,"since":"2024-02-29"},"items":[{},{"ok":true}]}`)), 3, "failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, outs, err := p.Run(Env{}, started, tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if st.Step != tt.wantStep {
				t.Fatalf("went to %d, want %d (outputs %+v)", st.Step, tt.wantStep, outs)
			}
			if got := texts(outs); len(got) != 1 || got[0] != tt.wantText {
				t.Fatalf("texts %q, want %q", got, tt.wantText)
			}
			if tt.wantStep == 3 && st.Vars != nil {
				t.Fatalf("a failed mapping set variables: %v", st.Vars)
			}
			roundTrip(t, st)
		})
	}
}

func TestRunNeverChangesTheGivenState(t *testing.T) {
	p := mustCompile(t, flowOf(question(1, "x", Validation{}, 2), question(2, "y", Validation{}, 3), end(3, "")))
	st, _, _ := p.Run(Env{}, State{}, Start(0, false))
	st, _, _ = p.Run(Env{}, st, Answer("first"))
	before := map[string]Value{"x": NewText("first")}
	if !reflect.DeepEqual(st.Vars, before) {
		t.Fatalf("vars %v", st.Vars)
	}
	next, _, err := p.Run(Env{}, st, Answer("second"))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(st.Vars, before) {
		t.Fatalf("Run changed the caller's vars: %v", st.Vars)
	}
	if next.Vars["y"].String() != "second" {
		t.Fatalf("new vars %v", next.Vars)
	}
}

func TestStateRoundTripsThroughJSON(t *testing.T) {
	b, _ := ParseValue(TypeBoolean, "false")
	states := []State{
		{},
		{Status: StatusAwaitingAnswer, Step: 7, Retries: 2, Visited: 12},
		{Status: StatusEnded, Step: 3, TicketID: "T-1", Vars: map[string]Value{
			"t": NewText("héllo \"x\" <b>"), "e": NewText(""), "n": mustNum("-0.000001"), "big": mustNum("1e300"), "b": b,
			"d": date(t, "2024-02-29"), "i": date(t, "2024-02-29T23:59:59.123456789-05:00"),
		}},
	}
	for _, st := range states {
		roundTrip(t, st)
	}
	var back State
	if err := json.Unmarshal([]byte(`{"vars":{"n":{"type":"number","value":"abc"}}}`), &back); err == nil {
		t.Fatal("a state with a bad number decoded")
	}
}

func TestInterpolation(t *testing.T) {
	p := mustCompile(t, flowOf(end(1, "")))
	env := Env{User: map[string]string{"firstname": "Jo"}, Chat: map[string]Value{"CFcustomerTier": NewText("gold")}}
	st := State{TicketID: "T9", Vars: map[string]Value{"n": mustNum("2.50")}}
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"Hi {{user.firstname}}!", "Hi Jo!"},
		{"Hi {{ user.firstname }}", "Hi Jo"},
		{"{{user.lastname}}|", "|"},
		{"{{chat.CFcustomerTier}} / {{chat.Customer tier}}", "gold / gold"},
		{"{{var.n}} {{var.missing}}.", "2.5."},
		{"#{{ticket.id}}", "#T9"},
		{"{{ticket.other}} {{nope}} {{x.y}}", "{{ticket.other}} {{nope}} {{x.y}}"},
		{"{{user.firstname", "{{user.firstname"},
		{"{{{{user.firstname}}}}", "{{{{user.firstname}}}}"},
		{"Hi {{firstname}}!", "Hi Jo!"},
		{"Hi {{firstname|there}}!", "Hi Jo!"},
		{"{{nope|there}}", "{{nope|there}}"},
	}
	for _, tt := range tests {
		if got := p.interpolate(tt.in, &env, &st); got != tt.want {
			t.Errorf("interpolate(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestInterpolationOfMissingValues: a placeholder with no value takes
// its fallback, or leaves no stray space where it stood.
func TestInterpolationOfMissingValues(t *testing.T) {
	p := mustCompile(t, flowOf(end(1, "")))
	env := Env{User: map[string]string{}, Chat: map[string]Value{}}
	st := State{Vars: map[string]Value{"empty": NewText("")}}
	tests := []struct{ in, want string }{
		{"Hi {{user.firstname}}! Welcome", "Hi! Welcome"},
		{"Hi {{firstname|there}}! Welcome", "Hi there! Welcome"},
		{"Hi {{ user.firstname | there }}!", "Hi there!"},
		{"Hi {{user.firstname|}}!", "Hi!"},
		{"Hi {{firstname}}, welcome.", "Hi, welcome."},
		{"Hello {{firstname}} and welcome", "Hello and welcome"},
		{"{{firstname}} welcome", "welcome"},
		{"Thanks {{firstname}}", "Thanks"},
		{"Thanks {{firstname}}\nbye", "Thanks\nbye"},
		{"one\n{{firstname}} two", "one\ntwo"},
		{"Hi {{firstname}} {{lastname}}!", "Hi!"},
		{"Hi {{firstname}}{{lastname}}!", "Hi!"},
		{"a{{var.empty}}b", "ab"},
		{"({{var.empty}})", "()"},
		{"{{chat.CFnone|n/a}} / {{var.missing|none}}", "n/a / none"},
		{"a|b {{firstname|x|y}}", "a|b x|y"},
		{"{{ticket.id|no ticket}}", "no ticket"},
		{"Hi {{nope}}!", "Hi {{nope}}!"},
	}
	for _, tt := range tests {
		if got := p.interpolate(tt.in, &env, &st); got != tt.want {
			t.Errorf("interpolate(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestStepLimitStopsARunawayRun(t *testing.T) {
	// Validate refuses input-free loops, so build one behind its back.
	p := mustCompile(t, flowOf(msg(1, "again", 2), end(2, "")))
	p.flow.Steps[0].Next = 1
	st, outs, err := p.Run(Env{}, State{}, Start(0, false))
	if codeOf(err) != CodeStepLimit || outs != nil || !reflect.DeepEqual(st, State{}) {
		t.Fatalf("got %v, %d outputs, %+v", err, len(outs), st)
	}
}

func TestCorruptStateIsRefused(t *testing.T) {
	p := mustCompile(t, flowOf(question(1, "x", Validation{}, 2), end(2, "")))
	for _, st := range []State{
		{Status: StatusAwaitingChoice, Step: 1},
		{Status: StatusAwaitingAnswer, Step: 5},
		{Status: "dancing", Step: 1},
		{Status: StatusRunning, Step: 1},
	} {
		if _, _, err := p.Run(Env{}, st, Answer("x")); codeOf(err) != CodeBadState {
			t.Errorf("state %+v: %v, want bad_state", st, err)
		}
	}
}

func TestEnvValueOfTheWrongTypeIsAnError(t *testing.T) {
	p := mustCompile(t, flowOf(cond(1, MatchAll, 2, 2, crit(SourceChat, "CFcontractValue", OpGreaterThan, "10")), end(2, "")))
	// A text that reads as a number is converted.
	if st, _, err := p.Run(Env{Chat: map[string]Value{"CFcontractValue": NewText("12")}}, State{}, Start(0, false)); err != nil || st.Status != StatusEnded {
		t.Fatalf("numeric text: %v", err)
	}
	_, _, err := p.Run(Env{Chat: map[string]Value{"CFcontractValue": NewText("lots")}}, State{}, Start(0, false))
	if codeOf(err) != CodeBadEnv || err.(*Error).Step != 1 {
		t.Fatalf("got %v, want bad_env at step 1", err)
	}
}

func TestPendingShowsWhatAChatWaitsFor(t *testing.T) {
	p := mustCompile(t, exampleFlow(t))
	st, outs, _ := p.Run(Env{}, State{}, Start(9, true))
	if got := p.Pending(Env{}, st); !reflect.DeepEqual(got, outs[1:]) {
		t.Fatalf("pending %+v, want %+v", got, outs[1:])
	}
	if got := p.Pending(Env{}, State{}); got != nil {
		t.Fatalf("pending of a new chat: %+v", got)
	}
}

func TestRunCompilesAndRefusesAnInvalidFlow(t *testing.T) {
	bad := flowOf(msg(1, "a", 5))
	if _, _, err := Run(bad, Schema{}, Env{}, State{}, Start(0, false)); err == nil {
		t.Fatal("Run accepted a flow with a branch to nowhere")
	}
	st, _, err := Run(flowOf(msg(1, "a", 2), end(2, "")), Schema{}, Env{}, State{}, Start(0, false))
	if err != nil || st.Status != StatusEnded {
		t.Fatalf("%v %+v", err, st)
	}
}

func TestEvaluateConditionAndFlowCopy(t *testing.T) {
	p := mustCompile(t, exampleFlow(t))
	gold, _ := testSchema().ChatFields[0].Parse("gold")
	if ok, err := p.EvaluateCondition(3, Env{Chat: map[string]Value{"CFcustomerTier": gold}}, nil); err != nil || !ok {
		t.Fatalf("gold customer: %v %v", ok, err)
	}
	if ok, err := p.EvaluateCondition(3, Env{}, nil); err != nil || ok {
		t.Fatalf("no fields: %v %v", ok, err)
	}
	if _, err := p.EvaluateCondition(1, Env{}, nil); codeOf(err) != CodeBadState {
		t.Fatalf("a message step: %v", err)
	}
	f := p.Flow()
	f.Step(1).Text = "changed"
	if p.Flow().Step(1).Text == "changed" {
		t.Fatal("Flow returned the program's own flow")
	}
}

// Step lookup by number: a slice for dense numbers, the map for sparse
// ones; the same answers.
func TestProgramStepLookup(t *testing.T) {
	cases := []struct {
		name  string
		nums  []int
		dense bool
	}{
		{"dense", []int{1, 2, 3}, true},
		{"sparse", []int{1, 2, 5_000_000}, false},
	}
	for _, tc := range cases {
		f := flowOf(msg(tc.nums[0], "a", tc.nums[1]), msg(tc.nums[1], "b", tc.nums[2]), end(tc.nums[2], ""))
		f.NextStepNumber = tc.nums[2] + 1
		p := mustCompile(t, f)
		if (p.pos != nil) != tc.dense {
			t.Fatalf("%s: slice used %v, want %v", tc.name, p.pos != nil, tc.dense)
		}
		for i, n := range tc.nums {
			if got, ok := p.at(n); !ok || got != i {
				t.Fatalf("%s: at(%d) = %d, %v; want %d", tc.name, n, got, ok, i)
			}
		}
		for _, n := range []int{0, -1, 4, tc.nums[2] + 1, 1 << 40} {
			if _, ok := p.at(n); ok {
				t.Fatalf("%s: at(%d) found a step", tc.name, n)
			}
		}
	}
}
