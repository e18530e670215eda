package flow

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"halochat/app/i18n"
)

// Validate checks the flow against the chat custom fields of schema and
// returns a *ValidationError listing every problem, each naming its step
// and field, or nil. The rules:
//
//   - flow: nextStepNumber between 1 and MaxStepNumber; at most MaxSteps
//     steps; the start step exists.
//   - numbers: positive, unique, below nextStepNumber.
//   - kinds: known; each kind has its payload (question, choice,
//     condition, ticket, runbook, transfer) and no other; next only on
//     message, question and create_ticket; text required on message,
//     question and choice.
//   - branches: every required branch is set (next, each option's next,
//     condition true/false, runbook success/failure, transfer fallback)
//     and leads to an existing step.
//   - question: a valid variable name; a known validation type; a pattern
//     (only for type pattern) that compiles; min/max only for numbers,
//     min ≤ max; maxLength not negative and not for numbers.
//   - choice: 1..MaxOptions options with distinct non-empty labels
//     (ignoring case, as typed answers match labels ignoring case).
//   - condition: match all/any; each criterion names a known field (a
//     chat custom field of schema by database name or label, a user
//     field, or a variable that a question, choice or runbook step of the
//     flow sets), an operator valid for the field's type (OperatorsFor),
//     and values that fit the type (and the choices of a choice field).
//   - runbook: a runbook id; outputs with a valid path, variable and type
//     (text, number, boolean or date).
//   - variables: a variable set by several steps has one type.
//   - loops: no cycle made only of message and condition steps (it would
//     run for ever without waiting for the visitor, a ticket, a runbook or
//     an agent).
//   - lengths: see the Max… limits.
//   - languages: defaultLanguage "" or a language of app/i18n; a text's
//     translations (texts, question.errorTexts, an option's labels) only
//     of a text the step has, each into another language of app/i18n than
//     the default, not blank, no longer than the text may be; translated
//     labels distinct within their language.
//
// Steps that cannot be reached are not an error (a step may be reached
// only through startStepOverride, or be a draft): Warnings reports them.
func (f *Flow) Validate(schema Schema) error {
	if _, probs := compile(f, &schema); len(probs) > 0 {
		return &ValidationError{Problems: probs}
	}
	return nil
}

// Program is a validated flow prepared for running: step lookup, compiled
// patterns and criteria. It is immutable and safe for concurrent use;
// the server keeps one per flow version.
type Program struct {
	flow   *Flow
	schema Schema
	index  map[int]int // step number → position in flow.Steps and steps
	// pos is index as a slice by step number (position+1; 0: no step),
	// when the numbers are dense enough: a slice read, not a map lookup
	// (a map costs the wasm build ~100 ns).
	pos   []int32
	steps []compiledStep
}

// at returns the position of step n in flow.Steps and steps.
func (p *Program) at(n int) (int, bool) {
	if p.pos != nil {
		if n <= 0 || n >= len(p.pos) || p.pos[n] == 0 {
			return 0, false
		}
		return int(p.pos[n]) - 1, true
	}
	i, ok := p.index[n]
	return i, ok
}

type compiledStep struct {
	pattern *regexp.Regexp
	cond    condition
	paths   [][]pathElem
}

// Compile validates f against schema (see Validate) and prepares it for
// running. Compile copies f and schema: later changes to them do not
// affect the Program.
func Compile(f *Flow, schema Schema) (*Program, error) {
	f = f.Clone()
	schema.ChatFields = slices.Clone(schema.ChatFields)
	p, probs := compile(f, &schema)
	if len(probs) > 0 {
		return nil, &ValidationError{Problems: probs}
	}
	return p, nil
}

// Flow returns a copy of the compiled flow.
func (p *Program) Flow() *Flow { return p.flow.Clone() }

// StartStep is the flow's start step (Flow().StartStep without the copy).
func (p *Program) StartStep() int { return p.flow.StartStep }

