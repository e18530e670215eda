package chats_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"halochat/app/protocol"
	"halochat/backend/chats"
	"halochat/backend/demo"
	"halochat/backend/store"
	"halochat/backend/storetest"
	"halochat/backend/testenv"
)

// env is one database with the demo seeded (its profile, flow, fields,
// ticket type and agent, offline) and a chat service over it.
type env struct {
	ctx   context.Context
	st    *store.Store
	demo  *demo.Result
	svc   *chats.Service
	agent *store.Agent
}

// eachDatabase runs run on SQLite and PostgreSQL (see testenv.ForEachDB),
// each with its own freshly seeded database.
func eachDatabase(t *testing.T, run func(t *testing.T, e *env)) {
	testenv.ForEachDB(t, func(t *testing.T, dsn string) {
		st, res := storetest.Demo(t, dsn)
		e := &env{ctx: context.Background(), st: st, demo: res}
		e.svc = e.node()
		a, err := st.GetAgentByEmail(e.ctx, res.Agent.Email)
		if err != nil {
			t.Fatalf("read the demo agent: %v", err)
		}
		e.agent = a
		run(t, e)
	})
}

// seededEnv is the database at dsn with the demo seeded, its store on
// the clock now, and a chat service over it.
func seededEnv(t *testing.T, dsn string, now func() time.Time) *env {
	t.Helper()
	st := storetest.OpenWith(t, dsn, store.Options{Now: now})
	res, err := demo.SeedWith(context.Background(), st, demo.Options{PasswordCost: bcrypt.MinCost})
	if err != nil {
		t.Fatalf("seed the demo: %v", err)
	}
	e := &env{ctx: context.Background(), st: st, demo: res}
	e.svc = e.node()
	if e.agent, err = st.GetAgentByEmail(e.ctx, res.Agent.Email); err != nil {
		t.Fatalf("read the demo agent: %v", err)
	}
	return e
}

// node is another chat service over the same database: a second node of
// a cluster, with locks of its own.
func (e *env) node() *chats.Service {
	return chats.New(chats.Config{Store: e.st, Logger: testenv.Logger()})
}

// embedded is a widget start on the demo profile from a page of
// localhost.
func (e *env) embedded(req protocol.StartChatRequest) chats.StartRequest {
	if req.ConfigID == "" {
		req.ConfigID, req.ConfigKey = e.demo.Profile.ID, e.demo.Profile.Key
	}
	if req.HostOrigin == "" {
		req.HostOrigin = "http://localhost:9999"
	}
	return chats.StartRequest{StartChatRequest: req, Context: store.ContextEmbedded}
}

// start starts an embedded chat, failing the test on a refusal.
func (e *env) start(t *testing.T, req protocol.StartChatRequest) *protocol.StartChatResponse {
	t.Helper()
	resp, err := e.svc.Start(e.ctx, e.embedded(req))
	if err != nil {
		t.Fatalf("start a chat: %v", err)
	}
	return resp
}

// chat reads chat id from the database.
func (e *env) chat(t *testing.T, id string) *store.Chat {
	t.Helper()
	c, err := e.st.GetChat(e.ctx, id)
	if err != nil {
		t.Fatalf("read chat %s: %v", id, err)
	}
	return c
}

// messages reads every message of chat id in its wire form.
func (e *env) messages(t *testing.T, id string) []protocol.ChatMessage {
	t.Helper()
	_, msgs, err := e.svc.Transcript(e.ctx, id, 0, chats.AgentReader(&store.Agent{Role: store.RoleAdmin}))
	if err != nil {
		t.Fatalf("read the messages of chat %s: %v", id, err)
	}
	return msgs
}

// chatCount is how many chats the database holds.
func (e *env) chatCount(t *testing.T) int {
	t.Helper()
	list, err := e.st.ListChats(e.ctx, store.ChatFilter{Page: store.Page{Limit: store.MaxLimit}})
	if err != nil {
		t.Fatalf("list chats: %v", err)
	}
	return len(list)
}

// profile creates a copy of the demo profile called name, changed by
// change.
func (e *env) profile(t *testing.T, name string, change func(p *store.ChatProfile)) *store.ChatProfile {
	t.Helper()
	p, err := e.st.GetProfile(e.ctx, e.demo.Profile.ID)
	if err != nil {
		t.Fatalf("read the demo profile: %v", err)
	}
	p.ID, p.Key, p.Name = "", "", name
	change(p)
	if err := e.st.CreateProfile(e.ctx, p); err != nil {
		t.Fatalf("create a profile: %v", err)
	}
	return p
}

// newAgent creates an agent (offline).
func (e *env) newAgent(t *testing.T, name string) *store.Agent {
	t.Helper()
	a := &store.Agent{Email: name + "@agents.test", Name: name, Role: store.RoleAgent}
	if err := e.st.CreateAgent(e.ctx, a); err != nil {
		t.Fatalf("create agent %s: %v", name, err)
	}
	return a
}

// presence sets agent a's presence.
func (e *env) presence(t *testing.T, a *store.Agent, presence string) {
	t.Helper()
	if err := e.st.SetAgentPresence(e.ctx, a.ID, presence); err != nil {
		t.Fatal(err)
	}
}

// wantRefusal fails unless err is the refusal want: its code, field and
// kind (nil: no error at all).
func wantRefusal(t *testing.T, err error, want *protocol.APIError) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Fatalf("got %v, want no error", err)
		}
		return
	}
	var got *protocol.APIError
	if !errors.As(err, &got) {
		t.Fatalf("got %v, want a refusal %s (field %q)", err, want.Code, want.Field)
	}
	if got.Code != want.Code || got.Field != want.Field || got.Kind != want.Kind {
		t.Fatalf("got refusal %s (field %q, kind %d): %s; want %s (field %q, kind %d)",
			got.Code, got.Field, got.Kind, got.Message, want.Code, want.Field, want.Kind)
	}
}

// hasText reports whether one of msgs says text.
func hasText(msgs []protocol.ChatMessage, text string) bool {
	for _, m := range msgs {
		if m.Text == text {
			return true
		}
	}
	return false
}
