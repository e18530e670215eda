package chats

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"
	"time"

	"halochat/app/flow"
	"halochat/app/i18n"
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
	// AcceptLanguage is the request's Accept-Language header: an auto
	// profile's chat speaks the best of the request's Languages, then of
	// these.
	AcceptLanguage string
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
	if c.ResumeSecretHash != "" && secret.CheckKey(c.ResumeSecretHash, resumeSecret) {
		return c, nil
	}
	// Another browser the chat followed its user to (follow) holds a
	// secret of its own; only an authenticated chat follows anyone, so
	// the others cost no second read.
	if !c.Authenticated {
		return nil, errChatNotFound()
	}
	ok, err := s.store.HasResumeSecret(ctx, c.ID, secret.HashKey(resumeSecret))
	if err != nil && !errors.Is(err, store.ErrInvalid) {
		return nil, fmt.Errorf("verify the resume secret of chat %s: %w", c.ID, err)
	}
	if !ok {
		return nil, errChatNotFound()
	}
	return c, nil
}

// Start starts a chat for the widget or the portal, or resumes the
// browser's open one, or the identified user's. Refusals are
// *protocol.APIError; a refused start creates nothing. Its steps, in
// order: admit (may this page or portal user chat on this profile at
// all?), previous (resume the browser's open chat, or end it), follow
// (resume the identified user's open chat from another browser, or mark
// it to end), prepare (the flow, the identity, the first run tried
// without storing anything), create (the chat, with its first commit,
// which also uses the identity token's jti: only a start that passed
// every check and stored its chat uses it), and last the end of the
// user's chats the new one supersedes.
func (s *Service) Start(ctx context.Context, req StartRequest) (*protocol.StartChatResponse, error) {
	resp, err := s.start(ctx, req)
	s.metrics.ChatStart(resp != nil && resp.Resumed, Public(err))
	return resp, err
}

func (s *Service) start(ctx context.Context, req StartRequest) (*protocol.StartChatResponse, error) {
	st, err := s.admit(ctx, req)
	if err != nil {
		return nil, err
	}
	resumed, endedID, err := st.previous(ctx)
	if err != nil || resumed != nil {
		return resumed, err
	}
	if resumed, err := st.follow(ctx); err != nil || resumed != nil {
		if resumed != nil {
			resumed.EndedChatID = endedID // the browser's own chat, another user's, say
		}
		return resumed, err
	}
	if err := st.prepare(ctx); err != nil {
		return nil, err
	}
	// Every check has passed: the chat's first commit uses the token's
	// jti (create).
	resp, err := st.create(ctx)
	if err != nil {
		return nil, err
	}
	if ended := st.endSuperseded(ctx); endedID == "" {
		endedID = ended
	}
	resp.EndedChatID = endedID
	return resp, nil
}

// starting is one chat start: the request and what its steps found.
type starting struct {
	s   *Service
	req StartRequest
	// embedded: the widget on an external site; portal: the self-service
	// portal, for its logged-in user req.User.
	embedded, portal bool
	profile          *store.ChatProfile
	// who is the start's identity, resolved once (resolving consumes
	// single-use matching data); nil until then.
	who *identity.Identity
	// chat: the start stores a chat (create), and with it the token's new
	// user (identity.Request.DeferNewUser); a left message stores its
	// user at once.
	chat bool

	// superseded are the user's open chats that follow found and the new
	// chat replaces (endSuperseded ends them once it exists).
	superseded []supersededChat

	// What prepare readies for create.
	fl        *store.Flow
	rt        *runtime
	fields    []store.ChatFieldValue // the chat custom field values the chat starts with
	in        flow.Input             // the start, from the flow's start step or the override
	startStep int64
	lang      i18n.Lang // the chat's language
}

