package flow

import (
	"fmt"
	"maps"
	"strings"
	"unicode/utf8"
)

// MaxStepsPerRun caps the steps one Run may execute: a guard, since
// Validate already refuses loops that need no input.
const MaxStepsPerRun = 1000

// Status is where a chat stands in its flow.
type Status string

// Statuses.
const (
	StatusNew             Status = ""                 // not started
	StatusRunning         Status = "running"          // only inside Run; never returned
	StatusAwaitingAnswer  Status = "awaiting_answer"  // a question waits for Answer
	StatusAwaitingChoice  Status = "awaiting_choice"  // a choice waits for Choose (or a typed Answer matching a label)
	StatusAwaitingRunbook Status = "awaiting_runbook" // a runbook step waits for RunbookResult
	StatusAwaitingTicket  Status = "awaiting_ticket"  // a create_ticket step waits for TicketCreated
	StatusAwaitingAgent   Status = "awaiting_agent"   // a transfer waits for AgentEvent accepted or unavailable
	StatusLive            Status = "live"             // an agent has the chat; the flow waits for AgentEvent ended
	StatusEnded           Status = "ended"            // over; every input is refused
)

// State is a chat's position in its (pinned) flow version. The server
// stores it after every Run; it round-trips through JSON exactly. The
// zero State is a chat not yet started.
type State struct {
	Status Status `json:"status,omitempty"`
	// Step is the current step: the one waiting, or the last one run.
	Step int `json:"step,omitempty"`
	// Vars holds the variables set by questions, choices and runbooks.
	Vars map[string]Value `json:"vars,omitempty"`
	// Retries counts invalid answers at the current step.
	Retries int `json:"retries,omitempty"`
	// Visited counts the steps run since the start.
	Visited int `json:"visited,omitempty"`
	// TicketID is the id of the ticket the chat created, if any.
	TicketID string `json:"ticketId,omitempty"`
}

// InputKind is the kind of an Input.
type InputKind string

// Input kinds.
const (
	InputStart         InputKind = "start"
	InputAnswer        InputKind = "answer"
	InputChoose        InputKind = "choose"
	InputRunbookResult InputKind = "runbook_result"
	InputTicketCreated InputKind = "ticket_created"
	InputAgent         InputKind = "agent"
	InputEnd           InputKind = "end" // the visitor, the agent or the host ended the chat
)

// AgentEvent is what the agent queue reports about a transfer.
type AgentEvent string

// Agent events.
const (
	AgentAccepted    AgentEvent = "accepted"    // an agent took the chat: live
	AgentUnavailable AgentEvent = "unavailable" // nobody can take it: the transfer's fallback step
	AgentEnded       AgentEvent = "ended"       // the live chat is over: ended
)

// Input is what moves a chat on. Build it with Start, Answer,
// ChooseIndex, ChooseLabel, RunbookResult, TicketCreated, Agent or End;
// only the fields of its kind are read.
type Input struct {
	Kind InputKind `json:"kind"`
	// Start: an embedded widget's startStepOverride (0: none) and whether
	// the chat comes from the embedded widget.
	StartStepOverride int  `json:"startStepOverride,omitempty"`
	Embedded          bool `json:"embedded,omitempty"`
	// Answer: the visitor's text.
	Text string `json:"text,omitempty"`
	// Choose: the option's label, or its 0-based index when Label is "".
	Index int    `json:"index,omitempty"`
	Label string `json:"label,omitempty"`
	// RunbookResult: whether the call succeeded, and its answer (JSON
	// expected; kept as bytes, base64 in this struct's JSON, since a
	// broken runbook may answer anything).
	OK   bool   `json:"ok,omitempty"`
	Body []byte `json:"body,omitempty"`
	// TicketCreated: the new ticket's id.
	TicketID string `json:"ticketId,omitempty"`
	// Agent: the queue's event.
	Agent AgentEvent `json:"agent,omitempty"`
}

// Start starts a chat. startStepOverride > 0 is honoured only when
// embedded (see Program.Run).
func Start(startStepOverride int, embedded bool) Input {
	return Input{Kind: InputStart, StartStepOverride: startStepOverride, Embedded: embedded}
}

// Answer answers a question (or types a choice's label).
func Answer(text string) Input { return Input{Kind: InputAnswer, Text: text} }

// ChooseIndex picks the option at index i (0-based) of a choice.
func ChooseIndex(i int) Input { return Input{Kind: InputChoose, Index: i} }

