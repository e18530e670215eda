package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Report groupings.
const (
	GroupByDay     = "day"     // the UTC day the chat started (YYYY-MM-DD)
	GroupByAgent   = "agent"   // the agent who took it ("0": none)
	GroupByProfile = "profile" // its chat profile's id
	GroupByTeam    = "team"    // the team it was routed to ("0": none)
)

// ChatReportRow is one group of a chat report. Times are seconds; a
// figure over no chat is null (Valid false).
type ChatReportRow struct {
	Key string
	// Started is how many chats started; Answered how many an agent
	// accepted; Missed how many ended while queued for an agent.
	Started, Answered, Missed int64
	// FirstResponseP50 and P90: from the chat's queueing for an agent (its
	// start when it never queued) to the first agent message, over the
	// chats that had one; percentiles interpolated as PostgreSQL's
	// percentile_cont.
	FirstResponseP50, FirstResponseP90 sql.NullFloat64
	// TimeToEndAvg is the mean from start to end over the ended chats.
	TimeToEndAvg sql.NullFloat64
	// RatingAvg and RatingCount are over the rated chats.
	RatingAvg   sql.NullFloat64
	RatingCount int64
}

// ChatReport computes the report of the chats started in [from, to),
// one row a group (groupBy: GroupByDay, GroupByAgent, GroupByTeam,
// GroupByProfile),
// by key. By day, every day of the range has a row, those without a
// chat all zero. It is one SQL query on either database.
func (s *Store) ChatReport(ctx context.Context, from, to time.Time, groupBy string) ([]ChatReportRow, error) {
	what := fmt.Sprintf("report the chats from %s to %s by %s", from.Format(time.RFC3339), to.Format(time.RFC3339), groupBy)
	q, err := s.chatReportSQL(groupBy)
	if err != nil {
		return nil, invalid(what, "%v", err)
	}
	var out []ChatReportRow
	err = s.readReport(ctx, q, []any{from.UTC(), to.UTC()}, func(rows *sql.Rows) error {
		for rows.Next() {
			var r ChatReportRow
			if err := rows.Scan(&r.Key, &r.Started, &r.Answered, &r.Missed, &r.TimeToEndAvg, &r.RatingAvg, &r.RatingCount,
				&r.FirstResponseP50, &r.FirstResponseP90); err != nil {
				return err
			}
			out = append(out, r)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, wrap(err, what)
	}
	if groupBy == GroupByDay {
		out = everyDay(out, from, to)
	}
	return out, nil
}

// readReport runs a report query and hands its rows to read. On
// PostgreSQL it runs in a read-only transaction with JIT compilation
// off: the planner's cost of a subquery a chat passes the JIT threshold,
// and on 100,000 chats compiling took 2.0 s of a 3.5 s query (EXPLAIN
// ANALYZE), more than it saved.
func (s *Store) readReport(ctx context.Context, q string, args []any, read func(*sql.Rows) error) error {
	if s.dialect != DialectPostgres {
		rows, err := s.db.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		return read(rows)
	}
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, "SET LOCAL jit = off"); err != nil {
		return err
	}
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	return read(rows)
}

// everyDay is rows (by day, in order) with a zero row for each day of
// [from, to) that has none.
func everyDay(rows []ChatReportRow, from, to time.Time) []ChatReportRow {
	byDay := make(map[string]ChatReportRow, len(rows))
	for _, r := range rows {
		byDay[r.Key] = r
	}
	var out []ChatReportRow
	for d := from.UTC().Truncate(24 * time.Hour); d.Before(to); d = d.AddDate(0, 0, 1) {
		key := d.Format(time.DateOnly)
		r, ok := byDay[key]
		if !ok {
			r = ChatReportRow{Key: key}
		}
		out = append(out, r)
	}
	return out
}

// chatReportSQL is the report query for the dialect: a row per chat
// (base), its aggregates by group, and the first response percentiles —
// PostgreSQL's percentile_cont; on SQLite, which has none, each chat's
// rank in its group by a window function and the interpolation of
// percentile_cont between the two ranks around p·(n−1).
func (s *Store) chatReportSQL(groupBy string) (string, error) {
	pg := s.dialect == DialectPostgres
	secs := func(a, b string) string {
		if pg {
			return "CAST(EXTRACT(EPOCH FROM (" + a + " - " + b + ")) AS DOUBLE PRECISION)"
		}
		return "((julianday(" + a + ") - julianday(" + b + ")) * 86400.0)"
	}
	var key string
	switch groupBy {
	case GroupByDay:
		key = "strftime('%Y-%m-%d', c.started_at)"
		if pg {
			key = "to_char(c.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
		}
	case GroupByAgent:
		key = "CAST(COALESCE(c.agent_id, 0) AS TEXT)"
	case GroupByProfile:
		key = "c.profile_id"
	case GroupByTeam:
		key = "CAST(COALESCE(c.team_id, 0) AS TEXT)"
	default:
		return "", fmt.Errorf("groupBy %q is not day, agent, team or profile", groupBy)
	}
	// The first agent message: the chat's lowest seq by an agent (seqs
	// grow with time; an internal note is no response), found through
	// the messages' primary key. base is
	// MATERIALIZED: read twice on SQLite (ranks, sums) and by both
	// percentiles on PostgreSQL, it would run this subquery again each
	// time.
	firstAgent := `(SELECT m.created_at FROM messages AS m WHERE m.chat_id = c.id AND m.sender = 'agent' AND NOT m.internal ORDER BY m.seq LIMIT 1)`
	base := `WITH base AS MATERIALIZED (
	SELECT ` + key + ` AS k,
		CASE WHEN c.accepted_at IS NOT NULL THEN 1 ELSE 0 END AS answered,
		CASE WHEN c.status = 'ended' AND c.accepted_at IS NULL AND c.queued_at IS NOT NULL THEN 1 ELSE 0 END AS missed,
		` + secs(firstAgent, "COALESCE(c.queued_at, c.started_at)") + ` AS frt,
		CASE WHEN c.ended_at IS NOT NULL THEN ` + secs("c.ended_at", "c.started_at") + ` END AS dur,
		r.score AS score
	FROM chats AS c
	LEFT JOIN chat_ratings AS r ON r.chat_id = c.id
	WHERE c.started_at >= ? AND c.started_at < ?
)`
	agg := `SELECT k, COUNT(*), SUM(answered), SUM(missed), AVG(dur), CAST(AVG(score) AS DOUBLE PRECISION), COUNT(score)`
	if pg {
		return base + "\n" + agg + `,
	percentile_cont(0.5) WITHIN GROUP (ORDER BY frt), percentile_cont(0.9) WITHIN GROUP (ORDER BY frt)
FROM base GROUP BY k ORDER BY k`, nil
	}
	pct := func(p string) string {
		pos := "(" + p + " * (n - 1))"
		return `SUM(CASE WHEN i = floor(` + pos + `) THEN frt * (1 - (` + pos + ` - floor(` + pos + `)))
		WHEN i = floor(` + pos + `) + 1 THEN frt * (` + pos + ` - floor(` + pos + `)) ELSE 0 END)`
	}
	return base + `,
ranked AS (
	SELECT k, frt, ROW_NUMBER() OVER (PARTITION BY k ORDER BY frt) - 1 AS i, COUNT(*) OVER (PARTITION BY k) AS n
	FROM base WHERE frt IS NOT NULL
),
pct AS (SELECT k, ` + pct("0.5") + ` AS p50, ` + pct("0.9") + ` AS p90 FROM ranked GROUP BY k),
agg AS (` + agg + ` FROM base GROUP BY k)
SELECT agg.*, pct.p50, pct.p90 FROM agg LEFT JOIN pct ON pct.k = agg.k ORDER BY agg.k`, nil
}
