package chats

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"halochat/app/flow"
	"halochat/app/i18n"
	"halochat/app/protocol"
	"halochat/backend/store"
)

// Teams route chats (store.Team): a flow's transfer step names one, or an
// agent transfers a chat to one. Every hand-over is one conditional
// UPDATE of the chat (store.ChatAdvance's HeldBy, Taker and WithinCap),
// so two nodes never give one chat to two agents, nor an agent more
// chats than their cap: the database decides, not a node's memory.

// RouteEvery is how often RouteTeamChats runs (RunWorker).
const RouteEvery = 5 * time.Second

// AgentTopic is the topic that hints an agent's consoles that their
// account, sessions or chats changed (a chat handed to them): they read
// the database again.
func AgentTopic(agentID int64) string { return "agent:" + strconv.FormatInt(agentID, 10) }

// tellAgent hints agent id's consoles, on every node, to read their
// chats again.
func (s *Service) tellAgent(id int64) {
	if s.pub != nil && id > 0 {
		s.pub.Publish(Event{Topic: AgentTopic(id)})
	}
}

// routedTeam returns the team a transfer step names, or nil for none and
// for a team deleted since the flow was written (its chats then go to
// any agent, as before teams).
func (s *Service) routedTeam(ctx context.Context, id int64) (*store.Team, error) {
	if id <= 0 {
		return nil, nil
	}
	t, err := s.store.GetTeam(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		s.log.Warn("a transfer step names a team that does not exist: any agent may take the chat", "team", id)
		return nil, nil
	}
	return t, err
}

// teamNobodyIn says why team t cannot take a chat now ("" when it can):
// an auto team needs a member online below their cap, a manual team a
// member online.
func (s *Service) teamNobodyIn(ctx context.Context, t *store.Team) (string, error) {
	free, err := s.store.FreeMembers(ctx, t.ID, nil)
	if err != nil {
		return "", err
	}
	if len(free) > 0 {
		return "", nil
	}
	if t.Mode == store.TeamAuto {
		return protocol.NobodyInNoAgent, nil
	}
	for _, m := range t.Members {
		if on, err := s.store.AgentOnline(ctx, m); err != nil || on {
			return "", err
		}
	}
	return protocol.NobodyInNoAgent, nil
}

// offer offers queued chat c of an auto team to its least busy free
// member but those in except: the first whose cap still allows it when
// the update runs. It reports whether one took the offer; false when
// nobody could, or the chat moved meanwhile (another node offered it,
// an agent accepted it, it ended).
func (s *Service) offer(ctx context.Context, c *store.Chat, except []int64) (bool, error) {
	free, err := s.store.FreeMembers(ctx, c.TeamID, except)
	if err != nil {
		return false, err
	}
	prev := c.AgentID
	for _, m := range free {
		now, id := s.store.Now(), m.AgentID
		res, err := s.store.AdvanceChat(ctx, c.ID, store.ChatAdvance{ExpectStatus: store.ChatQueued, HeldBy: &prev,
			WithinCap: true, Update: store.ChatUpdate{AgentID: &id, OfferedAt: &now}})
		if err != nil {
			return false, err
		}
		if res.Applied {
			s.log.Info("chat offered", "chat", c.ID, "team", c.TeamID, "agent", id, "open", m.Open)
			s.publishQueue(c.ID)
			s.tellAgent(id)
			return true, nil
		}
		cur, err := s.store.GetChat(ctx, c.ID)
		if err != nil {
			return false, err
		}
		if cur.Status != store.ChatQueued || cur.AgentID != prev {
			return false, nil // moved on without us
		}
		// m filled up meanwhile: the next one.
	}
	return false, nil
}

