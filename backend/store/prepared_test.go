package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"halochat/backend/testenv"
)

// openPostgresBatches opens a migrated PostgreSQL store that commits at
// most batches batches of messages, and as many of chat starts, at once.
func openPostgresBatches(t *testing.T, batches int) *Store {
	t.Helper()
	return testenv.OpenStore(t, testenv.PostgresDSN(t), func(ctx context.Context, dsn string) (*Store, error) {
		return OpenWithOptions(ctx, dsn, Options{AppendBatches: batches, StartBatches: batches})
	})
}

func appendStmtFor(s *Store, chatID, clientID string) batchStmt {
	m := Message{Sender: SenderVisitor, ClientMsgID: clientID, Text: "t " + clientID}
	st, _ := s.appendStatement(chatID, AppendCond{NotEnded: true}, &m)
	return st
}

// A batch is one transaction: a statement that fails rolls back the
// statements before it, and then each message runs on its own, so only
// the failing one fails. A resend fails nothing: its statement changes
// nothing, and AppendIf answers it as a duplicate.
func TestAppendBatchIsOneTransaction(t *testing.T) {
	s := openPostgresBatches(t, 1)
	ctx := context.Background()
	a, b, c := newChat(t, s, ChatLive), newChat(t, s, ChatLive), newChat(t, s, ChatLive)
	if _, err := s.AppendIf(ctx, b.ID, AppendCond{NotEnded: true}, Message{Sender: SenderVisitor, ClientMsgID: "b1", Text: "first"}); err != nil {
		t.Fatal(err)
	}
	items := func(n int, middle batchStmt) []*appendItem {
		var out []*appendItem
		for _, st := range []batchStmt{appendStmtFor(s, a.ID, fmt.Sprint("a", n)), middle, appendStmtFor(s, c.ID, fmt.Sprint("c", n))} {
			out = append(out, &appendItem{ctx: ctx, stmt: st, done: make(chan struct{})})
		}
		return out
	}
	failing := batchStmt{chatID: b.ID, sql: "SELECT 1/0"}

	if err := s.appends.pipeline(ctx, items(1, failing)); err == nil || !strings.Contains(err.Error(), "division by zero") {
		t.Fatalf("pipeline with a failing statement: %v, want division by zero", err)
	}
	for _, id := range []string{a.ID, c.ID} {
		if got, err := s.MessagesAfter(ctx, id, 0, 0); err != nil || len(got) != 0 {
			t.Fatalf("chat %s after the rolled-back batch: %d messages, %v", id, len(got), err)
		}
		if ch, _ := s.GetChat(ctx, id); ch.LastSeq != 0 {
			t.Fatalf("chat %s last_seq %d after the rolled-back batch", id, ch.LastSeq)
		}
	}

	batch := items(1, failing)
	s.appends.commit(ctx, batch)
	for _, it := range batch {
		<-it.done
		switch it.stmt.chatID {
		case b.ID:
			if it.err == nil || !strings.Contains(it.err.Error(), "division by zero") {
				t.Fatalf("the failing statement alone: %v, want division by zero", it.err)
			}
		default:
			if it.err != nil || it.seq != 1 {
				t.Fatalf("chat %s alone: seq %d, %v", it.stmt.chatID, it.seq, it.err)
			}
		}
	}

	// A resend in a batch: the others commit with it, the resend's
	// statement answers no row and stores nothing.
	before := s.appends.alone.Load()
	batch = items(2, appendStmtFor(s, b.ID, "b1"))
	if err := s.appends.pipeline(ctx, batch); err != nil {
		t.Fatalf("pipeline with a resend: %v", err)
	}
	for _, it := range batch {
		switch {
		case it.stmt.chatID == b.ID && !errors.Is(it.err, sql.ErrNoRows):
			t.Fatalf("the resend in a batch: seq %d, %v, want no row", it.seq, it.err)
		case it.stmt.chatID != b.ID && (it.err != nil || it.seq != 2):
			t.Fatalf("chat %s beside the resend: seq %d, %v", it.stmt.chatID, it.seq, it.err)
		}
	}
	if got, _ := s.MessagesAfter(ctx, b.ID, 0, 0); len(got) != 1 {
		t.Fatalf("chat b after the resend: %d messages, want 1", len(got))
	}
	if ch, _ := s.GetChat(ctx, b.ID); ch.LastSeq != 1 {
		t.Fatalf("chat b last_seq %d after the resend, want 1", ch.LastSeq)
	}
	if n := s.appends.alone.Load(); n != before {
		t.Fatalf("%d statements ran again alone after a batch with a resend", n-before)
	}
	// Through AppendIf the resend is a duplicate, not an error; and a
	// resend to a chat whose condition fails is not applied, as before.
	res, err := s.AppendIf(ctx, b.ID, AppendCond{NotEnded: true}, Message{Sender: SenderVisitor, ClientMsgID: "b1", Text: "first"})
	if err != nil || res.Duplicate == nil || res.Duplicate.Seq != 1 {
		t.Fatalf("resend: %+v, %v", res, err)
	}
	res, err = s.AppendIf(ctx, b.ID, AppendCond{ExpectStatus: ChatQueued}, Message{Sender: SenderVisitor, ClientMsgID: "b1", Text: "first"})
	if err != nil || res.Duplicate != nil || res.Applied {
		t.Fatalf("resend whose condition fails: %+v, %v, want not applied", res, err)
	}
	if _, err := s.AppendIf(ctx, "no-such-chat", AppendCond{NotEnded: true}, Message{Sender: SenderVisitor, ClientMsgID: "x", Text: "x"}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("append to a chat that does not exist: %v, want ErrNotFound", err)
	}
}

