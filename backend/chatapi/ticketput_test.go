package chatapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"halochat/app/protocol"
	"halochat/backend/store"
)

// ticketFieldsOfEveryType adds a number, a boolean and a date ticket
// field to the demo ticket type (beside its choice and text fields).
func (e *env) ticketFieldsOfEveryType() {
	e.t.Helper()
	ctx := context.Background()
	p, err := e.st.GetProfile(ctx, e.demo.Profile.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	have, err := e.st.TicketTypeFields(ctx, p.TicketTypeID)
	if err != nil {
		e.t.Fatal(err)
	}
	var ids []int64
	for _, f := range have {
		ids = append(ids, f.ID)
	}
	for _, f := range []store.CustomField{
		{Entity: store.EntityTicket, Name: "CFseats", Label: "Seats", Type: store.FieldNumber},
		{Entity: store.EntityTicket, Name: "CFurgent", Label: "Urgent", Type: store.FieldBoolean},
		{Entity: store.EntityTicket, Name: "CFdue", Label: "Due", Type: store.FieldDate},
		{Entity: store.EntityTicket, Name: "CFunassigned", Label: "Not of the type", Type: store.FieldText},
	} {
		if err := e.st.CreateCustomField(ctx, &f); err != nil {
			e.t.Fatal(err)
		}
		if f.Name != "CFunassigned" {
			ids = append(ids, f.ID)
		}
	}
	if err := e.st.SetTicketTypeFields(ctx, p.TicketTypeID, ids); err != nil {
		e.t.Fatal(err)
	}
}

// PUT /api/Tickets/{id} checks every value against its field's type: a
// refusal is a 422 naming the field and changes nothing; a change is
// stored in the field's canonical form, and null clears a value.
func TestTicketUpdateByFieldType(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		n := e.node(nodeOpts{})
		e.ticketFieldsOfEveryType()
		id := e.ticketFor(n.mustStart(protocol.StartChatRequest{}).ChatID)
		desk := n.apiClient("desk", []string{store.PermTicketsWrite, store.PermTicketsRead})
		path := fmt.Sprintf("/api/Tickets/%d", id)
		put := func(body string) (int, protocol.TicketDetail, protocol.ErrorBody) {
			r := desk.Do("PUT", path, body)
			var d protocol.TicketDetail
			var eb protocol.ErrorBody
			if r.Status == http.StatusOK {
				r.Decode(&d)
			} else {
				r.Decode(&eb)
			}
			return r.Status, d, eb
		}
		good := `{"status":"closed","fields":{"CFseats":"12","CFurgent":true,"CFdue":"2026-12-24","CFcustomerTier":"gold","CFaccountNumber":77}}`
		code, before, _ := put(good)
		want := map[string]string{"CFseats": "12", "CFurgent": "true", "CFdue": "2026-12-24", "CFcustomerTier": "gold", "CFaccountNumber": "77"}
		if code != http.StatusOK || before.Status != store.TicketClosed || !sameFields(before.Fields, want) {
			t.Fatalf("a good update: %d %+v", code, before)
		}
		for _, tc := range []struct{ name, body, field string }{
			{"a number", `{"fields":{"CFseats":"twelve"}}`, "fields.CFseats"},
			{"a boolean", `{"fields":{"CFurgent":"yes"}}`, "fields.CFurgent"},
			{"a date", `{"fields":{"CFdue":"2026-13-40"}}`, "fields.CFdue"},
			{"a choice", `{"fields":{"CFcustomerTier":"platinum"}}`, "fields.CFcustomerTier"},
			{"a text too long", fmt.Sprintf(`{"fields":{"CFaccountNumber":%q}}`, strings.Repeat("x", 4001)), "fields.CFaccountNumber"},
			{"a field the type lacks", `{"fields":{"CFunassigned":"x"}}`, "fields.CFunassigned"},
			{"an unknown field", `{"fields":{"CFnope":"x"}}`, "fields.CFnope"},
			{"a status", `{"status":"pending","fields":{"CFseats":1}}`, "status"},
			{"one bad among good ones", `{"status":"open","fields":{"CFseats":3,"CFurgent":false,"CFdue":"soon"}}`, "fields.CFdue"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				code, _, eb := put(tc.body)
				if code != http.StatusUnprocessableEntity || eb.Error.Field != tc.field {
					t.Fatalf("%d %+v, want 422 naming %s", code, eb, tc.field)
				}
				var now protocol.TicketDetail
				desk.For(t).Do("GET", path, nil).Expect(http.StatusOK).Decode(&now)
				if now.Status != before.Status || !sameFields(now.Fields, want) {
					t.Fatalf("a refused update changed the ticket: %+v", now)
				}
			})
		}
		code, after, _ := put(`{"status":"open","fields":{"CFseats":3.5,"CFurgent":null}}`)
		delete(want, "CFurgent")
		want["CFseats"] = "3.5"
		if code != http.StatusOK || after.Status != store.TicketOpen || !sameFields(after.Fields, want) {
			t.Fatalf("set and clear: %d %+v", code, after)
		}
		desk.Do("PUT", "/api/Tickets/999999", `{"status":"open"}`).Expect(http.StatusNotFound)
		reader := n.apiClient("reader", []string{store.PermTicketsRead})
		if _, msg := reader.Do("PUT", path, `{"status":"closed"}`).Expect(http.StatusForbidden).APIError(); msg != `this API client lacks the "tickets:write" permission` {
			t.Fatalf("refusal %q", msg)
		}
	})
}

// sameFields reports whether fields hold exactly want (name → value).
func sameFields(fields []protocol.TicketField, want map[string]string) bool {
	got := map[string]string{}
	for _, f := range fields {
		got[f.Name] = f.Value
	}
	a, _ := json.Marshal(got)
	b, _ := json.Marshal(want)
	return string(a) == string(b)
}
