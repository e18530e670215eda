package console

import (
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"halochat/app/flow"
	"halochat/app/protocol"
)

// The composer's canned responses: typing "/" and the start of a
// shortcut lists the matches; picking one (a click, or Enter on a whole
// shortcut) puts its text, filled in, in the composer for the agent to
// edit and send.

// maxSuggestions bounds the list under the composer.
const maxSuggestions = 6

// cannedToken is the "/shortcut" being typed at the end of text, without
// its slash, and where it starts; ok is false when the text does not end
// in one.
func cannedToken(text string) (token string, at int, ok bool) {
	at = strings.LastIndexAny(text, " \n\t") + 1
	word := text[at:]
	if !strings.HasPrefix(word, "/") {
		return "", 0, false
	}
	return word[1:], at, true
}

// cannedMatches are the canned responses whose shortcut starts with
// prefix (any case), by shortcut, at most maxSuggestions.
func cannedMatches(all []protocol.CannedResponse, prefix string) []protocol.CannedResponse {
	var out []protocol.CannedResponse
	for _, c := range all {
		if strings.HasPrefix(strings.ToLower(c.Shortcut), strings.ToLower(prefix)) {
			out = append(out, c)
			if len(out) == maxSuggestions {
				break
			}
		}
	}
	return out
}

// expandCanned fills a canned response's placeholders for a chat:
// {{agent.name}}, the user's fields ({{user.firstname}}, {{firstname}})
// and the chat's custom fields ({{chat.CFname}}, by name or label). The
// composer is one line: line breaks become spaces.
func expandCanned(text, agentName string, d *protocol.ChatDetails) string {
	var user *protocol.ChatUser
	var fields []protocol.ChatFieldValue
	if d != nil {
		user, fields = d.User, d.Fields
	}
	out := flow.Render(text, func(key string) (string, bool) {
		ns, name, dotted := strings.Cut(key, ".")
		ns, name = strings.TrimSpace(ns), strings.TrimSpace(name)
		switch {
		case !dotted && flow.IsUserField(key):
			return userField(user, key), true
		case ns == "agent" && name == "name":
			return agentName, true
		case ns == "user":
			return userField(user, name), true
		case ns == "chat":
			for _, f := range fields {
				if f.Name == name || f.Label == name {
					return f.Value, true
				}
			}
			return "", true
		}
		return "", false
	})
	return strings.Join(strings.Fields(strings.ReplaceAll(out, "\r", "")), " ")
}

// userField is one of flow.UserFields of u ("" when u is nil).
func userField(u *protocol.ChatUser, name string) string {
	if u == nil {
		return ""
	}
	switch name {
	case flow.UserFirstName:
		return u.FirstName
	case flow.UserLastName:
		return u.LastName
	case flow.UserUsername:
		return u.Username
	case flow.UserEmail:
		return u.Email
	case flow.UserPhone:
		return u.Phone
	case flow.UserExternalID:
		return u.ExternalID
	}
	return ""
}

// loadCanned reads the canned responses the agent may use.
func (p *AgentPage) loadCanned(ctx app.Context) {
	ctx.Async(func() {
		var out []protocol.CannedResponse
		err := call(ctx, "GET", "/api/CannedResponse", nil, &out)
		ctx.Dispatch(func(app.Context) {
			if err == nil {
				p.canned = out
			}
		})
	})
}

// suggestCanned lists the canned responses matching the shortcut being
// typed.
func (p *AgentPage) suggestCanned() {
	p.suggest = nil
	if token, _, ok := cannedToken(inputValue("cc-input")); ok {
		p.suggest = cannedMatches(p.canned, token)
	}
}

// useCanned puts c's text, filled in, where its "/shortcut" was typed.
func (p *AgentPage) useCanned(c protocol.CannedResponse) {
	text := inputValue("cc-input")
	if _, at, ok := cannedToken(text); ok {
		text = text[:at]
	}
	var d *protocol.ChatDetails
	if lc := p.chats[p.current]; lc != nil {
		d = lc.details
	}
	name := ""
	if p.me != nil {
		name = p.me.Name
	}
	setInput("cc-input", text+expandCanned(c.Text, name, d))
	p.suggest = nil
	focus("cc-input")
}

// wholeCanned is the canned response text names whole ("/hello"), if any.
func (p *AgentPage) wholeCanned(text string) (protocol.CannedResponse, bool) {
	token, at, ok := cannedToken(text)
	if !ok || at != 0 {
		return protocol.CannedResponse{}, false
	}
	for _, c := range p.canned {
		if strings.EqualFold(c.Shortcut, token) {
			return c, true
		}
	}
	return protocol.CannedResponse{}, false
}

// renderSuggestions is the list of matching canned responses.
func (p *AgentPage) renderSuggestions() app.UI {
	if len(p.suggest) == 0 {
		return app.Text("")
	}
	items := make([]app.UI, 0, len(p.suggest))
	for _, c := range p.suggest {
		preview := c.Text
		if r := []rune(preview); len(r) > 80 {
			preview = string(r[:80]) + "…"
		}
		items = append(items, app.Li().Body(app.Button().Type("button").Class("cc-canned-pick").DataSet("shortcut", c.Shortcut).Body(
			app.Strong().Text("/"+c.Shortcut), app.Span().Class("cc-muted").Text(" "+preview),
		).OnClick(func(ctx app.Context, e app.Event) { p.useCanned(c) }, app.EventScope(c.ID))))
	}
	return app.Ul().ID("cc-canned").Class("cc-canned").Body(items...)
}
