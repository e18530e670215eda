package protocol

import (
	"encoding/json"
	"strings"
	"testing"
)

// The JSON names of the frames are the widget's contract: they must not
// change by accident.
func TestFrameJSONNames(t *testing.T) {
	one, on := 1, true
	f := Frame{V: ProtocolVersion, Type: FrameSend, ChatID: "c", ResumeSecret: "s", AfterSeq: 3, ClientMsgID: "m",
		Seq: 4, Text: "hi", Choice: &one, Typing: &on, From: FromAgent,
		Message: &ChatMessage{Seq: 4, From: FromBot, Text: "t", Choices: []string{"a"}, Prompt: &Prompt{Required: true, Type: "email"}},
		Chat:    &ChatState{ID: "c", Status: ChatStatusBot, Pending: &Pending{Step: 2, Kind: "choice", Choices: []string{"a"}}},
		Error:   &APIError{Code: CodeChatEnded, Message: "m"}}
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{`"v":1`, `"type":"send"`, `"chatId":"c"`, `"resumeSecret":"s"`, `"afterSeq":3`,
		`"clientMsgId":"m"`, `"seq":4`, `"choice":1`, `"typing":true`, `"from":"agent"`, `"choices":["a"]`,
		`"prompt":{"required":true,"type":"email"}`, `"pending":{"step":2,"kind":"choice","choices":["a"]}`,
		`"error":{"code":"chat_ended","message":"m"}`} {
		if !strings.Contains(string(b), name) {
			t.Errorf("frame JSON %s lacks %s", b, name)
		}
	}
	var back Frame
	if err := json.Unmarshal(b, &back); err != nil || back.Message.Prompt.Type != "email" || *back.Choice != 1 {
		t.Fatalf("round trip: %v %+v", err, back)
	}
}

func TestRetainDefaultsToTrue(t *testing.T) {
	var r StartChatRequest
	if err := json.Unmarshal([]byte(`{"configId":"a"}`), &r); err != nil || !r.Retain() {
		t.Fatal("a missing retainPreviousChat must mean true")
	}
	if err := json.Unmarshal([]byte(`{"retainPreviousChat":false}`), &r); err != nil || r.Retain() {
		t.Fatal("retainPreviousChat false")
	}
}
