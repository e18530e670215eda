// Command halochat is the chat service: `serve` runs it, `migrate` brings
// the database schema up to date, `demo` seeds a working demo.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"

	"halochat/backend/seal"
)

const usage = `halochat: a self-hostable live chat and chatbot-flow service

Usage:
  halochat serve   [--addr 127.0.0.1:8080] [--db DSN] [--public-url URL] [--demo-host ADDR] [--limits default|benchmark] [--production]
                   [--trusted-proxies IP,CIDR,…] [--outbound-allow IP,CIDR,IP:port,…] [--files DIR]
                   [--metrics-addr ADDR] [--sqlite-sync full|normal]
                   [--smtp smtp://user:password@host:port] [--smtp-from ADDRESS]
  halochat migrate [--db DSN]
  halochat demo    [--db DSN] [--json]
  halochat backup  [--db DSN] --out FILE      a consistent copy of a SQLite database, while it serves
  halochat restore --from FILE [--db DSN] [--force]   put a backup in place (the service stopped)
  halochat new-key
  halochat rotate-key [--db DSN]

serve, migrate, demo and rotate-key take [--secret-key-file FILE]: the key
that seals the stored identity, runbook and webhook secrets (default
HALOCHAT_SECRET_KEY; HALOCHAT_SECRET_KEYS lists older keys still accepted
for reading while rotating). new-key prints a new one; serve --production
refuses to start without one.

DSN is sqlite:///path/file.db (the default is ./data/halochat.db) or
postgres://user:pass@host:5432/db. Environment: HALOCHAT_ADDR, HALOCHAT_DB,
HALOCHAT_PUBLIC_URL, HALOCHAT_DEMO_HOST, HALOCHAT_LIMITS, HALOCHAT_PRODUCTION=1,
HALOCHAT_TRUSTED_PROXIES, HALOCHAT_FILES, HALOCHAT_OUTBOUND_ALLOW (older name:
HALOCHAT_RUNBOOK_ALLOW), HALOCHAT_METRICS_ADDR, HALOCHAT_SQLITE_SYNC,
HALOCHAT_SECRET_KEY_FILE, HALOCHAT_SMTP, HALOCHAT_SMTP_FROM.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "halochat:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return flag.ErrHelp
	}
	var level slog.Level // HALOCHAT_LOG_LEVEL: debug, info (the default), warn, error
	if err := level.UnmarshalText([]byte(env("HALOCHAT_LOG_LEVEL", "info"))); err != nil {
		return fmt.Errorf("HALOCHAT_LOG_LEVEL: %w", err)
	}
	logger := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level}))
	cmd, rest := args[0], args[1:]
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage) }
	dsn := fs.String("db", env("HALOCHAT_DB", ""), "database DSN")
	var keys keyOptions
	fs.StringVar(&keys.File, "secret-key-file", env("HALOCHAT_SECRET_KEY_FILE", ""),
		"file holding the key that seals stored secrets (default: HALOCHAT_SECRET_KEY; older keys for reading: HALOCHAT_SECRET_KEYS)")
	switch cmd {
	case "serve":
		opts := serveOptions{DSN: dsn}
		fs.StringVar(&opts.Addr, "addr", env("HALOCHAT_ADDR", "127.0.0.1:8080"), "address to listen on")
		fs.StringVar(&opts.PublicURL, "public-url", env("HALOCHAT_PUBLIC_URL", ""), "URL visitors reach the service at (default http://ADDR)")
		fs.StringVar(&opts.DemoHost, "demo-host", env("HALOCHAT_DEMO_HOST", ""), "also serve the demo host page on this address (e.g. 127.0.0.1:8081, shown as http://localhost:8081)")
		fs.BoolVar(&opts.Production, "production", env("HALOCHAT_PRODUCTION", "") == "1", "refuse to start with the demo's accounts, an http public URL or lifted limits")
		fs.StringVar(&opts.Limits, "limits", env("HALOCHAT_LIMITS", "default"), `abuse limits: "default", or "benchmark" (lifts every rate and connection limit: load tests on loopback only)`)
		fs.IntVar(&opts.Pool, "db-pool", envInt("HALOCHAT_DB_POOL", 0), "PostgreSQL connections per node (0: the default, 16)")
		fs.IntVar(&opts.StartBatches, "start-batches", envInt("HALOCHAT_START_BATCHES", 0), "PostgreSQL: batches of chat starts committed at once, each one statement on a connection of its own (0: the default, 1; -1: every start its own commit)")
		fs.IntVar(&opts.AppendBatches, "append-batches", envInt("HALOCHAT_APPEND_BATCHES", 0), "PostgreSQL: batches of messages committed at once, each on a connection of its own (0: the default, 1; -1: every message its own commit)")
		fs.StringVar(&opts.TrustedProxies, "trusted-proxies", env("HALOCHAT_TRUSTED_PROXIES", ""), "comma-separated IPs or CIDRs of the reverse proxies in front of the service: only their X-Forwarded-For is believed (default none)")
		fs.StringVar(&opts.OutboundAllow, "outbound-allow", outboundAllowEnv(),
			"comma-separated IPs, CIDRs or IP:port entries that runbooks and webhooks may reach although internal (loopback, private); HALOCHAT_RUNBOOK_ALLOW is its older name")
		fs.IntVar(&opts.IdleGOGC, "idle-gogc", envInt("HALOCHAT_IDLE_GOGC", 25), "the garbage collector's target (GOGC) while the node holds --idle-gogc-sockets open sockets or more: idle chats' memory is mostly the collector's headroom (0: leave GOGC alone)")
		fs.IntVar(&opts.IdleGOGCSockets, "idle-gogc-sockets", envInt("HALOCHAT_IDLE_GOGC_SOCKETS", 2000), "open websockets from which --idle-gogc applies")
		fs.IntVar(&opts.GCMinHeapMiB, "gc-min-heap", envInt("HALOCHAT_GC_MIN_HEAP", 64), "MiB the heap may grow to before a collection while fewer than --idle-gogc-sockets are open: a busy node's small live heap is then not collected every few MiB (GOGC rises, to 400 at most; 0: leave GOGC alone)")
		fs.StringVar(&opts.FilesDir, "files", env("HALOCHAT_FILES", ""), "keep chat attachments in this directory (default: in the database)")
		fs.StringVar(&opts.SQLiteSync, "sqlite-sync", env("HALOCHAT_SQLITE_SYNC", ""), `SQLite file: "full" (the default: every commit synced, an acknowledged message survives a power loss) or "normal" (synced at checkpoints: faster, safe against a crash of the process, but a power loss may drop the last acknowledged messages)`)
		fs.StringVar(&opts.MetricsAddr, "metrics-addr", env("HALOCHAT_METRICS_ADDR", ""), "also serve /metrics on this address to any client that reaches it (e.g. a private network's 10.0.0.5:9090); the main address serves it to loopback and metrics:read only")
		fs.StringVar(&opts.SMTP, "smtp", env("HALOCHAT_SMTP", ""), "send e-mail (transcripts, new-ticket notifications) through this SMTP server: smtp://user:password@host:port (STARTTLS when offered; ?starttls=required) or smtps://… (default: no e-mail)")
		fs.StringVar(&opts.SMTPFrom, "smtp-from", env("HALOCHAT_SMTP_FROM", ""), `the sender of the service's mail, e.g. "Support <help@example.com>" (default: the --smtp user name when it is an address)`)
		fs.StringVar(&opts.Pprof, "pprof", env("HALOCHAT_PPROF", ""), "serve net/http/pprof on this loopback address (e.g. 127.0.0.1:6060) for profiling")
		if err := fs.Parse(rest); err != nil {
			return err
		}
		if err := resolveDSN(dsn); err != nil {
			return err
		}
		opts.Keys = keys
		return serve(ctx, logger, opts)
	case "migrate":
		if err := fs.Parse(rest); err != nil {
			return err
		}
		if err := resolveDSN(dsn); err != nil {
			return err
		}
		return migrate(ctx, logger, *dsn, keys)
	case "demo":
		asJSON := fs.Bool("json", false, "print the demo's ids and secrets as one JSON document")
		if err := fs.Parse(rest); err != nil {
			return err
		}
		if err := resolveDSN(dsn); err != nil {
			return err
		}
		return seedDemo(ctx, logger, *dsn, keys, *asJSON, stdout)
	case "backup":
		out := fs.String("out", "", "the file to write the copy to (must not exist)")
		if err := fs.Parse(rest); err != nil {
			return err
		}
		if err := resolveDSN(dsn); err != nil {
			return err
		}
		return backup(ctx, logger, *dsn, *out)
	case "restore":
		from := fs.String("from", "", "the backup file")
		force := fs.Bool("force", false, "replace the database that is there (stop the service first)")
		if err := fs.Parse(rest); err != nil {
			return err
		}
		if err := resolveDSN(dsn); err != nil {
			return err
		}
		return restore(ctx, logger, *from, *dsn, *force)
	case "rotate-key":
		if err := fs.Parse(rest); err != nil {
			return err
		}
		if err := resolveDSN(dsn); err != nil {
			return err
		}
		return rotateKey(ctx, logger, *dsn, keys, stdout)
	case "new-key":
		fmt.Fprintln(stdout, seal.NewKey())
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", cmd)
	}
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// outboundAllowEnv is the --outbound-allow default: HALOCHAT_OUTBOUND_ALLOW,
// or when that is unset its older name HALOCHAT_RUNBOOK_ALLOW.
func outboundAllowEnv() string {
	return env("HALOCHAT_OUTBOUND_ALLOW", os.Getenv("HALOCHAT_RUNBOOK_ALLOW"))
}

// resolveDSN fills in the default: a SQLite file under ./data/.
func resolveDSN(dsn *string) error {
	if *dsn != "" {
		return nil
	}
	abs, err := filepath.Abs(filepath.Join("data", "halochat.db"))
	if err != nil {
		return fmt.Errorf("default database path: %w", err)
	}
	*dsn = "sqlite://" + abs
	return nil
}

// envInt is env for a whole number; an unparsable value gives def (the
// flag then says what it is).
func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return v
	}
	return def
}
