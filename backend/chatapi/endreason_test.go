package chatapi_test

import (
	"net/http"
	"testing"

	"halochat/app/protocol"
)

// A visitor's end call gives no reason (the visitor ended the chat) or
// logout (haloChat_inboundEvent_logout); it cannot claim another's.
func TestVisitorEndReasons(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		n := e.node(nodeOpts{})
		tests := []struct {
			query  string
			status int
			reason string // stored; "" when refused
		}{
			{"", http.StatusNoContent, protocol.EndByVisitor},
			{"?reason=visitor", http.StatusNoContent, protocol.EndByVisitor},
			{"?reason=logout", http.StatusNoContent, protocol.EndLogout},
			{"?reason=agent", http.StatusBadRequest, ""},
			{"?reason=idle", http.StatusBadRequest, ""},
		}
		for _, tt := range tests {
			resp := n.mustStart(protocol.StartChatRequest{})
			path := "/chat/api/v1/chats/" + resp.ChatID
			var eb protocol.ErrorBody
			if code := n.call("POST", path+"/end"+tt.query, nil, &eb, hdr(resp.ResumeSecret)...); code != tt.status {
				t.Errorf("end%s: %d %+v, want %d", tt.query, code, eb, tt.status)
				continue
			}
			var poll protocol.PollResponse
			n.call("GET", path+"/messages?after=0", nil, &poll, hdr(resp.ResumeSecret)...)
			if tt.reason == "" {
				if eb.Error.Code != protocol.CodeInvalidRequest || poll.Chat.Status == protocol.ChatStatusEnded {
					t.Errorf("end%s: %+v, chat %+v: want refused and the chat open", tt.query, eb, poll.Chat)
				}
				continue
			}
			last := poll.Messages[len(poll.Messages)-1]
			if poll.Chat.EndReason != tt.reason || !isEnd(last) || last.Reason != tt.reason {
				t.Errorf("end%s: chat %+v, last message %+v, want ended for %s", tt.query, poll.Chat, last, tt.reason)
			}
		}
	})
}
