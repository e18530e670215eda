package securitytest

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"halochat/app/protocol"
	"halochat/backend/service"
)

// httpCase is one malformed or hostile request and the refusal it must get.
type httpCase struct {
	name         string
	method, path string
	body         []byte
	header       []string // name, value pairs
	widget       bool     // sent as the widget sends it (own Origin, JSON)
	status       int
	want         string // a word of the message that names the problem
}

// Hostile strings put in every text field.
const (
	sqlText  = `' OR 1=1; DROP TABLE chats; --`
	htmlText = `<script>alert(document.cookie)</script><img src=x onerror=alert(1)>`
)

func deepJSON(n int) []byte {
	return []byte(strings.Repeat("[", n) + strings.Repeat("]", n))
}

func deepObject(field string, n int) []byte {
	return []byte(`{"` + field + `":` + string(deepJSON(n)) + `}`)
}

// invalidUTF8 is a JSON-looking body holding bytes that are not UTF-8.
var invalidUTF8 = []byte("{\"configId\":\"\xff\xfe\xfd\",\"configKey\":\"\xc3\x28\"}")

func huge(n int) []byte {
	return []byte(`{"text":"` + strings.Repeat("a", n) + `"}`)
}

// catalogue is what the refused requests are made of: chat/secret is an
// open chat, admin, agent and client credentials of each kind.
type catalogue struct {
	s                                  *server
	chat, secret, admin, agent, client string
}

// catalogue lists the refused requests.
func (s *server) catalogue(chat, secret, admin, agent, client string) []httpCase {
	c := catalogue{s: s, chat: chat, secret: secret, admin: admin, agent: agent, client: client}
	return slices.Concat(c.starts(), c.offline(), c.widgetChat(), c.matching(), c.auth(), c.portal(), c.adminAPI(), c.agentAPI())
}

// startReq is a valid start on the demo profile, as edit changes it.
func (c catalogue) startReq(edit func(*protocol.StartChatRequest)) []byte {
	p := c.s.demo.Profile
	req := protocol.StartChatRequest{ConfigID: p.ID, ConfigKey: p.Key, HostOrigin: "https://host.example"}
	edit(&req)
	return mustJSON(req)
}

// bearer is the header that presents tok.
func bearer(tok string) []string { return []string{"Authorization", "Bearer " + tok} }

// starts are the refusals of the widget's chat starts.
func (c catalogue) starts() []httpCase {
	p := c.s.demo.Profile
	r := c.s.restricted
	s := c.s
	startReq := c.startReq
	return []httpCase{
		{name: "start: empty body", method: "POST", path: "/chat/api/v1/start", widget: true, status: 400, want: "JSON"},
		{name: "start: not JSON", method: "POST", path: "/chat/api/v1/start", body: []byte("hello"), widget: true, status: 400, want: "JSON"},
		{name: "start: an array", method: "POST", path: "/chat/api/v1/start", body: []byte(`[1,2]`), widget: true, status: 400, want: "JSON"},
		{name: "start: configId a number", method: "POST", path: "/chat/api/v1/start", body: []byte(`{"configId":123,"configKey":"x"}`), widget: true, status: 400, want: "configId"},
		{name: "start: unknown field", method: "POST", path: "/chat/api/v1/start", body: []byte(`{"configId":"` + p.ID + `","configKey":"` + p.Key + `","isAgent":true}`), widget: true, status: 400, want: "isAgent"},
		{name: "start: configId missing", method: "POST", path: "/chat/api/v1/start", body: []byte(`{}`), widget: true, status: 404, want: "configId"},
		{name: "start: unknown profile", method: "POST", path: "/chat/api/v1/start", body: startReq(func(q *protocol.StartChatRequest) { q.ConfigID = "nosuchprofile" }), widget: true, status: 404, want: "no chat profile"},
		{name: "start: wrong key", method: "POST", path: "/chat/api/v1/start", body: startReq(func(q *protocol.StartChatRequest) { q.ConfigKey = "wrong" }), widget: true, status: 401, want: "configKey"},
		{name: "start: SQL in configId", method: "POST", path: "/chat/api/v1/start", body: startReq(func(q *protocol.StartChatRequest) { q.ConfigID = sqlText }), widget: true, status: 404, want: "no chat profile"},
		{name: "start: SQL in configKey", method: "POST", path: "/chat/api/v1/start", body: startReq(func(q *protocol.StartChatRequest) { q.ConfigKey = sqlText }), widget: true, status: 401, want: "configKey"},
		{name: "start: HTML in configId", method: "POST", path: "/chat/api/v1/start", body: startReq(func(q *protocol.StartChatRequest) { q.ConfigID = htmlText }), widget: true, status: 404, want: "no chat profile"},
		{name: "start: HTML in configKey", method: "POST", path: "/chat/api/v1/start", body: startReq(func(q *protocol.StartChatRequest) { q.ConfigKey = htmlText }), widget: true, status: 401, want: "configKey"},
		{name: "start: invalid UTF-8", method: "POST", path: "/chat/api/v1/start", body: invalidUTF8, widget: true, status: 404, want: "no chat profile"},
		{name: "start: deep nesting", method: "POST", path: "/chat/api/v1/start", body: deepObject("configId", 20000), widget: true, status: 400, want: "JSON"},
		{name: "start: huge body", method: "POST", path: "/chat/api/v1/start", body: huge(200 << 10), widget: true, status: 413, want: "larger"},
		{name: "start: text/plain", method: "POST", path: "/chat/api/v1/start", body: startReq(func(*protocol.StartChatRequest) {}), header: []string{"Content-Type", "text/plain"}, widget: true, status: 415, want: "JSON"},
		{name: "start: form-encoded", method: "POST", path: "/chat/api/v1/start", body: []byte("configId=" + p.ID), header: []string{"Content-Type", "application/x-www-form-urlencoded"}, widget: true, status: 415, want: "JSON"},
		{name: "start: startStepOverride a string", method: "POST", path: "/chat/api/v1/start", body: []byte(`{"configId":"` + p.ID + `","configKey":"` + p.Key + `","startStepOverride":"9"}`), widget: true, status: 400, want: "startStepOverride"},
		{name: "start: startStepOverride unknown", method: "POST", path: "/chat/api/v1/start", body: startReq(func(q *protocol.StartChatRequest) { q.StartStepOverride = 9999 }), widget: true, status: 422, want: "9999"},
		{name: "start: retainPreviousChat a string", method: "POST", path: "/chat/api/v1/start", body: []byte(`{"configId":"` + p.ID + `","configKey":"` + p.Key + `","retainPreviousChat":"yes"}`), widget: true, status: 400, want: "retainPreviousChat"},
		{name: "start: id_token garbage", method: "POST", path: "/chat/api/v1/start", body: startReq(func(q *protocol.StartChatRequest) { q.IDToken = "not.a.token" }), widget: true, status: 401, want: "token"},
		{name: "start: id_token alg none", method: "POST", path: "/chat/api/v1/start", body: startReq(func(q *protocol.StartChatRequest) { q.IDToken = algNone(`{"sub":"x","exp":4102444800}`) }), widget: true, status: 401, want: "token"},
		{name: "start: id_token HTML", method: "POST", path: "/chat/api/v1/start", body: startReq(func(q *protocol.StartChatRequest) { q.IDToken = htmlText }), widget: true, status: 401, want: "token"},
		{name: "start: id_token SQL", method: "POST", path: "/chat/api/v1/start", body: startReq(func(q *protocol.StartChatRequest) { q.IDToken = sqlText }), widget: true, status: 401, want: "token"},
		{name: "start: host origin not allowed", method: "POST", path: "/chat/api/v1/start", body: mustJSON(protocol.StartChatRequest{ConfigID: r.ID, ConfigKey: r.Key, HostOrigin: "https://evil.example"}), widget: true, status: 403, want: "not allowed"},
		{name: "start: javascript: host origin", method: "POST", path: "/chat/api/v1/start", body: mustJSON(protocol.StartChatRequest{ConfigID: r.ID, ConfigKey: r.Key, HostOrigin: "javascript:alert(1)"}), widget: true, status: 403, want: "not allowed"},
		{name: "start: HTML host origin", method: "POST", path: "/chat/api/v1/start", body: mustJSON(protocol.StartChatRequest{ConfigID: r.ID, ConfigKey: r.Key, HostOrigin: htmlText}), widget: true, status: 403, want: "not allowed"},
		{name: "start: agents-only profile", method: "POST", path: "/chat/api/v1/start", body: mustJSON(protocol.StartChatRequest{ConfigID: s.agentsOnly.ID, ConfigKey: s.agentsOnly.Key, HostOrigin: "https://host.example"}), widget: true, status: 403, want: "agents_only"},
		{name: "start: portal profile", method: "POST", path: "/chat/api/v1/start", body: mustJSON(protocol.StartChatRequest{ConfigID: s.portal.ID, ConfigKey: s.portal.Key, HostOrigin: "https://host.example"}), widget: true, status: 403, want: "portal"},
		{name: "start: foreign Origin", method: "POST", path: "/chat/api/v1/start", body: startReq(func(*protocol.StartChatRequest) {}), header: []string{"Origin", "https://evil.example", "Content-Type", "application/json"}, status: 403, want: "origin"},
		{name: "start: Origin null", method: "POST", path: "/chat/api/v1/start", body: startReq(func(*protocol.StartChatRequest) {}), header: []string{"Origin", "null", "Content-Type", "application/json"}, status: 403, want: "origin"},
		{name: "start: GET", method: "GET", path: "/chat/api/v1/start", widget: true, status: 405},
	}
}

