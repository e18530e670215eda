package flow

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Operator is a criterion's comparison.
//
// Semantics, for a field value v and the criterion's value x:
//   - A missing value is empty. is_empty is true for a missing value or an
//     empty text; not_empty is its negation.
//   - equals, contains, starts_with, greater_than, less_than and one_of are
//     false for an empty value; not_equals is exactly "not equals", so it
//     is true for an empty value.
//   - Text and choice comparisons (equals, not_equals, contains,
//     starts_with, one_of) ignore case: both sides are compared after
//     strings.ToLower. Nothing is trimmed.
//   - Numbers compare numerically; dates as described at TypeDate;
//     booleans by value.
type Operator string

// Operators.
const (
	OpEquals      Operator = "equals"
	OpNotEquals   Operator = "not_equals"
	OpContains    Operator = "contains"
	OpStartsWith  Operator = "starts_with"
	OpIsEmpty     Operator = "is_empty"
	OpNotEmpty    Operator = "not_empty"
	OpGreaterThan Operator = "greater_than"
	OpLessThan    Operator = "less_than"
	OpOneOf       Operator = "one_of"
)

// Operators lists every operator in a stable order.
func Operators() []Operator {
	return []Operator{OpEquals, OpNotEquals, OpContains, OpStartsWith, OpIsEmpty, OpNotEmpty, OpGreaterThan, OpLessThan, OpOneOf}
}

// OperatorsFor lists the operators valid for a field of type t:
//
//	text     equals not_equals contains starts_with is_empty not_empty one_of
//	choice   equals not_equals is_empty not_empty one_of
//	number   equals not_equals greater_than less_than is_empty not_empty one_of
//	date     equals not_equals greater_than less_than is_empty not_empty
//	boolean  equals not_equals is_empty not_empty
func OperatorsFor(t Type) []Operator {
	switch t {
	case TypeText:
		return []Operator{OpEquals, OpNotEquals, OpContains, OpStartsWith, OpIsEmpty, OpNotEmpty, OpOneOf}
	case TypeChoice:
		return []Operator{OpEquals, OpNotEquals, OpIsEmpty, OpNotEmpty, OpOneOf}
	case TypeNumber:
		return []Operator{OpEquals, OpNotEquals, OpGreaterThan, OpLessThan, OpIsEmpty, OpNotEmpty, OpOneOf}
	case TypeDate:
		return []Operator{OpEquals, OpNotEquals, OpGreaterThan, OpLessThan, OpIsEmpty, OpNotEmpty}
	case TypeBoolean:
		return []Operator{OpEquals, OpNotEquals, OpIsEmpty, OpNotEmpty}
	}
	return nil
}

func opValidFor(op Operator, t Type) bool {
	for _, o := range OperatorsFor(t) {
		if o == op {
			return true
		}
	}
	return false
}

func (op Operator) known() bool {
	for _, o := range Operators() {
		if o == op {
			return true
		}
	}
	return false
}

// Env is what the host knows about a chat that conditions and
// placeholders read. It is passed with every input because it may change
// during a chat (upgradeAnonChat fills it).
type Env struct {
	// Chat holds the chat custom field values by database name.
	Chat map[string]Value `json:"chat,omitempty"`
	// User holds the user fields (see UserFields) by name.
	User map[string]string `json:"user,omitempty"`
	// Language is the chat's language (an app/i18n code): a step's texts
	// are shown in its translation for it, if the step has one ("" or
	// none: the flow's default language, the step's own text).
	Language string `json:"language,omitempty"`
}

// opCode numbers the operators in the order of Operators(), from 1: a
// compiled criterion switches on a small integer, not on the operator's
// name (string comparisons cost the wasm build most of a step).
type opCode uint8

const (
	codeEquals opCode = iota + 1
	codeNotEquals
	codeContains
	codeStartsWith
	codeIsEmpty
	codeNotEmpty
	codeGreaterThan
	codeLessThan
	codeOneOf
)

