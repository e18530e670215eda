// Package testenv finds the real parts that tests run against — a
// PostgreSQL server, a chromium binary — and gives each test its own
// throw-away PostgreSQL database.
//
// Where a part is missing the test is skipped with a message saying how to
// enable it, unless HALOCHAT_REQUIRE_ALL=1 (set by .ci/run), under which a
// missing part fails the test instead.
package testenv

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
)

// EnvPostgres names the variable holding the DSN of a PostgreSQL server on
// which tests may create and drop databases.
const EnvPostgres = "HALOCHAT_TEST_POSTGRES"

// EnvRequireAll, when "1", turns every skip for a missing part into a failure.
const EnvRequireAll = "HALOCHAT_REQUIRE_ALL"

// RequireAll reports whether missing parts must fail tests rather than skip them.
func RequireAll() bool { return os.Getenv(EnvRequireAll) == "1" }

// Missing skips t (or fails it under HALOCHAT_REQUIRE_ALL=1) with msg.
func Missing(t testing.TB, msg string) {
	t.Helper()
	if RequireAll() {
		t.Fatalf("%s (a skip is a failure because %s=1)", msg, EnvRequireAll)
	}
	t.Skip(msg)
}

// PostgresDSN creates a fresh database on the server named by
// HALOCHAT_TEST_POSTGRES, drops it when the test ends, and returns its DSN.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvPostgres)
	if base == "" {
		Missing(t, "PostgreSQL tests skipped: set "+EnvPostgres+
			"=postgres://postgres@127.0.0.1:5432/test?sslmode=disable to run them")
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse %s: %v", EnvPostgres, err)
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("open %s: %v", EnvPostgres, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := admin.PingContext(ctx); err != nil {
		_ = admin.Close()
		Missing(t, fmt.Sprintf("PostgreSQL at %s is not reachable (%v): start it with "+
			"'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start'", u.Redacted(), err))
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "halochat_t_" + hex.EncodeToString(b[:])
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		_ = admin.Close()
		t.Fatalf("create test database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Logf("drop test database %s: %v", name, err)
		}
		_ = admin.Close()
	})
	u.Path = "/" + name
	return u.String()
}

// SQLiteDSN returns the DSN of a SQLite file in a temporary folder of t.
func SQLiteDSN(t testing.TB) string {
	t.Helper()
	return "sqlite://" + t.TempDir() + "/halochat.db"
}

// Chromium returns the path of a chromium binary, or skips (fails under
// HALOCHAT_REQUIRE_ALL=1) when there is none.
func Chromium(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("HALOCHAT_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	Missing(t, "browser tests skipped: install chromium ('apt-get install -y chromium') "+
		"or set HALOCHAT_CHROMIUM to its path")
	return ""
}

// Databases lists the DSNs a storage test should run against: always a
// SQLite file, and a fresh PostgreSQL database when one is configured.
// Without PostgreSQL it logs why (and fails under HALOCHAT_REQUIRE_ALL=1).
func Databases(t *testing.T) map[string]string {
	t.Helper()
	dbs := map[string]string{"sqlite": SQLiteDSN(t)}
	if os.Getenv(EnvPostgres) == "" {
		if RequireAll() {
			t.Fatalf("%s is not set and %s=1", EnvPostgres, EnvRequireAll)
		}
		t.Logf("PostgreSQL half skipped: set %s to run it", EnvPostgres)
		return dbs
	}
	dbs["postgres"] = PostgresDSN(t)
	return dbs
}

// Short describes a DSN for logs without its password.
func Short(dsn string) string {
	if u, err := url.Parse(dsn); err == nil {
		return u.Redacted()
	}
	return strings.SplitN(dsn, "?", 2)[0]
}

// ClientFrame encodes a final websocket frame as a client sends it
// (RFC 6455 §5.2: masked), for tests that speak the protocol byte by
// byte.
func ClientFrame(op byte, payload []byte) []byte {
	mask := [4]byte{9, 8, 7, 6}
	out := []byte{0x80 | op}
	switch {
	case len(payload) < 126:
		out = append(out, 0x80|byte(len(payload)))
	default:
		out = append(out, 0x80|126, byte(len(payload)>>8), byte(len(payload)))
	}
	out = append(out, mask[:]...)
	for i, b := range payload {
		out = append(out, b^mask[i%4])
	}
	return out
}