// Many writers at once, one batch in flight: messages queue and go in
// batches, and every chat's messages are numbered without gaps; a failed
// condition in a batch is that message's alone.
func TestAppendBatchUnderLoad(t *testing.T) {
	s := openPostgresBatches(t, 1)
	ctx := context.Background()
	const nChats, writers, each = 8, 48, 10
	chats := make([]*Chat, nChats)
	for i := range chats {
		chats[i] = newChat(t, s, ChatLive)
	}
	ended := newChat(t, s, ChatEnded)
	underLoad(writers, each, func(w, k int) {
		chat := chats[(w+k)%nChats].ID
		if k == each/2 {
			res, err := s.AppendIf(ctx, ended.ID, AppendCond{NotEnded: true}, Message{Sender: SenderVisitor, Text: "late"})
			if err != nil || res.Applied {
				t.Errorf("append to the ended chat: %+v, %v", res, err)
			}
		}
		id := fmt.Sprintf("w%d-%d", w, k)
		res, err := s.AppendIf(ctx, chat, AppendCond{NotEnded: true}, Message{Sender: SenderVisitor, ClientMsgID: id, Text: id})
		if err != nil || !res.Applied {
			t.Errorf("append %s: %+v, %v", id, res, err)
		}
	})
	total := 0
	for _, c := range chats {
		got, err := s.MessagesAfter(ctx, c.ID, 0, 0)
		must(t, err)
		for i, m := range got {
			if m.Seq != int64(i+1) {
				t.Fatalf("chat %s message %d has seq %d", c.ID, i, m.Seq)
			}
		}
		total += len(got)
	}
	if total != writers*each {
		t.Fatalf("%d messages stored, want %d", total, writers*each)
	}
	wantBatched(t, s.appends, "messages", writers*(each+1))
}

// wantBatched checks that b ran want statements, some of them together.
func wantBatched(t *testing.T, b *appendBatcher, what string, want int) {
	t.Helper()
	batches, items := b.counts()
	if items != want || batches >= items {
		t.Fatalf("%d %s in %d batches: want %d, and some batched together", items, what, batches, want)
	}
	t.Logf("%d %s in %d batches", items, what, batches)
}

// Look-ups that arrive together are one statement (usersLookupStatement),
// and each gets its own rows: the users by external id and by e-mail,
// none for a stranger, and a new user's id where one is asked for.
func TestLookupBatchUnderLoad(t *testing.T) {
	s := openPostgresBatches(t, 1)
	ctx := context.Background()
	const nUsers, readers, each = 12, 32, 8
	users := make([]*User, nUsers)
	for i := range users {
		users[i] = &User{ExternalID: fmt.Sprintf("ext-%d", i), Email: fmt.Sprintf("u%d@example.test", i), FirstName: fmt.Sprint(i)}
		must(t, s.CreateUser(ctx, users[i]))
	}
	var mu sync.Mutex
	ids := map[int64]bool{}
	underLoad(readers, each, func(r, k int) {
		a, b := users[(r+k)%nUsers], users[(r+k+1)%nUsers]
		byID, byEmail, err := s.UsersByExternalIDOrEmail(ctx, a.ExternalID, strings.ToUpper(b.Email))
		if err != nil || byID == nil || byEmail == nil || byID.ID != a.ID || byEmail.ID != b.ID ||
			byID.FirstName != a.FirstName || !byID.CreatedAt.Equal(a.CreatedAt) || byEmail.ExternalID != b.ExternalID {
			t.Errorf("look up %s / %s: %+v, %+v, %v", a.ExternalID, b.Email, byID, byEmail, err)
		}
		none, _, err := s.UsersByExternalIDOrEmail(ctx, fmt.Sprintf("stranger-%d-%d", r, k), "")
		if err != nil || none != nil {
			t.Errorf("look up a stranger: %+v, %v", none, err)
		}
		known, _, reserved, err := s.UsersOrReservedID(ctx, a.ExternalID, "")
		if err != nil || known == nil || known.ID != a.ID || reserved != 0 {
			t.Errorf("look up %s, an id asked for: %+v, %d, %v", a.ExternalID, known, reserved, err)
		}
		_, _, reserved, err = s.UsersOrReservedID(ctx, "", fmt.Sprintf("new-%d-%d@example.test", r, k))
		mu.Lock()
		defer mu.Unlock()
		if err != nil || reserved == 0 || ids[reserved] {
			t.Errorf("look up a newcomer: id %d (seen before: %v), %v", reserved, ids[reserved], err)
		}
		ids[reserved] = true
	})
	wantBatched(t, s.reads, "look-ups", 4*readers*each)
	if merged, alone := s.reads.merged.Load(), s.reads.alone.Load(); merged == 0 || alone != 0 {
		t.Fatalf("%d batches of look-ups ran as one statement, %d look-ups ran alone after a failed batch: want some and none", merged, alone)
	}
}

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
		{"a batch of chat starts", startsStatement},
		{"a batch of look-ups", usersLookupStatement},
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
