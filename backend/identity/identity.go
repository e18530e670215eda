// Package identity turns what a chat start presents — an identity token
// (JWT), ChatMatchingData named by one, or nothing — into one resolved
// identity: the visitor's user record and the chat custom field values
// (SPEC §4, §6, §7). The chat runtime stores what it returns.
package identity

import (
	"context"
	"net/http"

	"halochat/app/protocol"
	"halochat/backend/store"
)

// Request is what a chat start or an upgradeAnonChat presents.
type Request struct {
	// IDToken is the id_token of openChatWindow / upgradeAnonChat ("" = none).
	IDToken string
	// Embedded is true for chats started from the embedded widget: only
	// those get chat custom fields from the token's claims (SPEC §6).
	Embedded bool
	// EmailHint is the email read from the host page's sessionStorage key
	// of the profile, if any: unverified, never an identity by itself
	// unless the profile trusts it.
	EmailHint string
}

// Identity is a resolved identity.
type Identity struct {
	// Authenticated is true when a verified token (or trusted hint) named
	// the user.
	Authenticated bool
	// User is the matched or created user; nil for an anonymous visitor.
	User *store.User
	// ChatFields are the chat custom field values the claims filled,
	// checked against each field's type.
	ChatFields []store.ChatFieldValue
}

// Error is a refused identity: Status is the HTTP status to answer with,
// Code one of the stable protocol codes (invalid_token, access_denied, …),
// Field the claim or field at fault when there is one.
type Error struct {
	Status  int
	Code    string
	Field   string
	Message string
}

func (e *Error) Error() string { return e.Message }

// Resolver resolves identities against one store.
type Resolver struct {
	Store *store.Store
}

// Resolve checks req against the profile's identity settings and returns
// the identity to start (or upgrade) a chat as. A refusal is an *Error.
func (r *Resolver) Resolve(ctx context.Context, p *store.ChatProfile, req Request) (*Identity, error) {
	if req.IDToken == "" {
		if p.Identity.TokenRequired {
			return nil, &Error{Status: http.StatusUnauthorized, Code: protocol.CodeInvalidToken,
				Field: "id_token", Message: "this chat profile requires an identity token (id_token)"}
		}
		return &Identity{}, nil
	}
	return nil, &Error{Status: http.StatusUnauthorized, Code: protocol.CodeInvalidToken,
		Field: "id_token", Message: "identity token verification is not available in this build"}
}
