// Package filelink signs and checks the download links a transcript mail
// gives each attachment: the mail's reader holds no resume secret and no
// login, so the link itself proves the right to the file, for a bounded
// time. A link is the attachment's path with its expiry and an HMAC-SHA256
// over chat, attachment and expiry under the service's link key
// (store.LinkKey).
package filelink

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/url"
	"strconv"
	"time"
)

// Validity is how long a link works after the mail is queued: a week
// lets a reader come back to the mail, and bounds what a forwarded mail
// gives away.
const Validity = 7 * 24 * time.Hour

// Pattern is the links' route (net/http ServeMux pattern).
const Pattern = "GET /chat/api/v1/files/{chat}/{file}"

// Errors of Check.
var (
	// ErrBadLink: the link was not made by this service for this file
	// (a wrong, cut or changed signature or expiry).
	ErrBadLink = errors.New("this download link is not valid")
	// ErrExpired: a link this service made, past its expiry.
	ErrExpired = errors.New("this download link has expired")
)

// Path is the link to attachment fileID of chat chatID, working until
// expires, signed with key: a path and query, for under the service's
// public URL.
func Path(key []byte, chatID, fileID string, expires time.Time) string {
	exp := strconv.FormatInt(expires.Unix(), 10)
	q := url.Values{"expires": {exp}, "sig": {sign(key, chatID, fileID, exp)}}
	return "/chat/api/v1/files/" + url.PathEscape(chatID) + "/" + url.PathEscape(fileID) + "?" + q.Encode()
}

// Check says whether expires and sig (the link's query) are a link this
// service made with key for the file, and one still working at now:
// ErrBadLink, else ErrExpired, else nil. The signature is checked first,
// so that a forged link learns nothing, not even whether it expired.
func Check(key []byte, chatID, fileID, expires, sig string, now time.Time) error {
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, mac(key, chatID, fileID, expires)) {
		return ErrBadLink
	}
	exp, err := strconv.ParseInt(expires, 10, 64)
	if err != nil {
		return ErrBadLink // signed, so never: but never trust a parse
	}
	if !now.Before(time.Unix(exp, 0)) {
		return ErrExpired
	}
	return nil
}

func sign(key []byte, chatID, fileID, expires string) string {
	return base64.RawURLEncoding.EncodeToString(mac(key, chatID, fileID, expires))
}

// mac is the HMAC of a link's parts, each ended by a NUL byte (which no
// id and no number holds) so that no two sets of parts run together.
func mac(key []byte, chatID, fileID, expires string) []byte {
	h := hmac.New(sha256.New, key)
	for _, part := range []string{"halochat file link v1", chatID, fileID, expires} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return h.Sum(nil)
}