// admit decides whether the request may start a chat at all: it names a
// profile by its right key, the profile is open to where the request
// comes from (accessRefusal), and it has a bot flow.
func (s *Service) admit(ctx context.Context, req StartRequest) (*starting, error) {
	if req.Context == "" {
		req.Context = store.ContextEmbedded
	}
	st := &starting{s: s, req: req, embedded: req.Context == store.ContextEmbedded, portal: req.Context == store.ContextPortal,
		chat: true}
	if err := checkLanguages(req.Languages); err != nil {
		return nil, err
	}
	p, err := s.profileFor(ctx, req.ConfigID, req.ConfigKey)
	if err != nil {
		return nil, err
	}
	if err := st.accessRefusal(p); err != nil {
		return nil, err
	}
	if p.FlowID == 0 {
		return nil, refuse(protocol.CodeNoFlow, "chat profile %s has no bot flow", p.ID)
	}
	st.profile = p
	st.lang = s.langs.choose(p, req.Languages, req.AcceptLanguage)
	if st.portal {
		// The portal session is the identity: no token, no chat custom
		// fields.
		st.who = &identity.Identity{Authenticated: true, User: req.User}
	}
	return st, nil
}

// accessRefusal says why profile p is closed to where the start comes
// from, or nil: an external website needs a profile open to websites and
// an allowed page origin, the portal a profile open to the portal and a
// logged-in portal user.
func (st *starting) accessRefusal(p *store.ChatProfile) error {
	denied := func(msg string) error { return &protocol.APIError{Code: protocol.CodeAccessDenied, Message: msg} }
	switch {
	case st.embedded && p.Access == store.AccessPortal:
		return denied("this chat profile is for logged-in users of the self-service portal: log in to the portal to chat (access: portal)")
	case st.embedded && p.Access != store.AccessPortalAndExternal:
		return denied("this chat profile is not open to external websites (access: " + p.Access + ")")
	case st.portal && p.Access != store.AccessPortal && p.Access != store.AccessPortalAndExternal:
		return denied("this chat profile is not open to the self-service portal (access: " + p.Access + ")")
	case st.portal && st.req.User == nil:
		return denied("a portal chat needs a logged-in portal user: log in to the portal")
	case st.embedded && !originAllowed(p, st.req.HostOrigin):
		return &protocol.APIError{Code: protocol.CodeOriginNotAllowed, Field: "hostOrigin",
			Message: fmt.Sprintf("the page origin %q is not allowed to embed this chat", st.req.HostOrigin)}
	}
	return nil
}

// identity returns the start's identity, resolving it (from the token,
// the matching data or the e-mail hint) the first time.
func (st *starting) identity(ctx context.Context) (*identity.Identity, error) {
	if st.who != nil {
		return st.who, nil
	}
	who, err := st.s.ident.Resolve(ctx, st.profile,
		identity.Request{IDToken: st.req.IDToken, Embedded: st.embedded, EmailHint: st.req.EmailHint, DeferNewUser: st.chat})
	if err != nil {
		var refusal *protocol.APIError
		if errors.As(err, &refusal) {
			return nil, refusal
		}
		return nil, fmt.Errorf("resolve identity: %w", err)
	}
	st.who = who
	return who, nil
}

// previous decides what becomes of the browser's previous chat. Resumed
// (the answer) when the widget retains it and it is open, of the same
// user, profile and flow; else ended (its id), as restarted or, for
// another user's, profile's or flow's chat, as replaced. An unknown chat,
// or one whose secret the browser does not hold, is not this browser's:
// left alone, as is an ended one.
func (st *starting) previous(ctx context.Context) (*protocol.StartChatResponse, string, error) {
	if st.req.PreviousChatID == "" || st.req.ResumeSecret == "" {
		return nil, "", nil
	}
	prev, err := st.s.Verify(ctx, st.req.PreviousChatID, st.req.ResumeSecret)
	if err != nil || prev.Status == store.ChatEnded {
		return nil, "", nil
	}
	other, err := st.otherUser(ctx, prev)
	if err != nil {
		return nil, "", err
	}
	same := !other && prev.ProfileID == st.profile.ID && st.runsProfileFlow(prev)
	if same && st.req.Retain() {
		resp, err := st.s.response(ctx, prev, st.req.ResumeSecret)
		if err != nil {
			return nil, "", err
		}
		resp.Resumed = true
		return resp, "", nil
	}
	reason := protocol.EndRestarted
	if !same {
		reason = protocol.EndReplaced
	}
	if err := st.s.End(ctx, prev.ID, reason); err != nil && !isEnded(err) {
		return nil, "", err
	}
	return nil, prev.ID, nil
}

