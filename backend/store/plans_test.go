package store

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The prepared-statement pool runs point operations whose plans
// PostgreSQL caches per connection (and so are its foreign-key checks).
// A generic plan made from statistics of a few rows must still use the
// indexes, or it scans the whole table for as long as it is cached while
// the table grows: chat starts fell from ~3,500 to ~570/s after an
// ANALYZE of a new deployment's tiny tables.
func TestPreparedPoolPlansUseIndexesOnSmallTables(t *testing.T) {
	s := openPostgresBatches(t, 1)
	ctx := context.Background()
	newChat(t, s, ChatLive)
	must(t, s.CreateUser(ctx, &User{ExternalID: "e1", Email: "a@example.com", Username: "a"}))
	if _, err := s.db.ExecContext(ctx, "ANALYZE"); err != nil {
		t.Fatal(err)
	}
	conn, err := s.appendDB.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SET plan_cache_mode = force_generic_plan"); err != nil {
		t.Fatal(err)
	}
	defer func() { _, _ = conn.ExecContext(ctx, "RESET plan_cache_mode") }()

	appendSQL := appendStmtFor(s, "c", "m").sql
	for _, tc := range []struct{ name, sql string }{
		{"a token user's look-up", usersByExternalIDOrEmail},
		{"a message's append", appendSQL},
		{"a chat start's insert", createChatStatement},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := conn.ExecContext(ctx, "PREPARE plan_check AS "+tc.sql); err != nil {
				t.Fatalf("prepare: %v", err)
			}
			defer func() { _, _ = conn.ExecContext(ctx, "DEALLOCATE plan_check") }()
			n := maxParam(tc.sql)
			if n == 0 {
				t.Fatal("no parameters found")
			}
			nulls := strings.TrimSuffix(strings.Repeat("NULL,", n), ",")
			rows, err := conn.QueryContext(ctx, "EXPLAIN EXECUTE plan_check("+nulls+")")
			if err != nil {
				t.Fatalf("explain: %v", err)
			}
			defer rows.Close()
			var plan []string
			for rows.Next() {
				var line string
				if err := rows.Scan(&line); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, line)
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			if text := strings.Join(plan, "\n"); strings.Contains(text, "Seq Scan") {
				t.Fatalf("the generic plan scans a whole table:\n%s", text)
			}
		})
	}
}

// maxParam is the highest $N of a statement.
func maxParam(sql string) int {
	n := 0
	for _, m := range regexp.MustCompile(`\$(\d+)`).FindAllStringSubmatch(sql, -1) {
		v, _ := strconv.Atoi(m[1])
		n = max(n, v)
	}
	return n
}
