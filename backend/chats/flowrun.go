package chats

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"halochat/app/flow"
	"halochat/app/i18n"
	"halochat/app/protocol"
	"halochat/backend/attach"
	"halochat/backend/store"
)

// errStateMoved: another node (or a call on this one) moved the chat's
// flow first. The caller reloads the chat and tries again.
var errStateMoved = errors.New("chat flow state moved")

func prompt(v *flow.Validation) *protocol.Prompt {
	if v == nil {
		return nil
	}
	return &protocol.Prompt{Required: v.Required, Type: v.Type, Pattern: v.Pattern, Min: v.Min, Max: v.Max, MaxLength: v.MaxLength}
}

// outputMessages turns the shown outputs of a Run into bot messages: a
// prompt or buttons ride on the message of their step. A refused answer
// whose step has no error text of its own is told why in lang.
func outputMessages(outs []flow.Output, lang i18n.Lang) []store.Message {
	var msgs []store.Message
	var meta []protocol.ChatMessage
	attach := func(step int, f func(*protocol.ChatMessage)) {
		if n := len(meta); n > 0 && meta[n-1].Step == step {
			f(&meta[n-1])
			return
		}
		msgs = append(msgs, store.Message{Sender: store.SenderBot})
		meta = append(meta, protocol.ChatMessage{Step: step})
		f(&meta[len(meta)-1])
	}
	for _, o := range outs {
		switch o.Kind {
		case flow.OutMessage:
			msgs = append(msgs, store.Message{Sender: store.SenderBot, Text: o.Text})
			meta = append(meta, protocol.ChatMessage{Step: o.Step})
		case flow.OutPrompt:
			attach(o.Step, func(m *protocol.ChatMessage) { m.Prompt = prompt(o.Validation) })
		case flow.OutChoices:
			attach(o.Step, func(m *protocol.ChatMessage) { m.Choices = o.Choices })
		case flow.OutInvalidAnswer:
			text := o.Text
			if text == "" {
				text = i18n.T(lang, i18n.Invalid(o.Reason))
			}
			msgs = append(msgs, store.Message{Sender: store.SenderBot, Text: text})
			meta = append(meta, protocol.ChatMessage{Step: o.Step, Invalid: o.Reason})
		}
	}
	for i := range msgs {
		msgs[i].Payload = payload(meta[i])
	}
	return msgs
}

// action returns the first action output of a Run (at most one: Run
// stops at the step that asks for it).
func action(outs []flow.Output) *flow.Output {
	for i := range outs {
		switch outs[i].Kind {
		case flow.OutCreateTicket, flow.OutCallRunbook, flow.OutEnqueue, flow.OutEnd:
			return &outs[i]
		}
	}
	return nil
}

// runFlow feeds in to chat c's flow and performs what the outputs ask
// (tickets, runbooks, the queue, the end), committing state and messages
// after each Run. lead are messages stored before the bot's (the
// visitor's answer). endReason is the reason recorded if the flow ends.
// It returns every message stored, or a Duplicate when lead[0] was a
// resend. The caller holds the chat's lock.
func (s *Service) runFlow(ctx context.Context, c *store.Chat, rt *runtime, in flow.Input, lead []store.Message, endReason string) ([]store.Message, *store.Message, error) {
	return s.runFlowFrom(ctx, c, nil, rt, in, lead, endReason)
}

// newChat is a chat runFlowFrom creates with its first commit.
type newChat struct {
	fields []store.ChatFieldValue
	// with is what the chat's creation stores beside it: the identity
	// token's use (a token used before creates nothing,
	// store.ErrTokenUsed) and the token's new user (taken meanwhile:
	// store.ErrUserTaken).
	with store.ChatWith
	// chat is the chat as the run left it (set by runFlowFrom).
	chat *store.Chat
}

