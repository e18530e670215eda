package console

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/coder/websocket"
	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"halochat/app/protocol"
)

// AgentPage is the agent console: online / away over the agent websocket,
// the live queue, and the chats the agent took, several at once, each
// with its details beside the conversation.
type AgentPage struct {
	app.Compo
	session

	online, connected bool
	conn              *websocket.Conn
	stop              context.CancelFunc
	queue             []protocol.ChatState
	chats             map[string]*liveChat
	order             []string // chat ids, in the order taken
	current           string
	err               string
	typingSent        bool
	msgCounter        int

	// The attention the console asks for: the tab title counts waiting
	// chats and unread messages; a rise beeps (when sound is on).
	attention int
	sound     bool
	alerts    int // how many times the console asked for attention
	audio     app.Value

	upload agentUpload // the file being attached (attach.go)

	hand     handover // notes, transfers, notifications (handover.go)
	notified int      // desktop notifications the console raised (or would have)

	canned  []protocol.CannedResponse // the agent's canned responses (canned.go)
	suggest []protocol.CannedResponse // those matching the "/shortcut" typed
}

// liveChat is one chat the agent has.
type liveChat struct {
	state      protocol.ChatState
	msgs       []protocol.ChatMessage
	unread     int
	typing     bool // the visitor is typing
	ended      bool
	details    *protocol.ChatDetails
	detailsErr string
	handedOn   bool // the agent transferred it away
}

// soundKey is where the console keeps the agent's sound choice.
const soundKey = "halochat.console.sound"

// agentTitle is the agent page's tab title, after the attention count.
const agentTitle = "Agent console"

func (p *AgentPage) OnMount(ctx app.Context) {
	p.chats = map[string]*liveChat{}
	p.hand.accepting = map[string]bool{}
	p.sound = true
	var on bool
	if err := ctx.LocalStorage().Get(soundKey, &on); err == nil && ctx.LocalStorage().Contains(soundKey) {
		p.sound = on
	}
	p.badge()
	p.session.authenticate(ctx, false, p.loadCanned)
	p.refreshWaitingTimes(ctx)
}

// refreshWaitingTimes renders the page again every few seconds, so that
// the waiting times shown move on; it stops once the page is dismounted
// (go-app drops a dispatch to a dismounted component).
func (p *AgentPage) refreshWaitingTimes(ctx app.Context) {
	ctx.After(5*time.Second, p.refreshWaitingTimes)
}

func (p *AgentPage) OnDismount() {
	if p.stop != nil {
		p.stop()
	}
	app.Window().Get("document").Set("title", "halochat console")
	if p.audio != nil && p.audio.Truthy() {
		p.audio.Call("close")
	}
}

func (p *AgentPage) Render() app.UI {
	status := "Away"
	if p.online {
		status = "Online"
		if !p.connected {
			status = "Online (connecting…)"
		}
	}
	toggle := app.Button().ID("cc-online").Class("cc-primary").Text("Go online").OnClick(p.goOnline)
	if p.online {
		toggle = app.Button().ID("cc-away").Text("Go away").OnClick(p.goAway)
	}
	return p.shell("/agent",
		app.Div().Class("cc-agentbar").DataSet("alerts", p.alerts).DataSet("notified", p.notified).Body(
			app.Span().ID("cc-status").Class("cc-status cc-status-"+strings.ToLower(strings.Fields(status)[0])).Text(status),
			toggle,
			app.Label().Class("cc-check cc-sound").Body(
				app.Input().Type("checkbox").ID("cc-sound").Checked(p.sound).OnChange(p.toggleSound),
				app.Text("Sound on new chats and messages"),
			),
		),
		notice("cc-error", p.err),
		app.Div().Class("cc-console").Body(
			app.Section().Class("cc-queue").Body(
				app.H2().Text(fmt.Sprintf("Queue (%d)", len(p.queue))),
				p.renderQueue(),
				app.H2().Text("My chats"),
				p.renderMine(),
			),
			app.Section().Class("cc-conversation").Body(p.renderConversation()),
		),
	)
}

