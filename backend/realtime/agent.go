package realtime

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"time"

	"halochat/app/protocol"
	"halochat/backend/chats"
	"halochat/backend/httpx"
	"halochat/backend/metrics"
	"halochat/backend/store"
)

// AgentAuth lets agents in to their socket and keeps checking them there
// (auth.Service).
type AgentAuth interface {
	// RequireAgent wraps the socket's handler: 401 unless an agent is
	// logged in.
	RequireAgent(http.Handler) http.Handler
	// SessionFrom returns the agent RequireAgent let through and their
	// session.
	SessionFrom(context.Context) (*store.Agent, string)
	// CheckSession reads again whether the session holds: the agent (as
	// stored now) while it does; else why not, short enough for a close
	// reason; an error when it cannot tell.
	CheckSession(ctx context.Context, agentID int64, session string) (*store.Agent, string, error)
}

// AgentTopic is the topic that says an agent's sessions or account
// changed (AgentChanged).
func AgentTopic(agentID int64) string { return chats.AgentTopic(agentID) }

// AgentChanged tells every node that sessions of an agent ended or the
// agent was disabled: the agent's sockets check their session again, in
// the database, and close when it no longer holds. The event is only a
// hint: a socket also checks at every heartbeat interval and before each
// frame that acts, so a node that misses it still finds out.
func (s *Server) AgentChanged(agentID int64) {
	s.cfg.Broker.Publish(chats.Event{Topic: AgentTopic(agentID)})
}

// errSessionEnded: the socket's session no longer holds, and the socket
// is closing.
var errSessionEnded = errors.New("the agent's session has ended")

// agentSocket is an agent's websocket and the session it was opened with.
type agentSocket struct {
	srv     *Server
	c       *conn
	agentID int64
	session string
	hint    chan struct{} // the agent changed: check now
	// agent is the agent as the last check read it: a message frame,
	// which checks the session in the statement that stores it, sends
	// under its name.
	agent atomic.Pointer[store.Agent]
}

func (s *Server) agentSocket(w http.ResponseWriter, r *http.Request) {
	agent, session := s.cfg.Agents.SessionFrom(r.Context())
	if agent == nil {
		httpx.Refuse(w, protocol.CodeUnauthorized, "log in as an agent")
		return
	}
	ws, bc, release, ok := s.accept(w, r, metrics.Agent)
	if !ok {
		return
	}
	defer release()
	ctx, cancel := context.WithCancel(s.ctx)
	defer cancel() // ends the guard
	c := newConn(s, ws, bc, protocol.FromAgent)
	c.agentID = agent.ID
	defer c.close()
	a := &agentSocket{srv: s, c: c, agentID: agent.ID, session: session, hint: make(chan struct{}, 1)}
	a.agent.Store(agent)
	// Subscribed before the guard's first check: a revocation from then
	// on is hinted, one before is found by that check.
	stop := s.cfg.Broker.Subscribe(AgentTopic(agent.ID), func(chats.Event) {
		select {
		case a.hint <- struct{}{}:
		default: // a check is due already
		}
	})
	defer stop()
	a.readTeams(ctx) // before the first queue is sent
	go a.guard(ctx)
	s.agentOnline(ctx, agent.ID, 1)
	defer s.agentOnline(context.WithoutCancel(ctx), agent.ID, -1)

	c.enqueueFrame(protocol.Frame{Type: protocol.FrameReady, Agent: &protocol.AgentInfo{ID: agent.ID, Name: agent.Name}})
	c.watchQueue()
	live, err := s.cfg.Chats.LiveChatIDs(ctx, agent.ID)
	if err != nil {
		s.log.Error("agent socket: list live chats", "err", err)
	}
	for _, id := range live {
		c.watch(id, 0)
	}
	if !s.beats.add(c) { // the server is closing
		return
	}
	// A chat's frames run in order, different chats' at once (lanes); a
	// socket that breaks lets the frames it read finish.
	frames := newLanes(maxAgentFrames, a.frame)
	defer frames.wait()
	for {
		f, err := c.readFrame(ctx)
		if err != nil {
			return
		}
		c.heard.Store(time.Now().UnixNano())
		if f.Type == protocol.FramePing {
			a.frame(ctx, f) // a pong waits for no chat
			continue
		}
		if !frames.run(ctx, f.ChatID, f) {
			return
		}
	}
}