// otherUser decides whether the open chat prev is another user's than
// this start's: one user never sees another's chat. A retained
// authenticated chat is another's when the token names someone else (an
// anonymous chat ignores tokens: upgradeAnonChat is the way to sign it
// in); a portal chat is only its portal user's, by a portal start.
func (st *starting) otherUser(ctx context.Context, prev *store.Chat) (bool, error) {
	other := false
	if st.req.Retain() && st.req.IDToken != "" && prev.Authenticated && !st.portal {
		who, err := st.identity(ctx)
		if err != nil {
			return false, err
		}
		other = who.User == nil || who.User.ID != prev.UserID
	}
	if st.portal || prev.Context == store.ContextPortal {
		other = other || !st.portal || prev.Context != store.ContextPortal || prev.UserID != st.req.User.ID
	}
	return other, nil
}

// prepare readies the chat's first run: the profile's current flow
// version compiled for the chat custom fields, the identity with the
// field values it brings (a website's chats only), and the start input,
// run once without storing anything so that a refused start step creates
// no chat. Only a website's start may choose its start step.
func (st *starting) prepare(ctx context.Context) error {
	s := st.s
	fl, err := st.currentFlow(ctx)
	if err != nil {
		return err
	}
	sc, defs, err := s.schema(ctx)
	if err != nil {
		return err
	}
	prog, err := s.program(ctx, fl.ID, fl.CurrentVersion, sc)
	if err != nil {
		return err
	}
	who, err := st.identity(ctx)
	if err != nil {
		return err
	}
	if st.embedded {
		st.fields = who.ChatFields
	}
	env := chatEnv(sc, namedFields(defs, st.fields), flowUser(who.Authenticated, who.EmailHint, who.User))
	env.Language = string(st.lang)
	override := 0
	if st.embedded {
		override = st.req.StartStepOverride
	}
	st.in = flow.Start(override, st.embedded)
	if _, _, err := prog.Run(env, flow.State{}, st.in); err != nil {
		return flowError(err)
	}
	st.fl, st.rt, st.startStep = fl, &runtime{prog: prog, env: env}, int64(prog.StartStep())
	if override != 0 {
		st.startStep = int64(override)
	}
	return nil
}

// currentFlow returns the profile's bot flow, refused when it has no
// saved version to start a chat on.
func (st *starting) currentFlow(ctx context.Context) (*store.Flow, error) {
	fl, err := st.s.store.CachedFlow(ctx, st.profile.FlowID)
	if err != nil {
		return nil, err
	}
	if fl.CurrentVersion == 0 {
		return nil, refuse(protocol.CodeNoFlow, "the bot flow of chat profile %s has no saved version", st.profile.ID)
	}
	return fl, nil
}

// namedFields gives field values the name and label of their definition
// among defs (what the flow's conditions read them by).
func namedFields(defs []store.CustomField, fields []store.ChatFieldValue) []store.ChatFieldValue {
	byID := make(map[int64]store.CustomField, len(defs))
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
	return named
}

// create stores the chat with the start's first commit (one transaction,
// which also performs the run's actions as any other run does, and
// stores the token's new user), and answers with what the start has —
// the flow, the user, the chat as the run left it and its messages (a
// new chat has only those the run stored) — rather than reading them
// again. A new user whose external id or e-mail address a concurrent
// start took meanwhile is looked up again, and the chat created anew.
func (st *starting) create(ctx context.Context) (*protocol.StartChatResponse, error) {
	for try := 1; ; try++ {
		resp, err := st.createOnce(ctx)
		if try == 3 || !errors.Is(err, store.ErrUserTaken) {
			return resp, err
		}
		if err := st.s.ident.Refind(ctx, st.who); err != nil {
			return nil, fmt.Errorf("start chat for profile %s: %w", st.profile.ID, err)
		}
	}
}