// RouteTeamChats moves the queued chats of teams on: an offer not
// accepted within its team's timeout, or whose agent went offline, goes
// to the next free member; a chat nobody could take within the timeout
// takes its fallback (the transfer step's; a chat past its flow's
// transfer ends). (A live chat whose agent is gone goes back to its team
// through RequeueGone.) It returns how many chats it moved.
func (s *Service) RouteTeamChats(ctx context.Context) (int, error) {
	list, err := s.store.TeamChatsToRoute(ctx)
	if err != nil {
		return 0, fmt.Errorf("route team chats: %w", err)
	}
	teams := map[int64]*store.Team{}
	n := 0
	for i := range list {
		c := &list[i]
		t := teams[c.TeamID]
		if t == nil {
			if t, err = s.store.GetTeam(ctx, c.TeamID); err != nil {
				s.log.Warn("route team chats: read the team", "chat", c.ID, "team", c.TeamID, "err", err)
				continue
			}
			teams[c.TeamID] = t
		}
		moved, err := s.routeOne(ctx, c, t)
		if err != nil {
			s.log.Warn("route a team chat", "chat", c.ID, "err", err)
			continue
		}
		if moved {
			n++
		}
	}
	return n, nil
}

// routeOne is RouteTeamChats' work on chat c of team t.
func (s *Service) routeOne(ctx context.Context, c *store.Chat, t *store.Team) (bool, error) {
	now := s.store.Now()
	timeout := time.Duration(t.AcceptTimeout) * time.Second
	waited := func(since time.Time) bool { return timeout > 0 && !since.IsZero() && !now.Before(since.Add(timeout)) }
	if c.AgentID != 0 { // an offer
		on, err := s.store.AgentOnline(ctx, c.AgentID)
		if err != nil || (on && !waited(c.OfferedAt)) {
			return false, err
		}
		ok, err := s.offer(ctx, c, []int64{c.AgentID})
		if err != nil || ok {
			return ok, err
		}
		return s.unattended(ctx, c)
	}
	if t.Mode == store.TeamAuto {
		if ok, err := s.offer(ctx, c, nil); err != nil || ok {
			return ok, err
		}
	}
	if !waited(c.QueuedAt) {
		return false, nil
	}
	return s.unattended(ctx, c)
}

// agentGone hands live chat c of team t, whose agent is gone
// (RequeueGone), back to the team: queued again, and offered to the next
// member (auto).
func (s *Service) agentGone(ctx context.Context, c *store.Chat, t *store.Team) (bool, error) {
	gone := c.AgentID
	name := i18n.T(chatLang(c), i18n.TheAgent)
	if a, err := s.store.GetAgent(ctx, gone); err == nil {
		name = a.Name
	}
	queued, now, none, never := store.ChatQueued, s.store.Now(), int64(0), time.Time{}
	res, err := s.store.AdvanceChat(ctx, c.ID, store.ChatAdvance{ExpectStatus: store.ChatLive, ExpectAgentID: gone,
		Transfer: gone, Update: store.ChatUpdate{Status: &queued, AgentID: &none, QueuedAt: &now, OfferedAt: &never},
		Messages: []store.Message{systemMessage(i18n.F(chatLang(c), i18n.AgentGone, name, t.Name),
			protocol.ChatMessage{Event: protocol.EventTransferred})}})
	if err != nil || !res.Applied {
		return false, err
	}
	s.log.Info("chat back to its team: its agent is gone", "chat", c.ID, "team", t.ID, "agent", gone)
	s.publish(c.ID, res.Messages)
	s.publishQueue(c.ID)
	s.tellAgent(gone)
	if t.Mode == store.TeamAuto {
		if _, err := s.offer(ctx, res.Chat, []int64{gone}); err != nil {
			return true, err
		}
	}
	return true, nil
}

// unattended gives queued chat c, which nobody of its team can take, its
// fallback.
func (s *Service) unattended(ctx context.Context, c *store.Chat) (bool, error) {
	s.log.Info("team chat unattended: its fallback", "chat", c.ID, "team", c.TeamID)
	return s.fallback(ctx, c.ID)
}

// TransferRequest is POST /api/Chat/{id}/transfer: to one agent or one
// team, with a note for the next agent.
type TransferRequest = protocol.TransferRequest

