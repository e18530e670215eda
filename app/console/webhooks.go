package console

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"halochat/app/protocol"
)

// Webhooks lists webhooks, creates them (the secret shown once), edits
// them (URL, events, description, enabled), rotates their secret,
// deletes them, and shows one's delivery log with a Resend per delivery.
type Webhooks struct {
	app.Compo
	listPage[protocol.Webhook]
	secret *protocol.WebhookWithSecret // just created or rotated: shown once
	log    deliveryLog
}

// deliveryLog is the delivery log of one webhook, page after page.
type deliveryLog struct {
	hook       int64 // the webhook shown (0: none)
	url        string
	items      []protocol.WebhookDelivery
	nextBefore int64
	err, ok    string
	rev        int // its loads: the Resend handlers' scope
}

// eventNotes say what each event type is, on the forms.
var eventNotes = map[string]string{
	protocol.WebhookChatStarted:     "a chat started",
	protocol.WebhookChatMessage:     "a visitor's, agent's or bot's message",
	protocol.WebhookChatAssigned:    "an agent took a chat",
	protocol.WebhookChatTransferred: "a chat moved to another agent",
	protocol.WebhookChatEnded:       "a chat ended",
	protocol.WebhookTicketCreated:   "a ticket was logged",
	protocol.WebhookTicketUpdated:   "a ticket's status or fields changed",
}

func (p *Webhooks) OnMount(ctx app.Context) {
	p.mount(ctx, "/api/Webhook", func(w protocol.Webhook) int64 { return w.ID }, nil)
}

func eventChecks(prefix string) app.UI {
	types := protocol.WebhookEventTypes()
	return app.Div().Body(app.Range(types).Slice(func(i int) app.UI {
		id := prefix + strings.ReplaceAll(types[i], ".", "-")
		return app.Div().Class("cc-check").Body(app.Input().ID(id).Type("checkbox"),
			app.Label().For(id).Text(types[i]+" — "+eventNotes[types[i]]))
	}))
}

func checkedEvents(prefix string) []string {
	out := []string{}
	for _, t := range protocol.WebhookEventTypes() {
		if inputChecked(prefix + strings.ReplaceAll(t, ".", "-")) {
			out = append(out, t)
		}
	}
	return out
}

// checkWebhookForm finds what the API would refuse before asking it.
func checkWebhookForm(url string, events []string) map[string]string {
	errs := required("url", url)
	if url != "" && !strings.HasPrefix(url, "http://") && !strings.HasPrefix(url, "https://") {
		errs = map[string]string{"url": "An http:// or https:// URL."}
	}
	if len(events) == 0 {
		errs["events"] = "Pick at least one event."
	}
	return errs
}

func (p *Webhooks) Render() app.UI {
	rows := make([]app.UI, 0, len(p.list))
	for _, w := range p.list {
		rows = append(rows, p.row(w))
	}
	var secret app.UI = app.Text("")
	if p.secret != nil {
		secret = secretBox("wh-secret", "The signing secret of "+p.secret.URL+
			" — shown this once: keep it with the receiver, which verifies every delivery with it.", p.secret.Secret)
	}
	return p.shell("/admin/webhooks",
		app.H1().Text("Webhooks"),
		app.P().Class("cc-muted").Text("Each event is POSTed to the URL as Standard Webhooks describes: signed (webhook-id, webhook-timestamp, webhook-signature), retried for a day until it is answered 2xx, the events of one chat in order."),
		notice("cc-error", p.err),
		notice("cc-ok", p.ok),
		secret,
		table([]string{"URL", "Events", "Description", "State", "", ""}, rows),
		p.editor(p.editForm),
		p.deliveries(),
		app.H2().Text("New webhook"),
		p.createForm(),
	)
}

// row is a webhook's row: its Edit and Deliveries buttons.
func (p *Webhooks) row(w protocol.Webhook) app.UI {
	scope := app.EventScope(w.ID, w.URL, p.rev)
	show := func(ctx app.Context, e app.Event) { p.showLog(ctx, w.ID, w.URL) }
	return app.Tr().DataSet("id", w.ID).Body(
		app.Td().Text(w.URL), app.Td().Text(strings.Join(w.Events, ", ")), app.Td().Text(w.Description), app.Td().Text(stateText(w.Disabled)),
		app.Td().Body(app.Button().Class("cc-edit").Text("Edit").OnClick(p.editHandler(w.ID, p.open), scope)),
		app.Td().Body(app.Button().Class("cc-deliveries").Text("Deliveries").OnClick(show, scope)),
	)
}

