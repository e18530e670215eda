package realtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"halochat/app/protocol"
	"halochat/backend/chats"
	"halochat/backend/store"
)

// conn is one websocket. An agent's reader goroutine lives as long as
// the socket; a visitor's waits for readability and hands each burst of
// frames to a goroutine of its own (idleread.go); a writer goroutine runs
// only while something waits to be written (an idle socket costs one
// goroutine). Everything written goes
// through the bounded queue, in order; a client that lets it overflow is
// dropped and resumes from its last seq.
type conn struct {
	srv  *Server
	ws   *websocket.Conn
	out  *batchConn // under ws: the writer holds its frames and flushes once
	self string     // protocol.FromVisitor or FromAgent: own typing is not echoed
	// agentID is the agent of an agent's socket, teams theirs (under mu,
	// read again at each check of the session): the queue it is sent is
	// theirs (chats.QueueFor).
	agentID int64
	teams   []int64

	mu      sync.Mutex
	queue   []item
	writing bool
	closed  bool
	reason  *string  // the close reason after fail's frame (nil: "closed")
	watches watchSet // by chat id
	queueW  func()   // cancels the queue subscription
	pinging bool     // a ping waits for its pong
	missed  int32    // pings in a row whose pong did not come in time
	slot    int      // the heartbeat slot (heartbeats.add)
	// unanswered is when the first of those pings was sent; heard, when
	// the server last read from the peer (unix ns; a visitor's idle
	// socket notes every arrival, its pongs included).
	unanswered int64
	heard      atomic.Int64
}

// watch is one chat the connection follows; last is the last seq written.
type watch struct {
	last   int64
	cancel func()
}

// watchSet holds the chats a connection follows. A visitor's socket
// follows one, kept inline (a map cost ~250 bytes an idle chat); an
// agent's console may follow many, the others in a map.
type watchSet struct {
	id  string
	one *watch
	m   map[string]*watch
}

func (s *watchSet) get(id string) *watch {
	if s.one != nil && s.id == id {
		return s.one
	}
	return s.m[id]
}

// add adds a chat that get does not find.
func (s *watchSet) add(id string, w *watch) {
	if s.one == nil {
		s.id, s.one = id, w
		return
	}
	if s.m == nil {
		s.m = map[string]*watch{}
	}
	s.m[id] = w
}

// remove removes a chat and returns its watch (nil if absent).
func (s *watchSet) remove(id string) *watch {
	if s.one != nil && s.id == id {
		w := s.one
		s.id, s.one = "", nil
		return w
	}
	w := s.m[id]
	delete(s.m, id)
	return w
}

// ids returns the chats followed.
func (s *watchSet) ids() []string {
	var out []string
	if s.one != nil {
		out = append(out, s.id)
	}
	for id := range s.m {
		out = append(out, id)
	}
	return out
}

// all returns every watch.
func (s *watchSet) all() []*watch {
	var out []*watch
	if s.one != nil {
		out = append(out, s.one)
	}
	for _, w := range s.m {
		out = append(out, w)
	}
	return out
}

// item is a frame to write or an event to turn into frames.
type item struct {
	frame *protocol.Frame
	ev    *chats.Event
}

func newConn(s *Server, ws *websocket.Conn, out *batchConn, self string) *conn {
	return &conn{srv: s, ws: ws, out: out, self: self}
}

func (c *conn) readFrame(ctx context.Context) (protocol.Frame, error) {
	typ, data, err := c.ws.Read(ctx)
	if err != nil {
		return protocol.Frame{}, err
	}
	return c.decode(typ, data)
}

// decode is readFrame after the read: a frame the server refuses is
// answered with an error frame, or fails the socket when fatal (err).
func (c *conn) decode(typ websocket.MessageType, data []byte) (protocol.Frame, error) {
	f, ferr := decodeFrame(typ, data)
	if ferr == nil {
		return f, nil
	}
	if ferr.fatal {
		c.fail(ferr.code, ferr.msg)
		return f, ferr
	}
	c.enqueueFrame(errFrame("", ferr.code, ferr.msg))
	return protocol.Frame{Type: "invalid"}, nil
}

// frameError is a frame the server refuses; a fatal one closes the socket.
type frameError struct {
	code, msg string
	fatal     bool
}

func (e *frameError) Error() string { return e.msg }

