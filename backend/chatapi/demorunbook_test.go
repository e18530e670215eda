package chatapi_test

import (
	"context"
	"net/http/httptest"
	"testing"

	"halochat/app/protocol"
	"halochat/backend/demo"
	"halochat/backend/store"
)

// The demo flow's runbook step against the demo's own runbook endpoint.
func TestDemoRunbook(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		srv := httptest.NewServer(demo.RunbookHandler(e.st))
		defer srv.Close()
		if err := demo.EnsureRunbook(ctx, e.st, srv.URL+demo.RunbookPath); err != nil {
			t.Fatal(err)
		}
		n := e.node(nodeOpts{})
		resp := n.mustStart(protocol.StartChatRequest{})
		acct, _ := e.st.GetCustomFieldByName(ctx, store.EntityChat, "CFaccountNumber")
		if err := e.st.SetChatFieldValues(ctx, resp.ChatID, []store.ChatFieldValue{{FieldID: acct.ID, Value: "A-7"}}); err != nil {
			t.Fatal(err)
		}
		v := visitor(t, n, resp.ChatID, resp.ResumeSecret, resp.Chat.LastSeq)
		choose(v, "c1", 3)
		got := v.messagesUntil(resp.ChatID, func(m protocol.ChatMessage) bool { return m.Choices != nil })
		if got[1].Step != demo.StepAccountFound || got[1].Text != "Your account is active." {
			t.Fatalf("demo runbook: %+v", got)
		}
	})
}