// Transfer hands live chat chatID from agent from (who holds it, or an
// admin) to another agent or a team, with req.Note as an internal note
// before it. To an agent (online, below their cap) or an auto team (its
// least busy free member but from) the chat stays live with the new
// agent and the visitor reads i18n.TransferredTo; to a manual team it waits in
// the team's queue. The change is one conditional update of the chat,
// whose event is chat.transferred.
func (s *Service) Transfer(ctx context.Context, chatID string, from *store.Agent, req TransferRequest) (*store.Chat, error) {
	if (req.AgentID == 0) == (req.TeamID == 0) {
		return nil, &protocol.APIError{Code: protocol.CodeInvalidRequest, Field: "agentId",
			Message: "name one agent (agentId) or one team (teamId) to transfer the chat to"}
	}
	if err := s.checkNote(req.Note, "note", false); err != nil {
		return nil, err
	}
	unlock := s.lock(chatID)
	defer unlock()
	c, err := s.chat(ctx, chatID)
	if err != nil {
		return nil, err
	}
	if c.Status == store.ChatEnded {
		return nil, errChatEnded(chatID)
	}
	if c.Status != store.ChatLive || (c.AgentID != from.ID && from.Role != store.RoleAdmin) {
		return nil, refuse(protocol.CodeAccessDenied, "chat %s is not live with you", chatID)
	}
	var lead []store.Message
	if req.Note != "" {
		lead = append(lead, noteMessage(from, req.Note))
	}
	if req.AgentID != 0 {
		return s.transferToAgent(ctx, c, from, req.AgentID, lead)
	}
	t, err := s.store.GetTeam(ctx, req.TeamID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, &protocol.APIError{Code: protocol.CodeInvalidRequest, Field: "teamId", Message: fmt.Sprintf("no team %d", req.TeamID)}
	}
	if err != nil {
		return nil, err
	}
	if t.Mode == store.TeamManual {
		return s.transferToQueue(ctx, c, from, t, lead)
	}
	free, err := s.store.FreeMembers(ctx, t.ID, []int64{c.AgentID})
	if err != nil {
		return nil, err
	}
	for _, m := range free {
		ch, err := s.handTo(ctx, c, from, m.AgentID, m.Name, t.ID, lead)
		if err == nil || !errors.Is(err, errFull) {
			return ch, err
		}
	}
	return nil, refuse(protocol.CodeConflict, "nobody in team %q can take the chat now (online, below their cap)", t.Name)
}

// errFull: the agent a chat was handed to reached their cap first.
var errFull = errors.New("the agent holds as many chats as their cap")