// widgetChat are the refusals of the widget's calls on a chat: availability, upgradeAnonChat, long-poll, send, typing, end and rating.
func (c catalogue) widgetChat() []httpCase {
	chat := c.chat
	sec := []string{protocol.HeaderResumeSecret, c.secret}
	msgs := "/chat/api/v1/chats/" + c.chat + "/messages"
	rating := "/chat/api/v1/chats/" + c.chat + "/rating"
	return []httpCase{
		// Availability.
		{name: "availability: no configId", method: "GET", path: "/chat/api/v1/availability", widget: true, status: 400, want: "configId"},
		{name: "availability: SQL configId", method: "GET", path: "/chat/api/v1/availability?configId=%27%20OR%201%3D1--", widget: true, status: 404, want: "profile"},
		{name: "availability: POST", method: "POST", path: "/chat/api/v1/availability", widget: true, status: 405},
		// upgradeAnonChat.
		{name: "upgrade: no resume secret", method: "POST", path: "/chat/api/v1/chats/" + chat + "/upgrade", body: []byte(`{"id_token":"x"}`), widget: true, status: 404, want: "chat"},
		{name: "upgrade: wrong resume secret", method: "POST", path: "/chat/api/v1/chats/" + chat + "/upgrade", body: []byte(`{"id_token":"x"}`), header: []string{protocol.HeaderResumeSecret, "guess"}, widget: true, status: 404, want: "chat"},
		{name: "upgrade: guessed chat id", method: "POST", path: "/chat/api/v1/chats/" + guessID(chat) + "/upgrade", body: []byte(`{"id_token":"x"}`), header: sec, widget: true, status: 404, want: "chat"},
		{name: "upgrade: not JSON", method: "POST", path: "/chat/api/v1/chats/" + chat + "/upgrade", body: []byte(`{`), header: sec, widget: true, status: 400, want: "JSON"},
		{name: "upgrade: id_token a number", method: "POST", path: "/chat/api/v1/chats/" + chat + "/upgrade", body: []byte(`{"id_token":5}`), header: sec, widget: true, status: 400, want: "id_token"},
		{name: "upgrade: id_token garbage", method: "POST", path: "/chat/api/v1/chats/" + chat + "/upgrade", body: []byte(`{"id_token":"a.b.c"}`), header: sec, widget: true, status: 401, want: "token"},
		{name: "upgrade: foreign Origin", method: "POST", path: "/chat/api/v1/chats/" + chat + "/upgrade", body: []byte(`{"id_token":"x"}`), header: append([]string{"Origin", "https://evil.example"}, sec...), status: 403, want: "origin"},
		// Long-poll.
		{name: "poll: wrong resume secret", method: "GET", path: msgs + "?after=0", header: []string{protocol.HeaderResumeSecret, "guess"}, widget: true, status: 404, want: "chat"},
		{name: "poll: no resume secret", method: "GET", path: msgs + "?after=0", widget: true, status: 404, want: "chat"},
		{name: "poll: guessed chat id", method: "GET", path: "/chat/api/v1/chats/" + guessID(chat) + "/messages", header: sec, widget: true, status: 404, want: "chat"},
		{name: "poll: SQL chat id", method: "GET", path: "/chat/api/v1/chats/%27%20OR%201%3D1--/messages", header: sec, widget: true, status: 404, want: "chat"},
		{name: "poll: foreign Origin", method: "GET", path: msgs, header: append([]string{"Origin", "https://evil.example"}, sec...), status: 403, want: "origin"},
		{name: "send: wrong resume secret", method: "POST", path: msgs, body: []byte(`{"clientMsgId":"a","text":"hi"}`), header: []string{protocol.HeaderResumeSecret, sqlText}, widget: true, status: 404, want: "chat"},
		{name: "send: not JSON", method: "POST", path: msgs, body: []byte(`text=hi`), header: sec, widget: true, status: 400, want: "JSON"},
		{name: "send: text a number", method: "POST", path: msgs, body: []byte(`{"clientMsgId":"a","text":5}`), header: sec, widget: true, status: 400, want: "text"},
		{name: "send: choice a string", method: "POST", path: msgs, body: []byte(`{"clientMsgId":"a","choice":"one"}`), header: sec, widget: true, status: 400, want: "choice"},
		{name: "send: no clientMsgId", method: "POST", path: msgs, body: []byte(`{"text":"hi"}`), header: sec, widget: true, status: 400, want: "clientMsgId"},
		{name: "send: unknown field", method: "POST", path: msgs, body: []byte(`{"clientMsgId":"a","text":"hi","sender":"agent"}`), header: sec, widget: true, status: 400, want: "sender"},
		{name: "send: huge clientMsgId", method: "POST", path: msgs, body: mustJSON(map[string]string{"clientMsgId": strings.Repeat("x", 500), "text": "hi"}), header: sec, widget: true, status: 400, want: "clientMsgId"},
		{name: "send: empty text", method: "POST", path: msgs, body: []byte(`{"clientMsgId":"a","text":""}`), header: sec, widget: true, status: 400, want: "text"},
		{name: "send: huge body", method: "POST", path: msgs, body: huge(64 << 10), header: sec, widget: true, status: 413, want: "larger"},
		{name: "send: deep nesting", method: "POST", path: msgs, body: deepObject("text", 8000), header: sec, widget: true, status: 400, want: "JSON"},
		{name: "send: text/plain", method: "POST", path: msgs, body: []byte(`{"clientMsgId":"a","text":"hi"}`), header: append([]string{"Content-Type", "text/plain"}, sec...), widget: true, status: 415, want: "JSON"},
		{name: "send: PUT", method: "PUT", path: msgs, body: []byte(`{}`), header: sec, widget: true, status: 405},
		{name: "typing: wrong resume secret", method: "POST", path: "/chat/api/v1/chats/" + chat + "/typing", body: []byte(`{"typing":true}`), header: []string{protocol.HeaderResumeSecret, "guess"}, widget: true, status: 404, want: "chat"},
		{name: "typing: typing a string", method: "POST", path: "/chat/api/v1/chats/" + chat + "/typing", body: []byte(`{"typing":"yes"}`), header: sec, widget: true, status: 400, want: "typing"},
		{name: "end: wrong resume secret", method: "POST", path: "/chat/api/v1/chats/" + chat + "/end", header: []string{protocol.HeaderResumeSecret, htmlText}, widget: true, status: 404, want: "chat"},
		{name: "end: guessed chat id", method: "POST", path: "/chat/api/v1/chats/" + guessID(chat) + "/end", header: sec, widget: true, status: 404, want: "chat"},
		// Ratings (the chat is open: a fit rating waits for its end).
		{name: "rating: wrong resume secret", method: "POST", path: rating, body: []byte(`{"score":5}`), header: []string{protocol.HeaderResumeSecret, "guess"}, widget: true, status: 404, want: "chat"},
		{name: "rating: guessed chat id", method: "POST", path: "/chat/api/v1/chats/" + guessID(chat) + "/rating", body: []byte(`{"score":5}`), header: sec, widget: true, status: 404, want: "chat"},
		{name: "rating: foreign Origin", method: "POST", path: rating, body: []byte(`{"score":5}`), header: append([]string{"Origin", "https://evil.example"}, sec...), status: 403, want: "origin"},
		{name: "rating: score 0", method: "POST", path: rating, body: []byte(`{"score":0}`), header: sec, widget: true, status: 400, want: "score"},
		{name: "rating: score 6", method: "POST", path: rating, body: []byte(`{"score":6,"comment":"` + sqlText + `"}`), header: sec, widget: true, status: 400, want: "score"},
		{name: "rating: score a string", method: "POST", path: rating, body: []byte(`{"score":"5"}`), header: sec, widget: true, status: 400, want: "score"},
		{name: "rating: score a fraction", method: "POST", path: rating, body: []byte(`{"score":4.5}`), header: sec, widget: true, status: 400, want: "score"},
		{name: "rating: huge comment", method: "POST", path: rating, body: mustJSON(map[string]any{"score": 5, "comment": strings.Repeat("é", 2001)}), header: sec, widget: true, status: 400, want: "comment"},
		{name: "rating: unknown field", method: "POST", path: rating, body: []byte(`{"score":5,"agentId":1}`), header: sec, widget: true, status: 400, want: "agentId"},
		{name: "rating: an open chat", method: "POST", path: rating, body: []byte(`{"score":5,"comment":"` + htmlText + `"}`), header: sec, widget: true, status: 409, want: "ended"},
	}
}

