package realtime

import (
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"

	"halochat/app/protocol"
	"halochat/backend/chats"
	"halochat/backend/httpx"
	"halochat/backend/metrics"
)

// Limits are the abuse limits of the real-time transports. Zero fields
// take the defaults; a benchmark may lift them.
type Limits struct {
	// MaxFrameBytes bounds a frame a client sends. Default 16 KiB.
	MaxFrameBytes int64
	// SendBuffer bounds the events waiting to be written to one
	// connection; a client that falls further behind is dropped (it
	// reconnects and resumes from its last seq). Default 256.
	SendBuffer int
	// PingInterval is how often the server pings; PingTimeout how long it
	// waits for a pong. Defaults 25 s, 15 s. A connection is dropped when
	// MissedPongs pings in a row (default 3) went unanswered and nothing
	// at all was heard from the peer since the first of them: a peer that
	// is slow (a busy phone, a loaded machine) but alive answers late, and
	// its late pong keeps it; a dead one is dropped within
	// (MissedPongs-1) × PingInterval + PingTimeout (65 s by default).
	PingInterval time.Duration
	PingTimeout  time.Duration
	MissedPongs  int
	// StoreReadTimeout bounds a socket writer's read of the store (the
	// messages after the last one it wrote, the queue); a read that fails
	// is tried again (conn.retryLater), the socket kept. Default 30 s.
	StoreReadTimeout time.Duration
	// WriteTimeout bounds one frame's write. Default 10 s.
	WriteTimeout time.Duration
	// HelloTimeout is how long a visitor socket may wait before its
	// hello. Default 10 s.
	HelloTimeout time.Duration
	// MaxConnsPerIP caps what one client address holds open: its
	// websockets (counted here for their life) and, through
	// httpx.LimitRequests on Conns at the service's root, its other
	// requests in progress, long-polls included. Default 200; negative:
	// no cap.
	MaxConnsPerIP int
	// SendsPerSecond and SendBurst rate-limit the messages (and typing
	// indicators) of one chat from its visitor. Defaults 5/s, burst 20;
	// negative rate: no limit.
	SendsPerSecond float64
	SendBurst      int
	// IPSendsPerMinute rate-limits the messages of all the chats of one
	// client address; ProfileSendsPerMinute those of all the chats of one
	// chat profile. Defaults 600 and 6000; negative: no limit.
	IPSendsPerMinute      float64
	ProfileSendsPerMinute float64
	// MaxPollWait caps a long-poll's wait. Default 25 s.
	MaxPollWait time.Duration
}

func (l *Limits) defaults() {
	if l.MaxFrameBytes <= 0 {
		l.MaxFrameBytes = 16 << 10
	}
	if l.SendBuffer <= 0 {
		l.SendBuffer = 256
	}
	if l.PingInterval <= 0 {
		l.PingInterval = 25 * time.Second
	}
	if l.PingTimeout <= 0 {
		l.PingTimeout = 15 * time.Second
	}
	if l.StoreReadTimeout <= 0 {
		l.StoreReadTimeout = 30 * time.Second
	}
	if l.MissedPongs <= 0 {
		l.MissedPongs = 3
	}
	if l.WriteTimeout <= 0 {
		l.WriteTimeout = 10 * time.Second
	}
	if l.HelloTimeout <= 0 {
		l.HelloTimeout = 10 * time.Second
	}
	if l.MaxConnsPerIP == 0 {
		l.MaxConnsPerIP = 200
	}
	if l.SendsPerSecond == 0 {
		l.SendsPerSecond = 5
	}
	if l.SendBurst <= 0 {
		l.SendBurst = 20
	}
	if l.IPSendsPerMinute == 0 {
		l.IPSendsPerMinute = 600
	}
	if l.ProfileSendsPerMinute == 0 {
		l.ProfileSendsPerMinute = 6000
	}
	if l.MaxPollWait <= 0 {
		l.MaxPollWait = 25 * time.Second
	}
}

// Config configures a Server.
type Config struct {
	Chats  *chats.Service
	Broker Broker
	Logger *slog.Logger
	// PublicOrigin is the service's own origin (scheme://host[:port]):
	// visitor calls come from the widget iframe, so a request carrying
	// another Origin is refused. Empty: the request's own Host.
	PublicOrigin string
	// Agents lets agents in to their socket and keeps checking their
	// session there. Without it /agent/ws is not served.
	Agents AgentAuth
	Limits Limits
	// Metrics counts the open sockets and the messages a limit refused;
	// nil counts nothing.
	Metrics *metrics.Metrics
	// Node names this server among the service's nodes in the agents'
	// presence (store/presence.go): unique per running process. Empty: a
	// random name, new at each start (a restarted node's old word lapses
	// after store.PresenceTTL).
	Node string
}

