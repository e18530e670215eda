package widget

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"halochat/app/flow"
	"halochat/app/i18n"
	"halochat/app/protocol"
)

// Bridge message types the widget handles besides those in app/protocol.
const (
	bridgeBoot       = "halochat:boot"       // widget → loader: running; say hello now
	bridgeHello      = "halochat:hello"      // loader → widget: the config, until ready
	bridgeLauncher   = "halochat:launcher"   // loader → widget: the launcher was clicked
	bridgeAppearance = "halochat:appearance" // widget → loader: colour and size of launcher and frame
	bridgeFlag       = "halochat:flag"       // widget → loader: a conversation is (not) open here
	bridgeSession    = "halochat:session"    // widget → loader: read a sessionStorage key; loader → widget: its value
)

// bridgeIn is a message from the loader.
type bridgeIn struct {
	Type   string          `json:"type"`
	Name   string          `json:"name"`
	Detail json.RawMessage `json:"detail"`
	Config json.RawMessage `json:"config"`
	// Answered: the loader has already reported the initialized event this
	// hello or initialize event would raise (it asked the service itself
	// before the widget was booted); the widget then raises none for it.
	Answered bool `json:"answered"`
}

// Window is the chat window and the widget's controller: it answers the
// loader, starts and resumes chats, and renders the conversation.
type Window struct {
	app.Compo

	client     *Client
	store      *chatStore
	hostOrigin string
	cfg        protocol.Config
	ready      bool   // the loader has said hello
	colour     string // chosen by the page (haloChatConfig, initialize)
	icon       string // the launcher's icon URL chosen by the page (haloChatConfig, initialize)
	title      string // chosen by the page (initialize) or the query
	profile    protocol.Availability
	theme      string
	avail      *protocol.Availability
	open       bool
	conv       *Conversation
	secret     string
	stream     *Stream
	connected  bool
	starting   bool
	notice     string // an error the visitor should read
	inputError string
	outbox     []protocol.SendRequest
	lastTyping time.Time
	emailHint  string // from the host page's sessionStorage key of the profile
	pageToken  string // the last identity token the page gave (openChatWindow)
	leaving    *offlineForm
	sending    upload      // the file being attached (attach.go)
	mountCtx   app.Context // the window's own (see act)
	mounted    bool
	confirmEnd bool // asking whether to end the chat
	ending     bool // the visitor's end call is on its way
	rating     ratingForm
	mail       transcriptMail // the transcript by e-mail of the ended chat
	prefs      []string       // the browser's preferred languages (navigator.languages)
	shownLang  i18n.Lang      // the language the document is marked with
	draft      draft          // typed into the static window before the wasm ran (static.go)
	checking   bool           // an availability check is on its way
	// afterCheck is what an open does once the check in progress
	// answers: the loader boots the widget on intent, and the page's
	// openChatWindow may come before the widget knows whether anyone is in.
	afterCheck func(app.Context)
	// hintPending: the e-mail hint was asked of the loader (a start
	// waits for it).
	hintPending bool
	marks       marks
	renders     int // the renders marked so far, at most 2
}