// matching are the refusals of ChatMatchingData.
func (c catalogue) matching() []httpCase {
	agent := c.agent
	client := c.client
	return []httpCase{
		{name: "matching: no credentials", method: "POST", path: "/api/ChatMatchingData", body: []byte(`[{"json_content":{}}]`), header: []string{"Content-Type", "application/json"}, status: 401, want: "token"},
		{name: "matching: garbage bearer", method: "POST", path: "/api/ChatMatchingData", body: []byte(`[{"json_content":{}}]`), header: append(bearer(sqlText), "Content-Type", "application/json"), status: 401},
		{name: "matching: an agent", method: "POST", path: "/api/ChatMatchingData", body: []byte(`[{"json_content":{}}]`), header: append(bearer(agent), "Content-Type", "application/json"), status: 403, want: "permission"},
		{name: "matching: an object", method: "POST", path: "/api/ChatMatchingData", body: []byte(`{"json_content":{}}`), header: append(bearer(client), "Content-Type", "application/json"), status: 400, want: "array"},
		{name: "matching: empty array", method: "POST", path: "/api/ChatMatchingData", body: []byte(`[]`), header: append(bearer(client), "Content-Type", "application/json"), status: 400, want: "empty"},
		{name: "matching: json_content a string", method: "POST", path: "/api/ChatMatchingData", body: []byte(`[{"json_content":"` + htmlText + `"}]`), header: append(bearer(client), "Content-Type", "application/json"), status: 400, want: "json_content"},
		{name: "matching: json_content missing", method: "POST", path: "/api/ChatMatchingData", body: []byte(`[{"single_use":true}]`), header: append(bearer(client), "Content-Type", "application/json"), status: 400, want: "json_content"},
		{name: "matching: unknown field", method: "POST", path: "/api/ChatMatchingData", body: []byte(`[{"json_content":{},"drop":1}]`), header: append(bearer(client), "Content-Type", "application/json"), status: 400, want: "drop"},
		{name: "matching: single_use a string", method: "POST", path: "/api/ChatMatchingData", body: []byte(`[{"json_content":{},"single_use":"yes"}]`), header: append(bearer(client), "Content-Type", "application/json"), status: 400, want: "single_use"},
		{name: "matching: invalid UTF-8", method: "POST", path: "/api/ChatMatchingData", body: []byte("[{\"json_content\":{\"firstname\":\"\xff\"}}]"), header: append(bearer(client), "Content-Type", "application/json"), status: 400, want: "UTF-8"},
		{name: "matching: NUL", method: "POST", path: "/api/ChatMatchingData", body: []byte(`[{"json_content":{"firstname":"a\u0000b"}}]`), header: append(bearer(client), "Content-Type", "application/json"), status: 400, want: "NUL"},
		{name: "matching: deep nesting", method: "POST", path: "/api/ChatMatchingData", body: []byte(`[{"json_content":{"a":` + string(deepJSON(20000)) + `}}]`), header: append(bearer(client), "Content-Type", "application/json"), status: 400, want: "JSON"},
		{name: "matching: huge body", method: "POST", path: "/api/ChatMatchingData", body: huge(2 << 20), header: append(bearer(client), "Content-Type", "application/json"), status: 413, want: "larger"},
		{name: "matching: too many items", method: "POST", path: "/api/ChatMatchingData", body: []byte("[" + strings.TrimSuffix(strings.Repeat(`{"json_content":{}},`, 101), ",") + "]"), header: append(bearer(client), "Content-Type", "application/json"), status: 413, want: "items"},
		{name: "matching: text/plain", method: "POST", path: "/api/ChatMatchingData", body: []byte(`[{"json_content":{}}]`), header: append(bearer(client), "Content-Type", "text/plain"), status: 415, want: "JSON"},
		{name: "matching: GET", method: "GET", path: "/api/ChatMatchingData", header: bearer(client), status: 405},
	}
}

