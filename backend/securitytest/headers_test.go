package securitytest

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"halochat/backend/httpapi"
	"halochat/backend/service"
	"halochat/backend/testenv/loopback"
)

// Every answer carries nosniff, a Referrer-Policy and, in production,
// Strict-Transport-Security; every JSON, HTML or plain-text answer a CSP;
// nothing but the widget page may be framed.
func TestSecurityHeadersOnEveryRoute(t *testing.T) {
	forEachServer(t, loopback.Options{Limits: service.Unlimited(), HSTS: true}, func(t *testing.T, s *server) {
		admin := s.login(s.demo.Admin)
		var doc struct {
			Paths map[string]map[string]json.RawMessage `json:"paths"`
		}
		r := s.do("GET", "/api/openapi.json", nil)
		if err := json.Unmarshal(r.body, &doc); err != nil || len(doc.Paths) == 0 {
			t.Fatalf("openapi: %d %v", r.status, err)
		}
		type route struct{ method, path string }
		routes := []route{
			{"GET", "/healthz"}, {"GET", "/readyz"}, {"GET", "/chat/index.js"}, {"GET", "/api/openapi.json"},
			{"GET", "/chat/widget/"}, {"GET", "/chat/widget"}, {"GET", "/chat/widget/web/app.js"},
			{"GET", "/chat/widget/web/nosuch.css"}, {"GET", "/chat/api/v1/availability?configId=" + s.demo.Profile.ID},
			{"POST", "/chat/api/v1/start"}, {"GET", "/chat/api/v1/chats/x/messages"}, {"POST", "/chat/api/v1/chats/x/messages"},
			{"POST", "/chat/api/v1/chats/x/typing"}, {"POST", "/chat/api/v1/chats/x/end"}, {"POST", "/chat/api/v1/chats/x/upgrade"},
			{"GET", "/chat/ws"}, {"GET", "/agent/ws"}, {"GET", "/nosuch"}, {"DELETE", "/healthz"},
			{"GET", "/api/Chat"}, {"GET", "/api/Chat/x"}, {"GET", "/api/ChatMessage?chat_id=x"}, {"GET", "/api/Tickets"},
		}
		for p, ops := range doc.Paths {
			for m := range ops {
				routes = append(routes, route{strings.ToUpper(m), strings.NewReplacer("{id}", "x").Replace(p)})
			}
		}
		slices.SortFunc(routes, func(a, b route) int { return strings.Compare(a.method+a.path, b.method+b.path) })
		routes = slices.Compact(routes)
		for _, rt := range routes {
			for _, auth := range []string{"", admin} {
				var h []string
				if auth != "" {
					h = []string{"Authorization", "Bearer " + auth}
				}
				if rt.method == "DELETE" || rt.method == "PUT" {
					// Only refusals: nothing in the demo may go.
					h = nil
				}
				r := s.do(rt.method, rt.path, nil, h...)
				what := rt.method + " " + rt.path
				if r.header.Get("X-Content-Type-Options") != "nosniff" {
					t.Errorf("%s (%d): no X-Content-Type-Options: nosniff", what, r.status)
				}
				if r.header.Get("Referrer-Policy") == "" {
					t.Errorf("%s (%d): no Referrer-Policy", what, r.status)
				}
				if got := r.header.Get("Strict-Transport-Security"); got != httpapi.HSTS {
					t.Errorf("%s (%d): Strict-Transport-Security %q, want %q", what, r.status, got, httpapi.HSTS)
				}
				ct, _, _ := strings.Cut(r.header.Get("Content-Type"), ";")
				csp := r.header.Get("Content-Security-Policy")
				widgetPage := strings.HasPrefix(rt.path, "/chat/widget") && ct == "text/html" && r.status != http.StatusMovedPermanently
				switch {
				case widgetPage:
					if !strings.Contains(csp, "frame-ancestors") || !strings.Contains(csp, "default-src 'none'") {
						t.Errorf("%s: widget page CSP %q", what, csp)
					}
				case ct == "application/json" || ct == "text/html" || ct == "text/plain":
					if !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "default-src 'none'") {
						t.Errorf("%s (%d, %s): CSP %q, want %q", what, r.status, ct, csp, httpapi.APIPolicy)
					}
				}
			}
		}
		t.Logf("%d routes swept", len(routes))
	})
}

// Strict-Transport-Security is for a service reached over https only
// (serve --production): a development service on http sends none, so that
// a browser keeps reaching localhost over http.
func TestNoStrictTransportSecurityOutsideProduction(t *testing.T) {
	svc := loopback.Start(t, loopback.Options{})
	for _, path := range []string{"/healthz", "/chat/index.js", "/auth/me"} {
		if r := svc.Client().Do("GET", path, nil); r.Header.Get("Strict-Transport-Security") != "" {
			t.Errorf("GET %s: Strict-Transport-Security %q outside production", path, r.Header.Get("Strict-Transport-Security"))
		}
	}
}

// TestEveryDocumentedRouteIsServed: every operation of /api/openapi.json
// reaches a handler of the assembled service — never the mux's own "404
// page not found" or a 405 — so the document lists no phantom, including
// the chat runtime's routes (httpapi.ChatEndpoints), which mount apart.
func TestEveryDocumentedRouteIsServed(t *testing.T) {
	forEachDB(t, service.Unlimited(), func(t *testing.T, s *server) {
		var doc struct {
			Paths map[string]map[string]json.RawMessage `json:"paths"`
		}
		r := s.do("GET", "/api/openapi.json", nil)
		if err := json.Unmarshal(r.body, &doc); err != nil {
			t.Fatalf("openapi: %d %v", r.status, err)
		}
		n := 0
		for p, ops := range doc.Paths {
			for m := range ops {
				method, path := strings.ToUpper(m), strings.NewReplacer("{id}", "x", "{v}", "1").Replace(p)
				if method == "DELETE" || method == "PUT" {
					continue // the catalogue and the API tests cover them; nothing here may change the demo
				}
				r := s.do(method, path, nil)
				if r.status == http.StatusMethodNotAllowed || (r.status == http.StatusNotFound && strings.HasPrefix(string(r.body), "404 page not found")) {
					t.Errorf("%s %s is documented but not served (%d %q)", method, p, r.status, r.body)
				}
				n++
			}
		}
		for _, e := range append(httpapi.ChatEndpoints(), httpapi.PortalEndpoints()...) {
			if _, ok := doc.Paths[e.Path][strings.ToLower(e.Method)]; !ok {
				t.Errorf("chat endpoint %s %s is not in the document", e.Method, e.Path)
			}
		}
		t.Logf("%d documented operations served", n)
	})
}
