package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"halochat/app/protocol"
	"halochat/backend/auth"
	"halochat/backend/httpx"
	"halochat/backend/identity"
	"halochat/backend/store"
)

// createMatchingData is POST /api/ChatMatchingData: 201 with one
// {guid, key, expires_at, single_use} per item, in order. Each item is
// bound to chat profiles (bindMatchingData).
func (a *IdentityAPI) createMatchingData(w http.ResponseWriter, r *http.Request) error {
	body, err := httpx.ReadBody(w, r, maxMatchingBody)
	if err != nil {
		return err
	}
	items, err := parseMatchingBody(body)
	if err != nil {
		return err
	}
	client := auth.ClientFrom(r.Context())
	if err := a.bindMatchingData(r.Context(), client, items); err != nil {
		return err
	}
	var clientID int64
	if client != nil {
		clientID = client.ID
	}
	made, err := identity.CreateMatchingData(r.Context(), a.Store, clientID, items)
	if err != nil {
		return err
	}
	out := make([]protocol.ChatMatchingData, len(made))
	for i, m := range made {
		out[i] = protocol.ChatMatchingData{GUID: m.GUID, Key: m.Key, ExpiresAt: m.ExpiresAt, SingleUse: m.SingleUse}
	}
	return writeOK(w, http.StatusCreated, out)
}

// parseMatchingBody checks the shape of a ChatMatchingData body: an array
// of 1 to MaxMatchingItems objects, each with an object json_content of
// at most MaxMatchingContentBytes, an optional boolean single_use, an
// optional chatprofile_id (returned as the item's one ProfileIDs), and
// nothing else.
func parseMatchingBody(body []byte) ([]identity.NewMatchingData, error) {
	const shape = `the body must be an array of objects like [{"json_content": {"firstname": "John"}, "single_use": false}]`
	if !utf8.Valid(body) {
		return nil, apiInvalid("", "the body is not valid UTF-8")
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) || len(bytes.TrimSpace(body)) == 0 {
			return nil, apiInvalid("", "the body is not valid JSON: %s", shape)
		}
		return nil, apiInvalid("", "%s", shape)
	}
	if raw == nil {
		return nil, apiInvalid("", "%s", shape)
	}
	if len(raw) == 0 {
		return nil, apiInvalid("", "the array is empty: send at least one item")
	}
	if len(raw) > identity.MaxMatchingItems {
		return nil, apiTooLarge("%d items: at most %d per request", len(raw), identity.MaxMatchingItems)
	}
	items := make([]identity.NewMatchingData, len(raw))
	for i, it := range raw {
		at := fmt.Sprintf("[%d]", i)
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(it, &fields); err != nil || fields == nil {
			return nil, apiInvalid(at, "is not an object: %s", shape)
		}
		for name := range fields {
			if name != "json_content" && name != "single_use" && name != "chatprofile_id" {
				return nil, apiInvalid(at+"."+name, "unknown field (an item has json_content, single_use and chatprofile_id)")
			}
		}
		content, ok := fields["json_content"]
		if !ok {
			return nil, apiInvalid(at+".json_content", "is missing")
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(content, &obj); err != nil || obj == nil {
			return nil, apiInvalid(at+".json_content", "must be a JSON object")
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, content); err != nil {
			return nil, apiInvalid(at+".json_content", "is not valid JSON")
		}
		if compact.Len() > identity.MaxMatchingContentBytes {
			return nil, apiTooLarge("%s.json_content: %d bytes, at most %d", at, compact.Len(), identity.MaxMatchingContentBytes)
		}
		if bytes.Contains(compact.Bytes(), []byte(`\u0000`)) {
			return nil, apiInvalid(at+".json_content", "holds a NUL character")
		}
		items[i].Content = compact.Bytes()
		if su, ok := fields["single_use"]; ok && string(su) != "null" {
			if err := json.Unmarshal(su, &items[i].SingleUse); err != nil {
				return nil, apiInvalid(at+".single_use", "must be true or false")
			}
		}
		if p, ok := fields["chatprofile_id"]; ok && string(p) != "null" {
			var id string
			if err := json.Unmarshal(p, &id); err != nil || id == "" || len(id) > 200 || strings.ContainsRune(id, 0) {
				return nil, apiInvalid(at+".chatprofile_id", "must be the id of a chat profile (its configId)")
			}
			items[i].ProfileIDs = []string{id}
		}
	}
	return items, nil
}

// bindMatchingData binds each item to the chat profiles it may be used
// on: the one it names (chatprofile_id, which must exist and which the
// API client must be allowed to use), else the API client's profiles
// (none listed: every profile). Without an API client (an admin's
// session) an item binds to the profile it names, else to every one.
func (a *IdentityAPI) bindMatchingData(ctx context.Context, client *store.APIClient, items []identity.NewMatchingData) error {
	for i := range items {
		at := fmt.Sprintf("[%d].chatprofile_id", i)
		if len(items[i].ProfileIDs) == 0 {
			if client != nil {
				items[i].ProfileIDs = client.ProfileIDs
			}
			continue
		}
		id := items[i].ProfileIDs[0]
		if err := a.profileExists(ctx, id); err != nil {
			return named(at, err)
		}
		if client != nil && !client.MayUseProfile(id) {
			return apiForbidden(at, "API client %q may not use chat profile %q (an admin sets its profileIds)", client.ClientID, id)
		}
	}
	return nil
}
