package httpapi

import (
	"strings"
	"testing"

	"halochat/app/protocol"
	"halochat/backend/testenv"
)

// The chat report answers JSON or CSV, every day of its range a row, and
// refuses a bad range or grouping naming the parameter.
func TestChatReportAPI(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dsn string) {
		f := newAPIFixture(t, dsn)
		r := must(t, f.call(t, f.admin, "GET", "/api/Report/chats?from=2026-12-01&to=2026-12-04", nil), 200)
		for _, want := range []string{`"groupBy":"day"`, `"key":"2026-12-01"`, `"key":"2026-12-03"`, `"firstResponseP50":null`, `"started":0`} {
			if !strings.Contains(r.raw, want) {
				t.Errorf("report lacks %s: %s", want, r.raw)
			}
		}
		if strings.Contains(r.raw, `"key":"2026-12-04"`) {
			t.Errorf("report holds the day after its range: %s", r.raw)
		}
		csv := testenv.NewClient(t, f.srv.URL).Bearer(f.adminClient).Do("GET", "/api/Report/chats?from=2026-12-01&to=2026-12-03&groupBy=day", nil, "Accept", "text/csv")
		lines := strings.Split(strings.TrimSpace(string(csv.Body)), "\n")
		if csv.Status != 200 || !strings.HasPrefix(csv.Header.Get("Content-Type"), "text/csv") || len(lines) != 3 ||
			!strings.HasPrefix(lines[0], "day,label,started,answered,missed,first_response_p50_s") || !strings.HasPrefix(lines[1], "2026-12-01,2026-12-01,0,0,0,,,") {
			t.Errorf("CSV %d %s: %q", csv.Status, csv.Header.Get("Content-Type"), lines)
		}
		must(t, f.call(t, f.admin, "GET", "/api/Report/chats?groupBy=agent", nil), 200)
		if r := must(t, f.call(t, f.admin, "GET", "/api/Report/chats?groupBy=team", nil), 200); !strings.Contains(r.raw, `"groupBy":"team"`) {
			t.Errorf("by team: %s", r.raw)
		}
		must(t, f.call(t, f.admin, "GET", "/api/Report/chats?groupBy=profile&from=2026-11-01T00:00:00Z", nil), 200)
		for q, field := range map[string]string{
			"groupBy=week": "groupBy", "from=yesterday": "from",
			"from=2026-12-02&to=2026-12-01": "to", "from=2024-01-01&to=2026-01-01": "to",
		} {
			wantError(t, f.call(t, f.admin, "GET", "/api/Report/chats?"+q, nil), 400, protocol.CodeInvalidRequest, field)
		}
		wantError(t, f.call(t, f.agent, "GET", "/api/Report/chats", nil), 403, protocol.CodeForbidden, "admin")
	})
}
