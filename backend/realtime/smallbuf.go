package realtime

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"sync"
)

// socketBufferSize is the size of a websocket's read buffer. net/http
// hands a hijacked connection 4 KiB each to read and write; an idle chat
// holds them for hours, so the socket gets small ones instead: a chat
// message's frame (~100 bytes) fits, a larger one costs a second read.
// Measured in TestIdleSocketMemory.
const socketBufferSize = 256

// socketWriteBufferSize is the size of its write buffer: the frames the
// writer sends collect in the batchConn's buffer, taken from a pool only
// while it drains, so this one only needs to hold a control frame.
const socketWriteBufferSize = 64

// smallBuffers makes Hijack return a connection with small buffers; the
// large ones net/http allocated are left to the garbage collector. The
// connection is a batchConn, left in *conn for the websocket's writer.
type smallBuffers struct {
	http.ResponseWriter
	pool *sync.Pool
	conn **batchConn
}

func (s smallBuffers) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	raw, brw, err := http.NewResponseController(s.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	c := newBatchConn(raw, s.pool)
	*s.conn = c
	br := bufio.NewReaderSize(c, socketBufferSize)
	if n := brw.Reader.Buffered(); n > 0 {
		// Bytes the client sent right behind the upgrade request go into
		// the new reader's buffer: the websocket library keeps what is
		// buffered (Peek(Buffered())) and reads the connection after it.
		early, _ := brw.Reader.Peek(n)
		br = bufio.NewReaderSize(io.MultiReader(bytes.NewReader(bytes.Clone(early)), c), max(socketBufferSize, n))
		if _, err := br.Peek(n); err != nil {
			c.Close()
			return nil, nil, err
		}
	}
	c.reader = br
	return c, bufio.NewReadWriter(br, bufio.NewWriterSize(c, socketWriteBufferSize)), nil
}
