package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"halochat/backend/seal"
	"halochat/backend/store"
)

// keyOptions name the key that seals the stored secrets
// (docs/SECURITY.md#secrets-at-rest).
type keyOptions struct {
	// File holds the current key (--secret-key-file); without it,
	// HALOCHAT_SECRET_KEY does.
	File string
}

// ring reads the key ring: the current key from the file or
// HALOCHAT_SECRET_KEY, the older keys (accepted for reading while
// rotating) from HALOCHAT_SECRET_KEYS, separated by commas or spaces.
// nil when no key is given.
func (k keyOptions) ring() (*seal.Ring, error) {
	current := os.Getenv("HALOCHAT_SECRET_KEY")
	from := "HALOCHAT_SECRET_KEY"
	if k.File != "" {
		b, err := os.ReadFile(k.File)
		if err != nil {
			return nil, fmt.Errorf("read the secret key (--secret-key-file): %w", err)
		}
		current, from = string(b), "--secret-key-file "+k.File
	}
	older := splitList(os.Getenv("HALOCHAT_SECRET_KEYS"))
	if strings.TrimSpace(current) == "" {
		if len(older) > 0 {
			return nil, fmt.Errorf("HALOCHAT_SECRET_KEYS (older keys) is set but no current key: set HALOCHAT_SECRET_KEY or --secret-key-file")
		}
		return nil, nil
	}
	r, err := seal.NewRing(current, older...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", from, err)
	}
	return r, nil
}

// sealOnStart seals the secrets still stored in clear (the first start
// with a key) and checks that the ring opens every sealed one; without a
// key it warns that they are stored in clear.
func sealOnStart(ctx context.Context, logger *slog.Logger, st *store.Store, ring *seal.Ring) error {
	if ring == nil {
		ids, err := st.SealedKeyIDs(ctx)
		if err != nil {
			return err
		}
		if len(ids) > 0 {
			return fmt.Errorf("the database holds secrets sealed under key id %s: give that key (HALOCHAT_SECRET_KEY or --secret-key-file)",
				strings.Join(ids, ", "))
		}
		logger.Warn("no secret key (HALOCHAT_SECRET_KEY or --secret-key-file): identity, runbook and webhook secrets are stored in clear")
		return nil
	}
	n, err := st.SealSecrets(ctx, false)
	if err != nil {
		return fmt.Errorf("the stored secrets: %w", err)
	}
	logger.Info("secrets at rest sealed", "key_id", ring.CurrentID(), "sealed_now", n.Sealed,
		"under_current_key", n.Current+n.Sealed, "under_older_keys", n.Resealed)
	return nil
}

// rotateKey seals every stored secret under the current key: run it
// after every node reads with the new key and the old one (README,
// "Secrets at rest").
func rotateKey(ctx context.Context, logger *slog.Logger, dsn string, keys keyOptions, out io.Writer) error {
	ring, err := keys.ring()
	if err != nil {
		return err
	}
	if ring == nil {
		return fmt.Errorf("rotate-key needs the new key (HALOCHAT_SECRET_KEY or --secret-key-file) and the old ones (HALOCHAT_SECRET_KEYS)")
	}
	st, err := openStore(ctx, logger, dsn, store.Options{Secrets: ring})
	if err != nil {
		return err
	}
	defer st.Close()
	n, err := st.SealSecrets(ctx, true)
	if err != nil {
		return fmt.Errorf("rotate-key: %w", err)
	}
	fmt.Fprintf(out, "secrets under key %s: %d sealed again from older keys, %d sealed from clear, %d already under it\n",
		ring.CurrentID(), n.Resealed, n.Sealed, n.Current)
	return nil
}
