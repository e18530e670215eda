package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"halochat/app/flow"
)

func TestRunbooks(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		rb := &Runbook{Name: "Account", URL: "https://example.com/rb", TimeoutMS: 5000,
			Outputs: RunbookOutputs{{Path: "data.tier", Variable: "tier", Type: flow.TypeText}}}
		must(t, s.CreateRunbook(ctx, rb))
		if rb.ID == "" || rb.Secret == "" {
			t.Fatalf("CreateRunbook made id %q secret %q", rb.ID, rb.Secret)
		}
		wantErr(t, s.CreateRunbook(ctx, &Runbook{Name: "Account", URL: "https://example.com/other"}), ErrConflict)
		for _, bad := range []*Runbook{
			{Name: "bad\x00name", URL: "https://example.com/"},
			{Name: "n", URL: "ftp://example.com/"},
			{Name: "n", URL: "https://example.com/", TimeoutMS: MaxRunbookTimeoutMS + 1},
			{Name: "n", URL: "https://example.com/", TimeoutMS: -1},
		} {
			wantErr(t, s.CreateRunbook(ctx, bad), ErrInvalid)
		}
		got, err := s.GetRunbookByName(ctx, "Account")
		must(t, err)
		if got.ID != rb.ID || !slices.Equal(got.Outputs, rb.Outputs) {
			t.Fatalf("GetRunbookByName = %+v, want %+v", got, rb)
		}
		must(t, s.CreateRunbook(ctx, &Runbook{ID: "Alpha", URL: "http://example.com/a"})) // named after its id
		all, err := s.ListRunbooks(ctx)
		must(t, err)
		if len(all) != 2 || all[0].Name != "Account" || all[1].Name != "Alpha" || len(all[1].Outputs) != 0 {
			t.Fatalf("ListRunbooks = %+v", all)
		}
		must(t, s.DeleteRunbook(ctx, rb.ID))
		wantErr(t, s.DeleteRunbook(ctx, rb.ID), ErrNotFound)
		_, err = s.GetRunbook(ctx, rb.ID)
		wantErr(t, err, ErrNotFound)
	})
}

// TestRunbookNamesMadeUnique runs the name clean-up of the
// runbooks_managed migration on runbooks stored before it: empty and
// repeated names (the old schema allowed both) become unique.
func TestRunbookNamesMadeUnique(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		_, err := s.DB().ExecContext(ctx, "DROP INDEX runbooks_name_key")
		must(t, err)
		for _, r := range [][2]string{{"a1", "Same"}, {"a2", "Same"}, {"a3", ""}, {"a4", "Other"}} {
			_, err := s.DB().ExecContext(ctx, "INSERT INTO runbooks (id, name, url, secret, created_at, updated_at) VALUES (?, ?, 'http://x/', 's', ?, ?)",
				r[0], r[1], s.Now(), s.Now())
			must(t, err)
		}
		stmts := splitSQL(dialectSQL(s.Dialect(), migrationRunbooksManaged))
		if !strings.HasPrefix(stmts[0], "ALTER TABLE") {
			t.Fatalf("the migration's first statement is %q, not the ALTER TABLE this test skips", stmts[0])
		}
		for _, q := range stmts[1:] {
			_, err := s.DB().ExecContext(ctx, q)
			must(t, err)
		}
		all, err := s.ListRunbooks(ctx)
		must(t, err)
		var got []string
		for _, r := range all {
			got = append(got, r.ID+"="+r.Name)
		}
		want := []string{"a4=Other", "a1=Same", "a2=Same (a2)", "a3=a3"}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("names after the migration = %v, want %v", got, want)
		}
	})
}

// TestFlowVersionsInUse: each flow's current version, and older versions
// only while a chat that has not ended is pinned to them.
func TestFlowVersionsInUse(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		f := &Flow{Name: "F"}
		must(t, s.CreateFlow(ctx, f))
		must(t, s.CreateFlow(ctx, &Flow{Name: "Empty"}))
		for v := int64(1); v <= 3; v++ {
			_, err := s.CreateFlowVersion(ctx, f.ID, v-1, []byte(fmt.Sprintf(`{"v":%d}`, v)), nil)
			must(t, err)
		}
		open, ended := newChat(t, s, ChatBot), newChat(t, s, ChatBot)
		for c, v := range map[*Chat]int64{open: 1, ended: 2} {
			_, err := s.DB().NewUpdate().Model((*Chat)(nil)).Set("flow_id = ?", f.ID).Set("flow_version = ?", v).Where("id = ?", c.ID).Exec(ctx)
			must(t, err)
		}
		_, err := endChat(ctx, s, ended.ID, "test", 0)
		must(t, err)
		in, err := s.FlowVersionsInUse(ctx)
		must(t, err)
		var got []string
		for _, fv := range in {
			got = append(got, fmt.Sprintf("%s v%d %s", fv.FlowName, fv.Version, fv.Document))
		}
		want := []string{`F v1 {"v":1}`, `F v3 {"v":3}`}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("FlowVersionsInUse = %v, want %v", got, want)
		}
	})
}
