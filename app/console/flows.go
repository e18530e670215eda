package console

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"halochat/app/flow"
	"halochat/app/i18n"
	"halochat/app/protocol"
)

// Flows lists the bot flows and creates new ones.
type Flows struct {
	app.Compo
	session
	list []protocol.ChatFlow
	err  string
}

func (p *Flows) OnMount(ctx app.Context) {
	p.session.authenticate(ctx, true, func(ctx app.Context) {
		loadInto(ctx, "/api/ChatFlow", &p.list, &p.err)
	})
}

func (p *Flows) Render() app.UI {
	rows := make([]app.UI, len(p.list))
	for i, f := range p.list {
		rows[i] = app.Tr().Body(
			app.Td().Body(app.A().Class("cc-flow-link").Href(fmt.Sprintf("%s/admin/flow?id=%d", Prefix, f.ID)).Text(f.Name)),
			app.Td().Text(strconv.FormatInt(f.CurrentVersion, 10)),
		)
	}
	return p.shell("/admin/flows",
		app.H1().Text("Bot flows"),
		notice("cc-error", p.err),
		table([]string{"Name", "Version"}, rows),
		nameForm("cc-new-flow", "New bot flow", "cc-create-flow", p.create),
	)
}

func (p *Flows) create(ctx app.Context, e app.Event) {
	e.PreventDefault()
	name := strings.TrimSpace(inputValue("cc-new-flow"))
	ctx.Async(func() {
		var out protocol.ChatFlowDetail
		err := call(ctx, "POST", "/api/ChatFlow", protocol.ChatFlowCreate{Name: name}, &out)
		ctx.Dispatch(func(ctx app.Context) {
			if err != nil {
				p.err = err.Error()
				return
			}
			ctx.Navigate(fmt.Sprintf("%s/admin/flow?id=%d", Prefix, out.ID))
		})
	})
}

// FlowEditor edits a flow's steps and saves new versions; its preview
// pane runs the flow in the browser with app/flow.
type FlowEditor struct {
	app.Compo
	session

	id       int64
	name     string
	version  int64
	f        *flow.Flow
	schema   flow.Schema
	runbooks []protocol.Runbook // what a runbook step may pick, by name
	teams    []protocol.Team    // what a transfer step may name
	problems map[int][]string   // step → problems of the last save (0: the flow)
	err, ok  string

	preview preview
}

func (fe *FlowEditor) OnMount(ctx app.Context) {
	fe.problems = map[int][]string{}
	fe.session.authenticate(ctx, true, func(ctx app.Context) {
		id, _ := strconv.ParseInt(queryParam(ctx, "id"), 10, 64)
		ctx.Async(func() {
			var d protocol.ChatFlowDetail
			var fields []protocol.CustomField
			err := call(ctx, "GET", fmt.Sprintf("/api/ChatFlow/%d", id), nil, &d)
			if err == nil {
				err = call(ctx, "GET", "/api/CustomField?entity=chat", nil, &fields)
			}
			var runbooks []protocol.Runbook
			if err == nil {
				err = call(ctx, "GET", "/api/Runbook", nil, &runbooks)
			}
			var teams []protocol.Team
			if err == nil {
				err = call(ctx, "GET", "/api/Team", nil, &teams)
			}
			ctx.Dispatch(func(app.Context) {
				if err != nil {
					fe.err = err.Error()
					return
				}
				fe.schema, fe.runbooks, fe.teams = flow.SchemaOf(fields), runbooks, teams
				fe.load(d)
			})
		})
	})
}

func (fe *FlowEditor) load(d protocol.ChatFlowDetail) {
	fe.id, fe.name, fe.version = d.ID, d.Name, d.Version
	fe.f = &flow.Flow{Name: d.Name, StartStep: 1, NextStepNumber: 1}
	if len(d.Document) > 0 && string(d.Document) != "null" {
		var f flow.Flow
		if err := json.Unmarshal(d.Document, &f); err != nil {
			fe.err = "The saved document cannot be read: " + err.Error()
			return
		}
		fe.f = &f
	}
}