// opCodeOf returns op's code; 0 for an unknown operator.
func opCodeOf(op Operator) opCode {
	for i, o := range Operators() {
		if o == op {
			return opCode(i + 1)
		}
	}
	return 0
}

// srcCode numbers the sources, from 1, for the same reason.
type srcCode uint8

const (
	codeChat srcCode = iota + 1
	codeUser
	codeVariable
)

// srcCodeOf returns source's code; 0 for an unknown source.
func srcCodeOf(src Source) srcCode {
	switch src {
	case SourceChat:
		return codeChat
	case SourceUser:
		return codeUser
	case SourceVariable:
		return codeVariable
	}
	return 0
}

// criterion is a checked, ready-to-evaluate Criterion.
type criterion struct {
	src   Source
	srcc  srcCode
	key   string // database name, user field or variable
	typ   Type
	op    Operator
	code  opCode
	val   Value
	vals  []Value
	lower string   // lower-cased val for text and choice
	lows  []string // lower-cased vals for text and choice
}

// compileCriterion checks c and prepares it. schema is nil when it is not
// known (Parse's structural check): chat fields are then not looked up
// and their values not typed. varTypes gives the type of each variable
// the flow sets; nil means unknown (same effect for variables).
// Problems are reported through bad(field, message) with field relative
// to the criterion.
func compileCriterion(c Criterion, schema *Schema, varTypes map[string]Type, bad func(field, msg string)) (criterion, bool) {
	ok := true
	fail := func(field, msg string) {
		ok = false
		bad(field, msg)
	}
	cr := criterion{src: c.Field.Source, srcc: srcCodeOf(c.Field.Source), op: c.Op, code: opCodeOf(c.Op)}
	if c.Field.Name == "" {
		fail("field.name", "field name is empty")
	}
	switch c.Field.Source {
	case SourceChat:
		if schema != nil && c.Field.Name != "" {
			if d, found := schema.ChatField(c.Field.Name); found {
				cr.key, cr.typ = d.Name, d.Type
				if !d.Type.valid() {
					fail("field.name", fmt.Sprintf("chat custom field %q has unknown type %q", d.Name, d.Type))
				}
			} else {
				fail("field.name", fmt.Sprintf("no chat custom field has the database name or label %q", c.Field.Name))
			}
		}
	case SourceUser:
		cr.key, cr.typ = c.Field.Name, TypeText
		if c.Field.Name != "" && !IsUserField(c.Field.Name) {
			fail("field.name", fmt.Sprintf("unknown user field %q (known: %s)", c.Field.Name, strings.Join(UserFields(), ", ")))
		}
	case SourceVariable:
		cr.key = c.Field.Name
		if varTypes != nil && c.Field.Name != "" {
			if t, found := varTypes[c.Field.Name]; found {
				cr.typ = t
			} else {
				fail("field.name", fmt.Sprintf("no question, choice or runbook step of the flow sets variable %q", c.Field.Name))
			}
		}
	default:
		fail("field.source", fmt.Sprintf("unknown source %q (chat, user or variable)", c.Field.Source))
	}

	if !c.Op.known() {
		fail("op", fmt.Sprintf("unknown operator %q", c.Op))
		return cr, false
	}
	if cr.typ != "" && !opValidFor(c.Op, cr.typ) {
		fail("op", fmt.Sprintf("operator %s is not valid for a %s field (valid: %s)", c.Op, cr.typ, joinOps(OperatorsFor(cr.typ))))
	}
	switch c.Op {
	case OpIsEmpty, OpNotEmpty:
		if c.Value != "" || len(c.Values) > 0 {
			fail("value", fmt.Sprintf("operator %s takes no value", c.Op))
		}
	case OpOneOf:
		if c.Value != "" {
			fail("value", "operator one_of takes values, not value")
		}
		if len(c.Values) == 0 {
			fail("values", "operator one_of needs at least one value")
		}
		for i, s := range c.Values {
			v, msg := criterionValue(s, cr.typ, c.Field, schema)
			if msg != "" {
				fail("values["+itoa(i)+"]", msg)
				continue
			}
			cr.vals = append(cr.vals, v)
			cr.lows = append(cr.lows, strings.ToLower(v.s))
		}
	default:
		if len(c.Values) > 0 {
			fail("values", fmt.Sprintf("operator %s takes value, not values", c.Op))
		}
		v, msg := criterionValue(c.Value, cr.typ, c.Field, schema)
		if msg != "" {
			fail("value", msg)
		}
		cr.val, cr.lower = v, strings.ToLower(v.s)
	}
	return cr, ok
}