// ChooseLabel picks the option with this label (exact, else ignoring
// case and surrounding spaces).
func ChooseLabel(label string) Input { return Input{Kind: InputChoose, Label: label} }

// RunbookResult reports a runbook call: ok false for a failure or a
// timeout; body is the JSON answer.
func RunbookResult(ok bool, body []byte) Input {
	return Input{Kind: InputRunbookResult, OK: ok, Body: body}
}

// TicketCreated reports the ticket a create_ticket step asked for.
func TicketCreated(id string) Input { return Input{Kind: InputTicketCreated, TicketID: id} }

// Agent reports an agent queue event.
func Agent(ev AgentEvent) Input { return Input{Kind: InputAgent, Agent: ev} }

// End ends the chat wherever it stands.
func End() Input { return Input{Kind: InputEnd} }

// OutputKind is the kind of an Output.
type OutputKind string

// Output kinds.
const (
	OutMessage       OutputKind = "message"        // Text: a bot message to show
	OutPrompt        OutputKind = "prompt"         // a question waits; Validation says what it accepts
	OutChoices       OutputKind = "choices"        // Choices: buttons to show
	OutInvalidAnswer OutputKind = "invalid_answer" // Text: the step's error text (may be empty); Reason: why
	OutCreateTicket  OutputKind = "create_ticket"  // action: log a ticket with Summary, then send TicketCreated
	OutCallRunbook   OutputKind = "call_runbook"   // action: call Runbook, then send RunbookResult
	OutEnqueue       OutputKind = "enqueue"        // action: queue the chat for an agent, then send Agent events
	OutEnd           OutputKind = "end"            // action: the chat is over
	OutTrace         OutputKind = "trace"          // Text: what a condition or runbook mapping decided (for previews and logs)
)

// Reasons of an invalid_answer output.
const (
	ReasonRequired  = "required"
	ReasonEmail     = "email"
	ReasonNumber    = "number"
	ReasonPattern   = "pattern"
	ReasonMin       = "min"
	ReasonMax       = "max"
	ReasonMaxLength = "max_length"
	ReasonChoice    = "choice" // a typed answer matching no option's label
)

// Output is one thing Run asks the host to show or do, in order.
type Output struct {
	Kind       OutputKind  `json:"kind"`
	Step       int         `json:"step"`
	Text       string      `json:"text,omitempty"`
	Choices    []string    `json:"choices,omitempty"`
	Validation *Validation `json:"validation,omitempty"`
	Reason     string      `json:"reason,omitempty"`
	Summary    string      `json:"summary,omitempty"`
	Runbook    string      `json:"runbook,omitempty"`
	Team       int64       `json:"team,omitempty"` // OutEnqueue: the transfer step's team (0: any agent)
}

// Run compiles f (see Compile) and runs one input. A server should
// Compile once per flow version and call Program.Run instead.
func Run(f *Flow, schema Schema, env Env, st State, in Input) (State, []Output, error) {
	p, err := Compile(f, schema)
	if err != nil {
		return st, nil, err
	}
	return p.Run(env, st, in)
}

// Run applies one input to a chat's state and returns the new state and
// the outputs, in order. It runs steps until one waits for an input or
// the chat ends. On error it returns st unchanged, no outputs and an
// *Error; Run never changes st or its maps in place.
//
// Start: the chat starts at the flow's start step. An embedded chat
// (in.Embedded) with StartStepOverride > 0 starts at that step instead,
// which must exist (else start_step_not_found) and have canStart (else
// start_step_not_allowed). Chats from the portal or the agent app
// (Embedded false) always start at the start step: their override is
// ignored.
//
// A wrong answer to a question outputs invalid_answer, then asks again;
// only Retries changes.
func (p *Program) Run(env Env, st State, in Input) (State, []Output, error) {
	r := runner{p: p, env: &env, st: st}
	if err := r.input(in); err != nil {
		return st, nil, err
	}
	if len(r.st.Vars) == 0 {
		r.st.Vars = nil
	}
	return r.st, r.outs, nil
}

// EvaluateCondition evaluates the condition of step n (a condition step)
// with env and vars, as Run would.
func (p *Program) EvaluateCondition(n int, env Env, vars map[string]Value) (bool, error) {
	i, ok := p.at(n)
	if !ok || p.flow.Steps[i].Kind != KindCondition {
		return false, &Error{Code: CodeBadState, Step: n, Message: "not a condition step"}
	}
	return p.steps[i].cond.eval(&env, vars)
}