func (p *Webhooks) createForm() app.UI {
	return app.Form().ID("wh-new").Class("cc-form").NoValidate(true).OnSubmit(func(ctx app.Context, e app.Event) {
		e.PreventDefault()
		in := protocol.WebhookInput{URL: strings.TrimSpace(inputValue("wh-url")), Description: strings.TrimSpace(inputValue("wh-description")),
			Events: checkedEvents("wh-ev-")}
		if errs := checkWebhookForm(in.URL, in.Events); len(errs) > 0 {
			p.err = "Not created: " + strings.Join(sortedValues(errs), " ")
			return
		}
		out := &protocol.WebhookWithSecret{}
		p.create(ctx, in, out, func() {
			p.secret, p.ok = out, ""
			setInput("wh-url", "")
			setInput("wh-description", "")
		})
	}).Body(
		app.Label().For("wh-url").Text("URL"), app.Input().ID("wh-url").Type("url").Placeholder("https://crm.example.com/hooks/halochat"),
		app.Label().For("wh-description").Text("Description"), app.Input().ID("wh-description"),
		eventChecks("wh-ev-"),
		app.Button().ID("wh-create").Type("submit").Class("cc-primary").Text("Create webhook"),
	)
}

// sortedValues are a map's values in the order of its keys.
func sortedValues(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = m[k]
	}
	return out
}

func (p *Webhooks) open(ctx app.Context, w protocol.Webhook) {
	p.secret = nil
	p.startEdit(ctx, w.ID, func() {
		setInput("wh-e-url", w.URL)
		setInput("wh-e-description", w.Description)
		for _, t := range protocol.WebhookEventTypes() {
			setChecked("wh-e-ev-"+strings.ReplaceAll(t, ".", "-"), slices.Contains(w.Events, t))
		}
		setChecked("wh-e-disabled", w.Disabled)
	})
}

// editForm is the edit form of w, whose API path is path.
func (p *Webhooks) editForm(w protocol.Webhook, path string) app.UI {
	put := func(ctx app.Context) {
		in := protocol.WebhookInput{URL: strings.TrimSpace(inputValue("wh-e-url")), Description: strings.TrimSpace(inputValue("wh-e-description")),
			Events: checkedEvents("wh-e-ev-"), Disabled: inputChecked("wh-e-disabled")}
		if p.invalid(checkWebhookForm(in.URL, in.Events)) {
			return
		}
		p.send(ctx, "PUT", path, in, nil, func(app.Context) { p.editOK = "Saved." })
	}
	save := p.saveAsking(w.Disabled, "wh-e-disabled", put) // events stop being recorded: ask first
	rotate := rotator(&p.listForms, path+"/secret", func(out *protocol.WebhookWithSecret) { p.secret = out },
		"A new secret was made (shown above, this once). For 24 hours deliveries carry a signature with the old secret too: update the receiver within a day.")
	del := p.remover(path, "Deleted the webhook "+w.URL+".", func() {
		if p.log.hook == w.ID {
			p.log = deliveryLog{}
		}
	})
	return p.editSection("wh-edit", "Edit webhook: "+w.URL, save, []app.UI{
		p.editRow("wh-e-", "url", "URL", app.Input().ID("wh-e-url").Type("url")),
		p.editRow("wh-e-", "description", "Description", app.Input().ID("wh-e-description")),
		eventChecks("wh-e-ev-"),
		p.fieldError("events"),
		app.Div().Class("cc-check").Body(app.Input().ID("wh-e-disabled").Type("checkbox"),
			app.Label().For("wh-e-disabled").Text("Disabled (no events are recorded for it; those pending wait)")),
		p.confirmBox("disable", "Disable this webhook? Events that happen while it is disabled are not recorded for it, and are never sent.",
			"wh-disable-confirm", "Disable the webhook", func(ctx app.Context, e app.Event) { put(ctx) }),
		p.confirmBox("rotate", "Make a new signing secret? The new one is shown once; the old one keeps signing beside it for 24 hours.",
			"wh-rotate-confirm", "Make a new secret", rotate),
		p.confirmBox("delete", "Delete this webhook and its delivery log? Pending deliveries are dropped; it cannot be restored.",
			"wh-delete-confirm", "Delete the webhook", del),
	},
		app.Button().ID("wh-rotate").Type("button").Text("New secret…").OnClick(p.ask("rotate")),
		app.Button().ID("wh-delete").Type("button").Class("cc-danger").Text("Delete…").OnClick(p.ask("delete")),
	)
}

