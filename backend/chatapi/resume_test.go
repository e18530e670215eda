package chatapi_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"

	"halochat/app/protocol"
	"halochat/backend/demo"
)

func hdr(secret string) []string { return []string{protocol.HeaderResumeSecret, secret} }

// A dropped websocket resumes from the last seq it saw: every message
// sent meanwhile arrives once and in order; a resend of a stored client
// message id is acknowledged again and stores nothing. Also: transfer
// with nobody online says so (nobody_in) and takes the fallback.
func TestResumeAndIdempotentResend(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		n := e.node(nodeOpts{})
		resp := n.mustStart(protocol.StartChatRequest{})
		c := visitor(t, n, resp.ChatID, resp.ResumeSecret, 0)
		first := c.messagesUntil(resp.ChatID, func(m protocol.ChatMessage) bool { return m.Seq == resp.Chat.LastSeq })
		checkSeqs(t, first, 1)
		choose(c, "v1", 2) // Talk to a person: nobody is online
		got := c.messagesUntil(resp.ChatID, func(m protocol.ChatMessage) bool { return m.Prompt != nil })
		if got[1].Step != demo.StepTransfer || got[2].Event != protocol.EventNobodyIn || got[2].Reason != protocol.NobodyInNoAgent ||
			got[3].Step != demo.StepNoAgent || got[4].Step != demo.StepAskProblem {
			t.Fatalf("transfer fallback: %+v", got)
		}
		last := got[len(got)-1].Seq
		c.ws.CloseNow()
		<-c.done

		// While the socket is down, the visitor's other tab answers over HTTP.
		var ack protocol.Ack
		body := protocol.SendRequest{ClientMsgID: "v2", Text: "The app crashes"}
		if code := n.call("POST", "/chat/api/v1/chats/"+resp.ChatID+"/messages", body, &ack, hdr(resp.ResumeSecret)...); code != 200 || ack.Seq != last+1 {
			t.Fatalf("send over HTTP: %d %+v", code, ack)
		}
		var again protocol.Ack
		n.call("POST", "/chat/api/v1/chats/"+resp.ChatID+"/messages", body, &again, hdr(resp.ResumeSecret)...)
		if again.Seq != ack.Seq || !again.Duplicate {
			t.Fatalf("resend over HTTP: %+v", again)
		}

		c = visitor(t, n, resp.ChatID, resp.ResumeSecret, last)
		rest := c.messagesUntil(resp.ChatID, isEnd)
		checkSeqs(t, rest, last+1)
		if rest[0].ClientMsgID != "v2" {
			t.Fatalf("resumed: %+v", rest)
		}
		// A resend over the socket too: same seq, nothing new.
		if a := sendText(c, "v2", "The app crashes"); a.Type != protocol.FrameAck || a.Seq != ack.Seq || !a.Duplicate {
			t.Fatalf("resend over ws: %+v", a)
		}
		var poll protocol.PollResponse
		n.call("GET", fmt.Sprintf("/chat/api/v1/chats/%s/messages?after=0", resp.ChatID), nil, &poll, hdr(resp.ResumeSecret)...)
		checkSeqs(t, poll.Messages, 1)
		if int64(len(poll.Messages)) != rest[len(rest)-1].Seq {
			t.Fatalf("stored %d messages, delivered up to %d", len(poll.Messages), rest[len(rest)-1].Seq)
		}
	})
}

