package store

import (
	"time"
)

// startRow is one new chat's insert on PostgreSQL (createChatPG): the
// chat as stored (after its first advance; its StartedAt is the start's
// time), its field values, first messages and events, and what it
// stores beside it. A batch of several starts inserts them all with one
// statement (startsStatement); one start alone, or a batch that failed,
// runs createChatStatement with args.
type startRow struct {
	chat     Chat
	fieldIDs []int64
	values   []string
	msgs     []Message
	ev       eventArrays
	use      *TokenUse // nil: no token's use to record
	user     *User     // nil: no new user
}

// stmt is r's statement for the batcher: createChatStatement, whose
// arguments are worked out only if it runs (argsOf), for a batch of
// starts runs startsStatement instead.
func (r *startRow) stmt() batchStmt {
	return batchStmt{chatID: r.chat.ID, sql: createChatStatement, start: r}
}

// args are createChatStatement's arguments for r.
func (r *startRow) args() []any {
	row, now := &r.chat, r.chat.StartedAt
	seqs := make([]int64, len(r.msgs))
	senders := make([]string, len(r.msgs))
	agents := make([]*int64, len(r.msgs))
	texts := make([]string, len(r.msgs))
	payloads := make([]string, len(r.msgs))
	for i := range r.msgs {
		m := &r.msgs[i]
		seqs[i], senders[i], texts[i], payloads[i] = m.Seq, m.Sender, m.Text, string(m.Payload)
		if m.AgentID != 0 {
			agents[i] = &m.AgentID
		}
	}
	args := []any{
		row.ID, row.ProfileID, nullID(row.FlowID), nullID(row.FlowVersion), row.StartStep, nullID(row.UserID),
		row.Authenticated, row.Context, row.HostOrigin, row.Status, nullID(row.AgentID), row.ResumeSecretHash,
		string(row.FlowState), row.LastSeq, now, nullTime(row.QueuedAt), nullTime(row.AcceptedAt), nullTime(row.EndedAt),
		row.EndReason, nullID(row.TicketID),
		r.fieldIDs, r.values, seqs, senders, agents, texts, payloads, row.EmailHint,
		r.ev.ids, r.ev.types, r.ev.chains, r.ev.payloads, now.Add(RetryFor), row.Language, nullID(row.TeamID), nullTime(row.OfferedAt),
		"", now, nil, nil, "", "", "", "", false}
	if r.use != nil {
		args[36], args[37] = r.use.JTIHash, r.use.ExpiresAt
	}
	if u := r.user; u != nil {
		copy(args[38:], []any{nullText(u.ExternalID), nullText(u.Email), u.Username, u.FirstName,
			u.LastName, u.Phone, true})
	}
	return args
}

