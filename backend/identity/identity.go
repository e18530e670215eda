// Package identity turns what a chat start presents — an identity token
// (JWT), ChatMatchingData named by one, or nothing — into one resolved
// identity: the visitor's user record and the chat custom field values
// (docs/CONTRACT.md#identity-tokens, #chat-matching-data). The chat
// runtime stores what it returns.
package identity

import (
	"context"
	"fmt"
	"strings"
	"time"

	"halochat/app/flow"

	"halochat/app/protocol"
	"halochat/backend/store"
)

// Request is what a chat start or an upgradeAnonChat presents.
type Request struct {
	// IDToken is the id_token of openChatWindow / upgradeAnonChat ("" = none).
	IDToken string
	// Embedded is true for chats started from the embedded widget: only
	// those get chat custom fields from the token's claims
	// (docs/CONTRACT.md#chat-custom-fields).
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
	// EmailHint is the request's e-mail hint when it was not used as the
	// identity: unverified, for prefilling only (never an identity, never
	// a chat custom field). "" when absent, not an address, or used.
	EmailHint string
	// MatchingDataGUID is the GUID of the ChatMatchingData the token
	// named, when it did ("" otherwise).
	MatchingDataGUID string
}

// Resolver resolves identities against one store.
type Resolver struct {
	Store *store.Store
	// Now is the clock for token times; nil means the store's clock.
	Now func() time.Time
}

func (r *Resolver) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return r.Store.Now()
}

// Resolve checks req against the profile's identity settings and returns
// the identity to start (or upgrade) a chat as. A refusal is a
// *protocol.APIError with code invalid_token:
//
//   - no token: refused when the profile requires one; otherwise anonymous,
//     or — only when the profile trusts its e-mail session storage key —
//     the user with the hinted address (found or created);
//   - a token that fails verification (see VerifyToken): refused;
//   - chatmatchingdataguid + chatmatchingdatakey claims: the stored
//     ChatMatchingData replaces every other claim (see useMatchingData);
//     unknown, expired, used or wrong key: refused;
//   - a claim value that does not fit its user field or chat custom
//     field: refused as KindUnfit, naming it (see MapClaims).
//
// The user is found by external id, else by e-mail, and created when
// neither finds one; its other fields are updated from the claims. A
// token that carries no user field at all resolves to an anonymous
// visitor (Authenticated false) with its chat custom fields.
//
// Chat custom fields are filled only when req.Embedded
// (docs/CONTRACT.md#chat-custom-fields). For
// upgradeAnonChat call Resolve the same way (Embedded true) and store the
// result with store.UpgradeChatUser: nothing here depends on the chat.
func (r *Resolver) Resolve(ctx context.Context, p *store.ChatProfile, req Request) (*Identity, error) {
	hint := ""
	if h := strings.TrimSpace(req.EmailHint); ValidEmail(h) {
		hint = store.NormalizeEmail(h)
	}
	if req.IDToken == "" {
		if p.Identity.TokenRequired {
			return nil, &protocol.APIError{Code: protocol.CodeInvalidToken,
				Field: "id_token", Message: "this chat profile requires an identity token (id_token)"}
		}
		if hint != "" && p.TrustEmailStorage {
			u, err := r.findOrCreateUser(ctx, map[string]string{flow.UserEmail: hint})
			if err != nil {
				return nil, fmt.Errorf("resolve trusted e-mail hint for profile %s: %w", p.ID, err)
			}
			return &Identity{Authenticated: true, User: u}, nil
		}
		return &Identity{EmailHint: hint}, nil
	}

	claims, err := VerifyToken(p.Identity, req.IDToken, r.now())
	if err != nil {
		return nil, err
	}
	var fields []store.CustomField
	if req.Embedded {
		if fields, err = r.Store.CachedCustomFields(ctx, store.EntityChat); err != nil {
			return nil, fmt.Errorf("resolve identity for profile %s: %w", p.ID, err)
		}
	}
	id := &Identity{}
	var m *Mapped
	if _, g := claims[ClaimMatchingGUID]; g {
		m, id.MatchingDataGUID, err = r.useMatchingData(ctx, p, claims, fields)
	} else if _, k := claims[ClaimMatchingKey]; k {
		err = tokenError("it has %s but no %s", ClaimMatchingKey, ClaimMatchingGUID)
	} else {
		m, err = MapClaims(claims, p.TokenMappings, fields)
	}
	if err != nil {
		return nil, err
	}
	id.ChatFields = m.ChatFields
	if len(m.User) > 0 {
		if id.User, err = r.findOrCreateUser(ctx, m.User); err != nil {
			return nil, fmt.Errorf("resolve identity for profile %s: %w", p.ID, err)
		}
		id.Authenticated = true
	}
	id.EmailHint = hint
	return id, nil
}
