package httpapi

import (
	"net/http"
	"strconv"
	"strings"

	"halochat/backend/auth"
)

// jsonObj is a node of the OpenAPI document.
type jsonObj = map[string]any

func oaRef(name string) jsonObj { return jsonObj{"$ref": "#/components/schemas/" + name} }

// oaDesc adds a description when there is one.
func oaDesc(o jsonObj, desc string) jsonObj {
	if desc != "" {
		o["description"] = desc
	}
	return o
}
func oaStr(desc string) jsonObj  { return oaDesc(jsonObj{"type": "string"}, desc) }
func oaInt(desc string) jsonObj  { return oaDesc(jsonObj{"type": "integer", "format": "int64"}, desc) }
func oaBool(desc string) jsonObj { return oaDesc(jsonObj{"type": "boolean"}, desc) }
func oaTime(desc string) jsonObj {
	return oaDesc(jsonObj{"type": "string", "format": "date-time"}, desc)
}
func oaArr(items jsonObj) jsonObj { return jsonObj{"type": "array", "items": items} }
func oaEnum(desc string, values ...string) jsonObj {
	return oaDesc(jsonObj{"type": "string", "enum": values}, desc)
}
func oaObj(props jsonObj, required ...string) jsonObj {
	o := jsonObj{"type": "object", "properties": props}
	if len(required) > 0 {
		o["required"] = required
	}
	return o
}

// oaSchema turns a route's schema name ("X" or "[]X") into a schema.
func oaSchema(name string) jsonObj {
	if rest, ok := strings.CutPrefix(name, "[]"); ok {
		return oaArr(oaRef(rest))
	}
	return oaRef(name)
}

