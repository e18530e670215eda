// Package flow is halochat's bot-flow engine: the flow document (numbered
// steps), its validation, typed values and condition criteria, and a
// deterministic runner that moves a chat from step to step.
//
// The package is pure: standard library only, no I/O, no clock, no
// randomness, no package-level mutable state. It builds for linux and for
// js/wasm, and the same flow, state and input give byte-identical results
// on both (golden_test.go proves it over 10,000 generated cases), so the
// widget, the admin preview and the server agree. The server's run is the
// authoritative one.
//
// # Life of a flow
//
//	f, err := flow.Parse(doc)             // strict JSON + structural checks
//	err = f.Validate(schema)              // all checks, with the chat custom fields
//	err = flow.ValidateSuccessor(prev, f) // saving a new version: numbers never reused
//	prog, err := flow.Compile(f, schema)  // validated, immutable, safe for concurrent use
//	st, outs, err := prog.Run(env, flow.State{}, flow.Start(9, true))
//	st, outs, err = prog.Run(env, st, flow.Answer("jane@example.com"))
//
// The server stores State (JSON) after every Run and performs the
// actions in the outputs (create_ticket, call_runbook, enqueue, end),
// reporting back with TicketCreated, RunbookResult and Agent inputs.
//
// # Document
//
// A flow is JSON with camelCase keys:
//
//	{
//	  "name": "Support", "startStep": 1, "nextStepNumber": 10,
//	  "steps": [
//	    {"number": 1, "kind": "message", "text": "Hi {{user.firstname}}", "next": 2},
//	    {"number": 2, "kind": "question", "text": "Your email?", "next": 3,
//	     "question": {"variable": "email", "validation": {"required": true, "type": "email"}}},
//	    {"number": 3, "kind": "condition", "condition": {"match": "any", "criteria": [
//	       {"field": {"source": "chat", "name": "CFcustomerTier"}, "op": "one_of", "values": ["gold"]}],
//	     "true": 7, "false": 4}},
//	    {"number": 4, "kind": "choice", "text": "Topic?", "choice": {"variable": "topic",
//	     "options": [{"label": "Billing", "next": 5}, {"label": "A person", "next": 7}]}},
//	    {"number": 5, "kind": "create_ticket", "next": 6, "ticket": {"summary": "{{var.topic}}"}},
//	    {"number": 6, "kind": "end", "text": "Ticket {{ticket.id}} logged."},
//	    {"number": 7, "kind": "transfer", "transfer": {"fallback": 5}},
//	    {"number": 9, "kind": "message", "canStart": true, "text": "Pricing?", "next": 4}
//	  ]
//	}
//
// Step numbers are public (host pages hard-code startStepOverride): a
// step keeps its number for life and nextStepNumber is a high-water mark,
// so a deleted step's number (8 above) is never given again (AddStep,
// ValidateSuccessor). testdata/example.json is a complete example.
//
// # Values and conditions
//
// Fields and variables are typed (text, number, boolean, date, choice);
// see Type, Value and Operator for parsing, canonical forms and
// comparison rules. In short: a missing value is empty; text and choice
// comparisons ignore case; dates compare as instants when both sides have
// a time and as UTC calendar dates otherwise; an empty "all" is true and
// an empty "any" is false.
package flow
