package store

// schemaMigrations is the frozen list of migrations, oldest first
// (bun/migrate orders them by name).
func schemaMigrations() []schemaMigration {
	return []schemaMigration{
		{name: "20261101000001_initial", sql: migrationInitial},
		{name: "20261125000001_auth", sql: migrationAuth},
		{name: "20261125200001_runbooks", sql: migrationRunbooks},
		{name: "20261125210001_portal", sql: migrationPortal},
		{name: "20261125220001_hot_chats", sql: migrationHotChats},
		{name: "20261204000001_token_uses", sql: migrationTokenUses},
		{name: "20261204000002_matching_profiles", sql: migrationMatchingProfiles},
		{name: "20261205000001_login_failures", sql: migrationLoginFailures},
		{name: "20261205000002_agent_chat_visibility", sql: migrationAgentChatVisibility},
		{name: "20261205000003_email_hints", sql: migrationEmailHints},
		{name: "20261206000101_chat_resume_secrets", sql: migrationChatResumeSecrets},
		{name: "20261206000201_runbooks_managed", sql: migrationRunbooksManaged},
		{name: "20261206000301_webhooks", sql: migrationWebhooks},
		{name: "20261206000401_chat_ratings", sql: migrationChatRatings},
		{name: "20261206000501_attachments", sql: migrationAttachments},
		{name: "20261206000601_ticket_profiles", sql: migrationTicketProfiles},
		{name: "20261207000101_mail_outbox", sql: migrationMailOutbox},
		{name: "20261207000201_languages", sql: migrationLanguages},
		{name: "20261207000401_teams", sql: migrationTeams},
		{name: "20261207000501_audit_log", sql: migrationAuditLog},
		{name: "20261207000502_canned_responses", sql: migrationCannedResponses},
		{name: "20261207000503_chats_started", sql: migrationChatsStarted},
		{name: "20261207000601_retention", sql: migrationRetention},
		{name: "20261208000001_chats_user_profile", sql: migrationChatsUserProfile},
		{name: "20261208000300_agent_consoles", sql: migrationAgentConsoles},
		{name: "20261208000400_service_keys", sql: migrationServiceKeys},
		{name: "20261209000100_canned_orphans", sql: migrationCannedOrphans},
		{name: "20261210000100_partial_indexes", sql: migrationPartialIndexes},
	}
}

