package httpx

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"net/netip"
	"sync/atomic"
)

// HeaderRequestID carries a request's id: taken from the request when
// sane (a proxy's or a client's own), otherwise made here, and answered
// either way.
const HeaderRequestID = "X-Request-Id"

// RequestInfo is what a request's log lines share: its id, and the chat
// it is about once a handler knows it (SetChatID).
type RequestInfo struct {
	ID   string
	chat atomic.Pointer[string]
}

// ChatID is the chat a handler named, "" if none.
func (i *RequestInfo) ChatID() string {
	if p := i.chat.Load(); p != nil {
		return *p
	}
	return ""
}

type requestInfoKey struct{}

// WithRequestInfo returns ctx carrying info.
func WithRequestInfo(ctx context.Context, info *RequestInfo) context.Context {
	return context.WithValue(ctx, requestInfoKey{}, info)
}

// RequestInfoFrom is the request's info, nil outside a request.
func RequestInfoFrom(ctx context.Context) *RequestInfo {
	info, _ := ctx.Value(requestInfoKey{}).(*RequestInfo)
	return info
}

// SetChatID names the chat the request in ctx is about, for its log
// lines (a chat start once the chat exists, a socket after its hello).
func SetChatID(ctx context.Context, chatID string) {
	if info := RequestInfoFrom(ctx); info != nil && chatID != "" {
		info.chat.Store(&chatID)
	}
}

// RequestID is the id of the request r carries when it is sane — 1 to 64
// bytes of letters, digits and . _ : - (nothing a log reader could
// mistake for another field) — or a new random one.
func RequestID(r *http.Request) string {
	if id := r.Header.Get(HeaderRequestID); saneRequestID(id) {
		return id
	}
	var b [12]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	return hex.EncodeToString(b[:])
}

func saneRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		switch c := id[i]; {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '_', c == ':', c == '-':
		default:
			return false
		}
	}
	return true
}

// ContextLogs wraps h so that every record logged with a request's
// context (slog's …Context calls, LogAttrs) carries the request's id and,
// once known, its chat id.
func ContextLogs(h slog.Handler) slog.Handler {
	if c, ok := h.(contextHandler); ok {
		return c
	}
	return contextHandler{h}
}

// ContextLogger is l logging through ContextLogs.
func ContextLogger(l *slog.Logger) *slog.Logger {
	if _, ok := l.Handler().(contextHandler); ok {
		return l
	}
	return slog.New(contextHandler{l.Handler()})
}

type contextHandler struct{ slog.Handler }

func (h contextHandler) Handle(ctx context.Context, r slog.Record) error {
	if info := RequestInfoFrom(ctx); info != nil {
		r = r.Clone()
		r.AddAttrs(slog.String("request_id", info.ID))
		if chat := info.ChatID(); chat != "" && !hasAttr(r, "chat") {
			r.AddAttrs(slog.String("chat", chat))
		}
	}
	return h.Handler.Handle(ctx, r)
}

func hasAttr(r slog.Record, key string) bool {
	found := false
	r.Attrs(func(a slog.Attr) bool {
		found = a.Key == key
		return !found
	})
	return found
}

func (h contextHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return contextHandler{h.Handler.WithAttrs(as)}
}

func (h contextHandler) WithGroup(name string) slog.Handler {
	return contextHandler{h.Handler.WithGroup(name)}
}

// DirectLoopback reports whether r comes straight from this machine: its
// peer is a loopback address and it names no client behind a proxy
// (X-Forwarded-For, Forwarded, or an address TrustProxies found). A
// reverse proxy on the same machine forwards other clients' requests
// from loopback, with one of those headers.
func DirectLoopback(r *http.Request) bool {
	if r.Header.Get("X-Forwarded-For") != "" || r.Header.Get("Forwarded") != "" || r.Header.Get("X-Real-Ip") != "" {
		return false
	}
	if _, ok := r.Context().Value(clientKey{}).(string); ok {
		return false
	}
	a, err := netip.ParseAddr(peer(r))
	return err == nil && a.Unmap().IsLoopback()
}