// runFlowFrom is runFlow; when create is set, c is not stored yet and the
// run's first commit creates it with create.fields (one transaction: a
// start whose first step fails to commit leaves no chat).
func (s *Service) runFlowFrom(ctx context.Context, c *store.Chat, create *newChat, rt *runtime, in flow.Input, lead []store.Message, endReason string) ([]store.Message, *store.Message, error) {
	st, err := decodeState(c.FlowState)
	if err != nil {
		return nil, nil, err
	}
	var all []store.Message
	var carry store.ChatUpdate // applied with the next commit
	for {
		next, outs, err := rt.prog.Run(rt.env, st, in)
		if err != nil {
			return all, nil, flowError(err)
		}
		for _, o := range outs {
			if o.Kind == flow.OutTrace {
				s.log.Debug("flow", "chat", c.ID, "step", o.Step, "trace", o.Text)
			}
		}
		msgs := append(lead, outputMessages(outs, chatLang(c))...)
		lead = nil
		raw := encodeState(next)
		adv := store.ChatAdvance{CheckState: true, ExpectState: c.FlowState, NotEnded: true, Messages: msgs, Update: carry}
		adv.Update.FlowState = &raw
		carry = store.ChatUpdate{}
		act := action(outs)
		var nextIn *flow.Input
		var routeTo *store.Team // an auto team's: offer the chat once queued
		queued := false
		if act != nil {
			switch act.Kind {
			case flow.OutEnqueue:
				why, team, err := s.enqueueTo(ctx, c.ProfileID, act.Team)
				if err != nil {
					return all, nil, err
				}
				if why != "" {
					x := flow.Agent(flow.AgentUnavailable)
					nextIn = &x
					adv.Messages = append(adv.Messages, systemMessage(nobodyInText(chatLang(c), why),
						protocol.ChatMessage{Event: protocol.EventNobodyIn, Reason: why}))
				} else {
					status, now := store.ChatQueued, s.store.Now()
					adv.Update.Status, adv.Update.QueuedAt = &status, &now
					adv.ExpectStatus = store.ChatBot
					if team != nil {
						adv.Update.TeamID = &team.ID
						routeTo = team
					}
					adv.Messages = append(adv.Messages, systemMessage(i18n.T(chatLang(c), i18n.Queued),
						protocol.ChatMessage{Event: protocol.EventQueued}))
					queued = true
				}
			case flow.OutEnd:
				s.endUpdate(&adv, c, endReason, ticketID(next.TicketID))
			}
		}
		var res store.AdvanceResult
		// A chat's first commit creates it: its id was known to nobody
		// before, so no socket on any node can follow it yet, and its
		// messages are not published (the visitor gets them in the start's
		// answer; the cluster broker would carry them to nobody).
		fresh := create != nil && create.chat == nil
		if fresh {
			res, err = s.store.CreateChatUsing(ctx, c, create.fields, &adv, create.with)
		} else {
			res, err = s.store.AdvanceChat(ctx, c.ID, adv)
		}
		if err != nil {
			return all, nil, err
		}
		if res.Duplicate != nil {
			return all, res.Duplicate, nil
		}
		if !res.Applied {
			if len(all) == 0 {
				return nil, nil, errStateMoved
			}
			return all, nil, fmt.Errorf("chat %s: flow state moved during a run", c.ID)
		}
		c = res.Chat
		if create != nil {
			create.chat = c
		}
		all = append(all, res.Messages...)
		if !fresh {
			s.publish(c.ID, res.Messages)
		}
		if queued || c.Status == store.ChatEnded {
			s.publishQueue(c.ID)
		}
		if routeTo != nil && routeTo.Mode == store.TeamAuto {
			if _, err := s.offer(ctx, c, nil); err != nil {
				s.log.Warn("offer a chat to its team", "chat", c.ID, "team", routeTo.ID, "err", err) // the router tries again
			}
		}
		if act != nil {
			switch act.Kind {
			case flow.OutCreateTicket:
				id, err := s.createTicket(ctx, c, act.Summary)
				if err != nil {
					return all, nil, err
				}
				x := flow.TicketCreated(strconv.FormatInt(id, 10))
				nextIn = &x
				carry.TicketID = &id
				lead = []store.Message{systemMessage(i18n.F(chatLang(c), i18n.TicketLogged, id),
					protocol.ChatMessage{Event: protocol.EventTicketCreated, TicketID: id})}
			case flow.OutCallRunbook:
				ok, body := s.callRunbook(ctx, c, rt, next, act)
				x := flow.RunbookResult(ok, body)
				nextIn = &x
			}
		}
		if nextIn == nil {
			return all, nil, nil
		}
		st, in = next, *nextIn
	}
}

