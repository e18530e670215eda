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
