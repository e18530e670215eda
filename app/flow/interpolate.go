package flow

import (
	"fmt"
	"strings"
)

// Placeholders in bot texts, ticket summaries and error texts:
//
//	{{var.name}}        a variable (canonical text form of its value)
//	{{user.firstname}}  a user field (see UserFields)
//	{{chat.CFname}}     a chat custom field, by database name or label
//	{{ticket.id}}       the id of the ticket the chat created
//
// Spaces inside the braces are ignored. A placeholder whose value is
// missing renders empty; text between braces that is not one of these
// forms is left as written. The result is plain text: clients must
// escape it like any message. There is no other syntax (no loops, no
// expressions, no escaping).

// placeholders lists the keys of the {{…}} placeholders in s, as written
// (trimmed).
func placeholders(s string) []string {
	var keys []string
	for {
		i := strings.Index(s, "{{")
		if i < 0 {
			return keys
		}
		j := strings.Index(s[i+2:], "}}")
		if j < 0 {
			return keys
		}
		keys = append(keys, strings.TrimSpace(s[i+2:i+2+j]))
		s = s[i+2+j+2:]
	}
}

// interpolate renders the placeholders of s.
func (p *Program) interpolate(s string, env *Env, st *State) string {
	if !strings.Contains(s, "{{") {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "{{")
		if i < 0 {
			break
		}
		j := strings.Index(s[i+2:], "}}")
		if j < 0 {
			break
		}
		b.WriteString(s[:i])
		whole := s[i : i+2+j+2]
		if v, ok := p.resolve(strings.TrimSpace(s[i+2:i+2+j]), env, st); ok {
			b.WriteString(v)
		} else {
			b.WriteString(whole)
		}
		s = s[i+2+j+2:]
	}
	b.WriteString(s)
	return b.String()
}

// resolve returns a placeholder's value and whether the key is a known
// form.
func (p *Program) resolve(key string, env *Env, st *State) (string, bool) {
	ns, name, ok := strings.Cut(key, ".")
	if !ok {
		return "", false
	}
	name = strings.TrimSpace(name)
	switch strings.TrimSpace(ns) {
	case "var":
		return st.Vars[name].String(), true
	case "user":
		return env.User[name], true
	case "chat":
		if d, found := p.schema.ChatField(name); found {
			name = d.Name
		}
		return env.Chat[name].String(), true
	case "ticket":
		if name == "id" {
			return st.TicketID, true
		}
	}
	return "", false
}

// checkPlaceholder says what is doubtful about a placeholder, or "".
func checkPlaceholder(key string, schema *Schema, varTypes map[string]Type) string {
	ns, name, _ := strings.Cut(key, ".")
	name = strings.TrimSpace(name)
	switch strings.TrimSpace(ns) {
	case "var":
		if _, ok := varTypes[name]; !ok {
			return fmt.Sprintf("placeholder {{%s}}: no step of the flow sets variable %q, so it renders empty", key, name)
		}
		return ""
	case "user":
		if !IsUserField(name) {
			return fmt.Sprintf("placeholder {{%s}}: unknown user field %q, so it renders empty", key, name)
		}
		return ""
	case "chat":
		if _, ok := schema.ChatField(name); !ok {
			return fmt.Sprintf("placeholder {{%s}}: no chat custom field %q, so it renders empty", key, name)
		}
		return ""
	case "ticket":
		if name == "id" {
			return ""
		}
	}
	return fmt.Sprintf("placeholder {{%s}} is not var.…, user.…, chat.… or ticket.id: it is shown as written", key)
}