func (p *AgentPage) renderQueue() app.UI {
	if !p.online {
		return app.P().Class("cc-muted").Text("Go online to see the queue.")
	}
	if len(p.queue) == 0 {
		return app.P().Class("cc-muted cc-queue-empty").Text("Nobody is waiting.")
	}
	return app.Ul().Class("cc-list").Body(app.Range(p.queue).Slice(func(i int) app.UI {
		c := p.queue[i]
		id := c.ID
		return app.Li().Class("cc-queued").DataSet("chat", id).Body(
			app.Strong().Text(visitorName(c)),
			app.Span().Class("cc-muted").Text(" · profile "+c.ProfileID+queueTeam(c)+" · waiting "+waited(c.QueuedAt)),
			// The scope: go-app keeps a re-rendered element's handler when
			// it comes from the same func literal, so a row reused for
			// another chat would otherwise act on the chat it showed first.
			app.Button().Class("cc-accept cc-primary").Text("Accept").OnClick(func(ctx app.Context, e app.Event) {
				p.hand.accepting[id] = true
				p.send(ctx, protocol.Frame{Type: protocol.FrameAccept, ChatID: id})
			}, app.EventScope(id)),
		)
	}))
}

func (p *AgentPage) renderMine() app.UI {
	if len(p.order) == 0 {
		return app.P().Class("cc-muted").Text("No chats yet.")
	}
	return app.Ul().Class("cc-list cc-mine").Body(app.Range(p.order).Slice(func(i int) app.UI {
		id := p.order[i]
		c := p.chats[id]
		label := visitorName(c.state)
		if c.ended {
			label += " (ended)"
		}
		cls := "cc-mychat"
		if id == p.current {
			cls += " cc-current"
		}
		var badge app.UI = app.Text("")
		if c.unread > 0 {
			badge = app.Span().Class("cc-unread").Text(strconv.Itoa(c.unread))
		}
		return app.Li().Body(app.Button().Class(cls).DataSet("chat", id).OnClick(func(ctx app.Context, e app.Event) {
			p.current = id
			c.unread = 0
			p.badge()
			p.loadDetails(ctx, id)
		}, app.EventScope(id)).Body(app.Text(label), badge))
	}))
}

func (p *AgentPage) renderConversation() app.UI {
	c := p.chats[p.current]
	if c == nil {
		return app.P().Class("cc-muted").Text("Accept a chat from the queue to talk.")
	}
	var typing app.UI = app.Text("")
	if c.typing && !c.ended {
		typing = app.P().Class("cc-typing").Text(visitorName(c.state) + " is typing…")
	}
	var composer app.UI = app.P().Class("cc-muted cc-chat-ended").Text("This chat has ended.")
	switch {
	case c.handedOn && !c.ended:
		composer = app.P().Class("cc-muted cc-chat-handed").Text("You transferred this chat.")
	case !c.ended:
		placeholder := "Reply to " + visitorName(c.state)
		if p.hand.note {
			placeholder = "Internal note (the visitor does not see it)"
		}
		composer = app.Form().Class("cc-composer").OnSubmit(p.sendMessage).Body(
			app.Input().ID("cc-input").Class("cc-input").Placeholder(placeholder).AutoComplete(false).
				OnInput(p.onTyping).OnPaste(p.onPaste),
			p.noteToggle(),
			p.renderAttach(),
			app.Button().Type("submit").Class("cc-primary").Text("Send"),
			p.renderSuggestions(),
		)
	}
	return app.Div().Class("cc-chat-layout").Body(
		app.Div().Class("cc-chat").OnDrop(p.onDrop).OnDragOver(p.onDragOver).Body(
			app.Div().Class("cc-chat-head").Body(
				app.H2().Text(visitorName(c.state)),
				app.If(c.state.UserEmail != "", func() app.UI { return app.Span().Class("cc-muted").Text(c.state.UserEmail) }),
				app.If(!c.ended && !c.handedOn, func() app.UI { return p.transferButton() }),
				app.If(!c.ended && !c.handedOn, func() app.UI {
					return app.Button().ID("cc-end").Text("End chat").OnClick(func(ctx app.Context, e app.Event) {
						p.send(ctx, protocol.Frame{Type: protocol.FrameEnd, ChatID: p.current})
					})
				}),
			),
			p.transferForm(),
			app.Div().Class("cc-messages").Body(app.Range(c.msgs).Slice(func(i int) app.UI { return message(c.msgs[i]) })),
			typing,
			composer,
		),
		detailsPanel(c.details, c.detailsErr),
	)
}

// loadDetails fetches the details of one of the agent's chats.
func (p *AgentPage) loadDetails(ctx app.Context, id string) {
	ctx.Async(func() {
		d, err := fetchDetails(ctx, id)
		ctx.Dispatch(func(app.Context) {
			c := p.chats[id]
			if c == nil {
				return
			}
			if err != nil {
				c.detailsErr = "Cannot load the chat's details: " + err.Error()
				return
			}
			c.details, c.detailsErr = d, ""
		})
	})
}