// startsStatement is createChatStatement for many new chats at once
// (PostgreSQL): one statement inserts them all, their users, field
// values, first messages, token uses and webhook deliveries. A batch of
// starts that is one statement instead of one each costs the database
// half the work a start (the statements' planning and executor start,
// their foreign-key checks' set-up): docs/BENCHMARKS.md.
//
// $1-$34 hold one element a chat, in the order of s's columns; $35 is
// the latest of their times, before which a token's earlier use must
// have expired. The field values ($36-$38), messages ($39-$44) and
// events ($45-$49) name their chat by its 1-based place k in $1. The
// chats whose token was used before are not inserted, nor anything of
// theirs; the statement answers the ids of the chats it inserted.
const startsStatement = `WITH s AS (
	SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::boolean[],
		$8::text[], $9::text[], $10::text[], $11::bigint[], $12::text[], $13::text[], $14::bigint[], $15::timestamptz[],
		$16::timestamptz[], $17::timestamptz[], $18::timestamptz[], $19::text[], $20::bigint[], $21::text[], $22::text[],
		$23::bigint[], $24::timestamptz[], $25::timestamptz[], $26::text[], $27::timestamptz[], $28::boolean[],
		$29::text[], $30::text[], $31::text[], $32::text[], $33::text[], $34::text[])
	WITH ORDINALITY AS s(id, profile_id, flow_id, flow_version, start_step, user_id, authenticated,
		context, host_origin, status, agent_id, resume_secret_hash, flow_state, last_seq, started_at,
		queued_at, accepted_at, ended_at, end_reason, ticket_id, email_hint, language,
		team_id, offered_at, retry_until, jti_hash, jti_expires, new_user,
		external_id, email, username, first_name, last_name, phone, k)
), t AS (
	INSERT INTO token_uses (profile_id, jti_hash, expires_at)
	SELECT s.profile_id, s.jti_hash, s.jti_expires FROM s WHERE s.jti_hash <> '' ORDER BY s.k
	ON CONFLICT (profile_id, jti_hash) DO UPDATE SET expires_at = EXCLUDED.expires_at
	WHERE token_uses.expires_at <= $35
	RETURNING profile_id, jti_hash
), ok AS (
	SELECT s.* FROM s
	WHERE s.jti_hash = '' OR EXISTS (SELECT FROM t WHERE t.profile_id = s.profile_id AND t.jti_hash = s.jti_hash)
), u AS (
	INSERT INTO users (id, external_id, email, username, first_name, last_name, phone,
		password_hash, disabled, hint_email, created_at, updated_at)
	SELECT ok.user_id, NULLIF(ok.external_id, ''), NULLIF(ok.email, ''), ok.username, ok.first_name, ok.last_name, ok.phone,
		'', false, NULL, ok.started_at, ok.started_at
	FROM ok WHERE ok.new_user ORDER BY ok.k
), c AS (
	INSERT INTO chats (id, profile_id, flow_id, flow_version, start_step, user_id, authenticated, context, host_origin,
		status, agent_id, resume_secret_hash, flow_state, last_seq, started_at, queued_at, accepted_at, ended_at,
		end_reason, ticket_id, email_hint, updated_at, language, team_id, offered_at)
	SELECT ok.id, ok.profile_id, ok.flow_id, ok.flow_version, ok.start_step, ok.user_id, ok.authenticated, ok.context,
		ok.host_origin, ok.status, ok.agent_id, ok.resume_secret_hash, ok.flow_state, ok.last_seq, ok.started_at,
		ok.queued_at, ok.accepted_at, ok.ended_at, ok.end_reason, ok.ticket_id, ok.email_hint, ok.started_at,
		ok.language, ok.team_id, ok.offered_at
	FROM ok ORDER BY ok.k
	RETURNING id
), f AS (
	INSERT INTO chat_field_values (chat_id, field_id, value)
	SELECT ok.id, v.field_id, v.value
	FROM unnest($36::bigint[], $37::bigint[], $38::text[]) AS v(k, field_id, value) JOIN ok ON ok.k = v.k
), m AS (
	INSERT INTO messages (chat_id, seq, sender, agent_id, client_msg_id, text, payload, created_at)
	SELECT ok.id, v.seq, v.sender, v.agent_id, NULL, v.text, v.payload, ok.started_at
	FROM unnest($39::bigint[], $40::bigint[], $41::text[], $42::bigint[], $43::text[], $44::text[])
		AS v(k, seq, sender, agent_id, text, payload) JOIN ok ON ok.k = v.k
), w AS (
	INSERT INTO webhook_deliveries (webhook_id, event_id, event_type, chain, payload,
		status, attempts, next_attempt_at, retry_until, last_error, last_status, created_at)
	SELECT wh.id, e.id, e.typ, e.chain, e.payload, 'pending', 0, ok.started_at, ok.retry_until, '', 0, ok.started_at
	FROM unnest($45::bigint[], $46::text[], $47::text[], $48::text[], $49::text[]) WITH ORDINALITY AS e(k, id, typ, chain, payload, ord)
	JOIN ok ON ok.k = e.k
	JOIN webhooks AS wh ON NOT wh.disabled AND wh.events LIKE '%"' || e.typ || '"%'
	ORDER BY e.ord, wh.id
)
SELECT id FROM c`

