package flow

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
)

// Limits of a flow document.
const (
	MaxDocumentSize  = 1 << 20       // bytes of JSON
	MaxSteps         = 1000          // steps in a flow
	MaxStepNumber    = 1_000_000_000 // highest NextStepNumber
	MaxTextLength    = 10_000        // bytes of a text, summary or error text
	MaxNameLength    = 200           // bytes of a flow name, title, choice label or runbook id
	MaxOptions       = 100           // options of a choice step
	MaxCriteria      = 100           // criteria of a condition
	MaxValues        = 100           // values of a one_of criterion
	MaxOutputs       = 100           // outputs of a runbook step
	MaxPatternLength = 1000          // bytes of a question's pattern
	MaxVariableName  = 64            // bytes of a variable name
	MaxAnswerLength  = 4000          // characters of a question's answer
	maxJSONDepth     = 32
)

// Parse decodes a flow document strictly and checks its structure.
//
// Refused: more than MaxDocumentSize bytes, invalid JSON, unknown or
// duplicate object keys, data after the document, more than MaxSteps
// steps, and every problem Validate finds that does not need the chat
// custom fields (those are checked by Validate or Compile with the
// schema). Note: as with encoding/json, keys match field names without
// regard to case. Empty lists are normalised to absent, so that what
// Parse accepts re-encodes (Marshal) and re-parses to an equal Flow.
func Parse(data []byte) (*Flow, error) {
	if len(data) > MaxDocumentSize {
		return nil, fmt.Errorf("flow document is %d bytes, more than %d", len(data), MaxDocumentSize)
	}
	if err := checkKeys(data); err != nil {
		return nil, fmt.Errorf("flow document: %w", err)
	}
	d := json.NewDecoder(bytes.NewReader(data))
	d.DisallowUnknownFields()
	var f Flow
	if err := d.Decode(&f); err != nil {
		return nil, fmt.Errorf("flow document: %w", err)
	}
	if !jsonSpace(data[d.InputOffset():]) {
		return nil, errors.New("flow document: data after the JSON object")
	}
	if len(f.Steps) > MaxSteps {
		return nil, fmt.Errorf("flow document has %d steps, more than %d", len(f.Steps), MaxSteps)
	}
	f.normalise()
	if _, probs := compile(&f, nil); len(probs) > 0 {
		return nil, &ValidationError{Problems: probs}
	}
	return &f, nil
}

// Marshal encodes a flow as an indented JSON document (HTML characters
// not escaped, a final newline) that Parse reads back to an equal Flow.
func Marshal(f *Flow) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(f); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// normalise turns empty lists into nil, the form Marshal omits.
func (f *Flow) normalise() {
	if len(f.Steps) == 0 {
		f.Steps = nil
	}
	for i := range f.Steps {
		s := &f.Steps[i]
		s.Texts = nilIfEmpty(s.Texts)
		if s.Question != nil {
			s.Question.ErrorTexts = nilIfEmpty(s.Question.ErrorTexts)
		}
		if s.Choice != nil && len(s.Choice.Options) == 0 {
			s.Choice.Options = nil
		}
		if s.Choice != nil {
			for j := range s.Choice.Options {
				s.Choice.Options[j].Labels = nilIfEmpty(s.Choice.Options[j].Labels)
			}
		}
		if s.Condition != nil {
			if len(s.Condition.Criteria) == 0 {
				s.Condition.Criteria = nil
			}
			for j := range s.Condition.Criteria {
				if len(s.Condition.Criteria[j].Values) == 0 {
					s.Condition.Criteria[j].Values = nil
				}
			}
		}
		if s.Runbook != nil && len(s.Runbook.Outputs) == 0 {
			s.Runbook.Outputs = nil
		}
	}
}

// nilIfEmpty is m, or nil when it holds nothing (the form Marshal omits).
func nilIfEmpty(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}