// OnMount starts listening to the loader.
func (w *Window) OnMount(ctx app.Context) {
	w.marks.once("mount")
	w.mountCtx, w.mounted = ctx, true
	w.restoreDraft()
	loc := app.Window().URL()
	w.client = &Client{Base: loc.Scheme + "://" + loc.Host}
	w.store = newChatStore(true)
	w.prefs = browserLanguages()
	w.markLanguage()
	parent := app.Window().Get("parent")
	onMessage := func(ev app.Value) {
		if !ev.Get("source").Equal(parent) {
			return
		}
		origin := ev.Get("origin").String()
		if d := ev.Get("data"); d.Type() == app.TypeObject && d.Get("type").Type() == app.TypeString {
			w.marks.once("received " + d.Get("type").String())
		}
		data := app.Window().Get("JSON").Call("stringify", ev.Get("data")).String()
		ctx.Dispatch(func(ctx app.Context) { w.fromLoader(ctx, origin, data) })
	}
	// What the loader sent before the wasm ran, kept by the page's script
	// (static/web/focus.js), then what comes: taken and listened for in
	// one go, and the kept ones dispatched before the thread first goes
	// back to the browser (at a yield), so that no message falls between.
	var kept []app.Value
	if early := app.Window().Get("halochatEarly"); early.Type() == app.TypeFunction {
		k := early.Invoke()
		for i := 0; i < k.Length(); i++ {
			kept = append(kept, k.Index(i))
		}
	}
	app.Window().Call("addEventListener", "message", app.FuncOf(func(this app.Value, args []app.Value) any {
		onMessage(args[0])
		return nil
	}))
	host := ancestorOrigin()
	boot, hasBoot := bootFromFragment(loc.Fragment)
	if hasBoot && !boot.Open && host != "" {
		// The pointer booted the widget and its click came while the wasm
		// loaded: that open is the boot's.
		if kept, boot.Open = takeLauncherOpen(kept, parent, host); boot.Open {
			w.marks.once("received " + bridgeLauncher)
			w.marks.once("handling " + bridgeLauncher)
		}
	}
	for _, ev := range kept {
		onMessage(ev)
	}
	if hasBoot {
		// The config stays in the frame's history no longer than needed
		// (once the host page has heard what it waits for).
		defer func() {
			clean := *loc
			clean.Fragment, clean.RawFragment = "", ""
			hist := app.Window().Get("history")
			hist.Call("replaceState", hist.Get("state"), "", clean.String())
		}()
	}
	if host == "" {
		return
	}
	if hasBoot {
		// The loader put its hello in the frame's URL and the browser names
		// the page that framed us: take it now, without the round trip of
		// a boot message and a hello through the host page's thread.
		w.hostOrigin = host
		if !w.takeConfig(boot.Config) {
			return
		}
		if boot.Open {
			// The launcher's click opened the window, which is now the
			// wasm's: the host page hears so first, then the rest of the
			// hello and the open (the profile's check, the chat's start)
			// go on after the browser's turn.
			w.announceOpen()
			yieldToBrowser()
		}
		w.greeted(ctx, boot.Answered)
		if boot.Open {
			w.opened(ctx, &protocol.OpenDetail{RetainPreviousChat: true}, "")
		}
	} else {
		// Tell the loader at once that the widget runs (it would otherwise
		// wait for its next hello); the message carries nothing and goes
		// to that origin only.
		msg := app.Window().Get("JSON").Call("parse", `{"type":"`+bridgeBoot+`"}`)
		parent.Call("postMessage", msg, host)
	}
	yieldToBrowser()
}

// takeLauncherOpen takes from the messages the loader sent before the
// wasm ran the launcher's open, when it is the first of them from the
// host page after its hellos (which the frame's URL already carried),
// and reports whether it did.
func takeLauncherOpen(kept []app.Value, parent app.Value, host string) ([]app.Value, bool) {
	for i, ev := range kept {
		if !ev.Get("source").Equal(parent) || ev.Get("origin").String() != host {
			continue
		}
		d := ev.Get("data")
		if d.Type() != app.TypeObject || d.Get("type").Type() != app.TypeString {
			return kept, false
		}
		switch d.Get("type").String() {
		case bridgeHello:
			continue
		case bridgeLauncher:
			if o := d.Get("detail"); o.Type() == app.TypeObject && o.Get("open").Type() == app.TypeBoolean && o.Get("open").Bool() {
				return append(kept[:i:i], kept[i+1:]...), true
			}
		}
		return kept, false
	}
	return kept, false
}

// yieldToBrowser gives the browser its thread for one turn and waits for
// it. A message posted to another window leaves only once the wasm gives
// the thread back, and after the mount go-app goes straight on to render
// the window again (its first frame tick is already due), which takes
// tens of milliseconds on a wasm not yet optimised: the mount's messages
// to the host page (ready, chatWindowOpened, boot) leave first. Only on
// the UI goroutine outside a JS callback (a dispatch, as OnMount is).
func yieldToBrowser() {
	done := make(chan struct{})
	var f app.Func
	f = app.FuncOf(func(app.Value, []app.Value) any {
		f.Release()
		close(done)
		return nil
	})
	app.Window().Call("setTimeout", f, 0)
	<-done
}

// bootFragment prefixes the hello the loader puts in the widget frame's
// URL fragment when it creates the frame: the fragment never reaches a
// server, and only the page that framed the widget (or its own site) can
// navigate the frame.
const bootFragment = "halochat="

// bootState is the loader's hello in the frame's URL: haloChatConfig,
// whether the loader already reported initialized, and whether the
// launcher's click that booted the widget opened the window.
type bootState struct {
	Config   json.RawMessage `json:"config"`
	Answered bool            `json:"answered"`
	Open     bool            `json:"open"`
}

// bootFromFragment reads the loader's hello from the frame's URL fragment
// (decoded); false where there is none, it does not parse or it holds no
// config object (the hello's own check then judges the config).
func bootFromFragment(fragment string) (bootState, bool) {
	raw, ok := strings.CutPrefix(fragment, bootFragment)
	if !ok || len(raw) > protocol.MaxConfigBytes+256 {
		return bootState{}, false
	}
	var b bootState
	if err := json.Unmarshal([]byte(raw), &b); err != nil || len(b.Config) == 0 || b.Config[0] != '{' {
		return bootState{}, false
	}
	return b, true
}