// Server serves the websockets and the long-poll transport.
type Server struct {
	cfg    Config
	log    *slog.Logger
	lim    Limits
	sends  *httpx.RateLimiter // per chat
	ipSend *httpx.RateLimiter // per client address
	prSend *httpx.RateLimiter // per chat profile
	perIP  *httpx.Counter
	ctx    context.Context // ends when the server shuts down
	cancel context.CancelFunc

	queue *queueView // the agents' queue, read once per change for all consoles

	// writeBufs holds the buffers websockets' writers collect frames in
	// (batchConn): one while a writer drains its queue, none while idle.
	writeBufs sync.Pool
	// frames holds recent messages' frames, encoded once for all sockets.
	frames frameCache

	agentMu    sync.Mutex
	agentConns map[int64]int

	// beats pings the open websockets, and drops them on Close.
	beats *heartbeats
}

// NewServer returns a Server. Close it to drop every connection.
func NewServer(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	cfg.Limits.defaults()
	if cfg.Node == "" {
		cfg.Node = rand.Text()
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{cfg: cfg, log: cfg.Logger, lim: cfg.Limits,
		sends:  httpx.NewRateLimiter(cfg.Limits.SendsPerSecond, cfg.Limits.SendBurst),
		ipSend: httpx.PerMinute(cfg.Limits.IPSendsPerMinute),
		prSend: httpx.PerMinute(cfg.Limits.ProfileSendsPerMinute),
		perIP:  httpx.NewCounter(cfg.Limits.MaxConnsPerIP),
		ctx:    ctx, cancel: cancel, agentConns: map[int64]int{},
		beats: newHeartbeats(cfg.Limits.PingInterval, cfg.Limits.PingTimeout)}
	s.queue = newQueueView(cfg.Chats.QueueStates)
	s.writeBufs.New = func() any { b := make([]byte, 0, 4096); return &b }
	go s.touchAgents(ctx)
	go s.beats.run(ctx)
	return s
}

// Conns counts what each client address holds open (MaxConnsPerIP):
// the websockets, counted here; the service counts its requests in
// progress on it too (httpx.LimitRequests).
func (s *Server) Conns() *httpx.Counter { return s.perIP }

// Sockets is how many websockets (visitors' and agents') are open.
func (s *Server) Sockets() int { return s.beats.count() }

// Close drops every connection.
func (s *Server) Close() {
	s.cancel()
	s.beats.closeAll()
}

// Mount adds the routes to mux.
func (s *Server) Mount(mux *http.ServeMux) {
	mux.HandleFunc("GET /chat/ws", s.visitorSocket)
	mux.HandleFunc("GET /chat/api/v1/chats/{id}/messages", s.poll)
	mux.HandleFunc("POST /chat/api/v1/chats/{id}/messages", s.pollSend)
	mux.HandleFunc("POST /chat/api/v1/chats/{id}/typing", s.pollTyping)
	mux.HandleFunc("POST /chat/api/v1/chats/{id}/end", s.pollEnd)
	if s.cfg.Agents != nil {
		mux.Handle("GET /agent/ws", s.cfg.Agents.RequireAgent(http.HandlerFunc(s.agentSocket)))
	}
}

// fail answers err: a refusal of the chats service with its status,
// anything else as a logged internal error.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	httpx.Fail(w, r, s.log, chats.Public(err))
}

// accept upgrades to a websocket after the origin and per-address checks.
//
// A browser sends the Origin of the page that opens a websocket, and the
// agent's cookie with it from any page of the same site (another port of
// the host, a sibling subdomain): only the service's own pages may open
// either socket. A request without an Origin comes from no browser, so
// no page rides on it: it holds its credentials itself, and is let in.
func (s *Server) accept(w http.ResponseWriter, r *http.Request, side string) (*websocket.Conn, *batchConn, func(), bool) {
	if !httpx.SameOrigin(r, s.cfg.PublicOrigin) {
		httpx.Refuse(w, protocol.CodeOriginNotAllowed, "websocket calls must come from the chat service's own origin")
		return nil, nil, nil, false
	}
	ip := httpx.ClientKey(r)
	if !s.perIP.Acquire(ip) {
		httpx.WriteRateLimited(w, httpx.ConnRetry, "too many open connections from this address")
		return nil, nil, nil, false
	}
	// The Origin was checked above: the library's own check would refuse
	// the service's public origin behind a proxy.
	var bc *batchConn
	ws, err := websocket.Accept(smallBuffers{ResponseWriter: w, pool: &s.writeBufs, conn: &bc}, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		s.perIP.Release(ip)
		return nil, nil, nil, false
	}
	ws.SetReadLimit(s.lim.MaxFrameBytes)
	closed := s.cfg.Metrics.SocketOpened(side)
	return ws, bc, func() { closed(); s.perIP.Release(ip) }, true
}

