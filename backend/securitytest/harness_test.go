package securitytest

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"halochat/app/protocol"
	"halochat/backend/demo"
	"halochat/backend/service"
	"halochat/backend/store"
	"halochat/backend/storetest"
	"halochat/backend/testenv"
	"halochat/backend/testenv/loopback"
)

// server is the assembled service on a loopback port, over a seeded demo.
type server struct {
	t    *testing.T
	url  string
	st   *store.Store
	demo *demo.Result
	logs *testenv.Logs
	raw  *testenv.Client // sends only what a call says
	page *testenv.Client // sends as the widget does: JSON from the service's origin

	// Extra profiles running the demo flow.
	restricted *store.ChatProfile // allowed origins: https://shop.example
	agentsOnly *store.ChatProfile
	portal     *store.ChatProfile
}

// forEachDB runs fn on a fresh server per database.
func forEachDB(t *testing.T, limits service.Limits, fn func(t *testing.T, s *server)) {
	forEachServer(t, loopback.Options{Limits: limits}, fn)
}

// forEachServer runs fn on a fresh server per database, started with o
// (its DSN and Logger aside).
func forEachServer(t *testing.T, o loopback.Options, fn func(t *testing.T, s *server)) {
	t.Parallel() // each server has its own database and limits
	testenv.ForEachDB(t, func(t *testing.T, dsn string) { fn(t, start(t, dsn, o)) })
}

func start(t *testing.T, dsn string, o loopback.Options) *server {
	t.Helper()
	logs := &testenv.Logs{}
	o.DSN, o.Logger = dsn, logs.Logger()
	svc := loopback.Start(t, o)
	s := &server{t: t, url: svc.URL, st: svc.Store, demo: svc.Demo, logs: logs, raw: svc.Client(), page: svc.SameOrigin()}
	mk := func(name string, edit func(*store.ChatProfile)) *store.ChatProfile {
		return storetest.DemoProfile(t, s.st, s.demo, name, edit)
	}
	s.restricted = mk("restricted", func(p *store.ChatProfile) { p.AllowedOrigins = store.StringList{"https://shop.example"} })
	s.agentsOnly = mk("agents only", func(p *store.ChatProfile) { p.Access = store.AccessAgentsOnly })
	s.portal = mk("portal", func(p *store.ChatProfile) { p.Access = store.AccessPortal })
	return s
}

// response is an answer, read whole.
type response struct {
	status int
	header http.Header
	body   []byte
}

// apiError decodes {"error":{"code","message"}} (or OAuth's
// {"error","error_description"}); ok false when the body is neither.
func (r response) apiError() (code, msg string, ok bool) {
	var eb protocol.ErrorBody
	if json.Unmarshal(r.body, &eb) == nil && eb.Error.Code != "" && eb.Error.Message != "" {
		return eb.Error.Code, eb.Error.Message, true
	}
	var oauth struct {
		Error string `json:"error"`
		Desc  string `json:"error_description"`
	}
	if json.Unmarshal(r.body, &oauth) == nil && oauth.Error != "" && oauth.Desc != "" {
		return oauth.Error, oauth.Desc, true
	}
	return "", "", false
}

// do sends a request; header holds name, value pairs.
func (s *server) do(method, path string, body []byte, header ...string) response {
	s.t.Helper()
	return answer(s.raw.Do(method, path, bytesOrNil(body), header...))
}

// widget is a call as the widget makes it: JSON from the service's
// origin, unless header sets another.
func (s *server) widget(method, path string, body []byte, header ...string) response {
	s.t.Helper()
	return answer(s.page.Do(method, path, bytesOrNil(body), header...))
}

func answer(r *testenv.Response) response {
	return response{status: r.Status, header: r.Header, body: r.Body}
}

