package httpapi

import (
	"context"
	"database/sql"
	"encoding/csv"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"halochat/app/protocol"
	"halochat/backend/store"
)

// maxReportDays bounds a report's range.
const maxReportDays = 366

func reportRoutes(a *IdentityAPI, admin string) []apiRoute {
	return []apiRoute{
		{"GET", "/api/Report/chats", admin, "Chats started in [from, to) by day (UTC), agent or profile: started, answered by an agent, missed (ended while waiting for one), first response time p50 and p90, mean time to end (seconds), ratings' mean and count. ?from=&to= (RFC 3339 or YYYY-MM-DD; default the last 30 days; at most 366 days)&groupBy=day|agent|team|profile. Accept: text/csv answers CSV", "", "ChatReport", 200, a.chatReport},
	}
}

// chatReport answers GET /api/Report/chats.
func (a *IdentityAPI) chatReport(w http.ResponseWriter, r *http.Request) error {
	from, to, groupBy, err := reportQuery(r, time.Now())
	if err != nil {
		return err
	}
	rows, err := a.Store.ChatReport(r.Context(), from, to, groupBy)
	if err != nil {
		return err
	}
	labels, err := a.reportLabels(r.Context(), groupBy)
	if err != nil {
		return err
	}
	out := protocol.ChatReport{From: from, To: to, GroupBy: groupBy, Rows: make([]protocol.ChatReportRow, len(rows))}
	for i, row := range rows {
		out.Rows[i] = reportRowJSON(row, labels)
	}
	if wantsCSV(r) {
		return writeReportCSV(w, out)
	}
	return writeOK(w, http.StatusOK, out)
}

// reportQuery reads from, to and groupBy; now sets the default range.
func reportQuery(r *http.Request, now time.Time) (from, to time.Time, groupBy string, err error) {
	q := r.URL.Query()
	groupBy = q.Get("groupBy")
	switch groupBy {
	case "":
		groupBy = store.GroupByDay
	case store.GroupByDay, store.GroupByAgent, store.GroupByTeam, store.GroupByProfile:
	default:
		return from, to, "", apiInvalid("groupBy", "must be day, agent, team or profile, not %q", groupBy)
	}
	to = now.UTC().Truncate(24*time.Hour).AddDate(0, 0, 1)
	from = to.AddDate(0, 0, -30)
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"from", &from}, {"to", &to}} {
		v := q.Get(p.name)
		if v == "" {
			continue
		}
		t, perr := time.Parse(time.RFC3339, v)
		if perr != nil {
			if t, perr = time.Parse(time.DateOnly, v); perr != nil {
				return from, to, "", apiInvalid(p.name, "must be a date (2026-12-01) or an RFC 3339 time, not %q", v)
			}
		}
		*p.dst = t.UTC()
	}
	switch {
	case !from.Before(to):
		return from, to, "", apiInvalid("to", "must be after from")
	case to.Sub(from) > maxReportDays*24*time.Hour:
		return from, to, "", apiInvalid("to", "is more than %d days after from", maxReportDays)
	}
	return from, to, groupBy, nil
}

// reportLabels names the keys of a report by agent or profile.
func (a *IdentityAPI) reportLabels(ctx context.Context, groupBy string) (map[string]string, error) {
	labels := map[string]string{}
	switch groupBy {
	case store.GroupByAgent:
		agents, err := a.Store.ListAgents(ctx)
		if err != nil {
			return nil, err
		}
		labels["0"] = "(no agent)"
		for _, ag := range agents {
			labels[strconv.FormatInt(ag.ID, 10)] = ag.Name
		}
	case store.GroupByTeam:
		teams, err := a.Store.ListTeams(ctx)
		if err != nil {
			return nil, err
		}
		labels["0"] = "(no team)"
		for _, tm := range teams {
			labels[strconv.FormatInt(tm.ID, 10)] = tm.Name
		}
	case store.GroupByProfile:
		profiles, err := a.Store.ListProfiles(ctx)
		if err != nil {
			return nil, err
		}
		for _, p := range profiles {
			labels[p.ID] = p.Name
		}
	}
	return labels, nil
}

func reportRowJSON(row store.ChatReportRow, labels map[string]string) protocol.ChatReportRow {
	opt := func(v sql.NullFloat64) *float64 {
		if !v.Valid {
			return nil
		}
		f := v.Float64
		return &f
	}
	label, ok := labels[row.Key]
	if !ok {
		label = row.Key
	}
	return protocol.ChatReportRow{Key: row.Key, Label: label, Started: row.Started, Answered: row.Answered, Missed: row.Missed,
		FirstResponseP50: opt(row.FirstResponseP50), FirstResponseP90: opt(row.FirstResponseP90),
		TimeToEndAvg: opt(row.TimeToEndAvg), RatingAvg: opt(row.RatingAvg), RatingCount: row.RatingCount}
}

// wantsCSV says whether the request's Accept header asks for text/csv
// before JSON.
func wantsCSV(r *http.Request) bool {
	for part := range strings.SplitSeq(r.Header.Get("Accept"), ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mt {
		case "text/csv":
			return true
		case "application/json", "*/*":
			return false
		}
	}
	return false
}

// writeReportCSV answers the report as CSV: a header line, a line a row.
func writeReportCSV(w http.ResponseWriter, rep protocol.ChatReport) error {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="chats-by-`+rep.GroupBy+`.csv"`)
	cw := csv.NewWriter(w)
	num := func(v *float64) string {
		if v == nil {
			return ""
		}
		return strconv.FormatFloat(*v, 'f', 1, 64)
	}
	_ = cw.Write([]string{rep.GroupBy, "label", "started", "answered", "missed", "first_response_p50_s", "first_response_p90_s",
		"time_to_end_avg_s", "rating_avg", "rating_count"})
	for _, r := range rep.Rows {
		_ = cw.Write([]string{r.Key, csvSafe(r.Label), strconv.FormatInt(r.Started, 10), strconv.FormatInt(r.Answered, 10),
			strconv.FormatInt(r.Missed, 10), num(r.FirstResponseP50), num(r.FirstResponseP90), num(r.TimeToEndAvg),
			num(r.RatingAvg), strconv.FormatInt(r.RatingCount, 10)})
	}
	cw.Flush()
	return cw.Error()
}

// csvSafe keeps a name a spreadsheet would read as a formula as text.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// reportComponents are the report's schemas.
func reportComponents() []oaComponent {
	secs := oaNote("seconds; null when no chat of the group had one")
	return []oaComponent{
		{"ChatReport", reflect.TypeFor[protocol.ChatReport](), nil, map[string]jsonObj{
			"groupBy": oaOneOf("", store.GroupByDay, store.GroupByAgent, store.GroupByTeam, store.GroupByProfile),
			"rows":    oaNote("by key; by day every day of the range has a row"),
		}},
		{"ChatReportRow", reflect.TypeFor[protocol.ChatReportRow](), nil, map[string]jsonObj{
			"key":              oaNote("the day (YYYY-MM-DD, UTC), the agent's or team's id (\"0\": none) or the chat profile's id"),
			"label":            oaNote("the agent's, team's or profile's name (the day again by day)"),
			"answered":         oaNote("chats an agent accepted"),
			"missed":           oaNote("chats that ended while waiting for an agent"),
			"firstResponseP50": oaNote("seconds from the wait for an agent (the start when the chat never waited) to the first agent message: median"),
			"firstResponseP90": secs,
			"timeToEndAvg":     oaNote("mean seconds from start to end over the ended chats"),
			"ratingAvg":        oaNote("mean score (1–5) over the rated chats"),
		}},
	}
}
