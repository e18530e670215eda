package console

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"halochat/app/flow"
	"halochat/app/protocol"
)

// Runbooks lists the runbooks (the outbound calls a flow's runbook step
// makes), creates new ones, and edits, tests, re-keys or deletes one.
// Flows name a runbook by its id, so a rename breaks none; the API
// refuses (409) to delete one a flow in use calls, and the page shows
// which. A signing secret is shown once, when made.
type Runbooks struct {
	app.Compo
	listForms
	list   []protocol.Runbook
	editID string                      // the runbook in the edit form
	secret *protocol.RunbookWithSecret // just created or re-keyed: shown once
	tested *protocol.RunbookTestResult // the edit form's last test call
	testOn bool                        // a test call is under way
	opens  int64                       // edit forms opened: each its own event scope
}

// defaultTestSample is the test form's sample chat data to start from.
const defaultTestSample = `{"user": {"email": "ann@example.com"}, "chatFields": {}, "variables": {}}`

func (p *Runbooks) OnMount(ctx app.Context) {
	p.path, p.reload = "/api/Runbook", p.load
	p.authenticate(ctx, true, p.load)
}

func (p *Runbooks) load(ctx app.Context) {
	if !p.hasUI {
		p.ui, p.hasUI = ctx, true
	}
	loadInto(p.ui, p.path, &p.list, &p.err, func() { p.rev++ })
}

// editing is the runbook in the edit form, if it is still listed.
func (p *Runbooks) edited() (protocol.Runbook, bool) {
	if p.editing == 0 {
		return protocol.Runbook{}, false
	}
	i := slices.IndexFunc(p.list, func(r protocol.Runbook) bool { return r.ID == p.editID })
	if i < 0 {
		return protocol.Runbook{}, false
	}
	return p.list[i], true
}

func (p *Runbooks) Render() app.UI {
	rows := make([]app.UI, 0, len(p.list))
	for _, r := range p.list {
		id := r.ID
		tds := []app.UI{app.Td().Text(r.Name), app.Td().Text(r.URL), app.Td().Text(fmt.Sprintf("%d s", r.TimeoutSeconds)),
			app.Td().Text(outputsSummary(r.Outputs)), app.Td().Body(app.Button().Class("cc-edit").Text("Edit").OnClick(
				func(ctx app.Context, e app.Event) { p.open(ctx, id) }, app.EventScope(id, p.rev)))}
		rows = append(rows, app.Tr().DataSet("id", r.ID).Body(tds...))
	}
	var editor app.UI = app.Text("")
	if r, ok := p.edited(); ok {
		editor = p.editForm(r)
	}
	return p.shell("/admin/runbooks",
		app.H1().Text("Runbooks"),
		app.P().Class("cc-muted").Text("A runbook is an HTTPS endpoint of yours that a flow's runbook step calls: a signed JSON POST ("+
			protocol.HeaderSignature+": sha256=<hex HMAC-SHA256 of the body with the runbook's secret>) with the chat's user, fields and variables. "+
			"Its outputs are the answer mappings a step starts with when it picks the runbook."),
		notice("cc-error", p.err),
		notice("cc-ok", p.ok),
		p.secretBox(),
		table([]string{"Name", "URL", "Timeout", "Outputs", ""}, rows),
		editor,
		app.H2().Text("New runbook"),
		app.Form().Class("cc-form").OnSubmit(p.submit).Body(append(runbookInputs("rb-", protocol.Runbook{TimeoutSeconds: 10}, nil),
			app.Button().ID("rb-create").Type("submit").Class("cc-primary").Text("Create runbook"))...),
	)
}

// secretBox shows a secret just made, once.
func (p *Runbooks) secretBox() app.UI {
	if p.secret == nil {
		return app.Text("")
	}
	return app.Div().ID("rb-secret").Class("cc-warning").Body(
		app.P().Text("The signing secret of "+p.secret.Name+" — shown this once: give it to the endpoint, which checks "+protocol.HeaderSignature+" with it."),
		app.Pre().Class("cc-code").ID("rb-secret-value").Text(p.secret.Secret),
	)
}

// runbookInputs are the inputs of a runbook form (ids prefix+"name" and
// so on), filled from r; row, when set, frames each input with its
// label and error (the edit form), else a label is placed before it.
func runbookInputs(prefix string, r protocol.Runbook, row func(prefix, field, label string, input app.UI) app.UI) []app.UI {
	if row == nil {
		row = func(prefix, field, label string, input app.UI) app.UI {
			return app.Div().Class("cc-row").Body(app.Label().For(prefix+field).Text(label), input)
		}
	}
	return []app.UI{
		row(prefix, "name", "Name (unique; flows list runbooks by it)", app.Input().ID(prefix+"name").Value(r.Name)),
		row(prefix, "url", "URL (http or https)", app.Input().ID(prefix+"url").Placeholder("https://example.com/runbooks/account").Value(r.URL)),
		row(prefix, "timeoutSeconds", "Timeout (seconds, 1 to 60)", app.Input().ID(prefix+"timeoutSeconds").Type("number").
			Min(1).Max(60).Value(strconv.Itoa(r.TimeoutSeconds))),
		row(prefix, "outputs", "Outputs: one per line, the answer's JSON path, the variable and its type (text, number, boolean or date)",
			app.Textarea().ID(prefix+"outputs").Placeholder("data.tier tier text").Text(formatOutputs(r.Outputs))),
	}
}

