package console

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"halochat/app/flow"
	"halochat/app/i18n"
	"halochat/app/protocol"
)

var accessLabels = [][2]string{
	{"agents_only", "Agents only"},
	{"portal", "Self-Service Portal"},
	{"portal_and_external", "Self-Service Portal & External Websites"},
}

var visibilityLabels = [][2]string{
	{protocol.VisibilityAll, "Every chat of this profile"},
	{protocol.VisibilityQueueAndOwn, "Its queued chats, and the chats the agent holds or held"},
}

var ratingQuestionLabels = [][2]string{
	{protocol.RatingQuestionAsk, "Ask for a rating"},
	{protocol.RatingQuestionOff, "Do not ask"},
}

// languageLabels are the widget's languages for a select; withAuto
// puts auto first.
func languageLabels(withAuto bool) [][2]string {
	var out [][2]string
	if withAuto {
		out = append(out, [2]string{i18n.Auto, "Automatic: the visitor's browser, else the default language"})
	}
	for _, l := range i18n.Languages() {
		out = append(out, [2]string{string(l), l.Name() + " (" + string(l) + ")"})
	}
	return out
}

var weekdays = []string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}

// Profiles lists the chat profiles and creates new ones.
type Profiles struct {
	app.Compo
	session
	list []protocol.ChatProfile
	err  string
}

func (p *Profiles) OnMount(ctx app.Context) {
	p.session.authenticate(ctx, true, p.load)
}

func (p *Profiles) load(ctx app.Context) {
	loadInto(ctx, "/api/ChatProfile", &p.list, &p.err)
}

func (p *Profiles) Render() app.UI {
	rows := make([]app.UI, len(p.list))
	for i, pr := range p.list {
		rows[i] = app.Tr().Body(
			app.Td().Body(app.A().Class("cc-profile-link").Href(Prefix+"/admin/profile?id="+url.QueryEscape(pr.ID)).Text(pr.Name)),
			app.Td().Text(accessLabel(pr.Access)),
			app.Td().Body(app.Code().Text(pr.ID)),
		)
	}
	return p.shell("/admin/profiles",
		app.H1().Text("Chat profiles"),
		notice("cc-error", p.err),
		table([]string{"Name", "Access", "Id (configId)"}, rows),
		nameForm("cc-new-profile", "New chat profile", "cc-create-profile", p.create),
	)
}

func accessLabel(v string) string {
	for _, a := range accessLabels {
		if a[0] == v {
			return a[1]
		}
	}
	return v
}

func (p *Profiles) create(ctx app.Context, e app.Event) {
	e.PreventDefault()
	name := strings.TrimSpace(inputValue("cc-new-profile"))
	ctx.Async(func() {
		var out protocol.ChatProfile
		in := protocol.ChatProfileInput{ChatProfile: protocol.ChatProfile{Name: name, Access: "portal_and_external"}}
		err := call(ctx, "POST", "/api/ChatProfile", in, &out)
		ctx.Dispatch(func(ctx app.Context) {
			if err != nil {
				p.err = err.Error()
				return
			}
			ctx.Navigate(Prefix + "/admin/profile?id=" + url.QueryEscape(out.ID))
		})
	})
}

// ProfileEdit is one chat profile's settings, with the embed snippet.
type ProfileEdit struct {
	app.Compo
	session

	p           *protocol.ChatProfile
	flows       []protocol.ChatFlow
	types       []protocol.TicketType
	startSteps  []flow.Step // steps of the profile's flow that allow a start
	errs        map[string]string
	err, saved  string
	confirmRegn bool
	serviceURL  string
	copied      bool
	schema      flow.Schema // the chat custom fields, for the token tester
	tokenNotes  []string
	tokenRows   []claimRow
	// confirmSecret asks before an HS256 secret is replaced; newSecret is
	// the one just made, shown this once (reads never show secrets).
	confirmSecret bool
	newSecret     *protocol.ProfileSecret
	// mailOn: the service sends e-mail (serve --smtp), as the widget
	// learns it from the availability's mailTranscript.
	mailOn bool
}