// act is an event handler that runs f with the window's own context. An
// element's handler context drops what is dispatched once the element is
// gone (go-app runs a dispatch only while its source is mounted), and the
// buttons that end a chat or start a new one are gone by the time the
// service answers.
func (w *Window) act(f func(ctx app.Context)) app.EventHandler {
	return func(ctx app.Context, e app.Event) {
		if w.mounted {
			ctx = w.mountCtx
		}
		f(ctx)
	}
}

// OnDismount closes the chat's connection.
func (w *Window) OnDismount() {
	if w.stream != nil {
		w.stream.Close()
	}
}

// marks records User Timing marks named "halochat:"+name, the first of
// each name only (a chat's bridge messages would otherwise pile up in the
// page's performance timeline): the browser's performance panel shows
// them, and widgetbench reads them to place the widget's steps after a
// click.
type marks struct {
	mu   sync.Mutex
	done map[string]bool
}

func (m *marks) once(name string) {
	m.mu.Lock()
	first := !m.done[name]
	if first {
		if m.done == nil {
			m.done = map[string]bool{}
		}
		m.done[name] = true
	}
	m.mu.Unlock()
	if !first {
		return
	}
	if p := app.Window().Get("performance"); p.Truthy() {
		p.Call("mark", "halochat:"+name)
	}
}

// ancestorOrigin is the host page's origin as the browser reports it
// (location.ancestorOrigins; "" where the browser has none).
func ancestorOrigin() string {
	ao := app.Window().Get("location").Get("ancestorOrigins")
	if !ao.Truthy() || ao.Length() == 0 {
		return ""
	}
	return ao.Index(0).String()
}

func (w *Window) fromLoader(ctx app.Context, origin, data string) {
	var m bridgeIn
	if err := json.Unmarshal([]byte(data), &m); err != nil {
		return
	}
	if w.hostOrigin == "" {
		// The first hello fixes the host page's origin. Where the browser
		// names the ancestor, the message must come from it.
		if m.Type != bridgeHello || (ancestorOrigin() != "" && ancestorOrigin() != origin) {
			return
		}
		w.hostOrigin = origin
	}
	if origin != w.hostOrigin {
		return
	}
	w.marks.once("handling " + m.Type)
	switch m.Type {
	case bridgeHello:
		w.hello(ctx, m.Config, m.Answered)
	case protocol.BridgeTypeInbound:
		w.inbound(ctx, m.Name, m.Detail, m.Answered)
	case bridgeSession:
		var d struct{ Key, Value string }
		if json.Unmarshal(m.Detail, &d) == nil && d.Key != "" && d.Key == w.profile.EmailStorageKey {
			w.emailHint = d.Value
			w.hintPending = false
			w.checked(ctx)
		}
	case bridgeLauncher:
		// The loader says which state the launcher's click left the
		// window in; one without it (an older loader) toggles.
		var d struct{ Open *bool }
		_ = json.Unmarshal(m.Detail, &d)
		open := !w.open
		if d.Open != nil {
			open = *d.Open
		}
		switch {
		case open && !w.open:
			w.openWindow(ctx, &protocol.OpenDetail{RetainPreviousChat: true}, "")
		case !open && w.open:
			w.closeWindow(ctx)
		}
	}
}

// post sends a bridge message to the loader, at the host's exact origin.
func (w *Window) post(typ, name string, detail map[string]any) {
	if w.hostOrigin == "" {
		return
	}
	b, err := json.Marshal(protocol.BridgeMessage{Type: typ, Name: name, Detail: detail})
	if err != nil {
		return
	}
	msg := app.Window().Get("JSON").Call("parse", string(b))
	app.Window().Get("parent").Call("postMessage", msg, w.hostOrigin)
}

func (w *Window) emit(out ...Outbound) {
	for _, o := range out {
		w.post(protocol.BridgeTypeOutbound, o.Name, o.Detail)
	}
}

// fail reports an error to the page (outbound error event and console)
// and, when the window is open, to the visitor.
func (w *Window) fail(code, msg, event string) {
	app.Window().Get("console").Call("error", "halochat: "+msg)
	var ev any
	if event != "" {
		ev = event
	}
	w.post(protocol.BridgeTypeOutbound, protocol.OutError, map[string]any{"code": code, "message": msg, "event": ev})
	w.notice = msg
}

func (w *Window) hello(ctx app.Context, raw json.RawMessage, answered bool) {
	if w.ready {
		w.post(protocol.BridgeTypeReady, "", nil)
		return
	}
	if w.takeConfig(raw) {
		w.greeted(ctx, answered)
	}
}

