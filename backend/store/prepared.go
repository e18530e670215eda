package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// DefaultAppendBatches is how many message batches a PostgreSQL store
// commits at once unless Options.AppendBatches says otherwise. One: the
// messages that arrive during a commit go together in the next. With 4
// in flight, at half the maximum load most messages still committed
// alone (a transaction each), for more of the machine's CPU and a longer
// delivery p99; at the maximum, 1 persisted as many messages a second
// (docs/SCALING.md, "Delivery latency at half the maximum").
const DefaultAppendBatches = 1

// DefaultStartBatches is how many batches of chat starts a PostgreSQL
// store commits at once unless Options.StartBatches says otherwise.
const DefaultStartBatches = 1

// preparedConns is how many connections of the prepared-statement pool
// are not kept for commit batches: the read batches and notifications.
const preparedConns = readBatches + 2

// readBatches is how many batches of look-ups run at once.
const readBatches = 2

// maxAppendBatch bounds the messages of one batch (one transaction).
const maxAppendBatch = 128

// batchStmt is a statement the batcher commits: one message's append
// (Store.AppendIf), a new chat's insert (createChatPG) or a new user's
// (CreateUser). It returns one row of one bigint; chatID orders a batch
// ("" for a user).
type batchStmt struct {
	chatID string
	sql    string
	args   []any
	// rows, when set, reads the statement's rows instead of one bigint
	// (a look-up: UsersByExternalIDOrEmail).
	rows func(rowScanner) error
	// start, when set, is the new chat the statement inserts: a batch
	// holding several runs them as one statement (startsStatement).
	start *startRow
	// users, when set, is the look-up the statement is: a batch holding
	// several runs them as one statement (usersLookupStatement).
	users *usersQuery
}

// argsOf is st's arguments: a chat start's are worked out from its row.
func argsOf(st batchStmt) []any {
	if st.args == nil && st.start != nil {
		return st.start.args()
	}
	return st.args
}

// rowScanner is what a statement's rows give rows: pgx's in a batch,
// database/sql's on their own.
type rowScanner interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// appendItem is a statement waiting for its batch.
type appendItem struct {
	ctx  context.Context
	stmt batchStmt
	// done receives the message's seq, sql.ErrNoRows when the condition
	// failed, or the error of running it on its own.
	seq  int64
	err  error
	done chan struct{}
}

// appendBatcher commits messages of many chats together (group commit).
// While fewer than max batches are in flight, a message goes out at once
// in a batch of its own; while max are, messages queue, and the next
// batch takes every one queued: one round trip and one commit for them
// all. So batching costs no latency when the database keeps up and cuts
// its per-transaction work (round trip, commit record, WAL flush) when it
// does not.
//
// A batch is one pipeline ending in one Sync, which PostgreSQL runs as
// one implicit transaction: every message of it commits, or none. When
// one statement fails (a resend's unique violation, a deadlock, a lost
// connection) the batch is rolled back and each of its messages runs
// again on its own, so one message's failure is only its own. Statements
// run sorted by chat, so two batches lock chat rows in the same order.
type appendBatcher struct {
	db  *sql.DB
	max int

	mu      sync.Mutex
	pending []*appendItem
	running int

	// batches and items count what was committed: items/batches is the
	// mean batch size. merged counts the statements that ran several
	// items (batchUnits), alone the items that ran again on their own
	// after their batch failed.
	batches, items, merged, alone atomic.Int64
}

// counts returns how many batches ran and how many messages they held.
func (b *appendBatcher) counts() (batches, items int) {
	return int(b.batches.Load()), int(b.items.Load())
}

func newAppendBatcher(db *sql.DB, max int) *appendBatcher {
	return &appendBatcher{db: db, max: max}
}

// do appends one message, batched with whatever else is waiting.
func (b *appendBatcher) do(ctx context.Context, st batchStmt) (int64, error) {
	it := &appendItem{ctx: ctx, stmt: st, done: make(chan struct{})}
	b.mu.Lock()
	b.pending = append(b.pending, it)
	lead := b.running < b.max
	var batch []*appendItem
	if lead {
		b.running++
		batch = b.take()
	}
	b.mu.Unlock()
	if lead {
		b.run(ctx, batch)
	}
	select {
	case <-it.done:
		return it.seq, it.err
	case <-ctx.Done():
		// The batch may still commit it: the caller learns of the message
		// as a resend would (the client's retry is acknowledged Duplicate).
		return 0, ctx.Err()
	}
}

// take removes up to maxAppendBatch pending items; b.mu is held.
func (b *appendBatcher) take() []*appendItem {
	n := min(len(b.pending), maxAppendBatch)
	batch := b.pending[:n:n]
	b.pending = append([]*appendItem(nil), b.pending[n:]...)
	return batch
}

// run commits batch, then hands the next waiting batch, if any, to a
// goroutine of its own, so the caller returns with its answer at once.
// That goroutine commits batches for as long as messages wait, rather
// than a new goroutine for each batch growing its stack again through
// the driver.
func (b *appendBatcher) run(ctx context.Context, batch []*appendItem) {
	b.commit(ctx, batch)
	if next := b.next(); next != nil {
		go func() {
			ctx := context.WithoutCancel(ctx)
			for ; next != nil; next = b.next() {
				b.commit(ctx, next)
			}
		}()
	}
}