// compile checks f and builds its Program. With schema nil, checks that
// need the chat custom fields are skipped (Parse's structural check).
// Problems come in a stable order: the flow's, the step numbers', the
// variables', each step's in document order, then the loops'.
func compile(f *Flow, schema *Schema) (*Program, []Problem) {
	c := &compiler{f: f, schema: schema,
		p: &Program{flow: f, index: make(map[int]int, len(f.Steps)), steps: make([]compiledStep, len(f.Steps))}}
	if schema != nil {
		c.p.schema = *schema
	}
	c.checkFlow()
	c.indexSteps()
	var varProbs []Problem
	c.varTypes, varProbs = variableTypes(f)
	c.probs = append(c.probs, varProbs...)
	for i := range f.Steps {
		c.checkStep(&f.Steps[i], &c.p.steps[i])
	}
	c.probs = append(c.probs, inputFreeLoops(f, c.p.index)...)
	if len(c.probs) > 0 {
		return nil, c.probs
	}
	c.p.indexDensely()
	return c.p, nil
}

// compiler holds a flow being compiled and the problems found so far.
type compiler struct {
	f        *Flow
	schema   *Schema // nil: skip the checks that need the chat custom fields
	p        *Program
	varTypes map[string]Type // the variables the flow sets
	probs    []Problem
}

// add records a problem at a step (0: the flow as a whole) and field.
func (c *compiler) add(step int, field, format string, args ...any) {
	c.probs = append(c.probs, Problem{Step: step, Field: field, Message: fmt.Sprintf(format, args...)})
}

// checkFlow checks the flow's own limits.
func (c *compiler) checkFlow() {
	f := c.f
	if f.NextStepNumber < 1 || f.NextStepNumber > MaxStepNumber {
		c.add(0, "nextStepNumber", "nextStepNumber %d is not between 1 and %d", f.NextStepNumber, MaxStepNumber)
	}
	if len(f.Steps) > MaxSteps {
		c.add(0, "steps", "%d steps, more than %d", len(f.Steps), MaxSteps)
	}
	if len(f.Name) > MaxNameLength {
		c.add(0, "name", "name is longer than %d bytes", MaxNameLength)
	}
	if f.DefaultLanguage != "" && !i18n.Valid(f.DefaultLanguage) {
		c.add(0, "defaultLanguage", "defaultLanguage %q is not one of %s", f.DefaultLanguage, i18n.List())
	}
}

// checkTranslations checks the translations of one text of step n: each
// into a language of the catalogue other than the flow's default, not
// blank, at most max bytes, and only of a text the step has.
func (c *compiler) checkTranslations(n int, field, own string, tr map[string]string, max int) {
	if len(tr) > 0 && strings.TrimSpace(own) == "" {
		c.add(n, field, "translations of an empty text: write the text in the flow's default language first")
	}
	def := i18n.Lang(c.f.DefaultLanguage).Or(i18n.Default)
	for _, lang := range slices.Sorted(maps.Keys(tr)) {
		f := field + "." + lang
		switch {
		case !i18n.Valid(lang):
			c.add(n, f, "%q is not one of the languages %s", lang, i18n.List())
		case i18n.Lang(lang) == def:
			c.add(n, f, "%s is the flow's default language: the step's own text is in it", lang)
		case strings.TrimSpace(tr[lang]) == "":
			c.add(n, f, "the translation is empty (leave it out to show the step's own text)")
		case len(tr[lang]) > max:
			c.add(n, f, "longer than %d bytes", max)
		}
	}
}

