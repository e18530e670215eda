package chats

import (
	"context"
	"errors"
	"fmt"

	"halochat/app/protocol"
	"halochat/backend/identity"
	"halochat/backend/store"
)

// Upgrade makes the anonymous chat c the token's user's chat
// (haloChat_inboundEvent_upgradeAnonChat): the user is matched or created
// and, for an embedded chat, the claims fill its chat custom fields, as at
// a start. Later flow steps see them.
func (s *Service) Upgrade(ctx context.Context, c *store.Chat, idToken string) (*protocol.ChatState, error) {
	if c.Status == store.ChatEnded {
		return nil, refuse(protocol.CodeChatEnded, "chat %s has ended", c.ID)
	}
	if c.Authenticated {
		return nil, refuse(protocol.CodeAlreadyAuthenticated, "chat %s is already an authenticated chat", c.ID)
	}
	if idToken == "" {
		return nil, &protocol.APIError{Kind: protocol.KindMissing, Code: protocol.CodeInvalidToken, Field: "id_token", Message: "id_token is required"}
	}
	p, err := s.store.CachedProfile(ctx, c.ProfileID)
	if err != nil {
		return nil, fmt.Errorf("upgrade chat %s: %w", c.ID, err)
	}
	id, err := s.ident.Resolve(ctx, p, identity.Request{IDToken: idToken, Embedded: c.Context == store.ContextEmbedded})
	if err != nil {
		var ie *protocol.APIError
		if errors.As(err, &ie) {
			return nil, ie
		}
		return nil, fmt.Errorf("upgrade chat %s: resolve identity: %w", c.ID, err)
	}
	if !id.Authenticated || id.User == nil {
		return nil, &protocol.APIError{Code: protocol.CodeInvalidToken, Field: "id_token",
			Message: "the identity token names no user"}
	}
	if err := s.ident.Use(ctx, id); err != nil {
		return nil, err // a refusal, or a storage error Use wrapped
	}
	unlock := s.lock(c.ID)
	ok, err := s.store.UpgradeChatUser(ctx, c.ID, id.User.ID, id.ChatFields)
	unlock()
	if err != nil {
		return nil, fmt.Errorf("upgrade chat %s: %w", c.ID, err)
	}
	if !ok {
		return nil, refuse(protocol.CodeAlreadyAuthenticated, "chat %s was ended or signed in meanwhile", c.ID)
	}
	s.log.Info("chat upgraded", "chat", c.ID, "user", id.User.ID)
	c, err = s.store.GetChat(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	return s.State(ctx, c)
}