// bytesOrNil keeps a nil body nil (no body at all).
func bytesOrNil(b []byte) any {
	if b == nil {
		return nil
	}
	return b
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// startChat starts a demo chat and returns its id and resume secret.
func (s *server) startChat() (string, string) {
	s.t.Helper()
	r := s.widget("POST", "/chat/api/v1/start", mustJSON(protocol.StartChatRequest{
		ConfigID: s.demo.Profile.ID, ConfigKey: s.demo.Profile.Key, HostOrigin: "https://host.example"}))
	if r.status != http.StatusCreated {
		s.t.Fatalf("start a chat: %d %s", r.status, r.body)
	}
	var resp protocol.StartChatResponse
	if err := json.Unmarshal(r.body, &resp); err != nil {
		s.t.Fatal(err)
	}
	return resp.ChatID, resp.ResumeSecret
}

// login returns a session token of the agent or admin.
func (s *server) login(l demo.Login) string {
	s.t.Helper()
	r := s.do("POST", "/auth/login", mustJSON(map[string]string{"email": l.Email, "password": l.Password}), "Content-Type", "application/json")
	var out struct {
		Token string `json:"token"`
	}
	if r.status != 200 || json.Unmarshal(r.body, &out) != nil || out.Token == "" {
		s.t.Fatalf("log in %s: %d %s", l.Email, r.status, r.body)
	}
	return out.Token
}

// clientToken returns an access token of the demo API client.
func (s *server) clientToken() string {
	s.t.Helper()
	form := "grant_type=client_credentials&client_id=" + s.demo.APIClient.ClientID + "&client_secret=" + s.demo.APIClient.ClientSecret
	r := s.do("POST", "/auth/token", []byte(form), "Content-Type", "application/x-www-form-urlencoded")
	var out struct {
		Token string `json:"access_token"`
	}
	if r.status != 200 || json.Unmarshal(r.body, &out) != nil || out.Token == "" {
		s.t.Fatalf("client token: %d %s", r.status, r.body)
	}
	return out.Token
}

// volatile columns change without anything being stored on purpose: an
// agent's socket sets their presence (and so updated_at), and its node's
// word that it holds a console of theirs (the whole agent_consoles
// table: volatileTables).
var volatile = []string{"agents.presence", "agents.last_seen_at", "agents.updated_at"}

var volatileTables = []string{"agent_consoles"}

// snapshot is every row of every table, as text, sorted per table.
func (s *server) snapshot() map[string][]string {
	s.t.Helper()
	ctx := context.Background()
	db := s.st.DB()
	q := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`
	if s.st.Dialect() == store.DialectPostgres {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`
	}
	var tables []string
	if err := db.NewRaw(q).Scan(ctx, &tables); err != nil {
		s.t.Fatalf("list tables: %v", err)
	}
	out := map[string][]string{}
	for _, tb := range tables {
		if slices.Contains(volatileTables, tb) {
			continue
		}
		rows, err := db.QueryContext(ctx, "SELECT * FROM "+tb)
		if err != nil {
			s.t.Fatalf("read %s: %v", tb, err)
		}
		lines, err := dumpRows(tb, rows)
		if err != nil {
			s.t.Fatalf("read %s: %v", tb, err)
		}
		out[tb] = lines
	}
	return out
}

func dumpRows(table string, rows *sql.Rows) ([]string, error) {
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var lines []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		var b strings.Builder
		for i, c := range cols {
			if slices.Contains(volatile, table+"."+c) {
				continue
			}
			v := vals[i]
			if bs, ok := v.([]byte); ok {
				v = string(bs)
			}
			if tm, ok := v.(time.Time); ok {
				v = tm.UTC().Format(time.RFC3339Nano)
			}
			fmt.Fprintf(&b, "%s=%v|", c, v)
		}
		lines = append(lines, b.String())
	}
	slices.Sort(lines)
	return lines, errors.Join(rows.Err())
}

// diff describes how two snapshots differ ("" when they do not).
func diff(before, after map[string][]string) string {
	var out []string
	for tb, rows := range after {
		if !slices.Equal(before[tb], rows) {
			out = append(out, fmt.Sprintf("%s: %d rows before, %d after", tb, len(before[tb]), len(rows)))
		}
	}
	for tb := range before {
		if _, ok := after[tb]; !ok {
			out = append(out, tb+": gone")
		}
	}
	slices.Sort(out)
	return strings.Join(out, "; ")
}

func b64(s string) string { return base64.URLEncoding.EncodeToString([]byte(s)) }
