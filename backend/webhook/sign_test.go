package webhook

import (
	"net/http"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// The test vector the Standard Webhooks libraries publish beside the
// specification (libraries/*/…test…: the same in every language).
const (
	vectorSecret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	vectorID        = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	vectorTimestamp = 1614265330
	vectorBody      = `{"test": 2432232314}`
	vectorSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func TestSignatureMatchesTheSpecificationVector(t *testing.T) {
	for _, secret := range []string{vectorSecret, strings.TrimPrefix(vectorSecret, SecretPrefix)} {
		key, err := Key(secret)
		if err != nil {
			t.Fatal(err)
		}
		if got := Signature(key, vectorID, time.Unix(vectorTimestamp, 0), []byte(vectorBody)); got != vectorSignature {
			t.Errorf("secret %q: signature %s, want %s", secret, got, vectorSignature)
		}
	}
	h, err := Headers(vectorID, time.Unix(vectorTimestamp, 0), []byte(vectorBody), vectorSecret)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{HeaderID: vectorID, HeaderTimestamp: "1614265330", HeaderSignature: vectorSignature}
	for k, v := range want {
		if h[k] != v {
			t.Errorf("header %s = %q, want %q", k, h[k], v)
		}
	}
}

// TestTheReferenceLibraryVerifiesDeliveries checks the headers with
// Standard Webhooks' own Go library, as a receiver would: with one
// secret, and during a rotation with either of the two.
func TestTheReferenceLibraryVerifiesDeliveries(t *testing.T) {
	oldSecret, newSecret, stranger := NewSecret(), NewSecret(), NewSecret()
	body := []byte(`{"type":"chat.message","timestamp":"2026-12-06T10:00:00Z","data":{"chat_id":"c1","seq":3,"text":"hé"}}`)
	cases := []struct {
		name     string
		signWith []string
		verifier string
		at       time.Time
		ok       bool
	}{
		{"one secret", []string{newSecret}, newSecret, time.Now(), true},
		{"rotation: the new secret", []string{newSecret, oldSecret}, newSecret, time.Now(), true},
		{"rotation: the previous secret", []string{newSecret, oldSecret}, oldSecret, time.Now(), true},
		{"another webhook's secret", []string{newSecret}, stranger, time.Now(), false},
		{"a stale timestamp", []string{newSecret}, newSecret, time.Now().Add(-10 * time.Minute), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h, err := Headers("evt_1", c.at, body, c.signWith...)
			if err != nil {
				t.Fatal(err)
			}
			if n := len(strings.Fields(h[HeaderSignature])); n != len(c.signWith) {
				t.Errorf("%d signatures, want %d: %q", n, len(c.signWith), h[HeaderSignature])
			}
			wh, err := standardwebhooks.NewWebhook(c.verifier)
			if err != nil {
				t.Fatal(err)
			}
			hdr := http.Header{}
			for k, v := range h {
				hdr.Set(k, v)
			}
			err = wh.Verify(body, hdr)
			if (err == nil) != c.ok {
				t.Errorf("Verify: %v, want ok=%v", err, c.ok)
			}
			if c.ok {
				if err := wh.Verify(append([]byte(nil), append(body, ' ')...), hdr); err == nil {
					t.Error("a changed body verified")
				}
			}
		})
	}
}

func TestHeadersRefuseBadInput(t *testing.T) {
	cases := []struct {
		name, id string
		secrets  []string
	}{
		{"no id", "", []string{vectorSecret}},
		{"a dot in the id", "a.b", []string{vectorSecret}},
		{"no secret", "evt", nil},
		{"a secret that is not base64", "evt", []string{"whsec_***"}},
		{"an empty key", "evt", []string{"whsec_"}},
	}
	for _, c := range cases {
		if _, err := Headers(c.id, time.Unix(1, 0), nil, c.secrets...); err == nil {
			t.Errorf("%s: no error", c.name)
		}
	}
}

func TestNewSecretsAreKeysOf32RandomBytes(t *testing.T) {
	a, b := NewSecret(), NewSecret()
	if a == b || !strings.HasPrefix(a, SecretPrefix) {
		t.Fatalf("secrets %q and %q", a, b)
	}
	key, err := Key(a)
	if err != nil || len(key) != secretBytes {
		t.Fatalf("key of %q: %d bytes, %v", a, len(key), err)
	}
}
