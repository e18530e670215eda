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
	"halochat/backend/auth"
	"halochat/backend/service"
)

// dialAgent opens /agent/ws with header: the socket and nil once its
// ready frame came, or the refused upgrade's status.
func (s *server) dialAgent(t *testing.T, header http.Header) (*websocket.Conn, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(s.url, "http")+"/agent/ws", &websocket.DialOptions{HTTPHeader: header})
	if err != nil {
		if resp == nil {
			t.Fatalf("dial /agent/ws: %v", err)
		}
		return nil, resp.StatusCode
	}
	t.Cleanup(func() { ws.CloseNow() })
	ws.SetReadLimit(1 << 20)
	for {
		_, data, err := ws.Read(ctx)
		if err != nil {
			t.Fatalf("agent socket: no ready frame: %v", err)
		}
		var f protocol.Frame
		if err := json.Unmarshal(data, &f); err != nil {
			t.Fatalf("agent socket: frame %s: %v", data, err)
		}
		if f.Type == protocol.FrameReady {
			return ws, http.StatusSwitchingProtocols
		}
	}
}

// The agent socket takes only the service's own origin: an agent's
// SameSite=Strict cookie still rides along from any page of the same site
// (another port of the host, a sibling subdomain), which must not get a
// socket that reads every chat and sends as the agent. A client without
// an Origin is no browser, so no page is riding on it: it holds the
// credential itself (the visitor socket's rule).
func TestAgentSocketNeedsTheServiceOrigin(t *testing.T) {
	forEachDB(t, service.Unlimited(), func(t *testing.T, s *server) {
		tok := s.login(s.demo.Agent)
		cookie := auth.SessionCookie + "=" + tok
		samePort := strings.TrimPrefix(s.url, "http://")
		for _, tc := range []struct {
			name   string
			header http.Header
			status int
		}{
			{"cookie, a foreign origin", http.Header{"Cookie": {cookie}, "Origin": {"http://evil.test"}}, http.StatusForbidden},
			{"cookie, another port of the same host", http.Header{"Cookie": {cookie}, "Origin": {"http://127.0.0.1:1"}}, http.StatusForbidden},
			{"cookie, a sibling subdomain", http.Header{"Cookie": {cookie}, "Origin": {"http://other.localhost"}}, http.StatusForbidden},
			{"cookie, the same host over https", http.Header{"Cookie": {cookie}, "Origin": {"https://" + samePort}}, http.StatusForbidden},
			{"cookie, Origin null", http.Header{"Cookie": {cookie}, "Origin": {"null"}}, http.StatusForbidden},
			{"bearer, a foreign origin", http.Header{"Authorization": {"Bearer " + tok}, "Origin": {"http://evil.test"}}, http.StatusForbidden},
			{"cookie, the service's origin", http.Header{"Cookie": {cookie}, "Origin": {s.url}}, http.StatusSwitchingProtocols},
			{"bearer, no Origin (not a browser)", http.Header{"Authorization": {"Bearer " + tok}}, http.StatusSwitchingProtocols},
			{"cookie, no Origin (not a browser)", http.Header{"Cookie": {cookie}}, http.StatusSwitchingProtocols},
		} {
			ws, status := s.dialAgent(t, tc.header)
			if status != tc.status {
				t.Errorf("%s: %d, want %d", tc.name, status, tc.status)
			}
			if ws != nil {
				ws.CloseNow()
			}
		}
	})
}
