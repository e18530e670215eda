package chats_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"halochat/app/protocol"
	"halochat/backend/chats"
	"halochat/backend/testenv"
)

// clock is a settable time, for the rating window.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// eachDatabaseTicking is eachDatabase with the store on a clock of its
// own (one a database: they run in parallel), starting at start.
func eachDatabaseTicking(t *testing.T, start time.Time, run func(t *testing.T, e *env, clk *clock)) {
	testenv.ForEachDB(t, func(t *testing.T, dsn string) {
		clk := &clock{t: start}
		run(t, seededEnv(t, dsn, clk.now), clk)
	})
}

// refusedWith checks err is a refusal with that code naming field, its
// message holding word.
func refusedWith(t *testing.T, what string, err error, code, field, word string) {
	t.Helper()
	e := chats.ErrorOf(err)
	if err == nil || e.Code != code || e.Field != field || !strings.Contains(e.Message, word) {
		t.Errorf("%s: %v, want %s naming %q with %q", what, err, code, field, word)
	}
}

// TestRatingAnEndedChat: a visitor rates their chat once it has ended,
// 1–5 with a comment; a second rating replaces the first for ten
// minutes, and is refused after; agents read it in the details; a
// profile that asks no question takes no rating.
func TestRatingAnEndedChat(t *testing.T) {
	eachDatabaseTicking(t, time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC), func(t *testing.T, e *env, clk *clock) {
		resp := e.start(t, protocol.StartChatRequest{})
		rate := func(score int, comment string) (*protocol.ChatRating, bool, error) {
			return e.svc.Rate(e.ctx, e.chat(t, resp.ChatID), protocol.RatingRequest{Score: score, Comment: comment})
		}
		_, _, err := rate(5, "")
		refusedWith(t, "an open chat", err, protocol.CodeConflict, "", "once it has ended")
		if err := e.svc.VisitorEnd(e.ctx, resp.ChatID, protocol.EndByVisitor); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			score          int
			comment, field string
			word           string
		}{
			{0, "", "score", "from 1 to 5"},
			{6, "", "score", "score: please pick a score from 1 to 5"},
			{-1, "", "score", "score"},
			{3, strings.Repeat("ü", protocol.MaxRatingComment+1), "comment", "at most 2000"},
			{3, "nul\x00", "comment", "cannot be sent"},
			{3, "bad \xff", "comment", "cannot be sent"},
		} {
			_, _, err := rate(tc.score, tc.comment)
			refusedWith(t, fmt.Sprintf("score %d, comment %.10q", tc.score, tc.comment), err, protocol.CodeInvalidRequest, tc.field, tc.word)
		}
		if r, _ := e.svc.Rating(e.ctx, resp.ChatID); r != nil {
			t.Fatalf("a refused rating was stored: %+v", r)
		}

		first, replaced, err := rate(4, "  Quick and kind.  ")
		if err != nil || replaced || first.Score != 4 || first.Comment != "Quick and kind." || first.RatedAt != "2026-12-06T09:00:00Z" {
			t.Fatalf("first rating %+v, replaced %v, %v", first, replaced, err)
		}
		clk.add(9 * time.Minute)
		second, replaced, err := rate(2, strings.Repeat("ü", protocol.MaxRatingComment))
		if err != nil || !replaced || second.Score != 2 || second.RatedAt != "2026-12-06T09:09:00Z" {
			t.Fatalf("second rating %+v, replaced %v, %v", second, replaced, err)
		}
		clk.add(time.Minute + time.Second)
		_, _, err = rate(5, "")
		refusedWith(t, "a rating after the window", err, protocol.CodeConflict, "score", "10 minutes")
		d, err := e.svc.Details(e.ctx, resp.ChatID, chats.AgentReader(e.agent))
		if err != nil || d.Rating == nil || d.Rating.Score != 2 || d.Rating.RatedAt != second.RatedAt {
			t.Errorf("details %+v, %v: want the second rating", d, err)
		}

		// A profile that asks no question takes no rating.
		p, err := e.st.GetProfile(e.ctx, e.demo.Profile.ID)
		if err != nil {
			t.Fatal(err)
		}
		p.RatingQuestion = protocol.RatingQuestionOff
		if err := e.st.UpdateProfile(e.ctx, p); err != nil {
			t.Fatal(err)
		}
		if av, err := e.svc.Availability(e.ctx, p.ID, clk.now()); err != nil || av.AskRating {
			t.Errorf("availability %+v, %v: want askRating false", av, err)
		}
		other := e.start(t, protocol.StartChatRequest{})
		if err := e.svc.VisitorEnd(e.ctx, other.ChatID, protocol.EndByVisitor); err != nil {
			t.Fatal(err)
		}
		_, _, err = e.svc.Rate(e.ctx, e.chat(t, other.ChatID), protocol.RatingRequest{Score: 5})
		refusedWith(t, "a profile that asks no question", err, protocol.CodeConflict, "", "does not ask for a rating")
	})
}
