package chatapi_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"halochat/app/protocol"
	"halochat/backend/demo"
	"halochat/backend/store"
)

// An API client's message reaches the visitor's open socket live, as the
// bot under the client's name; a resend of its client_msg_id is
// acknowledged with the same seq and stored once, also after the chat
// ended; agent_id posts as that agent only into a chat live with it.
func TestAPIClientPostIsLiveAndIdempotent(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		n := e.node(nodeOpts{})
		crm := n.apiClient("crm", []string{store.PermChatsWrite, store.PermChatsRead})
		resp := n.mustStart(protocol.StartChatRequest{})
		v := visitor(t, n, resp.ChatID, resp.ResumeSecret, resp.Chat.LastSeq)

		var first, again protocol.Ack
		body := protocol.AgentMessage{ChatID: resp.ChatID, ClientMsgID: "order-77", Text: "Your order has shipped."}
		if code := crm.Call("POST", "/api/ChatMessage", body, &first); code != http.StatusCreated || first.Seq == 0 || first.Duplicate {
			t.Fatalf("post: %d %+v", code, first)
		}
		got := v.messagesUntil(resp.ChatID, func(m protocol.ChatMessage) bool { return m.ClientMsgID == "order-77" })
		if m := got[len(got)-1]; m.From != protocol.FromBot || m.AgentName != "crm" || m.Text != body.Text || m.Seq != first.Seq {
			t.Fatalf("the visitor got %+v", m)
		}
		if code := crm.Call("POST", "/api/ChatMessage", body, &again); code != http.StatusCreated || again.Seq != first.Seq || !again.Duplicate {
			t.Fatalf("resend: %d %+v, want seq %d duplicate", code, again, first.Seq)
		}
		crm.Do("POST", "/api/Chat/"+resp.ChatID+"/end", nil).Expect(http.StatusNoContent)
		if code := crm.Call("POST", "/api/ChatMessage", body, &again); code != http.StatusCreated || again.Seq != first.Seq || !again.Duplicate {
			t.Fatalf("resend after the end: %d %+v", code, again)
		}
		if r := crm.Do("POST", "/api/ChatMessage", protocol.AgentMessage{ChatID: resp.ChatID, Text: "late"}); r.Status != http.StatusConflict {
			t.Fatalf("a new message into an ended chat: %d %s", r.Status, r.Body)
		}
		var tr protocol.ChatTranscript
		crm.Call("GET", "/api/Chat/"+resp.ChatID, nil, &tr)
		stored := 0
		for _, m := range tr.Messages {
			if m.ClientMsgID == "order-77" {
				stored++
			}
		}
		if stored != 1 || tr.Chat.EndReason != protocol.EndByAPI {
			t.Fatalf("stored %d times, end reason %q", stored, tr.Chat.EndReason)
		}

		// As a named agent: only into that agent's live chat.
		other := n.mustStart(protocol.StartChatRequest{})
		as := protocol.AgentMessage{ChatID: other.ChatID, Text: "Hi, Alex here", AgentID: e.agent.ID}
		if r := crm.Do("POST", "/api/ChatMessage", as); r.Status != http.StatusForbidden {
			t.Fatalf("as an agent into a bot chat: %d %s", r.Status, r.Body)
		}
		if r := crm.Do("POST", "/api/ChatMessage", protocol.AgentMessage{ChatID: other.ChatID, Text: "x", AgentID: 999999}); r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("an unknown agent: %d %s", r.Status, r.Body)
		}
	})
}

