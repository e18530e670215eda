package securitytest

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"halochat/app/protocol"
	"halochat/backend/demo"
	"halochat/backend/service"
)

// asAdmin sends an admin API request with the admin's session token.
func (s *server) asAdmin(admin, method, path string, body []byte) response {
	s.t.Helper()
	return s.do(method, path, body, "Authorization", "Bearer "+admin, "Content-Type", "application/json")
}

// startSignedBy starts a demo chat with a token signed by secret (kid
// "demo") and says whether the chat is authenticated; a refused token
// is false.
func (s *server) startSignedBy(secret string) bool {
	s.t.Helper()
	tok, err := demo.SignIdentityToken(secret, demo.IdentityKID, map[string]any{"sub": "crm-secret-probe",
		"email": "probe@shop.example", "exp": time.Now().Add(5 * time.Minute).Unix()})
	if err != nil {
		s.t.Fatal(err)
	}
	r := s.startWith(s.demoProfile(), "https://host.example", tok)
	var out protocol.StartChatResponse
	return r.status == http.StatusCreated && json.Unmarshal(r.body, &out) == nil && out.Chat.Authenticated
}

// A profile's HS256 identity secrets are write-only, as API client
// secrets are: GET never answers them; create and
// POST /api/ChatProfile/{id}/identity/secret answer them once; a PUT
// takes new ones without echoing them and keeps the stored secret of a
// kid it sends without one (what the console sends back, having read
// none).
func TestProfileSecretsAreWriteOnly(t *testing.T) {
	forEachDB(t, service.Unlimited(), func(t *testing.T, s *server) {
		admin := s.login(s.demo.Admin)
		id := s.demo.Profile.ID
		path := "/api/ChatProfile/" + id
		noSecret := func(what string, r response, status int, secrets ...string) {
			t.Helper()
			if r.status != status {
				t.Fatalf("%s: %d %s, want %d", what, r.status, r.body, status)
			}
			for _, sec := range secrets {
				if strings.Contains(string(r.body), sec) {
					t.Errorf("%s answers an HS256 secret: %s", what, r.body)
				}
			}
		}
		seeded := s.demo.Identity.HS256Secret
		noSecret("GET /api/ChatProfile", s.asAdmin(admin, "GET", "/api/ChatProfile", nil), 200, seeded)
		got := s.asAdmin(admin, "GET", path, nil)
		noSecret("GET /api/ChatProfile/{id}", got, 200, seeded)

		// The console's round trip: what GET answered, sent back.
		noSecret("PUT of the GET's answer", s.asAdmin(admin, "PUT", path, got.body), 200, seeded)
		if !s.startSignedBy(seeded) {
			t.Fatal("after a PUT without the secret, a token signed with the stored one is refused: the PUT wiped it")
		}

		// A PUT may set a secret; it is not echoed.
		var p protocol.ChatProfileInput
		if err := json.Unmarshal(got.body, &p); err != nil {
			t.Fatal(err)
		}
		set := "a-new-secret-of-more-than-32-bytes-for-kid-demo"
		p.Identity.HS256Secrets = []protocol.HMACSecret{{KID: demo.IdentityKID, Secret: set}}
		noSecret("PUT with a new secret", s.asAdmin(admin, "PUT", path, mustJSON(p)), 200, set)
		if !s.startSignedBy(set) || s.startSignedBy(seeded) {
			t.Fatal("after a PUT with a new secret: want the new secret to sign and the old one refused")
		}

		// Rotation answers the new secret, once.
		r := s.asAdmin(admin, "POST", path+"/identity/secret", mustJSON(map[string]string{"kid": demo.IdentityKID}))
		var rotated struct{ KID, Secret string }
		if r.status != 200 || json.Unmarshal(r.body, &rotated) != nil || len(rotated.Secret) < 32 || rotated.KID != demo.IdentityKID {
			t.Fatalf("POST %s/identity/secret: %d %s, want the new secret of kid %q", path, r.status, r.body, demo.IdentityKID)
		}
		noSecret("GET after a rotation", s.asAdmin(admin, "GET", path, nil), 200, rotated.Secret)
		if !s.startSignedBy(rotated.Secret) || s.startSignedBy(set) {
			t.Fatal("after a rotation: want the rotated secret to sign and the one before refused")
		}

		// A kid without a stored secret needs one.
		p.Identity.HS256Secrets = []protocol.HMACSecret{{KID: demo.IdentityKID}, {KID: "unknown"}}
		r = s.asAdmin(admin, "PUT", path, mustJSON(p))
		if code, msg, _ := r.apiError(); r.status != 400 || code != protocol.CodeInvalidRequest || !strings.Contains(msg, "identity.hs256Secrets[1].secret") {
			t.Errorf("PUT with a kid that has no secret: %d %s, want 400 naming identity.hs256Secrets[1].secret", r.status, r.body)
		}

		// Create answers the secrets it was given, that once.
		in := protocol.ChatProfileInput{ChatProfile: protocol.ChatProfile{Name: "write-only", Access: "portal_and_external",
			Identity: protocol.IdentitySettings{HS256Secrets: []protocol.HMACSecret{{KID: "w", Secret: set + "-created"}}}}}
		r = s.asAdmin(admin, "POST", "/api/ChatProfile", mustJSON(in))
		var created protocol.ChatProfile
		if r.status != 201 || json.Unmarshal(r.body, &created) != nil || len(created.Identity.HS256Secrets) != 1 ||
			created.Identity.HS256Secrets[0].Secret != set+"-created" {
			t.Fatalf("POST /api/ChatProfile: %d %s, want 201 with the secret given", r.status, r.body)
		}
		noSecret("GET of the created profile", s.asAdmin(admin, "GET", "/api/ChatProfile/"+created.ID, nil), 200, set+"-created")
	})
}
