// Package secret makes and checks the service's secrets: random tokens,
// password hashes (bcrypt) and hashes of high-entropy secrets (SHA-256).
package secret

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"

	"golang.org/x/crypto/bcrypt"
)

// Token returns a random URL-safe string carrying n random bytes.
func Token(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

// PasswordCost is the bcrypt cost of password hashes.
const PasswordCost = 11

// HashPassword hashes a person's password with bcrypt.
func HashPassword(password string) (string, error) {
	return HashPasswordCost(password, PasswordCost)
}

// HashPasswordCost is HashPassword at another bcrypt cost (CheckPassword
// reads the cost from the hash). A hash at PasswordCost takes ~0.45 s on
// a CI core, 5.7 s under the race detector: tests, which seed logins for
// every database they open, hash at bcrypt.MinCost (128 times less work).
func HashPasswordCost(password string, cost int) (string, error) {
	if len(password) > 72 {
		return "", errors.New("password longer than 72 bytes")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), cost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}

// CheckPassword reports whether password matches a HashPassword hash.
func CheckPassword(hash, password string) bool {
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
}

// HashKey hashes a machine-made, high-entropy secret (API client secrets,
// matching-data keys) for storage. Such secrets need no slow hash.
func HashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// CheckKey compares a key with a HashKey hash in constant time.
func CheckKey(hash, key string) bool {
	return subtle.ConstantTimeCompare([]byte(HashKey(key)), []byte(hash)) == 1
}

// Derive returns a secret derived from root for purpose: the same inputs
// give the same secret, and one derived secret tells nothing of another.
func Derive(root, purpose string, n int) string {
	m := hmac.New(sha256.New, []byte(root))
	m.Write([]byte(purpose))
	sum := m.Sum(nil)
	if n > len(sum) {
		n = len(sum)
	}
	return base64.RawURLEncoding.EncodeToString(sum[:n])
}