// indexSteps checks the step numbers (positive, below nextStepNumber,
// unique), indexes the steps by number, and checks the start step exists.
func (c *compiler) indexSteps() {
	f, index := c.f, c.p.index
	for i, s := range f.Steps {
		switch {
		case s.Number <= 0:
			c.add(s.Number, "number", "step number %d is not positive", s.Number)
			continue
		case s.Number >= f.NextStepNumber:
			c.add(s.Number, "number", "step number %d is not below nextStepNumber %d", s.Number, f.NextStepNumber)
		}
		if _, dup := index[s.Number]; dup {
			c.add(s.Number, "number", "step number %d is used by more than one step", s.Number)
			continue
		}
		index[s.Number] = i
	}
	if _, ok := index[f.StartStep]; !ok {
		c.add(0, "startStep", "start step %d does not exist", f.StartStep)
	}
}

// checkStep checks one step and compiles what running it needs into cs.
func (c *compiler) checkStep(s *Step, cs *compiledStep) {
	if len(s.Title) > MaxNameLength {
		c.add(s.Number, "title", "title is longer than %d bytes", MaxNameLength)
	}
	c.checkShape(s)
	switch s.Kind {
	case KindMessage, KindQuestion, KindChoice:
		c.checkText(s, "text", s.Text, true)
	default:
		c.checkText(s, "text", s.Text, false)
	}
	c.checkTranslations(s.Number, "texts", s.Text, s.Texts, MaxTextLength)
	switch {
	case s.Kind == KindQuestion && s.Question != nil:
		cs.pattern = c.checkQuestion(s)
	case s.Kind == KindChoice && s.Choice != nil:
		c.checkChoice(s)
	case s.Kind == KindCondition && s.Condition != nil:
		cs.cond = c.checkCondition(s)
	case s.Kind == KindCreateTicket && s.Ticket != nil:
		c.checkTicket(s)
	case s.Kind == KindRunbook && s.Runbook != nil:
		cs.paths = c.checkRunbook(s)
	}
	c.checkBranches(s)
}

// checkShape checks that the step's kind is known, that it carries
// exactly its kind's payload, and next only where the kind goes on to a
// single next step.
func (c *compiler) checkShape(s *Step) {
	n := s.Number
	payloads := []struct {
		field string
		set   bool
		kind  Kind
	}{
		{"question", s.Question != nil, KindQuestion},
		{"choice", s.Choice != nil, KindChoice},
		{"condition", s.Condition != nil, KindCondition},
		{"ticket", s.Ticket != nil, KindCreateTicket},
		{"runbook", s.Runbook != nil, KindRunbook},
		{"transfer", s.Transfer != nil, KindTransfer},
	}
	known := slices.Contains(Kinds(), s.Kind)
	if !known {
		c.add(n, "kind", "unknown step kind %q", s.Kind)
	}
	for _, pl := range payloads {
		switch {
		case pl.set && known && pl.kind != s.Kind:
			c.add(n, pl.field, "a %s step has no %s", s.Kind, pl.field)
		case !pl.set && pl.kind == s.Kind:
			c.add(n, pl.field, "a %s step needs its %s", s.Kind, pl.field)
		}
	}
	switch s.Kind {
	case KindMessage, KindQuestion, KindCreateTicket:
	default:
		if s.Next != 0 && known {
			c.add(n, "next", "a %s step has no next (it branches otherwise)", s.Kind)
		}
	}
}

// checkText checks a text of the step: not blank when required, and not
// too long.
func (c *compiler) checkText(s *Step, field, text string, required bool) {
	if required && strings.TrimSpace(text) == "" {
		c.add(s.Number, field, "%s step needs a text", s.Kind)
	}
	if len(text) > MaxTextLength {
		c.add(s.Number, field, "longer than %d bytes", MaxTextLength)
	}
}

// checkQuestion checks a question step's variable, error text and
// validation, and returns the compiled pattern (nil without one).
func (c *compiler) checkQuestion(s *Step) *regexp.Regexp {
	q := s.Question
	checkVariable(s.Number, "question.variable", q.Variable, true, c.add)
	c.checkText(s, "question.errorText", q.ErrorText, false)
	c.checkTranslations(s.Number, "question.errorTexts", q.ErrorText, q.ErrorTexts, MaxTextLength)
	return checkValidation(s.Number, &q.Validation, c.add)
}

