package store

func runtimeMigrations() []schemaMigration {
	return []schemaMigration{{name: "20261125200001_runbooks", sql: migrationRunbooks}}
}

// migrationRunbooks adds the runbooks a flow's runbook step names by id:
// where to POST, the HMAC secret that signs the call, and its timeout.
// FROZEN.
const migrationRunbooks = `
CREATE TABLE runbooks (
	id TEXT PRIMARY KEY,
	name TEXT NOT NULL DEFAULT '',
	url TEXT NOT NULL,
	secret TEXT NOT NULL,
	timeout_ms BIGINT NOT NULL DEFAULT 0,
	created_at {TS} NOT NULL,
	updated_at {TS} NOT NULL
)
;
CREATE INDEX chats_updated_idx ON chats (status, updated_at)
`