// Halo's array form is answered in order; one bad item refuses the
// request naming its index, and nothing is stored.
func TestPostMessageArray(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		n := e.node(nodeOpts{})
		crm := n.apiClient("crm", []string{store.PermChatsWrite, store.PermChatsRead})
		a, b := n.mustStart(protocol.StartChatRequest{}), n.mustStart(protocol.StartChatRequest{})
		for _, tc := range []struct {
			name, body, field string
			status            int
		}{
			{"an empty text", fmt.Sprintf(`[{"chat_id":%q,"text":"one"},{"chat_id":%q,"text":"two"},{"chat_id":%q,"text":"  "}]`, a.ChatID, b.ChatID, a.ChatID), "[2].text", 400},
			{"an unknown field", fmt.Sprintf(`[{"chat_id":%q,"text":"one"},{"chat_id":%q,"msg":"two"}]`, a.ChatID, b.ChatID), "[1].msg", 400},
			{"a text of the wrong type", fmt.Sprintf(`[{"chat_id":%q,"text":7}]`, a.ChatID), "[0].text", 400},
			{"an unknown chat", fmt.Sprintf(`[{"chat_id":%q,"text":"one"},{"chat_id":"nope","text":"two"}]`, a.ChatID), "[1]", 404},
			{"no items", `[]`, "", 400},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := crm.For(t).Do("POST", "/api/ChatMessage", tc.body)
				var eb protocol.ErrorBody
				r.Decode(&eb)
				if r.Status != tc.status || eb.Error.Field != tc.field {
					t.Fatalf("%d %s, want %d naming %q", r.Status, r.Body, tc.status, tc.field)
				}
			})
		}
		for _, c := range []*protocol.StartChatResponse{a, b} {
			var tr protocol.ChatTranscript
			crm.Call("GET", "/api/Chat/"+c.ChatID, nil, &tr)
			if tr.Chat.LastSeq != c.Chat.LastSeq {
				t.Fatalf("chat %s: a refused array stored messages (last seq %d, was %d)", c.ChatID, tr.Chat.LastSeq, c.Chat.LastSeq)
			}
		}
		var out []protocol.PostedMessage
		body := []protocol.AgentMessage{{ChatID: a.ChatID, Text: "one"}, {ChatID: b.ChatID, Text: "two"}, {ChatID: a.ChatID, Text: "three"}}
		if code := crm.Call("POST", "/api/ChatMessage", body, &out); code != http.StatusCreated || len(out) != 3 {
			t.Fatalf("post: %d %+v", code, out)
		}
		if out[0].ChatID != a.ChatID || out[1].ChatID != b.ChatID || out[2].Seq != out[0].Seq+1 || out[0].Seq != a.Chat.LastSeq+1 {
			t.Fatalf("answered out of order: %+v", out)
		}
	})
}

// GET /api/ChatMessage: ours (after) and Halo's (last_id, max_id).
func TestMessagesAfterLastIDUpToMaxID(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		n := e.node(nodeOpts{})
		crm := n.apiClient("crm", []string{store.PermChatsWrite, store.PermChatsRead})
		c := n.mustStart(protocol.StartChatRequest{})
		for i := range 5 {
			crm.Do("POST", "/api/ChatMessage", protocol.AgentMessage{ChatID: c.ChatID, Text: fmt.Sprint("m", i)}).Expect(http.StatusCreated)
		}
		last := c.Chat.LastSeq + 5
		for _, tc := range []struct {
			query    string
			from, to int64 // the seqs answered; to < from: none
		}{
			{"", 1, last},
			{"&after=2", 3, last},
			{"&last_id=2", 3, last},
			{"&last_id=2&max_id=4", 3, 4},
			{"&max_id=3", 1, 3},
			{"&last_id=4&max_id=4", 1, 0},
			{"&last_id=5&max_id=2", 1, 0},
			{fmt.Sprintf("&last_id=%d", last), 1, 0},
			{"&after=2&last_id=2", 3, last},
		} {
			var ml protocol.MessageList
			if code := crm.Call("GET", "/api/ChatMessage?chat_id="+c.ChatID+tc.query, nil, &ml); code != http.StatusOK {
				t.Fatalf("%s: %d", tc.query, code)
			}
			if n := tc.to - tc.from + 1; int64(len(ml.Messages)) != max(n, 0) {
				t.Fatalf("%s: %d messages, want %d", tc.query, len(ml.Messages), max(n, 0))
			}
			checkSeqs(t, ml.Messages, tc.from)
		}
		for query, field := range map[string]string{"&last_id=x": "last_id", "&max_id=-1": "max_id", "&after=1&last_id=2": "last_id", "": "chat_id"} {
			chat := "?chat_id=" + c.ChatID
			if field == "chat_id" {
				chat = "?"
			}
			r := crm.Do("GET", "/api/ChatMessage"+chat+query, nil)
			var eb protocol.ErrorBody
			if r.Decode(&eb); r.Status != http.StatusBadRequest || eb.Error.Field != field {
				t.Errorf("%s: %d %s, want 400 naming %s", query, r.Status, r.Body, field)
			}
		}
	})
}

