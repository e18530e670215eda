package securitytest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"halochat/app/protocol"
	"halochat/backend/realtime"
	"halochat/backend/service"
	"halochat/backend/testenv"
	"halochat/backend/testenv/loopback"
)

// want429 checks a rate-limit refusal: 429, Retry-After in whole seconds,
// the error shape with code rate_limited and a message naming the limit.
func want429(t *testing.T, what string, r response, word string) {
	t.Helper()
	if r.status != http.StatusTooManyRequests {
		t.Fatalf("%s: %d %s, want 429", what, r.status, r.body)
	}
	if n, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || n < 1 {
		t.Fatalf("%s: Retry-After %q", what, r.header.Get("Retry-After"))
	}
	code, msg, ok := r.apiError()
	if !ok || code != protocol.CodeRateLimited || !strings.Contains(msg, word) {
		t.Fatalf("%s: %s, want rate_limited naming %q", what, r.body, word)
	}
}

func (s *server) startAs(configID, configKey, origin string) response {
	return s.widget("POST", "/chat/api/v1/start", mustJSON(protocol.StartChatRequest{
		ConfigID: configID, ConfigKey: configKey, HostOrigin: origin}))
}

func (s *server) send(chat, secret, text string) response {
	return s.widget("POST", "/chat/api/v1/chats/"+chat+"/messages",
		mustJSON(protocol.SendRequest{ClientMsgID: fmt.Sprint(time.Now().UnixNano()), Text: text}),
		protocol.HeaderResumeSecret, secret)
}

func TestChatStartsAreRateLimitedPerAddress(t *testing.T) {
	forEachDB(t, service.Limits{StartsPerMinute: 3, ProfileStartsPerMinute: -1}, func(t *testing.T, s *server) {
		p := s.demo.Profile
		for i := range 3 {
			if r := s.startAs(p.ID, p.Key, "https://host.example"); r.status != http.StatusCreated {
				t.Fatalf("start %d: %d %s", i, r.status, r.body)
			}
		}
		want429(t, "4th start", s.startAs(p.ID, p.Key, "https://host.example"), "from this address")
		// The limit is the address's, whatever the profile.
		want429(t, "start on another profile", s.startAs(s.restricted.ID, s.restricted.Key, "https://shop.example"), "from this address")
	})
}

// An IPv6 client picks any address of its /64 at will: per-address limits
// count the /64. The clients come through a trusted proxy (loopback), whose
// X-Forwarded-For names them.
func TestPerAddressLimitsKeyIPv6ByItsSlash64(t *testing.T) {
	o := loopback.Options{Limits: service.Limits{StartsPerMinute: 3, ProfileStartsPerMinute: -1}, TrustedProxies: []string{"127.0.0.1"}}
	forEachServer(t, o, func(t *testing.T, s *server) {
		p := s.demo.Profile
		startFrom := func(addr string) response {
			return s.widget("POST", "/chat/api/v1/start", mustJSON(protocol.StartChatRequest{
				ConfigID: p.ID, ConfigKey: p.Key, HostOrigin: "https://host.example"}), "X-Forwarded-For", addr)
		}
		for _, addr := range []string{"2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:ffff:ffff:ffff:ffff"} {
			if r := startFrom(addr); r.status != http.StatusCreated {
				t.Fatalf("start from %s: %d %s", addr, r.status, r.body)
			}
		}
		want429(t, "a 4th address of the same /64", startFrom("2001:db8:1:2::99"), "from this address")
		for _, addr := range []string{"2001:db8:1:3::1", "203.0.113.9", "203.0.113.10"} {
			if r := startFrom(addr); r.status != http.StatusCreated {
				t.Errorf("start from %s (another /64, or IPv4 addresses each their own): %d %s", addr, r.status, r.body)
			}
		}
	})
}

func TestChatStartsAreRateLimitedPerProfile(t *testing.T) {
	forEachDB(t, service.Limits{StartsPerMinute: -1, ProfileStartsPerMinute: 2}, func(t *testing.T, s *server) {
		p := s.demo.Profile
		for i := range 2 {
			if r := s.startAs(p.ID, p.Key, "https://host.example"); r.status != http.StatusCreated {
				t.Fatalf("start %d: %d %s", i, r.status, r.body)
			}
		}
		want429(t, "3rd start", s.startAs(p.ID, p.Key, "https://host.example"), "chat profile")
		if r := s.startAs(s.restricted.ID, s.restricted.Key, "https://shop.example"); r.status != http.StatusCreated {
			t.Fatalf("another profile is not limited: %d %s", r.status, r.body)
		}
	})
}