// decodeFrame parses one client frame: a JSON text message of the
// server's protocol version.
func decodeFrame(typ websocket.MessageType, data []byte) (protocol.Frame, *frameError) {
	var f protocol.Frame
	if typ != websocket.MessageText {
		return f, &frameError{code: protocol.CodeInvalidRequest, msg: "frames are JSON text messages", fatal: true}
	}
	if err := json.Unmarshal(data, &f); err != nil {
		return protocol.Frame{}, &frameError{code: protocol.CodeInvalidRequest, msg: "a frame is a JSON object: " + err.Error()}
	}
	if f.V != protocol.ProtocolVersion {
		return f, &frameError{code: protocol.CodeUnsupportedVersion, fatal: true,
			msg: fmt.Sprintf("this server speaks protocol version %d", protocol.ProtocolVersion)}
	}
	return f, nil
}

// fail writes an error frame and closes the socket.
func (c *conn) fail(code, msg string) { c.failWith(code, msg, nil) }

// failAs is fail with the message as the close reason too (it must fit
// one: 123 bytes).
func (c *conn) failAs(code, msg string) { c.failWith(code, msg, &msg) }

func (c *conn) failWith(code, msg string, reason *string) {
	c.enqueueFrame(errFrame("", code, msg))
	c.mu.Lock()
	if !c.closed {
		c.reason = reason
	}
	c.closed = true // no more items; the writer closes after the error frame
	if !c.writing {
		c.writing = true
		go c.write()
	}
	c.mu.Unlock()
}

func (c *conn) push(it item) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	if len(c.queue) >= c.srv.lim.SendBuffer {
		// A slow client: drop it rather than hold memory or stall others.
		c.srv.log.Warn("dropping a websocket that does not keep up", "who", c.self, "queued", len(c.queue))
		c.closed = true
		c.queue = nil
		go func() { _ = c.ws.Close(websocket.StatusTryAgainLater, "too slow: reconnect and resume") }()
		return
	}
	c.queue = append(c.queue, it)
	if !c.writing {
		c.writing = true
		go c.write()
	}
}

func (c *conn) enqueueFrame(f protocol.Frame) {
	f.V = protocol.ProtocolVersion
	c.push(item{frame: &f})
}

// write drains the queue, then ends.
func (c *conn) write() {
	c.out.startHold()
	for {
		c.mu.Lock()
		if len(c.queue) == 0 {
			c.mu.Unlock()
			// The queue is drained: what it held goes out in one write.
			// Then look again: an item queued meanwhile found this writer
			// still at work.
			err := c.out.flush(c.srv.lim.WriteTimeout)
			c.mu.Lock()
			if err == nil && len(c.queue) > 0 {
				c.mu.Unlock()
				c.out.startHold()
				continue
			}
			c.writing = false
			closed, reason := c.closed, "closed"
			if c.reason != nil {
				reason = *c.reason
			}
			if err != nil {
				c.closed, c.queue = true, nil
			}
			c.mu.Unlock()
			switch {
			case err != nil:
				c.srv.log.Info("closing a websocket after a failed write", "who", c.self, "err", err)
				_ = c.ws.CloseNow()
			case closed:
				_ = c.ws.Close(websocket.StatusPolicyViolation, reason)
			}
			return
		}
		it := c.queue[0]
		c.queue[0] = item{}
		c.queue = c.queue[1:]
		if len(c.queue) == 0 {
			c.queue = nil // give the backing array back
		}
		c.mu.Unlock()
		var err error
		if it.frame != nil {
			err = c.send(*it.frame)
		} else {
			err = c.deliver(*it.ev)
		}
		if re := (readError{}); errors.As(err, &re) && c.srv.ctx.Err() == nil {
			c.srv.log.Info("a websocket's read of the store failed; trying again", "who", c.self, "chat", it.ev.ChatID, "in", readRetry, "err", err)
			c.retryLater(*it.ev)
			continue
		}
		if err != nil {
			c.srv.log.Info("closing a websocket after a failed write", "who", c.self, "err", err)
			c.mu.Lock()
			c.closed, c.queue, c.writing = true, nil, false
			c.mu.Unlock()
			_ = c.out.flush(c.srv.lim.WriteTimeout) // end the hold
			_ = c.ws.CloseNow()
			return
		}
	}
}

func (c *conn) send(f protocol.Frame) error {
	f.V = protocol.ProtocolVersion
	data, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("encode frame: %w", err)
	}
	return c.sendEncoded(data)
}

// sendEncoded writes an encoded frame.
//
// It runs in the writer, whose frames collect in the batchConn until its
// flush (which has the write timeout): the write itself waits on nothing
// but the library's lock, so it needs no deadline of its own. (A context
// with one cost a timer each frame, and the library keeps the last
// frame's context: 250 bytes an idle chat.)
func (c *conn) sendEncoded(data []byte) error {
	return c.ws.Write(c.srv.ctx, websocket.MessageText, data)
}

