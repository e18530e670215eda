package chatapi_test

import (
	"context"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"halochat/app/protocol"
	"halochat/backend/store"
	"halochat/backend/storetest"
)

// token signs an HS256 identity token with the demo profile's secret.
func (e *env) token(claims jwt.MapClaims) string {
	e.t.Helper()
	return storetest.DemoToken(e.t, e.demo, claims)
}

func TestUpgradeAnonChat(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		n := e.node(nodeOpts{})
		anon := n.mustStart(protocol.StartChatRequest{})
		if anon.Chat.Authenticated {
			t.Fatal("an anonymous start is authenticated")
		}
		path := "/chat/api/v1/chats/" + anon.ChatID + "/upgrade"

		var eb protocol.ErrorBody
		if code := n.call("POST", path, map[string]string{"id_token": "not.a.token"}, &eb, protocol.HeaderResumeSecret, anon.ResumeSecret); code != 401 || eb.Error.Code != protocol.CodeInvalidToken {
			t.Errorf("a bad token: %d %+v, want 401 invalid_token", code, eb)
		}
		good := e.token(jwt.MapClaims{"sub": "cust-1", "email": "ann@example.test", "given_name": "Ann", "CFcustomerTier": "gold"})
		if code := n.call("POST", path, map[string]string{"id_token": good}, &eb, protocol.HeaderResumeSecret, "wrong secret"); code != 404 {
			t.Errorf("a wrong resume secret: %d %+v, want 404", code, eb)
		}
		var st protocol.ChatState
		if code := n.call("POST", path, map[string]string{"id_token": good}, &st, protocol.HeaderResumeSecret, anon.ResumeSecret); code != 200 || !st.Authenticated {
			t.Fatalf("upgrade: %d %+v", code, st)
		}
		ctx := context.Background()
		c, err := e.st.GetChat(ctx, anon.ChatID)
		if err != nil {
			t.Fatal(err)
		}
		u, err := e.st.GetUser(ctx, c.UserID)
		if err != nil || u.ExternalID != "cust-1" || u.FirstName != "Ann" {
			t.Fatalf("the chat's user after the upgrade: %+v, %v", u, err)
		}
		vals, err := e.st.ChatFieldValues(ctx, c.ID)
		if err != nil || len(vals) != 1 || vals[0].Name != "CFcustomerTier" || vals[0].Value != "gold" {
			t.Errorf("chat custom fields after the upgrade: %+v, %v", vals, err)
		}
		if code := n.call("POST", path, map[string]string{"id_token": good}, &eb, protocol.HeaderResumeSecret, anon.ResumeSecret); code != 409 || eb.Error.Code != "already_authenticated" {
			t.Errorf("a second upgrade: %d %+v, want 409 already_authenticated", code, eb)
		}
	})
}

func TestResumeWithATokenKeepsTheSameUserAndReplacesAnother(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		n := e.node(nodeOpts{})
		ann := e.token(jwt.MapClaims{"sub": "ann", "email": "ann@example.test"})
		bob := e.token(jwt.MapClaims{"sub": "bob", "email": "bob@example.test"})
		first := n.mustStart(protocol.StartChatRequest{IDToken: ann})
		resume := func(token string) *protocol.StartChatResponse {
			return n.mustStart(protocol.StartChatRequest{IDToken: token, PreviousChatID: first.ChatID, ResumeSecret: first.ResumeSecret})
		}
		if again := resume(ann); !again.Resumed || again.ChatID != first.ChatID {
			t.Fatalf("the same user's token: resumed=%v chat %s, want chat %s resumed", again.Resumed, again.ChatID, first.ChatID)
		}
		other := resume(bob)
		if other.Resumed || other.ChatID == first.ChatID || other.EndedChatID != first.ChatID {
			t.Fatalf("another user's token: resumed=%v chat %s ended %q, want a new chat ending %s", other.Resumed, other.ChatID, other.EndedChatID, first.ChatID)
		}
		old, err := e.st.GetChat(context.Background(), first.ChatID)
		if err != nil || old.Status != store.ChatEnded || old.EndReason != protocol.EndReplaced {
			t.Errorf("the first user's chat: %+v, %v; want ended, replaced", old, err)
		}

		anon := n.mustStart(protocol.StartChatRequest{})
		kept := n.mustStart(protocol.StartChatRequest{IDToken: bob, PreviousChatID: anon.ChatID, ResumeSecret: anon.ResumeSecret})
		if !kept.Resumed || kept.ChatID != anon.ChatID || kept.Chat.Authenticated {
			t.Errorf("a token with an anonymous chat open: resumed=%v chat %s authenticated=%v; want the anonymous chat, token ignored",
				kept.Resumed, kept.ChatID, kept.Chat.Authenticated)
		}
	})
}
