package realtime

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"testing"
	"time"
)

// loopbackPair returns the two ends of a TCP connection on loopback.
func loopbackPair(t *testing.T) (net.Conn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		got <- c
	}()
	a, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	b := <-got
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}

// readFor reads what arrives within d.
func readFor(t *testing.T, c net.Conn, d time.Duration) []byte {
	t.Helper()
	var out []byte
	buf := make([]byte, 4096)
	deadline := time.Now().Add(d)
	for {
		_ = c.SetReadDeadline(deadline)
		n, err := c.Read(buf)
		out = append(out, buf[:n]...)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return out
		}
		if err != nil && err != io.EOF {
			t.Fatalf("read: %v", err)
		}
		if err == io.EOF {
			return out
		}
	}
}

func TestBatchConn(t *testing.T) {
	pool := &sync.Pool{New: func() any { b := make([]byte, 0, 16); return &b }}
	a, b := loopbackPair(t)
	bc := newBatchConn(a, pool)

	// Not held: straight out.
	if _, err := bc.Write([]byte("pong")); err != nil {
		t.Fatal(err)
	}
	if got := readFor(t, b, 200*time.Millisecond); string(got) != "pong" {
		t.Fatalf("unheld write: got %q", got)
	}

	// Held: nothing leaves until the flush, then all of it in order.
	bc.startHold()
	for _, p := range []string{"one,", "two,", "three (longer than the pooled buffer's capacity)"} {
		if _, err := bc.Write([]byte(p)); err != nil {
			t.Fatal(err)
		}
	}
	if got := readFor(t, b, 100*time.Millisecond); len(got) != 0 {
		t.Fatalf("held writes left before the flush: %q", got)
	}
	if err := bc.flush(time.Second); err != nil {
		t.Fatal(err)
	}
	want := "one,two,three (longer than the pooled buffer's capacity)"
	if got := readFor(t, b, 200*time.Millisecond); string(got) != want {
		t.Fatalf("after the flush: %q, want %q", got, want)
	}

	// A flush with nothing held writes nothing; after it writes go out.
	bc.startHold()
	if err := bc.flush(time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := bc.Write([]byte("after")); err != nil {
		t.Fatal(err)
	}
	if got := readFor(t, b, 200*time.Millisecond); !bytes.Equal(got, []byte("after")) {
		t.Fatalf("after an empty flush: %q", got)
	}

	// A flush to a closed peer fails.
	bc.startHold()
	_, _ = bc.Write(bytes.Repeat([]byte("x"), 1<<20))
	b.Close()
	var err error
	for range 5 { // the first write after the peer closed may still succeed
		if err = bc.flush(time.Second); err != nil {
			break
		}
		bc.startHold()
		_, _ = bc.Write(bytes.Repeat([]byte("x"), 1<<20))
	}
	if err == nil {
		t.Fatal("flushing to a closed peer did not fail")
	}
}