// migrationInitial is the first schema. FROZEN: do not edit; add a new
// migration instead.
//
// Conventions: ids are BIGINT identities (INTEGER PRIMARY KEY AUTOINCREMENT
// on SQLite, so a deleted id is never reused); times are TIMESTAMPTZ
// (TIMESTAMP text on SQLite), always written by the application in UTC;
// JSON is TEXT; enums are TEXT checked by the application; a nullable
// UNIQUE column allows many NULLs on both dialects.
const migrationInitial = `
CREATE TABLE IF NOT EXISTS flows (
	id {ID},
	name TEXT NOT NULL,
	current_version BIGINT NOT NULL DEFAULT 0,
	created_at {TS} NOT NULL,
	updated_at {TS} NOT NULL
)
;
CREATE UNIQUE INDEX IF NOT EXISTS flows_name_key ON flows (name)
;
CREATE TABLE IF NOT EXISTS flow_versions (
	flow_id BIGINT NOT NULL REFERENCES flows (id) ON DELETE CASCADE,
	version BIGINT NOT NULL,
	document TEXT NOT NULL,
	created_at {TS} NOT NULL,
	PRIMARY KEY (flow_id, version)
)
;
CREATE TABLE IF NOT EXISTS flow_steps (
	flow_id BIGINT NOT NULL,
	version BIGINT NOT NULL,
	step BIGINT NOT NULL,
	kind TEXT NOT NULL,
	can_start BOOLEAN NOT NULL DEFAULT FALSE,
	PRIMARY KEY (flow_id, version, step),
	FOREIGN KEY (flow_id, version) REFERENCES flow_versions (flow_id, version) ON DELETE CASCADE
)
;
CREATE TABLE IF NOT EXISTS flow_step_fields (
	flow_id BIGINT NOT NULL,
	version BIGINT NOT NULL,
	step BIGINT NOT NULL,
	field_name TEXT NOT NULL,
	PRIMARY KEY (flow_id, version, step, field_name),
	FOREIGN KEY (flow_id, version, step) REFERENCES flow_steps (flow_id, version, step) ON DELETE CASCADE
)
;
CREATE INDEX IF NOT EXISTS flow_step_fields_field_idx ON flow_step_fields (field_name)
;
CREATE TABLE IF NOT EXISTS custom_fields (
	id {ID},
	entity TEXT NOT NULL,
	name TEXT NOT NULL,
	label TEXT NOT NULL,
	type TEXT NOT NULL,
	choices TEXT NOT NULL DEFAULT '[]',
	created_at {TS} NOT NULL,
	updated_at {TS} NOT NULL
)
;
CREATE UNIQUE INDEX IF NOT EXISTS custom_fields_entity_name_key ON custom_fields (entity, name)
;
CREATE INDEX IF NOT EXISTS custom_fields_entity_label_idx ON custom_fields (entity, label)
;
CREATE TABLE IF NOT EXISTS ticket_types (
	id {ID},
	name TEXT NOT NULL,
	created_at {TS} NOT NULL,
	updated_at {TS} NOT NULL
)
;
CREATE UNIQUE INDEX IF NOT EXISTS ticket_types_name_key ON ticket_types (name)
;
CREATE TABLE IF NOT EXISTS ticket_type_fields (
	ticket_type_id BIGINT NOT NULL REFERENCES ticket_types (id) ON DELETE CASCADE,
	field_id BIGINT NOT NULL REFERENCES custom_fields (id) ON DELETE CASCADE,
	position BIGINT NOT NULL DEFAULT 0,
	PRIMARY KEY (ticket_type_id, field_id)
)
;
CREATE INDEX IF NOT EXISTS ticket_type_fields_field_idx ON ticket_type_fields (field_id)
;
CREATE TABLE IF NOT EXISTS chat_profiles (
	id TEXT PRIMARY KEY,
	config_key TEXT NOT NULL,
	name TEXT NOT NULL,
	access TEXT NOT NULL,
	appearance TEXT NOT NULL DEFAULT '{}',
	allowed_origins TEXT NOT NULL DEFAULT '[]',
	identity TEXT NOT NULL DEFAULT '{}',
	token_mappings TEXT NOT NULL DEFAULT '{}',
	availability TEXT NOT NULL DEFAULT '{}',
	email_storage_key TEXT NOT NULL DEFAULT '',
	trust_email_storage BOOLEAN NOT NULL DEFAULT FALSE,
	flow_id BIGINT REFERENCES flows (id),
	start_step BIGINT NOT NULL DEFAULT 0,
	ticket_type_id BIGINT REFERENCES ticket_types (id),
	created_at {TS} NOT NULL,
	updated_at {TS} NOT NULL
)
;
CREATE UNIQUE INDEX IF NOT EXISTS chat_profiles_name_key ON chat_profiles (name)
;
CREATE INDEX IF NOT EXISTS chat_profiles_flow_idx ON chat_profiles (flow_id)
;
CREATE INDEX IF NOT EXISTS chat_profiles_ticket_type_idx ON chat_profiles (ticket_type_id)
;
CREATE TABLE IF NOT EXISTS users (
	id {ID},
	external_id TEXT,
	email TEXT,
	username TEXT NOT NULL DEFAULT '',
	first_name TEXT NOT NULL DEFAULT '',
	last_name TEXT NOT NULL DEFAULT '',
	phone TEXT NOT NULL DEFAULT '',
	password_hash TEXT NOT NULL DEFAULT '',
	created_at {TS} NOT NULL,
	updated_at {TS} NOT NULL
)
;
CREATE UNIQUE INDEX IF NOT EXISTS users_external_id_key ON users (external_id)
;
CREATE UNIQUE INDEX IF NOT EXISTS users_email_key ON users (email)
;
CREATE TABLE IF NOT EXISTS agents (
	id {ID},
	email TEXT NOT NULL,
	name TEXT NOT NULL,
	password_hash TEXT NOT NULL DEFAULT '',
	role TEXT NOT NULL,
	presence TEXT NOT NULL DEFAULT 'offline',
	disabled BOOLEAN NOT NULL DEFAULT FALSE,
	last_seen_at {TS},
	created_at {TS} NOT NULL,
	updated_at {TS} NOT NULL
)
;
CREATE UNIQUE INDEX IF NOT EXISTS agents_email_key ON agents (email)
;
CREATE TABLE IF NOT EXISTS api_clients (
	id {ID},
	client_id TEXT NOT NULL,
	secret_hash TEXT NOT NULL,
	name TEXT NOT NULL,
	permissions TEXT NOT NULL DEFAULT '[]',
	disabled BOOLEAN NOT NULL DEFAULT FALSE,
	created_at {TS} NOT NULL,
	updated_at {TS} NOT NULL
)
;
CREATE UNIQUE INDEX IF NOT EXISTS api_clients_client_id_key ON api_clients (client_id)
;
CREATE TABLE IF NOT EXISTS chats (
	id TEXT PRIMARY KEY,
	profile_id TEXT NOT NULL REFERENCES chat_profiles (id),
	flow_id BIGINT,
	flow_version BIGINT,
	start_step BIGINT NOT NULL DEFAULT 0,
	user_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
	authenticated BOOLEAN NOT NULL DEFAULT FALSE,
	context TEXT NOT NULL,
	host_origin TEXT NOT NULL DEFAULT '',
	status TEXT NOT NULL,
	agent_id BIGINT REFERENCES agents (id) ON DELETE SET NULL,
	resume_secret_hash TEXT NOT NULL DEFAULT '',
	flow_state TEXT NOT NULL DEFAULT '',
	last_seq BIGINT NOT NULL DEFAULT 0,
	started_at {TS} NOT NULL,
	queued_at {TS},
	accepted_at {TS},
	ended_at {TS},
	end_reason TEXT NOT NULL DEFAULT '',
	ticket_id BIGINT,
	updated_at {TS} NOT NULL,
	FOREIGN KEY (flow_id, flow_version) REFERENCES flow_versions (flow_id, version)
)
;
CREATE INDEX IF NOT EXISTS chats_status_idx ON chats (status, queued_at)
;
CREATE INDEX IF NOT EXISTS chats_profile_idx ON chats (profile_id)
;
CREATE INDEX IF NOT EXISTS chats_user_idx ON chats (user_id)
;
CREATE INDEX IF NOT EXISTS chats_agent_idx ON chats (agent_id)
;
CREATE INDEX IF NOT EXISTS chats_flow_idx ON chats (flow_id, flow_version)
;
CREATE TABLE IF NOT EXISTS chat_field_values (
	chat_id TEXT NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
	field_id BIGINT NOT NULL REFERENCES custom_fields (id) ON DELETE CASCADE,
	value TEXT NOT NULL,
	PRIMARY KEY (chat_id, field_id)
)
;
CREATE INDEX IF NOT EXISTS chat_field_values_field_idx ON chat_field_values (field_id)
;
CREATE TABLE IF NOT EXISTS messages (
	chat_id TEXT NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
	seq BIGINT NOT NULL,
	sender TEXT NOT NULL,
	agent_id BIGINT REFERENCES agents (id) ON DELETE SET NULL,
	client_msg_id TEXT,
	text TEXT NOT NULL DEFAULT '',
	payload TEXT NOT NULL DEFAULT '',
	created_at {TS} NOT NULL,
	PRIMARY KEY (chat_id, seq)
)
;
CREATE UNIQUE INDEX IF NOT EXISTS messages_chat_client_msg_key ON messages (chat_id, client_msg_id)
;
CREATE INDEX IF NOT EXISTS messages_agent_idx ON messages (agent_id)
;
CREATE TABLE IF NOT EXISTS tickets (
	id {ID},
	ticket_type_id BIGINT REFERENCES ticket_types (id),
	user_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
	chat_id TEXT REFERENCES chats (id) ON DELETE SET NULL,
	summary TEXT NOT NULL,
	details TEXT NOT NULL DEFAULT '',
	status TEXT NOT NULL,
	created_at {TS} NOT NULL,
	updated_at {TS} NOT NULL
)
;
CREATE INDEX IF NOT EXISTS tickets_user_idx ON tickets (user_id)
;
CREATE INDEX IF NOT EXISTS tickets_chat_idx ON tickets (chat_id)
;
CREATE INDEX IF NOT EXISTS tickets_type_idx ON tickets (ticket_type_id)
;
CREATE TABLE IF NOT EXISTS ticket_field_values (
	ticket_id BIGINT NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
	field_id BIGINT NOT NULL REFERENCES custom_fields (id) ON DELETE CASCADE,
	value TEXT NOT NULL,
	PRIMARY KEY (ticket_id, field_id)
)
;
CREATE INDEX IF NOT EXISTS ticket_field_values_field_idx ON ticket_field_values (field_id)
;
CREATE TABLE IF NOT EXISTS chat_matching_data (
	guid TEXT PRIMARY KEY,
	key_hash TEXT NOT NULL,
	content TEXT NOT NULL,
	single_use BOOLEAN NOT NULL DEFAULT FALSE,
	api_client_id BIGINT REFERENCES api_clients (id) ON DELETE SET NULL,
	used_at {TS},
	expires_at {TS} NOT NULL,
	created_at {TS} NOT NULL
)
;
CREATE INDEX IF NOT EXISTS chat_matching_data_expires_idx ON chat_matching_data (expires_at)
;
CREATE INDEX IF NOT EXISTS chat_matching_data_client_idx ON chat_matching_data (api_client_id)
`

