package chats

import (
	"halochat/app/flow"
	"halochat/backend/store"
)

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