// fetchDetails calls GET /api/Chat/{id}/details.
func fetchDetails(ctx context.Context, id string) (*protocol.ChatDetails, error) {
	var d protocol.ChatDetails
	if err := call(ctx, "GET", "/api/Chat/"+url.PathEscape(id)+"/details", nil, &d); err != nil {
		return nil, err
	}
	return &d, nil
}

// detailsPanel shows what the agent knows about a chat beside its
// transcript: who, from where, since when, where in the flow, the
// ticket, the visitor's rating, and the chat custom field values (never
// shown to the visitor).
func detailsPanel(d *protocol.ChatDetails, problem string) app.UI {
	if d == nil {
		text := "Loading the chat's details…"
		if problem != "" {
			text = problem
		}
		return app.Aside().ID("cc-details").Class("cc-details").Body(app.P().Class("cc-muted").Text(text))
	}
	item := func(id, term string, def app.UI) app.UI {
		return app.Div().ID(id).Class("cc-detail").Body(app.Dt().Text(term), app.Dd().Body(def))
	}
	text := func(s string) app.UI { return app.Text(s) }

	var user app.UI = app.Span().Class("cc-muted").Text("Anonymous")
	if u := d.User; u != nil {
		var parts []app.UI
		for _, f := range []struct{ class, prefix, value string }{
			{"cc-user-name", "", u.Name}, {"cc-user-username", "username ", u.Username}, {"cc-user-email", "", u.Email},
			{"cc-user-phone", "phone ", u.Phone}, {"cc-user-external", "external id ", u.ExternalID},
		} {
			if f.value != "" {
				parts = append(parts, app.Div().Class(f.class).Text(f.prefix+f.value))
			}
		}
		if len(parts) == 0 {
			parts = append(parts, app.Text(fmt.Sprintf("user %d", u.ID)))
		}
		user = app.Div().Body(parts...)
	}
	var origin, hint app.UI = app.Text(""), app.Text("")
	if d.HostOrigin != "" {
		origin = item("cc-detail-origin", "Host page", text(d.HostOrigin))
	}
	if d.UnverifiedEmail != "" {
		hint = item("cc-detail-hint", "Unverified e-mail", app.Span().Title("From the host page's session storage: anyone can set it, so it proves nothing").
			Text(d.UnverifiedEmail+" (unverified)"))
	}
	var flowInfo app.UI = app.Text("")
	if f := d.Flow; f != nil {
		step := "not started"
		if f.Step != 0 {
			step = fmt.Sprintf("step %d", f.Step)
			if f.StepKind != "" {
				step += " (" + f.StepKind + ")"
			}
			if f.StepTitle != "" {
				step += ": " + f.StepTitle
			}
		}
		flowInfo = item("cc-detail-flow", "Flow", text(fmt.Sprintf("%s, version %d · %s", f.Name, f.Version, step)))
	}
	var ticketInfo app.UI = app.Text("")
	if t := d.Ticket; t != nil {
		ticketInfo = item("cc-detail-ticket", "Ticket", app.A().Href(fmt.Sprintf("%s/tickets?id=%d", Prefix, t.ID)).
			Text(fmt.Sprintf("#%d %s (%s)", t.ID, t.Summary, t.Status)))
	}
	var rating app.UI = app.Text("")
	if r := d.Rating; r != nil {
		rating = item("cc-detail-rating", "Visitor's rating", text(ratingText(r)))
	}
	var fields app.UI = app.P().Class("cc-muted").Text("None: only chats started from the embedded widget with an identity carry custom fields.")
	if len(d.Fields) > 0 {
		rows := make([]app.UI, 0, len(d.Fields))
		for _, f := range d.Fields {
			rows = append(rows, app.Tr().DataSet("field", f.Name).Body(
				app.Th().Title(f.Name).Text(f.Label), app.Td().Class("cc-field-value").Text(f.Value)))
		}
		fields = app.Table().ID("cc-chat-fields").Class("cc-table").Body(app.TBody().Body(rows...))
	}
	return app.Aside().ID("cc-details").Class("cc-details").Body(
		app.H3().Text("Details"),
		app.Dl().Body(
			item("cc-detail-profile", "Chat profile", text(d.ProfileName)),
			item("cc-detail-user", "User", user),
			hint,
			item("cc-detail-context", "Started from", text(contextName(d.Context))),
			origin,
			item("cc-detail-started", "Started", text(localTime(d.Chat.StartedAt))),
			item("cc-detail-waited", "Waited", text(waitedFor(d))),
			flowInfo,
			ticketInfo,
			rating,
		),
		app.H3().Text("Custom fields"),
		fields,
	)
}

