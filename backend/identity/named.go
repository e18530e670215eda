package identity

import (
	"context"
	"strings"

	"halochat/app/flow"
	"halochat/app/protocol"
	"halochat/backend/store"
)

// NamedUser returns the user a trusted caller (an API client starting a
// chat for a user, POST /api/Chat) names by external id and/or e-mail
// address, found as a token's user is (by external id, else by e-mail)
// or created. Fields are the request's names of the two, for refusals.
func (r *Resolver) NamedUser(ctx context.Context, externalID, email string, fields [2]string) (*store.User, error) {
	externalID, email = strings.TrimSpace(externalID), strings.TrimSpace(email)
	if externalID == "" && email == "" {
		return nil, &protocol.APIError{Code: protocol.CodeInvalidRequest, Kind: protocol.KindMissing, Field: fields[0],
			Message: fields[0] + " or " + fields[1] + " names the user"}
	}
	if email != "" && !ValidEmail(email) {
		return nil, &protocol.APIError{Code: protocol.CodeInvalidRequest, Kind: protocol.KindUnfit, Field: fields[1],
			Message: fields[1] + ": " + email + " is not an e-mail address"}
	}
	named := map[string]string{}
	if externalID != "" {
		named[flow.UserExternalID] = externalID
	}
	if email != "" {
		named[flow.UserEmail] = store.NormalizeEmail(email)
	}
	u, _, err := r.findOrCreateUser(ctx, named, false)
	return u, err
}