func TestMessagesAreRateLimited(t *testing.T) {
	cases := []struct {
		name   string
		limits realtime.Limits
		word   string
		chats  int // messages are spread over this many chats
		allow  int // messages allowed before the refusal
	}{
		{"per chat", realtime.Limits{SendsPerSecond: 0.01, SendBurst: 3, IPSendsPerMinute: -1, ProfileSendsPerMinute: -1}, "in this chat", 1, 3},
		{"per address", realtime.Limits{SendsPerSecond: -1, IPSendsPerMinute: 4, ProfileSendsPerMinute: -1}, "from this address", 2, 4},
		{"per profile", realtime.Limits{SendsPerSecond: -1, IPSendsPerMinute: -1, ProfileSendsPerMinute: 4}, "chat profile", 2, 4},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			forEachDB(t, service.Limits{StartsPerMinute: -1, ProfileStartsPerMinute: -1, Realtime: tc.limits}, func(t *testing.T, s *server) {
				type chat struct{ id, secret string }
				var cs []chat
				for range tc.chats {
					id, sec := s.startChat()
					cs = append(cs, chat{id, sec})
				}
				for i := range tc.allow {
					c := cs[i%len(cs)]
					if r := s.send(c.id, c.secret, "hello"); r.status != http.StatusOK {
						t.Fatalf("long-poll send %d: %d %s", i, r.status, r.body)
					}
				}
				c := cs[tc.allow%len(cs)]
				want429(t, "long-poll send over the limit", s.send(c.id, c.secret, "hello"), tc.word)

				// The websocket shares the limits: its send gets an error frame.
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				ws := s.dialVisitor(ctx, t, c.id, c.secret)
				defer ws.CloseNow()
				if err := ws.Write(ctx, websocket.MessageText, mustJSON(protocol.Frame{V: 1, Type: protocol.FrameSend, ClientMsgID: "ws-1", Text: "hi"})); err != nil {
					t.Fatal(err)
				}
				for {
					var f protocol.Frame
					_, data, err := ws.Read(ctx)
					if err != nil {
						t.Fatalf("websocket: %v", err)
					}
					_ = json.Unmarshal(data, &f)
					if f.Type == protocol.FrameAck {
						t.Fatalf("websocket send over the limit was acknowledged")
					}
					if f.Error != nil && f.ClientMsgID == "ws-1" {
						if f.Error.Code != protocol.CodeRateLimited || !strings.Contains(f.Error.Message, tc.word) {
							t.Fatalf("websocket refusal: %s", data)
						}
						break
					}
				}
			})
		})
	}
}

// dialVisitor opens the visitor socket of a chat and says hello.
func (s *server) dialVisitor(ctx context.Context, t *testing.T, chat, secret string) *websocket.Conn {
	t.Helper()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(s.url, "http")+"/chat/ws",
		&websocket.DialOptions{HTTPHeader: http.Header{"Origin": {s.url}}})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	ws.SetReadLimit(1 << 20)
	if err := ws.Write(ctx, websocket.MessageText, mustJSON(protocol.Frame{V: 1, Type: protocol.FrameHello, ChatID: chat, ResumeSecret: secret})); err != nil {
		t.Fatal(err)
	}
	return ws
}

func TestOpenWebsocketsPerAddressAreCapped(t *testing.T) {
	forEachDB(t, service.Limits{Realtime: realtime.Limits{MaxConnsPerIP: 2}}, func(t *testing.T, s *server) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		chat, secret := s.startChat()
		for range 2 {
			ws := s.dialVisitor(ctx, t, chat, secret)
			defer ws.CloseNow()
			if _, _, err := ws.Read(ctx); err != nil { // ready
				t.Fatal(err)
			}
		}
		_, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(s.url, "http")+"/chat/ws",
			&websocket.DialOptions{HTTPHeader: http.Header{"Origin": {s.url}}})
		if err == nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
			t.Fatalf("3rd socket: %v %v, want 429 with Retry-After", err, resp)
		}
		// A long-poll counts as an open connection too.
		r := s.widget("GET", "/chat/api/v1/chats/"+chat+"/messages?after=0", nil, protocol.HeaderResumeSecret, secret)
		want429(t, "long-poll beside two sockets", r, "connections")
	})
}