// ratingText shows a visitor's rating: "4 of 5 · “Quick and kind.”".
func ratingText(r *protocol.ChatRating) string {
	s := fmt.Sprintf("%d of %d", r.Score, protocol.MaxRatingScore)
	if r.Comment != "" {
		s += " · “" + r.Comment + "”"
	}
	return s
}

func contextName(c string) string {
	switch c {
	case "embedded":
		return "the widget on a website"
	case "portal":
		return "the self-service portal"
	case "agent":
		return "the agent app"
	}
	return c
}

// localTime shows an RFC 3339 time in the browser's time zone.
func localTime(s string) string {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return "–"
	}
	return clock(t)
}

// clock is a moment in the browser's time zone, to the second.
func clock(t time.Time) string { return t.Local().Format("2 Jan 2006 15:04:05") }

// waitedFor says how long the visitor waited for an agent.
func waitedFor(d *protocol.ChatDetails) string {
	queued, err := time.Parse(time.RFC3339, d.Chat.QueuedAt)
	if err != nil {
		return "not queued"
	}
	if accepted, err := time.Parse(time.RFC3339, d.AcceptedAt); err == nil {
		return duration(accepted.Sub(queued))
	}
	if d.Chat.Status == protocol.ChatStatusQueued {
		return duration(time.Since(queued)) + " so far"
	}
	return "never taken"
}

// message renders one transcript line (text only, never markup).
func message(m protocol.ChatMessage) app.UI {
	who := m.From
	switch m.From {
	case protocol.FromAgent:
		who = m.AgentName
		if m.Internal {
			return app.Div().Class("cc-msg cc-from-agent cc-internal").Body(
				app.Span().Class("cc-msg-who").Text(who+" · internal note"),
				app.P().Class("cc-msg-text").Text(m.Text),
			)
		}
	case protocol.FromSystem:
		return app.P().Class("cc-msg cc-from-system").Text(systemText(m))
	}
	if m.Attachment != nil {
		return app.Div().Class("cc-msg cc-from-"+m.From).Body(
			app.Span().Class("cc-msg-who").Text(who), attachmentView(m.Attachment))
	}
	return app.Div().Class("cc-msg cc-from-"+m.From).Body(
		app.Span().Class("cc-msg-who").Text(who),
		app.P().Class("cc-msg-text").Text(m.Text),
	)
}

func systemText(m protocol.ChatMessage) string {
	switch m.Event {
	case protocol.EventQueued:
		return "Waiting for an agent"
	case protocol.EventAgentJoined:
		return m.AgentName + " joined"
	case protocol.EventTicketCreated:
		return fmt.Sprintf("Ticket #%d logged", m.TicketID)
	case protocol.EventChatEnded:
		return "Chat ended (" + m.Reason + ")"
	case protocol.EventTransferred:
		if m.AgentName != "" {
			return "Transferred to " + m.AgentName
		}
	}
	if m.Text != "" {
		return m.Text
	}
	return m.Event
}

func visitorName(c protocol.ChatState) string {
	switch {
	case c.UserName != "":
		return c.UserName
	case c.UserEmail != "":
		return c.UserEmail
	}
	return "Visitor " + shortID(c.ID)
}

func shortID(id string) string {
	if len(id) > 6 {
		return id[:6]
	}
	return id
}

func waited(since string) string {
	t, err := time.Parse(time.RFC3339, since)
	if err != nil {
		return "–"
	}
	return duration(time.Since(t))
}

func duration(d time.Duration) string {
	d = max(d, 0).Round(time.Second)
	if d < time.Minute {
		return fmt.Sprintf("%ds", int(d.Seconds()))
	}
	return fmt.Sprintf("%dm %02ds", int(d.Minutes()), int(d.Seconds())%60)
}

func (p *AgentPage) goOnline(ctx app.Context, e app.Event) {
	if p.online {
		return
	}
	p.online, p.err = true, ""
	p.prepareAudio()
	askNotifications(ctx)
	runCtx, cancel := context.WithCancel(ctx)
	p.stop = cancel
	ctx.Async(func() { p.run(ctx, runCtx) })
}

func (p *AgentPage) goAway(ctx app.Context, e app.Event) {
	p.online, p.connected, p.queue = false, false, nil
	if p.stop != nil {
		p.stop()
		p.stop = nil
	}
	p.badge()
}