func (pe *ProfileEdit) OnMount(ctx app.Context) {
	u := ctx.Page().URL()
	pe.serviceURL = u.Scheme + "://" + u.Host
	pe.errs = map[string]string{}
	pe.session.authenticate(ctx, true, func(ctx app.Context) {
		id := queryParam(ctx, "id")
		ctx.Async(func() {
			var pr protocol.ChatProfile
			var flows []protocol.ChatFlow
			var types []protocol.TicketType
			var fields []protocol.CustomField
			err := call(ctx, "GET", "/api/ChatProfile/"+url.PathEscape(id), nil, &pr)
			if err == nil {
				err = call(ctx, "GET", "/api/ChatFlow", nil, &flows)
			}
			if err == nil {
				err = call(ctx, "GET", "/api/TicketType", nil, &types)
			}
			if err == nil {
				err = call(ctx, "GET", "/api/CustomField?entity=chat", nil, &fields)
			}
			var av protocol.Availability
			if err == nil {
				err = call(ctx, "GET", "/chat/api/v1/availability?configId="+url.QueryEscape(id), nil, &av)
			}
			ctx.Dispatch(func(ctx app.Context) {
				if err != nil {
					pe.err = err.Error()
					return
				}
				pe.p, pe.flows, pe.types, pe.schema = &pr, flows, types, flow.SchemaOf(fields)
				pe.mailOn = av.MailTranscript
				pe.loadSteps(ctx)
			})
		})
	})
}

// loadSteps reads the start-allowed steps of the profile's flow, for the
// example events.
func (pe *ProfileEdit) loadSteps(ctx app.Context) {
	flowID := pe.p.FlowID
	if flowID == 0 {
		pe.startSteps = nil
		return
	}
	ctx.Async(func() {
		var d protocol.ChatFlowDetail
		err := call(ctx, "GET", fmt.Sprintf("/api/ChatFlow/%d", flowID), nil, &d)
		var steps []flow.Step
		if err == nil && len(d.Document) > 0 && string(d.Document) != "null" {
			if f, perr := flow.Parse(d.Document); perr == nil {
				for _, s := range f.Steps {
					if s.CanStart {
						steps = append(steps, s)
					}
				}
			}
		}
		ctx.Dispatch(func(app.Context) { pe.startSteps = steps })
	})
}

