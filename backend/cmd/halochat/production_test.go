package main

import (
	"context"
	"strings"
	"testing"

	"halochat/backend/demo"
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
	if err := productionCheck(ctx, st, "https://chat.example.com", "default"); err != nil {
		t.Errorf("with the demo accounts disabled: %v", err)
	}
}
