package chatapi

import (
	"fmt"
	"math"
	"net/url"
	"strconv"

	"halochat/app/protocol"
	"halochat/backend/store"
)

// query reads a request's query parameters, some under two names (ours
// and Halo's: profile_id and chatprofile_id, say). The first problem is
// kept in err: a value that is not a whole number, or two names of one
// parameter given different values.
type query struct {
	v   url.Values
	err error
}

func (q *query) fail(name, format string, args ...any) {
	if q.err == nil {
		q.err = &protocol.APIError{Code: protocol.CodeInvalidRequest, Field: name,
			Message: name + ": " + fmt.Sprintf(format, args...)}
	}
}

// str is the value of the first of names given ("" for none).
func (q *query) str(names ...string) string {
	v, _ := q.lookup(names)
	return v
}

// lookup is the value of the first of names given, and that name.
func (q *query) lookup(names []string) (got, from string) {
	for _, n := range names {
		if !q.v.Has(n) {
			continue
		}
		if v := q.v.Get(n); from == "" {
			got, from = v, n
		} else if v != got {
			q.fail(n, "names the same parameter as %s, with another value", from)
		}
	}
	return got, from
}

// int is str as a whole number ≥ 0 (0 when absent).
func (q *query) int(names ...string) int64 {
	s, from := q.lookup(names)
	if s == "" {
		return 0
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		q.fail(from, "%q is not a whole number of 0 or more", s)
		return 0
	}
	return n
}

// page reads a list's page: ?offset=&limit= or Halo's ?page_no=
// (from 1) &page_size=.
func (q *query) page() store.Page {
	p := store.Page{Offset: q.int("offset"), Limit: q.int("limit", "page_size")}
	if !q.v.Has("page_no") {
		return p
	}
	no := q.int("page_no")
	switch {
	case no < 1:
		q.fail("page_no", "pages are numbered from 1")
	case q.v.Has("offset"):
		q.fail("page_no", "give page_no or offset, not both")
	default:
		size := p.Limit
		if size <= 0 {
			size = store.DefaultLimit
		}
		size = min(size, store.MaxLimit)
		if no-1 > math.MaxInt64/size {
			q.fail("page_no", "%d is past the last page there can be", no)
			return p
		}
		p.Offset = (no - 1) * size
	}
	return p
}
