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
func oaStr(desc string) jsonObj   { return oaDesc(jsonObj{"type": "string"}, desc) }
func oaInt(desc string) jsonObj   { return oaDesc(jsonObj{"type": "integer", "format": "int64"}, desc) }
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
	schemas, err := oaSchemas(oaComponents())
	if err != nil {
		panic(err) // a programming error, caught by tests
	}
	paths := jsonObj{}
	op := func(path, method string, o jsonObj) {
		item, _ := paths[path].(jsonObj)
		if item == nil {
			item = jsonObj{}
			paths[path] = item
		}
		item[strings.ToLower(method)] = o
	}
	for _, rt := range a.routes() {
		op(rt.path, rt.method, routeOperation(rt))
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
			"429": jsonObj{"description": "rate_limited: too many failed attempts for this client or from this address; see Retry-After"},
		}})
	op("/auth/login", "POST", jsonObj{
		"summary": "Agent or admin login; sets the halochat_session cookie (HttpOnly, SameSite=Strict)", "operationId": "authLogin",
		"requestBody": jsonBody(oaRef("LoginRequest")),
		"responses": jsonObj{
			"200": okJSON(oaRef("AgentLogin")),
			"400": errResp("Bad body"), "401": errResp("Wrong email or password"),
			"429": errResp("Too many failed attempts for this account or from this address; see Retry-After"),
		}})
	op("/auth/logout", "POST", jsonObj{"summary": "End the session (and close the agent sockets opened with it)", "operationId": "authLogout",
		"responses": jsonObj{"204": jsonObj{"description": "Logged out"}}})
	op("/metrics", "GET", jsonObj{
		"summary": "Prometheus metrics in the text format (README.md#metrics-and-logs): to a loopback client not behind a proxy as it is; " +
			"from anywhere else to an admin or an API client with the metrics:read permission. serve --metrics-addr also serves it on an address of its own",
		"operationId": "metrics",
		"security":    []jsonObj{{}, {"bearer": []string{}}, {"session": []string{}}},
		"responses": jsonObj{
			"200": jsonObj{"description": "The metrics", "content": jsonObj{"text/plain": jsonObj{"schema": oaStr("")}}},
			"401": errResp("From another machine without credentials"),
			"403": errResp("An agent who is not an admin, or an API client without metrics:read"),
		}})
	op("/auth/me", "GET", jsonObj{"summary": "The logged-in agent", "operationId": "authMe",
		"security":  []jsonObj{{"bearer": []string{}}, {"session": []string{}}},
		"responses": jsonObj{"200": okJSON(oaRef("Me")), "401": errResp("Not logged in")}})

	return jsonObj{
		"openapi": "3.1.0",
		"info": jsonObj{"title": "halochat API", "version": "1",
			"description": "Chat profiles, bot flows, custom fields, ticket types, API clients, agents, ChatMatchingData, chats, messages and tickets (Halo-compatible paths under /api), and the widget's chat API (tag chat). " +
				"Authenticate with an API client's bearer token (POST /auth/token) or an agent session (POST /auth/login). " +
				"Admin endpoints need an admin agent or an API client with the \"" + auth.PermAdmin + "\" permission; " +
				"the chat and ticket endpoints (tag chat) a logged-in agent or an API client with chats:read, chats:write, tickets:read or tickets:write " +
				"(admin implies each), which reaches the chats and tickets of the chat profiles it is bound to. " +
				"Every refusal is {\"error\":{\"code\",\"message\"}}."},
		"paths": paths,
		"components": jsonObj{
			"securitySchemes": jsonObj{
				"bearer":  jsonObj{"type": "http", "scheme": "bearer", "description": "An access token from POST /auth/token, or a session token from POST /auth/login"},
				"session": jsonObj{"type": "apiKey", "in": "cookie", "name": auth.SessionCookie},
			},
			"schemas": schemas,
		},
	}
}

// routeOperation is the OpenAPI operation of one route of the table.
func routeOperation(rt apiRoute) jsonObj {
	o := jsonObj{"summary": rt.summary, "operationId": strings.ToLower(rt.method) + strings.NewReplacer("/api/", "", "/", "_", "{", "", "}", "").Replace(rt.path)}
	if strings.Contains(rt.path, "{id}") {
		o["parameters"] = []jsonObj{{"name": "id", "in": "path", "required": true, "schema": jsonObj{"type": "string"}}}
	}
	for _, p := range []string{"v", "did"} {
		if strings.Contains(rt.path, "{"+p+"}") {
			o["parameters"] = append(o["parameters"].([]jsonObj), jsonObj{"name": p, "in": "path", "required": true, "schema": jsonObj{"type": "integer"}})
		}
	}
	if rt.path == "/api/Webhook/{id}/deliveries" {
		o["parameters"] = append(o["parameters"].([]jsonObj),
			jsonObj{"name": "status", "in": "query", "schema": oaEnum("", "pending", "delivered", "failed")},
			jsonObj{"name": "before", "in": "query", "schema": oaInt("only deliveries with a smaller id (the nextBefore of the page before)")},
			jsonObj{"name": "limit", "in": "query", "schema": oaInt("1–1000; default 100")})
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
	return o
}

// errResp is a refusal's response: the Error body, described.
func errResp(desc string) jsonObj {
	return jsonObj{"description": desc, "content": jsonObj{"application/json": jsonObj{"schema": oaRef("Error")}}}
}