func (fe *FlowEditor) Render() app.UI {
	if fe.f == nil {
		return fe.shell("/admin/flows", app.H1().Text("Bot flow"), notice("cc-error", fe.err))
	}
	f := fe.f
	var flowProblems app.UI = app.Text("")
	if ps := fe.problems[0]; len(ps) > 0 {
		flowProblems = problemList(ps)
	}
	return fe.shell("/admin/flows",
		app.H1().Text("Bot flow: "+fe.name),
		app.P().Class("cc-muted").ID("fl-version").Text(fmt.Sprintf("Version %d. Saving makes version %d; chats in progress keep theirs. Step numbers never change.", fe.version, fe.version+1)),
		app.Div().Class("cc-flow").Body(
			app.Div().Class("cc-steps").Body(
				app.Div().Class("cc-row").Body(
					app.Label().For("fl-start").Text("Start step"),
					fe.stepSelect("fl-start", f.StartStep, false),
				),
				// A new default language redraws the translation fields.
				app.Div().Class("cc-row").OnChange(fe.restructure(nil)).Body(
					app.Label().For("fl-lang").Text("Language of the steps' texts (their translations name the others)"),
					selectOf("fl-lang", string(i18n.Lang(f.DefaultLanguage).Or(i18n.Default)), languageLabels(false)),
				),
				flowProblems,
				app.Range(f.Steps).Slice(func(i int) app.UI { return fe.renderStep(&f.Steps[i]) }),
				app.Div().Class("cc-inline cc-addstep").Body(
					app.Label().For("fl-newkind").Text("Add a step"),
					app.Select().ID("fl-newkind").Body(app.Range(flow.Kinds()).Slice(func(i int) app.UI {
						k := flow.Kinds()[i]
						return app.Option().Value(string(k)).Text(kindLabel(k))
					})),
					app.Button().ID("fl-add").Text("Add step").OnClick(fe.addStep),
				),
				notice("cc-error", fe.err),
				notice("cc-ok", fe.ok),
				app.Button().ID("fl-save").Class("cc-primary").Text("Save new version").OnClick(fe.save),
			),
			fe.preview.render(fe),
		),
	)
}

func problemList(ps []string) app.UI {
	return app.Ul().Class("cc-problems").Body(app.Range(ps).Slice(func(i int) app.UI { return app.Li().Text(ps[i]) }))
}

var kindLabels = map[flow.Kind]string{
	flow.KindMessage: "Message", flow.KindQuestion: "Question", flow.KindChoice: "Choice (buttons)",
	flow.KindCondition: "Condition", flow.KindCreateTicket: "Create ticket", flow.KindRunbook: "Runbook",
	flow.KindTransfer: "Transfer to an agent", flow.KindEnd: "End",
}

func kindLabel(k flow.Kind) string {
	if l, ok := kindLabels[k]; ok {
		return l
	}
	return string(k)
}

var operators = []flow.Operator{flow.OpEquals, flow.OpNotEquals, flow.OpContains, flow.OpStartsWith, flow.OpIsEmpty,
	flow.OpNotEmpty, flow.OpGreaterThan, flow.OpLessThan, flow.OpOneOf}

// sid is the id of a step's form element.
func sid(n int, part string) string { return fmt.Sprintf("st-%d-%s", n, part) }

// stepSelect chooses a step among the existing ones (0: none).
func (fe *FlowEditor) stepSelect(id string, value int, none bool) app.UI {
	opts := [][2]string{}
	if none {
		opts = append(opts, [2]string{"0", "—"})
	}
	for _, s := range fe.f.Steps {
		label := s.Title
		if label == "" {
			label = oneLine(s.Text)
		}
		opts = append(opts, [2]string{strconv.Itoa(s.Number), fmt.Sprintf("%d: %s %s", s.Number, kindLabel(s.Kind), label)})
	}
	return selectOf(id, strconv.Itoa(value), opts)
}

func (fe *FlowEditor) branch(n int, part, label string, value int) app.UI {
	return app.Div().Class("cc-row cc-branch").Body(
		app.Label().For(sid(n, part)).Text(label),
		fe.stepSelect(sid(n, part), value, true),
	)
}

func textInput(id, label, value string) app.UI {
	return app.Div().Class("cc-row").Body(app.Label().For(id).Text(label), app.Input().ID(id).Value(value))
}