// deliver turns an event into frames (runs in the writer).
func (c *conn) deliver(ev chats.Event) error {
	if ev.Topic == chats.QueueTopic {
		return c.sendQueue()
	}
	if ev.Typing != nil {
		if ev.Typing.From == c.self {
			return nil
		}
		on := ev.Typing.On
		return c.send(protocol.Frame{Type: protocol.FrameTyping, ChatID: ev.ChatID, From: ev.Typing.From, Typing: &on})
	}
	c.mu.Lock()
	w := c.watches.get(ev.ChatID)
	var last int64
	if w != nil {
		last = w.last
	}
	c.mu.Unlock()
	if w == nil {
		return nil
	}
	msgs := ev.Messages
	if len(msgs) == 0 || msgs[0].Seq > last+1 {
		// A hint, a gap or a (re)subscribe: the store has it all.
		var err error
		if msgs, err = c.read(ev.ChatID, last); err != nil {
			return err
		}
	}
	for _, m := range msgs {
		if m.Seq <= last {
			continue
		}
		if m.Seq != last+1 { // cannot happen after a read; be safe
			more, err := c.read(ev.ChatID, last)
			if err != nil {
				return err
			}
			return c.sendMessages(ev.ChatID, w, last, more)
		}
		if err := c.sendMessage(ev.ChatID, w, m); err != nil {
			return err
		}
		last = m.Seq
	}
	return nil
}

func (c *conn) sendMessages(chatID string, w *watch, last int64, msgs []store.Message) error {
	for _, m := range msgs {
		if m.Seq <= last {
			continue
		}
		if err := c.sendMessage(chatID, w, m); err != nil {
			return err
		}
		last = m.Seq
	}
	return nil
}

func (c *conn) sendMessage(chatID string, w *watch, m store.Message) error {
	if m.Internal && c.self != protocol.FromAgent {
		// An agent's internal note: never on a visitor's socket. Its seq
		// is passed over (the widget takes gaps: system notes make them
		// too on some paths).
		c.mu.Lock()
		w.last = m.Seq
		c.mu.Unlock()
		return nil
	}
	data, err := c.srv.frames.get(chatID, m) // encoded once for every socket
	if err != nil {
		return err
	}
	if err := c.sendEncoded(data); err != nil {
		return err
	}
	c.mu.Lock()
	w.last = m.Seq
	c.mu.Unlock()
	return nil
}

// read returns every stored message of the chat after seq.
func (c *conn) read(chatID string, after int64) ([]store.Message, error) {
	ctx, cancel := context.WithTimeout(c.srv.ctx, c.srv.lim.StoreReadTimeout)
	defer cancel()
	msgs, err := c.srv.cfg.Chats.MessagesAfter(ctx, chatID, after)
	if err != nil {
		return nil, readError{err}
	}
	return msgs, nil
}

// readError is a writer's failed read of the store (not of the socket):
// a database that is slow (a reconnect storm after a restart) or away
// for a moment. The socket is kept and the read tried again
// (retryLater): dropping it would send its client back through a
// reconnect, a hello and the same read, adding to the load that made the
// read fail.
type readError struct{ err error }

func (e readError) Error() string { return e.err.Error() }
func (e readError) Unwrap() error { return e.err }

// readRetry is how long a writer waits before reading again after a
// readError.
const readRetry = 2 * time.Second

// retryLater queues ev again after readRetry, unless the socket closed.
func (c *conn) retryLater(ev chats.Event) {
	time.AfterFunc(readRetry, func() {
		if c.srv.ctx.Err() == nil {
			c.push(item{ev: &ev})
		}
	})
}

func (c *conn) sendQueue() error {
	ctx, cancel := context.WithTimeout(c.srv.ctx, c.srv.lim.StoreReadTimeout)
	defer cancel()
	states, err := c.srv.queue.get(ctx)
	if err != nil {
		return readError{err}
	}
	c.mu.Lock()
	teams := c.teams
	c.mu.Unlock()
	states = chats.QueueFor(states, c.agentID, teams)
	return c.send(protocol.Frame{Type: protocol.FrameQueue, Chats: states})
}

