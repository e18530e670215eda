package chatapi_test

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"halochat/app/protocol"
	"halochat/backend/realtime"
	"halochat/backend/secret"
	"halochat/backend/store"
	"halochat/backend/testenv"
)

// rawVisitor opens a visitor websocket with a bare TCP connection (no
// client goroutine, no client buffers) and sends hello, so that the
// memory measured is the server's.
func rawVisitor(t *testing.T, n *node, hello protocol.Frame) net.Conn {
	t.Helper()
	return openRawSocket(t, n, hello).conn
}

// rawSocket is a visitor websocket spoken frame by frame over TCP.
type rawSocket struct {
	t    *testing.T
	conn net.Conn
	br   *bufio.Reader
	// pings are the payloads of the server's pings that next read past
	// (a socket's first ping may come before its ready frame), for
	// nextPing.
	pings [][]byte
}

// openRawSocket upgrades a TCP connection to /chat/ws and sends hello.
func openRawSocket(t *testing.T, n *node, hello protocol.Frame) *rawSocket {
	t.Helper()
	s := upgradeRaw(t, n)
	hello.V = protocol.ProtocolVersion
	s.write(s.frame(0x1, jsonBytes(hello)))
	return s
}

// upgradeRaw upgrades a TCP connection to /chat/ws.
func upgradeRaw(t *testing.T, n *node) *rawSocket {
	t.Helper()
	addr := strings.TrimPrefix(n.url, "http://")
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	key := make([]byte, 16)
	_, _ = rand.Read(key)
	fmt.Fprintf(c, "GET /chat/ws HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\nOrigin: %s\r\n\r\n",
		addr, base64.StdEncoding.EncodeToString(key), n.url)
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %v %v", err, resp)
	}
	return &rawSocket{t: t, conn: c, br: br}
}