// takeConfig takes the page's haloChatConfig from the loader's hello and
// tells the loader the widget is ready; false (and the page told why)
// when the config is refused.
func (w *Window) takeConfig(raw json.RawMessage) bool {
	cfg, err := protocol.ParseConfig(raw)
	if err != nil {
		w.hostOrigin = "" // let a corrected page try again
		w.fail(protocol.CodeInvalidConfig, err.Error(), "")
		return false
	}
	cfg.ChatServiceURL = w.client.Base
	w.cfg = cfg
	// Only the service's own page (the portal) may have the portal's
	// cookie sent; the browser keeps it from other sites' frames anyway.
	w.client.SendCookies = cfg.Portal && w.hostOrigin == w.client.Base
	w.store = newChatStore(cfg.Persist())
	w.colour, w.theme, w.icon = cfg.Colour, cfg.Theme, cfg.Icon
	w.ready = true
	w.post(protocol.BridgeTypeReady, "", nil)
	w.marks.once("ready")
	return true
}

// greeted follows the hello once the widget is ready: it drops the
// loader's stale flag and initialises where the page asks it to or a
// chat is to be resumed.
func (w *Window) greeted(ctx app.Context, answered bool) {
	_, resumable := w.store.get(ctx, w.cfg.ConfigID)
	if !resumable {
		// The loader boots the widget at once on its flag alone: a flag
		// left over (storage cleared, a chat that could not be kept) must
		// not boot it on every page.
		w.post(bridgeFlag, "", map[string]any{"open": false, "configId": w.cfg.ConfigID})
	}
	if w.cfg.AutoInit() || resumable {
		w.initialize(ctx, nil, answered)
	}
}

func (w *Window) inbound(ctx app.Context, name string, detail json.RawMessage, answered bool) {
	ev, err := protocol.ParseInbound(name, detail)
	if err != nil {
		if ee, ok := errors.AsType[*protocol.EventError](err); ok {
			w.fail(ee.Code, ee.Error(), name)
		}
		return
	}
	switch {
	case ev.Initialize != nil:
		w.initialize(ctx, ev.Initialize, answered)
	case ev.Open != nil:
		w.openWindow(ctx, ev.Open, name)
	case ev.Upgrade != nil:
		w.upgrade(ctx, ev.Upgrade.IDToken)
	case name == protocol.EventCloseChatWindow:
		w.closeWindow(ctx)
	case name == protocol.EventLogout || name == protocol.EventLoginChanged:
		w.logout(ctx)
	}
}

// initialize (re)initialises the widget with a profile and appearance
// overrides (d nil: haloChatConfig as it is), and tells the page whether
// chat is available, unless the loader already has (answered).
func (w *Window) initialize(ctx app.Context, d *protocol.InitializeDetail, answered bool) {
	if d != nil {
		if d.Colour != "" {
			w.colour = d.Colour
		}
		if d.Theme != "" {
			w.theme = d.Theme
		}
		if d.Title != "" {
			w.title = d.Title
		}
		if d.Icon != "" {
			w.icon = d.Icon
		}
		if d.Height > 0 {
			w.cfg.Height = d.Height
		}
		if d.Width > 0 {
			w.cfg.Width = d.Width
		}
		if d.ConfigID != "" && (d.ConfigID != w.cfg.ConfigID || d.ConfigKey != w.cfg.ConfigKey) {
			w.switchProfile(ctx, d.ConfigID, d.ConfigKey, answered)
			return
		}
	}
	w.appearance()
	w.checkAvailability(ctx, answered, nil)
}

func (w *Window) appearance() {
	w.paint()
	w.markLanguage()
	// The launcher's labels, in the window's language.
	d := map[string]any{"labels": map[string]string{
		"open": w.t(i18n.LauncherOpen), "unread": w.t(i18n.LauncherUnread), "frame": w.t(i18n.FrameTitle)}}
	if c := w.effectiveColour(); c != "" {
		d["colour"] = c
	}
	if w.cfg.Width > 0 {
		d["width"] = w.cfg.Width
	}
	if w.cfg.Height > 0 {
		d["height"] = w.cfg.Height
	}
	d["hidden"] = w.launcherHidden()
	// The launcher's place and icon are the profile's; the page's icon wins.
	d["position"] = w.profile.LauncherPosition
	d["icon"] = w.icon
	if w.icon == "" {
		d["icon"] = w.profile.IconURL
	}
	w.post(bridgeAppearance, "", d)
}

// paint sets the widget's colour as CSS custom properties of the
// document through the CSSOM. Only a validated colour reaches CSS
// (docs/CONTRACT.md#config).
func (w *Window) paint() {
	c := w.effectiveColour()
	if c == "" || !protocol.ValidColour(c) {
		return
	}
	st := app.Window().Get("document").Get("documentElement").Get("style")
	st.Call("setProperty", "--hc-colour", c)
	st.Call("setProperty", "--hc-on-colour", onColour(c))
}

