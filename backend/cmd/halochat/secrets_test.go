package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"halochat/backend/seal"
	"halochat/backend/store"
)

// The commands around the secret key: new-key makes one; serve
// --production refuses to start without one; demo with a key stores its
// HS256 secret sealed; rotate-key seals it again under a new key while
// the old one is given as older; the old key alone then fails clearly.
func TestSecretKeyCommands(t *testing.T) {
	ctx := context.Background()
	t.Setenv("HALOCHAT_SECRET_KEY", "")
	t.Setenv("HALOCHAT_SECRET_KEYS", "")
	t.Setenv("HALOCHAT_SECRET_KEY_FILE", "")
	dir := t.TempDir()
	dsn := "sqlite://" + filepath.Join(dir, "h.db")
	var out, errs bytes.Buffer
	runOK := func(args ...string) string {
		t.Helper()
		out.Reset()
		if err := run(ctx, args, &out, &errs); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, errs.String())
		}
		return out.String()
	}
	keyFile := func(name string) (string, string) {
		key := strings.TrimSpace(runOK("new-key"))
		if _, err := seal.ParseKey(key); err != nil {
			t.Fatalf("new-key printed %q: %v", key, err)
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(key+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return key, path
	}

	err := run(ctx, []string{"serve", "--production", "--db", dsn, "--public-url", "https://chat.example.com"}, &out, &errs)
	if err == nil || !strings.Contains(err.Error(), "HALOCHAT_SECRET_KEY") {
		t.Errorf("serve --production without a key: %v", err)
	}
	if err := run(ctx, []string{"rotate-key", "--db", dsn}, &out, &errs); err == nil {
		t.Error("rotate-key without a key ran")
	}

	oldKey, oldFile := keyFile("old.key")
	var seeded struct {
		Identity struct {
			HS256Secret string `json:"hs256_secret"`
		} `json:"identity"`
	}
	if err := json.Unmarshal([]byte(runOK("demo", "--db", dsn, "--json", "--secret-key-file", oldFile)), &seeded); err != nil || seeded.Identity.HS256Secret == "" {
		t.Fatalf("demo's JSON: %v %+v", err, seeded)
	}
	identityColumn := func() string {
		st, err := store.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		var ids []string
		if err := st.DB().NewRaw("SELECT identity FROM chat_profiles").Scan(ctx, &ids); err != nil {
			t.Fatal(err)
		}
		return strings.Join(ids, "\n")
	}
	if col := identityColumn(); strings.Contains(col, seeded.Identity.HS256Secret) || !strings.Contains(col, "enc:v1:") {
		t.Errorf("the demo's HS256 secret is stored in clear: %s", col)
	}

	_, newFile := keyFile("new.key")
	t.Setenv("HALOCHAT_SECRET_KEYS", oldKey)
	if got := runOK("rotate-key", "--db", dsn, "--secret-key-file", newFile); !strings.Contains(got, "sealed again from older keys") || strings.Contains(got, ": 0 sealed again") {
		t.Errorf("rotate-key printed %q", got)
	}
	t.Setenv("HALOCHAT_SECRET_KEYS", "")
	runOK("demo", "--db", dsn, "--secret-key-file", newFile) // reads the profile back with the new key alone
	err = run(ctx, []string{"migrate", "--db", dsn, "--secret-key-file", oldFile}, &out, &errs)
	if err == nil || !strings.Contains(err.Error(), "HALOCHAT_SECRET_KEYS") {
		t.Errorf("the old key after the rotation: %v", err)
	}
	err = run(ctx, []string{"migrate", "--db", dsn}, &out, &errs)
	if err == nil || !strings.Contains(err.Error(), "sealed under key id") {
		t.Errorf("no key on a database with sealed secrets: %v", err)
	}
}