func (s *Service) transferToAgent(ctx context.Context, c *store.Chat, from *store.Agent, to int64, lead []store.Message) (*store.Chat, error) {
	a, err := s.store.GetAgent(ctx, to)
	if errors.Is(err, store.ErrNotFound) {
		return nil, &protocol.APIError{Code: protocol.CodeInvalidRequest, Field: "agentId", Message: fmt.Sprintf("no agent %d", to)}
	}
	if err != nil {
		return nil, err
	}
	if a.ID == c.AgentID {
		return nil, &protocol.APIError{Code: protocol.CodeInvalidRequest, Field: "agentId", Message: fmt.Sprintf("agent %d holds the chat already", to)}
	}
	on, err := s.store.AgentOnline(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	if !on {
		return nil, refuse(protocol.CodeConflict, "agent %d (%s) is not online", a.ID, a.Name)
	}
	ch, err := s.handTo(ctx, c, from, a.ID, a.Name, 0, lead)
	if errors.Is(err, errFull) {
		return nil, refuse(protocol.CodeConflict, "agent %d (%s) holds %d chats, their cap", a.ID, a.Name, a.MaxChats)
	}
	return ch, err
}

// handTo gives live chat c to agent to (name), within their cap, and
// into team (0: keep the chat's): errFull when the cap was reached.
func (s *Service) handTo(ctx context.Context, c *store.Chat, from *store.Agent, to int64, name string, team int64, lead []store.Message) (*store.Chat, error) {
	now := s.store.Now()
	adv := store.ChatAdvance{ExpectStatus: store.ChatLive, ExpectAgentID: c.AgentID, WithinCap: true, Transfer: from.ID,
		Update: store.ChatUpdate{AgentID: &to, AcceptedAt: &now}}
	if team != 0 {
		adv.Update.TeamID = &team
	}
	adv.Messages = append(append([]store.Message{}, lead...), systemMessage(i18n.F(chatLang(c), i18n.TransferredTo, name),
		protocol.ChatMessage{Event: protocol.EventTransferred, AgentName: name}))
	res, err := s.store.AdvanceChat(ctx, c.ID, adv)
	if err != nil {
		return nil, err
	}
	if !res.Applied {
		cur, err := s.store.GetChat(ctx, c.ID)
		if err != nil {
			return nil, err
		}
		if cur.Status != store.ChatLive || cur.AgentID != c.AgentID {
			return nil, refuse(protocol.CodeConflict, "chat %s moved meanwhile (status %s)", c.ID, cur.Status)
		}
		return nil, errFull
	}
	s.log.Info("chat transferred", "chat", c.ID, "from", c.AgentID, "to", to, "team", team)
	s.publish(c.ID, res.Messages)
	s.tellAgent(to)
	s.tellAgent(c.AgentID)
	return res.Chat, nil
}

// transferToQueue puts live chat c in manual team t's queue.
func (s *Service) transferToQueue(ctx context.Context, c *store.Chat, from *store.Agent, t *store.Team, lead []store.Message) (*store.Chat, error) {
	queued, now, none, never, team := store.ChatQueued, s.store.Now(), int64(0), time.Time{}, t.ID
	adv := store.ChatAdvance{ExpectStatus: store.ChatLive, ExpectAgentID: c.AgentID, Transfer: from.ID,
		Update: store.ChatUpdate{Status: &queued, AgentID: &none, QueuedAt: &now, OfferedAt: &never, TeamID: &team}}
	adv.Messages = append(append([]store.Message{}, lead...), systemMessage(i18n.F(chatLang(c), i18n.TransferredToTeam, t.Name),
		protocol.ChatMessage{Event: protocol.EventTransferred}))
	res, err := s.store.AdvanceChat(ctx, c.ID, adv)
	if err != nil {
		return nil, err
	}
	if !res.Applied {
		return nil, refuse(protocol.CodeConflict, "chat %s moved meanwhile", c.ID)
	}
	s.log.Info("chat transferred to a team's queue", "chat", c.ID, "from", c.AgentID, "team", t.ID)
	s.publish(c.ID, res.Messages)
	s.publishQueue(c.ID)
	s.tellAgent(c.AgentID)
	return res.Chat, nil
}

// noteMessage is agent a's internal note text.
func noteMessage(a *store.Agent, text string) store.Message {
	return store.Message{Sender: store.SenderAgent, AgentID: a.ID, Text: text, Internal: true,
		Payload: payload(protocol.ChatMessage{AgentName: a.Name, Internal: true})}
}

// checkNote checks a note's text (field names it): not longer than a
// message may be; required unless optional.
func (s *Service) checkNote(text, field string, required bool) error {
	if strings.TrimSpace(text) == "" {
		if !required {
			return nil
		}
		return &protocol.APIError{Code: protocol.CodeInvalidRequest, Field: field, Message: "the note is empty"}
	}
	if err := s.checkText(text); err != nil {
		var e *protocol.APIError
		if errors.As(err, &e) {
			e.Field = field
		}
		return err
	}
	return nil
}

// AddNote stores agent a's internal note in chat chatID, which a may
// read (any status but ended): agents read it, the visitor never (their
// socket, API and the ticket's transcript leave it out; a webhook's
// chat.message marks it internal).
func (s *Service) AddNote(ctx context.Context, chatID string, a *store.Agent, req protocol.SendRequest) (protocol.Ack, error) {
	ack := protocol.Ack{V: protocol.ProtocolVersion, ClientMsgID: req.ClientMsgID}
	if err := s.checkNote(req.Text, "text", true); err != nil {
		return ack, err
	}
	c, err := s.chat(ctx, chatID)
	if err != nil {
		return ack, err
	}
	if err := s.mayRead(ctx, c, a, false); err != nil {
		return ack, err
	}
	msg := noteMessage(a, req.Text)
	msg.ClientMsgID = req.ClientMsgID
	res, err := s.store.AdvanceChat(ctx, chatID, store.ChatAdvance{NotEnded: true, Messages: []store.Message{msg}})
	return s.acked(chatID, ack, res, err)
}

// ForVisitor leaves out of msgs what the visitor never reads: agents'
// internal notes. Every path to a visitor passes its messages through it.
func ForVisitor(msgs []store.Message) []store.Message {
	out := msgs[:0:0]
	for _, m := range msgs {
		if !m.Internal {
			out = append(out, m)
		}
	}
	if len(out) == len(msgs) {
		return msgs
	}
	return out
}

// afterTransferStep reports whether chat c's flow is past its transfer
// step (an agent had it: a transfer or a requeue put it back), or it has
// no flow: its fallback is then its end, not the step's fallback.
func afterTransferStep(c *store.Chat) bool {
	if c.FlowID == 0 {
		return true
	}
	st, err := decodeState(c.FlowState)
	return err != nil || st.Status != flow.StatusAwaitingAgent
}

// enqueueTo says why a transfer step to team (0: any agent) of a chat of
// profile finds nobody in ("" when it queues the chat), and the team it
// queues for (nil: any agent).
func (s *Service) enqueueTo(ctx context.Context, profile string, team int64) (string, *store.Team, error) {
	why, err := s.nobodyIn(ctx, profile)
	if err != nil || why != "" {
		return why, nil, err
	}
	t, err := s.routedTeam(ctx, team)
	if err != nil || t == nil {
		return "", nil, err
	}
	why, err = s.teamNobodyIn(ctx, t)
	return why, t, err
}

// notYours says why queued chat c (as read before an accept that did not
// apply) is not agent a's to take, or nil when it may be (the accept
// lost a race: read again).
func (s *Service) notYours(ctx context.Context, c *store.Chat, a *store.Agent) error {
	if c.AgentID != 0 && c.AgentID != a.ID {
		return refuse(protocol.CodeAlreadyClaimed, "chat %s is offered to another agent", c.ID)
	}
	if c.TeamID != 0 {
		teams, err := s.store.TeamsOf(ctx, a.ID)
		if err != nil {
			return err
		}
		if !slices.Contains(teams, c.TeamID) {
			return refuse(protocol.CodeForbidden, "chat %s waits for team %d, which you are not in", c.ID, c.TeamID)
		}
	}
	open, err := s.store.OpenChats(ctx, a.ID)
	if err != nil {
		return err
	}
	if open >= a.MaxChats && a.MaxChats > 0 {
		return refuse(protocol.CodeConflict, "you hold %d chats, your cap: end one before you accept another", open)
	}
	return nil
}

// TransferTargets lists whom an agent may hand a chat to: the enabled
// agents (whether online now) and the teams.
func (s *Service) TransferTargets(ctx context.Context) (*protocol.TransferTargets, error) {
	agents, err := s.store.ListAgents(ctx)
	if err != nil {
		return nil, fmt.Errorf("list the agents to transfer to: %w", err)
	}
	teams, err := s.store.ListTeams(ctx)
	if err != nil {
		return nil, fmt.Errorf("list the teams to transfer to: %w", err)
	}
	online, err := s.store.OnlineAgentIDs(ctx)
	if err != nil {
		return nil, fmt.Errorf("list the agents to transfer to: %w", err)
	}
	out := &protocol.TransferTargets{Agents: []protocol.TransferAgent{}, Teams: []protocol.TransferTeam{}}
	for _, a := range agents {
		if !a.Disabled {
			out.Agents = append(out.Agents, protocol.TransferAgent{ID: a.ID, Name: a.Name, Online: online[a.ID]})
		}
	}
	for _, t := range teams {
		out.Teams = append(out.Teams, protocol.TransferTeam{ID: t.ID, Name: t.Name, Mode: t.Mode})
	}
	return out, nil
}