// checkAvailability asks whether the profile can take a chat, reports
// haloChat_outboundEvent_initialized (unless the loader has: answered),
// then runs next (if any) with the answer.
func (w *Window) checkAvailability(ctx app.Context, answered bool, next func(ctx app.Context, a *protocol.Availability)) {
	configID := w.cfg.ConfigID
	w.checking = true
	ctx.Async(func() {
		actx, cancel := withTimeout(15 * time.Second)
		defer cancel()
		a, err := w.client.Availability(actx, configID)
		ctx.Dispatch(func(ctx app.Context) {
			w.checking = false
			if err != nil {
				defer w.checked(ctx)
				code := refusalCode(err, protocol.CodeProfileNotFound)
				w.fail(code, "check the chat profile "+configID+": "+err.Error(), protocol.EventInitialize)
				return
			}
			w.avail = a
			w.profileAppearance(a)
			initialized := func(ctx app.Context) {
				if !answered {
					w.emit(Outbound{protocol.OutInitialized, map[string]any{"chatAvailable": a.ChatAvailable, "configId": a.ConfigID}})
				}
				if next != nil {
					next(ctx, a)
				}
				w.checked(ctx)
			}
			// A chat open before a reload is resumed first, so the page's
			// next event finds it.
			if !w.resumeSaved(ctx, initialized) {
				initialized(ctx)
			}
		})
	})
}

// profileAppearance takes the profile's look; the page's choices win.
func (w *Window) profileAppearance(a *protocol.Availability) {
	w.profile = *a
	w.appearance()
	if a.EmailStorageKey != "" {
		w.hintPending = true
		w.post(bridgeSession, "", map[string]any{"key": a.EmailStorageKey})
	}
}

// launcherHidden: the profile hides the launcher while chat is
// unavailable, unless a conversation is in progress.
func (w *Window) launcherHidden() bool {
	return w.profile.HideWhenUnavailable && !w.profile.ChatAvailable && (w.conv == nil || w.conv.Ended())
}

// effectiveColour is the page's colour, else the profile's.
func (w *Window) effectiveColour() string {
	if w.colour != "" {
		return w.colour
	}
	if protocol.ValidColour(w.profile.Colour) {
		return w.profile.Colour
	}
	return ""
}

// switchProfile moves to another chat profile. If a chat is open and the
// new profile runs a different flow, that chat is ended and removed.
func (w *Window) switchProfile(ctx app.Context, configID, configKey string, answered bool) {
	oldFlow := int64(0)
	if w.avail != nil {
		oldFlow = w.avail.FlowID
	}
	w.cfg.ConfigID, w.cfg.ConfigKey = configID, configKey
	w.appearance()
	w.checkAvailability(ctx, answered, func(ctx app.Context, a *protocol.Availability) {
		if w.conv != nil && !w.conv.Ended() && a.FlowID != oldFlow {
			w.endConversation(ctx, true, protocol.EndByVisitor)
		}
	})
}

// resumeSaved reconnects to the chat this browser had open before a
// reload, then runs then; it reports whether it started a resume.
func (w *Window) resumeSaved(ctx app.Context, then func(app.Context)) bool {
	if w.conv != nil || w.starting {
		return false
	}
	saved, ok := w.store.get(ctx, w.cfg.ConfigID)
	if !ok {
		return false
	}
	retain := true
	w.start(ctx, protocol.StartChatRequest{RetainPreviousChat: &retain, PreviousChatID: saved.ChatID,
		ResumeSecret: saved.ResumeSecret}, "", true, then)
	return true
}

func (w *Window) openWindow(ctx app.Context, d *protocol.OpenDetail, event string) {
	if !w.ready {
		return
	}
	w.announceOpen()
	w.opened(ctx, d, event)
}

// announceOpen opens the window and tells the host page.
func (w *Window) announceOpen() {
	w.open = true
	w.notice = ""
	w.post(protocol.BridgeTypeWindowState, "", map[string]any{"open": true})
	var chatID any
	if w.conv != nil {
		chatID = w.conv.ChatID
		w.emit(w.conv.Opened()...)
	}
	w.emit(Outbound{protocol.OutChatWindowOpened, map[string]any{"chatId": chatID}})
	w.marks.once("opened")
}

// opened does what an open asks once the window is open: the input's
// focus, then the chat's start or resume (after the profile's check).
func (w *Window) opened(ctx app.Context, d *protocol.OpenDetail, event string) {
	focusInput(ctx)

	if d.IDToken != "" {
		w.pageToken = d.IDToken
	}
	if (w.checking && w.avail == nil) || w.hintPending {
		w.afterCheck = func(ctx app.Context) { w.startOnOpen(ctx, d, event) }
		return
	}
	w.startOnOpen(ctx, d, event)
}

