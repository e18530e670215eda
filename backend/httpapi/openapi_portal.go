package httpapi

import "strings"

// PortalEndpoints lists the self-service portal's routes (backend/portal,
// which mounts its own handlers) for the OpenAPI document.
// backend/securitytest checks that the service serves each one.
func PortalEndpoints() []ChatEndpoint {
	const (
		anyone = "anyone (from the portal page: same origin)"
		user   = "a logged-in portal user (cookie halochat_portal)"
	)
	return []ChatEndpoint{
		{"GET", "/portal", "The portal page: redirects to /console/portal", "anyone"},
		{"POST", "/portal/api/login", "Portal login with e-mail and password ({email, password} → {user, expires_in}); sets the halochat_portal cookie (HttpOnly, SameSite=Lax); rate-limited per address", anyone},
		{"POST", "/portal/api/login/token", "Portal login with an identity token ({profileId, id_token}: verified with that portal profile's identity settings; the user is found or created)", anyone},
		{"POST", "/portal/api/logout", "End the portal session", anyone},
		{"GET", "/portal/api/me", "The logged-in portal user ({\"user\": {id, email, firstName, lastName, name}}, or {\"user\": null} when logged out)", anyone},
		{"GET", "/portal/api/tickets", "The user's tickets: logged for them or from their chats ([{id, summary, status, type, chatId, createdAt}])", user},
		{"GET", "/portal/api/profiles", "The chat profiles the caller may chat with here ([{id, key, name, access, colour}]): portal_and_external, and portal ones when logged in", anyone},
	}
}

// addPortalEndpoints puts PortalEndpoints into the document's paths.
func addPortalEndpoints(op func(path, method string, o jsonObj)) {
	for _, e := range PortalEndpoints() {
		op(e.Path, e.Method, jsonObj{
			"summary":     e.Summary,
			"operationId": strings.ToLower(e.Method) + strings.NewReplacer("/", "_").Replace(e.Path),
			"tags":        []string{"portal"},
			"description": "Access: " + e.Access + ". Refusals are {\"error\":{\"code\",\"message\"}}.",
			"responses":   jsonObj{"default": jsonObj{"description": "See the summary"}},
		})
	}
}