// run holds the agent websocket while the agent is online, reconnecting
// after drops and resuming each chat after the last message seen.
func (p *AgentPage) run(ui app.Context, ctx context.Context) {
	u := ui.Page().URL()
	scheme := "ws"
	if u.Scheme == "https" {
		scheme = "wss"
	}
	wsURL := scheme + "://" + u.Host + "/agent/ws"
	for backoff := time.Second; ctx.Err() == nil; backoff = min(backoff*2, 15*time.Second) {
		conn, _, err := websocket.Dial(ctx, wsURL, nil)
		if err != nil {
			ui.Dispatch(func(app.Context) { p.err = "Cannot reach the chat service; retrying…" })
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			continue
		}
		conn.SetReadLimit(1 << 20)
		resume := make(chan []protocol.Frame, 1)
		ui.Dispatch(func(app.Context) {
			p.conn, p.connected, p.err = conn, true, ""
			frames := []protocol.Frame{{Type: protocol.FrameHello}}
			for _, id := range p.order {
				if c := p.chats[id]; !c.ended {
					var after int64
					if n := len(c.msgs); n > 0 {
						after = c.msgs[n-1].Seq
					}
					frames = append(frames, protocol.Frame{Type: protocol.FrameWatch, ChatID: id, AfterSeq: after})
				}
			}
			resume <- frames
		})
		for _, f := range <-resume {
			writeFrame(ctx, conn, f)
		}
		backoff = time.Second
		for {
			_, data, err := conn.Read(ctx)
			if err != nil {
				break
			}
			var f protocol.Frame
			if json.Unmarshal(data, &f) != nil {
				continue
			}
			ui.Dispatch(func(ctx app.Context) { p.frame(ctx, f) })
		}
		conn.CloseNow()
		ui.Dispatch(func(app.Context) {
			if p.conn == conn {
				p.conn, p.connected = nil, false
			}
		})
	}
}

func writeFrame(ctx context.Context, conn *websocket.Conn, f protocol.Frame) {
	f.V = protocol.ProtocolVersion
	b, _ := json.Marshal(f)
	_ = conn.Write(ctx, websocket.MessageText, b)
}

// send writes a frame on the agent websocket.
func (p *AgentPage) send(ctx app.Context, f protocol.Frame) {
	conn := p.conn
	if conn == nil {
		p.err = "Not connected: go online first."
		return
	}
	ctx.Async(func() { writeFrame(ctx, conn, f) })
}

func (p *AgentPage) frame(ctx app.Context, f protocol.Frame) {
	switch f.Type {
	case protocol.FrameQueue:
		p.queue = f.Chats
		p.queueChanged(f.Chats)
		p.badge()
	case protocol.FrameAccepted:
		if f.Error != nil {
			p.err = "Could not take the chat: " + f.Error.Message
			return
		}
		c := p.chats[f.ChatID]
		if c == nil {
			c = &liveChat{}
			p.chats[f.ChatID] = c
			p.order = append(p.order, f.ChatID)
		}
		if f.Chat != nil {
			c.state = *f.Chat
		}
		c.handedOn = false
		p.handed(f)
		p.current, p.err = f.ChatID, ""
		c.unread = 0
		p.badge()
		p.loadDetails(ctx, f.ChatID)
		ctx.Defer(func(app.Context) { focus("cc-input") })
	case protocol.FrameMessage:
		c := p.chats[f.ChatID]
		if c == nil || f.Message == nil {
			return
		}
		m := *f.Message
		if n := len(c.msgs); n > 0 && m.Seq <= c.msgs[n-1].Seq {
			if slices.ContainsFunc(c.msgs, func(x protocol.ChatMessage) bool { return x.Seq == m.Seq }) {
				return
			}
		}
		c.msgs = append(c.msgs, m)
		slices.SortFunc(c.msgs, func(a, b protocol.ChatMessage) int { return int(a.Seq - b.Seq) })
		if m.From == protocol.FromVisitor {
			c.typing = false
			p.visitorWrote(f.ChatID, m)
		}
		if m.Event == protocol.EventChatEnded {
			c.ended = true
		}
		if m.Event == protocol.EventChatEnded || m.Event == protocol.EventTicketCreated {
			p.loadDetails(ctx, f.ChatID)
		}
		if f.ChatID != p.current && m.From != protocol.FromAgent {
			c.unread++
			p.badge()
		}
		ctx.Defer(func(app.Context) { scrollDown() })
	case protocol.FrameTyping:
		if c := p.chats[f.ChatID]; c != nil && f.Typing != nil && f.From == protocol.FromVisitor {
			c.typing = *f.Typing
		}
	case protocol.FrameError:
		if f.Error != nil {
			p.err = f.Error.Message
		}
	}
}

