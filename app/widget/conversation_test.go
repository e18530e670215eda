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

func TestNewChatRaisesChatStartedButNotItsHistory(t *testing.T) {
	c, out := NewConversation(protocol.StartChatResponse{ChatID: "c1",
		Chat:     protocol.ChatState{ID: "c1", Status: protocol.ChatStatusBot, StartStep: 9, Authenticated: true},
		Messages: []protocol.ChatMessage{bot(1, "hi"), bot(2, "menu")}})
	if !reflect.DeepEqual(names(out), []string{protocol.OutChatStarted}) {
		t.Fatalf("events %v", names(out))
	}
	if d := out[0].Detail; d["chatId"] != "c1" || d["startStep"] != 9 || d["authenticated"] != true {
		t.Errorf("chatStarted detail %v", d)
	}
	if c.LastSeq() != 2 {
		t.Errorf("LastSeq = %d", c.LastSeq())
	}
	_, out = NewConversation(protocol.StartChatResponse{ChatID: "c1", Resumed: true})
	if len(out) != 0 {
		t.Errorf("a resumed chat raised %v", names(out))
	}
}

func TestMessagesAreKeptOnceAndInOrder(t *testing.T) {
	c, _ := NewConversation(protocol.StartChatResponse{ChatID: "c1", Messages: []protocol.ChatMessage{bot(1, "a")}})
	c.Receive([]protocol.ChatMessage{bot(3, "c"), bot(2, "b"), bot(1, "a again")}, true)
	c.Receive([]protocol.ChatMessage{bot(3, "c again"), bot(4, "d")}, true)
	var got []string
	for _, m := range c.Messages {
		got = append(got, m.Text)
	}
	if !reflect.DeepEqual(got, []string{"a", "b", "c", "d"}) {
		t.Errorf("messages %v, want a b c d", got)
	}
}

func TestEventsForMessagesUnreadAndEnd(t *testing.T) {
	c, _ := NewConversation(protocol.StartChatResponse{ChatID: "c1", Chat: protocol.ChatState{Status: protocol.ChatStatusBot}})
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
		Pending: &protocol.Pending{Kind: "choice", Choices: []string{"from state"}}}})
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
	c.Update(protocol.ChatState{Status: protocol.ChatStatusEnded})
	if p := c.Pending(); p != nil {
		t.Errorf("an ended chat has Pending %+v", p)
	}
}