// OpenAPI returns the OpenAPI 3.1 document of this API and of /auth/*.
// It is made from the same route table that Routes mounts.
func (a *IdentityAPI) OpenAPI() jsonObj {
	paths := jsonObj{}
	op := func(path, method string, o jsonObj) {
		item, _ := paths[path].(jsonObj)
		if item == nil {
			item = jsonObj{}
			paths[path] = item
		}
		item[strings.ToLower(method)] = o
	}
	errResp := func(desc string) jsonObj {
		return jsonObj{"description": desc, "content": jsonObj{"application/json": jsonObj{"schema": oaRef("Error")}}}
	}
	for _, rt := range a.routes() {
		o := jsonObj{"summary": rt.summary, "operationId": strings.ToLower(rt.method) + strings.NewReplacer("/api/", "", "/", "_", "{", "", "}", "").Replace(rt.path)}
		if strings.Contains(rt.path, "{id}") {
			o["parameters"] = []jsonObj{{"name": "id", "in": "path", "required": true, "schema": jsonObj{"type": "string"}}}
		}
		if strings.Contains(rt.path, "{v}") {
			o["parameters"] = append(o["parameters"].([]jsonObj), jsonObj{"name": "v", "in": "path", "required": true, "schema": jsonObj{"type": "integer"}})
		}
		if rt.path == "/api/CustomField" && rt.method == http.MethodGet {
			o["parameters"] = []jsonObj{{"name": "entity", "in": "query", "schema": oaEnum("", "chat", "ticket")}}
		}
		if rt.request != "" {
			o["requestBody"] = jsonObj{"required": true, "content": jsonObj{"application/json": jsonObj{"schema": oaSchema(rt.request)}}}
		}
		ok := jsonObj{"description": http.StatusText(rt.status)}
		if rt.response != "" {
			ok["content"] = jsonObj{"application/json": jsonObj{"schema": oaSchema(rt.response)}}
		}
		responses := jsonObj{
			strconv.Itoa(rt.status): ok,
			"401":                   errResp("No or invalid credentials"),
			"403":                   errResp("Authenticated, but not allowed (needs " + rt.access + ")"),
		}
		if rt.request != "" {
			responses["400"] = errResp("Invalid input; the message names the field")
			responses["413"] = errResp("Body too large")
			responses["415"] = errResp("The body is not JSON")
		}
		if strings.Contains(rt.path, "{id}") {
			responses["404"] = errResp("No such resource")
		}
		if rt.method != http.MethodGet {
			responses["409"] = errResp("Conflict: a name is taken, or the resource is in use")
		}
		o["responses"] = responses
		o["security"] = []jsonObj{{"bearer": []string{}}, {"session": []string{}}}
		o["x-permission"] = rt.access
		op(rt.path, rt.method, o)
	}
	addChatEndpoints(op)
	addPortalEndpoints(op)
	op("/api/openapi.json", "GET", jsonObj{"summary": "This document", "operationId": "openapi",
		"responses": jsonObj{"200": jsonObj{"description": "OK"}}})

	form := func(props jsonObj, required ...string) jsonObj {
		return jsonObj{"required": true, "content": jsonObj{"application/x-www-form-urlencoded": jsonObj{"schema": oaObj(props, required...)}}}
	}
	jsonBody := func(schema jsonObj) jsonObj {
		return jsonObj{"required": true, "content": jsonObj{"application/json": jsonObj{"schema": schema}}}
	}
	okJSON := func(schema jsonObj) jsonObj {
		return jsonObj{"description": "OK", "content": jsonObj{"application/json": jsonObj{"schema": schema}}}
	}
	op("/auth/token", "POST", jsonObj{
		"summary": "OAuth 2 client_credentials grant: an API client's bearer token", "operationId": "authToken",
		"requestBody": form(jsonObj{"grant_type": oaEnum("", "client_credentials"), "client_id": oaStr(""), "client_secret": oaStr("")},
			"grant_type", "client_id", "client_secret"),
		"responses": jsonObj{
			"200": okJSON(oaObj(jsonObj{"access_token": oaStr(""), "token_type": oaEnum("", "Bearer"), "expires_in": oaInt("seconds")})),
			"400": jsonObj{"description": "invalid_request or unsupported_grant_type (RFC 6749 §5.2)"},
			"401": jsonObj{"description": "invalid_client"},
		}})
	op("/auth/login", "POST", jsonObj{
		"summary": "Agent or admin login; sets the halochat_session cookie (HttpOnly, SameSite=Strict)", "operationId": "authLogin",
		"requestBody": jsonBody(oaObj(jsonObj{"email": oaStr(""), "password": oaStr("")}, "email", "password")),
		"responses": jsonObj{
			"200": okJSON(oaObj(jsonObj{"agent": oaRef("Me"), "token": oaStr("session token, also usable as a bearer token"), "expires_in": oaInt("seconds")})),
			"400": errResp("Bad body"), "401": errResp("Wrong email or password"),
		}})
	op("/auth/logout", "POST", jsonObj{"summary": "End the session", "operationId": "authLogout",
		"responses": jsonObj{"204": jsonObj{"description": "Logged out"}}})
	op("/auth/me", "GET", jsonObj{"summary": "The logged-in agent", "operationId": "authMe",
		"security":  []jsonObj{{"bearer": []string{}}, {"session": []string{}}},
		"responses": jsonObj{"200": okJSON(oaRef("Me")), "401": errResp("Not logged in")}})

	return jsonObj{
		"openapi": "3.1.0",
		"info": jsonObj{"title": "halochat API", "version": "1",
			"description": "Chat profiles, bot flows, custom fields, ticket types, API clients, agents, ChatMatchingData, chats, messages and tickets (Halo-compatible paths under /api), and the widget's chat API (tag chat). " +
				"Authenticate with an API client's bearer token (POST /auth/token) or an agent session (POST /auth/login). " +
				"Admin endpoints need an admin agent or an API client with the \"" + auth.PermAdmin + "\" permission. " +
				"Every refusal is {\"error\":{\"code\",\"message\"}}."},
		"paths": paths,
		"components": jsonObj{
			"securitySchemes": jsonObj{
				"bearer":  jsonObj{"type": "http", "scheme": "bearer", "description": "An access token from POST /auth/token, or a session token from POST /auth/login"},
				"session": jsonObj{"type": "apiKey", "in": "cookie", "name": auth.SessionCookie},
			},
			"schemas": mergeSchemas(oaSchemas(), flowSchemas()),
		},
	}
}

