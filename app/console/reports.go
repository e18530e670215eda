package console

import (
	"fmt"
	"html"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"halochat/app/protocol"
)

// Reports shows GET /api/Report/chats: a chart of the chats a day
// (answered and missed apart) and the table, by day, agent or profile.
type Reports struct {
	app.Compo
	session
	report *protocol.ChatReport
	err    string
}

func (p *Reports) OnMount(ctx app.Context) {
	p.authenticate(ctx, true, p.load)
}

// load reads the report the form asks for (the last 30 days by day at
// first).
func (p *Reports) load(ctx app.Context) {
	q := url.Values{}
	for param, id := range map[string]string{"from": "cc-report-from", "to": "cc-report-to", "groupBy": "cc-report-group"} {
		if v := strings.TrimSpace(inputValue(id)); v != "" {
			q.Set(param, v)
		}
	}
	// The form's "to" is the last day shown; the API's is the end of the
	// range, the day after.
	if d, err := time.Parse(time.DateOnly, q.Get("to")); err == nil {
		q.Set("to", d.AddDate(0, 0, 1).Format(time.DateOnly))
	}
	ctx.Async(func() {
		var out protocol.ChatReport
		err := call(ctx, "GET", "/api/Report/chats?"+q.Encode(), nil, &out)
		ctx.Dispatch(func(app.Context) {
			p.err = ""
			if err != nil {
				p.err = err.Error()
				return
			}
			p.report = &out
		})
	})
}

func (p *Reports) Render() app.UI {
	var body []app.UI
	if r := p.report; r != nil {
		if r.GroupBy == "day" {
			body = append(body, app.Raw(chatsChart(r.Rows)))
		}
		body = append(body, reportTable(r))
	}
	from, to := "", ""
	if p.report != nil {
		from, to = p.report.From.Format(time.DateOnly), p.report.To.AddDate(0, 0, -1).Format(time.DateOnly)
	}
	submit := func(ctx app.Context, e app.Event) { e.PreventDefault(); p.load(ctx) }
	return p.shell("/admin/reports", append([]app.UI{
		app.H1().Text("Reports"),
		app.P().Class("cc-muted").Text("Chats started in the range (days in UTC): answered by an agent, missed (ended while waiting for one), first response time (from the wait for an agent to the first agent message), time to end and ratings."),
		app.Form().Class("cc-inline").OnSubmit(submit).Body(
			app.Label().For("cc-report-from").Text("From"),
			app.Input().ID("cc-report-from").Type("date").Value(from),
			app.Label().For("cc-report-to").Text("To"),
			app.Input().ID("cc-report-to").Type("date").Value(to),
			app.Label().For("cc-report-group").Text("By"),
			app.Select().ID("cc-report-group").Body(
				app.Option().Value("day").Text("day"), app.Option().Value("agent").Text("agent"), app.Option().Value("team").Text("team"),
				app.Option().Value("profile").Text("profile"),
			),
			app.Button().ID("cc-report-show").Type("submit").Class("cc-primary").Text("Show"),
		),
		notice("cc-error", p.err),
	}, body...)...)
}

// reportTable is the report's rows.
func reportTable(r *protocol.ChatReport) app.UI {
	secs := func(v *float64) string {
		if v == nil {
			return "–"
		}
		return (time.Duration(*v*10) * time.Second / 10).String()
	}
	rating := func(row protocol.ChatReportRow) string {
		if row.RatingAvg == nil {
			return "–"
		}
		return fmt.Sprintf("%.1f (%d)", *row.RatingAvg, row.RatingCount)
	}
	rows := make([]app.UI, 0, len(r.Rows))
	for _, row := range r.Rows {
		rows = append(rows, app.Tr().DataSet("key", row.Key).Body(
			app.Td().Text(row.Label), app.Td().Class("cc-report-started").Text(row.Started), app.Td().Text(row.Answered),
			app.Td().Text(row.Missed), app.Td().Text(secs(row.FirstResponseP50)), app.Td().Text(secs(row.FirstResponseP90)),
			app.Td().Text(secs(row.TimeToEndAvg)), app.Td().Text(rating(row)),
		))
	}
	head := []string{strings.ToUpper(r.GroupBy[:1]) + r.GroupBy[1:], "Started", "Answered", "Missed", "First response p50", "p90", "Time to end", "Rating (count)"}
	return app.Div().ID("cc-report").Body(table(head, rows))
}

// chatsChart is an SVG bar chart of the chats started each day: the
// answered part blue at the bottom, the missed red above, the rest
// (bot-only, still waiting) grey on top.
func chatsChart(rows []protocol.ChatReportRow) string {
	const w, h, left, bottom, top = 900.0, 240.0, 40.0, 24.0, 12.0
	peak := int64(1)
	for _, r := range rows {
		peak = max(peak, r.Started)
	}
	n := max(len(rows), 1)
	slot := (w - left) / float64(n)
	barW := max(slot*0.7, 1)
	y := func(v int64) float64 { return (h - bottom) - float64(v)/float64(peak)*(h-bottom-top) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg id="cc-chart" class="cc-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %.0f %.0f" role="img" aria-label="Chats per day">`, w, h)
	fmt.Fprintf(&b, `<text x="4" y="%.0f">%d</text><text x="4" y="%.0f">0</text>`, top+4, peak, h-bottom)
	fmt.Fprintf(&b, `<line x1="%.0f" y1="%.0f" x2="%.0f" y2="%.0f" stroke="#d0d7de"/>`, left, h-bottom, w, h-bottom)
	for i, r := range rows {
		x := left + float64(i)*slot + (slot-barW)/2
		bar := func(class, fill string, from, to int64) {
			if to <= from {
				return
			}
			fmt.Fprintf(&b, `<rect class="%s" data-day="%s" x="%.1f" y="%.1f" width="%.1f" height="%.1f"%s><title>%s: %d</title></rect>`,
				class, html.EscapeString(r.Key), x, y(to), barW, y(from)-y(to), fill, html.EscapeString(r.Key), to-from)
		}
		bar("cc-bar", "", 0, r.Answered)
		bar("cc-bar-missed", "", r.Answered, r.Answered+r.Missed)
		bar("cc-bar-other", ` fill="#afb8c1"`, r.Answered+r.Missed, r.Started)
		if every := max(n/10, 1); i%every == 0 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%.0f">%s</text>`, x, h-8, html.EscapeString(shortDay(r.Key)))
		}
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// shortDay is "1 Dec" for "2026-12-01".
func shortDay(key string) string {
	d, err := time.Parse(time.DateOnly, key)
	if err != nil {
		return key
	}
	return strconv.Itoa(d.Day()) + " " + d.Format("Jan")
}
