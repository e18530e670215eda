package attach

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"halochat/app/i18n"
	"halochat/app/protocol"
)

// Received is a file received onto disk and accepted, not yet stored.
type Received struct {
	File        *os.File // at offset 0
	Size        int64
	ContentType string
}

// Discard closes the file and removes it.
func (r *Received) Discard() {
	_ = r.File.Close()
	_ = os.Remove(r.File.Name())
}

// Receive reads a file from body into a new file in dir (os.TempDir
// when empty) and accepts it under the limits st: its type, sniffed
// from its first SniffLen bytes before anything is written, must be of
// one of st's kinds (else a CodeUnsupportedMedia refusal naming them),
// and it may hold at most st.Limit() bytes (else CodeTooLarge naming
// the limit). A refused file leaves nothing behind. Memory stays at one
// SniffLen buffer and io.Copy's, whatever the file's size.
//
// The file goes to disk first, not straight into the database: a
// transaction open while a visitor's browser sends its bytes would hold
// SQLite's one write turn (every chat waits) or a PostgreSQL connection
// for as long as the slowest upload takes.
func Receive(body io.Reader, dir string, st protocol.AttachmentSettings, l i18n.Lang) (*Received, error) {
	limit := st.Limit()
	head := make([]byte, min(SniffLen, limit+1))
	n, err := io.ReadFull(body, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("read the file: %w", err)
	}
	head = head[:n]
	if int64(n) > limit {
		return nil, TooLarge(l, limit)
	}
	if n == 0 {
		return nil, &protocol.APIError{Code: protocol.CodeInvalidRequest, Field: "file", Message: "file: " + i18n.S(l, i18n.RefuseEmpty)}
	}
	ct := Sniff(head)
	if kind := KindOf(ct); kind == "" || !slices.Contains(st.Kinds(), kind) {
		return nil, Unsupported(l, ct, st.Kinds())
	}
	f, err := os.CreateTemp(dir, "upload-*")
	if err != nil {
		return nil, fmt.Errorf("receive a file: %w", err)
	}
	r := &Received{File: f, ContentType: ct}
	if _, err := f.Write(head); err != nil {
		r.Discard()
		return nil, fmt.Errorf("receive a file: %w", err)
	}
	rest, err := io.Copy(f, io.LimitReader(body, limit-int64(n)+1))
	if err == nil && int64(n)+rest > limit {
		err = TooLarge(l, limit)
	}
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		r.Discard()
		return nil, err
	}
	r.Size = int64(n) + rest
	return r, nil
}

// TooLarge refuses a file over limit bytes (413), in l (the visitor's
// language; English for agents and API clients). Every refusal's
// message starts with its field, "file: ", which the widget cuts.
func TooLarge(l i18n.Lang, limit int64) *protocol.APIError {
	return &protocol.APIError{Code: protocol.CodeTooLarge, Field: "file",
		Message: "file: " + i18n.SF(l, i18n.RefuseTooLarge, i18n.Size(l, limit))}
}

// Unsupported refuses a file of type ct, naming the kinds accepted (415),
// in l.
func Unsupported(l i18n.Lang, ct string, kinds []string) *protocol.APIError {
	return &protocol.APIError{Code: protocol.CodeUnsupportedMedia, Field: "file",
		Message: "file: " + i18n.SF(l, i18n.RefuseType, ct, i18n.Kinds(l, kinds))}
}

// Bytes writes n as people read it: "10 MiB", "512 KiB", "300 bytes".
func Bytes(n int64) string { return i18n.Size(i18n.English, n) }