// waitingAt returns a runner over st and the step st is at, or a nil step
// when the flow has no such step (a corrupt or foreign state).
func (p *Program) waitingAt(env Env, st State) (*runner, *Step) {
	i, ok := p.at(st.Step)
	if !ok {
		return nil, nil
	}
	return &runner{p: p, env: &env, st: st}, &p.flow.Steps[i]
}

// PendingAction returns the action a state waits on — the create_ticket
// or call_runbook output its step gave — or nil. A host that stopped
// between committing the state and finishing the action (a crash) uses it
// to do the action again.
func (p *Program) PendingAction(env Env, st State) *Output {
	r, s := p.waitingAt(env, st)
	switch {
	case s == nil:
	case st.Status == StatusAwaitingTicket && s.Kind == KindCreateTicket:
		return &Output{Kind: OutCreateTicket, Step: s.Number, Summary: r.text(s.Ticket.Summary)}
	case st.Status == StatusAwaitingRunbook && s.Kind == KindRunbook:
		return &Output{Kind: OutCallRunbook, Step: s.Number, Runbook: s.Runbook.Runbook}
	}
	return nil
}

// Pending returns the outputs that show what a waiting chat waits for
// (the question and its prompt, or the choice and its buttons), for a
// client that reconnects. Other statuses have none.
func (p *Program) Pending(env Env, st State) []Output {
	r, s := p.waitingAt(env, st)
	if s == nil {
		return nil
	}
	switch {
	case st.Status == StatusAwaitingAnswer && s.Kind == KindQuestion:
		r.ask(s)
	case st.Status == StatusAwaitingChoice && s.Kind == KindChoice:
		r.offer(s)
	}
	return r.outs
}

type runner struct {
	p         *Program
	env       *Env
	st        State
	outs      []Output
	ownedVars bool // st.Vars is a copy this run may change
}

func (r *runner) out(o Output) { r.outs = append(r.outs, o) }

// tr is text in the chat's language: its translation there is one for
// env.Language, else text itself (the flow's default language).
func (r *runner) tr(text string, translations map[string]string) string {
	if t := translations[r.env.Language]; t != "" && r.env.Language != "" {
		return t
	}
	return text
}

// text renders a text's placeholders. The result is valid UTF-8 even if
// the host's values are not.
func (r *runner) text(s string) string { return validUTF8(r.p.interpolate(s, r.env, &r.st)) }

func (r *runner) setVar(name string, v Value) {
	if name == "" {
		return
	}
	if !r.ownedVars {
		r.st.Vars = maps.Clone(r.st.Vars)
		if r.st.Vars == nil {
			r.st.Vars = make(map[string]Value)
		}
		r.ownedVars = true
	}
	if v.typ == "" {
		delete(r.st.Vars, name)
		return
	}
	r.st.Vars[name] = v
}