func ticketID(s string) int64 {
	id, _ := strconv.ParseInt(s, 10, 64)
	return id
}

// endUpdate makes adv end the chat with a system message.
func (s *Service) endUpdate(adv *store.ChatAdvance, c *store.Chat, reason string, ticket int64) {
	status, now := store.ChatEnded, s.store.Now()
	adv.Update.Status, adv.Update.EndedAt, adv.Update.EndReason = &status, &now, &reason
	if ticket != 0 {
		adv.Update.TicketID = &ticket
	}
	if ticket == 0 {
		ticket = c.TicketID
	}
	adv.NotEnded = true
	adv.Messages = append(adv.Messages, systemMessage(endText(chatLang(c), reason),
		protocol.ChatMessage{Event: protocol.EventChatEnded, Reason: reason, TicketID: ticket}))
}

// endText is the system message of a chat that ended for reason, in l.
func endText(l i18n.Lang, reason string) string {
	key := i18n.EndedOther
	switch reason {
	case protocol.EndByVisitor:
		key = i18n.EndedByVisitor
	case protocol.EndByAgent:
		key = i18n.EndedByAgent
	case protocol.EndIdle:
		key = i18n.EndedIdle
	case protocol.EndReplaced, protocol.EndRestarted:
		key = i18n.EndedReplaced
	case protocol.EndLogout:
		key = i18n.EndedLogout
	case protocol.EndUnattended:
		key = i18n.EndedUnattended
	}
	return i18n.T(l, key)
}

// flowError maps an app/flow error to a refusal.
func flowError(err error) error {
	var fe *flow.Error
	if !errors.As(err, &fe) {
		return err
	}
	switch fe.Code {
	case flow.CodeStartStepNotAllowed:
		return &protocol.APIError{Code: protocol.CodeStartStepNotAllowed, Field: "startStepOverride", Message: fe.Message}
	case flow.CodeStartStepNotFound:
		return &protocol.APIError{Code: protocol.CodeStartStepNotFound, Field: "startStepOverride", Message: fe.Message}
	case flow.CodeEnded:
		return refuse(protocol.CodeChatEnded, "%s", fe.Message)
	case flow.CodeUnexpectedInput, flow.CodeInvalidChoice, flow.CodeInvalidInput:
		return refuse(protocol.CodeUnexpectedInput, "%s", fe.Message)
	}
	return fmt.Errorf("run flow: %w", err)
}

// transcriptStyle says how a transcript names who wrote each message
// and shows a file.
type transcriptStyle struct {
	visitor, bot, system, agent string
	file                        func(chatID string, at *protocol.Attachment) string
}

// ticketStyle is a ticket's transcript, for agents: English, a file as
// its name, size and the agents' download link under publicURL.
func ticketStyle(publicURL string) transcriptStyle {
	return transcriptStyle{visitor: "Visitor", bot: "Bot", system: "System", agent: "Agent",
		file: func(chatID string, at *protocol.Attachment) string {
			text := fmt.Sprintf("[file] %s (%s)", at.Name, attach.Bytes(at.Size))
			if publicURL != "" {
				text += " " + publicURL + protocol.AgentAttachmentURL(chatID, at.ID)
			}
			return text
		}}
}

// mailStyle is the transcript a visitor gets by mail, in l: a file as
// its name, size and link (its signed download link; none when link is
// nil).
func mailStyle(l i18n.Lang, link func(chatID string, at *protocol.Attachment) string) transcriptStyle {
	return transcriptStyle{visitor: i18n.S(l, i18n.MailVisitor), bot: i18n.S(l, i18n.MailBot),
		system: i18n.S(l, i18n.MailSystem), agent: i18n.S(l, i18n.MailAgent),
		file: func(chatID string, at *protocol.Attachment) string {
			text := i18n.SF(l, i18n.MailFile, at.Name, i18n.Size(l, at.Size))
			if link != nil {
				text += "\n    " + link(chatID, at)
			}
			return text
		}}
}

