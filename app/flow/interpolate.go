package flow

import (
	"fmt"
	"strings"
)

// Placeholders in bot texts, ticket summaries and error texts:
//
//	{{var.name}}        a variable (canonical text form of its value)
//	{{user.firstname}}  a user field (see UserFields); {{firstname}} too
//	{{chat.CFname}}     a chat custom field, by database name or label
//	{{ticket.id}}       the id of the ticket the chat created
//
// Any of them may name a fallback after a bar, used when the value is
// missing: "Hi {{firstname|there}}!" greets an anonymous visitor with
// "Hi there!". Spaces inside the braces are ignored. A placeholder whose
// value is missing (and has no fallback) renders empty and takes a space
// beside it along, so that "Hi {{user.firstname}}! Welcome" reads "Hi!
// Welcome", not "Hi ! Welcome"; text between braces that is not one of
// these forms is left as written. The result is plain text: clients must
// escape it like any message. There is no other syntax (no loops, no
// expressions, no escaping).

// placeholders lists the keys of the {{…}} placeholders in s, as written
// (trimmed), fallbacks included.
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

// splitFallback cuts a placeholder's key from its fallback ("" if none).
func splitFallback(key string) (string, string) {
	k, fallback, _ := strings.Cut(key, "|")
	return strings.TrimSpace(k), strings.TrimSpace(fallback)
}

// interpolate renders the placeholders of s.
func (p *Program) interpolate(s string, env *Env, st *State) string {
	if !strings.Contains(s, "{{") {
		return s
	}
	return Render(s, func(key string) (string, bool) { return p.resolve(key, env, st) })
}

// Render fills the {{key|fallback}} placeholders of s as bot texts are
// filled (fallbacks, the space an empty one takes along, unknown keys
// left as written), with the values resolve gives: a key's value and
// whether the key is one it knows. The console fills canned responses
// with it.
func Render(s string, resolve func(key string) (string, bool)) string {
	out := make([]byte, 0, len(s)+32)
	for {
		i := strings.Index(s, "{{")
		if i < 0 {
			break
		}
		j := strings.Index(s[i+2:], "}}")
		if j < 0 {
			break
		}
		out = append(out, s[:i]...)
		whole, raw := s[i:i+2+j+2], s[i+2:i+2+j]
		s = s[i+2+j+2:]
		key, fallback := splitFallback(raw)
		v, ok := resolve(key)
		switch {
		case !ok:
			out = append(out, whole...)
		case v != "":
			out = append(out, v...)
		case fallback != "":
			out = append(out, fallback...)
		default:
			out, s = tidyGap(out, s)
		}
	}
	return string(append(out, s...))
}

// tidyGap closes the gap an empty placeholder leaves between before and
// after: one space goes, where keeping it would leave a double space, a
// space before punctuation, or one at the start or end of a line.
func tidyGap(before []byte, after string) ([]byte, string) {
	endsSpace := len(before) > 0 && before[len(before)-1] == ' '
	lineStart := len(before) == 0 || before[len(before)-1] == '\n'
	next := byte('\n') // the end of the text ends a line
	if after != "" {
		next = after[0]
	}
	switch {
	case endsSpace && (next == ' ' || next == '\n' || strings.IndexByte(",.!?;:)", next) >= 0):
		return before[:len(before)-1], after
	case lineStart && next == ' ':
		return before, after[1:]
	}
	return before, after
}

// resolve returns a placeholder's value and whether the key is a known
// form.
func (p *Program) resolve(key string, env *Env, st *State) (string, bool) {
	ns, name, ok := strings.Cut(key, ".")
	if !ok {
		if IsUserField(key) {
			return env.User[key], true
		}
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
func checkPlaceholder(whole string, schema *Schema, varTypes map[string]Type) string {
	key, _ := splitFallback(whole)
	ns, name, dotted := strings.Cut(key, ".")
	name = strings.TrimSpace(name)
	switch {
	case !dotted && IsUserField(key):
		return ""
	case !dotted:
	case strings.TrimSpace(ns) == "var":
		if _, ok := varTypes[name]; !ok {
			return fmt.Sprintf("placeholder {{%s}}: no step of the flow sets variable %q, so it renders empty", whole, name)
		}
		return ""
	case strings.TrimSpace(ns) == "user":
		if !IsUserField(name) {
			return fmt.Sprintf("placeholder {{%s}}: unknown user field %q, so it renders empty", whole, name)
		}
		return ""
	case strings.TrimSpace(ns) == "chat":
		if _, ok := schema.ChatField(name); !ok {
			return fmt.Sprintf("placeholder {{%s}}: no chat custom field %q, so it renders empty", whole, name)
		}
		return ""
	case strings.TrimSpace(ns) == "ticket" && name == "id":
		return ""
	}
	return fmt.Sprintf("placeholder {{%s}} is not var.…, user.…, chat.…, ticket.id or a user field: it is shown as written", whole)
}