// oaSchemas are the component schemas the routes name.
func oaSchemas() jsonObj {
	choice := oaObj(jsonObj{"value": oaStr(""), "label": oaStr("")}, "value")
	identitySettings := oaObj(jsonObj{
		"tokenRequired": oaBool("refuse chats without an identity token"),
		"hs256Secrets": oaArr(oaObj(jsonObj{"kid": oaStr("key id; may be empty for one key"),
			"secret": oaStr("at least 32 bytes; the secret's UTF-8 bytes are the HMAC key")}, "secret")),
		"publicKeys": oaArr(oaObj(jsonObj{"kid": oaStr(""), "alg": oaEnum("", "RS256", "ES256"),
			"pem": oaStr("PEM public key (RSA ≥ 2048 bits, or ECDSA P-256)")}, "alg", "pem")),
		"issuer":        oaStr("expected iss, when set"),
		"audience":      oaStr("expected aud, when set"),
		"leewaySeconds": oaInt("clock leeway for exp/nbf/iat, 0–300"),
	})
	profileProps := jsonObj{
		"id":     oaStr("the configId (read-only)"),
		"key":    oaStr("the configKey (read-only; see POST /api/ChatProfile/{id}/key)"),
		"name":   oaStr("unique"),
		"access": oaEnum("who may chat", "agents_only", "portal", "portal_and_external"),
		"appearance": oaObj(jsonObj{"colour": oaStr("hex (#1f6feb) or CSS named colour"), "theme": oaEnum("", "light", "dark"),
			"title": oaStr(""), "greeting": oaStr(""), "launcherPosition": oaEnum("", "bottom-right", "bottom-left"),
			"iconUrl": oaStr("absolute http(s) URL")}),
		"allowedOrigins": oaArr(oaStr("scheme://host[:port]; empty list = any")),
		"identity":       identitySettings,
		"tokenMappings": jsonObj{"type": "object", "description": "claim name → user field (firstname, lastname, username, email, phone, externalid)",
			"additionalProperties": oaStr("")},
		"availability": oaObj(jsonObj{"timeZone": oaStr("IANA time zone"),
			"weekly":     oaArr(oaObj(jsonObj{"weekday": oaInt("0 = Sunday"), "start": oaStr("HH:MM"), "end": oaStr("HH:MM or 24:00")})),
			"holidays":   oaArr(oaObj(jsonObj{"date": oaStr("YYYY-MM-DD"), "name": oaStr("")})),
			"needsAgent": oaBool("the flow needs an online agent")}),
		"emailStorageKey":   oaStr("host page sessionStorage key holding the visitor's e-mail (an unverified hint)"),
		"trustEmailStorage": oaBool("treat that e-mail as a verified identity"),
		"flowId":            oaInt("0 = none"),
		"startStep":         oaInt("0 = the flow's start step"),
		"ticketTypeId":      oaInt("0 = none"),
		"createdAt":         oaTime("read-only"),
		"updatedAt":         oaTime("read-only"),
	}
	fieldProps := jsonObj{
		"id": oaInt("read-only"), "entity": oaEnum("cannot change", "chat", "ticket"),
		"name":    oaStr("database name: CF + letters/digits, unique per entity"),
		"label":   oaStr("unique per entity; claims and ticket sync match it exactly"),
		"type":    oaEnum("", "text", "number", "boolean", "date", "choice"),
		"choices": oaArr(choice), "createdAt": oaTime("read-only"), "updatedAt": oaTime("read-only"),
	}
	clientProps := jsonObj{
		"id": oaInt("read-only"), "clientId": oaStr("chosen at creation or generated; cannot change"), "name": oaStr(""),
		"permissions": oaArr(oaEnum("", auth.Permissions()...)), "disabled": oaBool(""),
		"createdAt": oaTime("read-only"), "updatedAt": oaTime("read-only"),
	}
	withSecret := jsonObj{"clientSecret": oaStr("shown once")}
	for k, v := range clientProps {
		withSecret[k] = v
	}
	agentProps := jsonObj{
		"id": oaInt("read-only"), "email": oaStr(""), "name": oaStr("shown to visitors"), "role": oaEnum("", "agent", "admin"),
		"presence": oaEnum("read-only", "offline", "online", "away"), "disabled": oaBool(""),
		"lastSeenAt": oaTime("read-only"), "createdAt": oaTime("read-only"), "updatedAt": oaTime("read-only"),
	}
	agentInput := jsonObj{"password": oaStr("10–72 bytes; required at creation, optional on update")}
	for k, v := range agentProps {
		agentInput[k] = v
	}
	userProps := jsonObj{
		"id": oaInt("read-only"), "email": oaStr("unique; the portal login"), "externalId": oaStr("the host system's id; unique when set"),
		"username": oaStr(""), "firstName": oaStr(""), "lastName": oaStr(""), "phone": oaStr(""),
		"hasPassword": oaBool("read-only: can log in to the portal with a password"), "disabled": oaBool("no portal login"),
		"createdAt": oaTime("read-only"), "updatedAt": oaTime("read-only"),
	}
	userInput := jsonObj{"password": oaStr("10–72 bytes; required at creation, optional on update")}
	for k, v := range userProps {
		userInput[k] = v
	}
	ticketProps := jsonObj{"id": oaInt("read-only"), "name": oaStr("unique"),
		"fieldIds": oaArr(oaInt("a ticket custom field")), "fields": oaArr(oaRef("CustomField")),
		"createdAt": oaTime("read-only"), "updatedAt": oaTime("read-only")}
	return jsonObj{
		"Error": oaObj(jsonObj{"error": oaObj(jsonObj{"code": oaStr("stable"), "message": oaStr("for people; names the field")}, "code", "message")}, "error"),
		"Me":    oaObj(jsonObj{"id": oaInt(""), "email": oaStr(""), "name": oaStr(""), "role": oaEnum("", "agent", "admin")}),

		"ChatProfile":      oaObj(profileProps),
		"ChatProfileInput": oaObj(profileProps, "name", "access"),
		"ProfileKey":       oaObj(jsonObj{"id": oaStr(""), "key": oaStr("the new configKey")}),

		"CustomField":      oaObj(fieldProps),
		"CustomFieldInput": oaObj(fieldProps, "entity", "name", "label", "type"),

		"TicketType":      oaObj(ticketProps),
		"TicketTypeInput": oaObj(ticketProps, "name"),

		"APIClient":           oaObj(clientProps),
		"APIClientInput":      oaObj(clientProps, "name"),
		"APIClientWithSecret": oaObj(withSecret),

		"Agent":      oaObj(agentProps),
		"AgentInput": oaObj(agentInput, "email", "name", "role"),

		"User":      oaObj(userProps),
		"UserInput": oaObj(userInput, "email"),

		"ChatMatchingDataInput": oaObj(jsonObj{
			"json_content": jsonObj{"type": "object", "description": "any properties, mapped with the profile's identity token mappings exactly as claims (chat custom fields included); at most 16 KiB"},
			"single_use":   oaBool("also expires at its first use"),
		}, "json_content"),
		"ChatMatchingData": oaObj(jsonObj{
			"guid":       oaStr("the chatmatchingdataguid claim"),
			"key":        oaStr("the chatmatchingdatakey claim; shown once, stored hashed"),
			"expires_at": oaTime("24 hours after creation"),
			"single_use": oaBool(""),
		}, "guid", "key", "expires_at"),
	}
}