// transcript renders a chat's messages as text for a ticket
// (ticketStyle; no links when publicURL is "").
func transcript(msgs []store.Message, agentNames map[int64]string, publicURL string) string {
	text, _ := writeTranscript(msgs, agentNames, ticketStyle(publicURL))
	return text
}

// writeTranscript renders msgs in style st, a line a message (an agent
// by name when agentNames has it), and says how many files they carry.
func writeTranscript(msgs []store.Message, agentNames map[int64]string, st transcriptStyle) (string, int) {
	var b strings.Builder
	files := 0
	for _, m := range msgs {
		who := m.Sender
		switch m.Sender {
		case store.SenderVisitor:
			who = st.visitor
		case store.SenderBot:
			who = st.bot
		case store.SenderSystem:
			who = st.system
		case store.SenderAgent:
			who = st.agent
			if n := agentNames[m.AgentID]; n != "" {
				who = n
			}
		}
		text := m.Text
		if at := WireMessage(m).Attachment; at != nil {
			text = st.file(m.ChatID, at)
			files++
		}
		fmt.Fprintf(&b, "[%s] %s: %s\n", m.CreatedAt.UTC().Format("2006-01-02 15:04:05Z"), who, text)
	}
	return b.String(), files
}

// createTicket logs the ticket a create_ticket step asks for: the
// profile's ticket type, the chat's user, the summary, the transcript,
// and the chat custom field values (ticketFieldValues).
func (s *Service) createTicket(ctx context.Context, c *store.Chat, summary string) (int64, error) {
	prof, err := s.store.CachedProfile(ctx, c.ProfileID)
	if err != nil {
		return 0, err
	}
	msgs, err := s.MessagesAfter(ctx, c.ID, 0)
	if err != nil {
		return 0, err
	}
	msgs = ForVisitor(msgs) // a ticket's transcript may be shown to its visitor
	names := s.agentNames(ctx, msgs)
	var values []store.TicketFieldValue
	if prof.TicketTypeID != 0 {
		chatVals, err := s.store.ChatFieldValues(ctx, c.ID)
		if err != nil {
			return 0, err
		}
		if values, err = s.ticketFieldValues(ctx, prof.TicketTypeID, chatVals); err != nil {
			return 0, err
		}
	}
	if strings.TrimSpace(summary) == "" {
		summary = "Chat " + c.ID
	}
	t := &store.Ticket{TicketTypeID: prof.TicketTypeID, UserID: c.UserID, ChatID: c.ID, ProfileID: c.ProfileID, Summary: summary,
		Details: transcript(msgs, names, s.publicURL)}
	notify := s.ticketMail(prof, i18n.MailNotifyFromChat)
	if err := s.store.CreateTicketWithMail(ctx, t, values, notify); err != nil {
		return 0, fmt.Errorf("log ticket for chat %s: %w", c.ID, err)
	}
	s.wakeMailer(notify)
	s.log.Info("ticket logged", "chat", c.ID, "ticket", t.ID, "fields", len(values))
	return t.ID, nil
}

// ticketFieldValues is the label sync of chat tickets: each chat custom
// field value in chatVals (their labels filled) copied to the ticket
// fields with the same label (exactly) that are assigned to ticket type
// typeID, each ticket field once.
func (s *Service) ticketFieldValues(ctx context.Context, typeID int64, chatVals []store.ChatFieldValue) ([]store.TicketFieldValue, error) {
	if typeID == 0 || len(chatVals) == 0 {
		return nil, nil
	}
	assigned, err := s.store.TicketTypeFields(ctx, typeID)
	if err != nil {
		return nil, err
	}
	var values []store.TicketFieldValue
	seen := map[int64]bool{}
	for _, v := range chatVals {
		for _, f := range assigned {
			if f.Label == v.Label && !seen[f.ID] {
				seen[f.ID] = true
				values = append(values, store.TicketFieldValue{FieldID: f.ID, Value: v.Value})
			}
		}
	}
	return values, nil
}
