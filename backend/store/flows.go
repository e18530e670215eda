package store

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// Flow is a bot flow. Its content lives in immutable [FlowVersion]s; a
// chat pins the version it started on.
type Flow struct {
	bun.BaseModel `bun:"table:flows,alias:f"`

	ID             int64     `bun:"id,pk,autoincrement"`
	Name           string    `bun:"name"`            // unique
	CurrentVersion int64     `bun:"current_version"` // 0 until the first version is saved
	CreatedAt      time.Time `bun:"created_at"`
	UpdatedAt      time.Time `bun:"updated_at"`
}

// FlowVersion is one saved, immutable version of a flow. The document is
// opaque to the store (app/flow defines it).
type FlowVersion struct {
	bun.BaseModel `bun:"table:flow_versions,alias:fv"`

	FlowID    int64     `bun:"flow_id,pk"`
	Version   int64     `bun:"version,pk"` // 1, 2, …
	Document  RawJSON   `bun:"document"`
	CreatedAt time.Time `bun:"created_at"`
}

// FlowStep indexes one step of a flow version, written with the version,
// so the server can ask "may a chat start at step N" and "which steps use
// chat field X" without decoding documents.
type FlowStep struct {
	bun.BaseModel `bun:"table:flow_steps,alias:fs"`

	FlowID   int64  `bun:"flow_id,pk"` // set by CreateFlowVersion
	Version  int64  `bun:"version,pk"` // set by CreateFlowVersion
	Step     int64  `bun:"step,pk"`    // the public step number, ≥ 1
	Kind     string `bun:"kind"`       // the step kind, as app/flow names it
	CanStart bool   `bun:"can_start"`  // "Chat can start from this step"
	// Fields are the chat custom field database names the step reads
	// (condition steps). Stored in flow_step_fields.
	Fields []string `bun:"-"`
}

// flowStepField is one (step, chat field name) pair of a flow version.
type flowStepField struct {
	bun.BaseModel `bun:"table:flow_step_fields,alias:fsf"`

	FlowID    int64  `bun:"flow_id,pk"`
	Version   int64  `bun:"version,pk"`
	Step      int64  `bun:"step,pk"`
	FieldName string `bun:"field_name,pk"`
}

// FlowStepRef names a step of a flow version.
type FlowStepRef struct {
	FlowID   int64  `bun:"flow_id"`
	FlowName string `bun:"flow_name"`
	Version  int64  `bun:"version"`
	Step     int64  `bun:"step"`
}

// CreateFlow stores a new flow with no version yet; the name must be unique.
func (s *Store) CreateFlow(ctx context.Context, f *Flow) error {
	defer s.config.invalidate()
	f.CurrentVersion = 0
	return create(ctx, s, "create flow", f, checkFlow)
}

func checkFlow(what string, f *Flow) error { return checkName(what, f.Name) }

// GetFlow returns the flow with that id.
func (s *Store) GetFlow(ctx context.Context, id int64) (*Flow, error) {
	return getBy[Flow](ctx, s.db, fmt.Sprintf("get flow %d", id), "id", id)
}

// GetFlowByName returns the flow with that name.
func (s *Store) GetFlowByName(ctx context.Context, name string) (*Flow, error) {
	return getBy[Flow](ctx, s.db, fmt.Sprintf("get flow named %q", name), "name", name)
}

// ListFlows returns every flow by name.
func (s *Store) ListFlows(ctx context.Context) ([]Flow, error) {
	return list[Flow](ctx, s.db, "list flows", orderBy("f.name"))
}

// RenameFlow changes a flow's name (unique).
func (s *Store) RenameFlow(ctx context.Context, id int64, name string) error {
	defer s.config.invalidate()
	what := fmt.Sprintf("rename flow %d", id)
	noteAudit(ctx, "name", name)
	if err := checkName(what, name); err != nil {
		return err
	}
	res, err := s.execWrite(ctx, s.db.NewUpdate().Model((*Flow)(nil)).
		Set("name = ?", name).Set("updated_at = ?", s.Now()).
		Where("id = ?", id))
	return affected(res, err, what)
}

