package console

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"halochat/app/flow"
)

// preview runs the flow being edited in the browser with app/flow, with
// test values for the chat custom fields: no server round trip per step.
type preview struct {
	prog    *flow.Program
	env     flow.Env
	st      flow.State
	lines   []previewLine
	waiting flow.OutputKind // what the last outputs wait for
	choices []string
	err     string
	runs    int // starts so far, shown as data-run on the log
}

type previewLine struct {
	class, text string
	step        int
}

func (pv *preview) render(fe *FlowEditor) app.UI {
	fields := fe.schema.ChatFields
	var actions app.UI = app.Text("")
	switch pv.waiting {
	case flow.OutPrompt:
		actions = app.Form().Class("cc-inline").OnSubmit(func(ctx app.Context, e app.Event) {
			e.PreventDefault()
			text := inputValue("pv-answer")
			setInput("pv-answer", "")
			pv.input(flow.Answer(text), "You: "+text)
		}).Body(app.Input().ID("pv-answer").Placeholder("Answer as the visitor"), app.Button().Type("submit").Text("Send"))
	case flow.OutChoices:
		actions = app.Div().Class("cc-inline").Body(app.Range(pv.choices).Slice(func(i int) app.UI {
			label := pv.choices[i]
			return app.Button().Class("pv-choice").Text(label).OnClick(func(ctx app.Context, e app.Event) {
				pv.input(flow.ChooseIndex(i), "You: "+label)
			}, app.EventScope(i, label))
		}))
	case flow.OutCallRunbook:
		actions = app.Div().Class("cc-inline").Body(
			app.Label().For("pv-runbook-answer").Text("The runbook's JSON answer (its outputs read it)"),
			app.Textarea().ID("pv-runbook-answer").Placeholder(`{"data": {"tier": "gold"}}`),
			app.Button().ID("pv-runbook-ok").Text("The runbook succeeds").OnClick(func(ctx app.Context, e app.Event) {
				answer := strings.TrimSpace(inputValue("pv-runbook-answer"))
				if answer == "" {
					answer = "{}"
				}
				pv.input(flow.RunbookResult(true, []byte(answer)), "(runbook succeeded: "+oneLine(answer)+")")
			}),
			app.Button().Text("The runbook fails").OnClick(func(ctx app.Context, e app.Event) {
				pv.input(flow.RunbookResult(false, nil), "(runbook failed)")
			}))
	case flow.OutEnqueue:
		actions = app.Div().Class("cc-inline").Body(
			app.Button().Text("An agent accepts").OnClick(func(ctx app.Context, e app.Event) {
				pv.input(flow.Agent(flow.AgentAccepted), "(an agent accepted)")
			}),
			app.Button().Text("Nobody is available").OnClick(func(ctx app.Context, e app.Event) {
				pv.input(flow.Agent(flow.AgentUnavailable), "(nobody available)")
			}))
	}
	return app.Aside().ID("cc-preview").Class("cc-preview").Body(
		app.H2().Text("Preview"),
		app.P().Class("cc-muted").Text("Runs this editor's flow in your browser, as an embedded chat. Test values for the chat custom fields:"),
		app.Range(fields).Slice(func(i int) app.UI {
			d := fields[i]
			return textInput("pv-"+d.Name, d.Label+" ("+d.Name+", "+string(d.Type)+")", "")
		}),
		textInput("pv-start", "startStepOverride (empty: the start step)", ""),
		app.Button().ID("pv-run").Class("cc-primary").Text("Start preview").OnClick(func(ctx app.Context, e app.Event) {
			fe.collect()
			pv.start(fe.f.Clone(), fe.schema)
		}),
		notice("cc-error", pv.err),
		app.Div().ID("pv-log").Class("cc-messages pv-log").DataSet("run", pv.runs).Body(app.Range(pv.lines).Slice(func(i int) app.UI {
			l := pv.lines[i]
			return app.P().Class("pv-line "+l.class).DataSet("step", l.step).Text(l.text)
		})),
		actions,
	)
}

// start compiles the flow and runs its start with the test values.
func (pv *preview) start(f *flow.Flow, schema flow.Schema) {
	*pv = preview{runs: pv.runs + 1}
	prog, err := flow.Compile(f, schema)
	if err != nil {
		pv.err = "The flow cannot run: " + err.Error()
		return
	}
	env := flow.Env{Chat: map[string]flow.Value{}}
	for _, d := range schema.ChatFields {
		s := strings.TrimSpace(inputValue("pv-" + d.Name))
		if s == "" {
			continue
		}
		v, err := d.Parse(s)
		if err != nil {
			pv.err = err.Error()
			return
		}
		env.Chat[d.Name] = v
	}
	override, _ := strconv.Atoi(strings.TrimSpace(inputValue("pv-start")))
	pv.prog, pv.env = prog, env
	pv.input(flow.Start(override, true), "")
}

// input runs one input and shows the outputs; actions a real chat would
// perform (a ticket) are answered as if they worked.
func (pv *preview) input(in flow.Input, said string) {
	if pv.prog == nil {
		return
	}
	if said != "" {
		pv.lines = append(pv.lines, previewLine{class: "pv-visitor", text: said})
	}
	for range 20 {
		st, outs, err := pv.prog.Run(pv.env, pv.st, in)
		if err != nil {
			pv.err = err.Error()
			return
		}
		pv.st, pv.waiting, pv.choices, pv.err = st, "", nil, ""
		var next *flow.Input
		for _, o := range outs {
			switch o.Kind {
			case flow.OutMessage:
				pv.lines = append(pv.lines, previewLine{"pv-bot", o.Text, o.Step})
			case flow.OutTrace:
				pv.lines = append(pv.lines, previewLine{"pv-trace", o.Text, o.Step})
			case flow.OutInvalidAnswer:
				pv.lines = append(pv.lines, previewLine{"pv-bot", cmpText(o.Text, "That answer is not accepted ("+o.Reason+")."), o.Step})
			case flow.OutPrompt:
				pv.waiting = o.Kind
			case flow.OutChoices:
				pv.waiting, pv.choices = o.Kind, o.Choices
			case flow.OutCreateTicket:
				pv.lines = append(pv.lines, previewLine{"pv-action", "A ticket would be logged: " + o.Summary, o.Step})
				t := flow.TicketCreated("PREVIEW")
				next = &t
			case flow.OutCallRunbook:
				pv.lines = append(pv.lines, previewLine{"pv-action", "The runbook " + o.Runbook + " would be called", o.Step})
				pv.waiting = o.Kind
			case flow.OutEnqueue:
				pv.lines = append(pv.lines, previewLine{"pv-action", "The chat would wait for an agent", o.Step})
				pv.waiting = o.Kind
			case flow.OutEnd:
				pv.lines = append(pv.lines, previewLine{"pv-action pv-end", fmt.Sprintf("The chat ends (step %d)", o.Step), o.Step})
			}
		}
		if next == nil {
			return
		}
		in = *next
	}
}

func cmpText(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