func (pe *ProfileEdit) Render() app.UI {
	if pe.p == nil {
		return pe.shell("/admin/profiles", app.H1().Text("Chat profile"), notice("cc-error", pe.err))
	}
	p := pe.p
	return pe.shell("/admin/profiles",
		app.H1().Text("Chat profile: "+p.Name),
		app.Form().ID("pf-form").Class("cc-form cc-profile").OnSubmit(pe.save).Body(
			app.FieldSet().Body(app.Legend().Text("General"),
				pe.row("name", "Name", app.Input().ID("pf-name").Value(p.Name)),
				pe.row("access", "Access", selectOf("pf-access", p.Access, accessLabels)),
			),
			app.FieldSet().Body(app.Legend().Text("Appearance (a page's initialize event may override it)"),
				pe.row("appearance.colour", "Colour (hex or CSS name)", app.Input().ID("pf-appearance.colour").Value(p.Appearance.Colour)),
				pe.row("appearance.theme", "Theme", selectOf("pf-appearance.theme", p.Appearance.Theme, [][2]string{{"", "Default (light)"}, {"light", "Light"}, {"dark", "Dark"}})),
				pe.row("appearance.title", "Title", app.Input().ID("pf-appearance.title").Value(p.Appearance.Title)),
				pe.row("appearance.greeting", "Greeting", app.Textarea().ID("pf-appearance.greeting").Text(p.Appearance.Greeting)),
				pe.row("appearance.launcherPosition", "Launcher position", selectOf("pf-appearance.launcherPosition", p.Appearance.LauncherPosition,
					[][2]string{{"", "Default (bottom right)"}, {"bottom-right", "Bottom right"}, {"bottom-left", "Bottom left"}})),
				pe.row("appearance.iconUrl", "Launcher icon URL", app.Input().ID("pf-appearance.iconUrl").Type("url").Value(p.Appearance.IconURL)),
			),
			app.FieldSet().Body(app.Legend().Text("Embedding"),
				pe.row("allowedOrigins", "Allowed origins (one per line; empty: any)", app.Textarea().ID("pf-allowedOrigins").Text(strings.Join(p.AllowedOrigins, "\n"))),
				pe.row("emailStorageKey", "Email address session storage key", app.Input().ID("pf-emailStorageKey").Value(p.EmailStorageKey)),
				pe.check("trustEmailStorage", "Keep the chats that hint one address under one user of their own (off: each is anonymous)", p.TrustEmailStorage),
				app.Div().ID("pf-trust-warning").Class("cc-warning").Body(app.P().Text(
					"The e-mail hint is whatever the page's session storage holds: any visitor can set it to anyone's address. "+
						"It never signs anyone in: even trusted, the chats that hint an address join a user of that address's own, "+
						"which no one can log in as, and nothing stored on it is shown to the visitor. "+
						"Agents see the hint as an unverified e-mail. To know who a visitor is, sign an identity token.")),
			),
			app.FieldSet().Body(app.Legend().Text("Availability"),
				pe.row("availability.timeZone", "Time zone (IANA, e.g. Europe/London; empty: always open)", app.Input().ID("pf-availability.timeZone").Value(p.Availability.TimeZone)),
				pe.row("availability.weekly", "Opening hours (one per line: Mon 09:00-17:00; empty: all week)", app.Textarea().ID("pf-availability.weekly").Text(formatWeekly(p.Availability.Weekly))),
				pe.row("availability.holidays", "Holidays (one per line: 2026-12-25 Christmas)", app.Textarea().ID("pf-availability.holidays").Text(formatHolidays(p.Availability.Holidays))),
				pe.check("availability.needsAgent", "The flow needs an online agent", p.Availability.NeedsAgent),
			),
			app.FieldSet().Body(app.Legend().Text("Identity tokens"),
				pe.check("identity.tokenRequired", "A token is required (otherwise optional)", p.Identity.TokenRequired),
				pe.row("identity.hs256Secrets", `HS256 secrets by kid (JSON: [{"kid":"…"}]). Secrets are never shown again: an entry without "secret" keeps its stored one; give "secret" (32 bytes or more) to set one, or use "New HS256 secret" below`,
					app.Textarea().ID("pf-identity.hs256Secrets").Text(rawList(p.Identity.HS256Secrets))),
				pe.row("identity.publicKeys", `RS256/ES256 public keys (JSON: [{"kid":"…","alg":"RS256","pem":"…"}])`, app.Textarea().ID("pf-identity.publicKeys").Text(rawList(p.Identity.PublicKeys))),
				pe.row("identity.issuer", "Expected issuer (iss)", app.Input().ID("pf-identity.issuer").Value(p.Identity.Issuer)),
				pe.row("identity.audience", "Expected audience (aud)", app.Input().ID("pf-identity.audience").Value(p.Identity.Audience)),
				pe.row("identity.leewaySeconds", "Clock leeway (seconds, 0–300)", app.Input().ID("pf-identity.leewaySeconds").Type("number").Value(strconv.Itoa(p.Identity.LeewaySeconds))),
				pe.row("identity.maxTokenLifetimeSeconds", "Maximum token lifetime (seconds from iat to exp, 60–2592000; empty or 0: a day)", app.Input().ID("pf-identity.maxTokenLifetimeSeconds").Type("number").Value(lifetimeText(p.Identity.MaxTokenLifetimeSeconds))),
				pe.row("tokenMappings", "Identity token mappings (one per line: claim = firstname | lastname | username | email | phone | externalid)", app.Textarea().ID("pf-tokenMappings").Text(formatMappings(p.TokenMappings))),
			),
			app.FieldSet().Body(app.Legend().Text("Bot flow and tickets"),
				pe.row("flowId", "Bot flow", selectOf("pf-flowId", strconv.FormatInt(p.FlowID, 10), options(pe.flows, "No flow", func(f protocol.ChatFlow) (int64, string) { return f.ID, f.Name }))),
				pe.row("startStep", "Start step (0: the flow's own)", app.Input().ID("pf-startStep").Type("number").Value(strconv.FormatInt(p.StartStep, 10))),
				pe.row("ticketTypeId", "Ticket type", selectOf("pf-ticketTypeId", strconv.FormatInt(p.TicketTypeID, 10), options(pe.types, "None", func(t protocol.TicketType) (int64, string) { return t.ID, t.Name }))),
			),
			app.FieldSet().Body(app.Legend().Text("Agents"),
				pe.row("agentChatVisibility", "Which chats an agent may read (admins read every chat)", selectOf("pf-agentChatVisibility",
					p.AgentChatVisibility, visibilityLabels)),
			),
			app.FieldSet().Body(app.Legend().Text("Visitors"),
				pe.row("ratingQuestion", "When a chat ends, ask the visitor to rate it (1–5 and a comment)", selectOf("pf-ratingQuestion",
					p.RatingQuestion, ratingQuestionLabels)),
				pe.row("language", "Language of the widget, its system messages and the flow's translations", selectOf("pf-language",
					orAuto(p.Language), languageLabels(true))),
				pe.row("defaultLanguage", "Default language (when automatic finds none of the browser's languages)", selectOf("pf-defaultLanguage",
					orEnglish(p.DefaultLanguage), languageLabels(false))),
			),
			app.FieldSet().Body(app.Legend().Text("Data protection"),
				pe.row("retentionDays", "Delete ended chats after N days — their messages, files, custom-field values, ratings and "+
					"transcript mails; tickets stay (a whole number; empty: keep)",
					app.Input().ID("pf-retentionDays").Attr("inputmode", "numeric").Value(retentionText(p.RetentionDays))),
			),
			pe.mailSettings(),
			notice("cc-error", pe.err),
			notice("cc-ok", pe.saved),
			app.Button().ID("pf-save").Type("submit").Class("cc-primary").Text("Save"),
		),
		pe.secrets(),
		pe.embed(),
		pe.tokenTester(),
	)
}