// CreateFlowVersion saves document as version expected+1 of the flow, with
// its step index, in one transaction. expected is the version the editor
// started from: if another save came first the call fails with ErrConflict
// (no lost update). ErrNotFound when the flow does not exist.
func (s *Store) CreateFlowVersion(ctx context.Context, flowID, expected int64, document []byte, steps []FlowStep) (*FlowVersion, error) {
	defer s.config.invalidate()
	what := fmt.Sprintf("save version %d of flow %d", expected+1, flowID)
	if err := checkFlowVersion(what, document, steps); err != nil {
		return nil, err
	}
	fv := &FlowVersion{FlowID: flowID, Version: expected + 1, Document: append(RawJSON(nil), document...), CreatedAt: s.Now()}
	noteAudit(ctx, "current_version", fv.Version)
	err := s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewUpdate().Model((*Flow)(nil)).
			Set("current_version = current_version + 1").Set("updated_at = ?", fv.CreatedAt).
			Where("id = ?", flowID).Where("current_version = ?", expected).Exec(ctx)
		n, err := rowsAffected(res, err, what)
		if err != nil {
			return err
		}
		if n == 0 { // another save came first, or there is no such flow
			cur, err := getBy[Flow](ctx, tx, what, "id", flowID)
			if err != nil {
				return err
			}
			return fmt.Errorf("%s: %w: the flow is at version %d", what, ErrConflict, cur.CurrentVersion)
		}
		if _, err := tx.NewInsert().Model(fv).Exec(ctx); err != nil {
			return wrap(err, what)
		}
		return insertFlowSteps(ctx, tx, what, fv, steps)
	})
	if err != nil {
		return nil, err
	}
	return fv, nil
}

// checkFlowVersion checks what CreateFlowVersion would store: a document,
// and steps numbered from 1, each once, each of a kind.
func checkFlowVersion(what string, document []byte, steps []FlowStep) error {
	if len(document) == 0 {
		return invalid(what, "document is empty")
	}
	if err := checkText(what, "document", string(document)); err != nil {
		return err
	}
	seen := make(map[int64]bool, len(steps))
	for _, st := range steps {
		if st.Step < 1 {
			return invalid(what, "step number %d is below 1", st.Step)
		}
		if seen[st.Step] {
			return invalid(what, "step number %d appears twice", st.Step)
		}
		seen[st.Step] = true
		if st.Kind == "" {
			return invalid(what, "step %d has no kind", st.Step)
		}
		if err := checkModel(what, &st); err != nil {
			return err
		}
	}
	return nil
}

// insertFlowSteps writes the step index of version fv: its steps and the
// chat fields each reads (a field named twice by a step is kept once).
func insertFlowSteps(ctx context.Context, tx bun.Tx, what string, fv *FlowVersion, steps []FlowStep) error {
	if len(steps) == 0 {
		return nil
	}
	rows := make([]FlowStep, len(steps))
	var fields []flowStepField
	for i, st := range steps {
		st.FlowID, st.Version = fv.FlowID, fv.Version
		rows[i] = st
		done := map[string]bool{}
		for _, name := range st.Fields {
			if !done[name] {
				done[name] = true
				fields = append(fields, flowStepField{FlowID: fv.FlowID, Version: fv.Version, Step: st.Step, FieldName: name})
			}
		}
	}
	if _, err := tx.NewInsert().Model(&rows).Exec(ctx); err != nil {
		return wrap(err, what+": step index")
	}
	if len(fields) > 0 {
		if _, err := tx.NewInsert().Model(&fields).Exec(ctx); err != nil {
			return wrap(err, what+": step field index")
		}
	}
	return nil
}

// GetFlowVersion returns one version of a flow.
func (s *Store) GetFlowVersion(ctx context.Context, flowID, version int64) (*FlowVersion, error) {
	return getOne[FlowVersion](ctx, s.db, fmt.Sprintf("get version %d of flow %d", version, flowID),
		func(q *bun.SelectQuery) *bun.SelectQuery {
			return q.Where("fv.flow_id = ?", flowID).Where("fv.version = ?", version)
		})
}