// next takes the next waiting batch, or gives back the slot of the
// batch that ended (nil) when none waits.
func (b *appendBatcher) next() []*appendItem {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.pending) == 0 {
		b.running--
		return nil
	}
	return b.take()
}

// commit runs batch and answers each of its items.
func (b *appendBatcher) commit(ctx context.Context, batch []*appendItem) {
	live := batch[:0:0]
	for _, it := range batch {
		if err := it.ctx.Err(); err != nil {
			it.err = err
			close(it.done)
			continue
		}
		live = append(live, it)
	}
	if len(live) == 0 {
		return
	}
	b.batches.Add(1)
	b.items.Add(int64(len(live)))
	if len(live) == 1 {
		it := live[0]
		it.seq, it.err = runAlone(it.ctx, b.db, it.stmt)
		close(it.done)
		return
	}
	sort.SliceStable(live, func(i, j int) bool { return live[i].stmt.chatID < live[j].stmt.chatID })
	// The batch serves many callers: it is not cut short by the one whose
	// call started it.
	bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := b.pipeline(bctx, live); err != nil {
		// Rolled back: each message on its own.
		b.alone.Add(int64(len(live)))
		for _, it := range live {
			it.seq, it.err = runAlone(it.ctx, b.db, it.stmt)
		}
	}
	for _, it := range live {
		close(it.done)
	}
}

// pipeline sends the statements of items as one batch (one implicit
// transaction) and sets each item's seq or sql.ErrNoRows. An error means
// nothing of the batch was committed. Several chat starts go as one
// statement, and so do several user look-ups (batchUnits).
func (b *appendBatcher) pipeline(ctx context.Context, items []*appendItem) error {
	conn, err := b.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("run a batch of %d statements: %w", len(items), err)
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("run a batch of statements: driver connection is %T, not pgx's", dc)
		}
		units := batchUnits(items)
		var batch pgx.Batch
		for _, u := range units {
			batch.Queue(u.sql, u.args...)
			if u.read != nil {
				b.merged.Add(1)
			}
		}
		res := sc.Conn().SendBatch(ctx, &batch)
		seqs := make([]int64, len(units))
		answers := make([]func(), len(units))
		errs := make([]error, len(units))
		for i, u := range units {
			switch {
			case u.read != nil:
				answers[i], errs[i] = u.read(res)
			case u.item.stmt.rows == nil:
				errs[i] = res.QueryRow().Scan(&seqs[i])
			default:
				errs[i] = readRows(res, u.item.stmt.rows)
			}
		}
		if err := res.Close(); err != nil {
			return fmt.Errorf("run a batch of %d statements: %w", len(items), err)
		}
		for i, u := range units {
			switch {
			case errs[i] == nil && u.read != nil:
				answers[i]()
			case errs[i] == nil:
				u.item.seq = seqs[i]
			case errors.Is(errs[i], pgx.ErrNoRows) && u.read == nil:
				u.item.err = sql.ErrNoRows
			default:
				return fmt.Errorf("run a batch of %d statements: %w", len(items), errs[i])
			}
		}
		return nil
	})
}

// batchUnit is one statement of a batch: one item's own, or several
// items' merged into one (read set).
type batchUnit struct {
	sql  string
	args []any
	// item is the one item whose own statement this is (read nil).
	item *appendItem
	// read reads a merged statement's result; answer, called once the
	// whole batch committed, sets its items' seq or err. An error is the
	// batch's (it rolls back).
	read func(pgx.BatchResults) (answer func(), err error)
}

// batchUnits are the statements that run items: the chat starts among
// them as one statement, the user look-ups as one, and each other item's
// own, in items' order. One start or look-up alone runs its own
// statement.
func batchUnits(items []*appendItem) []batchUnit {
	units := make([]batchUnit, 0, len(items))
	var starts, looks []*appendItem
	for _, it := range items {
		switch {
		case it.stmt.start != nil:
			starts = append(starts, it)
		case it.stmt.users != nil:
			looks = append(looks, it)
		default:
			units = append(units, ownUnit(it))
		}
	}
	for _, group := range []struct {
		items []*appendItem
		merge func([]*appendItem) batchUnit
	}{{starts, startsUnit}, {looks, usersUnit}} {
		switch len(group.items) {
		case 0:
		case 1:
			units = append(units, ownUnit(group.items[0]))
		default:
			units = append(units, group.merge(group.items))
		}
	}
	return units
}

// ownUnit runs its own statement.
func ownUnit(it *appendItem) batchUnit {
	return batchUnit{sql: it.stmt.sql, args: argsOf(it.stmt), item: it}
}

// readRows reads a statement's rows with read.
func readRows(res pgx.BatchResults, read func(rowScanner) error) error {
	rows, err := res.Query()
	if err != nil {
		return err
	}
	err = read(rows)
	rows.Close()
	if err == nil {
		err = rows.Err()
	}
	return err
}

