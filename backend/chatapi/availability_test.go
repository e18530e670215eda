package chatapi_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"halochat/app/protocol"
	"halochat/backend/demo"
)

// TestLoaderAvailability: the loader reports initialized without the
// widget, from /chat/api/v1/availability.js; a page's haloChatConfig
// and an initialize event's detail are refused as the widget refuses
// them (the JSON endpoint with the status, the script with the error on
// the element), from any origin.
func TestLoaderAvailability(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		n := e.node(nodeOpts{})
		p := e.demo.Profile
		f := demo.Flow()
		f.Name = "another"
		other := e.profileWithFlow(f, nil)
		config := `{"chatServiceUrl":"` + n.url + `/api","configId":"` + p.ID + `","configKey":"` + p.Key + `"}`
		for _, tc := range []struct {
			name         string
			query        url.Values
			status       int
			code, field  string // a refusal's
			wantConfigID string // an answer's
		}{
			{"the profile", url.Values{"configId": {p.ID}, "config": {config}}, 200, "", "", p.ID},
			{"an initialize names another profile", url.Values{"configId": {p.ID}, "config": {config},
				"initialize": {`{"configId":"` + other.ID + `","configKey":"` + other.Key + `","colour":"#00aa00"}`}}, 200, "", "", other.ID},
			{"an initialize of overrides only", url.Values{"configId": {p.ID}, "initialize": {`{"title":"Hi","theme":"dark"}`}}, 200, "", "", p.ID},
			{"a config's bad theme", url.Values{"configId": {p.ID}, "config": {strings.Replace(config, `}`, `,"theme":"pink"}`, 1)}},
				400, protocol.CodeInvalidConfig, "config.theme", ""},
			{"a config that is no object", url.Values{"configId": {p.ID}, "config": {`[1]`}}, 400, protocol.CodeInvalidConfig, "config", ""},
			{"an initialize's bad colour", url.Values{"configId": {p.ID}, "initialize": {`{"colour":"rgb(1,2,3)"}`}},
				400, protocol.CodeInvalidEvent, "initialize", ""},
			{"an initialize's id without key", url.Values{"configId": {p.ID}, "initialize": {`{"configId":"` + other.ID + `"}`}},
				400, protocol.CodeInvalidEvent, "initialize", ""},
			{"an unknown profile", url.Values{"configId": {"nosuchprofile"}}, 404, protocol.CodeProfileNotFound, "configId", ""},
			{"no profile", url.Values{}, 400, protocol.CodeInvalidRequest, "configId", ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				status, header, body := get(t, n.url+"/chat/api/v1/availability?"+tc.query.Encode())
				if header.Get("Access-Control-Allow-Origin") != "*" {
					t.Errorf("JSON: Access-Control-Allow-Origin %q, want *", header.Get("Access-Control-Allow-Origin"))
				}
				if status != tc.status {
					t.Fatalf("JSON: %d %s, want %d", status, body, tc.status)
				}
				checkAnswer(t, "JSON", body, tc.code, tc.field, tc.wantConfigID)

				status, header, body = get(t, n.url+"/chat/api/v1/availability.js?"+tc.query.Encode())
				const prefix, suffix = "document.currentScript.halochat=", ";\n"
				if status != 200 || header.Get("Content-Type") != "text/javascript; charset=utf-8" ||
					!strings.HasPrefix(body, prefix) || !strings.HasSuffix(body, suffix) {
					t.Fatalf("script: %d %s %q", status, header.Get("Content-Type"), body)
				}
				if cc := header.Get("Cache-Control"); (tc.code == "") != (cc == "public, max-age=30") {
					t.Errorf("script: Cache-Control %q (an answer is cached 30 s, a refusal not at all)", cc)
				}
				checkAnswer(t, "script", strings.TrimSuffix(strings.TrimPrefix(body, prefix), suffix), tc.code, tc.field, tc.wantConfigID)
			})
		}
	})
}

func get(t *testing.T, u string) (int, http.Header, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

// checkAnswer checks a body: the refusal code/field, or the availability
// of configID.
func checkAnswer(t *testing.T, what, body, code, field, configID string) {
	t.Helper()
	var got struct {
		protocol.Availability
		Error *protocol.APIError `json:"error"`
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatalf("%s: %v in %s", what, err, body)
	}
	switch {
	case code != "" && (got.Error == nil || got.Error.Code != code || got.Error.Field != field || got.Error.Message == ""):
		t.Errorf("%s: %s, want refusal %s naming %q", what, body, code, field)
	case code == "" && (got.Error != nil || got.ConfigID != configID || !got.ChatAvailable):
		t.Errorf("%s: %s, want profile %s available", what, body, configID)
	}
}
