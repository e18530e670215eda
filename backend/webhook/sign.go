// Package webhook sends the service's events to the webhooks admins
// register, as Standard Webhooks 1.0 describes (README.md#webhooks): each
// delivery a signed JSON POST, retried with backoff until it is
// answered 2xx or a day has passed, the events of one chat in order.
// This file signs; dispatch.go delivers what the store's outbox holds.
package webhook

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SecretPrefix starts every secret as Standard Webhooks serialises it:
// whsec_ and the base64 of the HMAC key.
const SecretPrefix = "whsec_"

// secretBytes is the size of a new key (the specification asks for 24
// to 64 random bytes).
const secretBytes = 32

// Headers of a delivery.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// NewSecret returns a new random secret, whsec_<base64 of 32 bytes>.
func NewSecret() string {
	key := make([]byte, secretBytes)
	_, _ = rand.Read(key) // crypto/rand.Read never fails (Go ≥ 1.24)
	return SecretPrefix + base64.StdEncoding.EncodeToString(key)
}

// Key decodes a secret into its HMAC key: the base64 after whsec_ (the
// prefix may be left out, as the reference libraries allow).
func Key(secret string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, SecretPrefix))
	if err != nil {
		return nil, fmt.Errorf("webhook secret: not whsec_ and base64: %w", err)
	}
	if len(key) == 0 {
		return nil, fmt.Errorf("webhook secret: empty key")
	}
	return key, nil
}

// Signature is "v1," and the base64 of HMAC-SHA256(key,
// "<id>.<unix seconds>.<body>").
func Signature(key []byte, id string, at time.Time, body []byte) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id))
	mac.Write([]byte{'.'})
	mac.Write([]byte(strconv.FormatInt(at.Unix(), 10)))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// Headers are the Standard Webhooks headers of one attempt to deliver
// body as event id at time at, signed with each secret in turn (the
// current one, then during a rotation the previous one: receivers try
// each signature until one verifies).
func Headers(id string, at time.Time, body []byte, secrets ...string) (map[string]string, error) {
	if id == "" || strings.ContainsAny(id, ". \t\r\n") {
		return nil, fmt.Errorf("webhook id %q: must be non-empty, without dots or spaces", id)
	}
	sigs := make([]string, 0, len(secrets))
	for _, s := range secrets {
		key, err := Key(s)
		if err != nil {
			return nil, err
		}
		sigs = append(sigs, Signature(key, id, at, body))
	}
	if len(sigs) == 0 {
		return nil, fmt.Errorf("webhook %s: no secret to sign with", id)
	}
	return map[string]string{
		HeaderID:        id,
		HeaderTimestamp: strconv.FormatInt(at.Unix(), 10),
		HeaderSignature: strings.Join(sigs, " "),
	}, nil
}
