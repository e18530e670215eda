package httpx

import (
	"net"
	"net/http"
)

// ClientIP is the address a per-client limit keys on: the request's
// remote host (the whole RemoteAddr when it has no port).
func ClientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