// auth are the refusals of the API clients' /auth/token and the agents' /auth/login.
func (c catalogue) auth() []httpCase {
	s := c.s
	return []httpCase{
		// /auth/token (OAuth 2 client credentials).
		{name: "token: JSON body", method: "POST", path: "/auth/token", body: []byte(`{"grant_type":"client_credentials"}`), header: []string{"Content-Type", "application/json"}, status: 400, want: "x-www-form-urlencoded"},
		{name: "token: wrong grant type", method: "POST", path: "/auth/token", body: []byte("grant_type=password&client_id=a&client_secret=b"), header: []string{"Content-Type", "application/x-www-form-urlencoded"}, status: 400, want: "grant_type"},
		{name: "token: secret missing", method: "POST", path: "/auth/token", body: []byte("grant_type=client_credentials&client_id=" + s.demo.APIClient.ClientID), header: []string{"Content-Type", "application/x-www-form-urlencoded"}, status: 400, want: "client_secret"},
		{name: "token: wrong secret", method: "POST", path: "/auth/token", body: []byte("grant_type=client_credentials&client_id=" + s.demo.APIClient.ClientID + "&client_secret=wrong"), header: []string{"Content-Type", "application/x-www-form-urlencoded"}, status: 401, want: "secret"},
		{name: "token: SQL client id", method: "POST", path: "/auth/token", body: []byte("grant_type=client_credentials&client_id=%27%20OR%201%3D1--&client_secret=x"), header: []string{"Content-Type", "application/x-www-form-urlencoded"}, status: 401, want: "client"},
		{name: "token: NUL in client id", method: "POST", path: "/auth/token", body: []byte("grant_type=client_credentials&client_id=a%00b&client_secret=x"), header: []string{"Content-Type", "application/x-www-form-urlencoded"}, status: 400, want: "client_id"},
		{name: "token: client id not UTF-8", method: "POST", path: "/auth/token", body: []byte("grant_type=client_credentials&client_id=a%ffb&client_secret=x"), header: []string{"Content-Type", "application/x-www-form-urlencoded"}, status: 400, want: "client_id"},
		{name: "token: bad form encoding", method: "POST", path: "/auth/token", body: []byte("grant_type=%zz"), header: []string{"Content-Type", "application/x-www-form-urlencoded"}, status: 400, want: "form"},
		{name: "token: huge form", method: "POST", path: "/auth/token", body: []byte("grant_type=client_credentials&client_id=" + strings.Repeat("a", 20<<10)), header: []string{"Content-Type", "application/x-www-form-urlencoded"}, status: 413, want: "larger"},
		{name: "token: GET", method: "GET", path: "/auth/token", status: 405},
		// /auth/login.
		{name: "login: not JSON", method: "POST", path: "/auth/login", body: []byte(`{"email":`), header: []string{"Content-Type", "application/json"}, status: 400, want: "JSON"},
		{name: "login: unknown field", method: "POST", path: "/auth/login", body: []byte(`{"email":"a@b.c","password":"x","admin":true}`), header: []string{"Content-Type", "application/json"}, status: 400, want: "admin"},
		{name: "login: email a number", method: "POST", path: "/auth/login", body: []byte(`{"email":5,"password":"x"}`), header: []string{"Content-Type", "application/json"}, status: 400, want: "email"},
		{name: "login: password missing", method: "POST", path: "/auth/login", body: []byte(`{"email":"a@b.c"}`), header: []string{"Content-Type", "application/json"}, status: 400, want: "password"},
		{name: "login: wrong password", method: "POST", path: "/auth/login", body: mustJSON(map[string]string{"email": s.demo.Admin.Email, "password": "wrong"}), header: []string{"Content-Type", "application/json"}, status: 401, want: "password"},
		{name: "login: SQL email", method: "POST", path: "/auth/login", body: mustJSON(map[string]string{"email": sqlText, "password": sqlText}), header: []string{"Content-Type", "application/json"}, status: 401, want: "password"},
		{name: "login: HTML email", method: "POST", path: "/auth/login", body: mustJSON(map[string]string{"email": htmlText, "password": "x"}), header: []string{"Content-Type", "application/json"}, status: 401, want: "password"},
		{name: "login: NUL in the e-mail", method: "POST", path: "/auth/login", body: []byte(`{"email":"a\u0000@b.c","password":"x"}`), header: []string{"Content-Type", "application/json"}, status: 400, want: "email"},
		{name: "login: huge body", method: "POST", path: "/auth/login", body: huge(20 << 10), header: []string{"Content-Type", "application/json"}, status: 413, want: "larger"},
		{name: "login: form-encoded", method: "POST", path: "/auth/login", body: []byte("email=a&password=b"), header: []string{"Content-Type", "application/x-www-form-urlencoded"}, status: 415, want: "JSON"},
		{name: "login: cross-site", method: "POST", path: "/auth/login", body: mustJSON(map[string]string{"email": s.demo.Admin.Email, "password": s.demo.Admin.Password}), header: []string{"Content-Type", "application/json", "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site"}, status: 403, want: "cross-origin"},
	}
}

