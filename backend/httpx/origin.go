package httpx

import (
	"net/http"

	"halochat/app/protocol"
)

// OwnOrigin is the service's origin: public (its configured public URL)
// when set, else the origin the request was made to.
func OwnOrigin(r *http.Request, public string) string {
	if o := protocol.NormalizeOrigin(public); o != "" {
		return o
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return protocol.NormalizeOrigin(scheme + "://" + r.Host)
}

// SameOrigin reports whether r carries no Origin or the service's own
// (see OwnOrigin).
func SameOrigin(r *http.Request, public string) bool {
	o := r.Header.Get("Origin")
	return o == "" || protocol.NormalizeOrigin(o) == OwnOrigin(r, public)
}