// mailSettings is the notification address, disabled with a note when
// the service sends no e-mail.
func (pe *ProfileEdit) mailSettings() app.UI {
	return app.FieldSet().Body(app.Legend().Text("E-mail"),
		pe.row("notificationEmail", "Notification address: told of each new ticket (offline messages, and tickets the flow logs), in the default language; empty: none",
			app.Input().ID("pf-notificationEmail").Type("email").Value(pe.p.NotificationEmail).Disabled(!pe.mailOn)),
		app.If(!pe.mailOn, func() app.UI {
			return app.P().ID("pf-mail-off").Class("cc-warning").Text("This chat service sends no e-mail: it was started without an SMTP server " +
				"(serve --smtp, or HALOCHAT_SMTP). Visitors are not offered transcripts by mail, and no notification is sent.")
		}),
	)
}

// secrets makes a new HS256 secret for a kid, behind a warning, and
// shows it this once: the host backend's copy must change with it.
func (pe *ProfileEdit) secrets() app.UI {
	kid := ""
	if hs := pe.p.Identity.HS256Secrets; len(hs) > 0 {
		kid = hs[0].KID
	}
	var shown app.UI = app.Text("")
	if s := pe.newSecret; s != nil {
		shown = app.Div().ID("pf-new-secret").Class("cc-warning").Body(
			app.P().Text(fmt.Sprintf("The new HS256 secret of kid %q — shown this once: give it to the host backend that signs identity tokens.", s.KID)),
			app.Pre().Class("cc-code").Text(s.Secret),
		)
	}
	return app.Section().ID("cc-secrets").Body(
		app.H2().Text("New HS256 secret"),
		app.P().Text("Makes a random secret for the kid (added when the profile has no such kid) and shows it once."),
		app.Label().For("pf-secret-kid").Text("kid"),
		app.Input().ID("pf-secret-kid").Value(kid),
		app.If(!pe.confirmSecret, func() app.UI {
			return app.Button().ID("pf-secret-new").Type("button").Text("New secret…").OnClick(func(ctx app.Context, e app.Event) { pe.confirmSecret = true })
		}).Else(func() app.UI {
			return app.Div().Class("cc-warning").Body(
				app.P().Text("Tokens signed with this kid's current secret are refused at once: update the host backend right after."),
				app.Button().ID("pf-secret-confirm").Type("button").Class("cc-danger").Text("Make a new secret").OnClick(pe.rotateSecret),
				app.Button().Type("button").Text("Cancel").OnClick(func(ctx app.Context, e app.Event) { pe.confirmSecret = false }),
			)
		}),
		shown,
	)
}

