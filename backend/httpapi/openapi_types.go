package httpapi

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"halochat/app/flow"
	"halochat/app/i18n"
	"halochat/app/protocol"
	"halochat/backend/auth"
	"halochat/backend/store"
)

// oaComponent is a component schema made from an API body type of
// app/protocol: its properties are the type's JSON fields, as
// encoding/json writes them, so the document cannot name a property the
// API lacks or miss one it has. Notes add what a type cannot say
// (descriptions, enums, required lists), by property path: "appearance",
// "appearance.colour", "weekly[]" for an array's items, "weekly[].start".
type oaComponent struct {
	name     string
	typ      reflect.Type
	required []string
	notes    map[string]jsonObj
}

// oaNote describes a property.
func oaNote(desc string) jsonObj { return jsonObj{"description": desc} }

// oaOneOf describes a property that takes one of values.
func oaOneOf(desc string, values ...string) jsonObj {
	return oaDesc(jsonObj{"enum": values}, desc)
}

// oaRequired lists the required properties of a nested object.
func oaRequired(names ...string) jsonObj { return jsonObj{"required": names} }

// oaWith is base with more's notes added.
func oaWith(base map[string]jsonObj, more map[string]jsonObj) map[string]jsonObj {
	out := make(map[string]jsonObj, len(base)+len(more))
	for _, m := range []map[string]jsonObj{base, more} {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// oaProfileNotes are the notes on a chat profile's properties.
func oaProfileNotes(times map[string]jsonObj) map[string]jsonObj {
	hs256Secret := jsonObj{"writeOnly": true, "description": "write-only: at least 32 bytes, whose UTF-8 bytes are the HMAC key. " +
		"Answered only by the create that sets it; a PUT that leaves it out keeps the stored secret of that kid"}
	return oaWith(times, map[string]jsonObj{
		"id":                             oaNote("the configId (read-only)"),
		"key":                            oaNote("the configKey (read-only; see POST /api/ChatProfile/{id}/key)"),
		"name":                           oaNote("unique"),
		"access":                         oaOneOf("who may chat", "agents_only", "portal", "portal_and_external"),
		"appearance.colour":              oaNote("hex (#1f6feb) or CSS named colour"),
		"appearance.theme":               oaOneOf("", "light", "dark"),
		"appearance.launcherPosition":    oaOneOf("", "bottom-right", "bottom-left"),
		"appearance.iconUrl":             oaNote("absolute http(s) URL"),
		"allowedOrigins":                 oaNote("scheme://host[:port] each; empty list = any"),
		"identity.tokenRequired":         oaNote("refuse chats without an identity token"),
		"identity.hs256Secrets[].kid":    oaNote("key id; may be empty for one key"),
		"identity.hs256Secrets[].secret": hs256Secret,
		"identity.publicKeys[]":          oaRequired("alg", "pem"),
		"identity.publicKeys[].alg":      oaOneOf("", "RS256", "ES256"),
		"identity.publicKeys[].pem":      oaNote("PEM public key (RSA ≥ 2048 bits, or ECDSA P-256)"),
		"identity.issuer":                oaNote("expected iss, when set"),
		"identity.audience":              oaNote("expected aud, when set"),
		"identity.leewaySeconds":         oaNote("clock leeway for exp/nbf/iat, 0–300"),
		"identity.maxTokenLifetimeSeconds": oaNote("how far a token's exp may lie past its iat (or now): " +
			"60 to 2,592,000; 0: a day"),
		"tokenMappings":                 oaNote("claim name → user field (firstname, lastname, username, email, phone, externalid)"),
		"attachments.maxBytes":          oaNote("the largest file visitors and agents may attach, in bytes (at most 104857600); 0: 10 MiB"),
		"attachments.types":             oaNote("the kinds of file taken (image, pdf, text, office, zip), sniffed from the bytes; none: all"),
		"attachments.disabled":          oaNote("refuse every attachment (the widget hides its button)"),
		"availability.timeZone":         oaNote("IANA time zone; none: always open"),
		"availability.weekly":           oaNote("opening hours; none: open all week"),
		"availability.weekly[].weekday": oaNote("0 = Sunday"),
		"availability.weekly[].start":   oaNote("HH:MM"),
		"availability.weekly[].end":     oaNote("HH:MM or 24:00"),
		"availability.holidays[].date":  oaNote("YYYY-MM-DD"),
		"availability.needsAgent":       oaNote("the flow needs an online agent"),
		"availability.hideWhenUnavailable": oaNote("hide the launcher while chat is unavailable, " +
			"unless a conversation is in progress"),
		"emailStorageKey": oaNote("host page sessionStorage key holding the visitor's e-mail: an unverified hint, " +
			"a prefill for the visitor and a note for agents, never an identity"),
		"trustEmailStorage": oaNote("off by default. Keeps the chats hinting one address under a user of that address's own " +
			"(no one can log in as it, and nothing stored on it is shown to the visitor); still signs no one in"),
		"flowId":       oaNote("0 = none"),
		"startStep":    oaNote("0 = the flow's start step"),
		"ticketTypeId": oaNote("0 = none"),
		"agentChatVisibility": oaOneOf("which of the profile's chats an agent reads (admins read all): all, or queueAndOwn "+
			"(its queued chats and those the agent holds or held); none given: all", protocol.VisibilityAll, protocol.VisibilityQueueAndOwn),
		"ratingQuestion": oaOneOf("whether the widget asks the visitor to rate a chat that ended (1–5 and a comment, "+
			"POST /chat/api/v1/chats/{id}/rating): ask, or off (a rating is then refused); none given: ask",
			protocol.RatingQuestionAsk, protocol.RatingQuestionOff),
		"notificationEmail": oaNote("the address told of each new ticket of the profile (an offline message's, a chat's) by e-mail, " +
			"when the service sends mail (serve --smtp); none given or empty: nobody. One address, else 400 naming notificationEmail"),
		"retentionDays": oaNote("the profile's chats (messages, files, custom-field values, ratings) are deleted this many days " +
			"after they ended, by a background job on every node, 500 chats a transaction; 0 or none given: kept. At most 36500"),
		"language": oaOneOf("the language the widget speaks and the chat's system messages and flow texts are written in: "+
			"a language, or auto — the browser's preferred languages (navigator.languages, then Accept-Language), then "+
			"defaultLanguage; none given: auto. A chat keeps the language it started with", languageChoices(true)...),
		"defaultLanguage": oaOneOf("an auto profile's language for a browser that prefers none of the catalogue's; none given: en",
			languageChoices(false)...),
	})
}

// languageChoices are the catalogue's language codes, with auto first
// when withAuto.
func languageChoices(withAuto bool) []string {
	var out []string
	if withAuto {
		out = append(out, i18n.Auto)
	}
	for _, l := range i18n.Languages() {
		out = append(out, string(l))
	}
	return out
}

// oaComponents are the component schemas of the admin API's bodies.
func oaComponents() []oaComponent {
	readOnly := oaNote("read-only")
	times := map[string]jsonObj{"createdAt": readOnly, "updatedAt": readOnly}
	with := oaWith
	password := oaNote("10–72 bytes; required at creation, optional on update")
	profile := oaProfileNotes(times)
	field := with(times, map[string]jsonObj{
		"id":        readOnly,
		"entity":    oaOneOf("cannot change", store.EntityChat, store.EntityTicket),
		"name":      oaNote("database name: CF + letters/digits, unique per entity"),
		"label":     oaNote("unique per entity; claims and ticket sync match it exactly"),
		"type":      oaOneOf("", "text", "number", "boolean", "date", "choice"),
		"choices[]": oaRequired("value"),
	})
	ticketType := with(times, map[string]jsonObj{
		"id": readOnly, "name": oaNote("unique"), "fieldIds": oaNote("the ticket custom fields assigned, in order"),
		"fields": oaNote("read-only: the fields of fieldIds"),
	})
	client := with(times, map[string]jsonObj{
		"id": readOnly, "clientId": oaNote("chosen at creation or generated; cannot change"),
		"permissions[]": oaOneOf("", auth.Permissions()...),
		"profileIds":    oaNote("the chat profiles (ids) the client is bound to: its ChatMatchingData may be used on them, and with chats:* and tickets:* it reaches their chats and tickets; none: every profile"),
	})
	agent := with(times, map[string]jsonObj{
		"id": readOnly, "name": oaNote("shown to visitors"), "role": oaOneOf("", "agent", "admin"),
		"presence": oaOneOf("read-only", "offline", "online", "away"), "lastSeenAt": oaNote("read-only; null before the first login"),
		"maxChats": oaNote(fmt.Sprintf("the most chats the agent holds at once (live, or offered to them by an auto team): accepts, routing and transfers past it are refused; 1 to %d, default %d (0 on input: unchanged, or the default)", store.MaxMaxChats, store.DefaultMaxChats)),
	})
	team := with(times, map[string]jsonObj{
		"id": readOnly, "name": oaNote("unique"), "members": oaNote("the agents' ids"),
		"mode":          oaOneOf("manual: the team's own queue, which only its members see and accept from; auto: each chat is offered to the online member with the fewest open chats below their cap, who accepts it", protocol.TeamModeManual, protocol.TeamModeAuto),
		"acceptTimeout": oaNote("seconds a chat waits for an accept (in the queue, or offered to one member) before it goes to the next member or, when nobody can take it, to its fallback; 0 waits on. Default 60"),
	})
	chatFlow := with(times, map[string]jsonObj{
		"name": oaNote("unique"), "currentVersion": oaNote("0 until a version is saved"),
	})
	document := "the flow document (app/flow: name, startStep, nextStepNumber, defaultLanguage, steps; a step's texts, " +
		"a question's errorTexts and an option's labels translate its text by language — en, de, fr, es, pt, nl, ar — " +
		"and a chat reads them in its language, else the step's own text)"
	return append([]oaComponent{
		{"Error", reflect.TypeFor[protocol.ErrorBody](), []string{"error"}, map[string]jsonObj{
			"error":          oaRequired("code", "message"),
			"error.code":     oaNote("stable"),
			"error.message":  oaNote("for people; names the field"),
			"error.field":    oaNote("the field at fault, when the refusal names one"),
			"error.problems": oaNote("each problem of a refused bot flow document, with its step (FlowProblem)"),
		}},
		{"Me", reflect.TypeFor[protocol.Me](), nil, map[string]jsonObj{"role": oaOneOf("", "agent", "admin")}},
		{"LoginRequest", reflect.TypeFor[protocol.LoginRequest](), []string{"email", "password"}, nil},
		{"AgentLogin", reflect.TypeFor[protocol.AgentLogin](), nil, map[string]jsonObj{
			"token": oaNote("session token, also usable as a bearer token"), "expires_in": oaNote("seconds")}},

		{"ChatProfile", reflect.TypeFor[protocol.ChatProfile](), nil, profile},
		{"ChatProfileInput", reflect.TypeFor[protocol.ChatProfileInput](), []string{"name", "access"}, profile},
		{"Attachment", reflect.TypeFor[protocol.Attachment](), nil, map[string]jsonObj{
			"name":        oaNote("the file's name, cleaned (no path, no control characters, at most 200 bytes)"),
			"contentType": oaNote("sniffed from the bytes, never from the name"),
			"url":         oaNote("the visitor's download path (with the resume secret); agents and API clients read /api/Chat/{id}/attachments/{file}"),
		}},
		{"ProfileKey", reflect.TypeFor[protocol.ProfileKey](), nil, map[string]jsonObj{"key": oaNote("the new configKey")}},
		{"ProfileSecretInput", reflect.TypeFor[protocol.ProfileSecretInput](), nil, map[string]jsonObj{
			"kid":    oaNote("the key id tokens name in their kid header; a kid the profile lacks is added"),
			"secret": oaNote("at least 32 bytes; left out: a random one is made")}},
		{"ProfileSecret", reflect.TypeFor[protocol.ProfileSecret](), nil, map[string]jsonObj{
			"id": oaNote("the profile's"), "secret": oaNote("the new secret, shown this once")}},

		{"CustomField", reflect.TypeFor[protocol.CustomField](), nil, field},
		{"CustomFieldInput", reflect.TypeFor[protocol.CustomFieldInput](), []string{"entity", "name", "label", "type"}, field},

		{"TicketType", reflect.TypeFor[protocol.TicketType](), nil, ticketType},
		{"TicketTypeInput", reflect.TypeFor[protocol.TicketTypeInput](), []string{"name"}, ticketType},

		{"APIClient", reflect.TypeFor[protocol.APIClient](), nil, client},
		{"APIClientInput", reflect.TypeFor[protocol.APIClientInput](), []string{"name"}, client},
		{"APIClientWithSecret", reflect.TypeFor[protocol.APIClientWithSecret](), nil, with(client, map[string]jsonObj{"clientSecret": oaNote("shown once")})},

		{"Agent", reflect.TypeFor[protocol.Agent](), nil, agent},
		{"AgentInput", reflect.TypeFor[protocol.AgentInput](), []string{"email", "name", "role"}, with(agent, map[string]jsonObj{"password": password})},

		{"Team", reflect.TypeFor[protocol.Team](), nil, team},
		{"TeamInput", reflect.TypeFor[protocol.TeamInput](), []string{"name"}, team},

		{"ChatFlow", reflect.TypeFor[protocol.ChatFlow](), nil, chatFlow},
		{"ChatFlowDetail", reflect.TypeFor[protocol.ChatFlowDetail](), nil, with(chatFlow, map[string]jsonObj{
			"version": oaNote("the version of document"), "document": oaNote(document + "; null while the flow has no version"),
			"warnings": oaNote("doubtful but valid things app/flow noticed, for the editor to show"),
		})},
		{"ChatFlowCreate", reflect.TypeFor[protocol.ChatFlowCreate](), []string{"name"}, map[string]jsonObj{
			"document": oaNote("optional first version: " + document)}},
		{"ChatFlowSave", reflect.TypeFor[protocol.ChatFlowSave](), []string{"baseVersion", "document"}, map[string]jsonObj{
			"baseVersion": oaNote("the version the document was edited from (0 for none)"),
			"document":    oaNote("the new version's " + document), "name": oaNote("renames the flow when set"),
		}},
		{"ChatFlowVersion", reflect.TypeFor[protocol.ChatFlowVersion](), nil, map[string]jsonObj{"document": oaNote(document)}},
		{"FlowProblem", reflect.TypeFor[flow.Problem](), []string{"step", "message"}, map[string]jsonObj{
			"step": oaNote("step number; 0 for the flow as a whole"), "field": oaNote("JSON path within the step"),
		}},
	}, slices.Concat(oaUserComponents(times, password), oaRunbookComponents(times), webhookComponents(), auditComponents(), cannedComponents(times), reportComponents())...)
}

// oaUserComponents are the component schemas of /api/User (its export
// and erasure) and /api/ChatMatchingData.
func oaUserComponents(times map[string]jsonObj, password jsonObj) []oaComponent {
	readOnly := oaNote("read-only")
	user := oaWith(times, map[string]jsonObj{
		"id": readOnly, "email": oaNote("unique; the portal login"), "externalId": oaNote("the host system's id; unique when set"),
		"hasPassword": oaNote("read-only: can log in to the portal with a password"), "disabled": oaNote("no portal login"),
	})
	return []oaComponent{
		{"User", reflect.TypeFor[protocol.User](), nil, user},
		{"UserInput", reflect.TypeFor[protocol.UserInput](), []string{"email"}, oaWith(user, map[string]jsonObj{"password": password})},
		{"UserExport", reflect.TypeFor[protocol.UserExport](), nil, map[string]jsonObj{
			"chats":                      oaNote("the user's chats, oldest first"),
			"chats[].fields":             oaNote("the chat's custom-field values by field name"),
			"chats[].attachments[].file": oaNote("with ?files=1: the file's path in the zip"),
			"tickets":                    oaNote("tickets logged for the user or from their chats"),
			"mails":                      oaNote("the outbox's mails about the user (their chats' transcripts, their tickets' notifications) or to their address, sent or not"),
		}},
		{"UserErasure", reflect.TypeFor[protocol.UserErasure](), nil, map[string]jsonObj{
			"chats":    oaNote("the user's chats: kept (numbers, statuses, times) and emptied of what the other counts say"),
			"messages": oaNote("messages the visitor wrote, removed"),
			"tickets":  oaNote("tickets emptied: summary " + store.ErasedSummary + ", no transcript; number and status stay"),
			"mails":    oaNote("the outbox's mails about the user or to their address removed, sent or not"),
		}},

		{"ChatMatchingDataInput", reflect.TypeFor[protocol.ChatMatchingDataInput](), []string{"json_content"}, map[string]jsonObj{
			"json_content": oaNote("any properties, mapped with the profile's identity token mappings exactly as claims (chat custom fields included); at most 16 KiB"),
			"single_use":   oaNote("also expires at its first use"),
			"chatprofile_id": oaNote("this service's addition: the one chat profile the item may be used on, " +
				"one its API client may use (else 403); without it, the client's profileIds"),
		}},
		{"ChatMatchingData", reflect.TypeFor[protocol.ChatMatchingData](), []string{"guid", "key", "expires_at"}, map[string]jsonObj{
			"guid":       oaNote("the chatmatchingdataguid claim"),
			"key":        oaNote("the chatmatchingdatakey claim; shown once, stored hashed"),
			"expires_at": oaNote("24 hours after creation"),
		}},
	}
}

// oaRunbookComponents are the component schemas of /api/Runbook.
func oaRunbookComponents(times map[string]jsonObj) []oaComponent {
	runbook := oaWith(times, map[string]jsonObj{
		"id":                 oaNote("read-only: what a flow's runbook step names (a rename keeps flows working)"),
		"name":               oaNote("unique; the flow editor lists runbooks by name"),
		"url":                oaNote("absolute http or https URL; internal addresses only when the outbound allow-list opens them"),
		"timeoutSeconds":     oaNote("1 to 60"),
		"outputs":            oaNote("the mappings a flow's runbook step starts with when it picks the runbook (the step keeps its own copy)"),
		"outputs[]":          oaRequired("path", "variable", "type"),
		"outputs[].path":     oaNote(`a JSON path of the answer: "data.tier", "items[0].id"`),
		"outputs[].variable": oaNote("the flow variable set"),
		"outputs[].type":     oaOneOf("", "text", "number", "boolean", "date"),
	})
	return []oaComponent{
		{"Runbook", reflect.TypeFor[protocol.Runbook](), nil, runbook},
		{"RunbookInput", reflect.TypeFor[protocol.RunbookInput](), []string{"name", "url", "timeoutSeconds"}, runbook},
		{"RunbookWithSecret", reflect.TypeFor[protocol.RunbookWithSecret](), nil, oaWith(runbook, map[string]jsonObj{
			"secret": oaNote("signs every call (" + protocol.HeaderSignature + ": sha256=<hex HMAC-SHA256 of the body>); shown this once")})},
		{"RunbookTestInput", reflect.TypeFor[protocol.RunbookTestInput](), nil, map[string]jsonObj{
			"user": oaNote("the call's user attributes"), "chatFields": oaNote("chat custom field values by database name"),
			"variables": oaNote("flow variables: text, numbers or booleans"),
		}},
		{"RunbookTestResult", reflect.TypeFor[protocol.RunbookTestResult](), nil, map[string]jsonObj{
			"ok":        oaNote("a 2xx answer within the timeout whose outputs all map: a flow's success branch"),
			"status":    oaNote("the HTTP status answered; 0 when none came (refused by the outbound guard, timed out)"),
			"latencyMs": oaNote("from sending the call to reading the whole answer"),
			"answer":    oaNote("the answer's body as text"),
			"variables": oaNote("what the runbook's outputs would set, in order"),
			"error":     oaNote(`why a flow would take the failure branch; "" when ok`),
		}},
	}
}

// oaSchemas are the component schemas the routes name, made from
// oaComponents. An error names a note whose path is no property.
func oaSchemas(cs []oaComponent) (jsonObj, error) {
	refs := map[reflect.Type]string{}
	for _, c := range cs {
		if _, taken := refs[c.typ]; !taken {
			refs[c.typ] = c.name
		}
	}
	out := jsonObj{}
	for _, c := range cs {
		w := oaWalker{refs: refs, notes: c.notes, used: map[string]bool{}}
		s := w.schema(c.typ, "", true)
		if len(c.required) > 0 {
			s["required"] = c.required
		}
		for path := range c.notes {
			if !w.used[path] {
				return nil, fmt.Errorf("OpenAPI schema %s: a note names %q, which %s has no property at", c.name, path, c.typ)
			}
		}
		out[c.name] = s
	}
	return out, nil
}

// oaWalker makes the schema of one component.
type oaWalker struct {
	refs  map[reflect.Type]string // types that are components of their own
	notes map[string]jsonObj
	used  map[string]bool
}

var (
	timeType = reflect.TypeFor[time.Time]()
	rawType  = reflect.TypeFor[json.RawMessage]()
)

// schema is the schema of t at path (root: the component itself).
func (w *oaWalker) schema(t reflect.Type, path string, root bool) jsonObj {
	if t.Kind() == reflect.Pointer {
		return w.schema(t.Elem(), path, root)
	}
	var s jsonObj
	name, isRef := w.refs[t]
	switch {
	case isRef && !root:
		s = oaRef(name)
	case t == timeType:
		s = jsonObj{"type": "string", "format": "date-time"}
	case t == rawType:
		s = jsonObj{"type": "object"}
	case t.Kind() == reflect.String:
		s = jsonObj{"type": "string"}
	case t.Kind() == reflect.Bool:
		s = jsonObj{"type": "boolean"}
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		s = jsonObj{"type": "integer", "format": "int64"}
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		s = jsonObj{"type": "number"}
	case t.Kind() == reflect.Slice:
		s = jsonObj{"type": "array", "items": w.schema(t.Elem(), path+"[]", false)}
	case t.Kind() == reflect.Map:
		s = jsonObj{"type": "object", "additionalProperties": w.schema(t.Elem(), path+"{}", false)}
	case t.Kind() == reflect.Struct:
		props := jsonObj{}
		w.fields(t, path, props)
		s = jsonObj{"type": "object", "properties": props}
	default: // an interface: any JSON
		s = jsonObj{}
	}
	if n, ok := w.notes[path]; ok && !root {
		w.used[path] = true
		for k, v := range n {
			s[k] = v
		}
	}
	return s
}

// fields adds the JSON properties of struct t to props: an embedded
// struct's inline, as encoding/json writes them.
func (w *oaWalker) fields(t reflect.Type, path string, props jsonObj) {
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case name == "-" || (!f.IsExported() && !f.Anonymous):
			continue
		case f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct:
			w.fields(f.Type, path, props)
			continue
		case name == "":
			name = f.Name
		}
		at := name
		if path != "" {
			at = path + "." + name
		}
		props[name] = w.schema(f.Type, at, false)
	}
}