// migrationAuth adds agent sessions and API client access tokens. FROZEN.
const migrationAuth = `
CREATE TABLE agent_sessions (
	token_hash TEXT PRIMARY KEY,
	agent_id BIGINT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
	created_at {TS} NOT NULL,
	expires_at {TS} NOT NULL
)
;
CREATE INDEX agent_sessions_expires ON agent_sessions (expires_at)
;
CREATE TABLE api_tokens (
	token_hash TEXT PRIMARY KEY,
	api_client_id BIGINT NOT NULL REFERENCES api_clients(id) ON DELETE CASCADE,
	created_at {TS} NOT NULL,
	expires_at {TS} NOT NULL
)
;
CREATE INDEX api_tokens_expires ON api_tokens (expires_at)
`

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

// migrationPortal adds self-service portal sessions and lets an admin
// disable a portal user (users stay: their chats and tickets keep them).
// FROZEN.
const migrationPortal = `
ALTER TABLE users ADD COLUMN disabled BOOLEAN NOT NULL DEFAULT FALSE
;
CREATE TABLE portal_sessions (
	token_hash TEXT PRIMARY KEY,
	user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	created_at {TS} NOT NULL,
	expires_at {TS} NOT NULL
)
;
CREATE INDEX portal_sessions_user ON portal_sessions (user_id)
;
CREATE INDEX portal_sessions_expires ON portal_sessions (expires_at)
`

