package widget

import (
	"reflect"
	"testing"

	"halochat/app/protocol"
)

func names(out []Outbound) []string {
	var n []string
	for _, o := range out {
		n = append(n, o.Name)
	}
	return n
}

func bot(seq int64, text string) protocol.ChatMessage {
	return protocol.ChatMessage{Seq: seq, From: protocol.FromBot, Text: text}
}

func TestStartAnswerRaisesEventsForWhatThePageHasNotHeard(t *testing.T) {
	welcome := []protocol.ChatMessage{bot(1, "hi"), bot(2, "menu")}
	ticketThenEnd := []protocol.ChatMessage{bot(1, "logging a ticket"),
		{Seq: 2, From: protocol.FromSystem, Event: protocol.EventTicketCreated, TicketID: 42},
		{Seq: 3, From: protocol.FromSystem, Event: protocol.EventChatEnded, Reason: protocol.EndByFlow, TicketID: 42}}
	live := protocol.ChatState{ID: "c1", Status: protocol.ChatStatusBot, StartStep: 9, Authenticated: true}
	ended := protocol.ChatState{ID: "c1", Status: protocol.ChatStatusEnded, EndReason: protocol.EndByFlow, TicketID: 42}
	tests := []struct {
		name       string
		resp       protocol.StartChatResponse
		announced  int64
		windowOpen bool
		want       []string // event names
		seqs       []int64  // of the messageReceived events
	}{
		{name: "a new chat's first messages", resp: protocol.StartChatResponse{Chat: live, Messages: welcome},
			windowOpen: true, want: []string{protocol.OutChatStarted, protocol.OutMessageReceived, protocol.OutMessageReceived}, seqs: []int64{1, 2}},
		{name: "a new chat, window closed", resp: protocol.StartChatResponse{Chat: live, Messages: welcome},
			want: []string{protocol.OutChatStarted, protocol.OutMessageReceived, protocol.OutMessageReceived, protocol.OutUnreadCount}, seqs: []int64{1, 2}},
		{name: "a new chat that ended in its first run", resp: protocol.StartChatResponse{Chat: ended, Messages: ticketThenEnd},
			windowOpen: true, want: []string{protocol.OutChatStarted, protocol.OutMessageReceived, protocol.OutMessageReceived,
				protocol.OutMessageReceived, protocol.OutChatEnded}, seqs: []int64{1, 2, 3}},
		{name: "a new chat ended without an end message", resp: protocol.StartChatResponse{Chat: ended},
			windowOpen: true, want: []string{protocol.OutChatStarted, protocol.OutChatEnded}},
		{name: "resumed, all heard", resp: protocol.StartChatResponse{Resumed: true, Chat: live, Messages: welcome},
			announced: 2, windowOpen: true},
		{name: "resumed, one message since", resp: protocol.StartChatResponse{Resumed: true, Chat: live, Messages: welcome},
			announced: 1, windowOpen: true, want: []string{protocol.OutMessageReceived}, seqs: []int64{2}},
		{name: "resumed, ended since", resp: protocol.StartChatResponse{Resumed: true, Chat: ended, Messages: ticketThenEnd},
			announced: 2, windowOpen: true, want: []string{protocol.OutMessageReceived, protocol.OutChatEnded}, seqs: []int64{3}},
		{name: "resumed, ended before", resp: protocol.StartChatResponse{Resumed: true, Chat: ended, Messages: ticketThenEnd},
			announced: 3, windowOpen: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.resp.ChatID = "c1"
			c, out := NewConversation(tt.resp, tt.announced, tt.windowOpen)
			if !reflect.DeepEqual(names(out), tt.want) {
				t.Fatalf("events %v, want %v", names(out), tt.want)
			}
			var seqs []int64
			for _, o := range out {
				switch o.Name {
				case protocol.OutMessageReceived:
					seqs = append(seqs, o.Detail["seq"].(int64))
				case protocol.OutChatStarted:
					if d := o.Detail; d["chatId"] != "c1" || d["startStep"] != tt.resp.Chat.StartStep || d["authenticated"] != tt.resp.Chat.Authenticated {
						t.Errorf("chatStarted detail %v", d)
					}
				case protocol.OutChatEnded:
					if d := o.Detail; d["chatId"] != "c1" || d["reason"] != protocol.EndByFlow || d["ticketId"] != int64(42) {
						t.Errorf("chatEnded detail %v", d)
					}
				}
			}
			if !reflect.DeepEqual(seqs, tt.seqs) {
				t.Errorf("messageReceived seqs %v, want %v", seqs, tt.seqs)
			}
			if n := int64(len(tt.resp.Messages)); c.LastSeq() != n {
				t.Errorf("LastSeq = %d, want %d", c.LastSeq(), n)
			}
			if c.Chat != tt.resp.Chat {
				t.Errorf("state %+v, want the server's %+v", c.Chat, tt.resp.Chat)
			}
		})
	}
}