func (pe *ProfileEdit) rotateSecret(ctx app.Context, e app.Event) {
	id, kid := pe.p.ID, strings.TrimSpace(inputValue("pf-secret-kid"))
	ctx.Async(func() {
		var out protocol.ProfileSecret
		err := call(ctx, "POST", "/api/ChatProfile/"+url.PathEscape(id)+"/identity/secret", protocol.ProfileSecretInput{KID: kid}, &out)
		ctx.Dispatch(func(app.Context) {
			pe.confirmSecret = false
			if err != nil {
				pe.err = err.Error()
				return
			}
			pe.newSecret = &out
			// A new kid joins the list the form sends back, or a save
			// would drop it.
			if !slices.ContainsFunc(pe.p.Identity.HS256Secrets, func(h protocol.HMACSecret) bool { return h.KID == out.KID }) {
				pe.p.Identity.HS256Secrets = append(pe.p.Identity.HS256Secrets, protocol.HMACSecret{KID: out.KID})
			}
			pe.saved = "A new HS256 secret was made (shown this once, below the form): tokens signed with the old one are refused."
		})
	})
}

// options are a select's options for picking one of list by id (0: none).
func options[T any](list []T, none string, idName func(T) (int64, string)) [][2]string {
	opts := [][2]string{{"0", none}}
	for _, t := range list {
		id, name := idName(t)
		opts = append(opts, [2]string{strconv.FormatInt(id, 10), name})
	}
	return opts
}

// row is a labelled field with its error, if the last save named it.
func (pe *ProfileEdit) row(field, label string, input app.UI) app.UI {
	return app.Div().Class("cc-row").DataSet("field", field).Body(
		app.Label().For("pf-"+field).Text(label),
		input,
		notice("cc-field-error", pe.errs[field]),
	)
}

func (pe *ProfileEdit) check(field, label string, on bool) app.UI {
	return app.Div().Class("cc-row cc-check").DataSet("field", field).Body(
		app.Input().ID("pf-"+field).Type("checkbox").Checked(on),
		app.Label().For("pf-"+field).Text(label),
		notice("cc-field-error", pe.errs[field]),
	)
}

// selectOf is a select of (value, label) options. An empty value is
// written as noValue (an option without a value attribute would submit
// its label); inputValue reads it back as "".
func selectOf(id, value string, opts [][2]string) app.UI {
	return app.Select().ID(id).Body(app.Range(opts).Slice(func(i int) app.UI {
		v := opts[i][0]
		if v == "" {
			v = noValue
		}
		return app.Option().Value(v).Selected(opts[i][0] == value).Text(opts[i][1])
	}))
}

const noValue = "-"