// GetCurrentFlowVersion returns the flow's latest version; ErrNotFound when
// the flow is unknown or has none yet.
func (s *Store) GetCurrentFlowVersion(ctx context.Context, flowID int64) (*FlowVersion, error) {
	return getOne[FlowVersion](ctx, s.db, fmt.Sprintf("get current version of flow %d", flowID),
		func(q *bun.SelectQuery) *bun.SelectQuery {
			return q.Join("JOIN flows AS f ON f.id = fv.flow_id AND f.current_version = fv.version").
				Where("fv.flow_id = ?", flowID)
		})
}

// GetFlowStep returns one step of a flow version (Fields included), e.g. to
// check CanStart before honouring a startStepOverride.
func (s *Store) GetFlowStep(ctx context.Context, flowID, version, step int64) (*FlowStep, error) {
	what := fmt.Sprintf("get step %d of flow %d version %d", step, flowID, version)
	st, err := getOne[FlowStep](ctx, s.db, what, func(q *bun.SelectQuery) *bun.SelectQuery {
		return q.Where("fs.flow_id = ?", flowID).Where("fs.version = ?", version).Where("fs.step = ?", step)
	})
	if err != nil {
		return nil, err
	}
	fields, err := list[flowStepField](ctx, s.db, what, func(q *bun.SelectQuery) *bun.SelectQuery {
		return q.Where("fsf.flow_id = ?", flowID).Where("fsf.version = ?", version).
			Where("fsf.step = ?", step).Order("fsf.field_name")
	})
	if err != nil {
		return nil, err
	}
	for _, f := range fields {
		st.Fields = append(st.Fields, f.FieldName)
	}
	return st, nil
}

// StepsUsingChatField lists the flow steps that read the chat custom field
// with that database name: in every flow's current version only, or in
// every version (old versions still run the chats pinned to them).
func (s *Store) StepsUsingChatField(ctx context.Context, name string, currentOnly bool) ([]FlowStepRef, error) {
	what := fmt.Sprintf("list flow steps using chat field %q", name)
	if err := checkText(what, "name", name); err != nil {
		return nil, err
	}
	var out []FlowStepRef
	q := s.db.NewSelect().TableExpr("flow_step_fields AS fsf").
		ColumnExpr("fsf.flow_id, f.name AS flow_name, fsf.version, fsf.step").
		Join("JOIN flows AS f ON f.id = fsf.flow_id").
		Where("fsf.field_name = ?", name)
	if currentOnly {
		q = q.Where("fsf.version = f.current_version")
	}
	if err := q.OrderExpr("f.name, fsf.version, fsf.step").Scan(ctx, &out); err != nil {
		return nil, wrap(err, what)
	}
	return out, nil
}

// FlowVersionInUse is a flow version that runs or may run: a flow's
// current version, or one an open chat is pinned to.
type FlowVersionInUse struct {
	FlowID   int64   `bun:"flow_id"`
	FlowName string  `bun:"flow_name"`
	Version  int64   `bun:"version"`
	Document RawJSON `bun:"document"`
}

// FlowVersionsInUse returns, by flow name and version, every flow's
// current version and every version a chat that has not ended is pinned
// to (new chats start on the first, open chats run on the others).
func (s *Store) FlowVersionsInUse(ctx context.Context) ([]FlowVersionInUse, error) {
	var out []FlowVersionInUse
	err := s.db.NewSelect().TableExpr("flow_versions AS fv").
		ColumnExpr("fv.flow_id, f.name AS flow_name, fv.version, fv.document").
		Join("JOIN flows AS f ON f.id = fv.flow_id").
		Where("fv.version = f.current_version OR EXISTS (SELECT 1 FROM chats AS c "+
			"WHERE c.flow_id = fv.flow_id AND c.flow_version = fv.version AND c.status <> ?)", ChatEnded).
		OrderExpr("f.name, fv.version").Scan(ctx, &out)
	if err != nil {
		return nil, wrap(err, "list flow versions in use")
	}
	return out, nil
}
