package flow

import (
	"strconv"
	"strings"
)

// Code is a stable, machine-readable error code: clients and the server
// switch on it, so a code never changes meaning.
type Code string

// Error codes of Run.
const (
	// CodeStartStepNotFound: an embedded startStepOverride names no step.
	CodeStartStepNotFound Code = "start_step_not_found"
	// CodeStartStepNotAllowed: the override's step lacks "Chat can start
	// from this step".
	CodeStartStepNotAllowed Code = "start_step_not_allowed"
	// CodeAlreadyStarted: a start input for a chat that has started.
	CodeAlreadyStarted Code = "already_started"
	// CodeNotStarted: any other input before the start.
	CodeNotStarted Code = "not_started"
	// CodeEnded: an input after the chat ended.
	CodeEnded Code = "chat_ended"
	// CodeUnexpectedInput: an input the chat is not waiting for (an
	// answer while waiting for a runbook, say).
	CodeUnexpectedInput Code = "unexpected_input"
	// CodeInvalidInput: an ill-formed input (unknown kind or agent event).
	CodeInvalidInput Code = "invalid_input"
	// CodeInvalidChoice: a choice index out of range or an unknown label.
	CodeInvalidChoice Code = "invalid_choice"
	// CodeStepLimit: more than MaxStepsPerRun steps ran for one input.
	CodeStepLimit Code = "step_limit"
	// CodeBadState: the state names a step the flow does not have or a
	// status it does not know (a corrupt or foreign state).
	CodeBadState Code = "bad_state"
	// CodeBadEnv: a value in the Env does not fit its field's type.
	CodeBadEnv Code = "bad_env"
	// CodeInvalidFlow: Run was given a flow that does not validate.
	CodeInvalidFlow Code = "invalid_flow"
)

// Error is an error of Run. The state is never changed when Run fails.
type Error struct {
	Code    Code   `json:"code"`
	Step    int    `json:"step,omitempty"`
	Message string `json:"message"`
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("flow: ")
	b.WriteString(string(e.Code))
	if e.Step != 0 {
		b.WriteString(" at step ")
		b.WriteString(strconv.Itoa(e.Step))
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	return b.String()
}

// Problem is one thing wrong (or, from Warnings, doubtful) with a flow.
type Problem struct {
	Step    int    `json:"step"`            // 0 for the flow as a whole
	Field   string `json:"field,omitempty"` // JSON path within the step (or flow), e.g. "condition.criteria[0].op"
	Message string `json:"message"`
}

func (p Problem) String() string {
	var b strings.Builder
	if p.Step != 0 {
		b.WriteString("step ")
		b.WriteString(strconv.Itoa(p.Step))
	} else {
		b.WriteString("flow")
	}
	if p.Field != "" {
		b.WriteString(" ")
		b.WriteString(p.Field)
	}
	b.WriteString(": ")
	b.WriteString(p.Message)
	return b.String()
}

// ValidationError lists every problem found in a flow, in a stable order.
type ValidationError struct {
	Problems []Problem `json:"problems"`
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString("invalid flow: ")
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.String())
	}
	return b.String()
}

func itoa(i int) string { return strconv.Itoa(i) }
