package store

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"os"
	"strconv"
	"testing"
	"time"

	"halochat/backend/testenv"
)

// reportChat is a chat to seed: offsets from its start (0: never).
type reportChat struct {
	started           time.Time
	queued, accepted  time.Duration
	firstAgent, ended time.Duration
	agent             int64
	rating            int64
}

// seedReportChats stores chats as given, each with a visitor message
// and, when firstAgent is set, an agent message then.
func seedReportChats(t testing.TB, s *Store, profile string, chats []reportChat) {
	t.Helper()
	ctx := context.Background()
	var rows []Chat
	var msgs []Message
	var ratings []ChatRating
	for i, rc := range chats {
		c := Chat{ID: fmt.Sprintf("rep%07d", i), ProfileID: profile, Context: ContextEmbedded, Status: ChatEnded,
			AgentID: rc.agent, StartedAt: rc.started, UpdatedAt: rc.started, LastSeq: 1}
		at := func(d time.Duration) time.Time { return rc.started.Add(d) }
		if rc.queued != 0 {
			c.QueuedAt = at(rc.queued)
			c.Status = ChatQueued
		}
		if rc.accepted != 0 {
			c.AcceptedAt = at(rc.accepted)
			c.Status = ChatLive
		}
		if rc.ended != 0 {
			c.EndedAt = at(rc.ended)
			c.Status = ChatEnded
		} else if c.Status == ChatEnded {
			c.Status = ChatBot
		}
		msgs = append(msgs, Message{ChatID: c.ID, Seq: 1, Sender: SenderVisitor, Text: "hi", CreatedAt: rc.started})
		if rc.firstAgent != 0 {
			c.LastSeq = 2
			msgs = append(msgs, Message{ChatID: c.ID, Seq: 2, Sender: SenderAgent, AgentID: rc.agent, Text: "hello", CreatedAt: at(rc.firstAgent)})
		}
		if rc.rating != 0 {
			ratings = append(ratings, ChatRating{ChatID: c.ID, Score: rc.rating, CreatedAt: at(rc.ended), UpdatedAt: at(rc.ended)})
		}
		rows = append(rows, c)
	}
	const batch = 500
	for i := 0; i < len(rows); i += batch {
		j := min(i+batch, len(rows))
		_, err := s.db.NewInsert().Model(ptr(rows[i:j])).Exec(ctx)
		must(t, err)
	}
	for i := 0; i < len(msgs); i += batch {
		j := min(i+batch, len(msgs))
		_, err := s.db.NewInsert().Model(ptr(msgs[i:j])).Exec(ctx)
		must(t, err)
	}
	for i := 0; i < len(ratings); i += batch {
		j := min(i+batch, len(ratings))
		_, err := s.db.NewInsert().Model(ptr(ratings[i:j])).Exec(ctx)
		must(t, err)
	}
}

func ptr[T any](v T) *T { return &v }

// reportFixture is a profile and two agents to report on.
func reportFixture(t testing.TB, s *Store) (profile string, agents [2]int64) {
	t.Helper()
	ctx := context.Background()
	p := &ChatProfile{Name: "reports", Access: AccessPortalAndExternal}
	must(t, s.CreateProfile(ctx, p))
	for i := range agents {
		a := &Agent{Email: fmt.Sprintf("r%d@example.com", i), Name: fmt.Sprintf("Agent %d", i), Role: RoleAgent}
		must(t, s.CreateAgent(ctx, a))
		agents[i] = a.ID
	}
	return p.ID, agents
}

