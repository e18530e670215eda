package flow

import "strings"

// CheckAnswer reports why a question with validation v refuses answer —
// one of the Reason* codes — or "" when it accepts it. It is the check
// the runner makes, so the widget can tell the visitor before sending;
// the server's run still decides. A validation that does not compile
// (a bad pattern) accepts nothing.
func CheckAnswer(v Validation, answer string) string {
	var problem bool
	cs := &compiledStep{pattern: checkValidation(0, &v, func(int, string, string, ...any) { problem = true })}
	if problem {
		return ReasonPattern
	}
	_, reason := answerRefusal(&v, cs, strings.TrimSpace(answer))
	return reason
}