// embed is the "Embed on External Website" section
// (docs/CONTRACT.md#snippet).
func (pe *ProfileEdit) embed() app.UI {
	p := pe.p
	var examples []string
	colour := p.Appearance.Colour
	if colour == "" {
		colour = "#1f6feb"
	}
	examples = append(examples, fmt.Sprintf(`window.dispatchEvent(new CustomEvent("haloChat_inboundEvent_initialize", {
  detail: { configId: %q, configKey: %q, colour: %q }
}));`, p.ID, p.Key, colour))
	for _, s := range pe.startSteps {
		label := s.Title
		if label == "" {
			label = s.Text
		}
		examples = append(examples, fmt.Sprintf(`// step %d: %s
window.dispatchEvent(new CustomEvent("haloChat_inboundEvent_openChatWindow", {
  detail: { startStepOverride: %d }
}));`, s.Number, oneLine(label), s.Number))
	}
	if len(pe.startSteps) == 0 {
		examples = append(examples, `window.dispatchEvent(new CustomEvent("haloChat_inboundEvent_openChatWindow", { detail: {} }));
// No step of this profile's flow has "Chat can start from this step": startStepOverride would be refused.`)
	}
	copyLabel := "Copy snippet"
	if pe.copied {
		copyLabel = "Copied"
	}
	return app.Section().ID("cc-embed").Class("cc-embed").Body(
		app.H2().Text("Embed on External Website"),
		app.P().Text("Paste this into the pages that show the chat, just before </body>:"),
		app.Pre().ID("cc-snippet").Class("cc-code").Text(pe.snippet()),
		app.Button().ID("cc-copy").Class("cc-primary").Text(copyLabel).OnClick(func(ctx app.Context, e app.Event) {
			copyText(pe.snippet())
			pe.copied = true
		}),
		app.H3().Text("Example events"),
		app.P().Text("A page drives the widget with CustomEvents on window:"),
		app.Pre().ID("cc-examples").Class("cc-code").Text(strings.Join(examples, "\n\n")),
		app.H3().Text("Key"),
		app.If(!pe.confirmRegn, func() app.UI {
			return app.Button().ID("cc-regen").Text("Regenerate key").OnClick(func(ctx app.Context, e app.Event) { pe.confirmRegn = true })
		}).Else(func() app.UI {
			return app.Div().Class("cc-warning").Body(
				app.P().Text("Regenerating the key stops every page that embeds the current key: update their snippet (configKey) right after."),
				app.Button().ID("cc-regen-confirm").Class("cc-danger").Text("Regenerate the key").OnClick(pe.regenerate),
				app.Button().Text("Cancel").OnClick(func(ctx app.Context, e app.Event) { pe.confirmRegn = false }),
			)
		}),
	)
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 60 {
		s = string(r[:60]) + "…"
	}
	return s
}

func (pe *ProfileEdit) snippet() string {
	return fmt.Sprintf(`<div id="halo-chat"></div>
<script>
  var haloChatConfig = {
    chatServiceUrl: %q,
    configId: %q,
    configKey: %q,
  }
</script>
<script src="%s/chat/index.js"></script>`, pe.serviceURL, pe.p.ID, pe.p.Key, pe.serviceURL)
}

func (pe *ProfileEdit) regenerate(ctx app.Context, e app.Event) {
	id := pe.p.ID
	ctx.Async(func() {
		var out protocol.ProfileKey
		err := call(ctx, "POST", "/api/ChatProfile/"+url.PathEscape(id)+"/key", nil, &out)
		ctx.Dispatch(func(app.Context) {
			pe.confirmRegn = false
			if err != nil {
				pe.err = err.Error()
				return
			}
			pe.p.Key, pe.copied = out.Key, false
			pe.saved = "A new key was made: update the snippet on every page that embeds this profile."
		})
	})
}

// save reads the form, checks what it can, and PUTs the profile.
func (pe *ProfileEdit) save(ctx app.Context, e app.Event) {
	e.PreventDefault()
	pe.errs, pe.err, pe.saved = map[string]string{}, "", ""
	np, errs := readProfileForm(*pe.p)
	if len(errs) > 0 {
		pe.errs = errs
		pe.err = "Some settings need fixing (see the fields marked)."
		return
	}
	ctx.Async(func() {
		var out protocol.ChatProfile
		err := call(ctx, "PUT", "/api/ChatProfile/"+url.PathEscape(np.ID), protocol.ChatProfileInput{ChatProfile: np}, &out)
		ctx.Dispatch(func(ctx app.Context) {
			if err != nil {
				if ae, ok := err.(*apiError); ok && ae.field() != "" {
					pe.errs[fieldKey(ae.field())] = ae.Message
				}
				pe.err = "Not saved: " + err.Error()
				return
			}
			pe.p, pe.saved = &out, "Saved."
			pe.loadSteps(ctx)
		})
	})
}

// fieldKey maps an API field path (e.g. identity.hs256Secrets[0].secret)
// to the form row that edits it.
func fieldKey(f string) string {
	if i := strings.IndexByte(f, '['); i > 0 {
		f = f[:i]
	}
	for _, prefix := range []string{"availability.weekly", "availability.holidays", "tokenMappings", "allowedOrigins"} {
		if strings.HasPrefix(f, prefix) {
			return prefix
		}
	}
	return f
}

