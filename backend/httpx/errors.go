package httpx

import (
	"errors"
	"log/slog"
	"net/http"
	"time"

	"halochat/app/protocol"
)

// statuses is the HTTP status of each error code the service answers
// with; a refusal's Kind, when it has one, overrides it (kindStatus).
var statuses = map[string]int{
	protocol.CodeInvalidRequest:       http.StatusBadRequest,
	protocol.CodeInvalidConfig:        http.StatusBadRequest,
	protocol.CodeInvalidEvent:         http.StatusBadRequest,
	protocol.CodeUnauthorized:         http.StatusUnauthorized,
	protocol.CodeInvalidCredentials:   http.StatusUnauthorized,
	protocol.CodeInvalidToken:         http.StatusUnauthorized,
	protocol.CodeForbidden:            http.StatusForbidden,
	protocol.CodeBadLink:              http.StatusForbidden,
	protocol.CodeGone:                 http.StatusGone,
	protocol.CodeCrossOrigin:          http.StatusForbidden,
	protocol.CodeAccessDenied:         http.StatusForbidden,
	protocol.CodeOriginNotAllowed:     http.StatusForbidden,
	protocol.CodeNotFound:             http.StatusNotFound,
	protocol.CodeProfileNotFound:      http.StatusNotFound,
	protocol.CodeChatNotFound:         http.StatusNotFound,
	protocol.CodeTicketNotFound:       http.StatusNotFound,
	protocol.CodeConflict:             http.StatusConflict,
	protocol.CodeChatEnded:            http.StatusConflict,
	protocol.CodeAlreadyClaimed:       http.StatusConflict,
	protocol.CodeAlreadyAuthenticated: http.StatusConflict,
	protocol.CodeNoFlow:               http.StatusConflict,
	protocol.CodeUnexpectedInput:      http.StatusConflict,
	protocol.CodeTooLarge:             http.StatusRequestEntityTooLarge,
	protocol.CodeUnsupportedMedia:     http.StatusUnsupportedMediaType,
	protocol.CodeStartStepNotAllowed:  http.StatusUnprocessableEntity,
	protocol.CodeStartStepNotFound:    http.StatusUnprocessableEntity,
	protocol.CodeRateLimited:          http.StatusTooManyRequests,
	protocol.CodeMailOff:              http.StatusServiceUnavailable,
	protocol.CodeInternal:             http.StatusInternalServerError,
}

// kindStatus is the status of a refusal's Kind, whatever its code.
var kindStatus = map[protocol.Kind]int{
	protocol.KindMissing:  http.StatusBadRequest,
	protocol.KindUnproven: http.StatusUnauthorized,
	protocol.KindUnfit:    http.StatusUnprocessableEntity,
}

// Status is the HTTP status e is answered with: its kind's, else its
// code's; a code missing from the table is a server fault (500).
func Status(e *protocol.APIError) int {
	if s, ok := kindStatus[e.Kind]; ok {
		return s
	}
	if s, ok := statuses[e.Code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// WriteError answers the refusal e with its status.
func WriteError(w http.ResponseWriter, e *protocol.APIError) {
	WriteJSON(w, Status(e), protocol.ErrorBody{Error: *e})
}

// Refuse answers a refusal made of code and message.
func Refuse(w http.ResponseWriter, code, message string) {
	WriteError(w, &protocol.APIError{Code: code, Message: message})
}

// Fail answers err: the *protocol.APIError it is or wraps with its status;
// anything else is logged with the request and answered as internal.
func Fail(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	var e *protocol.APIError
	if !errors.As(err, &e) {
		if log == nil {
			log = slog.Default()
		}
		log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		e = protocol.Internal()
	}
	WriteError(w, e)
}

// WriteRateLimited answers 429 rate_limited with Retry-After.
func WriteRateLimited(w http.ResponseWriter, wait time.Duration, msg string) {
	w.Header().Set("Retry-After", RetryAfter(wait))
	Refuse(w, protocol.CodeRateLimited, msg+"; retry in "+RetryAfter(wait)+" s")
}