func (r *runner) input(in Input) error {
	switch in.Kind {
	case InputStart, InputAnswer, InputChoose, InputRunbookResult, InputTicketCreated, InputEnd:
	case InputAgent:
		switch in.Agent {
		case AgentAccepted, AgentUnavailable, AgentEnded:
		default:
			return &Error{Code: CodeInvalidInput, Step: r.st.Step, Message: fmt.Sprintf("unknown agent event %q", in.Agent)}
		}
	default:
		return &Error{Code: CodeInvalidInput, Step: r.st.Step, Message: fmt.Sprintf("unknown input kind %q", in.Kind)}
	}

	switch r.st.Status {
	case StatusNew:
		if in.Kind != InputStart {
			return &Error{Code: CodeNotStarted, Message: fmt.Sprintf("input %s before the chat started", in.Kind)}
		}
		return r.start(in)
	case StatusEnded:
		return &Error{Code: CodeEnded, Step: r.st.Step, Message: fmt.Sprintf("input %s after the chat ended", in.Kind)}
	}
	want, known := waitingKind(r.st.Status)
	if !known {
		return &Error{Code: CodeBadState, Step: r.st.Step, Message: fmt.Sprintf("unknown status %q", r.st.Status)}
	}
	i, ok := r.p.at(r.st.Step)
	if !ok || r.p.flow.Steps[i].Kind != want {
		return &Error{Code: CodeBadState, Step: r.st.Step, Message: fmt.Sprintf("status %s does not fit step %d of this flow", r.st.Status, r.st.Step)}
	}
	s, cs := &r.p.flow.Steps[i], &r.p.steps[i]

	switch {
	case in.Kind == InputStart:
		return &Error{Code: CodeAlreadyStarted, Step: r.st.Step, Message: "the chat has already started"}
	case in.Kind == InputEnd:
		r.end(s.Number)
		return nil
	}
	unexpected := func() error {
		msg := fmt.Sprintf("input %s while %s", in.Kind, r.st.Status)
		if in.Kind == InputAgent {
			msg = fmt.Sprintf("agent event %s while %s", in.Agent, r.st.Status)
		}
		return &Error{Code: CodeUnexpectedInput, Step: r.st.Step, Message: msg}
	}

	switch r.st.Status {
	case StatusAwaitingAnswer:
		if in.Kind != InputAnswer {
			return unexpected()
		}
		return r.answer(s, cs, in.Text)
	case StatusAwaitingChoice:
		switch in.Kind {
		case InputChoose:
			o, ok := pickOption(s.Choice.Options, in, r.env.Language)
			if !ok {
				what := fmt.Sprintf("index %d", in.Index)
				if in.Label != "" {
					what = fmt.Sprintf("label %q", in.Label)
				}
				return &Error{Code: CodeInvalidChoice, Step: s.Number, Message: fmt.Sprintf("no option with %s", what)}
			}
			return r.choose(s, o)
		case InputAnswer:
			if o, ok := pickOption(s.Choice.Options, Input{Label: in.Text}, r.env.Language); ok && strings.TrimSpace(in.Text) != "" {
				return r.choose(s, o)
			}
			r.st.Retries++
			r.out(Output{Kind: OutInvalidAnswer, Step: s.Number, Reason: ReasonChoice})
			r.offer(s)
			return nil
		}
		return unexpected()
	case StatusAwaitingRunbook:
		if in.Kind != InputRunbookResult {
			return unexpected()
		}
		return r.runbookResult(s, cs, in)
	case StatusAwaitingTicket:
		if in.Kind != InputTicketCreated {
			return unexpected()
		}
		if in.TicketID == "" {
			return &Error{Code: CodeInvalidInput, Step: s.Number, Message: "ticket_created without a ticket id"}
		}
		r.st.TicketID = validUTF8(in.TicketID)
		return r.run(s.Next)
	case StatusAwaitingAgent:
		if in.Kind != InputAgent {
			return unexpected()
		}
		switch in.Agent {
		case AgentAccepted:
			r.st.Status = StatusLive
			return nil
		case AgentUnavailable:
			return r.run(s.Transfer.Fallback)
		default:
			r.end(s.Number)
			return nil
		}
	case StatusLive:
		if in.Kind != InputAgent || in.Agent != AgentEnded {
			return unexpected()
		}
		r.end(s.Number)
		return nil
	}
	return unexpected()
}

// waitingKind is the step kind a waiting status must sit on.
func waitingKind(st Status) (Kind, bool) {
	switch st {
	case StatusAwaitingAnswer:
		return KindQuestion, true
	case StatusAwaitingChoice:
		return KindChoice, true
	case StatusAwaitingRunbook:
		return KindRunbook, true
	case StatusAwaitingTicket:
		return KindCreateTicket, true
	case StatusAwaitingAgent, StatusLive:
		return KindTransfer, true
	}
	return "", false
}

func (r *runner) start(in Input) error {
	n := r.p.flow.StartStep
	if in.Embedded && in.StartStepOverride != 0 {
		i, ok := r.p.at(in.StartStepOverride)
		if !ok {
			return &Error{Code: CodeStartStepNotFound, Step: in.StartStepOverride, Message: fmt.Sprintf("startStepOverride %d: the flow has no such step", in.StartStepOverride)}
		}
		if !r.p.flow.Steps[i].CanStart {
			return &Error{Code: CodeStartStepNotAllowed, Step: in.StartStepOverride, Message: fmt.Sprintf("startStepOverride %d: the step does not allow a chat to start from it (\"Chat can start from this step\" is off)", in.StartStepOverride)}
		}
		n = in.StartStepOverride
	}
	return r.run(n)
}

func (r *runner) end(step int) {
	r.st.Status = StatusEnded
	r.st.Step = step
	r.out(Output{Kind: OutEnd, Step: step})
}

