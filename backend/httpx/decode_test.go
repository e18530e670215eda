package httpx

import (
	"net/http/httptest"
	"strings"
	"testing"
)

func TestDecodeBody(t *testing.T) {
	type body struct {
		Name  string `json:"name"`
		Count int    `json:"count"`
	}
	for _, tc := range []struct {
		name, ctype, body string
		status            int    // 0: accepted
		says              string // in the refusal's message
	}{
		{"ok", "application/json", `{"name":"a","count":2}`, 0, ""},
		{"no Content-Type is JSON", "", `{"name":"a"}`, 0, ""},
		{"+json", "application/merge-patch+json", `{"name":"a"}`, 0, ""},
		{"unknown field", "application/json", `{"name":"a","admin":true}`, 400, "admin: unknown field"},
		{"wrong type names the field", "application/json", `{"count":"2"}`, 400, "count: must be a JSON number"},
		{"an array", "application/json", `[1]`, 400, "(body): must be a JSON object"},
		{"empty", "application/json", ``, 400, "empty"},
		{"not JSON", "application/json", `hello`, 400, "not valid JSON"},
		{"cut short", "application/json", `{"name":`, 400, "not valid JSON"},
		{"two values", "application/json", `{} {}`, 400, "more than one"},
		{"over the limit, valid or not", "application/json", `{"name":"` + strings.Repeat("x", 100) + `"}`, 413, "larger than 64 bytes"},
		{"text/plain", "text/plain", `{}`, 415, "JSON"},
		{"form", "application/x-www-form-urlencoded", `name=a`, 415, "JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/", strings.NewReader(tc.body))
			if tc.ctype != "" {
				r.Header.Set("Content-Type", tc.ctype)
			}
			rec := httptest.NewRecorder()
			var v body
			ok := DecodeBody(rec, r, 64, &v)
			switch {
			case tc.status == 0 && !ok:
				t.Fatalf("refused: %d %s", rec.Code, rec.Body)
			case tc.status != 0 && (ok || rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.says)):
				t.Fatalf("ok %v, %d %s; want %d saying %q", ok, rec.Code, rec.Body, tc.status, tc.says)
			}
		})
	}
}
