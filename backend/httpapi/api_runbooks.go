package httpapi

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strings"

	"halochat/app/flow"
	"halochat/app/protocol"
	"halochat/backend/httpx"
	"halochat/backend/store"
)

// Runbooks (/api/Runbook): the outbound calls a flow's runbook step makes.
// Flows name a runbook by its id, which never changes, so a rename
// breaks no flow; the console lists runbooks by their unique name. The
// signing secret is answered by the create and by a rotation only.

func runbookRoutes(a *IdentityAPI, admin string) []apiRoute {
	rbs := a.runbooks()
	return []apiRoute{
		{"GET", "/api/Runbook", admin, "List runbooks by name (never their secrets)", "", "[]Runbook", 200, rbs.listAll},
		{"POST", "/api/Runbook", admin, "Create a runbook (its id is generated); the answer holds its signing secret, shown this once", "RunbookInput", "RunbookWithSecret", 201, rbs.createOne},
		{"GET", "/api/Runbook/{id}", admin, "Get a runbook (never its secret)", "", "Runbook", 200, rbs.getOne},
		{"PUT", "/api/Runbook/{id}", admin, "Update a runbook's name, URL, timeout and outputs (flows name it by id: a rename breaks none)", "RunbookInput", "Runbook", 200, rbs.updateOne},
		{"DELETE", "/api/Runbook/{id}", admin, "Delete a runbook (409 naming the flow and step while a flow's current version, or a version an open chat runs, calls it)", "", "", 204, rbs.deleteOne},
		{"POST", "/api/Runbook/{id}/secret", admin, "Replace a runbook's signing secret; the answer holds it, shown this once", "", "RunbookWithSecret", 200, a.rotateRunbookSecret},
		{"POST", "/api/Runbook/{id}/test", admin, "Call the runbook for real (signed, within its timeout, through the outbound guard) with sample chat data; answers the status, latency, answer and the variables its outputs would set, or the error", "RunbookTestInput", "RunbookTestResult", 200, a.testRunbook},
	}
}

func runbookJSON(rb *store.Runbook) protocol.Runbook {
	j := protocol.Runbook{ID: rb.ID, Name: rb.Name, URL: rb.URL, TimeoutSeconds: int(rb.TimeoutMS / 1000),
		Outputs: []flow.RunbookOutput(rb.Outputs), CreatedAt: rb.CreatedAt, UpdatedAt: rb.UpdatedAt}
	if rb.TimeoutMS == 0 {
		j.TimeoutSeconds = 10 // the runtime's default
	}
	if j.Outputs == nil {
		j.Outputs = []flow.RunbookOutput{}
	}
	return j
}

func runbookWithSecret(rb *store.Runbook) any {
	return protocol.RunbookWithSecret{Runbook: runbookJSON(rb), Secret: rb.Secret}
}

func (a *IdentityAPI) runbooks() resource[store.Runbook, protocol.RunbookInput, protocol.Runbook] {
	return resource[store.Runbook, protocol.RunbookInput, protocol.Runbook]{
		load:    a.runbook,
		list:    all(a.Store.ListRunbooks),
		show:    shown(runbookJSON),
		build:   a.buildRunbook,
		create:  a.Store.CreateRunbook,
		update:  a.Store.UpdateRunbook,
		created: runbookWithSecret,
		taken: func(rb *store.Runbook) error {
			return apiConflict("name: a runbook named %q exists", rb.Name)
		},
		remove: func(ctx context.Context, rb *store.Runbook) error {
			if err := a.runbookUnused(ctx, rb); err != nil {
				return err
			}
			return a.Store.DeleteRunbook(ctx, rb.ID)
		},
	}
}

// runbook finds the runbook the path's {id} names.
func (a *IdentityAPI) runbook(ctx context.Context, r *http.Request) (*store.Runbook, error) {
	id := r.PathValue("id")
	rb, err := a.Store.GetRunbook(ctx, id)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrInvalid) {
		return nil, apiNotFound("no runbook with id %q", id)
	}
	return rb, err
}

// buildRunbook validates in and returns the runbook to store: a new one
// when cur is nil (id and secret made by the store), else cur changed.
func (a *IdentityAPI) buildRunbook(ctx context.Context, cur *store.Runbook, in *protocol.RunbookInput) (*store.Runbook, error) {
	if cur == nil {
		if in.ID != "" {
			return nil, apiInvalid("id", "is made by the server: leave it out")
		}
		cur = &store.Runbook{}
	} else if in.ID != "" && in.ID != cur.ID {
		return nil, apiInvalid("id", "%q is not the id in the path (%q)", in.ID, cur.ID)
	}
	if err := checkRunbookInput(in); err != nil {
		return nil, err
	}
	other, err := a.Store.GetRunbookByName(ctx, in.Name)
	switch {
	case err == nil && other.ID != cur.ID:
		return nil, apiConflict("name: a runbook named %q exists (id %s)", in.Name, other.ID)
	case err != nil && !errors.Is(err, store.ErrNotFound):
		return nil, err
	}
	cur.Name, cur.URL, cur.TimeoutMS = in.Name, in.URL, int64(in.TimeoutSeconds)*1000
	cur.Outputs = store.RunbookOutputs(in.Outputs)
	return cur, nil
}