// checkChoice checks a choice step's variable and options: 1..MaxOptions,
// labels not blank, not too long, and distinct ignoring case (typed
// answers match labels ignoring case).
func (c *compiler) checkChoice(s *Step) {
	n, ch := s.Number, s.Choice
	checkVariable(n, "choice.variable", ch.Variable, false, c.add)
	if len(ch.Options) == 0 {
		c.add(n, "choice.options", "a choice step needs at least one option")
	}
	if len(ch.Options) > MaxOptions {
		c.add(n, "choice.options", "%d options, more than %d", len(ch.Options), MaxOptions)
	}
	seen := make(map[string]int)
	for j, o := range ch.Options {
		field := "choice.options[" + itoa(j) + "].label"
		switch {
		case strings.TrimSpace(o.Label) == "":
			c.add(n, field, "option label is empty")
		case len(o.Label) > MaxNameLength:
			c.add(n, field, "option label is longer than %d bytes", MaxNameLength)
		}
		key := strings.ToLower(strings.TrimSpace(o.Label))
		if k, dup := seen[key]; dup && key != "" {
			c.add(n, field, "option label %q repeats option %d's (labels are compared ignoring case)", o.Label, k)
		} else {
			seen[key] = j
		}
		c.checkTranslations(n, "choice.options["+itoa(j)+"].labels", o.Label, o.Labels, MaxNameLength)
		for _, lang := range slices.Sorted(maps.Keys(o.Labels)) {
			l := o.Labels[lang]
			key := lang + "\x00" + strings.ToLower(strings.TrimSpace(l))
			if k, dup := seen[key]; dup {
				c.add(n, "choice.options["+itoa(j)+"].labels."+lang, "option label %q repeats option %d's in %s", l, k, lang)
			} else {
				seen[key] = j
			}
		}
	}
}

// checkCondition checks a condition step's criteria against the schema
// and the flow's variables, and returns the compiled condition.
func (c *compiler) checkCondition(s *Step) condition {
	n, cond := s.Number, s.Condition
	for j, cr := range cond.Criteria {
		if len(cr.Values) > MaxValues {
			c.add(n, "condition.criteria["+itoa(j)+"].values", "%d values, more than %d", len(cr.Values), MaxValues)
		}
	}
	compiled, _ := compileCondition(cond, c.schema, c.varTypes, func(field, msg string) {
		c.add(n, "condition."+field, "%s", msg)
	})
	return compiled
}

// checkTicket checks a create_ticket step's summary.
func (c *compiler) checkTicket(s *Step) {
	if strings.TrimSpace(s.Ticket.Summary) == "" {
		c.add(s.Number, "ticket.summary", "a create_ticket step needs a summary")
	}
	c.checkText(s, "ticket.summary", s.Ticket.Summary, false)
}

// checkRunbook checks a runbook step's runbook id and outputs, and
// returns the outputs' parsed paths (nil for a path that does not parse).
func (c *compiler) checkRunbook(s *Step) [][]pathElem {
	n, r := s.Number, s.Runbook
	switch {
	case strings.TrimSpace(r.Runbook) == "":
		c.add(n, "runbook.runbook", "a runbook step needs a runbook id")
	case len(r.Runbook) > MaxNameLength:
		c.add(n, "runbook.runbook", "runbook id is longer than %d bytes", MaxNameLength)
	}
	if len(r.Outputs) > MaxOutputs {
		c.add(n, "runbook.outputs", "%d outputs, more than %d", len(r.Outputs), MaxOutputs)
	}
	return checkOutputs(n, "runbook.", r.Outputs, c.add)
}