// GET /api/Chat with Halo's parameters: chatprofile_id, ticket_id,
// page_no and page_size; an API client bound to a profile sees its
// chats only.
func TestChatListHaloParamsAndBinding(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		n := e.node(nodeOpts{})
		ctx := context.Background()
		ids := map[string]bool{}
		var ticketed string
		for i := range 3 {
			c := n.mustStart(protocol.StartChatRequest{})
			ids[c.ChatID] = true
			if i == 1 {
				ticketed = c.ChatID
			}
		}
		tid := e.ticketFor(ticketed)
		if _, err := e.st.UpdateChat(ctx, ticketed, "", store.ChatUpdate{TicketID: &tid}); err != nil {
			t.Fatal(err)
		}
		all := n.apiClient("all", []string{store.PermChatsRead, store.PermTicketsRead})
		list := func(query string) []string {
			var cl protocol.ChatList
			all.Do("GET", "/api/Chat?chatprofile_id="+e.demo.Profile.ID+query, nil).Expect(http.StatusOK).Decode(&cl)
			var out []string
			for _, c := range cl.Chats {
				out = append(out, c.ID)
			}
			return out
		}
		p1, p2 := list("&page_no=1&page_size=2"), list("&page_no=2&page_size=2")
		if len(p1) != 2 || len(p2) != 1 || p1[0] == p2[0] || p1[1] == p2[0] || !ids[p2[0]] {
			t.Fatalf("pages %v %v of %v", p1, p2, ids)
		}
		if got := list(fmt.Sprintf("&ticket_id=%d", tid)); len(got) != 1 || got[0] != ticketed {
			t.Fatalf("ticket_id=%d: %v, want [%s]", tid, got, ticketed)
		}
		for _, q := range []string{"&page_no=0", "&page_no=1&offset=3", "&page_size=x", "&profile_id=other"} {
			if r := all.Do("GET", "/api/Chat?chatprofile_id="+e.demo.Profile.ID+q, nil); r.Status != http.StatusBadRequest {
				t.Errorf("%s: %d %s", q, r.Status, r.Body)
			}
		}

		// Bound to another profile: the demo profile's chats are out of reach.
		otherFlow := demo.Flow()
		otherFlow.Name = "bound client's flow"
		other := e.profileWithFlow(otherFlow, nil)
		bound := n.apiClient("bound", []string{"admin"}, other.ID)
		var cl protocol.ChatList
		bound.Do("GET", "/api/Chat", nil).Expect(http.StatusOK).Decode(&cl)
		var tl protocol.TicketList
		bound.Do("GET", "/api/Tickets", nil).Expect(http.StatusOK).Decode(&tl)
		if len(cl.Chats) != 0 || len(tl.Tickets) != 0 {
			t.Fatalf("a client bound to another profile lists %d chats, %d tickets", len(cl.Chats), len(tl.Tickets))
		}
		for _, call := range []struct{ method, path string }{
			{"GET", "/api/Chat/" + ticketed}, {"GET", "/api/Chat/" + ticketed + "/details"},
			{"GET", "/api/ChatMessage?chat_id=" + ticketed}, {"POST", "/api/Chat/" + ticketed + "/end"},
			{"GET", fmt.Sprintf("/api/Tickets/%d", tid)},
		} {
			bound.Do(call.method, call.path, nil).Expect(http.StatusForbidden)
		}
		bound.Do("POST", "/api/ChatMessage", protocol.AgentMessage{ChatID: ticketed, Text: "hi"}).Expect(http.StatusForbidden)
		bound.Do("POST", "/api/Chat", protocol.OutreachRequest{ChatProfileID: e.demo.Profile.ID, UserEmail: "b@example.com", Text: "hi"}).
			Expect(http.StatusForbidden)
	})
}