// checked runs what waited for the availability check (and the e-mail
// hint it asked for).
func (w *Window) checked(ctx app.Context) {
	if f := w.afterCheck; f != nil && !w.hintPending {
		w.afterCheck = nil
		f(ctx)
	}
}

// startOnOpen starts, resumes or replaces the chat as an open asks.
func (w *Window) startOnOpen(ctx app.Context, d *protocol.OpenDetail, event string) {
	inProgress := w.conv != nil && !w.conv.Ended()
	switch {
	case w.starting:
	case !inProgress && w.avail != nil && !w.avail.ChatAvailable:
		// Nobody is in: the leave-a-message form, not a chat.
		if w.leaving == nil {
			w.leaveMessage(ctx, d.IDToken)
		}
	case inProgress && d.RetainPreviousChat && d.IDToken == "":
		// Only open the window.
	case inProgress && d.RetainPreviousChat:
		// The server keeps the chat for the same user and replaces it for
		// another one (never show one user another's chat).
		retain := true
		w.start(ctx, protocol.StartChatRequest{IDToken: d.IDToken, StartStepOverride: d.StartStepOverride,
			RetainPreviousChat: &retain, PreviousChatID: w.conv.ChatID, ResumeSecret: w.secret}, event, false, nil)
	default:
		retain := d.RetainPreviousChat
		req := protocol.StartChatRequest{IDToken: d.IDToken, StartStepOverride: d.StartStepOverride, RetainPreviousChat: &retain}
		if w.conv != nil {
			req.PreviousChatID, req.ResumeSecret = w.conv.ChatID, w.secret
		}
		w.start(ctx, req, event, false, nil)
	}
}

func (w *Window) closeWindow(ctx app.Context) {
	w.open = false
	w.post(protocol.BridgeTypeWindowState, "", map[string]any{"open": false})
	var chatID any
	if w.conv != nil {
		chatID = w.conv.ChatID
	}
	w.emit(Outbound{protocol.OutChatWindowClosed, map[string]any{"chatId": chatID}})
}

// start calls the service to start or resume a chat; quiet (a resume after
// a reload) reports no error to the visitor if the chat is gone.
func (w *Window) start(ctx app.Context, req protocol.StartChatRequest, event string, quiet bool, then func(app.Context)) {
	req.ConfigID, req.ConfigKey, req.HostOrigin, req.EmailHint = w.cfg.ConfigID, w.cfg.ConfigKey, w.hostOrigin, w.emailHint
	req.Portal = w.client.SendCookies
	req.Languages = w.prefs
	w.starting = true
	ctx.Async(func() {
		sctx, cancel := withTimeout(30 * time.Second)
		defer cancel()
		resp, err := w.client.Start(sctx, req)
		ctx.Dispatch(func(ctx app.Context) {
			w.starting = false
			if then != nil {
				defer then(ctx)
			}
			if err != nil {
				if quiet {
					w.store.forget(ctx, w.cfg.ConfigID)
					w.post(bridgeFlag, "", map[string]any{"open": false, "configId": w.cfg.ConfigID})
					return
				}
				code, msg := refusalCode(err, protocol.CodeInternal), err.Error()
				if event == "" {
					event = protocol.EventOpenChatWindow
				}
				w.fail(code, msg, event)
				return
			}
			w.adopt(ctx, resp, req)
		})
	})
}

// adopt makes a started or resumed chat the widget's conversation.
func (w *Window) adopt(ctx app.Context, resp *protocol.StartChatResponse, req protocol.StartChatRequest) {
	if w.stream != nil {
		w.stream.Close()
		w.stream = nil
	}
	if w.conv != nil && w.conv.ChatID != resp.ChatID && !w.conv.Ended() {
		// The start ended the chat this window held.
		reason := protocol.EndReplaced
		if !req.Retain() {
			reason = protocol.EndRestarted
		}
		w.emit(w.conv.End(reason)...)
	}
	conv, out := NewConversation(*resp, w.announced(ctx, resp), w.open)
	if w.conv == nil || w.conv.ChatID != conv.ChatID {
		w.rating, w.confirmEnd = ratingForm{}, false
	}
	w.conv, w.secret, w.outbox, w.notice = conv, resp.ResumeSecret, nil, ""
	w.emit(out...)
	w.appearance()
	if conv.Ended() {
		w.store.forget(ctx, w.cfg.ConfigID)
		w.post(bridgeFlag, "", map[string]any{"open": false, "configId": w.cfg.ConfigID})
		return
	}
	var flowID int64
	if w.avail != nil {
		flowID = w.avail.FlowID
	}
	announced := conv.LastSeq()
	w.store.put(ctx, w.cfg.ConfigID, savedChat{ChatID: resp.ChatID, ResumeSecret: resp.ResumeSecret, FlowID: flowID, Announced: &announced})
	// The flag boots the widget at once after a reload: only for a chat
	// that a reload resumes (kept in storage, not in memory).
	w.post(bridgeFlag, "", map[string]any{"open": w.store.persist, "configId": w.cfg.ConfigID})
	mode := w.cfg.ChatMode
	if mode == "" {
		mode = protocol.ChatModeWebsocket
	}
	chatID := resp.ChatID
	w.stream = w.client.Connect(resp.ChatID, resp.ResumeSecret, conv.LastSeq(), mode, func(u Update) {
		ctx.Dispatch(func(ctx app.Context) { w.update(ctx, chatID, u) })
	})
}