// checkOutputs checks runbook output mappings (a step's, or a runbook's
// own), naming each problem's field prefix+"outputs[j].path" and so on,
// and returns their parsed paths (nil for a path that does not parse).
func checkOutputs(n int, prefix string, outs []RunbookOutput, add func(int, string, string, ...any)) [][]pathElem {
	var paths [][]pathElem
	for j, o := range outs {
		field := prefix + "outputs[" + itoa(j) + "]."
		path, err := parsePath(o.Path)
		if err != nil {
			add(n, field+"path", "%v", err)
		}
		paths = append(paths, path)
		checkVariable(n, field+"variable", o.Variable, true, add)
		switch o.Type {
		case TypeText, TypeNumber, TypeBoolean, TypeDate:
		default:
			add(n, field+"type", "runbook output type %q is not text, number, boolean or date", o.Type)
		}
	}
	return paths
}

// checkBranches checks that every branch the step needs is set and leads
// to an existing step.
func (c *compiler) checkBranches(s *Step) {
	for _, b := range s.branches() {
		switch {
		case b.target == 0:
			c.add(s.Number, b.field, "required branch %s is missing", b.field)
		default:
			if _, ok := c.p.index[b.target]; !ok {
				c.add(s.Number, b.field, "branch to unknown step %d", b.target)
			}
		}
	}
}

// indexDensely adds pos, the index as a slice by step number, when the
// numbers are dense enough for the slice to stay small.
func (p *Program) indexDensely() {
	top := 0
	for n := range p.index {
		top = max(top, n)
	}
	if top <= 8*len(p.flow.Steps)+1024 {
		p.pos = make([]int32, top+1)
		for n, i := range p.index {
			p.pos[n] = int32(i + 1)
		}
	}
}

// variableTypes collects the type of every variable the flow sets, and
// reports a variable set with two different types.
func variableTypes(f *Flow) (map[string]Type, []Problem) {
	types := make(map[string]Type)
	setBy := make(map[string]int)
	var probs []Problem
	set := func(step int, field, name string, t Type) {
		if name == "" {
			return
		}
		if old, ok := types[name]; ok && old != t {
			probs = append(probs, Problem{Step: step, Field: field, Message: fmt.Sprintf("variable %q is set as %s here but as %s by step %d", name, t, old, setBy[name])})
			return
		}
		if _, ok := types[name]; !ok {
			types[name], setBy[name] = t, step
		}
	}
	for _, s := range f.Steps {
		switch {
		case s.Kind == KindQuestion && s.Question != nil:
			t := TypeText
			if s.Question.Validation.Type == ValidateNumber {
				t = TypeNumber
			}
			set(s.Number, "question.variable", s.Question.Variable, t)
		case s.Kind == KindChoice && s.Choice != nil:
			set(s.Number, "choice.variable", s.Choice.Variable, TypeText)
		case s.Kind == KindRunbook && s.Runbook != nil:
			for j, o := range s.Runbook.Outputs {
				set(s.Number, "runbook.outputs["+itoa(j)+"].variable", o.Variable, o.Type)
			}
		}
	}
	return types, probs
}

func checkVariable(step int, field, name string, required bool, add func(int, string, string, ...any)) {
	if name == "" {
		if required {
			add(step, field, "variable name is missing")
		}
		return
	}
	if !validVariableName(name) {
		add(step, field, "variable name %q is not a letter or _ followed by letters, digits or _ (at most %d)", name, MaxVariableName)
	}
}

