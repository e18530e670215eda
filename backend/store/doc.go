// Package store is halochat's storage layer: bun models, frozen migrations
// and the queries the rest of the backend needs, on SQLite (the embedded
// default, pure Go through modernc.org/sqlite) and PostgreSQL (through
// pgx's database/sql driver).
//
// Every call takes a context. Errors say what was being done and wrap one
// of the sentinels [ErrNotFound], [ErrConflict], [ErrInvalid],
// [ErrExpired] or [ErrUsed] where one applies, so callers can test with
// errors.Is. Times are written in UTC and read back in UTC.
//
// # Files by subject
//
// One [Store] type serves every subject; its methods live in the file of
// their subject (a method that writes across subjects in one transaction
// lives with the row it is named after):
//
//   - store.go: the Store, Open, Close, transactions and write turns;
//     connect.go: DSNs, the two dialects' pools.
//   - prepared.go: PostgreSQL's prepared-statement pool and its batcher
//     (messages, chat starts and new users commit together; chat starts'
//     look-ups read together), and Notify.
//   - chats.go: a chat's row, its custom field values, reads and lists.
//     chatcreate.go: a chat's start (row, field values, first messages).
//     chatupdate.go: a chat's conditional updates (UpdateChat, AdvanceChat).
//     search.go: chat search.
//   - messages.go: appending messages (AppendIf, AppendMessage) and
//     reading them back by sequence number.
//   - profiles.go: chat profiles and their settings (appearance, identity,
//     token mappings, availability). flows.go: flows, versions, the step
//     index. fields.go: custom field definitions. configcache.go: the
//     runtime's short-lived copy of profiles, flows and fields.
//   - tickets.go: tickets, their field values, ticket types, the portal's
//     view of a user's tickets. runbooks.go: runbooks.
//   - matching.go: ChatMatchingData (identity data registered for a later
//     chat start). tokenuses.go: the identity token ids (jti) each chat
//     profile has accepted.
//   - users.go: visitors and portal users. agents.go: agents.
//     presence.go: agents' presence. apiclients.go: API clients.
//     sessions.go: agent sessions, API tokens, portal sessions.
//     loginfailures.go: failed attempts at each account's password.
//   - migrate.go: how migrations run; migrations.go: the frozen list.
//   - values.go: how Go values map to columns (JSON columns, NULLs,
//     random ids); query.go: the query helpers; errors.go: the sentinels
//     and the input checks both databases need.
//
// # Invariants and where they live
//
// The database is the log: a message is committed before anyone is told
// of it, and readers catch up from the rows (MessagesAfter, by sequence
// number); nothing the store keeps in memory is authoritative (the
// configuration cache serves reads for at most ConfigCacheTTL).
//
// Races are settled in the database, the same way on both dialects, never
// by a lock in Go:
//
//   - Per-chat message sequence numbers, gapless and in commit order,
//     come from `UPDATE chats SET last_seq = last_seq + n … RETURNING
//     last_seq` in the message's transaction or statement (messages.go,
//     chatcreate.go numbers a new chat's first messages from 1).
//   - An idempotent send is the unique (chat, client message id): a resend
//     returns the stored message and uses no sequence number (messages.go).
//   - A chat's moves (the bot's step, queueing, an agent's accept, the
//     end) are conditional UPDATEs on its status, agent or flow state, and
//     their rows-affected count says who won (chatupdate.go).
//   - Single-use matching data is claimed by `UPDATE … WHERE used_at IS
//     NULL` (matching.go); an identity token's jti by `INSERT … ON
//     CONFLICT (profile_id, jti_hash) DO UPDATE … WHERE expires_at <= now`
//     (tokenuses.go); an attempt at a password by an insert or an update
//     conditional on the failure count read (loginfailures.go); a flow
//     version by `UPDATE flows SET current_version = current_version + 1
//     WHERE current_version = expected` (flows.go).
//
// On SQLite this process's writes also queue in Go for the one write lock
// (Store.tx, Store.execWrite), which only shortens waits: correctness
// still comes from the statements above.
package store
