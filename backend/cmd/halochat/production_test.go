package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"halochat/backend/demo"
	"halochat/backend/secret"
	"halochat/backend/store"
	"halochat/backend/storetest"
	"halochat/backend/testenv"
)

func TestProductionRefusesDemoCredentialsAndUnsafeSettings(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t, testenv.SQLiteDSN(t))
	if err := productionCheck(ctx, st, "https://chat.example.com", "default"); err != nil {
		t.Fatalf("a clean database over https: %v", err)
	}
	for _, tt := range []struct{ url, limits, want string }{
		{"http://chat.example.com", "default", "https"},
		{"https://chat.example.com", "benchmark", "--limits benchmark"},
	} {
		if err := productionCheck(ctx, st, tt.url, tt.limits); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("productionCheck(%s, %s) = %v, want a refusal naming %q", tt.url, tt.limits, err, tt.want)
		}
	}
	if _, err := demo.Seed(ctx, st); err != nil {
		t.Fatal(err)
	}
	err := productionCheck(ctx, st, "https://chat.example.com", "default")
	for _, want := range []string{demo.AgentEmail, demo.AdminEmail, demo.PortalEmail, demo.APIClientID} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("with the demo seeded: %v, want a refusal naming %s", err, want)
		}
	}
	for _, email := range []string{demo.AgentEmail, demo.AdminEmail} {
		a, _ := st.GetAgentByEmail(ctx, email)
		a.Disabled = true
		if err := st.UpdateAgent(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	u, _ := st.GetUserByEmail(ctx, demo.PortalEmail)
	u.Disabled = true
	if err := st.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	c, _ := st.GetAPIClientByClientID(ctx, demo.APIClientID)
	c.Disabled = true
	if err := st.UpdateAPIClient(ctx, c); err != nil {
		t.Fatal(err)
	}
	p, _ := st.GetProfileByName(ctx, demo.ProfileName)
	p.Identity.HS256Secrets = []store.HMACSecret{{KID: demo.IdentityKID, Secret: secret.Token(32)}}
	if err := st.UpdateProfile(ctx, p); err != nil {
		t.Fatal(err)
	}
	if err := productionCheck(ctx, st, "https://chat.example.com", "default"); err != nil {
		t.Errorf("with the demo accounts disabled and a new identity secret: %v", err)
	}
}

// The HS256 secret `halochat demo` printed signs identity tokens anyone
// who read it can make: production refuses to start while any profile
// holds it (the demo's own, or a copy), accounts disabled or not.
func TestProductionRefusesTheDemoIdentitySecret(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t, testenv.SQLiteDSN(t))
	res, err := demo.Seed(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := st.GetAgentByEmail(ctx, demo.AgentEmail)
	ad, _ := st.GetAgentByEmail(ctx, demo.AdminEmail)
	u, _ := st.GetUserByEmail(ctx, demo.PortalEmail)
	c, _ := st.GetAPIClientByClientID(ctx, demo.APIClientID)
	a.Disabled, ad.Disabled, u.Disabled, c.Disabled = true, true, true, true
	if err := errors.Join(st.UpdateAgent(ctx, a), st.UpdateAgent(ctx, ad), st.UpdateUser(ctx, u), st.UpdateAPIClient(ctx, c)); err != nil {
		t.Fatal(err)
	}
	copied := &store.ChatProfile{Name: "shop", Access: store.AccessPortalAndExternal,
		Identity: store.IdentitySettings{HS256Secrets: []store.HMACSecret{{KID: "shop", Secret: res.Identity.HS256Secret}}}}
	if err := st.CreateProfile(ctx, copied); err != nil {
		t.Fatal(err)
	}
	renew := func(name string) {
		p, err := st.GetProfileByName(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		p.Identity.HS256Secrets = []store.HMACSecret{{KID: p.Identity.HS256Secrets[0].KID, Secret: secret.Token(32)}}
		if err := st.UpdateProfile(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct {
		what      string
		edit      func()
		want, not []string
	}{
		{"the demo profile and a copy", func() {}, []string{`"` + demo.ProfileName + `"`, `"shop"`}, nil},
		{"the copy", func() { renew(demo.ProfileName) }, []string{`"shop"`}, []string{`"` + demo.ProfileName + `"`}},
		{"none", func() { renew("shop") }, nil, []string{"secret"}},
	} {
		tt.edit()
		err := productionCheck(ctx, st, "https://chat.example.com", "default")
		msg := fmt.Sprint(err)
		for _, w := range tt.want {
			if err == nil || !strings.Contains(msg, w) || !strings.Contains(msg, "HS256") {
				t.Errorf("%s holding the demo's secret: %v, want a refusal naming profile %s", tt.what, err, w)
			}
		}
		for _, n := range tt.not {
			if strings.Contains(msg, n) {
				t.Errorf("%s holding the demo's secret: %v, naming %s", tt.what, err, n)
			}
		}
		if len(tt.want) == 0 && err != nil {
			t.Errorf("no profile holding the demo's secret: %v", err)
		}
	}
}
