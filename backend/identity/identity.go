// Package identity turns what a chat start presents — an identity token
// (JWT), ChatMatchingData named by one, or nothing — into one resolved
// identity: the visitor's user record and the chat custom field values
// (docs/CONTRACT.md#identity-tokens, #chat-matching-data). The chat
// runtime stores what it returns.
package identity

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"halochat/app/protocol"
	"halochat/backend/secret"
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
	// of the profile, if any: anyone can set it, so it is never an
	// identity (docs/CONTRACT.md#email-hint).
	EmailHint string
	// DeferNewUser leaves a new token user unstored: Identity.User then
	// has NewUser set and an id reserved (store.ReserveUserID, 0 on
	// SQLite), and the caller stores it with what it starts
	// (store.ChatWith.User), calling Refind when that finds the user's
	// external id or e-mail address taken meanwhile (store.ErrUserTaken).
	// A start refused on the way then leaves no user behind.
	DeferNewUser bool
}

// Identity is a resolved identity.
type Identity struct {
	// Authenticated is true when a verified token named the user.
	Authenticated bool
	// User is the matched or created user; nil for an anonymous visitor.
	// Unauthenticated, it is the hint user a trusted e-mail hint names
	// (see hintUser): a record to keep the chats under, nobody's account.
	User *store.User
	// NewUser is true when User was created by this Resolve (the token's
	// user was not known before), or is to be (Request.DeferNewUser): no
	// chat of theirs exists yet, so a chat start need not look for one to
	// follow.
	NewUser bool
	// ChatFields are the chat custom field values the claims filled,
	// checked against each field's type.
	ChatFields []store.ChatFieldValue
	// EmailHint is the request's e-mail hint, normalised: unverified, a
	// note for agents and a prefill for the visitor (never an identity,
	// never a chat custom field). "" when absent or not an address.
	EmailHint string
	// MatchingDataGUID is the GUID of the ChatMatchingData the token
	// named, when it did ("" otherwise).
	MatchingDataGUID string

	// use is what Resolver.Use records: the token's jti on the profile
	// until the token expires; nil when the token has none.
	use *tokenUse
	// userFields are the claims' user fields User was found or made by
	// (Refind looks again).
	userFields map[string]string
}

// tokenUse is one use of a token's jti on a chat profile.
type tokenUse struct {
	profileID string
	jti       string
	until     time.Time // the token's exp plus the profile's leeway
}

// Resolver resolves identities against one store.
type Resolver struct {
	Store *store.Store
	// Now is the clock for token times; nil means the store's clock.
	Now func() time.Time

	// checkKey compares a ChatMatchingData key with its stored hash; nil
	// means secret.CheckKey (tests count the comparisons).
	checkKey func(hash, key string) bool
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
//   - no token: refused when the profile requires one; otherwise not
//     authenticated, whatever the e-mail hint says. A profile that
//     trusts its e-mail session storage key keeps the chats hinting an
//     address under that address's hint user (see hintUser), never
//     under the user whose address it is;
//   - a token that fails verification (see VerifyToken): refused;
//   - chatmatchingdataguid + chatmatchingdatakey claims: the stored
//     ChatMatchingData replaces every other claim (see useMatchingData);
//     unknown, expired, used, wrong key or bound to other profiles:
//     refused, with one message for all;
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
//
// Resolve does not use up the token's jti: a caller that starts something
// with the identity (a chat, an upgrade, a portal session) calls Use once
// its own checks have passed, so that a token refused for another reason
// stays usable, and merely comparing a token with an open chat's user (a
// page reload resuming it) is no use of it.
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
		id := &Identity{EmailHint: hint}
		if hint != "" && p.TrustEmailStorage {
			u, err := r.hintUser(ctx, hint)
			if err != nil {
				return nil, fmt.Errorf("resolve the trusted e-mail hint for profile %s: %w", p.ID, err)
			}
			id.User = u
		}
		return id, nil
	}

	claims, err := VerifyToken(p.Identity, req.IDToken, r.now())
	if err != nil {
		return nil, err
	}
	use, err := tokenUseOf(p, claims)
	if err != nil {
		return nil, err
	}
	var fields []store.CustomField
	if req.Embedded {
		if fields, err = r.Store.CachedCustomFields(ctx, store.EntityChat); err != nil {
			return nil, fmt.Errorf("resolve identity for profile %s: %w", p.ID, err)
		}
	}
	id := &Identity{use: use}
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
		id.userFields = m.User
		if id.User, id.NewUser, err = r.findOrCreateUser(ctx, m.User, req.DeferNewUser); err != nil {
			return nil, fmt.Errorf("resolve identity for profile %s: %w", p.ID, err)
		}
		id.Authenticated = true
	}
	id.EmailHint = hint
	return id, nil
}

// tokenUseOf is the use a verified token's jti makes of profile p: until
// the token's exp plus the leeway, after which the token is refused
// anyway. nil when the token has no jti.
func tokenUseOf(p *store.ChatProfile, claims map[string]json.RawMessage) (*tokenUse, error) {
	c := rawClaims(claims)
	jti, err := c.jti()
	if err != nil || jti == "" {
		return nil, err
	}
	exp, err := c.GetExpirationTime()
	if err != nil || exp == nil {
		return nil, tokenError("its exp claim is not a number")
	}
	return &tokenUse{profileID: p.ID, jti: jti, until: exp.Add(time.Duration(p.Identity.LeewaySeconds) * time.Second)}, nil
}

// Use records that id's token was used, when it carries a jti: once per
// chat profile within the token's lifetime, on every node (the record is
// in the database; of concurrent uses exactly one succeeds). A token used
// before is refused (invalid_token). Call it after every other check
// of the start, upgrade or login the identity is for; an identity without
// a token (or a token without jti) is always fine.
func (r *Resolver) Use(ctx context.Context, id *Identity) error {
	u := id.PendingUse()
	if u == nil {
		return nil
	}
	first, err := r.Store.UseTokenID(ctx, u.ProfileID, u.JTIHash, u.ExpiresAt)
	if err != nil {
		return fmt.Errorf("use identity token id on profile %s: %w", u.ProfileID, err)
	}
	if !first {
		return UsedBefore()
	}
	return nil
}

// PendingUse is the record Use would store for id's token, for a caller
// that stores it with what the identity starts, in one commit
// (store.CreateChatUsing); nil when there is none to record (no token, or
// no jti). Its store.ErrTokenUsed is refused as UsedBefore.
func (id *Identity) PendingUse() *store.TokenUse {
	if id == nil || id.use == nil {
		return nil
	}
	return &store.TokenUse{ProfileID: id.use.profileID, JTIHash: secret.HashKey(id.use.jti), ExpiresAt: id.use.until}
}

// UsedBefore is the refusal of a token whose jti was used before (Use, or
// store.ErrTokenUsed for a PendingUse).
func UsedBefore() error {
	return tokenError("it has already been used (its jti is honoured once; sign a new token for each chat start, upgrade or portal login)")
}