func (s *Server) visitorSocket(w http.ResponseWriter, r *http.Request) {
	ws, bc, release, ok := s.accept(w, r, metrics.Visitor)
	if !ok {
		return
	}
	c := newConn(s, ws, bc, protocol.FromVisitor)
	ctx := s.ctx
	handedOver := false
	defer func() {
		if !handedOver {
			c.close()
			release()
		}
	}()

	// The hello's deadline is the socket's, not a context (the library
	// keeps the context of the last message read until the next one:
	// for an idle chat, hours) nor a timer of its own.
	if err := bc.Conn.SetReadDeadline(time.Now().Add(s.lim.HelloTimeout)); err != nil {
		return
	}
	f, err := c.readFrame(ctx)
	if err != nil {
		return
	}
	if err := bc.Conn.SetReadDeadline(time.Time{}); err != nil {
		return
	}
	if f.Type != protocol.FrameHello {
		c.fail(protocol.CodeInvalidRequest, "the first frame must be hello")
		return
	}
	chat, err := s.cfg.Chats.Verify(ctx, f.ChatID, f.ResumeSecret)
	if err != nil {
		e := chats.ErrorOf(err)
		c.fail(e.Code, e.Message)
		return
	}
	httpx.SetChatID(r.Context(), chat.ID)
	state, err := s.cfg.Chats.State(ctx, chat)
	if err != nil {
		c.fail(protocol.CodeInternal, "internal error")
		s.log.Error("visitor socket: chat state", "chat", chat.ID, "err", err)
		return
	}
	if !s.beats.add(c) { // the server is closing
		return
	}
	c.enqueueFrame(protocol.Frame{Type: protocol.FrameReady, ChatID: chat.ID, Chat: state})
	c.watch(chat.ID, f.AfterSeq)
	// The socket's long life goes on in fresh goroutines: the handler's
	// stack grew deep serving the handshake and hello, and an idle
	// socket should hold only a small one.
	handedOver = true
	v := &visitor{srv: s, c: c, chat: visitorChat{id: chat.ID, profile: chat.ProfileID}, ip: httpx.ClientKey(r), release: release} // not the row, not the request
	if bc.raw == nil {
		go v.loop()
		return
	}
	go v.wait()
}

// visitorChat is what a visitor's socket keeps of its chat for its whole
// life (not the chat's row, with its flow state: an idle chat holds
// little).
type visitorChat struct{ id, profile string }

// visitor is a visitor's socket after its hello.
type visitor struct {
	srv     *Server
	c       *conn
	chat    visitorChat
	ip      string
	release func()
}

// wait waits for the next frames on a small stack (idleread.go), then
// hands them to a burst.
func (v *visitor) wait() {
	if v.c.out.reader.Buffered() == 0 {
		if err := waitReadable(v.c.out.raw); err != nil {
			v.end("wait for frames", err)
			return
		}
	}
	v.c.heard.Store(time.Now().UnixNano()) // a pong, late or not, included
	go v.burst()
}

// burst reads and handles the frames that have arrived, then hands the
// socket back to a fresh waiter. A burst of only control frames (the
// client's pong to the server's ping) ends when the library, having
// handled them, would wait for the next frame: its read of the
// connection returns errWouldBlock instead, at a frame boundary.
func (v *visitor) burst() {
	br, ctx := v.c.out.reader, v.srv.ctx
	for {
		// At a frame boundary: what has arrived?
		buf, _ := br.Peek(br.Buffered())
		kind, need := scanControlFrames(buf)
		for kind == framesIncomplete && need <= br.Size() {
			if _, err := br.Peek(need); err != nil { // the rest of a control frame, or the end
				v.end("read a control frame", err)
				return
			}
			buf, _ = br.Peek(br.Buffered())
			kind, need = scanControlFrames(buf)
		}
		v.c.out.noWaitOnce(kind == framesControl)
		typ, data, err := v.c.ws.Read(ctx)
		v.c.out.noWaitOnce(false)
		switch {
		case errors.Is(err, errWouldBlock):
			go v.wait()
			return
		case err != nil:
			v.end("read a frame", err)
			return
		case !v.srv.visitorFrame(ctx, v.c, v.chat, v.ip, typ, data):
			v.end("handle a frame", nil)
			return
		}
		if br.Buffered() == 0 {
			go v.wait()
			return
		}
	}
}

