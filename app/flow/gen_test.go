package flow

import (
	"math/rand/v2"
	"strings"
)

// A generator of random valid flows, environments and inputs for the
// golden test, the fuzz seeds and the benchmarks. It draws only from a
// seeded PCG and iterates only slices (never maps), so it produces the
// same cases on every platform.

var (
	genTexts = []string{
		"Hello {{user.firstname}}!", "You said {{ var.answer }}.", "Tier {{chat.CFcustomerTier}} / {{chat.Customer tier}}",
		"Ticket {{ticket.id}}", "Count {{var.count}} since {{var.since}}, flag {{var.flag}}", "Plain text.",
		"{{unknown}} stays, {{var.topic}} topic, age {{var.age}}", "Ünïcödé ✓ <b>&amp;</b>", "Region: {{chat.Region}} {{chat.CFrenewal}}",
	}
	genLabels   = []string{"Sales", "Support", "Billing", "Other", "Ünï"}
	genPatterns = []string{`[A-Z]{3}-\d+`, `(?i)abc-\d{3}`, `\d+`, `.{2,5}`}
	genAnswers  = []string{"", " ", "hello", "Jane@Example.com", "not an email", "42", "3.5", "-1", "1e3", "abc-123", "ABC-123", "Sales", "support", "Ünïcödé ✓", "100000", "0"}
	genBodies   = []string{
		`{"data":{"tier":"gold","count":3,"since":"2024-02-29"},"items":[{"ok":true}]}`,
		`{"data":{"tier":"Silver","count":"7.50","since":"2024-02-29T10:00:00+02:00"},"items":[{"ok":"false"}]}`,
		`{"data":{"tier":12,"count":-1e2,"since":"2023-12-31"},"items":[{"ok":false},{}]}`,
		`{"data":{"tier":"gold","count":"many","since":"2024-02-29"},"items":[{"ok":true}]}`,
		`{"data":{"tier":null,"count":3,"since":"2024-02-30"},"items":[]}`,
		`{"data":[]}`, `not json`, ``, `{} {}`, `{"data":{"tier":"x","count":1,"since":"2024-01-01"}}`,
	}
	genUserNames = []string{"Jane", "jo", "ÉLODIE", ""}
	genEmails    = []string{"jane@example.com", "JO@EXAMPLE.ORG", ""}
	genRegions   = []string{"Europe West", "europe", "Asia", ""}
	genNumbers   = []string{"0", "10000", "10000.5", "-3", "1e6", "42"}
	genDates     = []string{"2024-02-29", "2024-03-01", "2023-12-31T23:30:00-05:00", "2024-02-29T00:00:00Z", "1969-12-31"}
)