// portal are the refusals of the self-service portal (backend/portal).
func (c catalogue) portal() []httpCase {
	s := c.s
	agent := c.agent
	return []httpCase{
		{name: "portal login: not JSON", method: "POST", path: "/portal/api/login", body: []byte(`{"email":`), header: []string{"Content-Type", "application/json"}, status: 400, want: "JSON"},
		{name: "portal login: unknown field", method: "POST", path: "/portal/api/login", body: []byte(`{"email":"a@b.c","password":"x","admin":true}`), header: []string{"Content-Type", "application/json"}, status: 400, want: "admin"},
		{name: "portal login: email a number", method: "POST", path: "/portal/api/login", body: []byte(`{"email":5,"password":"x"}`), header: []string{"Content-Type", "application/json"}, status: 400, want: "email"},
		{name: "portal login: password missing", method: "POST", path: "/portal/api/login", body: []byte(`{"email":"a@b.c"}`), header: []string{"Content-Type", "application/json"}, status: 400, want: "password"},
		{name: "portal login: SQL email", method: "POST", path: "/portal/api/login", body: mustJSON(map[string]string{"email": sqlText, "password": sqlText}), header: []string{"Content-Type", "application/json"}, status: 401, want: "password"},
		{name: "portal login: an agent's credentials", method: "POST", path: "/portal/api/login", body: mustJSON(map[string]string{"email": s.demo.Admin.Email, "password": s.demo.Admin.Password}), header: []string{"Content-Type", "application/json"}, status: 401, want: "password"},
		{name: "portal login: NUL in the e-mail", method: "POST", path: "/portal/api/login", body: []byte(`{"email":"a\u0000@b.c","password":"x"}`), header: []string{"Content-Type", "application/json"}, status: 400, want: "email"},
		{name: "portal token login: NUL in profileId", method: "POST", path: "/portal/api/login/token", body: []byte(`{"profileId":"a\u0000b","id_token":"x"}`), header: []string{"Content-Type", "application/json"}, status: 404, want: "profileId"},
		{name: "portal login: huge body", method: "POST", path: "/portal/api/login", body: huge(20 << 10), header: []string{"Content-Type", "application/json"}, status: 413, want: "larger"},
		{name: "portal login: form-encoded", method: "POST", path: "/portal/api/login", body: []byte("email=a&password=b"), header: []string{"Content-Type", "application/x-www-form-urlencoded"}, status: 415, want: "JSON"},
		{name: "portal login: cross-site", method: "POST", path: "/portal/api/login", body: []byte(`{"email":"a@b.c","password":"x"}`), header: []string{"Content-Type", "application/json", "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site"}, status: 403, want: "cross-origin"},
		{name: "portal token login: unknown profile", method: "POST", path: "/portal/api/login/token", body: mustJSON(map[string]string{"profileId": sqlText, "id_token": "x"}), header: []string{"Content-Type", "application/json"}, status: 404, want: "profileId"},
		{name: "portal token login: agents-only profile", method: "POST", path: "/portal/api/login/token", body: mustJSON(map[string]string{"profileId": s.agentsOnly.ID, "id_token": "x"}), header: []string{"Content-Type", "application/json"}, status: 403, want: "portal"},
		{name: "portal token login: alg none", method: "POST", path: "/portal/api/login/token", body: mustJSON(map[string]string{"profileId": s.portal.ID, "id_token": algNone(`{"sub":"x","email":"x@y.z","exp":4102444800}`)}), header: []string{"Content-Type", "application/json"}, status: 401, want: "token"},
		{name: "portal tickets: no session", method: "GET", path: "/portal/api/tickets", status: 401, want: "log in"},
		{name: "portal tickets: an agent session", method: "GET", path: "/portal/api/tickets", header: []string{"Cookie", "halochat_portal=" + agent}, status: 401, want: "log in"},
		{name: "portal tickets: SQL cookie", method: "GET", path: "/portal/api/tickets", header: []string{"Cookie", "halochat_portal=hcp_" + strings.ReplaceAll(sqlText, " ", "")}, status: 401, want: "log in"},
		{name: "start: portal profile marked portal, no session", method: "POST", path: "/chat/api/v1/start", body: mustJSON(protocol.StartChatRequest{ConfigID: s.portal.ID, ConfigKey: s.portal.Key, HostOrigin: s.url, Portal: true}), widget: true, status: 403, want: "log in"},
	}
}

