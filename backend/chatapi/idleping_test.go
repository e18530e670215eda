package chatapi_test

import (
	"bytes"
	"context"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"

	"halochat/app/protocol"
	"halochat/backend/chats"
	"halochat/backend/realtime"
	"halochat/backend/testenv"
)

// An idle visitor socket waits outside the websocket library, so that its
// goroutine keeps the smallest stack; frames are read by a goroutine that
// lives as long as the burst. The server's pings are answered by pongs,
// control frames after which the library would park waiting for the next
// frame: the burst must end there too, however the client sends them,
// and the socket must go on working.
func TestIdleVisitorSocketAfterPings(t *testing.T) {
	e := newEnv(t, testenv.SQLiteDSN(t))
	n := e.node(nodeOpts{limits: realtime.Limits{MaxConnsPerIP: -1, PingInterval: 50 * time.Millisecond, PingTimeout: 5 * time.Second}})

	pong := func(s *rawSocket, ping []byte) []byte { return s.frame(0xA, ping) }
	send := func(s *rawSocket, id string) []byte {
		return s.frame(0x1, jsonBytes(protocol.Frame{V: protocol.ProtocolVersion, Type: protocol.FrameSend, ClientMsgID: id, Text: "hello " + id}))
	}
	cases := []struct {
		name string
		// answer answers one ping; it returns the client message id it
		// sent with the pong, if any.
		answer func(s *rawSocket, ping []byte) string
	}{
		{"a whole pong", func(s *rawSocket, ping []byte) string {
			s.write(pong(s, ping))
			return ""
		}},
		{"a pong in two writes", func(s *rawSocket, ping []byte) string {
			b := pong(s, ping)
			s.write(b[:3])
			time.Sleep(30 * time.Millisecond)
			s.write(b[3:])
			return ""
		}},
		{"a pong and a message in one write", func(s *rawSocket, ping []byte) string {
			s.write(append(pong(s, ping), send(s, "with-pong")...))
			return "with-pong"
		}},
		{"a ping of the client's own, then the pong", func(s *rawSocket, ping []byte) string {
			s.write(s.frame(0x9, []byte("client")))
			time.Sleep(20 * time.Millisecond)
			s.write(pong(s, ping))
			return ""
		}},
		{"a message in two writes, then the pong", func(s *rawSocket, ping []byte) string {
			b := send(s, "split")
			s.write(b[:10])
			time.Sleep(30 * time.Millisecond)
			s.write(append(b[10:], pong(s, ping)...))
			return "split"
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := n.mustStart(protocol.StartChatRequest{})
			s := openRawSocket(t, n, protocol.Frame{Type: protocol.FrameHello, ChatID: resp.ChatID, ResumeSecret: resp.ResumeSecret, AfterSeq: resp.Chat.LastSeq})
			defer s.conn.Close()
			s.next(protocol.FrameReady)
			for round := range 3 {
				if id := tc.answer(s, s.nextPing()); id != "" {
					if ack := s.next(protocol.FrameAck); ack.ClientMsgID != id {
						t.Fatalf("round %d: ack for %q, want %q", round, ack.ClientMsgID, id)
					}
				}
				waitNoBurst(t)
			}
			// Still alive: a message after the pings is acknowledged.
			s.write(send(s, "after"))
			if ack := s.next(protocol.FrameAck); ack.ClientMsgID != "after" || ack.Seq == 0 {
				t.Fatalf("ack after the pings: %+v", ack)
			}
		})
	}
}

// The server drops a socket whose client answers no ping (the heartbeat
// wheel), and one that never says hello (the socket's read deadline).
func TestSilentSocketsAreDropped(t *testing.T) {
	e := newEnv(t, testenv.SQLiteDSN(t))
	n := e.node(nodeOpts{limits: realtime.Limits{MaxConnsPerIP: -1, PingInterval: 50 * time.Millisecond,
		PingTimeout: 200 * time.Millisecond, HelloTimeout: 300 * time.Millisecond}})
	resp := n.mustStart(protocol.StartChatRequest{})
	for _, tc := range []struct {
		name string
		open func() *rawSocket
	}{
		{"no pong", func() *rawSocket {
			s := openRawSocket(t, n, protocol.Frame{Type: protocol.FrameHello, ChatID: resp.ChatID, ResumeSecret: resp.ResumeSecret, AfterSeq: resp.Chat.LastSeq})
			s.next(protocol.FrameReady)
			return s
		}},
		{"no hello", func() *rawSocket { return upgradeRaw(t, n) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.open()
			defer s.conn.Close()
			_ = s.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			if _, err := io.Copy(io.Discard, s.br); err != nil { // reads pings and frames, answers nothing
				t.Fatalf("the server did not drop the silent socket: %v", err)
			}
		})
	}
}