// migrationHotChats lets PostgreSQL update a chat's row in place (a HOT
// update: no new index entries) when a message is appended, which bumps
// last_seq and updated_at on every message. An index holding updated_at
// made every such update write a new entry into each of the chats
// table's seven indexes. The idle sweep (IdleChats) finds the open chats
// through chats_status_idx and filters them by updated_at instead; the
// free space fillfactor leaves in each page is what an in-place update
// needs. FROZEN.
const migrationHotChats = `
DROP INDEX IF EXISTS chats_updated_idx
;
{PG_CHATS_FILLFACTOR}
`

// migrationTokenUses adds the identity token ids (jti) each chat profile
// has seen, so that a token is used once however many nodes serve the
// profile. FROZEN.
const migrationTokenUses = `
CREATE TABLE token_uses (
	profile_id TEXT NOT NULL REFERENCES chat_profiles (id) ON DELETE CASCADE,
	jti_hash TEXT NOT NULL,
	expires_at {TS} NOT NULL,
	PRIMARY KEY (profile_id, jti_hash)
)
;
CREATE INDEX token_uses_expires_idx ON token_uses (expires_at)
`

// migrationMatchingProfiles binds ChatMatchingData and API clients to
// chat profiles ('[]': every profile, as before). FROZEN.
const migrationMatchingProfiles = `
ALTER TABLE chat_matching_data ADD COLUMN profile_ids TEXT NOT NULL DEFAULT '[]'
;
ALTER TABLE api_clients ADD COLUMN profile_ids TEXT NOT NULL DEFAULT '[]'
`

