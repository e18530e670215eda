package protocol

import (
	"time"

	"halochat/app/flow"
)

// Runbooks of the admin REST API (/api/Runbook): the outbound HTTP calls
// a flow's runbook step makes (docs/CONTRACT.md#runbooks).

// Runbook is a runbook as the admin API shows it: never its secret.
type Runbook struct {
	// ID is what a flow's runbook step names (read-only: renaming a
	// runbook keeps its flows working).
	ID   string `json:"id"`
	Name string `json:"name"` // unique; the flow editor lists runbooks by name
	URL  string `json:"url"`  // http or https
	// TimeoutSeconds bounds a call: 1 to 60.
	TimeoutSeconds int `json:"timeoutSeconds"`
	// Outputs map parts of the runbook's JSON answer to typed variables:
	// the mappings a flow's runbook step starts with when it picks the
	// runbook (the step keeps its own copy, and may add to it).
	Outputs   []flow.RunbookOutput `json:"outputs"`
	CreatedAt time.Time            `json:"createdAt"`
	UpdatedAt time.Time            `json:"updatedAt"`
}

// RunbookInput is what POST and PUT take; id and the times are read-only.
type RunbookInput struct {
	Runbook
}

// RunbookWithSecret answers a create and a secret rotation: the runbook
// and the secret that signs its calls, shown this once.
type RunbookWithSecret struct {
	Runbook
	Secret string `json:"secret"`
}

// RunbookTestInput is sample chat data for POST /api/Runbook/{id}/test:
// the call's user, chatFields and variables (RunbookRequest's).
type RunbookTestInput struct {
	User       map[string]string `json:"user"`
	ChatFields map[string]string `json:"chatFields"`
	Variables  map[string]any    `json:"variables"`
}

// RunbookTestResult answers a test call: what the runbook answered and
// the variables a runbook step with the runbook's outputs would set.
type RunbookTestResult struct {
	// OK: a 2xx answer within the timeout whose outputs all map — what
	// takes a flow's success branch.
	OK bool `json:"ok"`
	// Status is the HTTP status answered; 0 when no answer came (refused
	// by the outbound guard, timed out, unreachable).
	Status    int   `json:"status"`
	LatencyMS int64 `json:"latencyMs"`
	// Answer is the answer's body as text (at most 1 MiB).
	Answer    string                `json:"answer"`
	Variables []RunbookTestVariable `json:"variables"`
	// Error says why the call failed or its outputs did not map; "" when OK.
	Error string `json:"error"`
}

// RunbookTestVariable is one variable a test call's answer would set.
type RunbookTestVariable struct {
	Variable string `json:"variable"`
	Type     string `json:"type"`
	Value    string `json:"value"`
}