// watch follows a chat from after seq: subscribe first, then read what
// is stored, so nothing falls between.
//
// The broker calls subscribers holding its own lock, and they take c.mu
// (push): so c.mu is never held while calling the broker (Subscribe or a
// cancel), or a publish and a watch could each wait for the other's lock
// — which stalled every connection of a node under load.
func (c *conn) watch(chatID string, after int64) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	w := c.watches.get(chatID)
	fresh := w == nil
	if fresh {
		w = &watch{}
		c.watches.add(chatID, w)
	}
	w.last = max(after, 0)
	c.mu.Unlock()
	if fresh {
		cancel := c.srv.cfg.Broker.Subscribe(chats.ChatTopic(chatID), func(ev chats.Event) { c.push(item{ev: &ev}) })
		c.mu.Lock()
		if c.closed || c.watches.get(chatID) != w { // closed or unwatched meanwhile
			c.mu.Unlock()
			cancel()
			return
		}
		w.cancel = cancel
		c.mu.Unlock()
	}
	c.push(item{ev: &chats.Event{Topic: chats.ChatTopic(chatID), ChatID: chatID}})
}

func (c *conn) unwatch(chatID string) {
	c.mu.Lock()
	w := c.watches.remove(chatID)
	c.mu.Unlock()
	if w != nil && w.cancel != nil {
		w.cancel()
	}
}

func (c *conn) watchQueue() {
	coalesce := func(chats.Event) {
		c.srv.queue.changed()
		c.mu.Lock()
		for _, it := range c.queue { // one pending queue refresh is enough
			if it.ev != nil && it.ev.Topic == chats.QueueTopic {
				c.mu.Unlock()
				return
			}
		}
		c.mu.Unlock()
		c.push(item{ev: &chats.Event{Topic: chats.QueueTopic}})
	}
	cancel := c.srv.cfg.Broker.Subscribe(chats.QueueTopic, coalesce)
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		cancel()
		return
	}
	c.queueW = cancel
	c.mu.Unlock()
	coalesce(chats.Event{})
}

// pingOnce pings the socket (heartbeats.run); it does nothing while an
// earlier ping still waits. A pong that does not come within timeout
// counts as missed, and the socket is dropped once Limits.MissedPongs
// pings in a row were missed with nothing heard from the peer since the
// first of them (pongDue).
func (c *conn) pingOnce(ctx context.Context, timeout time.Duration) {
	c.mu.Lock()
	if c.closed || c.pinging {
		c.mu.Unlock()
		return
	}
	c.pinging = true
	c.mu.Unlock()
	sent := time.Now()
	pctx, cancel := context.WithTimeout(ctx, timeout)
	err := c.ws.Ping(pctx)
	cancel()
	c.mu.Lock()
	c.pinging = false
	drop, why := c.pongDue(sent, err, ctx.Err() != nil)
	c.mu.Unlock()
	if drop {
		c.srv.log.Info("dropping a websocket whose peer stopped answering", "who", c.self, "why", why, "err", err)
		_ = c.ws.CloseNow()
	} else if why != "" {
		c.srv.log.Debug("a websocket's pong is late; keeping it", "who", c.self, "why", why, "err", err)
	}
}

// pongDue settles a ping sent at sent that ended with err (nil: its pong
// came): whether to drop the socket and why (with c.mu held). A ping
// that failed because the socket closed or the server stops drops
// nothing: the reader ends the socket.
func (c *conn) pongDue(sent time.Time, err error, stopping bool) (drop bool, why string) {
	switch {
	case err == nil:
		c.missed = 0
		return false, ""
	case stopping || c.closed || errors.Is(err, net.ErrClosed):
		return false, ""
	}
	if c.missed == 0 {
		c.unanswered = sent.UnixNano()
	}
	if c.heard.Load() > c.unanswered {
		// A late pong (or a frame) came after the first missed ping: the
		// peer is slow, not gone.
		c.missed, c.unanswered = 1, sent.UnixNano()
		return false, "a late answer came since the last missed ping"
	}
	c.missed++
	why = fmt.Sprintf("%d of %d pings in a row unanswered, nothing heard for %s", c.missed, c.srv.lim.MissedPongs,
		time.Since(time.Unix(0, c.unanswered)).Round(time.Second))
	return int(c.missed) >= c.srv.lim.MissedPongs, why
}

// close ends subscriptions and the socket (called when the reader ends).
func (c *conn) close() {
	c.mu.Lock()
	c.closed = true
	ws := c.watches.all()
	c.watches = watchSet{}
	qw := c.queueW
	c.mu.Unlock()
	c.srv.beats.remove(c)
	for _, w := range ws {
		if w.cancel != nil {
			w.cancel()
		}
	}
	if qw != nil {
		qw()
	}
	// Let the writer finish what is queued (an error frame, say), briefly.
	for range 100 {
		c.mu.Lock()
		writing := c.writing
		c.mu.Unlock()
		if !writing {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	_ = c.ws.Close(websocket.StatusNormalClosure, "")
	_ = c.ws.CloseNow()
}