func (fe *FlowEditor) renderStep(s *flow.Step) app.UI {
	n := s.Number
	body := []app.UI{
		app.Div().Class("cc-step-head").Body(
			app.Strong().Class("cc-step-no").Text(fmt.Sprintf("Step %d", n)),
			app.Select().ID(sid(n, "kind")).Class("cc-kind").OnChange(func(ctx app.Context, e app.Event) {
				// The kind comes from the event, not from reading the
				// selects back: a select added by a render may not show
				// its selected option yet.
				k := flow.Kind(e.Get("target").Get("value").String())
				fe.restructure(func() {
					if st := fe.f.Step(n); st != nil {
						st.Kind = k
						shape(st)
					}
				})(ctx, e)
			}, app.EventScope(n)).Body(app.Range(flow.Kinds()).Slice(func(i int) app.UI {
				k := flow.Kinds()[i]
				return app.Option().Value(string(k)).Selected(k == s.Kind).Text(kindLabel(k))
			})),
			app.Input().ID(sid(n, "title")).Class("cc-step-title").Placeholder("Title (admins only)").Value(s.Title),
			app.Button().Class("cc-delete").Text("Delete").OnClick(fe.restructure(func() { fe.f.RemoveStep(n) }), app.EventScope(n)),
		),
		app.Div().Class("cc-check").Body(
			app.Input().ID(sid(n, "canstart")).Type("checkbox").Checked(s.CanStart),
			app.Label().For(sid(n, "canstart")).Text("Chat can start from this step"),
		),
	}
	if hasBotText(s.Kind) {
		body = append(body, app.Div().Class("cc-row").Body(
			app.Label().For(sid(n, "text")).Text("Bot text"),
			app.Textarea().ID(sid(n, "text")).Text(s.Text),
		), fe.translations(s))
	}
	switch s.Kind {
	case flow.KindMessage:
		body = append(body, fe.branch(n, "next", "Then go to", s.Next))
	case flow.KindQuestion:
		q := s.Question
		body = append(body,
			textInput(sid(n, "var"), "Store the answer in variable", q.Variable),
			app.Div().Class("cc-row").Body(app.Label().For(sid(n, "vtype")).Text("Answer must be"),
				selectOf(sid(n, "vtype"), q.Validation.Type, [][2]string{{"", "Any text"}, {"email", "An email address"}, {"number", "A number"}, {"pattern", "Matching a pattern"}})),
			textInput(sid(n, "pattern"), "Pattern (regular expression)", q.Validation.Pattern),
			app.Div().Class("cc-check").Body(app.Input().ID(sid(n, "required")).Type("checkbox").Checked(q.Validation.Required),
				app.Label().For(sid(n, "required")).Text("An answer is required")),
			textInput(sid(n, "error"), "When an answer is refused, say (empty: the catalogue's text, in the chat's language)", q.ErrorText),
			fe.translationFields(n, "error", "Refusal", q.ErrorTexts, false),
			fe.branch(n, "next", "Then go to", s.Next))
	case flow.KindChoice:
		c := s.Choice
		body = append(body, textInput(sid(n, "cvar"), "Store the choice in variable (optional)", c.Variable))
		for i, o := range c.Options {
			body = append(body, app.Div().Class("cc-inline cc-option").Body(
				app.Input().ID(sid(n, fmt.Sprintf("opt-%d-label", i))).Placeholder("Button label").Value(o.Label),
				app.Label().For(sid(n, fmt.Sprintf("opt-%d-next", i))).Text("goes to"),
				fe.stepSelect(sid(n, fmt.Sprintf("opt-%d-next", i)), o.Next, true),
				app.Button().Text("Remove").OnClick(fe.restructure(func() {
					if st := fe.f.Step(n); st != nil && i < len(st.Choice.Options) {
						st.Choice.Options = append(st.Choice.Options[:i:i], st.Choice.Options[i+1:]...)
					}
				}), app.EventScope(n, i)),
			), fe.translationFields(n, fmt.Sprintf("opt-%d", i), fmt.Sprintf("Button %d", i+1), o.Labels, false))
		}
		body = append(body, app.Button().Class("cc-add-option").Text("Add a button").OnClick(fe.restructure(func() {
			if st := fe.f.Step(n); st != nil {
				st.Choice.Options = append(st.Choice.Options, flow.Option{})
			}
		}), app.EventScope(n)))
	case flow.KindCondition:
		body = append(body, fe.criteria(s), fe.branch(n, "true", "When true, go to", s.Condition.True),
			fe.branch(n, "false", "When false, go to", s.Condition.False))
	case flow.KindCreateTicket:
		body = append(body, textInput(sid(n, "summary"), "Ticket summary", s.Ticket.Summary), fe.branch(n, "next", "Then go to", s.Next))
	case flow.KindRunbook:
		body = append(body, fe.runbookSelect(s), fe.runbookOutputs(s),
			fe.branch(n, "success", "On success, go to", s.Runbook.Success), fe.branch(n, "failure", "On failure or timeout, go to", s.Runbook.Failure))
	case flow.KindTransfer:
		opts := [][2]string{{"", "Any agent (the shared queue)"}}
		for _, t := range fe.teams {
			opts = append(opts, [2]string{strconv.FormatInt(t.ID, 10), "Team " + t.Name + " (" + t.Mode + ")"})
		}
		team := ""
		if s.Transfer.Team != 0 {
			team = strconv.FormatInt(s.Transfer.Team, 10)
		}
		body = append(body, app.Div().Class("cc-row").Body(app.Label().For(sid(n, "team")).Text("Transfer to"),
			selectOf(sid(n, "team"), team, opts)),
			fe.branch(n, "fallback", "When no agent is available, go to", s.Transfer.Fallback))
	}
	if ps := fe.problems[n]; len(ps) > 0 {
		body = append(body, problemList(ps))
	}
	cls := "cc-step"
	if len(fe.problems[n]) > 0 {
		cls += " cc-step-invalid"
	}
	return app.Div().ID(fmt.Sprintf("step-%d", n)).Class(cls).DataSet("step", n).Body(body...)
}

