package chatapi_test

import (
	"bufio"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"halochat/app/protocol"
	"halochat/backend/realtime"
	"halochat/backend/testenv"
)

// rawVisitor opens a visitor websocket with a bare TCP connection (no
// client goroutine, no client buffers) and sends hello, so that the
// memory measured is the server's.
func rawVisitor(t *testing.T, n *node, hello protocol.Frame) net.Conn {
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
	hello.V = protocol.ProtocolVersion
	payload, _ := json.Marshal(hello)
	frame := []byte{0x81}
	if len(payload) < 126 {
		frame = append(frame, 0x80|byte(len(payload)))
	} else {
		frame = append(frame, 0x80|126, byte(len(payload)>>8), byte(len(payload)))
	}
	mask := []byte{1, 2, 3, 4}
	frame = append(frame, mask...)
	for i, b := range payload {
		frame = append(frame, b^mask[i%4])
	}
	if _, err := c.Write(frame); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestIdleSocketMemory measures what one idle open chat websocket costs
// the server: goroutines, buffers, subscription. The figure is logged;
// the performance target is 16 KiB.
func TestIdleSocketMemory(t *testing.T) {
	e := newEnv(t, testenv.SQLiteDSN(t))
	n := e.node(nodeOpts{limits: realtime.Limits{MaxConnsPerIP: -1}})
	resp := n.mustStart(protocol.StartChatRequest{})
	hello := protocol.Frame{Type: protocol.FrameHello, ChatID: resp.ChatID, ResumeSecret: resp.ResumeSecret, AfterSeq: resp.Chat.LastSeq}
	rawVisitor(t, n, hello).Close() // warm up
	time.Sleep(100 * time.Millisecond)

	const conns = 1000
	measure := func() (uint64, int) {
		runtime.GC()
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc + m.StackInuse, runtime.NumGoroutine()
	}
	mem0, g0 := measure()
	open := make([]net.Conn, 0, conns)
	for range conns {
		open = append(open, rawVisitor(t, n, hello))
	}
	time.Sleep(500 * time.Millisecond) // let every hello be served and every writer finish
	mem1, g1 := measure()
	per := float64(mem1-mem0) / conns
	t.Logf("idle visitor websocket: %.0f bytes (%.1f KiB) and %.2f goroutines each (%d sockets)",
		per, per/1024, float64(g1-g0)/conns, conns)
	for _, c := range open {
		c.Close()
	}
	if per > 64<<10 {
		t.Fatalf("an idle socket costs %.1f KiB", per/1024)
	}
}