func jsonBytes(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// frame encodes a final client frame (masked) of the opcode.
func (s *rawSocket) frame(op byte, payload []byte) []byte { return testenv.ClientFrame(op, payload) }

func (s *rawSocket) write(b []byte) {
	s.t.Helper()
	if _, err := s.conn.Write(b); err != nil {
		s.t.Fatalf("write to the socket: %v", err)
	}
}

// read reads one server frame (unmasked, unfragmented here).
func (s *rawSocket) read() (op byte, payload []byte) {
	s.t.Helper()
	_ = s.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	var h [2]byte
	if _, err := io.ReadFull(s.br, h[:]); err != nil {
		s.t.Fatalf("read a frame header: %v", err)
	}
	n := int(h[1] & 0x7f)
	switch n {
	case 126:
		var l [2]byte
		_, _ = io.ReadFull(s.br, l[:])
		n = int(binary.BigEndian.Uint16(l[:]))
	case 127:
		var l [8]byte
		_, _ = io.ReadFull(s.br, l[:])
		n = int(binary.BigEndian.Uint64(l[:]))
	}
	payload = make([]byte, n)
	if _, err := io.ReadFull(s.br, payload); err != nil {
		s.t.Fatalf("read a frame payload: %v", err)
	}
	return h[0] & 0x0f, payload
}

// next reads until a frame of the protocol type, skipping others, and
// returns it; it fails on a websocket close.
func (s *rawSocket) next(typ string) protocol.Frame {
	s.t.Helper()
	for {
		op, payload := s.read()
		switch op {
		case 0x8:
			s.t.Fatalf("the server closed the socket waiting for %s: %q", typ, payload)
		case 0x9:
			s.pings = append(s.pings, payload)
		case 0x1:
			var f protocol.Frame
			if err := json.Unmarshal(payload, &f); err != nil {
				s.t.Fatalf("bad frame %q", payload)
			}
			if f.Type == typ {
				return f
			}
		}
	}
}

// nextPing reads until the server's websocket ping and returns its payload.
func (s *rawSocket) nextPing() []byte {
	s.t.Helper()
	if len(s.pings) > 0 {
		p := s.pings[0]
		s.pings = s.pings[1:]
		return p
	}
	for {
		op, payload := s.read()
		switch op {
		case 0x8:
			s.t.Fatalf("the server closed the socket waiting for a ping: %q", payload)
		case 0x9:
			return payload
		}
	}
}

// TestIdleSocketMemory measures what one idle open chat websocket costs
// the server: goroutines, buffers, subscription. Each socket holds a chat
// of its own. HALOCHAT_IDLE_SOCKETS sets how many (default 1000; make
// bench opens 20,000). The figures are logged; the performance target is
// 16 KiB a chat. The process holds both ends of every socket, so the RSS
// figure is an upper bound of the server's share.
func TestIdleSocketMemory(t *testing.T) {
	if underRace {
		t.Skip("measures memory: not under the race detector (see race_test.go)")
	}
	ctx := context.Background()
	conns := 1000
	if v := os.Getenv("HALOCHAT_IDLE_SOCKETS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("HALOCHAT_IDLE_SOCKETS=%q: want a count of sockets", v)
		}
		conns = n
	}
	raiseFileLimit(t, uint64(2*conns+1024))

	e := newEnv(t, testenv.SQLiteDSN(t))
	// These raw clients answer no ping: the server's pings (whose first
	// may come any time in a socket's first interval) are held off, or
	// their goroutines waiting for pongs would be counted. The load
	// generator's idle run measures memory with pings answered.
	n := e.node(nodeOpts{limits: realtime.Limits{MaxConnsPerIP: -1, PingInterval: time.Hour}})
	resp := n.mustStart(protocol.StartChatRequest{})
	hello := protocol.Frame{Type: protocol.FrameHello, ChatID: resp.ChatID, ResumeSecret: resp.ResumeSecret, AfterSeq: resp.Chat.LastSeq}
	rawVisitor(t, n, hello).Close() // warm up
	time.Sleep(100 * time.Millisecond)

	// The chats, as started chats are stored (a start per chat would
	// take minutes at 20,000).
	tmpl, err := e.st.GetChat(ctx, resp.ChatID)
	if err != nil {
		t.Fatal(err)
	}
	hellos := make([]protocol.Frame, conns)
	for i := range hellos {
		tok := secret.Token(24)
		c := &store.Chat{ProfileID: tmpl.ProfileID, FlowID: tmpl.FlowID, FlowVersion: tmpl.FlowVersion, FlowState: tmpl.FlowState,
			Context: tmpl.Context, HostOrigin: tmpl.HostOrigin, Status: tmpl.Status, StartStep: tmpl.StartStep,
			ResumeSecretHash: secret.HashKey(tok)}
		if err := e.st.CreateChat(ctx, c, nil); err != nil {
			t.Fatal(err)
		}
		hellos[i] = protocol.Frame{Type: protocol.FrameHello, ChatID: c.ID, ResumeSecret: tok}
	}

	measure := func() (uint64, uint64, int, uint64) {
		runtime.GC()
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc, m.StackInuse, runtime.NumGoroutine(), rss(t)
	}
	heap0, stack0, g0, rss0 := measure()
	open := make([]net.Conn, 0, conns)
	for _, h := range hellos {
		open = append(open, rawVisitor(t, n, h))
	}
	// Let every hello be served and every writer finish.
	time.Sleep(500*time.Millisecond + time.Duration(conns)*50*time.Microsecond)
	heap1, stack1, g1, rss1 := measure()
	perHeap := float64(int64(heap1)-int64(heap0)) / float64(conns)
	perStack := float64(int64(stack1)-int64(stack0)) / float64(conns)
	per := perHeap + perStack
	perRSS := float64(int64(rss1)-int64(rss0)) / float64(conns)
	t.Logf("idle visitor websocket: %.0f bytes (%.1f KiB) of heap and stacks (heap %.0f, stacks %.0f) and %.2f goroutines each, RSS %.1f KiB each with both ends in this process (%d open chats, RSS %.0f MiB)",
		per, per/1024, perHeap, perStack, float64(g1-g0)/float64(conns), perRSS/1024, conns, float64(rss1)/(1<<20))
	for _, c := range open {
		c.Close()
	}
	if per > 64<<10 {
		t.Fatalf("an idle socket costs %.1f KiB", per/1024)
	}
}

// rss is the process's resident memory in bytes.
func rss(t *testing.T) uint64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		t.Fatalf("read RSS: %v", err)
	}
	f := strings.Fields(string(b))
	pages, err := strconv.ParseUint(f[1], 10, 64)
	if err != nil {
		t.Fatalf("read RSS from %q: %v", b, err)
	}
	return pages * uint64(os.Getpagesize())
}

// raiseFileLimit lets the process hold want open files (both ends of
// every socket), raising the hard limit too where allowed (root).
func raiseFileLimit(t *testing.T, want uint64) {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		t.Fatalf("read the open-file limit: %v", err)
	}
	if l.Cur >= want {
		return
	}
	n := l
	n.Cur = want
	if n.Max < want {
		n.Max = want
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &n); err != nil {
		t.Fatalf("raise the open-file limit from %d/%d to %d (run as root, or ulimit -n %d): %v", l.Cur, l.Max, want, want, err)
	}
}