// readProfileForm reads the form onto a copy of p and reports the fields
// that cannot be right, by field path. What the form does not show keeps
// p's value.
func readProfileForm(p protocol.ChatProfile) (protocol.ChatProfile, map[string]string) {
	errs := map[string]string{}
	v := func(f string) string { return strings.TrimSpace(inputValue("pf-" + f)) }
	p.Name = v("name")
	if p.Name == "" {
		errs["name"] = "A name is required."
	}
	p.Access = v("access")
	p.Appearance = protocol.Appearance{Colour: v("appearance.colour"), Theme: v("appearance.theme"), Title: v("appearance.title"),
		Greeting: v("appearance.greeting"), LauncherPosition: v("appearance.launcherPosition"), IconURL: v("appearance.iconUrl")}
	if p.Appearance.Colour != "" && !protocol.ValidColour(p.Appearance.Colour) {
		errs["appearance.colour"] = "Not a CSS colour: use a hex colour (#1f6feb) or a colour name (teal)."
	}
	if u := p.Appearance.IconURL; u != "" {
		if pu, err := url.Parse(u); err != nil || (pu.Scheme != "https" && pu.Scheme != "http") || pu.Host == "" {
			errs["appearance.iconUrl"] = "Must be an absolute http(s) URL."
		}
	}
	p.AllowedOrigins = lines(v("allowedOrigins"))
	p.EmailStorageKey = v("emailStorageKey")
	p.TrustEmailStorage = inputChecked("pf-trustEmailStorage")
	p.Availability.TimeZone = v("availability.timeZone")
	p.Availability.NeedsAgent = inputChecked("pf-availability.needsAgent")
	var err error
	if p.Availability.Weekly, err = parseWeekly(v("availability.weekly")); err != nil {
		errs["availability.weekly"] = err.Error()
	}
	p.Availability.Holidays = nil
	for _, l := range lines(v("availability.holidays")) {
		date, name, _ := strings.Cut(l, " ")
		p.Availability.Holidays = append(p.Availability.Holidays, protocol.Holiday{Date: date, Name: strings.TrimSpace(name)})
	}
	p.Identity.TokenRequired = inputChecked("pf-identity.tokenRequired")
	p.Identity.Issuer, p.Identity.Audience = v("identity.issuer"), v("identity.audience")
	if p.Identity.LeewaySeconds, err = strconv.Atoi(orZero(v("identity.leewaySeconds"))); err != nil || p.Identity.LeewaySeconds < 0 || p.Identity.LeewaySeconds > 300 {
		errs["identity.leewaySeconds"] = "A number of seconds from 0 to 300."
	}
	if l, err := strconv.Atoi(orZero(v("identity.maxTokenLifetimeSeconds"))); err != nil ||
		(l != 0 && (l < protocol.MinTokenLifetimeSeconds || l > protocol.MaxTokenLifetimeSeconds)) {
		errs["identity.maxTokenLifetimeSeconds"] = fmt.Sprintf("A number of seconds from %d to %d (30 days), or empty for a day.",
			protocol.MinTokenLifetimeSeconds, protocol.MaxTokenLifetimeSeconds)
	} else {
		p.Identity.MaxTokenLifetimeSeconds = l
	}
	p.Identity.HS256Secrets, p.Identity.PublicKeys = nil, nil
	for field, dst := range map[string]any{"identity.hs256Secrets": &p.Identity.HS256Secrets, "identity.publicKeys": &p.Identity.PublicKeys} {
		if err := readList(v(field), dst); err != nil {
			errs[field] = "Not a JSON list: " + err.Error()
		}
	}
	p.TokenMappings = map[string]string{}
	for _, l := range lines(v("tokenMappings")) {
		claim, field, ok := strings.Cut(l, "=")
		if !ok {
			errs["tokenMappings"] = fmt.Sprintf("%q: write claim = field", l)
			continue
		}
		p.TokenMappings[strings.TrimSpace(claim)] = strings.TrimSpace(field)
	}
	p.FlowID, _ = strconv.ParseInt(orZero(v("flowId")), 10, 64)
	if p.StartStep, err = strconv.ParseInt(orZero(v("startStep")), 10, 64); err != nil || p.StartStep < 0 {
		errs["startStep"] = "A step number (0: the flow's own start step)."
	}
	p.TicketTypeID, _ = strconv.ParseInt(orZero(v("ticketTypeId")), 10, 64)
	p.AgentChatVisibility = v("agentChatVisibility")
	p.RatingQuestion = v("ratingQuestion")
	p.Language, p.DefaultLanguage = v("language"), v("defaultLanguage")
	if p.RetentionDays, err = parseRetention(v("retentionDays")); err != nil {
		errs["retentionDays"] = err.Error()
	}
	// The service checks the address (400 naming notificationEmail);
	// disabled (no SMTP), the input still holds the stored one.
	p.NotificationEmail = v("notificationEmail")
	return p, errs
}

