package securitytest

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"halochat/app/protocol"
	"halochat/backend/service"
	"halochat/backend/store"
)

// offlineReq is a valid offline message on the demo profile, as edit
// changes it.
func (c catalogue) offlineReq(edit func(*protocol.OfflineMessageRequest)) []byte {
	p := c.s.demo.Profile
	req := protocol.OfflineMessageRequest{ConfigID: p.ID, ConfigKey: p.Key, HostOrigin: "https://host.example",
		Name: "Ada", Email: "ada@example.com", Text: "Call me back, please."}
	edit(&req)
	return mustJSON(req)
}

// offline are the refusals of the leave-a-message form.
func (c catalogue) offline() []httpCase {
	const path = "/chat/api/v1/offline"
	req, r := c.offlineReq, c.s.restricted
	return []httpCase{
		{name: "offline: not JSON", method: "POST", path: path, body: []byte("hello"), widget: true, status: 400, want: "JSON"},
		{name: "offline: unknown field", method: "POST", path: path, body: []byte(`{"configId":"x","ticketTypeId":3}`), widget: true, status: 400, want: "ticketTypeId"},
		{name: "offline: email a number", method: "POST", path: path, body: []byte(`{"configId":"x","email":5}`), widget: true, status: 400, want: "email"},
		{name: "offline: bad e-mail", method: "POST", path: path, body: req(func(q *protocol.OfflineMessageRequest) { q.Email = "nope" }), widget: true, status: 400, want: "email:"},
		{name: "offline: HTML e-mail", method: "POST", path: path, body: req(func(q *protocol.OfflineMessageRequest) { q.Email = htmlText }), widget: true, status: 400, want: "email:"},
		{name: "offline: empty text", method: "POST", path: path, body: req(func(q *protocol.OfflineMessageRequest) { q.Text = "" }), widget: true, status: 400, want: "text:"},
		{name: "offline: text too long", method: "POST", path: path, body: req(func(q *protocol.OfflineMessageRequest) { q.Text = strings.Repeat("x", 4001) }), widget: true, status: 400, want: "text: The message is longer than 4000"},
		{name: "offline: name too long", method: "POST", path: path, body: req(func(q *protocol.OfflineMessageRequest) { q.Name = strings.Repeat("x", 201) }), widget: true, status: 400, want: "name: The name is longer than 200"},
		{name: "offline: wrong key", method: "POST", path: path, body: req(func(q *protocol.OfflineMessageRequest) { q.ConfigKey = "wrong" }), widget: true, status: 401, want: "configKey"},
		{name: "offline: unknown profile", method: "POST", path: path, body: req(func(q *protocol.OfflineMessageRequest) { q.ConfigID = sqlText }), widget: true, status: 404, want: "no chat profile"},
		{name: "offline: host origin not allowed", method: "POST", path: path, body: mustJSON(protocol.OfflineMessageRequest{ConfigID: r.ID, ConfigKey: r.Key, HostOrigin: "https://evil.example", Email: "a@b.example", Text: "hi"}), widget: true, status: 403, want: "not allowed"},
		{name: "offline: portal profile", method: "POST", path: path, body: mustJSON(protocol.OfflineMessageRequest{ConfigID: c.s.portal.ID, ConfigKey: c.s.portal.Key, HostOrigin: "https://host.example", Email: "a@b.example", Text: "hi"}), widget: true, status: 403, want: "portal"},
		{name: "offline: id_token garbage", method: "POST", path: path, body: req(func(q *protocol.OfflineMessageRequest) { q.IDToken = "not.a.token" }), widget: true, status: 401, want: "token"},
		{name: "offline: foreign Origin", method: "POST", path: path, body: req(func(*protocol.OfflineMessageRequest) {}), header: []string{"Origin", "https://evil.example", "Content-Type", "application/json"}, status: 403, want: "origin"},
		{name: "offline: Origin null", method: "POST", path: path, body: req(func(*protocol.OfflineMessageRequest) {}), header: []string{"Origin", "null", "Content-Type", "application/json"}, status: 403, want: "origin"},
		{name: "offline: huge body", method: "POST", path: path, body: huge(200 << 10), widget: true, status: 413, want: "larger"},
		{name: "offline: GET", method: "GET", path: path, widget: true, status: 405},
	}
}

func (s *server) leaveMessage(configID, configKey string) response {
	return s.widget("POST", "/chat/api/v1/offline", mustJSON(protocol.OfflineMessageRequest{ConfigID: configID, ConfigKey: configKey,
		HostOrigin: "https://shop.example", Name: "Ada", Email: "ada@example.com", Text: "Please call me back."}))
}

func TestAnOfflineMessageLogsATicket(t *testing.T) {
	forEachDB(t, service.Unlimited(), func(t *testing.T, s *server) {
		r := s.leaveMessage(s.demo.Profile.ID, s.demo.Profile.Key)
		if r.status != http.StatusCreated {
			t.Fatalf("offline message: %d %s", r.status, r.body)
		}
		var resp protocol.OfflineMessageResponse
		if err := json.Unmarshal(r.body, &resp); err != nil || resp.TicketID == 0 {
			t.Fatalf("answer %s (%v), want a ticketId", r.body, err)
		}
		tk, err := s.st.GetTicket(t.Context(), resp.TicketID)
		if err != nil || !strings.Contains(tk.Details, "Please call me back.") || tk.Status != store.TicketOpen {
			t.Fatalf("ticket %+v (%v)", tk, err)
		}
	})
}

func TestOfflineMessagesAreRateLimited(t *testing.T) {
	t.Run("per address", func(t *testing.T) {
		forEachDB(t, service.Limits{StartsPerMinute: 2, ProfileStartsPerMinute: -1}, func(t *testing.T, s *server) {
			for i := range 2 {
				if r := s.leaveMessage(s.demo.Profile.ID, s.demo.Profile.Key); r.status != http.StatusCreated {
					t.Fatalf("message %d: %d %s", i, r.status, r.body)
				}
			}
			want429(t, "3rd message", s.leaveMessage(s.demo.Profile.ID, s.demo.Profile.Key), "from this address")
			want429(t, "on another profile", s.leaveMessage(s.restricted.ID, s.restricted.Key), "from this address")
			// Chat starts keep their own count.
			if r := s.startAs(s.demo.Profile.ID, s.demo.Profile.Key, "https://host.example"); r.status != http.StatusCreated {
				t.Fatalf("a start after the offline messages: %d %s", r.status, r.body)
			}
		})
	})
	t.Run("per profile", func(t *testing.T) {
		forEachDB(t, service.Limits{StartsPerMinute: -1, ProfileStartsPerMinute: 2}, func(t *testing.T, s *server) {
			for i := range 2 {
				if r := s.leaveMessage(s.demo.Profile.ID, s.demo.Profile.Key); r.status != http.StatusCreated {
					t.Fatalf("message %d: %d %s", i, r.status, r.body)
				}
			}
			want429(t, "3rd message", s.leaveMessage(s.demo.Profile.ID, s.demo.Profile.Key), "chat profile")
			if r := s.leaveMessage(s.restricted.ID, s.restricted.Key); r.status != http.StatusCreated {
				t.Fatalf("another profile is not limited: %d %s", r.status, r.body)
			}
		})
	})
}