// hasBotText: steps of kind k show a text to the visitor.
func hasBotText(k flow.Kind) bool {
	return k != flow.KindCondition && k != flow.KindCreateTicket && k != flow.KindRunbook
}

// otherLanguages are the catalogue's languages but the flow's default.
func (fe *FlowEditor) otherLanguages() []i18n.Lang {
	def := i18n.Lang(fe.f.DefaultLanguage).Or(i18n.Default)
	var out []i18n.Lang
	for _, l := range i18n.Languages() {
		if l != def {
			out = append(out, l)
		}
	}
	return out
}

// translations are a step's bot text in the flow's other languages
// (translationFields of the part "text").
func (fe *FlowEditor) translations(s *flow.Step) app.UI {
	return fe.translationFields(s.Number, "text", "", s.Texts, true)
}

// translationFields are one text of step n in the flow's other
// languages, a field each (empty: the chat reads the text in the flow's
// default language), folded away until opened unless one is set. part
// names the text in the fields' ids: "text" (the bot text), "error" (a
// question's refusal), "opt-2" (the third button's label); what names it
// for the admin ("": the bot text).
func (fe *FlowEditor) translationFields(n int, part, what string, tr map[string]string, long bool) app.UI {
	langs := fe.otherLanguages()
	id, title := sid(n, part+"-translations"), fmt.Sprintf("%s: translations (%d of %d)", what, len(tr), len(langs))
	if part == "text" {
		id, title = sid(n, "translations"), fmt.Sprintf("Translations (%d of %d)", len(tr), len(langs))
	}
	return app.Details().ID(id).Class("cc-translations").Open(len(tr) > 0).Body(
		app.Summary().Text(title),
		app.Range(langs).Slice(func(i int) app.UI {
			l := langs[i]
			fid := sid(n, part+"-"+string(l))
			var input app.UI = app.Input().ID(fid).Dir(l.Dir()).Lang(string(l)).Value(tr[string(l)])
			if long {
				input = app.Textarea().ID(fid).Dir(l.Dir()).Lang(string(l)).Text(tr[string(l)])
			}
			return app.Div().Class("cc-row").Body(app.Label().For(fid).Text(l.Name()+" ("+string(l)+")"), input)
		}),
	)
}

// collectTranslations reads a step's translation fields back: its bot
// text's, a question's refusal's, each button label's.
func (fe *FlowEditor) collectTranslations(s *flow.Step) {
	if !hasBotText(s.Kind) {
		s.Texts = nil
		return
	}
	s.Texts = fe.readTranslations(s.Number, "text", s.Texts)
	if q := s.Question; q != nil && s.Kind == flow.KindQuestion {
		q.ErrorTexts = fe.readTranslations(s.Number, "error", q.ErrorTexts)
	}
	if c := s.Choice; c != nil && s.Kind == flow.KindChoice {
		for j := range c.Options {
			c.Options[j].Labels = fe.readTranslations(s.Number, fmt.Sprintf("opt-%d", j), c.Options[j].Labels)
		}
	}
}

