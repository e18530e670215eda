package flow

import "testing"

// A validation that does not compile (the runner's Compile refuses its
// flow) accepts nothing; the other validations are TestQuestionValidation's.
func TestCheckAnswerRefusesAllForABadPattern(t *testing.T) {
	for _, answer := range []string{"x", "", "("} {
		if got := CheckAnswer(Validation{Type: ValidatePattern, Pattern: `(`}, answer); got != ReasonPattern {
			t.Errorf("CheckAnswer(%q) = %q, want %q", answer, got, ReasonPattern)
		}
	}
}