// migrationLoginFailures adds the failed attempts at each account's
// password (agents' e-mails, API clients' ids), so that every node locks
// an account alike. FROZEN.
const migrationLoginFailures = `
CREATE TABLE login_failures (
	subject TEXT PRIMARY KEY,
	failures BIGINT NOT NULL,
	last_at {TS} NOT NULL,
	locked_until {TS}
)
;
CREATE INDEX login_failures_last_idx ON login_failures (last_at)
`

// migrationAgentChatVisibility adds which chats of a profile agents may
// read ('all': every agent every chat, as before). FROZEN.
const migrationAgentChatVisibility = `
ALTER TABLE chat_profiles ADD COLUMN agent_chat_visibility TEXT NOT NULL DEFAULT 'all'
`

// migrationEmailHints keeps a chat's e-mail hint (an unverified note for
// agents) and gives hint users their own key, apart from the e-mail
// addresses log-ins find users by. FROZEN.
const migrationEmailHints = `
ALTER TABLE chats ADD COLUMN email_hint TEXT NOT NULL DEFAULT ''
;
ALTER TABLE users ADD COLUMN hint_email TEXT
;
CREATE UNIQUE INDEX users_hint_email_idx ON users (hint_email)
`

// migrationChatResumeSecrets adds the resume secrets of the browsers an
// identified user's chat followed them to (the chat row keeps the secret
// of the browser that started it). FROZEN.
const migrationChatResumeSecrets = `
CREATE TABLE chat_resume_secrets (
	chat_id TEXT NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
	secret_hash TEXT NOT NULL,
	created_at {TS} NOT NULL,
	PRIMARY KEY (chat_id, secret_hash)
)
`

// migrationRunbooksManaged lets admins manage runbooks (/api/Runbook):
// a runbook's own output mappings (JSON), and names made unique — an
// empty name becomes the id, a name another runbook had first gets the
// id appended — so that the flow editor can list runbooks by name.
// FROZEN.
const migrationRunbooksManaged = `
ALTER TABLE runbooks ADD COLUMN outputs TEXT NOT NULL DEFAULT '[]'
;
UPDATE runbooks SET name = id WHERE name = ''
;
UPDATE runbooks SET name = name || ' (' || id || ')'
WHERE EXISTS (SELECT 1 FROM runbooks AS o WHERE o.name = runbooks.name AND o.id < runbooks.id)
;
CREATE UNIQUE INDEX runbooks_name_key ON runbooks (name)
`

// migrationWebhooks adds the webhooks admins register and their outbox:
// one delivery row per event and webhook, written in the transaction of
// the change it reports (store/outbox.go), claimed and updated by the
// dispatchers (store/deliveries.go). The partial indexes hold the
// pending rows alone: what a claim searches stays small however long
// the log grows; webhooks_enabled_idx is what the prepared message and
// chat start statements read the subscribed webhooks through (their
// generic plans must use an index: prepared_test.go). FROZEN.
const migrationWebhooks = `
CREATE TABLE webhooks (
	id {ID},
	url TEXT NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	events TEXT NOT NULL DEFAULT '[]',
	secret TEXT NOT NULL,
	previous_secret TEXT NOT NULL DEFAULT '',
	previous_until {TS},
	disabled BOOLEAN NOT NULL DEFAULT FALSE,
	created_at {TS} NOT NULL,
	updated_at {TS} NOT NULL
)
;
CREATE INDEX webhooks_enabled_idx ON webhooks (id) WHERE NOT disabled
;
CREATE TABLE webhook_deliveries (
	id {ID},
	webhook_id BIGINT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
	event_id TEXT NOT NULL,
	event_type TEXT NOT NULL,
	chain TEXT NOT NULL,
	payload TEXT NOT NULL,
	status TEXT NOT NULL,
	attempts BIGINT NOT NULL DEFAULT 0,
	next_attempt_at {TS} NOT NULL,
	locked_until {TS},
	retry_until {TS} NOT NULL,
	last_error TEXT NOT NULL DEFAULT '',
	last_status BIGINT NOT NULL DEFAULT 0,
	created_at {TS} NOT NULL,
	delivered_at {TS}
)
;
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE status = 'pending'
;
CREATE INDEX webhook_deliveries_chain_idx ON webhook_deliveries (webhook_id, chain, id) WHERE status = 'pending'
;
CREATE INDEX webhook_deliveries_log_idx ON webhook_deliveries (webhook_id, id)
;
CREATE INDEX webhook_deliveries_done_idx ON webhook_deliveries (created_at) WHERE status <> 'pending'
`

