package chats

import (
	"errors"
	"fmt"

	"halochat/app/protocol"
	"halochat/backend/store"
)

// Refusals of this package are *protocol.APIError: a stable code, the
// request field at fault if any, a message for the caller. Every other
// error is an internal failure.

func refuse(code, format string, args ...any) *protocol.APIError {
	return &protocol.APIError{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Public returns err as a caller may see it: a refusal as it is, an input
// the store refused (store.ErrInvalid) as an invalid_request refusal
// saying why, and anything else unchanged (an internal failure, for the
// log).
func Public(err error) error {
	var e *protocol.APIError
	if errors.As(err, &e) || !errors.Is(err, store.ErrInvalid) {
		return err
	}
	return &protocol.APIError{Code: protocol.CodeInvalidRequest, Message: err.Error()}
}

// errChatNotFound hides whether a chat exists from a caller without its
// resume secret.
func errChatNotFound() *protocol.APIError {
	return refuse(protocol.CodeChatNotFound, "no such chat, or the resume secret does not match")
}

func errChatEnded(id string) *protocol.APIError {
	return refuse(protocol.CodeChatEnded, "chat %s has ended: start a new one", id)
}

// ErrorOf returns the refusal Public(err) is, or protocol.Internal() for
// an internal failure: what an error frame says.
func ErrorOf(err error) *protocol.APIError { return protocol.RefusalOf(Public(err)) }
