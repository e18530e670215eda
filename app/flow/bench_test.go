package flow

import "testing"

func benchConditionProgram(b *testing.B) (*Program, Env) {
	f := flowOf(
		cond(1, MatchAll, 2, 2,
			crit(SourceChat, "Customer tier", OpOneOf, "", "gold", "platinum"),
			crit(SourceChat, "CFcontractValue", OpGreaterThan, "10000"),
			crit(SourceUser, "email", OpContains, "@example."),
		),
		question(2, "x", Validation{}, 3),
		end(3, ""),
	)
	tier, _ := testSchema().ChatFields[0].Parse("gold")
	env := Env{
		Chat: map[string]Value{"CFcustomerTier": tier, "CFcontractValue": mustNum("12500")},
		User: map[string]string{"email": "jane@example.com"},
	}
	return mustCompile(b, f), env
}

// BenchmarkConditionStep evaluates one condition step of three criteria
// (a choice one_of, a number greater_than, a text contains).
func BenchmarkConditionStep(b *testing.B) {
	p, env := benchConditionProgram(b)
	b.ReportAllocs()
	for b.Loop() {
		ok, err := p.EvaluateCondition(1, env, nil)
		if err != nil || !ok {
			b.Fatal(ok, err)
		}
	}
}

// BenchmarkConditionStepRun is a whole Run through that condition step to
// the question after it (state copy, outputs and all).
func BenchmarkConditionStepRun(b *testing.B) {
	p, env := benchConditionProgram(b)
	b.ReportAllocs()
	for b.Loop() {
		st, _, err := p.Run(env, State{}, Start(0, false))
		if err != nil || st.Step != 2 {
			b.Fatal(st, err)
		}
	}
}

// walk50 is a 50-step flow cycling message, condition, question and
// choice, ending with an end step.
func walk50() *Flow {
	f := &Flow{Name: "walk", StartStep: 1, NextStepNumber: 51}
	for n := 1; n <= 50; n++ {
		var s Step
		switch {
		case n == 50:
			s = end(n, "Bye {{user.firstname}}, ticket {{ticket.id}}.")
		case n%4 == 1:
			s = msg(n, "Step {{var.x}} for {{user.firstname}}", n+1)
		case n%4 == 2:
			s = cond(n, MatchAny, n+1, n+1, crit(SourceVariable, "x", OpStartsWith, "ans"), crit(SourceUser, "firstname", OpEquals, "jane"))
		case n%4 == 3:
			s = question(n, "x", Validation{Required: true, MaxLength: 40}, n+1)
		default:
			s = choice(n, "topic", Option{Label: "Sales", Next: n + 1}, Option{Label: "Support", Next: n + 1})
		}
		f.Steps = append(f.Steps, s)
	}
	return f
}

// BenchmarkWalk50 walks a chat through all 50 steps: one Start, then an
// answer or a choice at each waiting step (25 Runs in all).
func BenchmarkWalk50(b *testing.B) {
	p := mustCompile(b, walk50())
	env := Env{User: map[string]string{"firstname": "Jane"}}
	b.ReportAllocs()
	for b.Loop() {
		st, _, err := p.Run(env, State{}, Start(0, false))
		for err == nil && st.Status != StatusEnded {
			in := Answer("answer")
			if st.Status == StatusAwaitingChoice {
				in = ChooseIndex(1)
			}
			st, _, err = p.Run(env, st, in)
		}
		if err != nil || st.Visited != 50 {
			b.Fatal(st, err)
		}
	}
}

// BenchmarkCompileExample compiles the example flow (done once per flow
// version on the server).
func BenchmarkCompileExample(b *testing.B) {
	f := exampleFlow(b)
	s := testSchema()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compile(f, s); err != nil {
			b.Fatal(err)
		}
	}
}