// migrationChatRatings adds the visitors' ratings of their chats (one a
// chat; a replacement keeps created_at, the start of the window in which
// it may be replaced) and whether a profile asks for them (every profile
// asks until an admin switches it off). FROZEN.
const migrationChatRatings = `
CREATE TABLE chat_ratings (
	chat_id TEXT PRIMARY KEY REFERENCES chats (id) ON DELETE CASCADE,
	score BIGINT NOT NULL,
	comment TEXT NOT NULL DEFAULT '',
	created_at {TS} NOT NULL,
	updated_at {TS} NOT NULL
)
;
ALTER TABLE chat_profiles ADD COLUMN rating_question TEXT NOT NULL DEFAULT 'ask'
`

// migrationAttachments adds the files visitors and agents attach to a
// chat (store/attachments.go): one row each, and its bytes in rows of
// at most AttachmentChunkSize (none when the service keeps files in a
// directory, --files). Both go with their chat (ON DELETE CASCADE). A
// profile's attachment limits are JSON; '{}' is the defaults. FROZEN.
const migrationAttachments = `
ALTER TABLE chat_profiles ADD COLUMN attachments TEXT NOT NULL DEFAULT '{}'
;
CREATE TABLE attachments (
	id TEXT PRIMARY KEY,
	chat_id TEXT NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
	seq BIGINT NOT NULL,
	sender TEXT NOT NULL,
	name TEXT NOT NULL,
	content_type TEXT NOT NULL,
	size BIGINT NOT NULL,
	in_dir BOOLEAN NOT NULL DEFAULT FALSE,
	created_at {TS} NOT NULL
)
;
CREATE INDEX attachments_chat_idx ON attachments (chat_id)
;
CREATE TABLE attachment_chunks (
	attachment_id TEXT NOT NULL REFERENCES attachments (id) ON DELETE CASCADE,
	n BIGINT NOT NULL,
	data {BLOB} NOT NULL,
	PRIMARY KEY (attachment_id, n)
)
`

// migrationTicketProfiles records the chat profile a ticket came through:
// a chat's ticket its chat's profile (filled in for the tickets before),
// an offline message's ticket (no chat) the profile of the widget it was
// left in; API clients bound to profiles read tickets by it. FROZEN.
const migrationTicketProfiles = `
ALTER TABLE tickets ADD COLUMN profile_id TEXT REFERENCES chat_profiles (id) ON DELETE SET NULL
;
UPDATE tickets SET profile_id = (SELECT c.profile_id FROM chats AS c WHERE c.id = tickets.chat_id) WHERE chat_id IS NOT NULL
;
CREATE INDEX IF NOT EXISTS tickets_profile_id_idx ON tickets (profile_id)
`

// migrationAuditLog adds the audit log (store/audit.go): one row for
// each change made through the admin API, written in the change's
// transaction. Rows are read newest first, whole or by entity or actor.
// FROZEN.
const migrationAuditLog = `
CREATE TABLE audit_log (
	id {ID},
	at {TS} NOT NULL,
	actor_type TEXT NOT NULL,
	actor_id BIGINT NOT NULL DEFAULT 0,
	actor_name TEXT NOT NULL DEFAULT '',
	address TEXT NOT NULL DEFAULT '',
	entity TEXT NOT NULL,
	entity_id TEXT NOT NULL DEFAULT '',
	action TEXT NOT NULL,
	changes TEXT NOT NULL DEFAULT '{}'
)
;
CREATE INDEX audit_log_at ON audit_log (at, id)
;
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id, at)
;
CREATE INDEX audit_log_actor ON audit_log (actor_type, actor_id, at)
`

