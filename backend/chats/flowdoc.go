package chats

import (
	"halochat/app/flow"
	"halochat/backend/store"
)

// FlowSchema is the flow engine's schema of the given chat custom fields.
func FlowSchema(defs []store.CustomField) flow.Schema {
	var s flow.Schema
	for _, d := range defs {
		fd := flow.FieldDef{Name: d.Name, Label: d.Label, Type: flow.Type(d.Type)}
		for _, c := range d.Choices {
			fd.Choices = append(fd.Choices, c.Value)
		}
		s.ChatFields = append(s.ChatFields, fd)
	}
	return s
}

// StepIndex lists a validated flow's steps for the store's index: kind,
// the start flag, and the chat custom fields (by database name) that a
// condition reads.
func StepIndex(f *flow.Flow, schema flow.Schema) []store.FlowStep {
	rows := make([]store.FlowStep, 0, len(f.Steps))
	for _, s := range f.Steps {
		row := store.FlowStep{Step: int64(s.Number), Kind: string(s.Kind), CanStart: s.CanStart}
		if s.Condition != nil {
			for _, c := range s.Condition.Criteria {
				if c.Field.Source != flow.SourceChat {
					continue
				}
				if d, ok := schema.ChatField(c.Field.Name); ok {
					row.Fields = append(row.Fields, d.Name)
				}
			}
		}
		rows = append(rows, row)
	}
	return rows
}
