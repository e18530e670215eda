package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/uptrace/bun"

	"halochat/app/protocol"
)

// AttachmentChunkSize is the most bytes one attachment_chunks row holds:
// a file is written and read a row at a time, never whole.
const AttachmentChunkSize = 256 << 10

// Attachment is a file attached to a chat, carried by message Seq. Its
// bytes are in attachment_chunks, or in the service's files directory
// when InDir (named by ID).
type Attachment struct {
	bun.BaseModel `bun:"table:attachments,alias:at"`

	ID          string    `bun:"id,pk"` // random, set by AddAttachment
	ChatID      string    `bun:"chat_id"`
	Seq         int64     `bun:"seq"`
	Sender      string    `bun:"sender"` // Sender* constant
	Name        string    `bun:"name"`
	ContentType string    `bun:"content_type"`
	Size        int64     `bun:"size"`
	InDir       bool      `bun:"in_dir"`
	CreatedAt   time.Time `bun:"created_at"`
}

// attachmentChunk is one row of an attachment's bytes (read with bun;
// written by insertChunks).
type attachmentChunk struct {
	bun.BaseModel `bun:"table:attachment_chunks"`

	AttachmentID string `bun:"attachment_id,pk"`
	N            int64  `bun:"n,pk"`
	Data         []byte `bun:"data"`
}

// attachmentIDBytes is the length of an attachment id, in random bytes.
const attachmentIDBytes = 12

// NewAttachmentID returns a fresh attachment id.
func NewAttachmentID() string { return RandomID(attachmentIDBytes) }

// AttachmentSettings are a chat profile's attachment limits.
type AttachmentSettings protocol.AttachmentSettings

// Value implements driver.Valuer.
func (a AttachmentSettings) Value() (driver.Value, error) { return jsonValue(a, "{}") }

// Scan implements sql.Scanner.
func (a *AttachmentSettings) Scan(src any) error { *a = AttachmentSettings{}; return jsonScan(src, a) }

// AddAttachment stores attachment a (its ID set beforehand, so that msg
// can carry its URL) with the bytes read from content (nil when they
// are in the files directory), and appends msg to a's chat as the
// message carrying it, when cond holds — in one transaction: a refused
// or failed attachment leaves no row and no chunk behind. It answers
// the stored message, and false (storing nothing) when cond does not
// hold; ErrNotFound when the chat does not exist.
func (s *Store) AddAttachment(ctx context.Context, a *Attachment, content io.Reader, msg Message, cond AppendCond) (Message, bool, error) {
	what := fmt.Sprintf("attach a file to chat %q", a.ChatID)
	if err := checkText(what, "chat id", a.ChatID); err != nil {
		return msg, false, err
	}
	if err := checkModel(what, a); err != nil {
		return msg, false, err
	}
	if err := checkModel(what, &msg); err != nil {
		return msg, false, err
	}
	a.Sender, a.InDir, a.CreatedAt = msg.Sender, content == nil, s.Now()
	applied := false
	err := s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		ok, err := chatHolds(ctx, tx, what, a.ChatID, cond, a.CreatedAt)
		if err != nil || !ok {
			return err
		}
		stored, _, err := s.appendTx(ctx, tx, what, a.ChatID, []Message{msg})
		if err != nil {
			return err
		}
		msg, a.Seq = stored[0], stored[0].Seq
		if _, err := tx.NewInsert().Model(a).Exec(ctx); err != nil {
			return wrap(err, what)
		}
		if content != nil {
			if a.Size, err = insertChunks(ctx, tx, s.dialect, what, a.ID, content); err != nil {
				return err
			}
			if _, err := tx.NewUpdate().Model(a).Column("size").WherePK().Exec(ctx); err != nil {
				return wrap(err, what)
			}
		}
		applied = true
		return nil
	})
	if err != nil || !applied {
		return Message{}, false, err
	}
	return msg, true, nil
}

// chatHolds takes the chat's row (its updated_at set to now) when cond
// holds: false when it does not, ErrNotFound when there is no chat.
func chatHolds(ctx context.Context, tx bun.Tx, what, chatID string, cond AppendCond, now time.Time) (bool, error) {
	q := tx.NewUpdate().Model((*Chat)(nil)).Set("updated_at = ?", now).Where("id = ?", chatID)
	if cond.NotEnded {
		q = q.Where("status <> ?", ChatEnded)
	}
	if cond.ExpectStatus != "" {
		q = q.Where("status = ?", cond.ExpectStatus)
	}
	if cond.AgentID != 0 {
		q = q.Where("agent_id = ?", cond.AgentID)
	}
	res, err := q.Exec(ctx)
	if err != nil {
		return false, wrap(err, what)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		if err != nil {
			return false, fmt.Errorf("%s: rows affected: %w", what, err)
		}
		return false, chatExists(ctx, tx, what, chatID)
	}
	return true, nil
}