// readTranslations reads the translation fields of part of step n onto
// tr (a field not drawn keeps its language's text) and returns it; nil
// when none is left.
func (fe *FlowEditor) readTranslations(n int, part string, tr map[string]string) map[string]string {
	for _, l := range fe.otherLanguages() {
		el := app.Window().GetElementByID(sid(n, part+"-"+string(l)))
		if !el.Truthy() {
			continue
		}
		v := el.Get("value").String()
		switch {
		case strings.TrimSpace(v) == "":
			delete(tr, string(l))
		case tr == nil:
			tr = map[string]string{string(l): v}
		default:
			tr[string(l)] = v
		}
	}
	if len(tr) == 0 {
		return nil
	}
	return tr
}

// criteria is a condition step's criteria table.
func (fe *FlowEditor) criteria(s *flow.Step) app.UI {
	n, c := s.Number, s.Condition
	rows := make([]app.UI, 0, len(c.Criteria))
	for i, cr := range c.Criteria {
		opts := make([][2]string, 0, len(operators))
		for _, op := range operators {
			opts = append(opts, [2]string{string(op), strings.ReplaceAll(string(op), "_", " ")})
		}
		value := cr.Value
		if cr.Op == flow.OpOneOf {
			value = strings.Join(cr.Values, ", ")
		}
		rows = append(rows, app.Tr().Class("cc-criterion").Body(
			app.Td().Body(selectOf(sid(n, fmt.Sprintf("crit-%d-src", i)), string(cr.Field.Source),
				[][2]string{{"chat", "Chat custom field"}, {"user", "User field"}, {"variable", "Variable"}})),
			app.Td().Body(app.Input().ID(sid(n, fmt.Sprintf("crit-%d-name", i))).Value(cr.Field.Name).List("cc-fieldnames")),
			app.Td().Body(selectOf(sid(n, fmt.Sprintf("crit-%d-op", i)), string(cr.Op), opts)),
			app.Td().Body(app.Input().ID(sid(n, fmt.Sprintf("crit-%d-value", i))).Placeholder("value (one of: a, b)").Value(value)),
			app.Td().Body(app.Button().Text("Remove").OnClick(fe.restructure(func() {
				if st := fe.f.Step(n); st != nil && i < len(st.Condition.Criteria) {
					st.Condition.Criteria = append(st.Condition.Criteria[:i:i], st.Condition.Criteria[i+1:]...)
				}
			}), app.EventScope(n, i))),
		))
	}
	names := append([]string{}, flow.UserFields()...)
	for _, d := range fe.schema.ChatFields {
		names = append(names, d.Name)
	}
	return app.Div().Class("cc-criteria").Body(
		app.Div().Class("cc-row").Body(app.Label().For(sid(n, "match")).Text("Match"),
			selectOf(sid(n, "match"), string(c.Match), [][2]string{{"all", "All criteria (and)"}, {"any", "Any criterion (or)"}})),
		app.Table().Class("cc-table").Body(
			app.THead().Body(app.Tr().Body(app.Th().Text("Source"), app.Th().Text("Field"), app.Th().Text("Operator"), app.Th().Text("Value"), app.Th())),
			app.TBody().Body(rows...),
		),
		app.DataList().ID("cc-fieldnames").Body(app.Range(names).Slice(func(i int) app.UI { return app.Option().Value(names[i]) })),
		app.Button().Class("cc-add-criterion").Text("Add a criterion").OnClick(fe.restructure(func() {
			if st := fe.f.Step(n); st != nil {
				first := ""
				if len(fe.schema.ChatFields) > 0 {
					first = fe.schema.ChatFields[0].Name
				}
				st.Condition.Criteria = append(st.Condition.Criteria, flow.Criterion{Field: flow.FieldRef{Source: flow.SourceChat, Name: first}, Op: flow.OpEquals})
			}
		}), app.EventScope(n)),
	)
}

