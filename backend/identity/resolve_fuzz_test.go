package identity_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"halochat/app/protocol"
	"halochat/backend/httpx"
	"halochat/backend/identity"
	"halochat/backend/store"
	"halochat/backend/testenv"
)

// FuzzResolve drives the whole JWT path — verification, claim mapping,
// ChatMatchingData, finding or creating the user — with a fuzzed token
// string, and with fuzzed claims signed by the profile's key (so the
// fuzzer reaches past the signature). Whatever comes in, Resolve never
// panics and refuses with a 4xx *protocol.APIError, never a storage error
// (which the service would answer 500).
func FuzzResolve(f *testing.F) {
	ctx := context.Background()
	st := openWithChatFields(f, testenv.SQLiteDSN(f), func() time.Time { return testNow })
	const secret = "0123456789abcdef0123456789abcdef-fuzz"
	p := &store.ChatProfile{Name: "fuzz", Access: store.AccessPortalAndExternal,
		Identity:      store.IdentitySettings{HS256Secrets: []store.HMACSecret{{KID: "k", Secret: secret}}, Issuer: "https://idp.example"},
		TokenMappings: testMappings}
	if err := st.CreateProfile(ctx, p); err != nil {
		f.Fatal(err)
	}
	r := &identity.Resolver{Store: st}
	exp := testNow.Add(time.Hour).Unix()
	good := sign(f, jwt.SigningMethodHS256, "k", []byte(secret), jwt.MapClaims{"iss": "https://idp.example", "exp": exp, "sub": "u1", "email": "a@b.example", "given_name": "Ann"})
	f.Add(good, []byte(nil))
	f.Add(good[:len(good)-2], []byte(nil))
	f.Add("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", []byte(nil))
	f.Add("a.b.c", []byte(nil))
	// exp is an hour past testNow: seeds within the maximum lifetime.
	f.Add("", []byte(`{"iss":"https://idp.example","exp":1795611600,"sub":"u2","CFcustomerTier":"gold"}`))
	f.Add("", []byte(`{"iss":"https://idp.example","exp":1795611600,"email":"x@y.example","Account Number":12}`))
	f.Add("", []byte(`{"iss":"https://idp.example","exp":1795611600,"chatmatchingdataguid":"g","chatmatchingdatakey":"k"}`))
	f.Add("", []byte(`{"iss":"https://idp.example","exp":1795611600,"sub":"a\u0000b","given_name":["x"]}`))
	f.Add("", []byte(`{"iss":"https://idp.example","exp":"soon","nbf":1e300}`))
	f.Add("", []byte(`{"iss":"https://idp.example","exp":1795611600,"sub":"u3","jti":"j1"}`))
	f.Add("", []byte(`{"iss":"https://idp.example","exp":253402300799,"sub":"u4"}`))
	f.Fuzz(func(t *testing.T, token string, claims []byte) {
		if token == "" && claims != nil {
			var c jwt.MapClaims
			if json.Unmarshal(claims, &c) != nil {
				return
			}
			token = sign(t, jwt.SigningMethodHS256, "k", []byte(secret), c)
		}
		_, err := r.Resolve(ctx, p, identity.Request{IDToken: token, Embedded: true})
		if err == nil {
			return
		}
		var ie *protocol.APIError
		if !errors.As(err, &ie) || httpx.Status(ie) < 400 || httpx.Status(ie) >= 500 || ie.Message == "" {
			t.Fatalf("token %q: %v (%T), want a 4xx *protocol.APIError", token, err, err)
		}
	})
}