func TestMessagesAreKeptOnceAndInOrder(t *testing.T) {
	// Late messages move back past those held (seq 5 came first).
	c, _ := NewConversation(protocol.StartChatResponse{ChatID: "c1", Messages: []protocol.ChatMessage{bot(1, "a"), bot(5, "e")}}, 0, true)
	c.Receive([]protocol.ChatMessage{bot(3, "c"), bot(2, "b"), bot(1, "a again")}, true)
	c.Receive([]protocol.ChatMessage{bot(3, "c again"), bot(6, "f"), bot(4, "d")}, true)
	var got []string
	for _, m := range c.Messages {
		got = append(got, m.Text)
	}
	if want := []string{"a", "b", "c", "d", "e", "f"}; !reflect.DeepEqual(got, want) {
		t.Errorf("messages %v, want %v", got, want)
	}
}

func TestEventsForMessagesUnreadAndEnd(t *testing.T) {
	c, _ := NewConversation(protocol.StartChatResponse{ChatID: "c1", Chat: protocol.ChatState{Status: protocol.ChatStatusBot}}, 0, true)
	out := c.Receive([]protocol.ChatMessage{
		{Seq: 1, From: protocol.FromVisitor, Text: "me"},
		bot(2, "hello"),
		{Seq: 3, From: protocol.FromSystem, Event: protocol.EventAgentJoined, AgentName: "Alex", Text: "Alex joined"},
	}, false)
	want := []string{protocol.OutMessageReceived, protocol.OutMessageReceived, protocol.OutUnreadCount}
	if !reflect.DeepEqual(names(out), want) {
		t.Fatalf("events %v, want %v", names(out), want)
	}
	if out[2].Detail["count"] != 2 || c.Chat.AgentName != "Alex" || c.Chat.Status != protocol.ChatStatusLive {
		t.Errorf("unread %v, agent %q, status %q", out[2].Detail, c.Chat.AgentName, c.Chat.Status)
	}
	if out := c.Opened(); len(out) != 1 || out[0].Detail["count"] != 0 {
		t.Errorf("Opened = %v, want unreadCount 0", out)
	}
	if out := c.Opened(); len(out) != 0 {
		t.Errorf("a second Opened raised %v", names(out))
	}
	out = c.Receive([]protocol.ChatMessage{
		{Seq: 4, From: protocol.FromSystem, Event: protocol.EventTicketCreated, TicketID: 42},
		{Seq: 5, From: protocol.FromSystem, Event: protocol.EventChatEnded, Reason: protocol.EndByAgent},
	}, true)
	want = []string{protocol.OutMessageReceived, protocol.OutMessageReceived, protocol.OutChatEnded}
	if !reflect.DeepEqual(names(out), want) {
		t.Fatalf("events %v, want %v", names(out), want)
	}
	if d := out[2].Detail; d["reason"] != protocol.EndByAgent || d["ticketId"] != int64(42) {
		t.Errorf("chatEnded detail %v", d)
	}
	if out := c.Update(protocol.ChatState{Status: protocol.ChatStatusEnded}); len(out) != 0 {
		t.Errorf("chatEnded raised twice: %v", names(out))
	}
}

func TestPendingFollowsTheNewestMessage(t *testing.T) {
	c, _ := NewConversation(protocol.StartChatResponse{ChatID: "c1", Chat: protocol.ChatState{Status: protocol.ChatStatusBot,
		Pending: &protocol.Pending{Kind: "choice", Choices: []string{"from state"}}}}, 0, true)
	if p := c.Pending(); p == nil || p.Choices[0] != "from state" {
		t.Errorf("with no messages Pending = %+v, want the server's", p)
	}
	c.Receive([]protocol.ChatMessage{{Seq: 1, From: protocol.FromBot, Text: "pick", Step: 4, Choices: []string{"a", "b"}}}, true)
	if p := c.Pending(); p == nil || p.Kind != "choice" || p.Step != 4 || len(p.Choices) != 2 {
		t.Errorf("after a choice Pending = %+v", p)
	}
	c.Receive([]protocol.ChatMessage{{Seq: 2, From: protocol.FromVisitor, Text: "a"}}, true)
	if p := c.Pending(); p != nil {
		t.Errorf("after the answer Pending = %+v, want nil", p)
	}
	c.Receive([]protocol.ChatMessage{{Seq: 3, From: protocol.FromBot, Text: "email?", Step: 5, Prompt: &protocol.Prompt{Type: "email"}},
		{Seq: 4, From: protocol.FromSystem, Text: "note"}}, true)
	if p := c.Pending(); p == nil || p.Kind != "answer" || p.Prompt.Type != "email" {
		t.Errorf("after a question (and a system note) Pending = %+v", p)
	}
	// A file the visitor attaches answers nothing: the question stays.
	c.Receive([]protocol.ChatMessage{{Seq: 5, From: protocol.FromVisitor, Text: "shot.png",
		Attachment: &protocol.Attachment{ID: "f1", Name: "shot.png"}}}, true)
	if p := c.Pending(); p == nil || p.Kind != "answer" {
		t.Errorf("after a file Pending = %+v, want the question still", p)
	}
	c.Update(protocol.ChatState{Status: protocol.ChatStatusEnded})
	if p := c.Pending(); p != nil {
		t.Errorf("an ended chat has Pending %+v", p)
	}
}