// outputTypes are the types a runbook output may have.
var outputTypes = [][2]string{{string(flow.TypeText), "Text"}, {string(flow.TypeNumber), "Number"},
	{string(flow.TypeBoolean), "Boolean"}, {string(flow.TypeDate), "Date"}}

// runbookOutputs is a runbook step's output mappings: each copies a JSON
// path of the runbook's answer into a typed variable.
func (fe *FlowEditor) runbookOutputs(s *flow.Step) app.UI {
	n, r := s.Number, s.Runbook
	rows := make([]app.UI, 0, len(r.Outputs))
	for i, o := range r.Outputs {
		rows = append(rows, app.Tr().Class("cc-output").Body(
			app.Td().Body(app.Input().ID(sid(n, fmt.Sprintf("out-%d-path", i))).Placeholder("data.tier").Value(o.Path)),
			app.Td().Body(app.Input().ID(sid(n, fmt.Sprintf("out-%d-var", i))).Placeholder("tier").Value(o.Variable)),
			app.Td().Body(selectOf(sid(n, fmt.Sprintf("out-%d-type", i)), string(o.Type), outputTypes)),
			app.Td().Body(app.Button().Class("cc-remove-output").Text("Remove").OnClick(fe.restructure(func() {
				if st := fe.f.Step(n); st != nil && st.Runbook != nil && i < len(st.Runbook.Outputs) {
					st.Runbook.Outputs = append(st.Runbook.Outputs[:i:i], st.Runbook.Outputs[i+1:]...)
				}
			}), app.EventScope(n, i))),
		))
	}
	return app.Div().Class("cc-outputs").Body(
		app.P().Class("cc-muted").Text("Outputs: each copies a JSON path of the runbook's answer into a variable ({{var.name}}, conditions). A missing path or a value of the wrong type goes to the failure step."),
		app.Table().Class("cc-table").Body(
			app.THead().Body(app.Tr().Body(app.Th().Text("Answer path"), app.Th().Text("Variable"), app.Th().Text("Type"), app.Th())),
			app.TBody().Body(rows...),
		),
		app.Button().Class("cc-add-output").Text("Add an output").OnClick(fe.restructure(func() {
			if st := fe.f.Step(n); st != nil && st.Runbook != nil {
				st.Runbook.Outputs = append(st.Runbook.Outputs, flow.RunbookOutput{Type: flow.TypeText})
			}
		}), app.EventScope(n)),
	)
}

// runbookSelect is a runbook step's runbook, picked by name (the step
// keeps its id, so a rename breaks nothing). Picking one for a step
// without outputs copies the runbook's outputs as the step's, to edit
// or add to. An id no runbook has (deleted, or never made) stays
// listed as such until another is picked.
func (fe *FlowEditor) runbookSelect(s *flow.Step) app.UI {
	n, cur := s.Number, s.Runbook.Runbook
	opts := []app.UI{app.Option().Value(noValue).Selected(cur == "").Text("— pick a runbook —")}
	known := false
	for _, r := range fe.runbooks {
		known = known || r.ID == cur
		opts = append(opts, app.Option().Value(r.ID).Selected(r.ID == cur).Text(r.Name))
	}
	if cur != "" && !known {
		opts = append(opts, app.Option().Value(cur).Selected(true).Text(cur+" (no such runbook)"))
	}
	pick := func(ctx app.Context, e app.Event) {
		id := e.Get("target").Get("value").String()
		fe.restructure(func() {
			st := fe.f.Step(n)
			if st == nil || st.Runbook == nil {
				return
			}
			st.Runbook.Runbook = ""
			if id != noValue {
				st.Runbook.Runbook = id
			}
			i := slices.IndexFunc(fe.runbooks, func(r protocol.Runbook) bool { return r.ID == id })
			if i >= 0 && len(st.Runbook.Outputs) == 0 {
				st.Runbook.Outputs = slices.Clone(fe.runbooks[i].Outputs)
			}
		})(ctx, e)
	}
	return app.Div().Class("cc-row").Body(
		app.Label().For(sid(n, "runbook")).Text("Runbook"),
		app.Select().ID(sid(n, "runbook")).OnChange(pick, app.EventScope(n, len(fe.runbooks))).Body(opts...),
		app.A().Href(Prefix+"/admin/runbooks").Text("Manage runbooks"),
	)
}

