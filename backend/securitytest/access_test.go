package securitytest

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"halochat/app/protocol"
	"halochat/backend/demo"
	"halochat/backend/service"
)

// A visitor who knows one chat (its id and resume secret) reads nothing of
// another: not with the other's id and their own secret, not with a
// guessed secret; over HTTP long-poll, the websocket, upgrade or end.
func TestAVisitorCannotReachAnotherChat(t *testing.T) {
	forEachDB(t, service.Unlimited(), func(t *testing.T, s *server) {
		mine, mySecret := s.startChat()
		theirs, theirSecret := s.startChat()
		if r := s.send(theirs, theirSecret, "my account number is 1234"); r.status != http.StatusOK {
			t.Fatalf("send: %d %s", r.status, r.body)
		}
		for _, secret := range []string{mySecret, mySecret[:len(mySecret)-1] + "x", "", theirs} {
			for _, call := range []struct{ method, path string }{
				{"GET", "/chat/api/v1/chats/" + theirs + "/messages?after=0"},
				{"POST", "/chat/api/v1/chats/" + theirs + "/messages"},
				{"POST", "/chat/api/v1/chats/" + theirs + "/typing"},
				{"POST", "/chat/api/v1/chats/" + theirs + "/end"},
				{"POST", "/chat/api/v1/chats/" + theirs + "/upgrade"},
			} {
				r := s.widget(call.method, call.path, []byte(`{"clientMsgId":"x","text":"hi","typing":true,"id_token":"x"}`),
					protocol.HeaderResumeSecret, secret)
				code, _, _ := r.apiError()
				if r.status != http.StatusNotFound || code != protocol.CodeChatNotFound || strings.Contains(string(r.body), "1234") {
					t.Errorf("%s %s with secret %q: %d %s", call.method, call.path, secret, r.status, r.body)
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			ws := s.dialVisitor(ctx, t, theirs, secret)
			_, data, err := ws.Read(ctx)
			var f protocol.Frame
			if err != nil || json.Unmarshal(data, &f) != nil || f.Error == nil || f.Error.Code != protocol.CodeChatNotFound {
				t.Errorf("websocket hello to another chat with secret %q: %s %v", secret, data, err)
			}
			ws.CloseNow()
			cancel()
		}
		// A resume of another chat in a start request does not hand it over.
		r := s.widget("POST", "/chat/api/v1/start", mustJSON(protocol.StartChatRequest{ConfigID: s.demo.Profile.ID,
			ConfigKey: s.demo.Profile.Key, HostOrigin: "https://host.example", PreviousChatID: theirs, ResumeSecret: mySecret}))
		var resp protocol.StartChatResponse
		if err := json.Unmarshal(r.body, &resp); err != nil || resp.ChatID == theirs || strings.Contains(string(r.body), "1234") {
			t.Errorf("start resuming another chat with my secret: %d %s", r.status, r.body)
		}
		_ = mine
	})
}

// The widget page may be framed only by the profile's allowed origins
// (docs/CONTRACT.md#profile-access); by any page when the profile has no list.
func TestWidgetPageFrameAncestors(t *testing.T) {
	forEachDB(t, service.Unlimited(), func(t *testing.T, s *server) {
		for _, tc := range []struct{ query, want string }{
			{"?configId=" + s.restricted.ID, "frame-ancestors 'self' https://shop.example"}, // 'self': the portal page
			{"?configId=" + s.demo.Profile.ID, "frame-ancestors *"},
			{"?configId=nosuch", "frame-ancestors *"},
			{"", "frame-ancestors *"},
		} {
			r := s.do("GET", "/chat/widget/"+tc.query, nil)
			csp := r.header.Get("Content-Security-Policy")
			if !strings.HasSuffix(csp, tc.want) {
				t.Errorf("widget page %s: %d, CSP %q, want it to end with %q", tc.query, r.status, csp, tc.want)
			}
		}
	})
}

// Hostile text a visitor sends is stored and answered as the very same
// text, inside JSON, never as markup.
func TestHostileTextStaysText(t *testing.T) {
	forEachDB(t, service.Unlimited(), func(t *testing.T, s *server) {
		chat, secret := s.startChat()
		for _, text := range []string{htmlText, sqlText, "\u202eevil\u200b", `"}]}{"x":"`} {
			if r := s.send(chat, secret, text); r.status != http.StatusOK {
				t.Fatalf("send %q: %d %s", text, r.status, r.body)
			}
		}
		r := s.widget("GET", "/chat/api/v1/chats/"+chat+"/messages?after=0", nil, protocol.HeaderResumeSecret, secret)
		if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") || r.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Fatalf("messages served as %q", ct)
		}
		var poll protocol.PollResponse
		if err := json.Unmarshal(r.body, &poll); err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, m := range poll.Messages {
			if m.From == protocol.FromVisitor {
				seen[m.Text] = true
			}
		}
		for _, text := range []string{htmlText, sqlText, "\u202eevil\u200b", `"}]}{"x":"`} {
			if !seen[text] {
				t.Errorf("%q did not come back as itself: %s", text, r.body)
			}
		}
		if strings.Contains(string(r.body), "<script>") {
			t.Errorf("markup in the JSON answer is not escaped: %s", r.body)
		}
	})
}

// Secrets, keys, passwords and tokens never reach the log, whatever the
// request did with them (success or refusal).
func TestSecretsNeverLogged(t *testing.T) {
	forEachDB(t, service.Limits{}, func(t *testing.T, s *server) {
		d := s.demo
		admin, agent, client := s.login(d.Admin), s.login(d.Agent), s.clientToken()
		secrets := []string{d.Admin.Password, d.Agent.Password, d.APIClient.ClientSecret, d.Identity.HS256Secret,
			d.Identity.ExampleToken, d.Profile.Key, s.restricted.Key, admin, agent, client}

		// Chats: anonymous, with an identity token, with matching data.
		chat, secret := s.startChat()
		secrets = append(secrets, secret)
		r := s.widget("POST", "/chat/api/v1/start", mustJSON(protocol.StartChatRequest{ConfigID: d.Profile.ID,
			ConfigKey: d.Profile.Key, HostOrigin: "https://host.example", IDToken: d.Identity.ExampleToken}))
		if r.status != http.StatusCreated {
			t.Fatalf("start with a token: %d %s", r.status, r.body)
		}
		var started protocol.StartChatResponse
		_ = json.Unmarshal(r.body, &started)
		secrets = append(secrets, started.ResumeSecret)
		r = s.do("POST", "/api/ChatMatchingData", []byte(`[{"json_content":{"firstname":"Ann","email":"ann@example.com"},"single_use":true}]`),
			"Authorization", "Bearer "+client, "Content-Type", "application/json")
		var made []struct{ GUID, Key string }
		if err := json.Unmarshal(r.body, &made); err != nil || len(made) != 1 {
			t.Fatalf("matching data: %d %s", r.status, r.body)
		}
		mtok, err := demo.SignIdentityToken(d.Identity.HS256Secret, d.Identity.KID, map[string]any{
			"chatmatchingdataguid": made[0].GUID, "chatmatchingdatakey": made[0].Key, "exp": time.Now().Add(time.Hour).Unix()})
		if err != nil {
			t.Fatal(err)
		}
		secrets = append(secrets, made[0].Key, mtok)
		for range 2 { // the second use of single-use data is refused
			s.widget("POST", "/chat/api/v1/start", mustJSON(protocol.StartChatRequest{ConfigID: d.Profile.ID,
				ConfigKey: d.Profile.Key, HostOrigin: "https://host.example", IDToken: mtok}))
		}
		// Upgrade, long-poll, websocket, refusals carrying secrets.
		s.widget("POST", "/chat/api/v1/chats/"+chat+"/upgrade", mustJSON(map[string]string{"id_token": d.Identity.ExampleToken}),
			protocol.HeaderResumeSecret, secret)
		s.send(chat, secret, "hello")
		s.widget("GET", "/chat/api/v1/chats/"+chat+"/messages?after=0&secret="+secret, nil, protocol.HeaderResumeSecret, secret)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		ws := s.dialVisitor(ctx, t, chat, secret)
		_, _, _ = ws.Read(ctx)
		ws.Close(websocket.StatusNormalClosure, "")
		s.do("POST", "/auth/login", mustJSON(map[string]string{"email": d.Admin.Email, "password": d.Admin.Password + "x"}), "Content-Type", "application/json")
		s.do("POST", "/auth/token", []byte("grant_type=client_credentials&client_id="+d.APIClient.ClientID+"&client_secret="+d.APIClient.ClientSecret+"x"),
			"Content-Type", "application/x-www-form-urlencoded")
		s.do("GET", "/api/ChatProfile?token="+admin, nil, "Authorization", "Bearer "+admin+"x")
		s.do("GET", "/api/ChatProfile/"+d.Profile.ID, nil, "Authorization", "Bearer "+admin)
		s.do("POST", "/auth/logout", nil, "Authorization", "Bearer "+agent)

		logs := s.logs.String()
		if !strings.Contains(logs, `"path":"/chat/api/v1/start"`) {
			t.Fatalf("the requests were not logged at all:\n%s", logs)
		}
		for _, sec := range secrets {
			if sec == "" {
				t.Fatal("an empty secret in the list")
			}
			if strings.Contains(logs, sec) {
				t.Errorf("a secret (%.6s…) is in the log", sec)
			}
		}
	})
}