// checkKeys walks the JSON tokens and refuses duplicate keys in an
// object (encoding/json would silently keep the last) and nesting deeper
// than a flow document ever needs.
func checkKeys(data []byte) error {
	d := json.NewDecoder(bytes.NewReader(data))
	type frame struct {
		object bool
		keys   map[string]bool
		key    bool // next string token in this object is a key
	}
	var stack []frame
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		var top *frame
		if len(stack) > 0 {
			top = &stack[len(stack)-1]
		}
		if delim, ok := tok.(json.Delim); ok {
			switch delim {
			case '{', '[':
				if top != nil && top.object {
					top.key = true
				}
				if len(stack) >= maxJSONDepth {
					return fmt.Errorf("nested deeper than %d", maxJSONDepth)
				}
				stack = append(stack, frame{object: delim == '{', key: delim == '{'})
			case '}', ']':
				stack = stack[:len(stack)-1]
			}
			continue
		}
		if top == nil || !top.object {
			continue
		}
		if top.key {
			k, _ := tok.(string)
			k = strings.ToLower(k) // encoding/json matches keys regardless of case
			if top.keys == nil {
				top.keys = make(map[string]bool)
			}
			if top.keys[k] {
				return fmt.Errorf("duplicate key %q", k)
			}
			top.keys[k] = true
			top.key = false
		} else {
			top.key = true
		}
	}
}

// ValidateSuccessor checks that next may be saved as the version after
// prev: NextStepNumber never goes down, and no step of next has a number
// below prev.NextStepNumber that prev did not have (a deleted step's
// number is never reused, since host pages may still name it). It does
// not validate next itself: call Validate as well.
func ValidateSuccessor(prev, next *Flow) error {
	var probs []Problem
	if next.NextStepNumber < prev.NextStepNumber {
		probs = append(probs, Problem{Field: "nextStepNumber", Message: fmt.Sprintf("nextStepNumber %d is below the previous version's %d: step numbers would be reused", next.NextStepNumber, prev.NextStepNumber)})
	}
	had := make(map[int]bool, len(prev.Steps))
	for _, s := range prev.Steps {
		had[s.Number] = true
	}
	for _, s := range next.Steps {
		if s.Number > 0 && s.Number < prev.NextStepNumber && !had[s.Number] {
			probs = append(probs, Problem{Step: s.Number, Field: "number", Message: fmt.Sprintf("step number %d was deleted in an earlier version and cannot be reused", s.Number)})
		}
	}
	if len(probs) > 0 {
		return &ValidationError{Problems: probs}
	}
	return nil
}

// Clone returns a deep copy of f.
func (f *Flow) Clone() *Flow {
	g := *f
	g.Steps = slices.Clone(f.Steps)
	for i := range g.Steps {
		s := &g.Steps[i]
		s.Texts = maps.Clone(s.Texts)
		s.Question = cloned(s.Question, func(q *Question) {
			q.Validation.Min = cloned(q.Validation.Min, nil)
			q.Validation.Max = cloned(q.Validation.Max, nil)
			q.ErrorTexts = maps.Clone(q.ErrorTexts)
		})
		s.Choice = cloned(s.Choice, func(c *ChoiceStep) {
			c.Options = slices.Clone(c.Options)
			for j := range c.Options {
				c.Options[j].Labels = maps.Clone(c.Options[j].Labels)
			}
		})
		s.Condition = cloned(s.Condition, func(c *Condition) {
			c.Criteria = slices.Clone(c.Criteria)
			for j := range c.Criteria {
				c.Criteria[j].Values = slices.Clone(c.Criteria[j].Values)
			}
		})
		s.Ticket = cloned(s.Ticket, nil)
		s.Runbook = cloned(s.Runbook, func(r *RunbookStep) { r.Outputs = slices.Clone(r.Outputs) })
		s.Transfer = cloned(s.Transfer, nil)
	}
	return &g
}

// cloned returns a copy of *p (nil for nil), with deep, when set, copying
// what the copy would otherwise share with *p.
func cloned[T any](p *T, deep func(*T)) *T {
	if p == nil {
		return nil
	}
	c := *p
	if deep != nil {
		deep(&c)
	}
	return &c
}