// restructure returns a handler that reads the form into the flow, then
// changes its structure (nil: only reads, e.g. a step's kind changed).
func (fe *FlowEditor) restructure(change func()) app.EventHandler {
	return func(ctx app.Context, e app.Event) {
		e.PreventDefault()
		fe.collect()
		if change != nil {
			change()
		}
		fe.ok = ""
	}
}

func (fe *FlowEditor) addStep(ctx app.Context, e app.Event) {
	fe.collect()
	k := flow.Kind(inputValue("fl-newkind"))
	s := flow.Step{Kind: k}
	shape(&s)
	n := fe.f.AddStep(s)
	if len(fe.f.Steps) == 1 {
		fe.f.StartStep = n
	}
	fe.ok = ""
}

// shape gives a step exactly the payload of its kind.
func shape(s *flow.Step) {
	q, c, cond, t, r, tr := s.Question, s.Choice, s.Condition, s.Ticket, s.Runbook, s.Transfer
	s.Question, s.Choice, s.Condition, s.Ticket, s.Runbook, s.Transfer = nil, nil, nil, nil, nil, nil
	switch s.Kind {
	case flow.KindQuestion:
		s.Question = cmpOr(q, &flow.Question{Variable: fmt.Sprintf("answer%d", s.Number)})
	case flow.KindChoice:
		s.Choice = cmpOr(c, &flow.ChoiceStep{Options: []flow.Option{{Label: "Yes"}, {Label: "No"}}})
	case flow.KindCondition:
		s.Condition = cmpOr(cond, &flow.Condition{Match: flow.MatchAll})
	case flow.KindCreateTicket:
		s.Ticket = cmpOr(t, &flow.TicketStep{Summary: "Chat request"})
	case flow.KindRunbook:
		s.Runbook = cmpOr(r, &flow.RunbookStep{})
	case flow.KindTransfer:
		s.Transfer = cmpOr(tr, &flow.TransferStep{})
	}
	switch s.Kind {
	case flow.KindCondition, flow.KindCreateTicket, flow.KindRunbook:
		s.Text = ""
	}
	switch s.Kind {
	case flow.KindMessage, flow.KindQuestion, flow.KindCreateTicket:
	default:
		s.Next = 0
	}
}

func cmpOr[T any](v, def *T) *T {
	if v != nil {
		return v
	}
	return def
}

