package protocol

import "errors"

// Error codes: the one vocabulary of refusals, stable because programs
// branch on them — host pages (haloChat_outboundEvent_error), the widget,
// the console and API clients. Each is declared once, here; the HTTP status
// a code is answered with is chosen in one place, backend/httpx.
const (
	// Events API and embed configuration (also answered by the chat API).
	CodeStartStepNotAllowed = "start_step_not_allowed"
	CodeStartStepNotFound   = "start_step_not_found"
	CodeInvalidToken        = "invalid_token"
	CodeProfileNotFound     = "profile_not_found"
	CodeOriginNotAllowed    = "origin_not_allowed"
	CodeAccessDenied        = "access_denied"
	CodeInvalidEvent        = "invalid_event"  // the widget's own: an inbound event it cannot use
	CodeInvalidConfig       = "invalid_config" // the widget's own: a haloChatConfig it cannot use

	// The chat API and websocket frames.
	CodeChatNotFound         = "chat_not_found"   // unknown chat or wrong resume secret
	CodeChatEnded            = "chat_ended"       // the chat is over: start a new one
	CodeInvalidAnswer        = "invalid_answer"   // not used for bot validation (that is a bot message)
	CodeUnexpectedInput      = "unexpected_input" // e.g. a choice while no choice is offered
	CodeUnsupportedVersion   = "unsupported_version"
	CodeAlreadyClaimed       = "already_claimed"       // another agent accepted the chat first
	CodeAlreadyAuthenticated = "already_authenticated" // upgradeAnonChat on a signed-in chat
	CodeNoFlow               = "no_flow"               // the profile has no bot flow
	CodeTicketNotFound       = "ticket_not_found"

	// Every API.
	CodeInvalidRequest     = "invalid_request"   // malformed body, parameter or frame
	CodeTooLarge           = "too_large"         // a body or message over its limit
	CodeUnsupportedMedia   = "unsupported_media" // a body that is not JSON
	CodeRateLimited        = "rate_limited"
	CodeUnauthorized       = "unauthorized"        // no or bad credentials
	CodeInvalidCredentials = "invalid_credentials" // a login with a wrong e-mail or password
	CodeForbidden          = "forbidden"           // credentials that lack a role or permission
	CodeCrossOrigin        = "cross_origin"        // a cookie-authenticated write from another site
	CodeNotFound           = "not_found"           // an admin API resource
	CodeConflict           = "conflict"            // taken name, still in use, stale version, …
	CodeInternal           = "internal"            // the server failed: see its log
)

// Kind refines a code whose refusals do not all ask the same of the
// caller: a profile_not_found may mean "no such profile" or "that key does
// not open it". The server answers each kind with its own HTTP status.
type Kind uint8

const (
	KindOfCode   Kind = iota // what the code says, nothing more
	KindMissing              // a required value is absent
	KindUnproven             // a key or token was checked and proved nothing
	KindUnfit                // a well-formed value that does not fit here
)

// APIError is a refusal: the error the server's packages return for a
// request they will not carry out, the body of a refused call
// ({"error": APIError}) and the Error of an error frame.
type APIError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"` // the request field at fault
	// Problems lists each problem of a refused document (a bot flow's,
	// each with its step), when there are several.
	Problems any `json:"problems,omitempty"`
	// Kind is not sent: the status of the answer says it.
	Kind Kind `json:"-"`
}

func (e *APIError) Error() string { return e.Code + ": " + e.Message }

// ErrorBody is the JSON body of every refused HTTP call.
type ErrorBody struct {
	Error APIError `json:"error"`
}

// Internal is the refusal of a failure the caller can do nothing about;
// what went wrong is for the server's log, not for the answer.
func Internal() *APIError { return &APIError{Code: CodeInternal, Message: "internal error"} }

// RefusalOf returns the *APIError err is or wraps, or Internal().
func RefusalOf(err error) *APIError {
	var e *APIError
	if errors.As(err, &e) {
		return e
	}
	return Internal()
}