// announced is the newest seq of a started chat whose events the host
// page has heard: none for a chat new here; for a chat resumed, what this
// window announced, or after a reload what the page before it did.
func (w *Window) announced(ctx app.Context, resp *protocol.StartChatResponse) int64 {
	switch {
	case !resp.Resumed:
		return 0
	case w.conv != nil && w.conv.ChatID == resp.ChatID:
		return w.conv.LastSeq()
	}
	if saved, ok := w.store.get(ctx, w.cfg.ConfigID); ok && saved.ChatID == resp.ChatID && saved.Announced != nil {
		return *saved.Announced
	}
	return math.MaxInt64
}

// rememberAnnounced records for a reload how far the page has heard of
// the conversation's messages.
func (w *Window) rememberAnnounced(ctx app.Context) {
	saved, ok := w.store.get(ctx, w.cfg.ConfigID)
	last := w.conv.LastSeq()
	if !ok || saved.ChatID != w.conv.ChatID || (saved.Announced != nil && *saved.Announced == last) {
		return
	}
	saved.Announced = &last
	w.store.put(ctx, w.cfg.ConfigID, saved)
}

// update applies what the stream reports.
func (w *Window) update(ctx app.Context, chatID string, u Update) {
	if w.conv == nil || w.conv.ChatID != chatID {
		return
	}
	if u.Connected != nil {
		w.connected = *u.Connected
	}
	if u.Chat != nil {
		w.emit(w.conv.Update(*u.Chat)...)
	}
	if len(u.Messages) > 0 {
		w.emit(w.conv.Receive(u.Messages, w.open)...)
		w.rememberAnnounced(ctx)
	}
	if u.Typing != nil {
		w.conv.Typing = *u.Typing
	}
	if u.Ack != nil {
		w.outbox = removeSent(w.outbox, u.Ack.ClientMsgID)
	}
	if u.Err != nil {
		if u.Err.Code == protocol.CodeChatNotFound || u.Err.Code == protocol.CodeChatEnded {
			w.emit(w.conv.End(u.Err.Code)...)
		} else {
			w.notice = w.f(i18n.SendFailed, u.Err.Message)
		}
	}
	if w.conv.Ended() {
		w.finish(ctx)
	}
}

// finish forgets an ended chat in this browser; the transcript stays on
// screen until a new chat starts.
func (w *Window) finish(ctx app.Context) {
	if w.stream != nil {
		w.stream.Close()
		w.stream = nil
	}
	w.store.forget(ctx, w.cfg.ConfigID)
	w.post(bridgeFlag, "", map[string]any{"open": false, "configId": w.cfg.ConfigID})
	w.appearance()
}

// endConversation ends the chat on the server for reason (one a visitor
// may give); remove also clears it from the window.
func (w *Window) endConversation(ctx app.Context, remove bool, reason string) {
	if w.conv == nil {
		return
	}
	chatID, secret := w.conv.ChatID, w.secret
	if !w.conv.Ended() {
		w.ending = true
		ctx.Async(func() {
			ectx, cancel := withTimeout(15 * time.Second)
			defer cancel()
			if err := w.client.End(ectx, chatID, secret, reason); err != nil {
				app.Log("halochat: end chat " + chatID + ": " + err.Error())
			}
			// A rating waits for the end: the service rates ended chats only.
			ctx.Dispatch(func(app.Context) { w.ending = false })
		})
		w.emit(w.conv.End(reason)...)
	}
	w.finish(ctx)
	if remove {
		w.conv, w.secret, w.outbox = nil, "", nil
	}
}