// run executes steps from n until one waits or the chat ends.
func (r *runner) run(n int) error {
	r.st.Status = StatusRunning
	for count := 0; ; count++ {
		if count >= MaxStepsPerRun {
			return &Error{Code: CodeStepLimit, Step: n, Message: fmt.Sprintf("more than %d steps without waiting for an input", MaxStepsPerRun)}
		}
		i, ok := r.p.at(n)
		if !ok {
			return &Error{Code: CodeBadState, Step: n, Message: fmt.Sprintf("the flow has no step %d", n)}
		}
		s, cs := &r.p.flow.Steps[i], &r.p.steps[i]
		r.st.Step = n
		r.st.Visited++
		r.st.Retries = 0
		switch s.Kind {
		case KindMessage:
			r.out(Output{Kind: OutMessage, Step: n, Text: r.text(r.tr(s.Text, s.Texts))})
			n = s.Next
		case KindCondition:
			ok, err := cs.cond.eval(r.env, r.st.Vars)
			if err != nil {
				if e, isErr := err.(*Error); isErr {
					e.Step = n
				}
				return err
			}
			if ok {
				r.out(Output{Kind: OutTrace, Step: n, Text: "condition true"})
				n = s.Condition.True
			} else {
				r.out(Output{Kind: OutTrace, Step: n, Text: "condition false"})
				n = s.Condition.False
			}
		case KindQuestion:
			r.st.Status = StatusAwaitingAnswer
			r.ask(s)
			return nil
		case KindChoice:
			r.st.Status = StatusAwaitingChoice
			r.offer(s)
			return nil
		case KindCreateTicket:
			r.st.Status = StatusAwaitingTicket
			r.out(Output{Kind: OutCreateTicket, Step: n, Summary: r.text(s.Ticket.Summary)})
			return nil
		case KindRunbook:
			r.st.Status = StatusAwaitingRunbook
			r.out(Output{Kind: OutCallRunbook, Step: n, Runbook: s.Runbook.Runbook})
			return nil
		case KindTransfer:
			r.st.Status = StatusAwaitingAgent
			if s.Text != "" {
				r.out(Output{Kind: OutMessage, Step: n, Text: r.text(r.tr(s.Text, s.Texts))})
			}
			r.out(Output{Kind: OutEnqueue, Step: n, Team: s.Transfer.Team})
			return nil
		case KindEnd:
			if s.Text != "" {
				r.out(Output{Kind: OutMessage, Step: n, Text: r.text(r.tr(s.Text, s.Texts))})
			}
			r.end(n)
			return nil
		default:
			return &Error{Code: CodeBadState, Step: n, Message: fmt.Sprintf("unknown step kind %q", s.Kind)}
		}
	}
}

// ask outputs a question's text and prompt.
func (r *runner) ask(s *Step) {
	r.out(Output{Kind: OutMessage, Step: s.Number, Text: r.text(r.tr(s.Text, s.Texts))})
	v := s.Question.Validation
	if v.Min != nil {
		m := *v.Min
		v.Min = &m
	}
	if v.Max != nil {
		m := *v.Max
		v.Max = &m
	}
	r.out(Output{Kind: OutPrompt, Step: s.Number, Validation: &v})
}

// offer outputs a choice's text and buttons.
func (r *runner) offer(s *Step) {
	r.out(Output{Kind: OutMessage, Step: s.Number, Text: r.text(r.tr(s.Text, s.Texts))})
	labels := make([]string, len(s.Choice.Options))
	for i, o := range s.Choice.Options {
		labels[i] = r.tr(o.Label, o.Labels)
	}
	r.out(Output{Kind: OutChoices, Step: s.Number, Choices: labels})
}

func (r *runner) answer(s *Step, cs *compiledStep, text string) error {
	q := s.Question
	v, reason := checkAnswer(&q.Validation, cs, strings.TrimSpace(text))
	if reason != "" {
		r.st.Retries++
		r.out(Output{Kind: OutInvalidAnswer, Step: s.Number, Text: r.text(r.tr(q.ErrorText, q.ErrorTexts)), Reason: reason})
		r.ask(s)
		return nil
	}
	r.setVar(q.Variable, v)
	return r.run(s.Next)
}

// checkAnswer validates a trimmed answer and returns its value, or the
// reason it is refused. An empty answer to an optional question is the
// missing value (the variable is cleared).
func checkAnswer(v *Validation, cs *compiledStep, ans string) (Value, string) {
	f, reason := answerRefusal(v, cs, ans)
	switch {
	case reason != "" || ans == "":
		return Value{}, reason
	case v.Type == ValidateNumber:
		x, err := NewNumber(f)
		if err != nil {
			return Value{}, ReasonNumber
		}
		return x, ""
	}
	return NewText(ans), ""
}