// loop reads and handles frames for a connection without a descriptor
// to wait on: it waits inside the library.
func (v *visitor) loop() {
	for {
		typ, data, err := v.c.ws.Read(v.srv.ctx)
		if err != nil {
			v.end("read a frame", err)
			return
		}
		v.c.heard.Store(time.Now().UnixNano())
		if !v.srv.visitorFrame(v.srv.ctx, v.c, v.chat, v.ip, typ, data) {
			v.end("handle a frame", nil)
			return
		}
	}
}

// end closes the socket after what ended it.
func (v *visitor) end(doing string, err error) {
	v.srv.log.Debug("visitor socket ends", "chat", v.chat.id, "after", doing, "err", err)
	v.c.close()
	v.release()
}

// visitorFrame handles one frame from a visitor's socket; false closes it.
func (s *Server) visitorFrame(ctx context.Context, c *conn, chat visitorChat, ip string, typ websocket.MessageType, data []byte) bool {
	f, err := c.decode(typ, data)
	if err != nil {
		return false
	}
	chatID := chat.id
	switch f.Type {
	case protocol.FrameSend:
		if ok, wait, why := s.allowSend(chat.id, chat.profile, ip); !ok {
			s.cfg.Metrics.RateLimited("websocket message")
			c.enqueueFrame(errFrame(f.ClientMsgID, protocol.CodeRateLimited, why+": slow down and resend in "+httpx.RetryAfter(wait)+" s"))
			return true
		}
		ack, err := s.cfg.Chats.Send(ctx, chatID, protocol.SendRequest{ClientMsgID: f.ClientMsgID, Text: f.Text, Choice: f.Choice})
		if err != nil {
			e := chats.ErrorOf(err)
			if e.Code == protocol.CodeInternal {
				s.log.Error("visitor send", "chat", chatID, "err", err)
			}
			c.enqueueFrame(errFrame(f.ClientMsgID, e.Code, e.Message))
			return true
		}
		c.enqueueFrame(protocol.Frame{Type: protocol.FrameAck, ChatID: chatID, ClientMsgID: ack.ClientMsgID, Seq: ack.Seq, Duplicate: ack.Duplicate})
	case protocol.FrameTyping:
		if ok, _ := s.sends.Allow("typing:" + chatID); f.Typing != nil && ok {
			s.cfg.Chats.PublishTyping(chatID, protocol.FromVisitor, *f.Typing)
		}
	case protocol.FrameEnd:
		if err := s.cfg.Chats.End(ctx, chatID, protocol.EndByVisitor); err != nil {
			e := chats.ErrorOf(err)
			c.enqueueFrame(errFrame("", e.Code, e.Message))
		}
	case protocol.FramePing:
		c.enqueueFrame(protocol.Frame{Type: protocol.FramePong})
	case protocol.FrameHello:
		c.watch(chatID, f.AfterSeq) // a resync on the same socket
	default:
		c.enqueueFrame(errFrame("", protocol.CodeInvalidRequest, "unknown frame type "+f.Type))
	}
	return true
}

// allowSend applies the visitor message limits: per chat, per client
// address, per chat profile. It returns the wait and which limit refused.
func (s *Server) allowSend(chatID, profileID, ip string) (bool, time.Duration, string) {
	if ok, wait := s.sends.Allow(chatID); !ok {
		return false, wait, "too many messages in this chat"
	}
	if ok, wait := s.ipSend.Allow(ip); !ok {
		return false, wait, "too many messages from this address"
	}
	if ok, wait := s.prSend.Allow(profileID); !ok {
		return false, wait, "too many messages for this chat profile"
	}
	return true, 0, ""
}

func errFrame(clientMsgID, code, msg string) protocol.Frame {
	return protocol.Frame{Type: protocol.FrameError, ClientMsgID: clientMsgID, Error: &protocol.APIError{Code: code, Message: msg}}
}
