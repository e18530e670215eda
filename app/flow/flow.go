package flow

// Kind is the kind of a step.
type Kind string

// Step kinds.
const (
	KindMessage      Kind = "message"       // shows Text, goes on to Next
	KindQuestion     Kind = "question"      // shows Text, waits for a free-text answer stored in a variable
	KindChoice       Kind = "choice"        // shows Text and buttons, each going to its own step
	KindCondition    Kind = "condition"     // evaluates criteria, goes to True or False
	KindCreateTicket Kind = "create_ticket" // asks the host to log a ticket, waits for it, goes on to Next
	KindRunbook      Kind = "runbook"       // asks the host to call a runbook, waits, goes to Success or Failure
	KindTransfer     Kind = "transfer"      // queues the chat for an agent; Fallback when nobody is available
	KindEnd          Kind = "end"           // shows Text if any and ends the chat
)

// Kinds lists every step kind, in a stable order.
func Kinds() []Kind {
	return []Kind{KindMessage, KindQuestion, KindChoice, KindCondition, KindCreateTicket, KindRunbook, KindTransfer, KindEnd}
}

// waits reports whether a step of this kind stops the runner until an
// input arrives (the visitor, a runbook, a ticket or an agent). A loop
// through such a step cannot spin by itself.
func (k Kind) waits() bool {
	switch k {
	case KindQuestion, KindChoice, KindCreateTicket, KindRunbook, KindTransfer:
		return true
	}
	return false
}

// Flow is one version of a bot flow. Once saved it is immutable; a chat
// pins the version it started on.
type Flow struct {
	Name      string `json:"name"`
	StartStep int    `json:"startStep"`
	// NextStepNumber is a high-water mark: every number below it was
	// assigned once, and a number below it that is not in Steps is retired
	// for ever (host pages hard-code step numbers).
	NextStepNumber int `json:"nextStepNumber"`
	// DefaultLanguage is the language of the steps' own texts (an app/i18n
	// code; "" is English). A step's translations (Texts, ErrorTexts,
	// Labels) name the other languages; a chat in a language a step has
	// no translation for reads the step's own text.
	DefaultLanguage string `json:"defaultLanguage,omitempty"`
	Steps           []Step `json:"steps"`
}

// Step is one numbered step. Exactly the payload of its kind is set
// (Question for question, Choice for choice, and so on); message, end and
// transfer have none besides Text.
type Step struct {
	Number int    `json:"number"`
	Kind   Kind   `json:"kind"`
	Title  string `json:"title,omitempty"` // admin-facing name, never shown to visitors
	// Text is the bot's text for message, question (the prompt), choice,
	// end and transfer. It may hold placeholders (see Interpolate).
	Text string `json:"text,omitempty"`
	// Texts are Text's translations by language (app/i18n codes other
	// than the flow's default language), shown to a chat in that
	// language; placeholders as in Text.
	Texts map[string]string `json:"texts,omitempty"`
	// CanStart is "Chat can start from this step": only such steps may be
	// named by an embedded widget's startStepOverride.
	CanStart bool `json:"canStart,omitempty"`
	// Next is the following step for message, question and create_ticket.
	Next int `json:"next,omitempty"`

	Question  *Question     `json:"question,omitempty"`
	Choice    *ChoiceStep   `json:"choice,omitempty"`
	Condition *Condition    `json:"condition,omitempty"`
	Ticket    *TicketStep   `json:"ticket,omitempty"`
	Runbook   *RunbookStep  `json:"runbook,omitempty"`
	Transfer  *TransferStep `json:"transfer,omitempty"`
}

// Question is the payload of a question step. The trimmed answer is
// stored in Variable (typed number for number validation, text
// otherwise) — never in a chat custom field.
type Question struct {
	Variable   string     `json:"variable"`
	Validation Validation `json:"validation"`
	// ErrorText is shown when an answer fails validation; the question is
	// then asked again. Empty: the client shows its own default.
	ErrorText string `json:"errorText,omitempty"`
	// ErrorTexts are ErrorText's translations by language.
	ErrorTexts map[string]string `json:"errorTexts,omitempty"`
}

// Answer validation types.
const (
	ValidateText    = "text" // any text (also the meaning of "")
	ValidateEmail   = "email"
	ValidateNumber  = "number"
	ValidatePattern = "pattern"
)

// Validation says what answers a question accepts.
type Validation struct {
	Required bool   `json:"required,omitempty"`
	Type     string `json:"type,omitempty"` // text (default), email, number, pattern
	// Pattern is an RE2 regular expression the whole answer must match
	// (it is anchored implicitly). Only for type pattern.
	Pattern string `json:"pattern,omitempty"`
	// Min and Max bound a number answer (inclusive). Only for type number.
	Min *float64 `json:"min,omitempty"`
	Max *float64 `json:"max,omitempty"`
	// MaxLength bounds the answer's length in characters (0: no bound
	// besides MaxAnswerLength). Not for type number.
	MaxLength int `json:"maxLength,omitempty"`
}

// ChoiceStep is the payload of a choice step: buttons, each going to its
// own step. The chosen label is also stored in Variable (text) if set.
type ChoiceStep struct {
	Variable string   `json:"variable,omitempty"`
	Options  []Option `json:"options"`
}

// Option is one button of a choice step. A chat in another language
// than the flow's default sees its label's translation (Labels) and may
// type it; the choice's variable holds Label, whatever the language, so
// that conditions read one value.
type Option struct {
	Label  string            `json:"label"`
	Labels map[string]string `json:"labels,omitempty"`
	Next   int               `json:"next"`
}

