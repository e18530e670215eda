package console

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"halochat/app/protocol"
)

// The agent console's hand-overs: internal notes (the composer's Note
// toggle), transfers to another agent or a team with a note, and the
// desktop notifications of chats offered or handed to the agent.

// handover is the agent page's state for notes, transfers and
// notifications.
type handover struct {
	note       bool // the composer writes an internal note
	transferOn bool // the transfer form is open
	targets    *protocol.TransferTargets
	targetsErr string
	// accepting are the chats the agent asked to accept: an accepted
	// frame for any other was handed to them (a transfer).
	accepting map[string]bool
	// offered are the queued chats already announced to the agent.
	offered map[string]bool
}

// notifyKey remembers that the console asked for the permission to show
// desktop notifications (the browser remembers the answer).
const notifyKey = "halochat.console.notifications"

// askNotifications asks, once, for the permission to show desktop
// notifications: in the click that took the agent online (browsers ask
// only in a user's gesture).
func askNotifications(ctx app.Context) {
	n := app.Window().Get("Notification")
	if !n.Truthy() || ctx.LocalStorage().Contains(notifyKey) {
		return
	}
	if n.Get("permission").String() == "default" {
		n.Call("requestPermission")
	}
	_ = ctx.LocalStorage().Set(notifyKey, true)
}

// notify shows a desktop notification when the agent allowed them; tag
// replaces an earlier one of the same thing.
func (p *AgentPage) notify(title, body, tag string) {
	p.notified++
	n := app.Window().Get("Notification")
	if !n.Truthy() || n.Get("permission").String() != "granted" {
		return
	}
	opts := map[string]any{"body": body, "tag": tag}
	n.New(title, opts)
}

// tabHidden reports whether the console's tab is not shown.
func tabHidden() bool {
	return app.Window().Get("document").Get("hidden").Bool()
}

// queueChanged notifies of the chats newly offered to the agent, or newly
// waiting in a queue they see.
func (p *AgentPage) queueChanged(queue []protocol.ChatState) {
	if p.hand.offered == nil {
		p.hand.offered = map[string]bool{}
	}
	seen := map[string]bool{}
	for _, c := range queue {
		seen[c.ID] = true
		if p.hand.offered[c.ID] {
			continue
		}
		p.hand.offered[c.ID] = true
		what := "A new chat is waiting"
		if c.OfferedTo != 0 {
			what = "A chat is offered to you"
		} else if c.TeamName != "" {
			what = "A new chat is waiting for " + c.TeamName
		}
		p.notify(what, visitorName(c), "queue-"+c.ID)
	}
	for id := range p.hand.offered {
		if !seen[id] {
			delete(p.hand.offered, id)
		}
	}
}

// handed notes an accepted frame: one the agent did not ask for was a
// chat handed to them.
func (p *AgentPage) handed(f protocol.Frame) {
	if p.hand.accepting[f.ChatID] {
		delete(p.hand.accepting, f.ChatID)
		return
	}
	name := "a visitor"
	if f.Chat != nil {
		name = visitorName(*f.Chat)
	}
	p.notify("A chat was transferred to you", "Your chat with "+name+" — read the note in its history.", "chat-"+f.ChatID)
}

// visitorWrote notifies of a visitor's message while the tab is hidden.
func (p *AgentPage) visitorWrote(chatID string, m protocol.ChatMessage) {
	if m.From != protocol.FromVisitor || !tabHidden() {
		return
	}
	name := "The visitor"
	if c := p.chats[chatID]; c != nil {
		name = visitorName(c.state)
	}
	p.notify(name+" wrote", m.Text, "chat-"+chatID)
}

// noteToggle is the composer's Note switch: while on, what the agent
// writes is an internal note that the visitor never sees.
func (p *AgentPage) noteToggle() app.UI {
	return app.Label().Class("cc-check cc-note-toggle").Title("An internal note: other agents read it, the visitor never does").Body(
		app.Input().Type("checkbox").ID("cc-note").Checked(p.hand.note).OnChange(func(ctx app.Context, e app.Event) {
			p.hand.note = inputChecked("cc-note")
		}),
		app.Text("Note"),
	)
}

