package chats

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"
	"time"

	"halochat/app/flow"
	"halochat/app/protocol"
	"halochat/backend/identity"
	"halochat/backend/secret"
	"halochat/backend/store"
)

// StartRequest is a chat start as the HTTP layer hands it over.
type StartRequest struct {
	protocol.StartChatRequest
	// Context is store.ContextEmbedded for the widget on an external
	// site; portal and agent-app chats always start at the flow's start
	// step and get no chat custom fields.
	Context string
	// User is the logged-in portal user of a store.ContextPortal start
	// (required there): the chat is theirs, whatever token the request
	// carries.
	User *store.User
}

func originAllowed(p *store.ChatProfile, origin string) bool {
	if len(p.AllowedOrigins) == 0 {
		return true
	}
	o := protocol.NormalizeOrigin(origin)
	if o == "" {
		return false
	}
	for _, a := range p.AllowedOrigins {
		if protocol.NormalizeOrigin(a) == o {
			return true
		}
	}
	return false
}

// profileFor checks the profile id and key.
func (s *Service) profileFor(ctx context.Context, id, key string) (*store.ChatProfile, error) {
	if id == "" {
		return nil, &protocol.APIError{Code: protocol.CodeProfileNotFound, Field: "configId", Message: "configId is missing"}
	}
	p, err := s.store.CachedProfile(ctx, id)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrInvalid) {
		return nil, &protocol.APIError{Code: protocol.CodeProfileNotFound, Field: "configId", Message: fmt.Sprintf("no chat profile %q", id)}
	}
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare([]byte(p.Key), []byte(key)) != 1 {
		return nil, &protocol.APIError{Kind: protocol.KindUnproven, Code: protocol.CodeProfileNotFound, Field: "configKey", Message: "the configKey does not match the chat profile"}
	}
	return p, nil
}

// Verify returns the chat when resumeSecret is its resume secret.
func (s *Service) Verify(ctx context.Context, chatID, resumeSecret string) (*store.Chat, error) {
	if chatID == "" || resumeSecret == "" {
		return nil, errChatNotFound()
	}
	c, err := s.store.GetChat(ctx, chatID)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrInvalid) {
		return nil, errChatNotFound()
	}
	if err != nil {
		return nil, err
	}
	if c.ResumeSecretHash == "" || !secret.CheckKey(c.ResumeSecretHash, resumeSecret) {
		return nil, errChatNotFound()
	}
	return c, nil
}