// The report counts, times and rates the chats of its range by day (every
// day a row), agent and profile, alike on both databases; percentiles
// interpolate as percentile_cont.
func TestChatReport(t *testing.T) {
	testenv.ForEachStore(t, Open, func(t *testing.T, s *Store) {
		ctx := context.Background()
		profile, ag := reportFixture(t, s)
		day := func(d, h, m int) time.Time { return time.Date(2026, 12, d, h, m, 0, 0, time.UTC) }
		sec := time.Second
		seedReportChats(t, s, profile, []reportChat{
			// 1 Dec: two answered (first responses 30 s and 90 s), one missed, one bot-only.
			{started: day(1, 9, 59), queued: 60 * sec, accepted: 80 * sec, firstAgent: 90 * sec, ended: 660 * sec, agent: ag[0], rating: 5},
			{started: day(1, 11, 0), queued: sec, accepted: 61 * sec, firstAgent: 91 * sec, ended: 300 * sec, agent: ag[1], rating: 3},
			{started: day(1, 12, 0), queued: sec, ended: 180 * sec},
			{started: day(1, 13, 0), ended: 60 * sec},
			// 3 Dec: one live chat, answered in 10 s.
			{started: day(3, 9, 0), queued: sec, accepted: 5 * sec, firstAgent: 11 * sec, agent: ag[0]},
			// Outside the range.
			{started: day(4, 0, 0), queued: sec, ended: sec * 2},
			{started: time.Date(2026, 11, 30, 23, 59, 0, 0, time.UTC), ended: sec},
		})
		from, to := day(1, 0, 0), day(4, 0, 0)

		byDay, err := s.ChatReport(ctx, from, to, GroupByDay)
		must(t, err)
		want := []string{
			"2026-12-01 started 4 answered 2 missed 1 p50 60 p90 84 end 300 rating 4 × 2",
			"2026-12-02 started 0 answered 0 missed 0 p50 - p90 - end - rating - × 0",
			"2026-12-03 started 1 answered 1 missed 0 p50 10 p90 10 end - rating - × 0",
		}
		checkReport(t, "by day", byDay, want)

		byAgent, err := s.ChatReport(ctx, from, to, GroupByAgent)
		must(t, err)
		checkReport(t, "by agent", byAgent, []string{
			"0 started 2 answered 0 missed 1 p50 - p90 - end 120 rating - × 0",
			strconv.FormatInt(ag[0], 10) + " started 2 answered 2 missed 0 p50 20 p90 28 end 660 rating 5 × 1",
			strconv.FormatInt(ag[1], 10) + " started 1 answered 1 missed 0 p50 90 p90 90 end 300 rating 3 × 1",
		})

		byProfile, err := s.ChatReport(ctx, from, to, GroupByProfile)
		must(t, err)
		checkReport(t, "by profile", byProfile, []string{
			profile + " started 5 answered 3 missed 1 p50 30 p90 78 end 300 rating 4 × 2",
		})

		byTeam, err := s.ChatReport(ctx, from, to, GroupByTeam)
		must(t, err)
		checkReport(t, "by team", byTeam, []string{
			"0 started 5 answered 3 missed 1 p50 30 p90 78 end 300 rating 4 × 2",
		})
		_, err = s.ChatReport(ctx, from, to, "week")
		wantErr(t, err, ErrInvalid)
	})
}

// checkReport compares rows, written as want's lines, with want.
func checkReport(t *testing.T, what string, rows []ChatReportRow, want []string) {
	t.Helper()
	f := func(v sql.NullFloat64) string {
		if !v.Valid {
			return "-"
		}
		return strconv.FormatFloat(math.Round(v.Float64*1000)/1000, 'f', -1, 64)
	}
	var got []string
	for _, r := range rows {
		got = append(got, fmt.Sprintf("%s started %d answered %d missed %d p50 %s p90 %s end %s rating %s × %d",
			r.Key, r.Started, r.Answered, r.Missed, f(r.FirstResponseP50), f(r.FirstResponseP90), f(r.TimeToEndAvg), f(r.RatingAvg), r.RatingCount))
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s:\n got %q\nwant %q", what, got, want)
	}
}

// BenchmarkChatReport times the report over a month of chats —
// HALOCHAT_REPORT_CHATS of them, 100,000 by default: 60 % answered (a
// third rated), 20 % missed, 20 % bot-only — on each database, by day,
// agent and profile. make bench (.ci/bench.sh) writes its figures.
func BenchmarkChatReport(b *testing.B) {
	n := 100_000
	if v := os.Getenv("HALOCHAT_REPORT_CHATS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n <= 0 {
			b.Fatalf("HALOCHAT_REPORT_CHATS=%q: want a positive number", v)
		}
	}
	from := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	to := from.AddDate(0, 1, 0)
	for _, db := range []struct {
		name string
		dsn  func(testing.TB) string
	}{{"sqlite", testenv.SQLiteDSN}, {"postgres", testenv.PostgresDSN}} {
		if db.name == "postgres" && os.Getenv(testenv.EnvPostgres) == "" {
			b.Logf("postgres skipped: %s is not set", testenv.EnvPostgres)
			continue
		}
		s := testenv.OpenStore(b, db.dsn(b), Open)
		profile, agents := reportFixture(b, s)
		step := to.Sub(from) / time.Duration(n)
		chats := make([]reportChat, n)
		for i := range chats {
			sec := time.Duration(i%97+1) * time.Second
			c := reportChat{started: from.Add(time.Duration(i) * step)}
			switch i % 10 {
			case 0, 1, 2, 3, 4, 5:
				c.queued, c.accepted, c.firstAgent, c.ended = sec, 2*sec, 3*sec, 60*sec
				c.agent = agents[i%2]
				if i%3 == 0 {
					c.rating = int64(i%5 + 1)
				}
			case 6, 7:
				c.queued, c.ended = sec, 10*sec
			default:
				c.ended = sec
			}
			chats[i] = c
		}
		seedReportChats(b, s, profile, chats)
		if _, err := s.DB().ExecContext(context.Background(), "ANALYZE"); err != nil {
			b.Fatal(err)
		}
		for _, groupBy := range []string{GroupByDay, GroupByAgent, GroupByProfile} {
			b.Run(fmt.Sprintf("%s/%dchats/%s", db.name, n, groupBy), func(b *testing.B) {
				for b.Loop() {
					rows, err := s.ChatReport(context.Background(), from, to, groupBy)
					if err != nil || len(rows) == 0 {
						b.Fatalf("report: %d rows, %v", len(rows), err)
					}
				}
			})
		}
	}
}