// checkRunbookInput checks a runbook's name, URL, timeout and outputs,
// naming the field at fault. The name is trimmed.
func checkRunbookInput(in *protocol.RunbookInput) error {
	if err := textField("name", in.Name, true, 200); err != nil {
		return err
	}
	in.Name = strings.TrimSpace(in.Name)
	if err := textField("url", in.URL, true, 2000); err != nil {
		return err
	}
	u, err := url.Parse(in.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return apiInvalid("url", "%q is not an absolute http or https URL without user info", in.URL)
	}
	if in.TimeoutSeconds < 1 || in.TimeoutSeconds > store.MaxRunbookTimeoutMS/1000 {
		return apiInvalid("timeoutSeconds", "%d is not 1 to %d", in.TimeoutSeconds, store.MaxRunbookTimeoutMS/1000)
	}
	if probs := flow.CheckRunbookOutputs(in.Outputs); len(probs) > 0 {
		return apiInvalid(probs[0].Field, "%s", probs[0].Message)
	}
	return nil
}

// runbookUnused refuses (409) while a flow version in use calls rb:
// every flow's current version, and the versions open chats run.
func (a *IdentityAPI) runbookUnused(ctx context.Context, rb *store.Runbook) error {
	versions, err := a.Store.FlowVersionsInUse(ctx)
	if err != nil {
		return err
	}
	var uses []string
	for _, fv := range versions {
		f, err := flow.Parse(fv.Document)
		if err != nil {
			return fmt.Errorf("read version %d of flow %d: %w", fv.Version, fv.FlowID, err)
		}
		for _, s := range f.Steps {
			if s.Kind == flow.KindRunbook && s.Runbook != nil && s.Runbook.Runbook == rb.ID {
				uses = append(uses, fmt.Sprintf("flow %q (id %d) version %d step %d", fv.FlowName, fv.FlowID, fv.Version, s.Number))
			}
		}
	}
	if len(uses) == 0 {
		return nil
	}
	return apiConflict("cannot delete runbook %q: it is called by %s; change the flow first (open chats keep the version they started on)",
		rb.Name, strings.Join(uses, ", "))
}

func (a *IdentityAPI) rotateRunbookSecret(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	rb, err := a.runbook(ctx, r)
	if err != nil {
		return err
	}
	rb.Secret = store.NewRunbookSecret()
	if err := a.Store.UpdateRunbook(ctx, rb); err != nil {
		return err
	}
	return writeOK(w, http.StatusOK, runbookWithSecret(rb))
}

// maxTestSample bounds the sample data's entries of each kind.
const maxTestSample = 200

func (a *IdentityAPI) testRunbook(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	rb, err := a.runbook(ctx, r)
	if err != nil {
		return err
	}
	var in protocol.RunbookTestInput
	if err := httpx.ReadJSON(w, r, maxAdminBody, &in); err != nil {
		return err
	}
	if err := checkTestSample(&in); err != nil {
		return err
	}
	if a.Runbooks == nil {
		return errors.New("test a runbook: the server has no runbook client") // a wiring mistake: 500
	}
	return writeOK(w, http.StatusOK, a.Runbooks.TestRunbook(ctx, rb, in, a.Store.Now()))
}

// checkTestSample checks the sample chat data: text keys and values, and
// variables whose values are text, numbers or booleans.
func checkTestSample(in *protocol.RunbookTestInput) error {
	for _, m := range []struct {
		field string
		vals  map[string]string
	}{{"user", in.User}, {"chatFields", in.ChatFields}} {
		if len(m.vals) > maxTestSample {
			return apiInvalid(m.field, "holds more than %d entries", maxTestSample)
		}
		for k, v := range m.vals {
			if err := textField(m.field+"."+k, k, true, 200); err != nil {
				return err
			}
			if err := textField(m.field+"."+k, v, false, 2000); err != nil {
				return err
			}
		}
	}
	if len(in.Variables) > maxTestSample {
		return apiInvalid("variables", "holds more than %d entries", maxTestSample)
	}
	for k, v := range in.Variables {
		if err := textField("variables."+k, k, true, flow.MaxVariableName); err != nil {
			return err
		}
		switch x := v.(type) {
		case string, bool:
		case float64:
			if math.IsInf(x, 0) || math.IsNaN(x) {
				return apiInvalid("variables."+k, "is not a finite number")
			}
		default:
			return apiInvalid("variables."+k, "must be text, a number or a boolean")
		}
	}
	return nil
}
