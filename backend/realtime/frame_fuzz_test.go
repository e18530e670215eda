package realtime

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/coder/websocket"

	"halochat/app/protocol"
)

// FuzzDecodeFrame feeds the server's frame parser anything a client could
// send: it never panics, refuses with a code and a message, and what it
// accepts is of the server's protocol version and survives a round trip.
func FuzzDecodeFrame(f *testing.F) {
	for _, seed := range []string{
		`{"v":1,"type":"hello","chatId":"abc","resumeSecret":"s","afterSeq":3}`,
		`{"v":1,"type":"send","clientMsgId":"m1","text":"hi"}`,
		`{"v":1,"type":"send","clientMsgId":"m2","choice":1}`,
		`{"v":1,"type":"typing","typing":true}`,
		`{"v":1,"type":"accept","chatId":"abc"}`,
		`{"v":1,"type":"watch","chatId":"abc","afterSeq":-1}`,
		`{"v":2,"type":"hello"}`,
		`{"v":"1"}`, `[]`, `null`, ``, `{"v":1,"type":"send","text":"\ud800"}`,
		"{\"v\":1,\"chatId\":\"\xff\"}", `{"v":1e400}`, `{"v":1,"afterSeq":1e30}`,
		strings.Repeat("[", 10001),
	} {
		f.Add([]byte(seed), false)
	}
	f.Add([]byte(`{"v":1,"type":"hello"}`), true)
	f.Fuzz(func(t *testing.T, data []byte, binary bool) {
		typ := websocket.MessageText
		if binary {
			typ = websocket.MessageBinary
		}
		fr, ferr := decodeFrame(typ, data)
		if ferr != nil {
			if ferr.code == "" || ferr.msg == "" {
				t.Fatalf("a refusal without code or message: %+v", ferr)
			}
			return
		}
		if binary || fr.V != protocol.ProtocolVersion {
			t.Fatalf("accepted %q (binary %v) as %+v", data, binary, fr)
		}
		again, err := json.Marshal(fr)
		if err != nil {
			t.Fatalf("re-encode %+v: %v", fr, err)
		}
		fr2, ferr := decodeFrame(websocket.MessageText, again)
		if ferr != nil || fr2.Type != fr.Type || fr2.ChatID != fr.ChatID || fr2.Text != fr.Text || fr2.ClientMsgID != fr.ClientMsgID {
			t.Fatalf("round trip of %q: %+v, then %+v (%v)", data, fr, fr2, ferr)
		}
	})
}