// migrationRetention adds each chat profile's retention (days after a
// chat ended that it is deleted; 0 keeps chats) and the index the
// retention job finds a profile's old ended chats through: only ended
// chats are in it, and a chat's ended_at is written once, so a message's
// update of its chat stays in place (migrationHotChats). FROZEN.
const migrationRetention = `
ALTER TABLE chat_profiles ADD COLUMN retention_days BIGINT NOT NULL DEFAULT 0
;
CREATE INDEX chats_ended_idx ON chats (profile_id, ended_at) WHERE status = 'ended'
`

// migrationChatsUserProfile indexes a user's chats by profile: every
// start with an identity token looks for the user's open chats on the
// profile (OpenUserChats). With an index on user_id and one on
// profile_id, PostgreSQL combined both (a BitmapAnd that read the whole
// profile's index: 4.5 ms and 33 pages at 22,000 chats, growing with
// every chat). The new index answers from the user's few entries and
// serves every lookup by user_id, so the old one goes. FROZEN.
const migrationChatsUserProfile = `
CREATE INDEX chats_user_profile_idx ON chats (user_id, profile_id)
;
DROP INDEX chats_user_idx
`

// migrationCannedResponses adds the agents' canned responses
// (store/canned.go). team_id names a team once teams exist (no foreign
// key: the teams table is another migration's); NULL is every agent.
// FROZEN.
const migrationCannedResponses = `
CREATE TABLE canned_responses (
	id {ID},
	shortcut TEXT NOT NULL,
	text TEXT NOT NULL,
	team_id BIGINT,
	created_at {TS} NOT NULL,
	updated_at {TS} NOT NULL
)
;
CREATE UNIQUE INDEX canned_responses_shortcut ON canned_responses (shortcut)
`

// migrationLanguages adds a profile's language setting (an app/i18n code
// or 'auto': the browser's preferred languages, then default_language)
// and each chat's language, decided when it starts; chats and profiles
// from before speak English, as they did, and a profile from before is
// auto from now on. FROZEN.
const migrationLanguages = `
ALTER TABLE chat_profiles ADD COLUMN language TEXT NOT NULL DEFAULT 'auto'
;
ALTER TABLE chat_profiles ADD COLUMN default_language TEXT NOT NULL DEFAULT 'en'
;
ALTER TABLE chats ADD COLUMN language TEXT NOT NULL DEFAULT 'en'
`

// migrationChatsStarted indexes chats by their start, which reports
// select a range of (store/reports.go). started_at never changes, so a
// message's update of its chat stays in place (migrationHotChats).
// FROZEN.
const migrationChatsStarted = `
CREATE INDEX chats_started_idx ON chats (started_at)
`

// migrationTeams adds teams of agents (store/teams.go): how each hands
// out its chats (manual: its members' queue; auto: offered to the least
// busy online member) and how long a chat waits for an accept; each
// agent's cap on open chats; a chat's team and when it was offered to
// its agent (a queued chat with an agent is an offer); and agents'
// internal notes, messages the visitor never reads. FROZEN.
const migrationTeams = `
CREATE TABLE teams (
	id {ID},
	name TEXT NOT NULL,
	mode TEXT NOT NULL DEFAULT 'manual',
	accept_timeout BIGINT NOT NULL DEFAULT 60,
	created_at {TS} NOT NULL,
	updated_at {TS} NOT NULL
)
;
CREATE UNIQUE INDEX teams_name_key ON teams (name)
;
CREATE TABLE team_members (
	team_id BIGINT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
	agent_id BIGINT NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
	PRIMARY KEY (team_id, agent_id)
)
;
CREATE INDEX team_members_agent_idx ON team_members (agent_id)
;
ALTER TABLE agents ADD COLUMN max_chats BIGINT NOT NULL DEFAULT 5
;
ALTER TABLE chats ADD COLUMN team_id BIGINT REFERENCES teams (id) ON DELETE SET NULL
;
ALTER TABLE chats ADD COLUMN offered_at {TS}
;
CREATE INDEX chats_team_idx ON chats (team_id) WHERE team_id IS NOT NULL
;
ALTER TABLE messages ADD COLUMN internal BOOLEAN NOT NULL DEFAULT FALSE
`