// guard checks the session when the socket opens, when the agent changes
// (AgentChanged) and every heartbeat interval, and closes the socket
// once the session has ended, until ctx ends.
func (a *agentSocket) guard(ctx context.Context) {
	t := time.NewTicker(a.srv.lim.PingInterval)
	defer t.Stop()
	for first := true; ; first = false {
		if _, err := a.check(ctx); errors.Is(err, errSessionEnded) {
			return
		} else if err != nil && ctx.Err() == nil {
			a.srv.log.Warn("agent socket: check the session", "agent", a.agentID, "err", err)
		} else if err == nil && !first {
			a.readTeams(ctx)
			a.adopt(ctx)
		}
		select {
		case <-ctx.Done():
			return
		case <-a.hint:
		case <-t.C:
		}
	}
}

// check reads the session again: the agent, as stored now, while it
// holds. Once it has ended the socket gets an error frame (unauthorized)
// and is closed (1008) with why, and check returns errSessionEnded.
func (a *agentSocket) check(ctx context.Context) (*store.Agent, error) {
	agent, ended, err := a.srv.cfg.Agents.CheckSession(ctx, a.agentID, a.session)
	if err != nil {
		return nil, err
	}
	if ended != "" {
		a.srv.log.Info("closing an agent's socket", "agent", a.agentID, "why", ended)
		a.c.failAs(protocol.CodeUnauthorized, ended)
		return nil, errSessionEnded
	}
	a.agent.Store(agent)
	return agent, nil
}

// frame handles one frame. A frame that reads or changes a chat is
// handled only after the session is checked again, in the database: an
// agent disabled or logged out a moment ago, on whatever node, acts no
// more, even before their socket is closed. A message is checked by the
// statement that stores it (send): at half the maximum message load, a
// look-up of its own before each agent's message was a tenth of the
// node's CPU and half the database's transactions.
func (a *agentSocket) frame(ctx context.Context, f protocol.Frame) {
	s, c := a.srv, a.c
	switch f.Type {
	case protocol.FramePing:
		c.enqueueFrame(protocol.Frame{Type: protocol.FramePong})
		return
	case protocol.FrameUnwatch:
		c.unwatch(f.ChatID)
		return
	case protocol.FrameSend:
		a.send(ctx, f)
		return
	case protocol.FrameHello, protocol.FrameAccept, protocol.FrameWatch, protocol.FrameTyping, protocol.FrameEnd:
	default:
		c.enqueueFrame(errFrame("", protocol.CodeInvalidRequest, "unknown frame type "+f.Type))
		return
	}
	agent, err := a.check(ctx)
	if errors.Is(err, errSessionEnded) {
		return
	}
	if err != nil {
		s.log.Error("agent socket: check the session", "agent", a.agentID, "err", err)
		c.enqueueFrame(errFrame(f.ClientMsgID, protocol.CodeInternal, "internal error"))
		return
	}
	switch f.Type {
	case protocol.FrameAccept:
		ch, err := s.cfg.Chats.Accept(ctx, f.ChatID, agent)
		if err != nil {
			e := chats.ErrorOf(err)
			c.enqueueFrame(protocol.Frame{Type: protocol.FrameAccepted, ChatID: f.ChatID, Error: &protocol.APIError{Code: e.Code, Message: e.Message}})
			return
		}
		state, err := s.cfg.Chats.State(ctx, ch)
		if err != nil {
			s.log.Error("agent socket: chat state", "err", err)
		}
		c.enqueueFrame(protocol.Frame{Type: protocol.FrameAccepted, ChatID: ch.ID, Chat: state})
		c.watch(ch.ID, 0)
	case protocol.FrameWatch:
		if err := s.cfg.Chats.Follow(ctx, f.ChatID, agent); err != nil {
			e := chats.ErrorOf(err)
			c.enqueueFrame(protocol.Frame{Type: protocol.FrameError, ChatID: f.ChatID, Error: e})
			return
		}
		c.watch(f.ChatID, f.AfterSeq)
	case protocol.FrameTyping:
		if f.Typing != nil {
			if _, err := s.cfg.Chats.AgentChat(ctx, f.ChatID, agent); err == nil {
				s.cfg.Chats.PublishTyping(f.ChatID, protocol.FromAgent, *f.Typing)
			}
		}
	case protocol.FrameEnd:
		if err := s.cfg.Chats.AgentEnd(ctx, f.ChatID, agent); err != nil {
			e := chats.ErrorOf(err)
			c.enqueueFrame(errFrame("", e.Code, e.Message))
		}
	case protocol.FrameHello:
		// As on a visitor's socket, a hello (re)synchronises: the agent's
		// state is the queue (the console re-watches its chats itself).
		c.push(item{ev: &chats.Event{Topic: chats.QueueTopic}})
	}
}