// Start starts a chat for the widget, or resumes the browser's open one
// (SPEC §3, §4, §5). Refusals are *protocol.APIError; a refused start creates nothing.
func (s *Service) Start(ctx context.Context, req StartRequest) (*protocol.StartChatResponse, error) {
	if req.Context == "" {
		req.Context = store.ContextEmbedded
	}
	embedded := req.Context == store.ContextEmbedded
	portal := req.Context == store.ContextPortal
	p, err := s.profileFor(ctx, req.ConfigID, req.ConfigKey)
	if err != nil {
		return nil, err
	}
	if embedded && p.Access == store.AccessPortal {
		return nil, &protocol.APIError{Code: protocol.CodeAccessDenied,
			Message: "this chat profile is for logged-in users of the self-service portal: log in to the portal to chat (access: portal)"}
	}
	if embedded && p.Access != store.AccessPortalAndExternal {
		return nil, &protocol.APIError{Code: protocol.CodeAccessDenied,
			Message: "this chat profile is not open to external websites (access: " + p.Access + ")"}
	}
	if portal && p.Access != store.AccessPortal && p.Access != store.AccessPortalAndExternal {
		return nil, &protocol.APIError{Code: protocol.CodeAccessDenied,
			Message: "this chat profile is not open to the self-service portal (access: " + p.Access + ")"}
	}
	if portal && req.User == nil {
		return nil, &protocol.APIError{Code: protocol.CodeAccessDenied,
			Message: "a portal chat needs a logged-in portal user: log in to the portal"}
	}
	if embedded && !originAllowed(p, req.HostOrigin) {
		return nil, &protocol.APIError{Code: protocol.CodeOriginNotAllowed, Field: "hostOrigin",
			Message: fmt.Sprintf("the page origin %q is not allowed to embed this chat", req.HostOrigin)}
	}
	if p.FlowID == 0 {
		return nil, refuse(protocol.CodeNoFlow, "chat profile %s has no bot flow", p.ID)
	}

	// The identity is resolved once (single-use matching data is consumed
	// by resolving it).
	var id *identity.Identity
	if portal {
		// The portal session is the identity: no token, no chat custom
		// fields (SPEC §6).
		id = &identity.Identity{Authenticated: true, User: req.User}
	}
	resolve := func() error {
		if id != nil {
			return nil
		}
		got, err := s.ident.Resolve(ctx, p, identity.Request{IDToken: req.IDToken, Embedded: embedded, EmailHint: req.EmailHint})
		if err != nil {
			var ie *protocol.APIError
			if errors.As(err, &ie) {
				return ie
			}
			return fmt.Errorf("resolve identity: %w", err)
		}
		id = got
		return nil
	}

	// The browser's previous chat: resume it, or end it. A token for
	// another user than an authenticated chat's replaces that chat: one
	// user never sees another's chat (SPEC §3). With an anonymous chat
	// open the token is ignored (upgradeAnonChat is the way to sign it in).
	var endedID string
	if req.PreviousChatID != "" && req.ResumeSecret != "" {
		prev, err := s.Verify(ctx, req.PreviousChatID, req.ResumeSecret)
		otherUser := false
		if err == nil && prev.Status != store.ChatEnded && req.Retain() && req.IDToken != "" && prev.Authenticated && !portal {
			if err := resolve(); err != nil {
				return nil, err
			}
			otherUser = id.User == nil || id.User.ID != prev.UserID
		}
		// A portal chat belongs to its portal user: resumed only by a
		// portal start of the same user, replaced by anything else.
		if err == nil && (portal || prev.Context == store.ContextPortal) {
			otherUser = otherUser || !portal || prev.Context != store.ContextPortal || prev.UserID != req.User.ID
		}
		switch {
		case err != nil:
			// Unknown or not this browser's: start anew.
		case prev.Status == store.ChatEnded:
		case req.Retain() && !otherUser && prev.ProfileID == p.ID && prev.FlowID == p.FlowID:
			resp, err := s.response(ctx, prev, req.ResumeSecret)
			if err != nil {
				return nil, err
			}
			resp.Resumed = true
			return resp, nil
		default:
			reason := protocol.EndRestarted
			if otherUser || prev.FlowID != p.FlowID || prev.ProfileID != p.ID {
				reason = protocol.EndReplaced
			}
			if err := s.End(ctx, prev.ID, reason); err != nil && !isEnded(err) {
				return nil, err
			}
			endedID = prev.ID
		}
	}

	fl, err := s.store.CachedFlow(ctx, p.FlowID)
	if err != nil {
		return nil, err
	}
	if fl.CurrentVersion == 0 {
		return nil, refuse(protocol.CodeNoFlow, "the bot flow of chat profile %s has no saved version", p.ID)
	}
	sc, defs, err := s.schema(ctx)
	if err != nil {
		return nil, err
	}
	prog, err := s.program(ctx, fl.ID, fl.CurrentVersion, sc)
	if err != nil {
		return nil, err
	}

	if err := resolve(); err != nil {
		return nil, err
	}
	var fields []store.ChatFieldValue
	if embedded {
		fields = id.ChatFields
	}
	byID := map[int64]store.CustomField{}
	for _, d := range defs {
		byID[d.ID] = d
	}
	named := make([]store.ChatFieldValue, 0, len(fields))
	for _, f := range fields {
		if d, ok := byID[f.FieldID]; ok {
			f.Name, f.Label = d.Name, d.Label
		}
		named = append(named, f)
	}
	env := chatEnv(sc, named, id.User)

	// Run the start before creating anything: a refused start step
	// creates no chat.
	override := 0
	if embedded {
		override = req.StartStepOverride
	}
	if _, _, err := prog.Run(env, flow.State{}, flow.Start(override, embedded)); err != nil {
		return nil, flowError(err)
	}

	resume := secret.Token(24)
	c := &store.Chat{ID: store.NewChatID(), ProfileID: p.ID, FlowID: fl.ID, FlowVersion: fl.CurrentVersion,
		Authenticated: id.Authenticated, Context: req.Context, HostOrigin: protocol.NormalizeOrigin(req.HostOrigin),
		Status: store.ChatBot, ResumeSecretHash: secret.HashKey(resume)}
	if override != 0 {
		c.StartStep = int64(override)
	} else {
		c.StartStep = int64(prog.StartStep())
	}
	if id.User != nil {
		c.UserID = id.User.ID
	}
	// The chat is created with the start's first commit (one transaction),
	// which also performs its actions as any other run. The answer reuses
	// what the start has (the flow, the user, the chat as the run left it
	// and its messages: a new chat has only those the run stored) rather
	// than reading them again.
	rt := &runtime{prog: prog, env: env}
	create := &newChat{fields: fields}
	unlock := s.lock(c.ID)
	stored, _, err := s.runFlowFrom(ctx, c, create, rt, flow.Start(override, embedded), nil, protocol.EndByFlow)
	unlock()
	if err != nil {
		if create.chat == nil {
			return nil, fmt.Errorf("start chat for profile %s: %w", p.ID, err)
		}
		return nil, err
	}
	c = create.chat
	s.log.Info("chat started", "chat", c.ID, "profile", p.ID, "flow", fl.ID, "version", fl.CurrentVersion,
		"start_step", c.StartStep, "authenticated", c.Authenticated)
	state, err := s.stateWith(ctx, c, rt, id.User)
	if err != nil {
		return nil, err
	}
	return &protocol.StartChatResponse{V: protocol.ProtocolVersion, ChatID: c.ID, ResumeSecret: resume,
		Chat: *state, Messages: WireMessages(stored), EndedChatID: endedID}, nil
}