func (p *AgentPage) onTyping(ctx app.Context, e app.Event) {
	p.suggestCanned()
	if p.typingSent || p.current == "" {
		return
	}
	p.typingSent = true
	typing := true
	p.send(ctx, protocol.Frame{Type: protocol.FrameTyping, ChatID: p.current, Typing: &typing})
}

func (p *AgentPage) sendMessage(ctx app.Context, e app.Event) {
	e.PreventDefault()
	text := strings.TrimSpace(inputValue("cc-input"))
	if text == "" || p.current == "" {
		return
	}
	if c, ok := p.wholeCanned(text); ok {
		// "/shortcut" and Enter: the text to edit, not the shortcut sent.
		p.useCanned(c)
		return
	}
	p.suggest = nil
	setInput("cc-input", "")
	if p.hand.note {
		p.sendNote(ctx, p.current, text)
		return
	}
	p.msgCounter++
	id := fmt.Sprintf("c%d-%d", time.Now().UnixNano(), p.msgCounter)
	p.send(ctx, protocol.Frame{Type: protocol.FrameSend, ChatID: p.current, ClientMsgID: id, Text: text})
	if p.typingSent {
		p.typingSent = false
		typing := false
		p.send(ctx, protocol.Frame{Type: protocol.FrameTyping, ChatID: p.current, Typing: &typing})
	}
}

func focus(id string) {
	if el := app.Window().GetElementByID(id); el.Truthy() {
		el.Call("focus")
	}
}

func scrollDown() {
	for _, el := range []app.Value{app.Window().Get("document").Call("querySelector", ".cc-messages")} {
		if el.Truthy() {
			el.Set("scrollTop", el.Get("scrollHeight"))
		}
	}
}

// badge puts the number of waiting chats and unread messages in the tab's
// title, so an agent in another tab sees that someone waits; when the
// number rises (a new chat waits, a visitor wrote in a chat not shown)
// the console beeps.
func (p *AgentPage) badge() {
	n := len(p.queue)
	for _, c := range p.chats {
		n += c.unread
	}
	title := agentTitle
	if n > 0 {
		title = fmt.Sprintf("(%d) %s", n, title)
	}
	app.Window().Get("document").Set("title", title)
	if n > p.attention {
		p.alerts++
		p.beep()
	}
	p.attention = n
}

func (p *AgentPage) toggleSound(ctx app.Context, e app.Event) {
	p.sound = inputChecked("cc-sound")
	if err := ctx.LocalStorage().Set(soundKey, p.sound); err != nil {
		p.err = "Cannot remember the sound setting: " + err.Error()
	}
	if p.sound {
		p.prepareAudio()
	}
}

// prepareAudio makes the audio context in a user's click: browsers let a
// page make sound only after the user has acted on it. Where they still
// refuse (a headless browser, no audio device) the console stays silent.
func (p *AgentPage) prepareAudio() {
	if !p.sound || (p.audio != nil && p.audio.Truthy()) {
		return
	}
	ctor := app.Window().Get("AudioContext")
	if !ctor.Truthy() {
		return
	}
	p.audio = ctor.New()
}

// beep plays a short, quiet tone if sound is on and the browser lets the
// page play it.
func (p *AgentPage) beep() {
	ac := p.audio
	if !p.sound || ac == nil || !ac.Truthy() || ac.Get("state").String() != "running" {
		return
	}
	osc, gain := ac.Call("createOscillator"), ac.Call("createGain")
	osc.Set("type", "sine")
	osc.Get("frequency").Set("value", 880)
	now := ac.Get("currentTime").Float()
	gain.Get("gain").Call("setValueAtTime", 0.08, now)
	gain.Get("gain").Call("exponentialRampToValueAtTime", 0.0001, now+0.25)
	osc.Call("connect", gain)
	gain.Call("connect", ac.Get("destination"))
	osc.Call("start", now)
	osc.Call("stop", now+0.25)
}

// queueTeam says whom a queued chat waits for, in its queue row.
func queueTeam(c protocol.ChatState) string {
	switch {
	case c.OfferedTo != 0:
		return " · offered to you"
	case c.TeamName != "":
		return " · team " + c.TeamName
	}
	return ""
}