// readRunbookForm reads the form whose inputs have ids prefix+…; errs
// names the fields that cannot be sent as typed.
func readRunbookForm(prefix string) (protocol.RunbookInput, map[string]string) {
	errs := required("name", inputValue(prefix+"name"))
	for k, v := range required("url", inputValue(prefix+"url")) {
		errs[k] = v
	}
	in := protocol.RunbookInput{Runbook: protocol.Runbook{Name: strings.TrimSpace(inputValue(prefix + "name")),
		URL: strings.TrimSpace(inputValue(prefix + "url"))}}
	t, err := strconv.Atoi(strings.TrimSpace(inputValue(prefix + "timeoutSeconds")))
	if err != nil || t < 1 || t > 60 {
		errs["timeoutSeconds"] = "A whole number of seconds, 1 to 60."
	}
	in.TimeoutSeconds = t
	outs, err := parseOutputs(inputValue(prefix + "outputs"))
	if err != nil {
		errs["outputs"] = err.Error()
	}
	in.Outputs = outs
	return in, errs
}

func (p *Runbooks) submit(ctx app.Context, e app.Event) {
	e.PreventDefault()
	in, errs := readRunbookForm("rb-")
	if len(errs) > 0 {
		keys := slices.Sorted(maps.Keys(errs))
		p.err, p.ok = "Not created: "+keys[0]+": "+errs[keys[0]], ""
		return
	}
	out := new(protocol.RunbookWithSecret)
	p.create(ctx, in, out, func() {
		p.secret, p.ok = out, "Created the runbook "+out.Name+"."
		for _, id := range []string{"rb-name", "rb-url", "rb-outputs"} {
			setInput(id, "")
		}
	})
}

// open opens the edit form of runbook id.
func (p *Runbooks) open(ctx app.Context, id string) {
	i := slices.IndexFunc(p.list, func(r protocol.Runbook) bool { return r.ID == id })
	if i < 0 {
		return
	}
	r := p.list[i]
	p.editID, p.tested, p.secret = id, nil, nil
	p.opens++
	p.startEdit(ctx, p.opens, func() {
		setInput("rb-e-name", r.Name)
		setInput("rb-e-url", r.URL)
		setInput("rb-e-timeoutSeconds", strconv.Itoa(r.TimeoutSeconds))
		setInput("rb-e-outputs", formatOutputs(r.Outputs))
		setInput("rb-test-sample", defaultTestSample)
	})
}

// editForm is the edit form of r: its inputs, Save, Delete…, New
// secret…, and the test call.
func (p *Runbooks) editForm(r protocol.Runbook) app.UI {
	path := p.path + "/" + r.ID
	save := func(ctx app.Context, e app.Event) {
		in, errs := readRunbookForm("rb-e-")
		if p.invalid(errs) {
			return
		}
		p.send(ctx, "PUT", path, in, nil, func(app.Context) { p.editOK = "Saved." })
	}
	del := func(ctx app.Context, e app.Event) {
		p.send(ctx, "DELETE", path, nil, nil, func(app.Context) {
			p.closeEdit()
			p.ok = "Deleted the runbook " + r.Name + "."
		})
	}
	rotate := func(ctx app.Context, e app.Event) {
		out := new(protocol.RunbookWithSecret)
		p.send(ctx, "POST", path+"/secret", nil, out, func(app.Context) {
			p.secret = out
			p.editOK = "A new secret was made (shown above, this once): calls are signed with it from now on."
		})
	}
	inputs := append(runbookInputs("rb-e-", r, p.editRow),
		app.P().Class("cc-muted").Text("Id (what flows name; never changes): "+r.ID),
		p.confirmBox("delete", "Delete the runbook "+r.Name+"? A flow whose current version calls it, or whose older version an open chat runs, keeps it from being deleted.",
			"rb-delete-confirm", "Delete the runbook", del),
		p.confirmBox("rotate", "Make a new signing secret for "+r.Name+"? Calls are signed with it at once: give it to the endpoint first or its checks fail.",
			"rb-rotate-confirm", "Make a new secret", rotate),
	)
	return app.Div().Body(
		p.editSection("rb-edit", "Edit runbook: "+r.Name, save, inputs,
			app.Button().ID("rb-rotate").Type("button").Text("New secret…").OnClick(p.ask("rotate")),
			app.Button().ID("rb-delete").Type("button").Class("cc-danger").Text("Delete…").OnClick(p.ask("delete"))),
		p.testSection(r, path),
	)
}