// migrationMailOutbox adds the mail outbox (store/mails.go): each mail
// the service sends (a chat's transcript, a notification of a new
// ticket) is a row written in the transaction of what caused it, sent
// and retried by the mail dispatcher as webhook deliveries are. A chat
// counts the transcripts mailed for it (at most protocol.MaxTranscriptMails,
// a conditional update); a profile has the address its notifications go
// to (empty: none). A mail outlives its chat (chat_id SET NULL). FROZEN.
const migrationMailOutbox = `
CREATE TABLE mail_outbox (
	id {ID},
	kind TEXT NOT NULL,
	chat_id TEXT REFERENCES chats (id) ON DELETE SET NULL,
	ticket_id BIGINT,
	recipient TEXT NOT NULL,
	subject TEXT NOT NULL,
	body TEXT NOT NULL,
	status TEXT NOT NULL,
	attempts BIGINT NOT NULL DEFAULT 0,
	next_attempt_at {TS} NOT NULL,
	locked_until {TS},
	retry_until {TS} NOT NULL,
	last_error TEXT NOT NULL DEFAULT '',
	created_at {TS} NOT NULL,
	sent_at {TS}
)
;
CREATE INDEX mail_outbox_due_idx ON mail_outbox (status, next_attempt_at)
;
CREATE INDEX mail_outbox_chat_idx ON mail_outbox (chat_id)
;
ALTER TABLE chats ADD COLUMN transcript_mails BIGINT NOT NULL DEFAULT 0
;
ALTER TABLE chat_profiles ADD COLUMN notification_email TEXT NOT NULL DEFAULT ''
`

// migrationAgentConsoles adds each node's word that it holds consoles of
// an agent (store/presence.go): an agent is online while any node's row
// is fresh, so one node closing its last console of the agent no longer
// sets them offline while another node holds one. FROZEN.
const migrationAgentConsoles = `
CREATE TABLE agent_consoles (
	agent_id BIGINT NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
	node TEXT NOT NULL,
	seen_at {TS} NOT NULL,
	PRIMARY KEY (agent_id, node)
)
;
CREATE INDEX agent_consoles_seen_idx ON agent_consoles (seen_at)
`

// migrationServiceKeys holds keys the service makes for itself on first
// use and every node must share: the key that signs the download links
// of transcript mails (linkkey.go) when no secret key is given.
const migrationServiceKeys = `
CREATE TABLE service_keys (
	name TEXT PRIMARY KEY,
	value {BLOB} NOT NULL,
	created_at {TS} NOT NULL
)
`

// migrationCannedOrphans gives every agent the canned responses whose team
// was deleted before DeleteTeam did so itself (canned_responses.team_id
// has no foreign key): they named a team no one belongs to, which only
// admins saw. FROZEN.
const migrationCannedOrphans = `
UPDATE canned_responses SET team_id = NULL
WHERE team_id IS NOT NULL AND team_id NOT IN (SELECT id FROM teams)
`

// migrationPartialIndexes leaves out of four indexes the rows whose key
// is NULL, which no query looks for: a bot's or a visitor's message has
// no agent and a bot's no client id, a new chat no agent, a token's user
// no hint address. Each was an index entry (a WAL record) written with
// every chat start (six of its 29) and every visitor's message (one of
// three), and read by nobody: every query names a value (agent_id = ?,
// hint_email = ?), which implies IS NOT NULL on both databases, and a
// NULL never conflicted in a unique index. A resend's ON CONFLICT names
// the predicate (messages.go). The indexes are built again in the
// migration's transaction, which holds their tables meanwhile. FROZEN.
const migrationPartialIndexes = `
DROP INDEX messages_chat_client_msg_key
;
CREATE UNIQUE INDEX messages_chat_client_msg_key ON messages (chat_id, client_msg_id) WHERE client_msg_id IS NOT NULL
;
DROP INDEX messages_agent_idx
;
CREATE INDEX messages_agent_idx ON messages (agent_id) WHERE agent_id IS NOT NULL
;
DROP INDEX chats_agent_idx
;
CREATE INDEX chats_agent_idx ON chats (agent_id) WHERE agent_id IS NOT NULL
;
DROP INDEX users_hint_email_idx
;
CREATE UNIQUE INDEX users_hint_email_idx ON users (hint_email) WHERE hint_email IS NOT NULL
`
