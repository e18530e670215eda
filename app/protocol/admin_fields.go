package protocol

import (
	"time"

	"halochat/app/flow"
)

// The admin REST API's custom fields (/api/CustomField) and ticket types
// (/api/TicketType).

// CustomField is a custom field as the admin API shows it: the flow
// engine's definition (name, label, type, choices) with the field's id,
// entity and times. Its FieldDef is the engine's, so the console checks
// flows against the fields the API answers as the server does.
type CustomField struct {
	ID     int64  `json:"id"`
	Entity string `json:"entity"` // "chat" | "ticket"
	flow.CustomField
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// CustomFieldInput is what POST and PUT take; id and the times are
// read-only, and entity cannot change.
type CustomFieldInput struct {
	CustomField
}

// TicketType is a ticket type with its assigned ticket fields.
type TicketType struct {
	ID        int64         `json:"id"`
	Name      string        `json:"name"`
	FieldIDs  []int64       `json:"fieldIds"`
	Fields    []CustomField `json:"fields"`
	CreatedAt time.Time     `json:"createdAt"`
	UpdatedAt time.Time     `json:"updatedAt"`
}

// TicketTypeInput is what POST and PUT take: the name and the ids of the
// ticket custom fields assigned, in order. id, fields and the times are
// read-only.
type TicketTypeInput struct {
	TicketType
}
