package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"path"
	"sync"
	"testing"

	"halochat/backend/testenv"
)

func TestMigrate(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dsn string) {
		name := path.Base(t.Name()) // the subtest is named after the database
		ctx := context.Background()
		// Two processes migrating a fresh database at once.
		var wg sync.WaitGroup
		stores := make([]*Store, 3)
		errs := make([]error, len(stores))
		for i := range stores {
			s, err := Open(ctx, dsn)
			must(t, err)
			t.Cleanup(func() { _ = s.Close() })
			stores[i] = s
			wg.Go(func() { errs[i] = s.Migrate(ctx) })
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("concurrent Migrate %d: %v", i, err)
			}
		}
		// And again: idempotent.
		must(t, stores[0].Migrate(ctx))
		must(t, stores[0].Migrate(ctx))
		var names []string
		must(t, stores[0].DB().NewSelect().TableExpr("bun_migrations").Column("name").Scan(ctx, &names))
		want := len(schemaMigrations())
		if len(names) != want {
			t.Fatalf("bun_migrations holds %v, want %d rows", names, want)
		}
		if got := stores[0].Dialect(); got != name {
			t.Errorf("Dialect() = %q, want %q", got, name)
		}
		must(t, stores[0].Ping(ctx))
	})
}

// TestMigrationsFrozen fails when a released migration's SQL changes:
// databases that already applied it would never see the change. Add a new
// migration instead (and its hash here).
func TestMigrationsFrozen(t *testing.T) {
	frozen := map[string]string{
		"20261101000001_initial":               "461c67290a5b13c1e78e8fe7325c6d7c0114c230cba7e95a6c506c997dc572d8",
		"20261125000001_auth":                  "2d12b743c56b2b79c76b16421d7e6c0a60908a141c19454f460a3889f6a2e6cd",
		"20261125200001_runbooks":              "f8ac7ece92aa07b2196136167853e9bab2413acc66109eb6a2d8fe48e6f94ddf",
		"20261125210001_portal":                "851df79df4d96fd8cc418ba3a6ee7e7810cdda43d2ca5e9c9a335e5b3aff97d6",
		"20261125220001_hot_chats":             "bb4fb8e90d5bb59c1ae0cfab6b0e260afeaba3237d8d7122d66efd14c50395fd",
		"20261204000001_token_uses":            "a329d29d81f047b0509c04a8947a6a2513eb9a21ce7d9b157327c4cd81eed60b",
		"20261204000002_matching_profiles":     "21993710fe5b6914cbf89157c04dd63521a890651d628aeb7970b209649d6939",
		"20261205000001_login_failures":        "2d4bf2a0955e0bbcb48bd5e6c81b5b7ce0b62887ca8d76a64874a4d6ae39f068",
		"20261205000002_agent_chat_visibility": "6e35409eeb3dc0edae76d9d525365f6d7dd60ffdabee0afa271b6cccaaae6e43",
		"20261205000003_email_hints":           "fea7064f36f7d2c4d53562a3e5618ae6251188a8f8e8aca2adef33686e0449e9",
		"20261206000101_chat_resume_secrets":   "a20742816fa9a9edbdeab7b0498f38df9edb893b82a3523870317a6559e2ae98",
		"20261206000201_runbooks_managed":      "66b2a062d812653fc23f2c6ec7efe1fdfbcf4e269e64bd373db6b47a5ebb9476",
		"20261206000301_webhooks":              "97f0845b1d5d4c3853703ac8a279ab9316591895c738859b6ec6935b2833a09b",
		"20261206000401_chat_ratings":          "d4a6e325802d433c294a2f9d402290af41e51edb51328c20b5779e680517536e",
		"20261206000501_attachments":           "9480562000c38f2ef0629597c5ae537eee13853b5c8186fdf8beb5b64d2448ec",
		"20261206000601_ticket_profiles":       "188e76a2b5341ca0a447b5001424a61221328c49da9bf66be735b3535a6ac297",
		"20261207000201_languages":             "026fdd7de6289bc6a081e7001857325822f0ab4e219d468ba8a744c786fa9911",
		"20261207000401_teams":                 "7fc69179f10f3fc31bca583031402aa75ab779f3be9ef3950fe1e22b583580f3",
		"20261207000501_audit_log":             "de72f72c363703f6e5d4e7893b678ba067515038d3f5923964b878571889c7e0",
		"20261207000502_canned_responses":      "b978b5e97bb9bcb9da6371aca9d8016faad13a1d99e29e1c96bae1fba9b0ba0d",
		"20261207000503_chats_started":         "ef3cfefe3f79f6c966eefe5118b81cbd837ac710cf396c78b4e49fcf72fdde53",
		"20261207000601_retention":             "be8ea36c48a513b2814e0c13fd959e2ec0970430de85d42a99b35160cf0067a4",
		"20261208000001_chats_user_profile":    "33b9d095eb5aecc3034ed22779808d2c980ff1a80cd92ad5058455273e404587",
		"20261208000300_agent_consoles":        "98855349c204342560b03e1a191b44e7bff465c10893eacb2beaf3e2e71e3664",
		"20261207000101_mail_outbox":           "c61ad8f0b21e9bfa53abd0d7fa5a1199a47d00952ac2a2fbbce36e9e3f4ce7e4",
		"20261208000400_service_keys":          "20bd2d607317b4c021324c4e7351522fda0cae69fd1f9f17ad3d7331ff78706c",
		"20261209000100_canned_orphans":        "8a4e4f5061b280106984a64972d351a2ec3e0eade7d61a2fbffa3987f9a965bb",
		"20261210000100_partial_indexes":       "1b23b933f071f64303514af7a0005878cbba889bdc573f2564b36fd03bf5b8aa",
	}
	ms := schemaMigrations()
	for i, m := range ms {
		if i > 0 && m.name <= ms[i-1].name {
			t.Errorf("migration %s sorts before %s", m.name, ms[i-1].name)
		}
		sum := sha256.Sum256([]byte(m.sql))
		if want, ok := frozen[m.name]; !ok {
			t.Errorf("migration %s has no frozen hash: add %q", m.name, hex.EncodeToString(sum[:]))
		} else if got := hex.EncodeToString(sum[:]); got != want {
			t.Errorf("migration %s changed (sha256 %s, frozen %s): write a new migration instead", m.name, got, want)
		}
	}
}

// TestSchemaIDFollowsTheMigrations: each dialect's schema has its own id
// (their SQL differs), and the same migrations give the same id.
func TestSchemaIDFollowsTheMigrations(t *testing.T) {
	pg, lite := SchemaID(DialectPostgres), SchemaID(DialectSQLite)
	if pg == lite || len(pg) != 20 || len(lite) != 20 {
		t.Fatalf("SchemaID: postgres %q, sqlite %q", pg, lite)
	}
	if again := SchemaID(DialectPostgres); again != pg {
		t.Fatalf("SchemaID changed between calls: %q, %q", pg, again)
	}
}