func validVariableName(s string) bool {
	if s == "" || len(s) > MaxVariableName {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

func checkValidation(step int, v *Validation, add func(int, string, string, ...any)) *regexp.Regexp {
	var re *regexp.Regexp
	switch v.Type {
	case "", ValidateText, ValidateEmail, ValidateNumber, ValidatePattern:
	default:
		add(step, "question.validation.type", "validation type %q is not text, email, number or pattern", v.Type)
	}
	if v.Type == ValidatePattern {
		switch {
		case v.Pattern == "":
			add(step, "question.validation.pattern", "validation type pattern needs a pattern")
		case len(v.Pattern) > MaxPatternLength:
			add(step, "question.validation.pattern", "pattern is longer than %d bytes", MaxPatternLength)
		default:
			var err error
			re, err = regexp.Compile(`^(?:` + v.Pattern + `)$`)
			if err != nil {
				add(step, "question.validation.pattern", "pattern does not compile: %v", err)
			}
		}
	} else if v.Pattern != "" {
		add(step, "question.validation.pattern", "a pattern needs validation type pattern")
	}
	if v.Type != ValidateNumber {
		if v.Min != nil {
			add(step, "question.validation.min", "min needs validation type number")
		}
		if v.Max != nil {
			add(step, "question.validation.max", "max needs validation type number")
		}
	} else {
		if v.MaxLength != 0 {
			add(step, "question.validation.maxLength", "maxLength is not for validation type number (use min and max)")
		}
		if v.Min != nil && v.Max != nil && *v.Min > *v.Max {
			add(step, "question.validation.min", "min %v is above max %v", *v.Min, *v.Max)
		}
	}
	if v.MaxLength < 0 {
		add(step, "question.validation.maxLength", "maxLength %d is negative", v.MaxLength)
	}
	return re
}

// inputFreeLoops finds cycles made only of steps that do not wait
// (message, condition): the runner would go round them for ever.
// Each cycle is reported once, at its lowest-numbered step.
func inputFreeLoops(f *Flow, index map[int]int) []Problem {
	// Tarjan's strongly connected components over the non-waiting steps,
	// visited in number order so the report is stable.
	nums := make([]int, 0, len(index))
	for n, i := range index {
		if !f.Steps[i].Kind.waits() {
			nums = append(nums, n)
		}
	}
	slices.Sort(nums)
	succ := func(n int) []int {
		var out []int
		s := &f.Steps[index[n]]
		for _, b := range s.branches() {
			if i, ok := index[b.target]; ok && !f.Steps[i].Kind.waits() && slices.Contains(Kinds(), f.Steps[i].Kind) {
				out = append(out, b.target)
			}
		}
		return out
	}
	order := make(map[int]int)
	low := make(map[int]int)
	onStack := make(map[int]bool)
	var stack []int
	var probs []Problem
	var visit func(n int)
	visit = func(n int) {
		order[n] = len(order) + 1
		low[n] = order[n]
		stack = append(stack, n)
		onStack[n] = true
		self := false
		for _, m := range succ(n) {
			if m == n {
				self = true
			}
			if order[m] == 0 {
				visit(m)
				low[n] = min(low[n], low[m])
			} else if onStack[m] {
				low[n] = min(low[n], order[m])
			}
		}
		if low[n] != order[n] {
			return
		}
		var comp []int
		for {
			m := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			onStack[m] = false
			comp = append(comp, m)
			if m == n {
				break
			}
		}
		if len(comp) > 1 || self {
			slices.Sort(comp)
			parts := make([]string, len(comp))
			for i, m := range comp {
				parts[i] = itoa(m)
			}
			probs = append(probs, Problem{Step: comp[0], Message: fmt.Sprintf("steps %s form a loop with no question, choice, ticket, runbook or transfer step: it would run for ever", strings.Join(parts, ", "))})
		}
	}
	for _, n := range nums {
		if order[n] == 0 {
			visit(n)
		}
	}
	slices.SortStableFunc(probs, func(a, b Problem) int { return a.Step - b.Step })
	return probs
}

// Warnings lists doubtful things that do not stop a flow from running:
// steps that cannot be reached from the start step or any step with
// canStart, and placeholders that name nothing the flow knows (they
// render empty). The flow should be valid; Warnings does not repeat
// Validate's problems.
func (f *Flow) Warnings(schema Schema) []Problem {
	var probs []Problem
	index := make(map[int]int, len(f.Steps))
	for i, s := range f.Steps {
		if _, dup := index[s.Number]; !dup {
			index[s.Number] = i
		}
	}
	reached := make(map[int]bool)
	var queue []int
	push := func(n int) {
		if _, ok := index[n]; ok && !reached[n] {
			reached[n] = true
			queue = append(queue, n)
		}
	}
	push(f.StartStep)
	for _, s := range f.Steps {
		if s.CanStart {
			push(s.Number)
		}
	}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for _, b := range f.Steps[index[n]].branches() {
			push(b.target)
		}
	}
	varTypes, _ := variableTypes(f)
	for _, s := range f.Steps {
		if !reached[s.Number] {
			probs = append(probs, Problem{Step: s.Number, Message: fmt.Sprintf("step %d cannot be reached from the start step or a step with canStart", s.Number)})
		}
		texts := []struct{ field, text string }{{"text", s.Text}}
		for _, lang := range slices.Sorted(maps.Keys(s.Texts)) {
			texts = append(texts, struct{ field, text string }{"texts." + lang, s.Texts[lang]})
		}
		if s.Question != nil {
			texts = append(texts, struct{ field, text string }{"question.errorText", s.Question.ErrorText})
			for _, lang := range slices.Sorted(maps.Keys(s.Question.ErrorTexts)) {
				texts = append(texts, struct{ field, text string }{"question.errorTexts." + lang, s.Question.ErrorTexts[lang]})
			}
		}
		if s.Ticket != nil {
			texts = append(texts, struct{ field, text string }{"ticket.summary", s.Ticket.Summary})
		}
		for _, t := range texts {
			for _, ph := range placeholders(t.text) {
				if msg := checkPlaceholder(ph, &schema, varTypes); msg != "" {
					probs = append(probs, Problem{Step: s.Number, Field: t.field, Message: msg})
				}
			}
		}
	}
	return probs
}

// pathElem is one step of a runbook output path: an object key, or an
// array index when key is "" (index ≥ 0).
type pathElem struct {
	key   string
	index int
}

// parsePath parses "data.tier" or "items[0].id".
func parsePath(s string) ([]pathElem, error) {
	if s == "" {
		return nil, fmt.Errorf("path is empty")
	}
	if len(s) > MaxNameLength || !utf8.ValidString(s) {
		return nil, fmt.Errorf("path %q is longer than %d bytes or not UTF-8", s, MaxNameLength)
	}
	var path []pathElem
	i := 0
	for i < len(s) {
		switch s[i] {
		case '[':
			j := strings.IndexByte(s[i:], ']')
			if j < 0 {
				return nil, fmt.Errorf("path %q: '[' without ']'", s)
			}
			digits := s[i+1 : i+j]
			if digits == "" || len(digits) > 6 {
				return nil, fmt.Errorf("path %q: index %q is not 0 to 999999", s, digits)
			}
			idx := 0
			for _, c := range []byte(digits) {
				if c < '0' || c > '9' {
					return nil, fmt.Errorf("path %q: index %q is not a number", s, digits)
				}
				idx = idx*10 + int(c-'0')
			}
			path = append(path, pathElem{index: idx})
			i += j + 1
			if i < len(s) && s[i] != '.' && s[i] != '[' {
				return nil, fmt.Errorf("path %q: expected '.' or '[' after ']'", s)
			}
			if i < len(s) && s[i] == '.' {
				i++
				if i == len(s) || s[i] == '.' || s[i] == '[' {
					return nil, fmt.Errorf("path %q: empty key", s)
				}
			}
		case ']':
			return nil, fmt.Errorf("path %q: ']' without '['", s)
		case '.':
			return nil, fmt.Errorf("path %q: empty key", s)
		default:
			j := i
			for j < len(s) && s[j] != '.' && s[j] != '[' && s[j] != ']' {
				j++
			}
			path = append(path, pathElem{key: s[i:j], index: -1})
			i = j
			if i < len(s) && s[i] == '.' {
				i++
				if i == len(s) || s[i] == '.' || s[i] == '[' {
					return nil, fmt.Errorf("path %q: empty key", s)
				}
			}
		}
	}
	return path, nil
}