// upgrade turns the open anonymous chat into the token's user's chat.
func (w *Window) upgrade(ctx app.Context, idToken string) {
	report := func(success bool, chatID any, code, msg string) {
		var e any
		if code != "" {
			e = map[string]any{"code": code, "message": msg}
		}
		w.emit(Outbound{protocol.OutUpgradeAnonChat, map[string]any{"success": success, "chatId": chatID, "error": e}})
	}
	if w.conv == nil || w.conv.Ended() {
		report(false, nil, "no_chat", "there is no open chat to upgrade")
		return
	}
	if w.conv.Chat.Authenticated {
		report(false, w.conv.ChatID, "already_authenticated", "the open chat is already an authenticated chat")
		return
	}
	chatID, secret := w.conv.ChatID, w.secret
	ctx.Async(func() {
		uctx, cancel := withTimeout(15 * time.Second)
		defer cancel()
		st, err := w.client.Upgrade(uctx, chatID, secret, idToken)
		ctx.Dispatch(func(ctx app.Context) {
			if err != nil {
				report(false, chatID, refusalCode(err, protocol.CodeInternal), err.Error())
				return
			}
			if w.conv != nil && w.conv.ChatID == chatID {
				w.conv.Chat.Authenticated = st.Authenticated
			}
			report(true, chatID, "", "")
		})
	})
}

// logout ends the link between this browser and an authenticated chat
// (and ends that chat), so the next person here never sees it.
func (w *Window) logout(ctx app.Context) {
	if w.conv != nil && w.conv.Chat.Authenticated {
		w.endConversation(ctx, true, protocol.EndLogout)
	}
	w.store.forget(ctx, w.cfg.ConfigID)
	w.post(bridgeFlag, "", map[string]any{"open": w.conv != nil && !w.conv.Ended(), "configId": w.cfg.ConfigID})
}

func newClientMsgID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// send sends the draft, after checking it as the bot's question would.
//
// The input is not bound to the component's state: re-rendering its value
// between keystrokes would drop characters, so the text is read from the
// field when sent.
func (w *Window) send(ctx app.Context) {
	field := app.Window().GetElementByID("hc-input")
	if !field.Truthy() {
		return
	}
	text := strings.TrimSpace(field.Get("value").String())
	if w.stream == nil || w.conv == nil || w.conv.Ended() {
		return
	}
	if p := w.conv.Pending(); p != nil && p.Kind == "answer" && p.Prompt != nil {
		v := flow.Validation{Required: p.Prompt.Required, Type: p.Prompt.Type, Pattern: p.Prompt.Pattern,
			Min: p.Prompt.Min, Max: p.Prompt.Max, MaxLength: p.Prompt.MaxLength}
		if reason := flow.CheckAnswer(v, text); reason != "" {
			w.inputError = w.t(i18n.Invalid(reason))
			return
		}
	}
	if text == "" {
		return
	}
	req := protocol.SendRequest{ClientMsgID: newClientMsgID(), Text: text}
	w.outbox = append(w.outbox, req)
	w.inputError = ""
	field.Set("value", "")
	w.stream.Send(req)
	focusInput(ctx)
}

func (w *Window) choose(ctx app.Context, i int) {
	if w.stream == nil {
		return
	}
	choice := i
	req := protocol.SendRequest{ClientMsgID: newClientMsgID(), Choice: &choice}
	if p := w.conv.Pending(); p != nil && i < len(p.Choices) {
		req.Text = p.Choices[i]
	}
	w.outbox = append(w.outbox, req)
	w.stream.Send(protocol.SendRequest{ClientMsgID: req.ClientMsgID, Choice: &choice})
}

func (w *Window) typed(ctx app.Context, e app.Event) {
	w.inputError = ""
	if w.stream != nil && time.Since(w.lastTyping) > 2*time.Second {
		w.lastTyping = time.Now()
		s := w.stream
		ctx.Async(func() { s.Typing(true) })
	}
}

func (w *Window) newChat(ctx app.Context) {
	w.conv, w.secret, w.outbox, w.rating = nil, "", nil, ratingForm{}
	w.openWindow(ctx, &protocol.OpenDetail{RetainPreviousChat: true}, "")
}

// hintFor is the e-mail hint to offer while the bot waits for p: an
// answer it checks as an e-mail address. "" otherwise, or without a hint.
func (w *Window) hintFor(p *protocol.Pending) string {
	if p == nil || p.Kind != "answer" || p.Prompt == nil || p.Prompt.Type != flow.ValidateEmail {
		return ""
	}
	return strings.TrimSpace(w.emailHint)
}

// fillInput puts text into the message field, for the visitor to send
// or change.
func fillInput(ctx app.Context, text string) {
	if el := app.Window().GetElementByID("hc-input"); el.Truthy() {
		el.Set("value", text)
	}
	focusInput(ctx)
}

func focusInput(ctx app.Context) {
	ctx.Defer(func(app.Context) {
		if el := app.Window().GetElementByID("hc-input"); el.Truthy() {
			el.Call("focus")
		}
	})
}