// Generated variables: name, type and the runbook path that sets it.
var genRunbookOutputs = []RunbookOutput{
	{Path: "data.tier", Variable: "tier", Type: TypeText},
	{Path: "data.count", Variable: "count", Type: TypeNumber},
	{Path: "items[0].ok", Variable: "flag", Type: TypeBoolean},
	{Path: "data.since", Variable: "since", Type: TypeDate},
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

// genFlow returns a random flow that Validate accepts with testSchema.
func genFlow(r *rand.Rand) *Flow {
	g := &flowGen{r: r, f: genSteps(r), vars: map[string]Type{}}
	for i, s := range g.f.Steps {
		if s.Kind.waits() {
			g.waiting = append(g.waiting, i)
		}
	}
	for i := range g.f.Steps {
		if !g.f.Steps[i].Kind.waits() && g.f.Steps[i].Kind != KindEnd {
			if _, ok := g.target(i); !ok {
				g.f.Steps[i].Kind = KindEnd
			}
		}
	}
	// Payloads of the steps that set variables first, so conditions know
	// which variables exist.
	for i := range g.f.Steps {
		g.payload(i)
	}
	for i := range g.f.Steps {
		if g.f.Steps[i].Kind == KindCondition {
			g.condition(i)
		}
	}
	return g.f
}

// genSteps returns a flow's numbered steps of random kinds, without
// payloads or targets.
func genSteps(r *rand.Rand) *Flow {
	n := 3 + r.IntN(10)
	weights := []struct {
		k Kind
		w int
	}{{KindMessage, 3}, {KindQuestion, 2}, {KindChoice, 2}, {KindCondition, 3}, {KindCreateTicket, 1}, {KindRunbook, 1}, {KindTransfer, 1}, {KindEnd, 1}}
	total := 0
	for _, w := range weights {
		total += w.w
	}
	f := &Flow{Name: "generated"}
	num := 0
	for i := 0; i < n; i++ {
		num += 1 + r.IntN(2)*r.IntN(3) // gaps: retired numbers
		x := r.IntN(total)
		var k Kind
		for _, w := range weights {
			if x < w.w {
				k = w.k
				break
			}
			x -= w.w
		}
		if i == n-1 && r.IntN(2) == 0 {
			k = KindEnd
		}
		f.Steps = append(f.Steps, Step{Number: num, Kind: k, CanStart: r.IntN(4) == 0})
	}
	f.NextStepNumber = num + 1 + r.IntN(3)
	f.StartStep = f.Steps[0].Number
	if r.IntN(5) == 0 {
		f.StartStep = pick(r, f.Steps).Number
	}
	return f
}

// flowGen fills in a generated flow's steps: their targets, payloads and
// the variables they set.
type flowGen struct {
	r        *rand.Rand
	f        *Flow
	waiting  []int // indexes of the steps that wait for input
	vars     map[string]Type
	varNames []string // vars' names in the order they were set
}

// target picks where step i may go: a step that does not wait may only go
// forward or to a step that waits, so no loop runs without input.
func (g *flowGen) target(i int) (int, bool) {
	steps := g.f.Steps
	if steps[i].Kind.waits() {
		return steps[g.r.IntN(len(steps))].Number, true
	}
	choices := len(steps) - i - 1 + len(g.waiting)
	if choices == 0 {
		return 0, false
	}
	c := g.r.IntN(choices)
	if c < len(steps)-i-1 {
		return steps[i+1+c].Number, true
	}
	return steps[g.waiting[c-(len(steps)-i-1)]].Number, true
}

func (g *flowGen) mustTarget(i int) int {
	t, ok := g.target(i)
	if !ok {
		panic("no target") // genFlow turned such steps into ends
	}
	return t
}

func (g *flowGen) setVar(name string, t Type) {
	if _, ok := g.vars[name]; !ok {
		g.varNames = append(g.varNames, name)
	}
	g.vars[name] = t
}

// payload fills in step i's payload, but a condition's.
func (g *flowGen) payload(i int) {
	r, s := g.r, &g.f.Steps[i]
	switch s.Kind {
	case KindMessage:
		s.Text = pick(r, genTexts)
		s.Next = g.mustTarget(i)
	case KindQuestion:
		s.Text = pick(r, genTexts)
		s.Next = g.mustTarget(i)
		s.Question = g.question()
	case KindChoice:
		s.Text = pick(r, genTexts)
		c := &ChoiceStep{}
		if r.IntN(2) == 0 {
			c.Variable = "topic"
			g.setVar("topic", TypeText)
		}
		perm := r.Perm(len(genLabels))
		for _, j := range perm[:1+r.IntN(4)] {
			c.Options = append(c.Options, Option{Label: genLabels[j], Next: g.mustTarget(i)})
		}
		s.Choice = c
	case KindCreateTicket:
		s.Ticket = &TicketStep{Summary: pick(r, genTexts)}
		s.Next = g.mustTarget(i)
	case KindRunbook:
		rb := &RunbookStep{Runbook: pick(r, []string{"crm", "billing"}), Success: g.mustTarget(i), Failure: g.mustTarget(i)}
		for _, j := range r.Perm(len(genRunbookOutputs))[:r.IntN(len(genRunbookOutputs)+1)] {
			o := genRunbookOutputs[j]
			rb.Outputs = append(rb.Outputs, o)
			g.setVar(o.Variable, o.Type)
		}
		s.Runbook = rb
	case KindTransfer:
		if r.IntN(2) == 0 {
			s.Text = pick(r, genTexts)
		}
		s.Transfer = &TransferStep{Fallback: g.mustTarget(i)}
	case KindEnd:
		if r.IntN(2) == 0 {
			s.Text = pick(r, genTexts)
		}
	}
}

// question returns a question payload: a number into age, or a text
// answer into answer.
func (g *flowGen) question() *Question {
	r := g.r
	q := &Question{ErrorText: pick(r, []string{"", "Try again, {{user.firstname}}."})}
	if r.IntN(3) == 0 {
		q.Variable = "age"
		q.Validation = Validation{Type: ValidateNumber, Required: r.IntN(2) == 0}
		if r.IntN(2) == 0 {
			lo := float64(r.IntN(10) - 2)
			q.Validation.Min = &lo
		}
		if r.IntN(2) == 0 {
			hi := float64(10 + r.IntN(100))
			q.Validation.Max = &hi
		}
		g.setVar("age", TypeNumber)
		return q
	}
	q.Variable = "answer"
	q.Validation = Validation{Type: pick(r, []string{"", ValidateText, ValidateEmail, ValidatePattern}), Required: r.IntN(2) == 0}
	if q.Validation.Type == ValidatePattern {
		q.Validation.Pattern = pick(r, genPatterns)
	}
	if r.IntN(4) == 0 {
		q.Validation.MaxLength = 5 + r.IntN(10)
	}
	g.setVar("answer", TypeText)
	return q
}

// condition fills in condition step i over the variables set so far.
func (g *flowGen) condition(i int) {
	r := g.r
	c := &Condition{Match: pick(r, []Match{MatchAll, MatchAny}), True: g.mustTarget(i), False: g.mustTarget(i)}
	for range r.IntN(4) {
		c.Criteria = append(c.Criteria, genCriterion(r, g.varNames, g.vars))
	}
	g.f.Steps[i].Condition = c
}

func genCriterion(r *rand.Rand, varNames []string, vars map[string]Type) Criterion {
	schema := testSchema()
	var ref FieldRef
	var typ Type
	var choices []string
	switch x := r.IntN(10); {
	case x < 6 || (x >= 8 && len(varNames) == 0):
		d := pick(r, schema.ChatFields)
		ref = FieldRef{Source: SourceChat, Name: d.Name}
		if r.IntN(3) == 0 {
			ref.Name = d.Label
		}
		typ, choices = d.Type, d.Choices
	case x < 8:
		ref = FieldRef{Source: SourceUser, Name: pick(r, UserFields())}
		typ = TypeText
	default:
		name := pick(r, varNames)
		ref = FieldRef{Source: SourceVariable, Name: name}
		typ = vars[name]
	}
	op := pick(r, OperatorsFor(typ))
	value := func() string {
		switch typ {
		case TypeNumber:
			return pick(r, genNumbers)
		case TypeBoolean:
			return pick(r, []string{"true", "false"})
		case TypeDate:
			return pick(r, genDates)
		case TypeChoice:
			return pick(r, choices)
		}
		return pick(r, []string{"gold", "Eu", "europe west", "jane", "sales", "4", "a"})
	}
	c := Criterion{Field: ref, Op: op}
	switch op {
	case OpIsEmpty, OpNotEmpty:
	case OpOneOf:
		for range 1 + r.IntN(3) {
			c.Values = append(c.Values, value())
		}
	default:
		c.Value = value()
	}
	return c
}

// genEnv returns random chat and user fields, now and then with a value
// of the wrong type (which a condition reports as bad_env).
func genEnv(r *rand.Rand) Env {
	env := Env{Chat: map[string]Value{}, User: map[string]string{}}
	for _, d := range testSchema().ChatFields {
		if r.IntN(10) < 3 {
			continue
		}
		var v Value
		var err error
		switch d.Type {
		case TypeChoice:
			v, err = d.Parse(pick(r, d.Choices))
			if r.IntN(4) == 0 {
				v = NewText(strings.ToUpper(v.String()))
			}
		case TypeNumber:
			v, err = ParseValue(TypeNumber, pick(r, genNumbers))
			if r.IntN(10) == 0 {
				v = NewText(pick(r, []string{"12", "lots"}))
			}
		case TypeBoolean:
			v = NewBool(r.IntN(2) == 0)
		case TypeDate:
			v, err = ParseValue(TypeDate, pick(r, genDates))
		case TypeText:
			v = NewText(pick(r, genRegions))
		}
		if err != nil {
			panic(err)
		}
		env.Chat[d.Name] = v
	}
	if r.IntN(3) > 0 {
		env.User[UserFirstName] = pick(r, genUserNames)
	}
	if r.IntN(2) == 0 {
		env.User[UserEmail] = pick(r, genEmails)
	}
	return env
}

// genInput returns an input for a chat in state st: mostly one the chat
// waits for, sometimes anything.
func genInput(r *rand.Rand, f *Flow, st State) Input {
	if st.Status == StatusNew || r.IntN(8) == 0 {
		if st.Status == StatusNew || r.IntN(4) == 0 {
			override := 0
			switch r.IntN(5) {
			case 1, 2:
				override = pick(r, f.Steps).Number
			case 3:
				override = f.NextStepNumber + r.IntN(3) - 1
			}
			return Start(override, r.IntN(3) > 0)
		}
		return pick(r, []func() Input{
			func() Input { return End() },
			func() Input { return Answer(pick(r, genAnswers)) },
			func() Input { return ChooseIndex(r.IntN(3)) },
			func() Input { return RunbookResult(true, []byte(pick(r, genBodies))) },
			func() Input { return TicketCreated("T-x") },
			func() Input { return Agent(pick(r, []AgentEvent{AgentAccepted, AgentUnavailable, AgentEnded})) },
		})()
	}
	s := f.Step(st.Step)
	switch st.Status {
	case StatusAwaitingAnswer:
		return Answer(pick(r, genAnswers))
	case StatusAwaitingChoice:
		opts := s.Choice.Options
		switch r.IntN(5) {
		case 0:
			return ChooseLabel(strings.ToLower(pick(r, opts).Label))
		case 1:
			return ChooseLabel(pick(r, []string{"nope", pick(r, genLabels)}))
		case 2:
			return Answer(pick(r, append([]string{"maybe"}, pick(r, genLabels))))
		}
		return ChooseIndex(r.IntN(len(opts)+2) - 1)
	case StatusAwaitingRunbook:
		return RunbookResult(r.IntN(5) > 0, []byte(pick(r, genBodies)))
	case StatusAwaitingTicket:
		if r.IntN(10) == 0 {
			return TicketCreated("")
		}
		return TicketCreated("T-" + itoa(r.IntN(1000)))
	case StatusAwaitingAgent, StatusLive:
		return Agent(pick(r, []AgentEvent{AgentAccepted, AgentUnavailable, AgentEnded, AgentAccepted, "bogus"}))
	}
	return Answer("after the end")
}
