package chatapi_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"halochat/app/protocol"
	"halochat/backend/secret"
	"halochat/backend/store"
	"halochat/backend/testenv"
)

// apiClient makes an API client with perms, bound to profiles (none:
// every profile), and returns a JSON client holding its bearer token.
func (n *node) apiClient(name string, perms []string, profiles ...string) *testenv.Client {
	n.e.t.Helper()
	ctx := context.Background()
	sec := "secret-of-" + name
	c := &store.APIClient{ClientID: name, Name: name, SecretHash: secret.HashKey(sec), Permissions: perms, ProfileIDs: profiles}
	if err := n.e.st.CreateAPIClient(ctx, c); err != nil {
		n.e.t.Fatal(err)
	}
	tok, _, err := n.auth.IssueClientToken(ctx, name, sec)
	if err != nil {
		n.e.t.Fatal(err)
	}
	return n.api.Bearer(tok).For(n.e.t)
}

// ticketFor logs a ticket for chat chatID (of the demo ticket type).
func (e *env) ticketFor(chatID string) int64 {
	e.t.Helper()
	p, err := e.st.GetProfile(context.Background(), e.demo.Profile.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	t := &store.Ticket{TicketTypeID: p.TicketTypeID, ChatID: chatID, Summary: "logged by the test"}
	if err := e.st.CreateTicket(context.Background(), t, nil); err != nil {
		e.t.Fatal(err)
	}
	return t.ID
}

// matrixRoute is one route of the permission matrix: its permission, the
// request a principal k makes, and the status each kind of caller gets.
type matrixRoute struct {
	perm         string
	method, path string
	body         func(k string) any
	client       int // the status of an API client holding perm (or admin)
	agent        int // the status of the demo agent's session: what it had before API clients came
}

// TestAPIClientPermissionMatrix: every chat and ticket route, called by
// an API client without its permission (403 naming it), with it, with
// admin, and by an agent session (which keeps its own rules).
func TestAPIClientPermissionMatrix(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		n := e.node(nodeOpts{})
		shared := n.mustStart(protocol.StartChatRequest{}).ChatID
		ticket := e.ticketFor(shared)
		callers := map[string]*testenv.Client{
			"none":  n.apiClient("none", []string{store.PermReadModifyUsers}),
			"admin": n.apiClient("admin", []string{"admin"}),
			"agent": n.api.Bearer(n.agentToken(e.demo.Agent.Email, e.demo.Agent.Password)).For(t),
		}
		own := map[string]string{} // a chat of each caller's own, to end
		for _, k := range []string{"none", "perm", "admin", "agent"} {
			own[k] = n.mustStart(protocol.StartChatRequest{}).ChatID
		}
		for i, rt := range matrixRoutes(e, shared, own, ticket) {
			callers["perm"] = n.apiClient(fmt.Sprintf("perm-%d", i), []string{rt.perm})
			for _, k := range []string{"none", "perm", "admin", "agent"} {
				t.Run(fmt.Sprintf("%s %s/%s", rt.method, rt.path, k), func(t *testing.T) {
					path := strings.ReplaceAll(rt.path, "{own}", own[k])
					var body any
					if rt.body != nil {
						body = rt.body(k)
					}
					r := callers[k].For(t).Do(rt.method, path, body)
					want := map[string]int{"none": http.StatusForbidden, "perm": rt.client, "admin": rt.client, "agent": rt.agent}[k]
					if r.Status != want {
						t.Fatalf("%d %s, want %d", r.Status, r.Body, want)
					}
					if _, msg := r.APIError(); k == "none" && msg != `this API client lacks the "`+rt.perm+`" permission` {
						t.Errorf("refusal %q does not name %s", msg, rt.perm)
					}
				})
			}
		}
	})
}

func matrixRoutes(e *env, shared string, own map[string]string, ticket int64) []matrixRoute {
	msg := func(k string) any {
		return protocol.AgentMessage{ChatID: shared, ClientMsgID: "matrix-" + k, Text: "from " + k}
	}
	outreach := func(k string) any {
		return protocol.OutreachRequest{ChatProfileID: e.demo.Profile.ID, UserExternalID: "matrix-" + k, Text: "Hello from " + k}
	}
	closed := func(string) any { s := store.TicketClosed; return protocol.TicketUpdate{Status: &s} }
	tk := fmt.Sprint(ticket)
	return []matrixRoute{
		{store.PermChatsRead, "GET", "/api/Chat", nil, 200, 200},
		{store.PermChatsRead, "GET", "/api/Chat?chatprofile_id=" + e.demo.Profile.ID + "&page_no=1&page_size=5", nil, 200, 200},
		{store.PermChatsRead, "GET", "/api/Chat/" + shared, nil, 200, 200},
		{store.PermChatsRead, "GET", "/api/Chat/" + shared + "/details", nil, 200, 200},
		{store.PermChatsRead, "GET", "/api/ChatMessage?chat_id=" + shared + "&last_id=0&max_id=2", nil, 200, 200},
		// An agent writes only into its own live chat: this one is the bot's.
		{store.PermChatsWrite, "POST", "/api/ChatMessage", msg, 201, 403},
		{store.PermChatsWrite, "POST", "/api/Chat/{own}/end", nil, 204, 403},
		{store.PermChatsWrite, "POST", "/api/Chat", outreach, 201, 201},
		{store.PermTicketsRead, "GET", "/api/Tickets", nil, 200, 200},
		{store.PermTicketsRead, "GET", "/api/Tickets/" + tk, nil, 200, 200},
		{store.PermTicketsWrite, "PUT", "/api/Tickets/" + tk, closed, 200, 200},
	}
}
