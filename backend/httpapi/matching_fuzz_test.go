package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"halochat/app/protocol"
	"halochat/backend/httpx"
	"halochat/backend/identity"
)

// FuzzParseMatchingBody feeds POST /api/ChatMatchingData's body parser
// anything: it never panics, refuses with a 4xx naming the problem, and
// what it accepts is 1 to MaxMatchingItems compact JSON objects within
// the size limit, without NUL.
func FuzzParseMatchingBody(f *testing.F) {
	for _, seed := range []string{
		`[{"json_content":{"firstname":"John","email":"john@example.com"},"single_use":false}]`,
		`[{"json_content":{"CFcustomerTier":"gold","n":1.5,"b":true,"x":null,"a":[1,{"b":2}]}}]`,
		`[{"json_content":{}},{"json_content":{"a":"b"},"single_use":true}]`,
		`[]`, `{}`, `null`, ``, `[null]`, `[{"json_content":"x"}]`, `[{"json_content":{},"single_use":"yes"}]`,
		`[{"json_content":{},"extra":1}]`, `[{"json_content":{"a":"\u0000"}}]`, "[{\"json_content\":{\"a\":\"\xff\"}}]",
		`[{"json_content":{"a":1e999}}]`, `[{"json_content":{"a":"a","a":"b"}}]`, `  [ { "json_content" : { } } ]  `,
		`[{"json_content":` + strings.Repeat("[", 5000) + `}]`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		items, err := parseMatchingBody(body)
		if err != nil {
			var ae *protocol.APIError
			if !errors.As(err, &ae) || httpx.Status(ae) < 400 || httpx.Status(ae) >= 500 || ae.Message == "" || ae.Code == "" {
				t.Fatalf("refusal of %q is not a 4xx with a message: %#v", body, err)
			}
			return
		}
		if len(items) == 0 || len(items) > identity.MaxMatchingItems {
			t.Fatalf("accepted %d items", len(items))
		}
		for i, it := range items {
			var obj map[string]json.RawMessage
			if json.Unmarshal(it.Content, &obj) != nil || obj == nil {
				t.Fatalf("item %d content %q is not a JSON object", i, it.Content)
			}
			var compact bytes.Buffer
			if json.Compact(&compact, it.Content) != nil || !bytes.Equal(compact.Bytes(), it.Content) {
				t.Fatalf("item %d content %q is not compact", i, it.Content)
			}
			if len(it.Content) > identity.MaxMatchingContentBytes || bytes.Contains(it.Content, []byte(`\u0000`)) {
				t.Fatalf("item %d content %q is over the limit or holds NUL", i, it.Content)
			}
		}
	})
}
