package store

import (
	"context"
	"slices"
	"testing"
	"time"
)

// A chat's extra resume secrets: each browser's own, for that chat only;
// they go with the chat.
func TestResumeSecrets(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		a, b := newChat(t, s, ChatBot), newChat(t, s, ChatBot)
		must(t, s.AddResumeSecret(ctx, a.ID, "hash-1"))
		must(t, s.AddResumeSecret(ctx, a.ID, "hash-2"))
		wantErr(t, s.AddResumeSecret(ctx, a.ID, ""), ErrInvalid)
		wantErr(t, s.AddResumeSecret(ctx, "nosuchchat", "hash-3"), ErrConflict) // no such chat
		for _, tc := range []struct {
			what         string
			chatID, hash string
			want         bool
		}{
			{"the first browser's", a.ID, "hash-1", true},
			{"the second browser's", a.ID, "hash-2", true},
			{"a secret never given", a.ID, "hash-3", false},
			{"another chat's", b.ID, "hash-1", false},
			{"no secret", a.ID, "", false},
		} {
			got, err := s.HasResumeSecret(ctx, tc.chatID, tc.hash)
			must(t, err)
			if got != tc.want {
				t.Errorf("%s: %v, want %v", tc.what, got, tc.want)
			}
		}
		_, err := s.HasResumeSecret(ctx, a.ID, "nul\x00")
		wantErr(t, err, ErrInvalid)
		_, err = s.db.NewDelete().Model((*Chat)(nil)).Where("id = ?", a.ID).Exec(ctx)
		must(t, err)
		left, err := s.db.NewSelect().Model((*ChatResumeSecret)(nil)).Count(ctx)
		must(t, err)
		if left != 0 {
			t.Errorf("%d resume secrets left after their chat was deleted", left)
		}
	})
}

// OpenUserChats finds a user's open authenticated chats on one profile,
// newest first, of the portal or of the other contexts; nothing else.
func TestOpenUserChats(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		p, other := &ChatProfile{Name: "p", Access: AccessPortalAndExternal}, &ChatProfile{Name: "other", Access: AccessPortalAndExternal}
		must(t, s.CreateProfile(ctx, p))
		must(t, s.CreateProfile(ctx, other))
		u, v := &User{ExternalID: "u"}, &User{ExternalID: "v"}
		must(t, s.CreateUser(ctx, u))
		must(t, s.CreateUser(ctx, v))
		base := s.Now().Add(-time.Hour)
		minute := 0
		chat := func(profile *ChatProfile, user *User, authenticated bool, context, status string) string {
			t.Helper()
			c := &Chat{ProfileID: profile.ID, Authenticated: authenticated, Context: context, Status: status}
			if user != nil {
				c.UserID = user.ID
			}
			must(t, s.CreateChat(ctx, c, nil))
			minute++ // each chat a minute newer than the one before
			_, err := s.db.NewUpdate().Model((*Chat)(nil)).Set("started_at = ?", base.Add(time.Duration(minute)*time.Minute).UTC()).
				Where("id = ?", c.ID).Exec(ctx)
			must(t, err)
			return c.ID
		}
		older := chat(p, u, true, ContextEmbedded, ChatLive)
		chat(p, u, true, ContextEmbedded, ChatEnded)   // ended
		chat(other, u, true, ContextEmbedded, ChatBot) // another profile
		chat(p, v, true, ContextEmbedded, ChatBot)     // another user
		chat(p, nil, false, ContextEmbedded, ChatBot)  // anonymous
		chat(p, u, false, ContextEmbedded, ChatBot)    // not authenticated (a hint's)
		portal := chat(p, u, true, ContextPortal, ChatQueued)
		agentApp := chat(p, u, true, ContextAgent, ChatQueued)
		newest := chat(p, u, true, ContextEmbedded, ChatBot)
		ids := func(portal bool) []string {
			t.Helper()
			list, err := s.OpenUserChats(ctx, p.ID, u.ID, portal)
			must(t, err)
			var out []string
			for _, c := range list {
				out = append(out, c.ID)
			}
			return out
		}
		if got, want := ids(false), []string{newest, agentApp, older}; !slices.Equal(got, want) {
			t.Errorf("open chats %v, want %v (newest first)", got, want)
		}
		if got, want := ids(true), []string{portal}; !slices.Equal(got, want) {
			t.Errorf("open portal chats %v, want %v", got, want)
		}
		_, err := s.OpenUserChats(ctx, p.ID, 0, false)
		wantErr(t, err, ErrInvalid)
		_, err = s.OpenUserChats(ctx, "nul\x00", u.ID, false)
		wantErr(t, err, ErrInvalid)
	})
}
