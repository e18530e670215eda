package flow_test

import (
	"fmt"
	"os"

	"halochat/app/flow"
)

func Example() {
	doc, err := os.ReadFile("testdata/example.json")
	if err != nil {
		panic(err)
	}
	f, err := flow.Parse(doc)
	if err != nil {
		panic(err)
	}
	schema := flow.Schema{ChatFields: []flow.FieldDef{
		{Name: "CFcustomerTier", Label: "Customer tier", Type: flow.TypeChoice, Choices: []string{"bronze", "silver", "gold", "platinum"}},
		{Name: "CFcontractValue", Label: "Contract value", Type: flow.TypeNumber},
	}}
	prog, err := flow.Compile(f, schema)
	if err != nil {
		panic(err)
	}
	tier, _ := schema.ChatFields[0].Parse("silver")
	env := flow.Env{User: map[string]string{"firstname": "Jane"}, Chat: map[string]flow.Value{"CFcustomerTier": tier}}

	var st flow.State
	for _, in := range []flow.Input{
		flow.Start(0, true),
		flow.Answer("jane@example"),
		flow.Answer("jane@example.com"),
		flow.ChooseLabel("Talk to a person"),
		flow.Agent(flow.AgentUnavailable),
		flow.TicketCreated("T-1001"),
	} {
		var outs []flow.Output
		st, outs, err = prog.Run(env, st, in)
		if err != nil {
			panic(err)
		}
		for _, o := range outs {
			switch o.Kind {
			case flow.OutMessage:
				fmt.Printf("bot: %s\n", o.Text)
			case flow.OutCreateTicket:
				fmt.Printf("[create ticket %q]\n", o.Summary)
			case flow.OutInvalidAnswer:
				fmt.Printf("bot: %s (%s)\n", o.Text, o.Reason)
			case flow.OutChoices:
				fmt.Printf("[buttons %q]\n", o.Choices)
			case flow.OutTrace:
			default:
				fmt.Printf("[%s]\n", o.Kind)
			}
		}
	}
	// Output:
	// bot: Hi Jane, welcome to support.
	// bot: What is your email address?
	// [prompt]
	// bot: That does not look like an email address. (email)
	// bot: What is your email address?
	// [prompt]
	// bot: What do you need help with?
	// [buttons ["Billing" "Talk to a person"]]
	// bot: Connecting you to an agent…
	// [enqueue]
	// [create ticket "Talk to a person: request from jane@example.com (silver customer)"]
	// bot: Ticket T-1001 is logged. We will email you.
	// [end]
}