// adminAPI are the refusals of the admin API.
func (c catalogue) adminAPI() []httpCase {
	p := c.s.demo.Profile
	admin := c.admin
	agent := c.agent
	client := c.client
	asAdmin := append(bearer(c.admin), "Content-Type", "application/json")
	return []httpCase{
		{name: "admin: no credentials", method: "GET", path: "/api/ChatProfile", status: 401, want: "log in"},
		{name: "admin: an agent", method: "GET", path: "/api/ChatProfile", header: bearer(agent), status: 403, want: "admin"},
		{name: "admin: an agent creates an agent", method: "POST", path: "/api/Agent", body: []byte(`{"email":"x@y.z","name":"x","role":"admin","password":"longenoughpassword"}`), header: append(bearer(agent), "Content-Type", "application/json"), status: 403, want: "admin"},
		{name: "admin: API client without admin", method: "GET", path: "/api/APIClient", header: bearer(client), status: 403, want: "admin"},
		{name: "admin: profile name a number", method: "POST", path: "/api/ChatProfile", body: []byte(`{"name":5}`), header: asAdmin, status: 400, want: "name"},
		{name: "admin: profile without name", method: "POST", path: "/api/ChatProfile", body: []byte(`{"access":"portal"}`), header: asAdmin, status: 400, want: "name"},
		{name: "admin: profile unknown field", method: "POST", path: "/api/ChatProfile", body: []byte(`{"name":"x","isAdmin":true}`), header: asAdmin, status: 400, want: "isAdmin"},
		{name: "admin: profile SQL access", method: "POST", path: "/api/ChatProfile", body: mustJSON(map[string]string{"name": htmlText, "access": sqlText}), header: asAdmin, status: 400, want: "access"},
		{name: "admin: profile deep nesting", method: "POST", path: "/api/ChatProfile", body: deepObject("name", 20000), header: asAdmin, status: 400},
		{name: "admin: profile huge", method: "POST", path: "/api/ChatProfile", body: huge(300 << 10), header: asAdmin, status: 413},
		{name: "admin: profile text/plain", method: "POST", path: "/api/ChatProfile", body: []byte(`{"name":"x"}`), header: append(bearer(admin), "Content-Type", "text/plain"), status: 415, want: "JSON"},
		{name: "admin: profile invalid UTF-8", method: "POST", path: "/api/ChatProfile", body: []byte("{\"name\":\"\xff\",\"access\":\"nope\"}"), header: asAdmin, status: 400},
		{name: "admin: SQL profile id", method: "GET", path: "/api/ChatProfile/%27%20OR%201%3D1--", header: bearer(admin), status: 404},
		{name: "admin: replace profile bad body", method: "PUT", path: "/api/ChatProfile/" + p.ID, body: []byte(`{"name":["x"]}`), header: asAdmin, status: 400, want: "name"},
		{name: "admin: delete unknown profile", method: "DELETE", path: "/api/ChatProfile/nosuch", header: bearer(admin), status: 404},
		{name: "admin: field bad type", method: "POST", path: "/api/CustomField", body: []byte(`{"entity":"chat","name":"CFx","label":"x","type":"` + sqlText + `"}`), header: asAdmin, status: 400, want: "type"},
		{name: "admin: field HTML entity", method: "POST", path: "/api/CustomField", body: mustJSON(map[string]string{"entity": htmlText, "name": "CFy", "label": "y", "type": "text"}), header: asAdmin, status: 400, want: "entity"},
		{name: "admin: agent invalid email", method: "POST", path: "/api/Agent", body: []byte(`{"email":"<b>x</b>","name":"x","role":"agent","password":"longenoughpassword"}`), header: asAdmin, status: 400, want: "email"},
		{name: "admin: API client unknown permission", method: "POST", path: "/api/APIClient", body: []byte(`{"name":"x","permissions":["root"]}`), header: asAdmin, status: 400, want: "root"},
		{name: "admin: agent id not a number", method: "GET", path: "/api/Agent/abc", header: bearer(admin), status: 404},
		{name: "admin: PATCH", method: "PATCH", path: "/api/ChatProfile", header: bearer(admin), status: 405},
	}
}