// The probe that found password guessing unlimited, under the default
// limits: 60 wrong passwords for one account, then the right one. The 5th
// failure locks the account (30 s): the rest and the right password are
// 429 with Retry-After; the same for an API client's secret; each lock is
// logged, without the password.
func TestPasswordGuessingIsLocked(t *testing.T) {
	forEachDB(t, service.Limits{}, func(t *testing.T, s *server) {
		form := []string{"Content-Type", "application/x-www-form-urlencoded"}
		for _, tc := range []struct {
			what, path string
			wrong      func(i int) []byte
			right      []byte
			header     []string
			word       string
		}{
			{"agent login", "/auth/login",
				func(i int) []byte {
					return mustJSON(protocol.LoginRequest{Email: s.demo.Agent.Email, Password: fmt.Sprint("guess ", i)})
				},
				mustJSON(protocol.LoginRequest{Email: s.demo.Agent.Email, Password: s.demo.Agent.Password}),
				[]string{"Content-Type", "application/json"}, "account"},
			{"client token", "/auth/token",
				func(i int) []byte { return []byte(tokenForm(s.demo.APIClient.ClientID, fmt.Sprint("guess ", i))) },
				[]byte(tokenForm(s.demo.APIClient.ClientID, s.demo.APIClient.ClientSecret)),
				form, "client"},
		} {
			counts := map[int]int{}
			for i := range 60 {
				r := s.do("POST", tc.path, tc.wrong(i), tc.header...)
				counts[r.status]++
				if i >= 5 && r.status != http.StatusTooManyRequests {
					t.Fatalf("%s: wrong attempt %d: %d %s, want 429 (locked after 5)", tc.what, i+1, r.status, r.body)
				}
			}
			if counts[http.StatusUnauthorized] != 5 || counts[http.StatusTooManyRequests] != 55 {
				t.Errorf("%s: 60 wrong attempts answered %v, want 5×401 then 55×429", tc.what, counts)
			}
			r := s.do("POST", tc.path, tc.right, tc.header...)
			want429(t, tc.what+": the right password while locked", r, tc.word)
			if n, _ := strconv.Atoi(r.header.Get("Retry-After")); n > 30 {
				t.Errorf("%s: Retry-After %d, want at most the first lock (30 s)", tc.what, n)
			}
		}
		logs := s.logs.String()
		if n := strings.Count(logs, "account locked after failed logins"); n != 2 {
			t.Errorf("%d lockouts logged, want 2 (the agent's, the client's):\n%s", n, logs)
		}
		for _, secret := range []string{"guess ", s.demo.Agent.Password, s.demo.APIClient.ClientSecret} {
			if strings.Contains(logs, secret) {
				t.Errorf("the log holds a password or secret (%q)", secret)
			}
		}
	})
}

func tokenForm(id, secret string) string {
	return url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}}.Encode()
}

// The probe that found slow bodies unbounded: POSTs sending a byte every
// 8 s stayed open past 89 s, not counted by the per-address cap. Here,
// with a 1 s idle and a 2 s total body timeout: a start trickling a byte
// every 500 ms is cut after 2 s, and while two of them are in progress
// they count against the address's cap (2), so a third request is 429.
func TestSlowRequestsAreCutAndCounted(t *testing.T) {
	limits := service.Limits{BodyIdleTimeout: time.Second, BodyTimeout: 2 * time.Second, Realtime: realtime.Limits{MaxConnsPerIP: 2}}
	forEachDB(t, limits, func(t *testing.T, s *server) {
		addr := strings.TrimPrefix(s.url, "http://")
		slow := testenv.SlowRequest{Method: "POST", Path: "/chat/api/v1/start", Length: 1000, Every: 500 * time.Millisecond,
			Header: []string{"Content-Type", "application/json", "Origin", s.url}, GiveUp: 8 * time.Second}
		res := slow.Send(t, addr)
		if !res.Ended || res.Took < 1800*time.Millisecond || res.Took > 5*time.Second {
			t.Fatalf("a start trickling a byte every 500 ms: ended %v after %v (%q), want it cut after about 2 s", res.Ended, res.Took, res.Status)
		}
		var wg sync.WaitGroup
		held := make(chan struct{}, 2)
		for range 2 {
			wg.Go(func() { held <- struct{}{}; slow.Send(t, addr) })
		}
		<-held
		<-held
		time.Sleep(300 * time.Millisecond) // both headers are in
		want429(t, "a request beside two slow ones", s.do("GET", "/healthz", nil), "connections")
		wg.Wait()
		if r := s.do("GET", "/healthz", nil); r.status != http.StatusOK {
			t.Errorf("once the slow ones were cut: %d %s", r.status, r.body)
		}
	})
}