func (st *starting) createOnce(ctx context.Context) (*protocol.StartChatResponse, error) {
	s, p := st.s, st.profile
	resume := secret.Token(24)
	c := &store.Chat{ID: store.NewChatID(), ProfileID: p.ID, FlowID: st.fl.ID, FlowVersion: st.fl.CurrentVersion,
		StartStep: st.startStep, Authenticated: st.who.Authenticated, Context: st.req.Context,
		HostOrigin: protocol.NormalizeOrigin(st.req.HostOrigin), EmailHint: st.who.EmailHint, Status: store.ChatBot,
		ResumeSecretHash: secret.HashKey(resume), Language: string(st.lang)}
	if st.who.User != nil {
		c.UserID = st.who.User.ID
	}
	create := &newChat{fields: st.fields, with: store.ChatWith{Use: st.who.PendingUse()}}
	if st.who.NewUser {
		create.with.User = st.who.User // stored with the chat (identity.Request.DeferNewUser)
	}
	unlock := s.lock(c.ID)
	stored, _, err := s.runFlowFrom(ctx, c, create, st.rt, st.in, nil, protocol.EndByFlow)
	unlock()
	if errors.Is(err, store.ErrTokenUsed) {
		return nil, identity.UsedBefore()
	}
	if err != nil {
		if create.chat == nil {
			return nil, fmt.Errorf("start chat for profile %s: %w", p.ID, err)
		}
		return nil, err
	}
	c = create.chat
	// Debug: the start's request line names the chat already, and two
	// lines a start were a tenth of a node's work at 3,000 starts/s.
	s.log.Debug("chat started", "chat", c.ID, "profile", p.ID, "flow", st.fl.ID, "version", st.fl.CurrentVersion,
		"start_step", c.StartStep, "authenticated", c.Authenticated)
	state, err := s.stateWith(ctx, c, st.rt, st.who.User)
	if err != nil {
		return nil, err
	}
	return &protocol.StartChatResponse{V: protocol.ProtocolVersion, ChatID: c.ID, ResumeSecret: resume,
		Chat: *state, Messages: s.startMsgs.wire(stored)}, nil
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
		Chat: *state, Messages: WireMessages(ForVisitor(msgs))}, nil
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
	// A chat no one signed in to shows no user: its user, if any, is the
	// hint user of an address anyone may type (identity's hintUser).
	switch {
	case !c.Authenticated:
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
		Language: string(chatLang(c)), StartedAt: c.StartedAt.UTC().Format(time.RFC3339)}
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
		LauncherPosition: p.Appearance.LauncherPosition, IconURL: p.Appearance.IconURL,
		AskRating: p.RatingQuestion != protocol.RatingQuestionOff, MailTranscript: s.MailOn(),
		Language: p.Language, DefaultLanguage: p.DefaultLanguage,
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

// nobodyIn says why a transfer on profile id's chat finds nobody to take
// it now — protocol.NobodyInClosed outside its opening hours or on a
// holiday (in its time zone), protocol.NobodyInNoAgent with no agent
// online — or "" when an agent may take it.
func (s *Service) nobodyIn(ctx context.Context, id string) (string, error) {
	p, err := s.store.CachedProfile(ctx, id)
	if err != nil {
		return "", fmt.Errorf("read chat profile %s for a transfer: %w", id, err)
	}
	open, err := OpenAt(p.Availability, s.store.Now())
	if err != nil {
		return "", err
	}
	if !open {
		return protocol.NobodyInClosed, nil
	}
	n, err := s.store.CountAgentsWithPresence(ctx, store.PresenceOnline)
	if err != nil {
		return "", err
	}
	if n == 0 {
		return protocol.NobodyInNoAgent, nil
	}
	return "", nil
}

// nobodyInText is the system message of a transfer that found nobody in.
func nobodyInText(l i18n.Lang, why string) string {
	if why == protocol.NobodyInClosed {
		return i18n.T(l, i18n.NobodyInClosed)
	}
	return i18n.T(l, i18n.NobodyInNoAgent)
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
