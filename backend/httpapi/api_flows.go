package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"halochat/app/flow"
	"halochat/app/protocol"
	"halochat/backend/chats"
	"halochat/backend/httpx"
	"halochat/backend/store"
)

// Bot flows (docs/CONTRACT.md#step-rules): a flow is a name and a list of
// immutable versions. Saving (PUT) makes a new version from the version the
// editor started from; a save based on an older version is refused (409), so
// no admin overwrites another's work unseen. Every version is validated with
// app/flow against the chat custom fields, and against the previous version
// so that no step number is ever reused.

// maxFlowBody bounds a flow save: the document plus its envelope.
const maxFlowBody = flow.MaxDocumentSize + 4<<10

// flowInvalid is an invalid_request that lists every problem with its
// step number ({"error":{"code","message","problems":[{"step","field","message"}]}}).
func flowInvalid(problems []flow.Problem) *protocol.APIError {
	return &protocol.APIError{Code: protocol.CodeInvalidRequest,
		Message: (&flow.ValidationError{Problems: problems}).Error(), Problems: problems}
}

func flowRoutes(a *IdentityAPI, admin string) []apiRoute {
	return []apiRoute{
		{"GET", "/api/ChatFlow", admin, "List bot flows", "", "[]ChatFlow", 200, a.listFlows},
		{"POST", "/api/ChatFlow", admin, "Create a bot flow, optionally with its first version's document", "ChatFlowCreate", "ChatFlowDetail", 201, a.createFlow},
		{"GET", "/api/ChatFlow/{id}", admin, "Get a bot flow with its current version's document", "", "ChatFlowDetail", 200, a.getFlow},
		{"PUT", "/api/ChatFlow/{id}", admin, "Save a new version of a flow (400 lists each problem with its step; 409 when baseVersion is not the current version)", "ChatFlowSave", "ChatFlowDetail", 200, a.saveFlow},
		{"GET", "/api/ChatFlow/{id}/versions/{v}", admin, "Get one saved version of a flow", "", "ChatFlowVersion", 200, a.getFlowVersion},
	}
}

func flowJSON(f *store.Flow) protocol.ChatFlow {
	return protocol.ChatFlow{ID: f.ID, Name: f.Name, CurrentVersion: f.CurrentVersion, CreatedAt: f.CreatedAt, UpdatedAt: f.UpdatedAt}
}

// listFlows answers the flows without their documents.
func (a *IdentityAPI) listFlows(w http.ResponseWriter, r *http.Request) error {
	return resource[store.Flow, struct{}, protocol.ChatFlow]{list: all(a.Store.ListFlows), show: shown(flowJSON)}.listAll(w, r)
}

func (a *IdentityAPI) flowByID(ctx context.Context, r *http.Request) (*store.Flow, error) {
	return byPathID(ctx, r, "bot flow", a.Store.GetFlow)
}

// chatSchema is what flows are validated against: the chat custom fields.
func (a *IdentityAPI) chatSchema(ctx context.Context) (flow.Schema, error) {
	defs, err := a.Store.ListCustomFields(ctx, store.EntityChat)
	if err != nil {
		return flow.Schema{}, err
	}
	return flow.SchemaOf(defs), nil
}

// detail answers a flow with its current version.
func (a *IdentityAPI) detail(ctx context.Context, f *store.Flow) (protocol.ChatFlowDetail, error) {
	d := protocol.ChatFlowDetail{ChatFlow: flowJSON(f), Document: json.RawMessage("null"), Warnings: []flow.Problem{}}
	if f.CurrentVersion == 0 {
		return d, nil
	}
	fv, err := a.Store.GetFlowVersion(ctx, f.ID, f.CurrentVersion)
	if err != nil {
		return d, err
	}
	d.Version, d.Document = fv.Version, json.RawMessage(fv.Document)
	if parsed, err := flow.Parse(fv.Document); err == nil {
		if schema, err := a.chatSchema(ctx); err == nil {
			if w := parsed.Warnings(schema); len(w) > 0 {
				d.Warnings = w
			}
		}
	}
	return d, nil
}

func (a *IdentityAPI) getFlow(w http.ResponseWriter, r *http.Request) error {
	return answerOne(w, r, a.flowByID, a.detail)
}

func (a *IdentityAPI) getFlowVersion(w http.ResponseWriter, r *http.Request) error {
	f, err := a.flowByID(r.Context(), r)
	if err != nil {
		return err
	}
	v, err := strconv.ParseInt(r.PathValue("v"), 10, 64)
	if err != nil || v < 1 {
		return apiNotFound("no version %q of flow %d", r.PathValue("v"), f.ID)
	}
	fv, err := a.Store.GetFlowVersion(r.Context(), f.ID, v)
	if errors.Is(err, store.ErrNotFound) {
		return apiNotFound("flow %d has no version %d (current: %d)", f.ID, v, f.CurrentVersion)
	}
	if err != nil {
		return err
	}
	return writeOK(w, http.StatusOK, protocol.ChatFlowVersion{FlowID: f.ID, Version: fv.Version, Document: json.RawMessage(fv.Document), CreatedAt: fv.CreatedAt})
}