// testSection is the edit form's "Test" action: a real call of the saved
// runbook with sample chat data, and what it answered.
func (p *Runbooks) testSection(r protocol.Runbook, path string) app.UI {
	test := func(ctx app.Context, e app.Event) {
		e.PreventDefault()
		var in protocol.RunbookTestInput
		if err := json.Unmarshal([]byte(inputValue("rb-test-sample")), &in); err != nil {
			p.tested = &protocol.RunbookTestResult{Error: "The sample data is not JSON of the shape shown: " + err.Error()}
			return
		}
		p.testOn, p.tested = true, nil
		ctx = p.context(ctx)
		ctx.Async(func() {
			var out protocol.RunbookTestResult
			err := call(ctx, "POST", path+"/test", in, &out)
			ctx.Dispatch(func(app.Context) {
				p.testOn = false
				if err != nil {
					out = protocol.RunbookTestResult{Error: "The test was refused: " + err.Error()}
				}
				p.tested = &out
			})
		})
	}
	label := "Test"
	if p.testOn {
		label = "Testing…"
	}
	return app.Section().ID("rb-test").Class("cc-edit").Body(
		app.H2().Text("Test "+r.Name),
		app.P().Class("cc-muted").Text("Calls the saved runbook for real — signed, within its timeout, through the server's outbound guard — with this sample chat data (the call says \"test\": true), and shows what a flow's runbook step would get."),
		app.Form().Class("cc-form").OnSubmit(test, p.scope()).Body(
			app.Label().For("rb-test-sample").Text("Sample chat data (JSON: user, chatFields, variables)"),
			app.Textarea().ID("rb-test-sample").Text(defaultTestSample),
			app.Button().ID("rb-test-run").Type("submit").Class("cc-primary").Disabled(p.testOn).Text(label),
		),
		testResult(p.tested),
	)
}

// testResult shows a test call's outcome.
func testResult(t *protocol.RunbookTestResult) app.UI {
	if t == nil {
		return app.Text("")
	}
	status := "No answer"
	if t.Status != 0 {
		status = fmt.Sprintf("HTTP %d", t.Status)
	}
	outcome := "Success: a runbook step would take its success branch."
	if !t.OK {
		outcome = "Failure: a runbook step would take its failure branch."
	}
	rows := make([]app.UI, 0, len(t.Variables))
	for _, v := range t.Variables {
		rows = append(rows, cells(v.Variable, v.Type, v.Value))
	}
	return app.Div().ID("rb-test-result").DataSet("ok", t.OK).Body(
		app.P().ID("rb-test-outcome").Text(outcome),
		app.P().Body(app.Strong().Text("Status: "), app.Span().ID("rb-test-status").Text(status),
			app.Strong().Text(" Latency: "), app.Span().ID("rb-test-latency").Text(fmt.Sprintf("%d ms", t.LatencyMS))),
		notice("cc-test-error", t.Error),
		app.Strong().Text("Answer"),
		app.Pre().Class("cc-code").ID("rb-test-answer").Text(t.Answer),
		app.Strong().Text("Variables it would set"),
		app.Div().ID("rb-test-vars").Body(table([]string{"Variable", "Type", "Value"}, rows)),
	)
}

// outputsSummary is the list's Outputs column: "data.tier → tier, …".
func outputsSummary(outs []flow.RunbookOutput) string {
	parts := make([]string, len(outs))
	for i, o := range outs {
		parts[i] = o.Path + " → " + o.Variable
	}
	return strings.Join(parts, ", ")
}

// formatOutputs writes outputs one per line: path, variable, type.
func formatOutputs(outs []flow.RunbookOutput) string {
	lines := make([]string, len(outs))
	for i, o := range outs {
		lines[i] = o.Path + " " + o.Variable + " " + string(o.Type)
	}
	return strings.Join(lines, "\n")
}

// parseOutputs reads what formatOutputs writes: per non-empty line the
// path (which may hold spaces), the variable and the type, the last two
// single words. The API checks paths, names and types further.
func parseOutputs(text string) ([]flow.RunbookOutput, error) {
	outs := []flow.RunbookOutput{}
	for i, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) < 3 {
			return nil, fmt.Errorf("line %d: write the answer's path, the variable and its type, e.g. \"data.tier tier text\"", i+1)
		}
		n := len(f)
		outs = append(outs, flow.RunbookOutput{Path: strings.Join(f[:n-2], " "), Variable: f[n-2], Type: flow.Type(f[n-1])})
	}
	return outs, nil
}
