package store

// hotChatMigrations let PostgreSQL update a chat's row in place (a HOT
// update: no new index entries) when a message is appended, which bumps
// last_seq and updated_at on every message. An index holding updated_at
// made every such update write a new entry into each of the chats
// table's seven indexes. The idle sweep (IdleChats) finds the open chats
// through chats_status_idx and filters them by updated_at instead; the
// free space fillfactor leaves in each page is what an in-place update
// needs.
func hotChatMigrations() []schemaMigration {
	return []schemaMigration{{name: "20261125220001_hot_chats", sql: `
DROP INDEX IF EXISTS chats_updated_idx
;
{PG_CHATS_FILLFACTOR}
`}}
}
