// Package seal encrypts the secrets the service must read back in clear
// (profiles' HS256 identity secrets, runbook and webhook signing
// secrets) before they are stored: AES-256-GCM (crypto/cipher) under a
// key given to the service (HALOCHAT_SECRET_KEY or --secret-key-file),
// each value carrying the id of the key that sealed it, so that older
// keys may still open values while `halochat rotate-key` seals them
// again under the new one. Secrets the service only compares (API client
// secrets, passwords, sessions) stay hashed (package secret).
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// KeySize is a key's length in bytes (AES-256).
const KeySize = 32

// prefix starts every sealed value: "enc:v1:<key id>:<base64url of
// nonce and ciphertext>". A clear value never starts so (the service
// makes its secrets from base64url and hex alphabets, and an admin's
// HS256 secret starting so is refused by the store).
const prefix = "enc:v1:"

// ErrUnknownKey is returned by Open for a value sealed under a key the
// ring does not hold.
var ErrUnknownKey = errors.New("sealed under a key that is not given")

// ErrNoKey is returned when a sealed value is read and no key is given.
var ErrNoKey = errors.New("the database holds encrypted secrets and no key is given (HALOCHAT_SECRET_KEY or --secret-key-file)")

// IsSealed reports whether v is a sealed value.
func IsSealed(v string) bool { return strings.HasPrefix(v, prefix) }

// KeyID returns the id of the key a sealed value names ("" for a clear one).
func KeyID(v string) string {
	if !IsSealed(v) {
		return ""
	}
	id, _, _ := strings.Cut(strings.TrimPrefix(v, prefix), ":")
	return id
}

// key is one AES-256-GCM key and its id.
type key struct {
	id   string
	aead cipher.AEAD
	raw  []byte // for Derive
}

// Ring holds the current key, which seals, and older keys, which only
// open. It is safe for concurrent use.
type Ring struct {
	current key
	byID    map[string]key
}

// NewKey returns a new random key, in the text form ParseKey reads.
func NewKey() string {
	b := make([]byte, KeySize)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.StdEncoding.EncodeToString(b)
}

// ParseKey reads a key: 32 bytes in standard or URL base64 (padded or
// not) or in hex, surrounding white space ignored.
func ParseKey(text string) ([]byte, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return nil, errors.New("the key is empty")
	}
	for _, dec := range []func(string) ([]byte, error){
		base64.StdEncoding.DecodeString, base64.RawStdEncoding.DecodeString,
		base64.URLEncoding.DecodeString, base64.RawURLEncoding.DecodeString, hex.DecodeString,
	} {
		if b, err := dec(text); err == nil && len(b) == KeySize {
			return b, nil
		}
	}
	return nil, fmt.Errorf("the key is not %d bytes in base64 or hex (make one with `halochat new-key`)", KeySize)
}

func newKey(text string) (key, error) {
	b, err := ParseKey(text)
	if err != nil {
		return key{}, err
	}
	block, err := aes.NewCipher(b)
	if err != nil {
		return key{}, fmt.Errorf("the key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return key{}, fmt.Errorf("the key: %w", err)
	}
	// The id names the key without telling anything of it: a hash under
	// a label of its own, cut to 8 bytes.
	sum := sha256.Sum256(append([]byte("halochat secret key id\x00"), b...))
	return key{id: hex.EncodeToString(sum[:8]), aead: aead, raw: b}, nil
}

// NewRing makes a ring whose current key (text form, ParseKey) seals,
// and whose older keys also open.
func NewRing(current string, older ...string) (*Ring, error) {
	cur, err := newKey(current)
	if err != nil {
		return nil, fmt.Errorf("the secret key: %w", err)
	}
	r := &Ring{current: cur, byID: map[string]key{cur.id: cur}}
	for i, o := range older {
		if strings.TrimSpace(o) == "" {
			continue
		}
		k, err := newKey(o)
		if err != nil {
			return nil, fmt.Errorf("older secret key %d: %w", i+1, err)
		}
		r.byID[k.id] = k
	}
	return r, nil
}

// CurrentID is the id of the key that seals.
func (r *Ring) CurrentID() string { return r.current.id }

// additionalData binds a sealed value to its format and key id.
func additionalData(id string) []byte { return []byte(prefix + id) }

// Seal encrypts a clear value under the current key.
func (r *Ring) Seal(clear string) string {
	k := r.current
	nonce := make([]byte, k.aead.NonceSize())
	_, _ = rand.Read(nonce)
	out := k.aead.Seal(nonce, nonce, []byte(clear), additionalData(k.id))
	return prefix + k.id + ":" + base64.RawURLEncoding.EncodeToString(out)
}

// Open decrypts a sealed value; a clear value is returned as it is.
// ErrUnknownKey when the value's key is not in the ring; an error
// naming the key id when the value does not decrypt (changed, or cut).
func (r *Ring) Open(v string) (string, error) {
	if !IsSealed(v) {
		return v, nil
	}
	id, body, ok := strings.Cut(strings.TrimPrefix(v, prefix), ":")
	if !ok {
		return "", fmt.Errorf("sealed value has no key id")
	}
	k, ok := r.byID[id]
	if !ok {
		return "", fmt.Errorf("secret key id %s: %w (give it in HALOCHAT_SECRET_KEYS while rotating)", id, ErrUnknownKey)
	}
	raw, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil || len(raw) < k.aead.NonceSize() {
		return "", fmt.Errorf("sealed value under key id %s is not well formed", id)
	}
	clear, err := k.aead.Open(nil, raw[:k.aead.NonceSize()], raw[k.aead.NonceSize():], additionalData(id))
	if err != nil {
		return "", fmt.Errorf("sealed value under key id %s does not decrypt: changed or cut", id)
	}
	return string(clear), nil
}

// Derive is a 32-byte key for purpose, derived from the current key
// (HKDF-SHA256): a key for another use (signing links) that is never the
// sealing key itself, and changes when the current key does.
func (r *Ring) Derive(purpose string) []byte {
	k, err := hkdf.Key(sha256.New, r.current.raw, nil, "halochat "+purpose, KeySize)
	if err != nil { // only for a length HKDF cannot give; KeySize is not
		panic(fmt.Sprintf("derive a key for %s: %v", purpose, err))
	}
	return k
}
