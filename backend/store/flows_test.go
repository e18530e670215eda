package store

import (
	"context"
	"fmt"
	"testing"
	"time"
)

func TestFlowVersions(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		f := &Flow{Name: "Sales"}
		must(t, s.CreateFlow(ctx, f))
		other := &Flow{Name: "Other"}
		must(t, s.CreateFlow(ctx, other))
		_, err := s.GetCurrentFlowVersion(ctx, f.ID)
		wantErr(t, err, ErrNotFound)
		for v := int64(1); v <= 3; v++ {
			doc := fmt.Sprintf(`{"v":%d}`, v)
			steps := []FlowStep{{Step: 1, Kind: "message", CanStart: true}, {Step: 2 + v, Kind: "condition", Fields: []string{fmt.Sprintf("CFv%d", v), "CFall"}}}
			fv, err := s.CreateFlowVersion(ctx, f.ID, v-1, []byte(doc), steps)
			must(t, err)
			if fv.Version != v {
				t.Fatalf("version = %d, want %d", fv.Version, v)
			}
		}
		_, err = s.CreateFlowVersion(ctx, other.ID, 0, []byte(`{}`), []FlowStep{{Step: 4, Kind: "condition", Fields: []string{"CFall"}}})
		must(t, err)

		// A save based on a stale version is refused and changes nothing.
		_, err = s.CreateFlowVersion(ctx, f.ID, 1, []byte(`{"stale":true}`), nil)
		wantErr(t, err, ErrConflict)
		_, err = s.CreateFlowVersion(ctx, 999999, 0, []byte(`{}`), nil)
		wantErr(t, err, ErrNotFound)
		_, err = s.CreateFlowVersion(ctx, f.ID, 3, []byte(`{}`), []FlowStep{{Step: 1, Kind: "a"}, {Step: 1, Kind: "b"}})
		wantErr(t, err, ErrInvalid)

		cur, err := s.GetCurrentFlowVersion(ctx, f.ID)
		must(t, err)
		if cur.Version != 3 || string(cur.Document) != `{"v":3}` || cur.CreatedAt.Location() != time.UTC {
			t.Fatalf("current = %d %s", cur.Version, cur.Document)
		}
		if gf, _ := s.GetFlow(ctx, f.ID); gf.CurrentVersion != 3 {
			t.Fatalf("flow current_version = %d", gf.CurrentVersion)
		}
		old, err := s.GetFlowVersion(ctx, f.ID, 1)
		must(t, err)
		if string(old.Document) != `{"v":1}` {
			t.Fatalf("version 1 = %s", old.Document)
		}

		first, err := s.GetFlowStep(ctx, f.ID, 2, 1)
		must(t, err)
		cond, err := s.GetFlowStep(ctx, f.ID, 2, 4)
		must(t, err)
		if !first.CanStart || len(first.Fields) != 0 || cond.CanStart || fmt.Sprint(cond.Fields) != "[CFall CFv2]" {
			t.Fatalf("steps of version 2 = %+v, %+v", first, cond)
		}
		st, err := s.GetFlowStep(ctx, f.ID, 3, 5)
		must(t, err)
		if st.Kind != "condition" || st.CanStart || len(st.Fields) != 2 {
			t.Fatalf("GetFlowStep = %+v", st)
		}

		refs, err := s.StepsUsingChatField(ctx, "CFall", true)
		must(t, err)
		if fmt.Sprint(refs) != fmt.Sprintf("[{%d Other 1 4} {%d Sales 3 5}]", other.ID, f.ID) {
			t.Fatalf("StepsUsingChatField(current) = %v", refs)
		}
		refs, err = s.StepsUsingChatField(ctx, "CFv1", false)
		must(t, err)
		if len(refs) != 1 || refs[0].Version != 1 {
			t.Fatalf("StepsUsingChatField(all) = %v", refs)
		}
		if refs, _ := s.StepsUsingChatField(ctx, "CFv1", true); len(refs) != 0 {
			t.Fatalf("old version reported as current: %v", refs)
		}

		// Editors saving from the same version: exactly one wins.
		oneWins(t, 8, ErrConflict, func(i int) error {
			_, err := s.CreateFlowVersion(ctx, f.ID, 3, []byte(fmt.Sprintf(`{"editor":%d}`, i)), []FlowStep{{Step: 1, Kind: "m"}})
			return err
		})
		must(t, s.RenameFlow(ctx, f.ID, "Sales 2"))
		if fs, err := s.ListFlows(ctx); err != nil || len(fs) != 2 || fs[1].Name != "Sales 2" || fs[1].CurrentVersion != 4 {
			t.Fatalf("ListFlows = %+v, %v", fs, err)
		}
	})
}