// criterionValue parses a criterion's value for a field of type t ("" if
// unknown). It returns a message when the value does not fit.
func criterionValue(s string, t Type, ref FieldRef, schema *Schema) (Value, string) {
	if s == "" {
		return Value{}, "value is empty (use is_empty or not_empty to test for emptiness)"
	}
	if t == "" {
		return NewText(s), ""
	}
	v, err := ParseValue(t, s)
	if err != nil {
		return Value{}, fmt.Sprintf("value does not fit a %s field: %v", t, err)
	}
	if t == TypeChoice && schema != nil {
		d, _ := schema.ChatField(ref.Name)
		if _, err := d.check(v); err != nil {
			return Value{}, fmt.Sprintf("value %q is not one of the choices of %s (%s)", s, d.Name, strings.Join(d.Choices, ", "))
		}
	}
	return v, ""
}

func joinOps(ops []Operator) string {
	s := make([]string, len(ops))
	for i, o := range ops {
		s[i] = string(o)
	}
	return strings.Join(s, ", ")
}

// lookup finds the criterion's field value in env or vars, converted to
// the criterion's type.
func (c *criterion) lookup(env *Env, vars map[string]Value) (Value, error) {
	var v Value
	switch c.srcc {
	case codeChat:
		v = env.Chat[c.key]
	case codeUser:
		if s, ok := env.User[c.key]; ok {
			v = NewText(s)
		}
	case codeVariable:
		v = vars[c.key]
	}
	return fit(v, c.typ)
}

// fit converts v to type t when the host passed a value of another type
// (say a text for a number field). A missing value stays missing.
func fit(v Value, t Type) (Value, error) {
	if v.typ == "" || v.typ == t || t == "" {
		return v, nil
	}
	if (v.typ == TypeText && t == TypeChoice) || (v.typ == TypeChoice && t == TypeText) {
		v.typ = t
		return v, nil
	}
	x, err := ParseValue(t, v.s)
	if err != nil {
		return Value{}, fmt.Errorf("a %s value does not fit a %s field: %w", v.typ, t, err)
	}
	return x, nil
}

// eval applies the operator to a value already of the criterion's type.
func (c *criterion) eval(v Value) bool {
	switch c.code {
	case codeIsEmpty:
		return v.IsEmpty()
	case codeNotEmpty:
		return !v.IsEmpty()
	case codeNotEquals:
		return !c.equals(v, c.val, c.lower)
	case codeEquals:
		return c.equals(v, c.val, c.lower)
	case codeOneOf:
		if v.IsEmpty() {
			return false
		}
		if v.typ == TypeText || v.typ == TypeChoice {
			lv := lowerText(v.s) // once, not once per value
			for i := range c.lows {
				if lv == c.lows[i] {
					return true
				}
			}
			return false
		}
		for i := range c.vals {
			if c.equals(v, c.vals[i], c.lows[i]) {
				return true
			}
		}
		return false
	}
	if v.IsEmpty() {
		return false
	}
	switch c.code {
	case codeContains:
		return strings.Contains(lowerText(v.s), c.lower)
	case codeStartsWith:
		return strings.HasPrefix(lowerText(v.s), c.lower)
	case codeGreaterThan:
		return compareValues(v, c.val) > 0
	case codeLessThan:
		return compareValues(v, c.val) < 0
	}
	return false
}

func (c *criterion) equals(v, x Value, lower string) bool {
	if v.IsEmpty() {
		return false
	}
	switch v.typ {
	case TypeText, TypeChoice:
		return lowerText(v.s) == lower
	case TypeNumber:
		return v.n == x.n
	case TypeBoolean:
		return v.b == x.b
	case TypeDate:
		return compareDates(v, x) == 0
	}
	return false
}

