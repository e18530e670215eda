package realtime

import (
	"bufio"
	"fmt"
	"net"
	"sync"
	"syscall"
	"time"
)

// batchConn is a websocket's connection under the websocket library.
// While the connection's writer drains its queue (hold … flush), the
// frames it writes collect in a buffer and leave in one write at the end:
// a console receiving many chats' messages at once, or a visitor's
// acknowledgement and the echo of its message, cost one system call
// (and one loopback or network packet) rather than one each. Outside a
// hold, writes (the library's pongs and close frames) go straight out.
//
// Reading, once after noWaitOnce it returns errWouldBlock rather than
// wait for a byte (idleread.go).
type batchConn struct {
	net.Conn
	pool *sync.Pool // of *[]byte
	// raw is the socket's descriptor to wait on; nil when the connection
	// has none (then its reader waits inside the library, as agents' do).
	raw syscall.RawConn
	// reader is the websocket's buffered reader over this connection.
	reader *bufio.Reader

	// noWait is set and read by the goroutine reading the websocket
	// (the library reads in the caller's goroutine).
	noWait bool

	mu   sync.Mutex
	hold bool
	buf  *[]byte
}

func newBatchConn(c net.Conn, pool *sync.Pool) *batchConn {
	b := &batchConn{Conn: c, pool: pool}
	if sc, ok := c.(syscall.Conn); ok {
		if rc, err := sc.SyscallConn(); err == nil {
			b.raw = rc
		}
	}
	return b
}

// Read reads the connection.
func (b *batchConn) Read(p []byte) (int, error) {
	if b.noWait {
		b.noWait = false
		if ready, err := readableNow(b.raw); err == nil && !ready {
			return 0, errWouldBlock
		}
	}
	return b.Conn.Read(p)
}

// noWaitOnce makes the next read of the connection return errWouldBlock
// if nothing has arrived, rather than wait. Only with raw.
func (b *batchConn) noWaitOnce(on bool) { b.noWait = on && b.raw != nil }

// Write buffers p while held, or writes it.
func (b *batchConn) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.hold {
		if b.buf == nil {
			b.buf = b.pool.Get().(*[]byte)
		}
		*b.buf = append(*b.buf, p...)
		return len(p), nil
	}
	return b.Conn.Write(p)
}

// startHold makes writes collect until flush.
func (b *batchConn) startHold() {
	b.mu.Lock()
	b.hold = true
	b.mu.Unlock()
}

// flush ends the hold and writes what it collected, within timeout.
func (b *batchConn) flush(timeout time.Duration) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.hold = false
	if b.buf == nil {
		return nil
	}
	buf := b.buf
	b.buf = nil
	defer func() {
		if cap(*buf) <= 64<<10 { // keep ordinary buffers, not a rare huge one
			*buf = (*buf)[:0]
			b.pool.Put(buf)
		}
	}()
	if len(*buf) == 0 {
		return nil
	}
	if err := b.Conn.SetWriteDeadline(time.Now().Add(timeout)); err != nil {
		return fmt.Errorf("set the write deadline: %w", err)
	}
	if _, err := b.Conn.Write(*buf); err != nil {
		return fmt.Errorf("write %d bytes of frames: %w", len(*buf), err)
	}
	return b.Conn.SetWriteDeadline(time.Time{})
}