// insertChunks writes content as the attachment's chunks, one buffer
// at a time, and says how many bytes it held.
func insertChunks(ctx context.Context, tx bun.Tx, dialect, what, id string, content io.Reader) (int64, error) {
	insertChunk := "INSERT INTO attachment_chunks (attachment_id, n, data) VALUES (?, ?, ?)"
	if dialect == DialectPostgres {
		insertChunk = "INSERT INTO attachment_chunks (attachment_id, n, data) VALUES ($1, $2, $3)"
	}
	buf := make([]byte, AttachmentChunkSize)
	var size int64
	for n := int64(0); ; n++ {
		k, err := io.ReadFull(content, buf)
		if k > 0 {
			// Through database/sql with bound parameters: bun would write
			// the bytes into the statement's text (hex on PostgreSQL,
			// tripling the chunk in memory).
			args := []any{id, n, buf[:k]}
			if dialect == DialectPostgres {
				// The pool's simple protocol would send the bytes as hex
				// text: described first, they go in binary.
				args = append([]any{pgx.QueryExecModeDescribeExec}, args...)
			}
			if _, ierr := tx.Tx.ExecContext(ctx, insertChunk, args...); ierr != nil {
				return 0, wrap(ierr, what)
			}
			size += int64(k)
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return size, nil
		}
		if err != nil {
			return 0, fmt.Errorf("%s: read the file: %w", what, err)
		}
	}
}

// GetAttachment returns attachment id of chat chatID (ErrNotFound when
// the chat has no such attachment).
func (s *Store) GetAttachment(ctx context.Context, chatID, id string) (*Attachment, error) {
	what := fmt.Sprintf("get attachment %q of chat %q", id, chatID)
	if err := checkText(what, "attachment id", id); err != nil {
		return nil, err
	}
	return getOne[Attachment](ctx, s.db, what, func(q *bun.SelectQuery) *bun.SelectQuery {
		return q.Where("at.chat_id = ?", chatID).Where("at.id = ?", id)
	})
}

// ChatAttachments returns a chat's attachments in the order they came.
func (s *Store) ChatAttachments(ctx context.Context, chatID string) ([]Attachment, error) {
	what := fmt.Sprintf("list the attachments of chat %q", chatID)
	return list[Attachment](ctx, s.db, what, func(q *bun.SelectQuery) *bun.SelectQuery {
		return q.Where("at.chat_id = ?", chatID).Order("at.seq").Limit(-1)
	})
}

// AttachmentContent reads attachment a's bytes from the database a chunk
// at a time (one query per chunk: one chunk in memory at once).
func (s *Store) AttachmentContent(ctx context.Context, a *Attachment) io.Reader {
	return &chunkReader{ctx: ctx, db: s.db, id: a.ID}
}

// chunkReader reads an attachment's chunks in order.
type chunkReader struct {
	ctx  context.Context
	db   bun.IDB
	id   string
	n    int64
	data []byte
	done bool
}

func (r *chunkReader) Read(p []byte) (int, error) {
	for len(r.data) == 0 {
		if r.done {
			return 0, io.EOF
		}
		var row attachmentChunk
		err := r.db.NewSelect().Model(&row).Where("attachment_id = ?", r.id).Where("n = ?", r.n).Scan(r.ctx)
		if errors.Is(err, sql.ErrNoRows) {
			r.done = true
			continue
		}
		if err != nil {
			return 0, wrap(err, fmt.Sprintf("read chunk %d of attachment %q", r.n, r.id))
		}
		r.data, r.n = row.Data, r.n+1
	}
	k := copy(p, r.data)
	r.data = r.data[k:]
	return k, nil
}

// DeleteChat deletes a chat with everything it holds (messages,
// attachments and their chunks) and returns the ids of its attachments
// kept in the files directory, for the caller to remove.
func (s *Store) DeleteChat(ctx context.Context, chatID string) ([]string, error) {
	what := fmt.Sprintf("delete chat %q", chatID)
	var inDir []string
	err := s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := tx.NewSelect().Model((*Attachment)(nil)).Column("id").Where("chat_id = ?", chatID).
			Where("in_dir").Scan(ctx, &inDir); err != nil {
			return wrap(err, what)
		}
		res, err := tx.NewDelete().Model((*Chat)(nil)).Where("id = ?", chatID).Exec(ctx)
		if err != nil {
			return wrap(err, what)
		}
		if n, err := res.RowsAffected(); err == nil && n == 0 {
			return fmt.Errorf("%s: %w", what, ErrNotFound)
		}
		return nil
	})
	return inDir, err
}