func isEnded(err error) bool {
	var e *protocol.APIError
	return errors.As(err, &e) && e.Code == protocol.CodeChatEnded
}

// response builds the start answer for chat c.
func (s *Service) response(ctx context.Context, c *store.Chat, resume string) (*protocol.StartChatResponse, error) {
	state, err := s.State(ctx, c)
	if err != nil {
		return nil, err
	}
	msgs, err := s.MessagesAfter(ctx, c.ID, 0)
	if err != nil {
		return nil, err
	}
	return &protocol.StartChatResponse{V: protocol.ProtocolVersion, ChatID: c.ID, ResumeSecret: resume,
		Chat: *state, Messages: WireMessages(msgs)}, nil
}

// State describes chat c for the widget or the console.
func (s *Service) State(ctx context.Context, c *store.Chat) (*protocol.ChatState, error) {
	return s.stateWith(ctx, c, nil, nil)
}

// stateWith is State with the chat's runtime and user when the caller
// has them (nil: read them).
func (s *Service) stateWith(ctx context.Context, c *store.Chat, rt *runtime, u *store.User) (*protocol.ChatState, error) {
	out := baseState(c)
	if c.AgentID != 0 {
		if a, err := s.store.GetAgent(ctx, c.AgentID); err == nil {
			out.AgentName = a.Name
		}
	}
	switch {
	case u != nil && u.ID == c.UserID:
		setUser(out, u)
	case c.UserID != 0:
		if u, err := s.store.GetUser(ctx, c.UserID); err == nil {
			setUser(out, u)
		}
	}
	if c.Status == store.ChatBot && c.FlowID != 0 {
		if rt == nil {
			var err error
			if rt, err = s.runtimeFor(ctx, c); err != nil {
				return nil, err
			}
		}
		st, err := decodeState(c.FlowState)
		if err != nil {
			return nil, err
		}
		for _, o := range rt.prog.Pending(rt.env, st) {
			switch o.Kind {
			case flow.OutPrompt:
				out.Pending = &protocol.Pending{Step: o.Step, Kind: "answer", Prompt: prompt(o.Validation)}
			case flow.OutChoices:
				out.Pending = &protocol.Pending{Step: o.Step, Kind: "choice", Choices: o.Choices}
			}
		}
	}
	return out, nil
}