// answerRefusal is the reason a trimmed answer is refused ("" when it is
// not) and, for a number question, the number. It makes no Value: the
// widget's CheckAnswer needs only the reason, and the Value constructors
// (UTF-8 repair, number formatting) cost the widget's wasm 5 KB of code.
func answerRefusal(v *Validation, cs *compiledStep, ans string) (float64, string) {
	if ans == "" {
		if v.Required {
			return 0, ReasonRequired
		}
		return 0, ""
	}
	n := utf8.RuneCountInString(ans)
	if n > MaxAnswerLength || (v.MaxLength > 0 && n > v.MaxLength) {
		return 0, ReasonMaxLength
	}
	switch v.Type {
	case ValidateEmail:
		if !validEmail(ans) {
			return 0, ReasonEmail
		}
	case ValidateNumber:
		f, err := parseNumber(ans)
		if err != nil {
			return 0, ReasonNumber
		}
		switch {
		case v.Min != nil && f < *v.Min:
			return 0, ReasonMin
		case v.Max != nil && f > *v.Max:
			return 0, ReasonMax
		}
		return f, ""
	case ValidatePattern:
		if cs.pattern == nil || !cs.pattern.MatchString(ans) {
			return 0, ReasonPattern
		}
	}
	return 0, ""
}

// validEmail is a deliberately plain check: one @, a local part without
// spaces or specials, and a dotted domain of letters, digits and hyphens
// (non-ASCII letters allowed for international names).
func validEmail(s string) bool {
	if len(s) > 254 || strings.Count(s, "@") != 1 {
		return false
	}
	local, domain, _ := strings.Cut(s, "@")
	if local == "" || len(local) > 64 || local[0] == '.' || local[len(local)-1] == '.' || strings.Contains(local, "..") {
		return false
	}
	for _, c := range local {
		if c <= ' ' || c == 0x7f || strings.ContainsRune(`()<>[]\,;:"`, c) {
			return false
		}
	}
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, c := range l {
			if !(c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c > 0x7f) {
				return false
			}
		}
	}
	return true
}

// pickOption finds the option named by a choose input: by label (exact,
// else ignoring case and surrounding spaces) — its own or its
// translation into lang — else by index.
func pickOption(opts []Option, in Input, lang string) (Option, bool) {
	if in.Label != "" {
		for _, o := range opts {
			if o.Label == in.Label || (lang != "" && o.Labels[lang] == in.Label) {
				return o, true
			}
		}
		want := strings.ToLower(strings.TrimSpace(in.Label))
		for _, o := range opts {
			if strings.ToLower(strings.TrimSpace(o.Label)) == want {
				return o, true
			}
			if t := o.Labels[lang]; t != "" && strings.ToLower(strings.TrimSpace(t)) == want {
				return o, true
			}
		}
		return Option{}, false
	}
	if in.Index < 0 || in.Index >= len(opts) {
		return Option{}, false
	}
	return opts[in.Index], true
}

func (r *runner) choose(s *Step, o Option) error {
	r.setVar(s.Choice.Variable, NewText(o.Label))
	return r.run(o.Next)
}

// runbookResult maps a runbook's answer into variables: all outputs or
// none. A failed call, an answer that is not JSON, a missing path or a
// value that does not fit its type goes to the failure branch.
func (r *runner) runbookResult(s *Step, cs *compiledStep, in Input) error {
	rb := s.Runbook
	if !in.OK {
		r.out(Output{Kind: OutTrace, Step: s.Number, Text: "runbook failed"})
		return r.run(rb.Failure)
	}
	if len(rb.Outputs) == 0 {
		r.out(Output{Kind: OutTrace, Step: s.Number, Text: "runbook succeeded"})
		return r.run(rb.Success)
	}
	vals, err := mapAnswer(rb.Outputs, cs.paths, in.Body)
	if err != nil {
		r.out(Output{Kind: OutTrace, Step: s.Number, Text: "runbook answer not usable: " + err.Error()})
		return r.run(rb.Failure)
	}
	for i, o := range rb.Outputs {
		r.setVar(o.Variable, vals[i])
	}
	r.out(Output{Kind: OutTrace, Step: s.Number, Text: "runbook succeeded"})
	return r.run(rb.Success)
}

func lookupPath(x any, path []pathElem) (any, bool) {
	for _, e := range path {
		if e.index >= 0 {
			a, ok := x.([]any)
			if !ok || e.index >= len(a) {
				return nil, false
			}
			x = a[e.index]
			continue
		}
		m, ok := x.(map[string]any)
		if !ok {
			return nil, false
		}
		if x, ok = m[e.key]; !ok {
			return nil, false
		}
	}
	return x, true
}
