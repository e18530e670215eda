package store

import (
	"context"
	"errors"
	"strings"
	"testing"

	"halochat/app/protocol"
	"halochat/backend/seal"
	"halochat/backend/testenv"
)

// storedSecretColumns reads the secret columns as the database holds them.
func storedSecretColumns(t *testing.T, s *Store) string {
	t.Helper()
	var parts []string
	for _, q := range []string{"SELECT identity FROM chat_profiles", "SELECT secret FROM runbooks",
		"SELECT secret || ' ' || previous_secret FROM webhooks"} {
		var vs []string
		must(t, s.DB().NewRaw(q).Scan(context.Background(), &vs))
		parts = append(parts, vs...)
	}
	return strings.Join(parts, "\n")
}

// Secrets written in clear before a key was given are sealed at the
// first start with one; the columns never hold them in clear after,
// reads give them back, a rotation seals them under the new key while
// the old one still opens them, and a missing or wrong key is a clear
// error.
func TestSecretsAtRest(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		open := func(ring *seal.Ring) *Store {
			s, err := OpenWithOptions(ctx, dsn, Options{Secrets: ring})
			must(t, err)
			t.Cleanup(func() { _ = s.Close() })
			return s
		}
		clear := open(nil)
		must(t, clear.Migrate(ctx))
		const hs, rb, wh, wh2 = "profile hs256 secret, 32 bytes or more", "runbook-secret-in-clear", "whsec_first", "whsec_second"
		p := &ChatProfile{Name: "p", Access: AccessPortalAndExternal,
			Identity: IdentitySettings{HS256Secrets: []protocol.HMACSecret{{KID: "k1", Secret: hs}}}}
		must(t, clear.CreateProfile(ctx, p))
		must(t, clear.CreateRunbook(ctx, &Runbook{ID: "rb1", URL: "https://example.com/rb", Secret: rb}))
		hook := &Webhook{URL: "https://example.com/hook", Events: StringList{protocol.WebhookChatStarted}, Secret: wh}
		must(t, clear.CreateWebhook(ctx, hook))
		if stored := storedSecretColumns(t, clear); !strings.Contains(stored, hs) {
			t.Fatalf("without a key the secrets are stored as they are: %s", stored)
		}

		oldKey, newKey := seal.NewKey(), seal.NewKey()
		oldRing, _ := seal.NewRing(oldKey)
		keyed := open(oldRing)
		n, err := keyed.SealSecrets(ctx, false)
		must(t, err)
		if n != (SecretsSealed{Sealed: 3}) {
			t.Errorf("first start with a key sealed %+v, want 3", n)
		}
		_, err = keyed.RotateWebhookSecret(ctx, hook.ID, wh2)
		must(t, err)
		must(t, keyed.CreateRunbook(ctx, &Runbook{ID: "rb2", URL: "https://example.com/rb2", Secret: "second-runbook-secret"}))
		stored := storedSecretColumns(t, keyed)
		for _, v := range []string{hs, rb, wh, wh2, "second-runbook-secret"} {
			if strings.Contains(stored, v) {
				t.Errorf("the database holds %q in clear: %s", v, stored)
			}
		}
		readBack := func(s *Store) {
			t.Helper()
			gp, err := s.GetProfile(ctx, p.ID)
			must(t, err)
			gr, err := s.GetRunbook(ctx, "rb1")
			must(t, err)
			gw, err := s.GetWebhook(ctx, hook.ID)
			must(t, err)
			if gp.Identity.HS256Secrets[0].Secret != hs || gr.Secret != rb || gw.Secret != wh2 || gw.PreviousSecret != wh {
				t.Errorf("read back %q %q %q %q", gp.Identity.HS256Secrets[0].Secret, gr.Secret, gw.Secret, gw.PreviousSecret)
			}
		}
		readBack(keyed)

		// No key, or another key: a clear error, not garbage.
		_, err = clear.GetRunbook(ctx, "rb1")
		if !errors.Is(err, seal.ErrNoKey) {
			t.Errorf("read without a key: %v", err)
		}
		otherRing, _ := seal.NewRing(seal.NewKey())
		_, err = open(otherRing).GetProfile(ctx, p.ID)
		if !errors.Is(err, seal.ErrUnknownKey) || !strings.Contains(err.Error(), oldRing.CurrentID()) {
			t.Errorf("read with a wrong key: %v", err)
		}
		if _, err := open(otherRing).SealSecrets(ctx, true); !errors.Is(err, seal.ErrUnknownKey) {
			t.Errorf("rotate with a wrong key: %v", err)
		}

		// Rotation: the new key seals, the old one still opens until every
		// value is sealed again.
		rotating, _ := seal.NewRing(newKey, oldKey)
		rs := open(rotating)
		readBack(rs)
		n, err = rs.SealSecrets(ctx, true)
		must(t, err)
		if n != (SecretsSealed{Resealed: 5}) {
			t.Errorf("rotation %+v, want 5 values sealed again", n)
		}
		newRing, _ := seal.NewRing(newKey)
		readBack(open(newRing))
		if _, err := open(oldRing).GetRunbook(ctx, "rb1"); !errors.Is(err, seal.ErrUnknownKey) {
			t.Errorf("the old key alone after the rotation: %v", err)
		}
		if err := clear.CreateRunbook(ctx, &Runbook{ID: "rb3", URL: "https://example.com/rb3", Secret: "enc:v1:abc:def"}); !errors.Is(err, ErrInvalid) {
			t.Errorf("a clear secret that reads as sealed: %v", err)
		}
	})
}
