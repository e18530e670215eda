package flow

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// CheckRunbookOutputs checks a runbook's own output mappings (the
// defaults a runbook step starts from): each path, variable and type as
// a step's, at most MaxOutputs, and no variable set twice. Problems name
// their field "outputs[j].path" and so on (step 0).
func CheckRunbookOutputs(outs []RunbookOutput) []Problem {
	var probs []Problem
	add := func(step int, field, format string, args ...any) {
		probs = append(probs, Problem{Step: step, Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if len(outs) > MaxOutputs {
		add(0, "outputs", "%d outputs, more than %d", len(outs), MaxOutputs)
	}
	checkOutputs(0, "", outs, add)
	seen := map[string]int{}
	for j, o := range outs {
		if k, ok := seen[o.Variable]; ok && o.Variable != "" {
			add(0, "outputs["+itoa(j)+"].variable", "variable %q is set by outputs[%d] already", o.Variable, k)
		}
		seen[o.Variable] = j
	}
	return probs
}

// MapRunbookAnswer maps a runbook's JSON answer through outs as a runbook
// step does: every output's value in order, or an error saying why none
// is set (the step's failure branch). outs must pass CheckRunbookOutputs.
func MapRunbookAnswer(outs []RunbookOutput, body []byte) ([]Value, error) {
	paths := make([][]pathElem, len(outs))
	for i, o := range outs {
		p, err := parsePath(o.Path)
		if err != nil {
			return nil, fmt.Errorf("outputs[%d].path: %w", i, err)
		}
		paths[i] = p
	}
	return mapAnswer(outs, paths, body)
}

// mapAnswer reads each output's path of the JSON answer body as its
// type: all values or an error.
func mapAnswer(outs []RunbookOutput, paths [][]pathElem, body []byte) ([]Value, error) {
	if len(outs) == 0 {
		return nil, nil
	}
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	var doc any
	if err := d.Decode(&doc); err != nil {
		return nil, errors.New("not JSON")
	}
	if !jsonSpace(body[d.InputOffset():]) {
		return nil, errors.New("data after the JSON value")
	}
	vals := make([]Value, len(outs))
	for i, o := range outs {
		x, found := lookupPath(doc, paths[i])
		if !found {
			return nil, fmt.Errorf("%s: missing", o.Path)
		}
		v, err := valueFromAny(o.Type, x)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", o.Path, err)
		}
		vals[i] = v
	}
	return vals, nil
}