// Condition is the payload of a condition step: a criteria table
// combined with all or any.
type Condition struct {
	Match    Match       `json:"match"`
	Criteria []Criterion `json:"criteria"`
	True     int         `json:"true"`
	False    int         `json:"false"`
}

// Match says how a condition combines its criteria.
type Match string

// Matches. With no criteria, all is true and any is false.
const (
	MatchAll Match = "all"
	MatchAny Match = "any"
)

// Criterion is one row of a criteria table: Field Op Value (or Values for
// one_of; neither for is_empty and not_empty).
type Criterion struct {
	Field  FieldRef `json:"field"`
	Op     Operator `json:"op"`
	Value  string   `json:"value,omitempty"`
	Values []string `json:"values,omitempty"`
}

// Source says where a criterion's field lives.
type Source string

// Sources.
const (
	SourceChat     Source = "chat"     // a chat custom field, by database name or label
	SourceUser     Source = "user"     // a user field (see UserFields)
	SourceVariable Source = "variable" // a variable set by a question, choice or runbook step
)

// FieldRef names a field a criterion reads.
type FieldRef struct {
	Source Source `json:"source"`
	Name   string `json:"name"`
}

// TicketStep is the payload of a create_ticket step.
type TicketStep struct {
	// Summary of the ticket; may hold placeholders.
	Summary string `json:"summary"`
}

// RunbookStep is the payload of a runbook step.
type RunbookStep struct {
	// Runbook is the id of a runbook configured on the server.
	Runbook string `json:"runbook"`
	// Outputs map parts of the runbook's JSON answer to typed variables.
	// If any path is missing or its value does not fit the type, no
	// variable is set and the chat goes to Failure.
	Outputs []RunbookOutput `json:"outputs,omitempty"`
	Success int             `json:"success"`
	Failure int             `json:"failure"`
}

// RunbookOutput maps one JSON path of a runbook answer to a variable.
type RunbookOutput struct {
	// Path is like "data.tier" or "items[0].id": object keys separated by
	// dots, array indexes in brackets. Keys cannot hold '.', '[' or ']'.
	Path     string `json:"path"`
	Variable string `json:"variable"`
	Type     Type   `json:"type"` // text, number, boolean or date
}

// TransferStep is the payload of a transfer step.
type TransferStep struct {
	// Fallback is the step the chat goes to when no agent is available.
	Fallback int `json:"fallback"`
	// Team, when set, is the team of agents the chat goes to (an id of
	// the server's /api/Team); 0: any agent, in the shared queue.
	Team int64 `json:"team,omitempty"`
}

// User field names a condition (source "user") or a placeholder
// ({{user.…}}) may use.
const (
	UserFirstName  = "firstname"
	UserLastName   = "lastname"
	UserUsername   = "username"
	UserEmail      = "email"
	UserPhone      = "phone"
	UserExternalID = "externalid"
)

// UserFields returns the user fields, in a stable order. They are all
// text.
func UserFields() []string {
	return []string{UserFirstName, UserLastName, UserUsername, UserEmail, UserPhone, UserExternalID}
}

// IsUserField reports whether name is one of UserFields.
func IsUserField(name string) bool {
	switch name {
	case UserFirstName, UserLastName, UserUsername, UserEmail, UserPhone, UserExternalID:
		return true
	}
	return false
}

// Step returns the step numbered n, or nil.
func (f *Flow) Step(n int) *Step {
	for i := range f.Steps {
		if f.Steps[i].Number == n {
			return &f.Steps[i]
		}
	}
	return nil
}

// AddStep appends s with the next unused number, which it returns. A flow
// whose NextStepNumber is not past its highest step (a hand-written
// document) is fixed up first, so a number is never given twice.
func (f *Flow) AddStep(s Step) int {
	hi := 0
	for _, st := range f.Steps {
		hi = max(hi, st.Number)
	}
	if f.NextStepNumber <= hi {
		f.NextStepNumber = hi + 1
	}
	if f.NextStepNumber < 1 {
		f.NextStepNumber = 1
	}
	s.Number = f.NextStepNumber
	f.NextStepNumber++
	f.Steps = append(f.Steps, s)
	return s.Number
}

// RemoveStep deletes the step numbered n and reports whether it existed.
// Its number is retired: AddStep never gives it again. Branches that led
// to it are left for Validate to report.
func (f *Flow) RemoveStep(n int) bool {
	for i := range f.Steps {
		if f.Steps[i].Number == n {
			f.Steps = append(f.Steps[:i:i], f.Steps[i+1:]...)
			return true
		}
	}
	return false
}

// branches lists a step's outgoing branches as (field, target) pairs, in
// a stable order. Zero targets are included; callers decide.
func (s *Step) branches() []branch {
	var bs []branch
	switch s.Kind {
	case KindMessage, KindQuestion, KindCreateTicket:
		bs = append(bs, branch{"next", s.Next})
	case KindChoice:
		if s.Choice != nil {
			for i, o := range s.Choice.Options {
				bs = append(bs, branch{"choice.options[" + itoa(i) + "].next", o.Next})
			}
		}
	case KindCondition:
		if s.Condition != nil {
			bs = append(bs, branch{"condition.true", s.Condition.True}, branch{"condition.false", s.Condition.False})
		}
	case KindRunbook:
		if s.Runbook != nil {
			bs = append(bs, branch{"runbook.success", s.Runbook.Success}, branch{"runbook.failure", s.Runbook.Failure})
		}
	case KindTransfer:
		if s.Transfer != nil {
			bs = append(bs, branch{"transfer.fallback", s.Transfer.Fallback})
		}
	}
	return bs
}

type branch struct {
	field  string
	target int
}