// showLog opens the delivery log of webhook id, newest first.
func (p *Webhooks) showLog(ctx app.Context, id int64, url string) {
	p.log = deliveryLog{hook: id, url: url}
	p.loadLog(ctx, 0)
}

// loadLog loads a page of the log: the newest (before 0), or the one
// older than before, added below.
func (p *Webhooks) loadLog(ctx app.Context, before int64) {
	ctx, hook := p.context(ctx), p.log.hook
	path := "/api/Webhook/" + strconv.FormatInt(hook, 10) + "/deliveries?limit=50"
	if before > 0 {
		path += "&before=" + strconv.FormatInt(before, 10)
	}
	ctx.Async(func() {
		var page protocol.WebhookDeliveries
		err := call(ctx, "GET", path, nil, &page)
		ctx.Dispatch(func(app.Context) {
			if p.log.hook != hook {
				return // another log was opened meanwhile
			}
			if err != nil {
				p.log.err = err.Error()
				return
			}
			if before == 0 {
				p.log.items = nil
			}
			p.log.items, p.log.nextBefore, p.log.err = append(p.log.items, page.Deliveries...), page.NextBefore, ""
			p.log.rev++
		})
	})
}

// resend sends delivery d again, then reloads the log.
func (p *Webhooks) resend(d protocol.WebhookDelivery) app.EventHandler {
	return func(ctx app.Context, e app.Event) {
		ctx, hook := p.context(ctx), p.log.hook
		path := fmt.Sprintf("/api/Webhook/%d/deliveries/%d/resend", hook, d.ID)
		ctx.Async(func() {
			err := call(ctx, "POST", path, nil, nil)
			ctx.Dispatch(func(ctx app.Context) {
				if err != nil {
					p.log.err, p.log.ok = err.Error(), ""
					return
				}
				p.log.ok = "Delivery " + d.EventID + " will be sent again now."
				p.loadLog(ctx, 0)
			})
		})
	}
}

// deliveries is the delivery log shown, if any.
func (p *Webhooks) deliveries() app.UI {
	l := p.log
	if l.hook == 0 {
		return app.Text("")
	}
	rows := make([]app.UI, 0, len(l.items))
	for _, d := range l.items {
		next, done := "", ""
		if d.NextAttemptAt != nil {
			next = clock(*d.NextAttemptAt)
		}
		if d.DeliveredAt != nil {
			done = clock(*d.DeliveredAt)
		}
		rows = append(rows, app.Tr().DataSet("delivery", d.ID).Class("cc-delivery-"+d.Status).Body(
			app.Td().Body(app.Text(d.EventType), app.Br(), app.Small().Class("cc-muted").Text(d.EventID)),
			app.Td().Class("cc-status").Text(d.Status), app.Td().Text(strconv.FormatInt(d.Attempts, 10)),
			app.Td().Class("cc-last-error").Text(d.LastError), app.Td().Text(next), app.Td().Text(clock(d.CreatedAt)), app.Td().Text(done),
			app.Td().Body(app.Button().Class("cc-resend").Text("Resend").OnClick(p.resend(d), app.EventScope(d.ID, l.rev))),
		))
	}
	more := app.UI(app.Text(""))
	if l.nextBefore > 0 {
		more = app.Button().ID("wh-log-more").Type("button").Text("Older deliveries").
			OnClick(func(ctx app.Context, e app.Event) { p.loadLog(ctx, l.nextBefore) }, app.EventScope(l.nextBefore))
	}
	return app.Section().ID("wh-log").Body(
		app.H2().Text("Deliveries to "+l.url),
		app.Div().Class("cc-inline").Body(
			app.Button().ID("wh-log-refresh").Type("button").Text("Refresh").OnClick(func(ctx app.Context, e app.Event) { p.loadLog(ctx, 0) }),
			app.Button().ID("wh-log-close").Type("button").Text("Close").OnClick(func(ctx app.Context, e app.Event) { p.log = deliveryLog{} }),
		),
		notice("cc-error", l.err),
		notice("cc-ok", l.ok),
		table([]string{"Event", "Status", "Attempts", "Last error", "Next attempt", "Created", "Delivered", ""}, rows),
		more,
	)
}
