package chatapi

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"halochat/app/protocol"
	"halochat/backend/store"
)

// FuzzQuery: any query string reads as a page and filters without a
// panic; a refusal is an invalid_request naming a parameter the query
// holds, and an accepted page is never negative.
func FuzzQuery(f *testing.F) {
	for _, s := range []string{"", "page_no=2&page_size=10", "offset=5&limit=1", "page_no=0", "last_id=3&after=4",
		"chatprofile_id=a&profile_id=b", "max_id=-1", "page_no=9223372036854775807&page_size=1000", "limit=x%00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		q := &query{v: v}
		p := q.page()
		_ = q.str("profile_id", "chatprofile_id")
		_ = q.int("after", "last_id") + q.int("max_id") + q.int("ticket_id")
		var e *protocol.APIError
		switch {
		case q.err == nil && (p.Offset < 0 || p.Limit < 0):
			t.Fatalf("%q: page %+v", raw, p)
		case q.err != nil && (!errors.As(q.err, &e) || e.Code != protocol.CodeInvalidRequest || !v.Has(e.Field) ||
			!strings.HasPrefix(e.Message, e.Field+": ")):
			t.Fatalf("%q: refusal %v", raw, q.err)
		case q.err == nil && p.Offset > 0 && v.Has("page_no") && p.Offset%min(max(p.Limit, 1), store.MaxLimit) != 0 && p.Limit > 0:
			t.Fatalf("%q: page %+v is not a whole page", raw, p)
		}
	})
}