// retentionText shows a profile's retention: empty when it keeps chats.
func retentionText(days int64) string {
	if days == 0 {
		return ""
	}
	return strconv.FormatInt(days, 10)
}

// parseRetention reads the retention field: empty keeps chats (0), else
// a positive whole number of days. Its upper bound is the API's to
// check (its refusal is shown at the field).
func parseRetention(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	days, err := strconv.ParseInt(s, 10, 64)
	if err != nil || days <= 0 {
		return 0, fmt.Errorf("%q is not a positive whole number of days: write one (e.g. 30), or leave it empty to keep chats", s)
	}
	return days, nil
}

// orAuto is a profile's language setting: auto when unset.
func orAuto(l string) string {
	if l == "" {
		return i18n.Auto
	}
	return l
}

// orEnglish is a profile's default language: English when unset.
func orEnglish(l string) string {
	if l == "" {
		return string(i18n.Default)
	}
	return l
}

// lifetimeText shows a maximum token lifetime: empty for the default.
func lifetimeText(seconds int) string {
	if seconds == 0 {
		return ""
	}
	return strconv.Itoa(seconds)
}

func orZero(s string) string {
	if s == "" {
		return "0"
	}
	return s
}

func lines(s string) []string {
	out := []string{}
	for l := range strings.SplitSeq(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// rawList shows a list of keys or secrets as the JSON an admin edits.
func rawList[T any](list []T) string {
	if len(list) == 0 {
		return ""
	}
	b, _ := json.MarshalIndent(list, "", "  ")
	return string(b)
}

// readList reads what an admin wrote into a list of keys or secrets: one
// JSON list whose items have only the properties shown (the API refuses
// any other).
func readList(s string, dst any) error {
	if s == "" {
		return nil
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("something follows the list")
	}
	return nil
}

func formatMappings(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s = %s\n", k, m[k])
	}
	return b.String()
}

func formatWeekly(w []protocol.OpeningInterval) string {
	var b strings.Builder
	for _, iv := range w {
		if iv.Weekday >= 0 && iv.Weekday < 7 {
			fmt.Fprintf(&b, "%s %s-%s\n", weekdays[iv.Weekday], iv.Start, iv.End)
		}
	}
	return b.String()
}

func parseWeekly(s string) ([]protocol.OpeningInterval, error) {
	var out []protocol.OpeningInterval
	for _, l := range lines(s) {
		day, span, ok := strings.Cut(l, " ")
		start, end, ok2 := strings.Cut(strings.TrimSpace(span), "-")
		wd := slices.IndexFunc(weekdays, func(d string) bool { return strings.EqualFold(d, day) })
		if !ok || !ok2 || wd < 0 {
			return nil, fmt.Errorf("%q: write a day and hours, e.g. Mon 09:00-17:00", l)
		}
		out = append(out, protocol.OpeningInterval{Weekday: wd, Start: strings.TrimSpace(start), End: strings.TrimSpace(end)})
	}
	return out, nil
}

func formatHolidays(hs []protocol.Holiday) string {
	var b strings.Builder
	for _, h := range hs {
		fmt.Fprintf(&b, "%s %s\n", h.Date, h.Name)
	}
	return b.String()
}
