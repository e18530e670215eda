package flow

import "testing"

func TestCheckAnswerAgreesWithTheRunner(t *testing.T) {
	min, max := 1.0, 10.0
	tests := []struct {
		name   string
		v      Validation
		answer string
		want   string
	}{
		{"required and empty", Validation{Required: true}, "  ", ReasonRequired},
		{"optional and empty", Validation{}, "", ""},
		{"email", Validation{Type: ValidateEmail}, "jane@example.com", ""},
		{"not an email", Validation{Type: ValidateEmail}, "jane@", ReasonEmail},
		{"number in range", Validation{Type: ValidateNumber, Min: &min, Max: &max}, " 7 ", ""},
		{"number too big", Validation{Type: ValidateNumber, Min: &min, Max: &max}, "11", ReasonMax},
		{"not a number", Validation{Type: ValidateNumber}, "seven", ReasonNumber},
		{"pattern matches whole answer", Validation{Type: ValidatePattern, Pattern: `[A-Z]{3}-\d+`}, "ABC-12", ""},
		{"pattern partial match refused", Validation{Type: ValidatePattern, Pattern: `[A-Z]{3}`}, "ABCD", ReasonPattern},
		{"bad pattern accepts nothing", Validation{Type: ValidatePattern, Pattern: `(`}, "x", ReasonPattern},
		{"too long", Validation{MaxLength: 3}, "abcd", ReasonMaxLength},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CheckAnswer(tt.v, tt.answer); got != tt.want {
				t.Errorf("CheckAnswer = %q, want %q", got, tt.want)
			}
			// The runner refuses exactly what CheckAnswer refuses.
			if tt.name == "bad pattern accepts nothing" {
				return
			}
			f := &Flow{StartStep: 1, NextStepNumber: 3, Steps: []Step{
				{Number: 1, Kind: KindQuestion, Text: "?", Next: 2, Question: &Question{Variable: "x", Validation: tt.v}},
				{Number: 2, Kind: KindEnd},
			}}
			p, err := Compile(f, Schema{})
			if err != nil {
				t.Fatal(err)
			}
			st, _, err := p.Run(Env{}, State{}, Start(0, false))
			if err != nil {
				t.Fatal(err)
			}
			_, outs, err := p.Run(Env{}, st, Answer(tt.answer))
			if err != nil {
				t.Fatal(err)
			}
			refused := ""
			for _, o := range outs {
				if o.Kind == OutInvalidAnswer {
					refused = o.Reason
				}
			}
			if refused != tt.want {
				t.Errorf("runner refused with %q, CheckAnswer says %q", refused, tt.want)
			}
		})
	}
}

func TestPendingActionRedoesTheWaitedAction(t *testing.T) {
	f := &Flow{StartStep: 1, NextStepNumber: 4, Steps: []Step{
		{Number: 1, Kind: KindCreateTicket, Ticket: &TicketStep{Summary: "for {{user.firstname}}"}, Next: 2},
		{Number: 2, Kind: KindRunbook, Runbook: &RunbookStep{Runbook: "rb", Success: 3, Failure: 3}},
		{Number: 3, Kind: KindEnd},
	}}
	p, err := Compile(f, Schema{})
	if err != nil {
		t.Fatal(err)
	}
	env := Env{User: map[string]string{"firstname": "Ann"}}
	st, outs, err := p.Run(env, State{}, Start(0, false))
	if err != nil {
		t.Fatal(err)
	}
	got := p.PendingAction(env, st)
	if got == nil || got.Kind != OutCreateTicket || got.Summary != "for Ann" || outs[len(outs)-1].Summary != got.Summary {
		t.Fatalf("PendingAction while awaiting the ticket = %+v (the run gave %+v)", got, outs)
	}
	st, _, err = p.Run(env, st, TicketCreated("7"))
	if err != nil {
		t.Fatal(err)
	}
	if got := p.PendingAction(env, st); got == nil || got.Kind != OutCallRunbook || got.Runbook != "rb" {
		t.Fatalf("PendingAction while awaiting the runbook = %+v", got)
	}
	st, _, err = p.Run(env, st, RunbookResult(true, []byte(`{}`)))
	if err != nil {
		t.Fatal(err)
	}
	if got := p.PendingAction(env, st); got != nil {
		t.Errorf("PendingAction of an ended chat = %+v", got)
	}
}