func (a *IdentityAPI) createFlow(w http.ResponseWriter, r *http.Request) error {
	var in protocol.ChatFlowCreate
	if err := httpx.ReadJSON(w, r, maxFlowBody, &in); err != nil {
		return err
	}
	if err := textField("name", in.Name, true, 200); err != nil {
		return err
	}
	var doc []byte
	var steps []store.FlowStep
	if len(in.Document) > 0 && string(in.Document) != "null" {
		var err error
		if doc, steps, err = a.checkFlow(r.Context(), in.Document, nil); err != nil {
			return err
		}
	}
	f := &store.Flow{Name: in.Name}
	if err := a.Store.CreateFlow(r.Context(), f); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return apiConflict("name: a bot flow named %q exists", in.Name)
		}
		return err
	}
	if doc != nil {
		if _, err := a.Store.CreateFlowVersion(r.Context(), f.ID, 0, doc, steps); err != nil {
			return err
		}
		f.CurrentVersion = 1
	}
	return answer(w, r.Context(), http.StatusCreated, f, a.detail)
}

func (a *IdentityAPI) saveFlow(w http.ResponseWriter, r *http.Request) error {
	f, err := a.flowByID(r.Context(), r)
	if err != nil {
		return err
	}
	var in protocol.ChatFlowSave
	if err := httpx.ReadJSON(w, r, maxFlowBody, &in); err != nil {
		return err
	}
	if in.BaseVersion != f.CurrentVersion {
		return apiConflict("baseVersion: the flow is at version %d, not %d: someone saved it since; reload it and edit again", f.CurrentVersion, in.BaseVersion)
	}
	if in.Name != "" && in.Name != f.Name {
		if err := textField("name", in.Name, true, 200); err != nil {
			return err
		}
	}
	var prev *flow.Flow
	if f.CurrentVersion > 0 {
		fv, err := a.Store.GetFlowVersion(r.Context(), f.ID, f.CurrentVersion)
		if err != nil {
			return err
		}
		if prev, err = flow.Parse(fv.Document); err != nil {
			return fmt.Errorf("read version %d of flow %d: %w", fv.Version, f.ID, err)
		}
	}
	doc, steps, err := a.checkFlow(r.Context(), in.Document, prev)
	if err != nil {
		return err
	}
	if _, err := a.Store.CreateFlowVersion(r.Context(), f.ID, in.BaseVersion, doc, steps); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return apiConflict("baseVersion: someone saved the flow since version %d; reload it and edit again", in.BaseVersion)
		}
		return err
	}
	if in.Name != "" && in.Name != f.Name {
		if err := a.Store.RenameFlow(r.Context(), f.ID, in.Name); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return apiConflict("name: a bot flow named %q exists", in.Name)
			}
			return err
		}
	}
	if f, err = a.Store.GetFlow(r.Context(), f.ID); err != nil {
		return err
	}
	return answer(w, r.Context(), http.StatusOK, f, a.detail)
}

// checkFlow parses and validates a document (against prev, the current
// version, when there is one) and returns it normalised with its step
// index, or a flowInvalid refusal listing every problem.
func (a *IdentityAPI) checkFlow(ctx context.Context, raw json.RawMessage, prev *flow.Flow) ([]byte, []store.FlowStep, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil, apiInvalid("document", "is required")
	}
	schema, err := a.chatSchema(ctx)
	if err != nil {
		return nil, nil, err
	}
	var probs []flow.Problem
	f, err := flow.Parse(raw)
	var ve *flow.ValidationError
	if errors.As(err, &ve) {
		// Well-formed JSON with structural problems: validate it whole
		// anyway, so the editor learns every problem in one save.
		probs = ve.Problems
		f = new(flow.Flow)
		if json.Unmarshal(raw, f) != nil {
			return nil, nil, asFlowInvalid(err)
		}
	} else if err != nil {
		return nil, nil, asFlowInvalid(err)
	}
	if err := f.Validate(schema); err != nil {
		var ve *flow.ValidationError
		if !errors.As(err, &ve) {
			return nil, nil, asFlowInvalid(err)
		}
		probs = append(probs, ve.Problems...)
	}
	if prev != nil {
		var ve *flow.ValidationError
		if err := flow.ValidateSuccessor(prev, f); errors.As(err, &ve) {
			probs = append(probs, ve.Problems...)
		}
	}
	if len(probs) > 0 {
		return nil, nil, flowInvalid(dedupeProblems(probs))
	}
	doc, err := flow.Marshal(f)
	if err != nil {
		return nil, nil, err
	}
	return doc, chats.StepIndex(f, schema), nil
}

func asFlowInvalid(err error) error {
	var ve *flow.ValidationError
	if errors.As(err, &ve) {
		return flowInvalid(ve.Problems)
	}
	return flowInvalid([]flow.Problem{{Message: err.Error()}})
}

// dedupeProblems drops repeated problems, keeping the first's place.
func dedupeProblems(probs []flow.Problem) []flow.Problem {
	seen := make(map[flow.Problem]bool, len(probs))
	out := probs[:0:0]
	for _, p := range probs {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}