// startsUnit inserts the new chats of items with one statement: each
// item's answer is 1, or sql.ErrNoRows when its chat was not inserted
// (its token used before), as createChatStatement's alone.
func startsUnit(items []*appendItem) batchUnit {
	rows := make([]*startRow, len(items))
	for i, it := range items {
		rows[i] = it.stmt.start
	}
	return batchUnit{sql: startsStatement, args: startsArgs(rows), read: func(res pgx.BatchResults) (func(), error) {
		inserted := make(map[string]bool, len(items))
		err := readRows(res, func(r rowScanner) error {
			for r.Next() {
				var id string
				if err := r.Scan(&id); err != nil {
					return err
				}
				inserted[id] = true
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		return func() {
			for _, it := range items {
				it.seq, it.err = 1, nil
				if !inserted[it.stmt.chatID] {
					it.seq, it.err = 0, sql.ErrNoRows
				}
			}
		}, nil
	}}
}

// usersUnit runs the look-ups of items with one statement, whose rows
// begin with the 1-based place of the look-up they answer: each item's
// reader reads its own (indexedRows).
func usersUnit(items []*appendItem) batchUnit {
	exts, emails, reserve := make([]string, len(items)), make([]string, len(items)), make([]bool, len(items))
	for i, it := range items {
		q := it.stmt.users
		exts[i], emails[i], reserve[i] = q.externalID, q.email, q.reserve
	}
	return batchUnit{sql: usersLookupStatement, args: []any{exts, emails, reserve}, read: func(res pgx.BatchResults) (func(), error) {
		err := readRows(res, func(r rowScanner) error {
			in := &indexedRows{rows: r, width: usersLookupColumns}
			for i, it := range items {
				in.k = int64(i + 1)
				if err := it.stmt.rows(in); err != nil {
					return err
				}
				if in.err != nil {
					return in.err
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		return func() {
			for _, it := range items {
				it.seq, it.err = 0, nil
			}
		}, nil
	}}
}

// indexedRows are the rows of a merged look-up that belong to its k-th
// item: the rows come ordered by their first column, k, which Scan
// skips; a reader that scans fewer columns than width has the rest
// skipped too.
type indexedRows struct {
	rows  rowScanner
	width int   // the columns after k
	k     int64 // the item being read
	next  int64 // k of the row rows is on, not yet handed out; 0 for none
	err   error
}

func (x *indexedRows) Next() bool {
	if x.next == 0 {
		if x.err != nil || !x.rows.Next() {
			return false
		}
		dest := make([]any, 1+x.width)
		dest[0] = &x.next
		if x.err = x.rows.Scan(dest...); x.err != nil {
			return false
		}
	}
	if x.next != x.k {
		return false
	}
	x.next = 0
	return true
}

func (x *indexedRows) Scan(dest ...any) error {
	if len(dest) > x.width {
		return fmt.Errorf("scan %d columns of a look-up's %d", len(dest), x.width)
	}
	all := make([]any, 1+x.width)
	copy(all[1:], dest)
	return x.rows.Scan(all...)
}

func (x *indexedRows) Err() error {
	if x.err != nil {
		return x.err
	}
	return x.rows.Err()
}

// lookup runs the read st through the read batcher, or alone when
// batching is off.
func (s *Store) lookup(ctx context.Context, st batchStmt) error {
	_, err := s.batched(ctx, s.reads, st)
	return err
}

// commit runs st through the batcher, or alone when batching is off.
func (s *Store) commit(ctx context.Context, st batchStmt) (int64, error) {
	return s.batched(ctx, s.appends, st)
}

// batched runs st through b, or alone when b is nil (batching off).
func (s *Store) batched(ctx context.Context, b *appendBatcher, st batchStmt) (int64, error) {
	if b != nil {
		return b.do(ctx, st)
	}
	return runAlone(ctx, s.appendDB, st)
}

// runAlone runs one statement as its own transaction.
func runAlone(ctx context.Context, db *sql.DB, st batchStmt) (int64, error) {
	if st.rows != nil {
		rows, err := db.QueryContext(ctx, st.sql, argsOf(st)...)
		if err != nil {
			return 0, err
		}
		defer rows.Close()
		if err := st.rows(rows); err != nil {
			return 0, err
		}
		return 0, rows.Err()
	}
	var seq int64
	err := db.QueryRowContext(ctx, st.sql, argsOf(st)...).Scan(&seq)
	return seq, err
}

// Notify sends a PostgreSQL notification on channel (a prepared
// statement: the cluster broker sends one every few milliseconds).
func (s *Store) Notify(ctx context.Context, channel, payload string) error {
	if s.appendDB == nil {
		return fmt.Errorf("notify %s: the %s store has no notifications", channel, s.dialect)
	}
	if _, err := s.appendDB.ExecContext(ctx, "SELECT pg_notify($1, $2)", channel, payload); err != nil {
		return fmt.Errorf("notify %s: %w", channel, err)
	}
	return nil
}