// A slow but live peer — one whose every pong comes after the server
// stopped waiting for it (a busy phone, a loaded machine) — keeps its
// socket: its late pongs are heard. (A peer that answers nothing is
// dropped: TestSilentSocketsAreDropped.)
func TestLatePongsKeepTheSocket(t *testing.T) {
	e := newEnv(t, testenv.SQLiteDSN(t))
	const timeout = 100 * time.Millisecond
	n := e.node(nodeOpts{limits: realtime.Limits{MaxConnsPerIP: -1, PingInterval: 50 * time.Millisecond,
		PingTimeout: timeout, MissedPongs: 2}})
	resp := n.mustStart(protocol.StartChatRequest{})
	s := openRawSocket(t, n, protocol.Frame{Type: protocol.FrameHello, ChatID: resp.ChatID, ResumeSecret: resp.ResumeSecret, AfterSeq: resp.Chat.LastSeq})
	defer s.conn.Close()
	s.next(protocol.FrameReady)
	// Ten pings, each answered once the server gave up on it: with
	// MissedPongs 2 the socket would be gone after two of them if a late
	// pong did not count.
	for range 10 {
		ping := s.nextPing()
		time.Sleep(timeout + 30*time.Millisecond)
		s.write(s.frame(0xA, ping))
	}
	s.write(s.frame(0x1, jsonBytes(protocol.Frame{V: protocol.ProtocolVersion, Type: protocol.FrameSend, ClientMsgID: "late", Text: "still here"})))
	if ack := s.next(protocol.FrameAck); ack.ClientMsgID != "late" || ack.Seq == 0 {
		t.Fatalf("ack after the late pongs: %+v", ack)
	}
}

// A socket whose writer cannot read the store for a moment (the
// database slow or locked: a reconnect storm after a restart) is kept,
// and the read tried again, rather than dropped — which would send its
// client back through a reconnect that adds to the load.
func TestSocketOutlivesAFailedStoreRead(t *testing.T) {
	e := newEnv(t, testenv.PostgresDSN(t)) // the lock below is PostgreSQL's
	n := e.node(nodeOpts{limits: realtime.Limits{MaxConnsPerIP: -1, StoreReadTimeout: 200 * time.Millisecond}})
	resp := n.mustStart(protocol.StartChatRequest{})
	s := openRawSocket(t, n, protocol.Frame{Type: protocol.FrameHello, ChatID: resp.ChatID, ResumeSecret: resp.ResumeSecret, AfterSeq: resp.Chat.LastSeq})
	defer s.conn.Close()
	s.next(protocol.FrameReady)

	ctx := context.Background()
	tx, err := e.st.DB().BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, "LOCK TABLE messages IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	// A hint with no messages: the writer reads the store, which waits
	// on the lock past StoreReadTimeout.
	n.broker.Publish(chats.Event{Topic: chats.ChatTopic(resp.ChatID), ChatID: resp.ChatID})
	time.Sleep(600 * time.Millisecond)
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	s.write(s.frame(0x1, jsonBytes(protocol.Frame{V: protocol.ProtocolVersion, Type: protocol.FrameSend, ClientMsgID: "after-lock", Text: "still here"})))
	if ack := s.next(protocol.FrameAck); ack.ClientMsgID != "after-lock" || ack.Seq == 0 {
		t.Fatalf("ack after the failed read: %+v", ack)
	}
}

// Closing the real-time server drops idle visitor sockets too, though
// their goroutines wait outside the library, where the server's context
// does not reach.
func TestServerCloseDropsIdleVisitorSockets(t *testing.T) {
	e := newEnv(t, testenv.SQLiteDSN(t))
	n := e.node(nodeOpts{limits: realtime.Limits{MaxConnsPerIP: -1}})
	var socks []*rawSocket
	for range 3 {
		resp := n.mustStart(protocol.StartChatRequest{})
		s := openRawSocket(t, n, protocol.Frame{Type: protocol.FrameHello, ChatID: resp.ChatID, ResumeSecret: resp.ResumeSecret, AfterSeq: resp.Chat.LastSeq})
		defer s.conn.Close()
		s.next(protocol.FrameReady)
		socks = append(socks, s)
	}
	waitNoBurst(t)
	n.rt.Close()
	for i, s := range socks {
		_ = s.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.Copy(io.Discard, s.br); err != nil { // until the server closes it
			t.Fatalf("socket %d: not closed by the server's Close: %v", i, err)
		}
	}
}

// waitNoBurst waits until no goroutine is reading a visitor socket's
// frames (every idle socket waits for readability instead), failing with
// the stacks of those that stay.
func waitNoBurst(t *testing.T) {
	t.Helper()
	var stacks []byte
	for range 200 {
		buf := make([]byte, 1<<20)
		stacks = buf[:runtime.Stack(buf, true)]
		if !bytes.Contains(stacks, []byte("(*visitor).burst(")) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	var stuck []string
	for _, g := range strings.Split(string(stacks), "\n\n") {
		if strings.Contains(g, "(*visitor).burst(") {
			stuck = append(stuck, g)
		}
	}
	t.Fatalf("%d goroutines still reading a visitor socket after 2 s:\n%s", len(stuck), strings.Join(stuck, "\n\n"))
}