// agentAPI are the refusals of the agents' chat API.
func (c catalogue) agentAPI() []httpCase {
	chat := c.chat
	agent := c.agent
	return []httpCase{
		{name: "agent api: no credentials", method: "GET", path: "/api/Chat", status: 401},
		{name: "agent api: guessed chat id", method: "GET", path: "/api/Chat/" + guessID(chat), header: bearer(agent), status: 404, want: "chat"},
		{name: "agent api: details of a guessed chat id", method: "GET", path: "/api/Chat/" + guessID(chat) + "/details", header: bearer(agent), status: 404, want: "chat"},
		{name: "agent api: details without credentials", method: "GET", path: "/api/Chat/" + chat + "/details", status: 401},
		{name: "agent api: search too long", method: "GET", path: "/api/Chat?q=" + strings.Repeat("a", 201), header: bearer(agent), status: 400, want: "q parameter"},
		{name: "agent api: search of too many words", method: "GET", path: "/api/Chat?q=a+b+c+d+e+f+g+h+i", header: bearer(agent), status: 400, want: "q parameter"},
		{name: "agent api: search with a NUL byte", method: "GET", path: "/api/Chat?q=a%00", header: bearer(agent), status: 400, want: "NUL"},
		{name: "agent api: message not JSON", method: "POST", path: "/api/ChatMessage", body: []byte(`{`), header: append(bearer(agent), "Content-Type", "application/json"), status: 400, want: "JSON"},
		{name: "agent api: message to a chat not taken", method: "POST", path: "/api/ChatMessage", body: mustJSON(map[string]string{"chat_id": chat, "client_msg_id": "a", "text": htmlText}), header: append(bearer(agent), "Content-Type", "application/json"), status: 403, want: "not live with you"},
		{name: "agent api: ticket id SQL", method: "GET", path: "/api/Tickets/%27%20OR%201%3D1--", header: bearer(agent), status: 404},
	}
}

// guessID is a chat id of the same shape as id, but another.
func guessID(id string) string {
	b := []byte(id)
	for i := range b {
		if b[i] != 'a' {
			b[i] = 'a'
		} else {
			b[i] = 'b'
		}
	}
	return string(b)
}

// algNone is an unsigned token with those claims.
func algNone(claims string) string {
	enc := func(s string) string { return strings.TrimRight(b64(s), "=") }
	return enc(`{"alg":"none","typ":"JWT"}`) + "." + enc(claims) + "."
}

// TestBadInputCatalogue sends every malformed or hostile request of the
// catalogue: each gets its 4xx with a message naming the problem (never a
// 5xx), and nothing stored changes.
func TestBadInputCatalogue(t *testing.T) {
	forEachDB(t, service.Unlimited(), func(t *testing.T, s *server) {
		chat, secret := s.startChat()
		admin, agent, client := s.login(s.demo.Admin), s.login(s.demo.Agent), s.clientToken()
		before := s.snapshot()
		cases := s.catalogue(chat, secret, admin, agent, client)
		for _, tc := range cases {
			var r response
			if tc.widget {
				r = s.widget(tc.method, tc.path, tc.body, tc.header...)
			} else {
				r = s.do(tc.method, tc.path, tc.body, tc.header...)
			}
			if r.status != tc.status {
				t.Errorf("%s: %d %s, want %d", tc.name, r.status, r.body, tc.status)
				continue
			}
			if tc.status == http.StatusMethodNotAllowed {
				if r.header.Get("Allow") == "" {
					t.Errorf("%s: 405 without Allow", tc.name)
				}
				continue
			}
			code, msg, ok := r.apiError()
			if !ok {
				t.Errorf("%s: %d, body not the error shape: %s", tc.name, r.status, r.body)
				continue
			}
			if tc.want != "" && !strings.Contains(strings.ToLower(msg), strings.ToLower(tc.want)) {
				t.Errorf("%s: message %q (code %s) does not name %q", tc.name, msg, code, tc.want)
			}
			if tc.status == http.StatusTooManyRequests && r.header.Get("Retry-After") == "" {
				t.Errorf("%s: 429 without Retry-After", tc.name)
			}
		}
		frames := s.frameCatalogue(t, chat, secret, agent)
		if d := diff(before, s.snapshot()); d != "" {
			t.Fatalf("refused requests changed what is stored: %s", d)
		}
		if strings.Contains(s.logs.String(), `"status":5`) {
			t.Errorf("a request was answered 5xx (see the log)")
		}
		// Hostile input is the caller's mistake: an ERROR line anyone can
		// provoke at will would drown the service's real failures.
		for _, line := range strings.Split(s.logs.String(), "\n") {
			if strings.Contains(line, `"level":"ERROR"`) {
				t.Errorf("hostile input logged as an error: %s", line)
			}
		}
		t.Logf("%d hostile HTTP requests and %d hostile websocket frames refused; nothing stored changed", len(cases), frames)
	})
}

// wsCase is a websocket connection sending frames, and the refusal it
// must get: an HTTP status before the upgrade, an error frame's code, or
// a close status.
type wsCase struct {
	name   string
	path   string
	header http.Header
	frames [][]byte
	binary bool
	status int                  // HTTP refusal of the upgrade
	code   string               // error frame code
	close  websocket.StatusCode // or the close status
	want   string               // a word of the error message
}

