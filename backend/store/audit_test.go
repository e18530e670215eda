package store

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/uptrace/bun"

	"halochat/backend/testenv"
)

// An audited change commits its audit row with it; a change that fails,
// or finds nothing to change, leaves none; a secret is "changed".
func TestAuditRowsGoWithTheirChange(t *testing.T) {
	testenv.ForEachStore(t, Open, func(t *testing.T, s *Store) {
		ctx := context.Background()
		audited := func(entity, id, action string) (context.Context, *Audit) {
			a := NewAudit(AuditEntry{ActorType: ActorAgent, ActorID: 7, ActorName: "Ada", Address: "192.0.2.1",
				Entity: entity, EntityID: id, Action: action})
			return WithAudit(ctx, a), a
		}
		rows := func() []AuditEntry {
			t.Helper()
			out, err := s.ListAudit(ctx, AuditFilter{})
			must(t, err)
			return out
		}

		actx, a := audited("Webhook", "", "create")
		w := &Webhook{URL: "https://example.com/h", Events: StringList{"chat.started"}, Secret: "whsec_topsecretvalue"}
		must(t, s.CreateWebhook(actx, w))
		if !a.Written() {
			t.Fatal("the create's audit row is not written")
		}
		// A second write under the same audit is the same change.
		must(t, s.UpdateWebhook(actx, w))
		got := rows()
		if len(got) != 1 || got[0].EntityID != jsonNumber(w.ID) || got[0].Changes["secret"] != AuditChanged ||
			got[0].Changes["url"] == nil || got[0].ActorName != "Ada" || got[0].Address != "192.0.2.1" {
			t.Fatalf("after the create: %+v", got)
		}

		// An update records the fields that differ, from and to.
		actx, _ = audited("Webhook", jsonNumber(w.ID), "update")
		w.Description, w.Secret = "orders", "whsec_othersecret"
		must(t, s.UpdateWebhook(actx, w))
		got = rows()
		if len(got) != 2 {
			t.Fatalf("after the update: %+v", got)
		}
		if ch := got[0].Changes; len(ch) != 2 || ch["secret"] != AuditChanged ||
			!strings.Contains(jsonString(t, ch["description"]), `"to":"orders"`) {
			t.Errorf("update's changes %v", ch)
		}

		// Failures: a conflict in a transaction, a missing row, a refused row.
		f := &Flow{Name: "f"}
		must(t, s.CreateFlow(ctx, f))
		actx, _ = audited("ChatFlow", jsonNumber(f.ID), "update")
		_, err := s.CreateFlowVersion(actx, f.ID, 5, []byte(`{}`), nil)
		wantErr(t, err, ErrConflict)
		actx, _ = audited("Webhook", "999", "delete")
		wantErr(t, s.DeleteWebhook(actx, 999), ErrNotFound)
		actx, _ = audited("ChatFlow", jsonNumber(f.ID), "update")
		wantErr(t, s.RenameFlow(actx, 999, "g"), ErrNotFound)
		actx, _ = audited("Webhook", "", "create")
		wantErr(t, s.CreateWebhook(actx, &Webhook{URL: "https://example.com", Events: StringList{"x"}}), ErrInvalid)
		if got := rows(); len(got) != 2 {
			t.Errorf("failed changes wrote audit rows: %+v", got[:len(got)-2])
		}
		for _, e := range rows() {
			if b, _ := json.Marshal(e); strings.Contains(string(b), "whsec_") {
				t.Errorf("an audit row holds the secret: %s", b)
			}
		}

		// The hook for changes made elsewhere, in their own transaction.
		must(t, s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
			return s.RecordAudit(ctx, tx, &AuditEntry{ActorType: ActorSystem, Entity: "Team", EntityID: "3", Action: "members",
				Changes: AuditChanges{"members": AuditChange{To: json.RawMessage(`[1,2]`)}}})
		}))
		if got, _ := s.ListAudit(ctx, AuditFilter{Entity: "Team"}); len(got) != 1 || got[0].ActorType != ActorSystem {
			t.Errorf("the recorded row: %+v", got)
		}
	})
}

func jsonNumber(id int64) string { b, _ := json.Marshal(id); return string(b) }

func jsonString(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	must(t, err)
	return string(b)
}