// sendNote posts text as an internal note into chat id.
func (p *AgentPage) sendNote(ctx app.Context, id, text string) {
	p.msgCounter++
	body := protocol.AgentMessage{ChatID: id, ClientMsgID: fmt.Sprintf("n%d-%d", time.Now().UnixNano(), p.msgCounter), Text: text, Internal: true}
	ctx.Async(func() {
		err := call(ctx, "POST", "/api/ChatMessage", body, nil)
		ctx.Dispatch(func(app.Context) {
			if err != nil {
				p.err = "The note was not saved: " + err.Error()
			}
		})
	})
}

// transferButton opens the transfer form of the current chat.
func (p *AgentPage) transferButton() app.UI {
	return app.Button().ID("cc-transfer").Text("Transfer…").OnClick(func(ctx app.Context, e app.Event) {
		p.hand.transferOn = !p.hand.transferOn
		if p.hand.transferOn {
			p.loadTargets(ctx)
		}
	})
}

func (p *AgentPage) loadTargets(ctx app.Context) {
	ctx.Async(func() {
		var tt protocol.TransferTargets
		err := call(ctx, "GET", "/api/TransferTargets", nil, &tt)
		ctx.Dispatch(func(app.Context) {
			if err != nil {
				p.hand.targetsErr = "Cannot list whom to transfer to: " + err.Error()
				return
			}
			p.hand.targets, p.hand.targetsErr = &tt, ""
		})
	})
}

// transferForm is the form that hands the current chat on: to an agent
// or a team, with a note for the next agent.
func (p *AgentPage) transferForm() app.UI {
	if !p.hand.transferOn {
		return app.Text("")
	}
	if p.hand.targets == nil {
		return app.Div().ID("cc-transfer-form").Class("cc-transfer").Body(notice("cc-error", p.hand.targetsErr),
			app.P().Class("cc-muted").Text("Loading…"))
	}
	opts := [][2]string{}
	for _, t := range p.hand.targets.Teams {
		opts = append(opts, [2]string{"team:" + strconv.FormatInt(t.ID, 10), "Team " + t.Name + " (" + t.Mode + ")"})
	}
	for _, a := range p.hand.targets.Agents {
		if p.me != nil && a.ID == p.me.ID {
			continue
		}
		state := "offline"
		if a.Online {
			state = "online"
		}
		opts = append(opts, [2]string{"agent:" + strconv.FormatInt(a.ID, 10), a.Name + " (" + state + ")"})
	}
	first := ""
	if len(opts) > 0 {
		first = opts[0][0]
	}
	return app.Form().ID("cc-transfer-form").Class("cc-transfer").OnSubmit(p.transfer).Body(
		app.Label().For("cc-transfer-to").Text("Transfer to"),
		selectOf("cc-transfer-to", first, opts),
		app.Label().For("cc-transfer-note").Text("Note for the next agent (the visitor does not see it)"),
		app.Input().ID("cc-transfer-note").AutoComplete(false),
		app.Button().ID("cc-transfer-go").Type("submit").Class("cc-primary").Text("Transfer"),
	)
}

// transfer hands the current chat to the target chosen, with the note.
func (p *AgentPage) transfer(ctx app.Context, e app.Event) {
	e.PreventDefault()
	id := p.current
	kind, num, _ := strings.Cut(inputValue("cc-transfer-to"), ":")
	n, err := strconv.ParseInt(num, 10, 64)
	if id == "" || err != nil {
		p.err = "Choose an agent or a team to transfer to."
		return
	}
	req := protocol.TransferRequest{Note: strings.TrimSpace(inputValue("cc-transfer-note"))}
	if kind == "team" {
		req.TeamID = n
	} else {
		req.AgentID = n
	}
	ctx.Async(func() {
		err := call(ctx, "POST", "/api/Chat/"+url.PathEscape(id)+"/transfer", req, nil)
		ctx.Dispatch(func(app.Context) {
			if err != nil {
				p.err = "Not transferred: " + err.Error()
				return
			}
			p.hand.transferOn, p.err = false, ""
			if c := p.chats[id]; c != nil {
				c.handedOn = true // no longer this agent's to write in
			}
		})
	})
}
