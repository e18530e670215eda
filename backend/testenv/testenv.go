// Package testenv is the harness every package's tests stand on: the real
// parts it finds — a PostgreSQL server, a chromium binary — each test's
// own throw-away databases (SQLite and PostgreSQL, see ForEachDB) and
// stores on them, an HTTP client for JSON APIs, and the tests' logger.
// Its subpackage loopback runs the whole service on a loopback port;
// backend/storetest seeds the demo. testenv itself imports nothing of
// halochat, so that the tests of any package may use it (the store's own
// included).
//
// Where a part is missing the test is skipped with a message saying how to
// enable it, unless HALOCHAT_REQUIRE_ALL=1 (set by .ci/run), under which a
// missing part fails the test instead.
package testenv

import (
	"bytes"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
)

// EnvPostgres names the variable holding the DSN of a PostgreSQL server on
// which tests may create and drop databases.
const EnvPostgres = "HALOCHAT_TEST_POSTGRES"

// EnvLog, when set, sends the logs of services under test to stderr, at
// debug level; otherwise Logger discards them.
const EnvLog = "HALOCHAT_TEST_LOG"

// EnvRequireAll, when "1", turns every skip for a missing part into a failure.
const EnvRequireAll = "HALOCHAT_REQUIRE_ALL"

// RequireAll reports whether missing parts must fail tests rather than skip them.
func RequireAll() bool { return os.Getenv(EnvRequireAll) == "1" }

// Logger is the logger of services under test: quiet unless
// HALOCHAT_TEST_LOG is set.
func Logger() *slog.Logger {
	if os.Getenv(EnvLog) != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// Missing skips t (or fails it under HALOCHAT_REQUIRE_ALL=1) with msg.
func Missing(t testing.TB, msg string) {
	t.Helper()
	if RequireAll() {
		t.Fatalf("%s (a skip is a failure because %s=1)", msg, EnvRequireAll)
	}
	t.Skip(msg)
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

// Logs records what a service under test logs, for tests that check the
// log (no 5xx, no secrets, a warning that must be there). Handlers write
// from many goroutines, hence the lock.
type Logs struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Logger is a logger writing JSON lines into l, from debug level up.
func (l *Logs) Logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func (l *Logs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// String is everything logged so far.
func (l *Logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}