// lowerText is strings.ToLower(s), in one pass and without allocating
// for the common case of ASCII text with no upper-case letter.
func lowerText(s string) string {
	i := 0
	for ; i+8 <= len(s); i += 8 { // eight bytes at a time
		x := word(s, i)
		if x&hiBits != 0 || (x+0x3f3f3f3f3f3f3f3f)&^(x+0x2525252525252525)&hiBits != 0 {
			return strings.ToLower(s) // not ASCII, or an upper-case letter ('A' ≤ b ≤ 'Z')
		}
	}
	for ; i < len(s); i++ {
		if c := s[i]; c >= utf8.RuneSelf || ('A' <= c && c <= 'Z') {
			return strings.ToLower(s)
		}
	}
	return s
}

// hiBits is the top bit of each byte of a word.
const hiBits = 0x8080808080808080

// word is the eight bytes of s from i, little-endian.
func word(s string, i int) uint64 {
	_ = s[i+7]
	return uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
		uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
}

// compareValues orders two non-empty values of the same type (number or
// date).
func compareValues(a, b Value) int {
	if a.typ == TypeDate {
		return compareDates(a, b)
	}
	switch {
	case a.n < b.n:
		return -1
	case a.n > b.n:
		return 1
	}
	return 0
}

// condition is a checked, ready-to-evaluate Condition.
type condition struct {
	any      bool
	criteria []criterion
}

func (c *condition) eval(env *Env, vars map[string]Value) (bool, error) {
	for i := range c.criteria {
		cr := &c.criteria[i]
		v, err := cr.lookup(env, vars)
		if err != nil {
			return false, &Error{Code: CodeBadEnv, Message: fmt.Sprintf("criterion %d (%s %s): %v", i, cr.src, cr.key, err)}
		}
		if cr.eval(v) == c.any {
			return c.any, nil
		}
	}
	return !c.any, nil
}

// Evaluate evaluates a condition on its own (outside a flow), with the
// chat custom fields of schema, the values in env and the variables in
// vars. A variable's type is the type of its value in vars; a criterion
// on a variable absent from vars sees an empty value. An ill-formed
// condition returns a *ValidationError (step 0).
func Evaluate(cond *Condition, schema Schema, env Env, vars map[string]Value) (bool, error) {
	varTypes := make(map[string]Type, len(vars))
	for k, v := range vars {
		varTypes[k] = v.typ
	}
	for _, c := range cond.Criteria {
		if c.Field.Source == SourceVariable {
			if _, ok := varTypes[c.Field.Name]; !ok {
				varTypes[c.Field.Name] = "" // unknown type: value kept as text
			}
		}
	}
	var probs []Problem
	cc, ok := compileCondition(cond, &schema, varTypes, func(field, msg string) {
		probs = append(probs, Problem{Field: "condition." + field, Message: msg})
	})
	if !ok {
		return false, &ValidationError{Problems: probs}
	}
	return cc.eval(&env, vars)
}

func compileCondition(cond *Condition, schema *Schema, varTypes map[string]Type, bad func(field, msg string)) (condition, bool) {
	ok := true
	cc := condition{}
	switch cond.Match {
	case MatchAll:
	case MatchAny:
		cc.any = true
	default:
		ok = false
		bad("match", fmt.Sprintf("match is %q, not all or any", cond.Match))
	}
	if len(cond.Criteria) > MaxCriteria {
		ok = false
		bad("criteria", fmt.Sprintf("%d criteria, more than %d", len(cond.Criteria), MaxCriteria))
	}
	for i, c := range cond.Criteria {
		prefix := "criteria[" + itoa(i) + "]."
		cr, good := compileCriterion(c, schema, varTypes, func(field, msg string) { bad(prefix+field, msg) })
		if !good {
			ok = false
		}
		cc.criteria = append(cc.criteria, cr)
	}
	return cc, ok
}
