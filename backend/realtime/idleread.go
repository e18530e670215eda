package realtime

import (
	"errors"
	"syscall"
)

// An idle visitor socket costs one goroutine waiting for its socket to
// become readable, on the runtime's smallest stack (2 KiB). A goroutine
// parked inside the websocket library's Read is more than a 2 KiB stack
// holds (~1.1 KiB usable above the guard), so it grows to 4 KiB, and the
// collector shrinks a stack only when less than ~224 bytes of it are in
// use: it would keep 4 KiB for as long as the chat stays open. So the
// frames that arrive are read and handled by a goroutine that lives as
// long as the burst (visitor.burst), and the waiting is done here, on
// a shallow stack (visitor.wait). Measured in TestIdleSocketMemory.

// errWouldBlock is what a socket's reader returns, once, when it was
// asked not to wait (batchConn.noWaitOnce) and no byte has arrived: the
// websocket library then returns it from Read at a frame boundary, with
// its state intact.
var errWouldBlock = errors.New("no frame has arrived yet")

// waitReadable blocks until the socket has a byte to read, has reached
// its end, or has failed (the next read then reports which). Its
// readiness is probed with a non-consuming read (MSG_PEEK) before each
// wait, so a byte that arrived before the call is seen: the poller only
// reports new arrivals.
func waitReadable(rc syscall.RawConn) error {
	return rc.Read(func(fd uintptr) bool { return !wouldBlock(fd) })
}

// readableNow reports whether a read of the socket would return at once
// (a byte, its end, or an error).
func readableNow(rc syscall.RawConn) (bool, error) {
	ready := false
	err := rc.Control(func(fd uintptr) { ready = !wouldBlock(fd) })
	return ready, err
}

func wouldBlock(fd uintptr) bool {
	var probe [1]byte
	for {
		_, _, err := syscall.Recvfrom(int(fd), probe[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		switch err {
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return true
		default: // a byte, the end (0 bytes), or an error for the read to report
			return false
		}
	}
}

// Frame scan results of scanControlFrames.
const (
	framesData       = iota // a data frame (or a malformed header) comes first: the library's Read returns on its own
	framesControl           // only whole control frames: after them the library would wait for a frame
	framesIncomplete        // control frames, the last of them not whole yet: read more to know
)

// scanControlFrames looks at buffered bytes of a client's websocket
// stream, which start at a frame boundary, and tells whether they hold
// only whole control frames (close, ping, pong) — after which the
// library's Read would park waiting for the next frame — or something
// else. need is, for framesIncomplete, how many bytes the buffer must
// hold to tell more. Client frames are masked (RFC 6455 §5.2); a control
// frame has at most 125 bytes of payload and no extended length.
func scanControlFrames(b []byte) (kind, need int) {
	off := 0
	for off < len(b) {
		if b[off]&0x0f < 0x8 {
			return framesData, 0
		}
		if len(b)-off < 2 {
			return framesIncomplete, off + 2
		}
		masked := b[off+1]&0x80 != 0
		n := int(b[off+1] & 0x7f)
		if n > 125 || !masked {
			return framesData, 0 // not a valid client control frame: the library refuses it
		}
		end := off + 2 + 4 + n
		if end > len(b) {
			return framesIncomplete, end
		}
		off = end
	}
	if off == 0 {
		return framesIncomplete, 2
	}
	return framesControl, 0
}