// startsArgs are startsStatement's arguments for rows.
func startsArgs(rows []*startRow) []any {
	n := len(rows)
	text := func() []string { return make([]string, n) }
	ids, profiles, contexts, origins, statuses := text(), text(), text(), text(), text()
	hashes, states, reasons, hints, langs, jtis := text(), text(), text(), text(), text(), text()
	exts, emails, unames, firsts, lasts, phones := text(), text(), text(), text(), text(), text()
	id := func() []*int64 { return make([]*int64, n) }
	flows, versions, users, agents, tickets, teams := id(), id(), id(), id(), id(), id()
	steps, lastSeqs := make([]int64, n), make([]int64, n)
	authed, newUser := make([]bool, n), make([]bool, n)
	started, retry, jtiExp := make([]time.Time, n), make([]time.Time, n), make([]time.Time, n)
	at := func() []*time.Time { return make([]*time.Time, n) }
	queued, accepted, ended, offered := at(), at(), at(), at()
	var fk, fids, mk, mseqs, ek []int64
	var fvalues, msenders, mtexts, mpayloads, eids, etypes, echains, epayloads []string
	var magents []*int64
	var latest time.Time
	for i, r := range rows {
		c, k := &r.chat, int64(i+1)
		ids[i], profiles[i], contexts[i], origins[i], statuses[i] = c.ID, c.ProfileID, c.Context, c.HostOrigin, c.Status
		hashes[i], states[i], reasons[i], hints[i], langs[i] = c.ResumeSecretHash, string(c.FlowState), c.EndReason, c.EmailHint, c.Language
		flows[i], versions[i], users[i] = idPtr(c.FlowID), idPtr(c.FlowVersion), idPtr(c.UserID)
		agents[i], tickets[i], teams[i] = idPtr(c.AgentID), idPtr(c.TicketID), idPtr(c.TeamID)
		steps[i], lastSeqs[i], authed[i] = c.StartStep, c.LastSeq, c.Authenticated
		started[i], retry[i], jtiExp[i] = c.StartedAt, c.StartedAt.Add(RetryFor), c.StartedAt
		queued[i], accepted[i], ended[i], offered[i] = timePtr(c.QueuedAt), timePtr(c.AcceptedAt), timePtr(c.EndedAt), timePtr(c.OfferedAt)
		if r.use != nil {
			jtis[i], jtiExp[i] = r.use.JTIHash, r.use.ExpiresAt
		}
		if u := r.user; u != nil {
			newUser[i] = true
			exts[i], emails[i], unames[i], firsts[i], lasts[i], phones[i] = u.ExternalID, u.Email, u.Username, u.FirstName, u.LastName, u.Phone
		}
		if c.StartedAt.After(latest) {
			latest = c.StartedAt
		}
		for j, field := range r.fieldIDs {
			fk, fids, fvalues = append(fk, k), append(fids, field), append(fvalues, r.values[j])
		}
		for _, m := range r.msgs {
			mk, mseqs, magents = append(mk, k), append(mseqs, m.Seq), append(magents, idPtr(m.AgentID))
			msenders, mtexts, mpayloads = append(msenders, m.Sender), append(mtexts, m.Text), append(mpayloads, string(m.Payload))
		}
		for j := range r.ev.ids {
			ek, eids, etypes = append(ek, k), append(eids, r.ev.ids[j]), append(etypes, r.ev.types[j])
			echains, epayloads = append(echains, r.ev.chains[j]), append(epayloads, r.ev.payloads[j])
		}
	}
	return []any{
		ids, profiles, flows, versions, steps, users, authed,
		contexts, origins, statuses, agents, hashes, states, lastSeqs, started,
		queued, accepted, ended, reasons, tickets, hints, langs,
		teams, offered, retry, jtis, jtiExp, newUser,
		exts, emails, unames, firsts, lasts, phones,
		latest,
		fk, fids, fvalues,
		mk, mseqs, msenders, magents, mtexts, mpayloads,
		ek, eids, etypes, echains, epayloads,
	}
}

// idPtr is a nullable id as an array element: nil for 0.
func idPtr(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

// timePtr is a nullable time as an array element: nil for the zero time.
func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}