// send stores an agent's message while their session holds, checked by
// the statement that stores it; once it does not, the socket closes as
// check closes it.
func (a *agentSocket) send(ctx context.Context, f protocol.Frame) {
	s, c := a.srv, a.c
	ack, err := s.cfg.Chats.AgentSend(ctx, f.ChatID, a.agent.Load(), a.session, protocol.SendRequest{ClientMsgID: f.ClientMsgID, Text: f.Text})
	if errors.Is(err, store.ErrSessionEnded) {
		if _, err = a.check(ctx); errors.Is(err, errSessionEnded) {
			return
		}
		// The store found no session where this check finds one.
		s.log.Error("agent socket: a message refused for a session that holds", "agent", a.agentID, "err", err)
		c.enqueueFrame(errFrame(f.ClientMsgID, protocol.CodeInternal, "internal error"))
		return
	}
	if err != nil {
		e := chats.ErrorOf(err)
		c.enqueueFrame(errFrame(f.ClientMsgID, e.Code, e.Message))
		return
	}
	c.enqueueFrame(protocol.Frame{Type: protocol.FrameAck, ChatID: f.ChatID, ClientMsgID: ack.ClientMsgID, Seq: ack.Seq, Duplicate: ack.Duplicate})
}

// agentOnline counts the agent's consoles on this node (delta +1 as one
// opens, -1 as it closes) and tells the store when the first opens and
// the last closes: the store keeps each node's word apart, so a close
// here never sets offline an agent whose console is open on another
// node. A console that opened here while the close was being written is
// written again, lest the close's delete outrun its open.
func (s *Server) agentOnline(ctx context.Context, id int64, delta int) {
	s.agentMu.Lock()
	s.agentConns[id] += delta
	n := s.agentConns[id]
	if n <= 0 {
		delete(s.agentConns, id)
	}
	s.agentMu.Unlock()
	switch {
	case delta > 0 && n == 1:
		if err := s.cfg.Chats.AgentConsoleOpened(ctx, s.cfg.Node, id); err != nil {
			s.log.Warn("set agent presence: a console opened", "agent", id, "err", err)
		}
	case delta < 0 && n <= 0:
		if err := s.cfg.Chats.AgentConsoleClosed(ctx, s.cfg.Node, id); err != nil {
			s.log.Warn("set agent presence: the last console closed", "agent", id, "err", err)
		}
		s.agentMu.Lock()
		reopened := s.agentConns[id] > 0
		s.agentMu.Unlock()
		if reopened {
			if err := s.cfg.Chats.AgentConsoleOpened(ctx, s.cfg.Node, id); err != nil {
				s.log.Warn("set agent presence: a console opened", "agent", id, "err", err)
			}
		}
	}
}

// adopt follows the live chats of the agent that the socket does not
// follow yet — handed to them by a transfer, on whatever node — each
// announced as an accepted chat, so that the console opens it with its
// whole history.
func (a *agentSocket) adopt(ctx context.Context) {
	ids, err := a.srv.cfg.Chats.LiveChatIDs(ctx, a.agentID)
	if err != nil {
		a.srv.log.Warn("agent socket: list live chats", "agent", a.agentID, "err", err)
		return
	}
	for _, id := range ids {
		a.c.mu.Lock()
		known := a.c.watches.get(id) != nil
		a.c.mu.Unlock()
		if known {
			continue
		}
		state, err := a.srv.cfg.Chats.ChatState(ctx, id)
		if err != nil {
			a.srv.log.Warn("agent socket: a handed chat's state", "chat", id, "err", err)
			continue
		}
		a.c.enqueueFrame(protocol.Frame{Type: protocol.FrameAccepted, ChatID: id, Chat: state})
		a.c.watch(id, 0)
	}
}

// readTeams reads the teams of the socket's agent again: the queue shows
// their teams' chats.
func (a *agentSocket) readTeams(ctx context.Context) {
	teams, err := a.srv.cfg.Chats.TeamsOf(ctx, a.agentID)
	if err != nil {
		a.srv.log.Warn("agent socket: read the agent's teams", "agent", a.agentID, "err", err)
		return
	}
	a.c.mu.Lock()
	a.c.teams = teams
	a.c.mu.Unlock()
}