// baseState is the part of a chat's state its row holds.
func baseState(c *store.Chat) *protocol.ChatState {
	out := &protocol.ChatState{ID: c.ID, ProfileID: c.ProfileID, Status: c.Status, StartStep: int(c.StartStep),
		Authenticated: c.Authenticated, LastSeq: c.LastSeq, TicketID: c.TicketID, EndReason: c.EndReason,
		StartedAt: c.StartedAt.UTC().Format(time.RFC3339)}
	if !c.QueuedAt.IsZero() {
		out.QueuedAt = c.QueuedAt.UTC().Format(time.RFC3339)
	}
	return out
}

// setUser names the chat's user in its state.
func setUser(st *protocol.ChatState, u *store.User) {
	st.UserName = strings.TrimSpace(u.FirstName + " " + u.LastName)
	st.UserEmail = u.Email
}

// Availability says whether profile id's chat is available now: inside
// its opening hours (in its time zone, holidays excluded) and, when the
// flow needs an agent, with an agent online.
func (s *Service) Availability(ctx context.Context, id string, now time.Time) (*protocol.Availability, error) {
	p, err := s.store.CachedProfile(ctx, id)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrInvalid) {
		return nil, &protocol.APIError{Code: protocol.CodeProfileNotFound, Field: "configId", Message: fmt.Sprintf("no chat profile %q", id)}
	}
	if err != nil {
		return nil, err
	}
	av := p.Availability
	out := &protocol.Availability{ConfigID: p.ID, NeedsAgent: av.NeedsAgent, TimeZone: av.TimeZone, FlowID: p.FlowID,
		Colour: p.Appearance.Colour, Title: p.Appearance.Title, Greeting: p.Appearance.Greeting,
		HideWhenUnavailable: av.HideWhenUnavailable, EmailStorageKey: p.EmailStorageKey}
	out.Open, err = OpenAt(av, now)
	if err != nil {
		return nil, err
	}
	n, err := s.store.CountAgentsWithPresence(ctx, store.PresenceOnline)
	if err != nil {
		return nil, err
	}
	out.AgentsOnline = n > 0
	out.ChatAvailable = out.Open && (!av.NeedsAgent || out.AgentsOnline)
	return out, nil
}

// OpenAt reports whether the opening hours of av include now.
func OpenAt(av store.Availability, now time.Time) (bool, error) {
	loc := time.UTC
	if av.TimeZone != "" {
		l, err := time.LoadLocation(av.TimeZone)
		if err != nil {
			return false, fmt.Errorf("availability time zone %q: %w", av.TimeZone, err)
		}
		loc = l
	}
	t := now.In(loc)
	day := t.Format("2006-01-02")
	for _, h := range av.Holidays {
		if h.Date == day {
			return false, nil
		}
	}
	if len(av.Weekly) == 0 {
		return true, nil
	}
	hm := t.Format("15:04")
	for _, w := range av.Weekly {
		if time.Weekday(w.Weekday) == t.Weekday() && hm >= w.Start && hm < w.End {
			return true, nil
		}
	}
	return false, nil
}
