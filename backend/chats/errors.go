package chats

import (
	"errors"
	"fmt"
	"net/http"

	"halochat/app/protocol"
	"halochat/backend/store"
)

// Error is a refusal the caller can show: Status is the HTTP status to
// answer with, Code a stable protocol code, Field the request field at
// fault if any. Every other error is internal.
type Error struct {
	Status  int
	Code    string
	Field   string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func refuse(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorOf returns the *Error err wraps, or an internal error (500) for
// anything else.
func ErrorOf(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	if errors.Is(err, store.ErrInvalid) {
		return &Error{Status: http.StatusBadRequest, Code: protocol.CodeInvalidRequest, Message: err.Error()}
	}
	return &Error{Status: http.StatusInternalServerError, Code: protocol.CodeInternal, Message: "internal error"}
}

// errChatNotFound hides whether a chat exists from a caller without its
// resume secret.
func errChatNotFound() *Error {
	return refuse(http.StatusNotFound, protocol.CodeChatNotFound, "no such chat, or the resume secret does not match")
}

func errChatEnded(id string) *Error {
	return refuse(http.StatusConflict, protocol.CodeChatEnded, "chat %s has ended: start a new one", id)
}
