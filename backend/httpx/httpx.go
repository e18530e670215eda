// Package httpx is the HTTP plumbing every handler of the service shares:
// JSON answers, refusals as {"error":{"code","message",…}} with the one
// table from error codes to HTTP statuses, request bodies (JSON only,
// bounded, no unknown fields), the client's address (X-Forwarded-For from
// trusted proxies only; an IPv6 client keyed by its /64), per-address rate
// limits, the count of what each address holds open with the deadlines of
// request bodies, and the same-origin check.
package httpx

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// WriteJSON answers v as JSON with status; caches keep no copy.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Cache-Control", "no-store")
	answerJSON(w, status, v)
}

// WritePublicJSON answers v as JSON with status that any cache may keep
// for maxAge.
func WritePublicJSON(w http.ResponseWriter, status int, v any, maxAge time.Duration) {
	w.Header().Set("Cache-Control", "public, max-age="+strconv.Itoa(int(maxAge.Seconds())))
	answerJSON(w, status, v)
}

func answerJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