func TestRetainPreviousChat(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		n := e.node(nodeOpts{})
		a := n.mustStart(protocol.StartChatRequest{})
		b := n.mustStart(protocol.StartChatRequest{PreviousChatID: a.ChatID, ResumeSecret: a.ResumeSecret})
		if !b.Resumed || b.ChatID != a.ChatID || len(b.Messages) != len(a.Messages) {
			t.Fatalf("retain: %+v", b)
		}
		wrong := n.mustStart(protocol.StartChatRequest{PreviousChatID: a.ChatID, ResumeSecret: "not-the-secret"})
		if wrong.Resumed || wrong.ChatID == a.ChatID {
			t.Fatalf("a wrong secret resumed the chat")
		}
		no := false
		c := n.mustStart(protocol.StartChatRequest{PreviousChatID: a.ChatID, ResumeSecret: a.ResumeSecret, RetainPreviousChat: &no})
		if c.Resumed || c.ChatID == a.ChatID || c.EndedChatID != a.ChatID {
			t.Fatalf("retain false: %+v", c)
		}
		var poll protocol.PollResponse
		n.call("GET", "/chat/api/v1/chats/"+a.ChatID+"/messages?after=0", nil, &poll, hdr(a.ResumeSecret)...)
		if poll.Chat.Status != protocol.ChatStatusEnded || poll.Chat.EndReason != protocol.EndRestarted {
			t.Fatalf("previous chat: %+v", poll.Chat)
		}
		// The ended chat is not resumed: a new one starts.
		d := n.mustStart(protocol.StartChatRequest{PreviousChatID: a.ChatID, ResumeSecret: a.ResumeSecret})
		if d.Resumed || d.ChatID == a.ChatID {
			t.Fatalf("resumed an ended chat")
		}
	})
}

// The long-poll transport: a waiting read returns as soon as a message
// is stored; sends are idempotent; a wrong secret is refused.
func TestLongPoll(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		n := e.node(nodeOpts{})
		resp := n.mustStart(protocol.StartChatRequest{})
		base := "/chat/api/v1/chats/" + resp.ChatID + "/messages"
		if code := n.call("GET", base+"?after=0", nil, nil, hdr("wrong")...); code != http.StatusNotFound {
			t.Fatalf("wrong secret: %d", code)
		}
		var empty protocol.PollResponse
		n.call("GET", fmt.Sprintf("%s?after=%d", base, resp.Chat.LastSeq), nil, &empty, hdr(resp.ResumeSecret)...)
		if len(empty.Messages) != 0 || empty.Chat.Pending == nil {
			t.Fatalf("empty poll: %+v", empty)
		}
		var wg sync.WaitGroup
		var polled protocol.PollResponse
		wg.Add(1)
		go func() {
			defer wg.Done()
			n.call("GET", fmt.Sprintf("%s?after=%d&wait=10", base, resp.Chat.LastSeq), nil, &polled, hdr(resp.ResumeSecret)...)
		}()
		waitSubscribed(t, n)
		zero := 0
		var ack protocol.Ack
		n.call("POST", base, protocol.SendRequest{ClientMsgID: "p1", Choice: &zero}, &ack, hdr(resp.ResumeSecret)...)
		wg.Wait()
		if len(polled.Messages) == 0 || polled.Messages[0].Seq != ack.Seq {
			t.Fatalf("poll after send: %+v (ack %+v)", polled, ack)
		}
		var all protocol.PollResponse
		n.call("GET", base+"?after=0", nil, &all, hdr(resp.ResumeSecret)...)
		checkSeqs(t, all.Messages, 1)
		var dup protocol.Ack
		n.call("POST", base, protocol.SendRequest{ClientMsgID: "p1", Choice: &zero}, &dup, hdr(resp.ResumeSecret)...)
		var after protocol.PollResponse
		n.call("GET", base+"?after=0", nil, &after, hdr(resp.ResumeSecret)...)
		if !dup.Duplicate || dup.Seq != ack.Seq || len(after.Messages) != len(all.Messages) {
			t.Fatalf("resend: %+v, %d then %d messages", dup, len(all.Messages), len(after.Messages))
		}
		if after.Chat.Pending == nil || after.Chat.Pending.Step != demo.StepAskEmail {
			t.Fatalf("pending after choice: %+v", after.Chat.Pending)
		}
		// End over HTTP.
		if code := n.call("POST", "/chat/api/v1/chats/"+resp.ChatID+"/end", nil, nil, hdr(resp.ResumeSecret)...); code != http.StatusNoContent {
			t.Fatalf("end: %d", code)
		}
		n.call("GET", base+"?after=0", nil, &after, hdr(resp.ResumeSecret)...)
		if after.Chat.Status != protocol.ChatStatusEnded || !isEnd(after.Messages[len(after.Messages)-1]) {
			t.Fatalf("after end: %+v", after.Chat)
		}
	})
}