func (s *server) frameCatalogue(t *testing.T, chat, secret, agent string) int {
	own := http.Header{"Origin": {s.url}}
	hello := func(id, sec string, v int) []byte {
		return mustJSON(map[string]any{"v": v, "type": "hello", "chatId": id, "resumeSecret": sec})
	}
	agentH := http.Header{"Authorization": {"Bearer " + agent}}
	v1 := func(f string) []byte { return []byte(`{"v":1,` + f + `}`) }
	cases := []wsCase{
		{name: "ws: foreign Origin", path: "/chat/ws", header: http.Header{"Origin": {"https://evil.example"}}, status: 403},
		{name: "ws: first frame not hello", path: "/chat/ws", header: own, frames: [][]byte{v1(`"type":"send","text":"hi","clientMsgId":"a"`)}, code: protocol.CodeInvalidRequest, want: "hello"},
		{name: "ws: wrong resume secret", path: "/chat/ws", header: own, frames: [][]byte{hello(chat, "guess", 1)}, code: protocol.CodeChatNotFound},
		{name: "ws: guessed chat id", path: "/chat/ws", header: own, frames: [][]byte{hello(guessID(chat), secret, 1)}, code: protocol.CodeChatNotFound},
		{name: "ws: SQL chat id", path: "/chat/ws", header: own, frames: [][]byte{hello(sqlText, sqlText, 1)}, code: protocol.CodeChatNotFound},
		{name: "ws: HTML chat id", path: "/chat/ws", header: own, frames: [][]byte{hello(htmlText, htmlText, 1)}, code: protocol.CodeChatNotFound},
		{name: "ws: protocol version 2", path: "/chat/ws", header: own, frames: [][]byte{hello(chat, secret, 2)}, code: protocol.CodeUnsupportedVersion, want: "version"},
		{name: "ws: not JSON", path: "/chat/ws", header: own, frames: [][]byte{[]byte("hello")}, code: protocol.CodeInvalidRequest, want: "JSON"},
		{name: "ws: chatId a number", path: "/chat/ws", header: own, frames: [][]byte{v1(`"type":"hello","chatId":5`)}, code: protocol.CodeInvalidRequest, want: "chatId"},
		{name: "ws: deep nesting", path: "/chat/ws", header: own, frames: [][]byte{deepObject("chatId", 8000)}, code: protocol.CodeInvalidRequest, want: "JSON"},
		{name: "ws: invalid UTF-8", path: "/chat/ws", header: own, frames: [][]byte{[]byte("{\"v\":1,\"type\":\"hello\",\"chatId\":\"\xff\xfe\",\"resumeSecret\":\"\xc3\x28\"}")}, code: protocol.CodeChatNotFound},
		{name: "ws: binary frame", path: "/chat/ws", header: own, frames: [][]byte{hello(chat, secret, 1)}, binary: true, code: protocol.CodeInvalidRequest, want: "text"},
		{name: "ws: huge frame", path: "/chat/ws", header: own, frames: [][]byte{huge(64 << 10)}, close: websocket.StatusMessageTooBig},
		{name: "ws: after hello, unknown frame", path: "/chat/ws", header: own, frames: [][]byte{hello(chat, secret, 1), v1(`"type":"` + htmlText + `"`)}, code: protocol.CodeInvalidRequest, want: "unknown frame"},
		{name: "ws: after hello, send without clientMsgId", path: "/chat/ws", header: own, frames: [][]byte{hello(chat, secret, 1), v1(`"type":"send","text":"hi"`)}, code: protocol.CodeInvalidRequest, want: "clientMsgId"},
		{name: "ws: after hello, empty send", path: "/chat/ws", header: own, frames: [][]byte{hello(chat, secret, 1), v1(`"type":"send","clientMsgId":"z"`)}, code: protocol.CodeInvalidRequest, want: "text"},
		{name: "agent ws: no session", path: "/agent/ws", status: 401},
		{name: "agent ws: garbage session", path: "/agent/ws", header: http.Header{"Authorization": {"Bearer " + sqlText}}, status: 401},
		{name: "agent ws: send to a chat not taken", path: "/agent/ws", header: agentH, frames: [][]byte{v1(`"type":"send","chatId":"` + chat + `","clientMsgId":"a","text":"hi"`)}, code: protocol.CodeAccessDenied, want: "not live with you"},
		{name: "agent ws: watch an unknown chat", path: "/agent/ws", header: agentH, frames: [][]byte{v1(`"type":"watch","chatId":"` + guessID(chat) + `"`)}, code: protocol.CodeChatNotFound},
		{name: "agent ws: end a chat not taken", path: "/agent/ws", header: agentH, frames: [][]byte{v1(`"type":"end","chatId":"` + chat + `"`)}, code: protocol.CodeAccessDenied, want: "not live with you"},
		{name: "agent ws: unknown frame", path: "/agent/ws", header: agentH, frames: [][]byte{v1(`"type":"drop"`)}, code: protocol.CodeInvalidRequest, want: "unknown frame"},
	}
	for _, tc := range cases {
		s.runWS(t, tc)
	}
	return len(cases)
}

func (s *server) runWS(t *testing.T, tc wsCase) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(s.url, "http")+tc.path, &websocket.DialOptions{HTTPHeader: tc.header})
	if tc.status != 0 {
		if err == nil {
			ws.CloseNow()
			t.Errorf("%s: upgraded, want %d", tc.name, tc.status)
		} else if resp == nil || resp.StatusCode != tc.status {
			t.Errorf("%s: %v (%v), want %d", tc.name, err, resp, tc.status)
		}
		return
	}
	if err != nil {
		t.Errorf("%s: dial: %v", tc.name, err)
		return
	}
	defer ws.CloseNow()
	ws.SetReadLimit(1 << 20)
	for _, f := range tc.frames {
		typ := websocket.MessageText
		if tc.binary {
			typ = websocket.MessageBinary
		}
		if err := ws.Write(ctx, typ, f); err != nil {
			if tc.close != 0 && websocket.CloseStatus(err) == tc.close {
				return
			}
			t.Errorf("%s: write: %v", tc.name, err)
			return
		}
	}
	for {
		_, data, err := ws.Read(ctx)
		if err != nil {
			if tc.close != 0 && websocket.CloseStatus(err) == tc.close {
				return
			}
			t.Errorf("%s: no error frame before %v", tc.name, err)
			return
		}
		var f protocol.Frame
		if err := json.Unmarshal(data, &f); err != nil {
			t.Errorf("%s: frame %s: %v", tc.name, data, err)
			return
		}
		e := f.Error
		if e == nil {
			continue // ready, queue, history…
		}
		if tc.close != 0 || e.Code != tc.code || e.Message == "" {
			t.Errorf("%s: error frame %s, want code %q", tc.name, data, tc.code)
		} else if tc.want != "" && !strings.Contains(strings.ToLower(e.Message), strings.ToLower(tc.want)) {
			t.Errorf("%s: message %q does not name %q", tc.name, e.Message, tc.want)
		}
		return
	}
}