// collect reads every step's form fields into the flow.
func (fe *FlowEditor) collect() {
	f := fe.f
	num := func(id string) int { n, _ := strconv.Atoi(inputValue(id)); return n }
	if v := num("fl-start"); v > 0 {
		f.StartStep = v
	}

	for i := range f.Steps {
		s := &f.Steps[i]
		n := s.Number
		shape(s)
		s.Title = strings.TrimSpace(inputValue(sid(n, "title")))
		s.CanStart = inputChecked(sid(n, "canstart"))
		if el := app.Window().GetElementByID(sid(n, "text")); el.Truthy() {
			s.Text = el.Get("value").String()
		}
		fe.collectTranslations(s)
		switch s.Kind {
		case flow.KindMessage, flow.KindCreateTicket:
			s.Next = num(sid(n, "next"))
		case flow.KindQuestion:
			s.Next = num(sid(n, "next"))
			if el := app.Window().GetElementByID(sid(n, "var")); el.Truthy() {
				s.Question.Variable = strings.TrimSpace(inputValue(sid(n, "var")))
				s.Question.Validation.Type = inputValue(sid(n, "vtype"))
				s.Question.Validation.Pattern = inputValue(sid(n, "pattern"))
				s.Question.Validation.Required = inputChecked(sid(n, "required"))
				s.Question.ErrorText = strings.TrimSpace(inputValue(sid(n, "error")))
			}
		case flow.KindChoice:
			if app.Window().GetElementByID(sid(n, "cvar")).Truthy() {
				s.Choice.Variable = strings.TrimSpace(inputValue(sid(n, "cvar")))
			}
			for j := range s.Choice.Options {
				if app.Window().GetElementByID(sid(n, fmt.Sprintf("opt-%d-label", j))).Truthy() {
					s.Choice.Options[j].Label = strings.TrimSpace(inputValue(sid(n, fmt.Sprintf("opt-%d-label", j))))
					s.Choice.Options[j].Next = num(sid(n, fmt.Sprintf("opt-%d-next", j)))
				}
			}
		case flow.KindCondition:
			c := s.Condition
			if m := inputValue(sid(n, "match")); m != "" {
				c.Match = flow.Match(m)
			}
			c.True, c.False = num(sid(n, "true")), num(sid(n, "false"))
			for j := range c.Criteria {
				cr := &c.Criteria[j]
				if !app.Window().GetElementByID(sid(n, fmt.Sprintf("crit-%d-op", j))).Truthy() {
					continue
				}
				cr.Field.Source = flow.Source(inputValue(sid(n, fmt.Sprintf("crit-%d-src", j))))
				cr.Field.Name = strings.TrimSpace(inputValue(sid(n, fmt.Sprintf("crit-%d-name", j))))
				cr.Op = flow.Operator(inputValue(sid(n, fmt.Sprintf("crit-%d-op", j))))
				v := strings.TrimSpace(inputValue(sid(n, fmt.Sprintf("crit-%d-value", j))))
				cr.Value, cr.Values = "", nil
				switch cr.Op {
				case flow.OpOneOf:
					for part := range strings.SplitSeq(v, ",") {
						if part = strings.TrimSpace(part); part != "" {
							cr.Values = append(cr.Values, part)
						}
					}
				case flow.OpIsEmpty, flow.OpNotEmpty:
				default:
					cr.Value = v
				}
			}
		case flow.KindRunbook:
			if app.Window().GetElementByID(sid(n, "runbook")).Truthy() {
				s.Runbook.Runbook = strings.TrimSpace(inputValue(sid(n, "runbook")))
				s.Runbook.Success, s.Runbook.Failure = num(sid(n, "success")), num(sid(n, "failure"))
			}
			for j := range s.Runbook.Outputs {
				o := &s.Runbook.Outputs[j]
				if !app.Window().GetElementByID(sid(n, fmt.Sprintf("out-%d-type", j))).Truthy() {
					continue
				}
				o.Path = strings.TrimSpace(inputValue(sid(n, fmt.Sprintf("out-%d-path", j))))
				o.Variable = strings.TrimSpace(inputValue(sid(n, fmt.Sprintf("out-%d-var", j))))
				o.Type = flow.Type(inputValue(sid(n, fmt.Sprintf("out-%d-type", j))))
			}
		case flow.KindTransfer:
			s.Transfer.Fallback = num(sid(n, "fallback"))
			s.Transfer.Team, _ = strconv.ParseInt(inputValue(sid(n, "team")), 10, 64)
		}
		if s.Kind == flow.KindCreateTicket && app.Window().GetElementByID(sid(n, "summary")).Truthy() {
			s.Ticket.Summary = inputValue(sid(n, "summary"))
		}
	}
	// After the steps: their translations were read for the languages
	// the fields were drawn for.
	if l := inputValue("fl-lang"); l != "" {
		f.DefaultLanguage = l
		if l == string(i18n.Default) {
			f.DefaultLanguage = "" // English, as documents without one
		}
	}
}

func (fe *FlowEditor) save(ctx app.Context, e app.Event) {
	fe.collect()
	fe.err, fe.ok, fe.problems = "", "", map[int][]string{}
	doc := fe.f.Clone()
	doc.Name = fe.name
	raw, err := json.Marshal(doc)
	if err != nil {
		fe.err = "Not saved: the flow cannot be written as JSON: " + err.Error()
		return
	}
	body := protocol.ChatFlowSave{BaseVersion: fe.version, Document: raw}
	id := fe.id
	ctx.Async(func() {
		var d protocol.ChatFlowDetail
		err := call(ctx, "PUT", fmt.Sprintf("/api/ChatFlow/%d", id), body, &d)
		ctx.Dispatch(func(app.Context) {
			if err != nil {
				fe.err = "Not saved: " + err.Error()
				if ae, ok := err.(*apiError); ok && len(ae.Problems) > 0 {
					fe.err = fmt.Sprintf("Not saved: %d problem(s), shown at their steps.", len(ae.Problems))
					for _, p := range ae.Problems {
						msg := p.Message
						if p.Field != "" {
							msg = p.Field + ": " + msg
						}
						fe.problems[p.Step] = append(fe.problems[p.Step], msg)
					}
				}
				return
			}
			fe.load(d)
			fe.ok = fmt.Sprintf("Saved as version %d.", d.Version)
		})
	})
}
