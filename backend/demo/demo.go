// Package demo seeds a working demo into a database — a chat profile open
// to external websites, a bot flow, custom fields, a ticket type, an agent,
// an admin and an API client — and serves the demo host page.
//
// Seeding is idempotent: a second run finds what the first made, and
// prints the same credentials. They are derived from the profile's
// HS256 identity secret (random on the first run, and stored retrievably
// because verifying tokens needs it), so no password is stored in clear.
package demo

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"halochat/app/flow"
	"halochat/backend/chats"
	"halochat/backend/secret"
	"halochat/backend/store"
)

// Names of what the demo makes; a second run looks them up by these.
const (
	ProfileName    = "halochat demo"
	FlowName       = "halochat demo flow"
	TicketTypeName = "Chat Request"
	AgentEmail     = "agent@demo.halochat.test"
	AdminEmail     = "admin@demo.halochat.test"
	PortalEmail    = "portal@demo.halochat.test" // a self-service portal user
	APIClientID    = "halochat-demo"
	IdentityKID    = "demo"
)

// Result is what `halochat demo --json` prints.
type Result struct {
	Profile    ProfileInfo    `json:"profile"`
	Identity   IdentityInfo   `json:"identity"`
	Agent      Login          `json:"agent"`
	Admin      Login          `json:"admin"`
	PortalUser Login          `json:"portal_user"` // logs in at /portal
	APIClient  APIClientInfo  `json:"api_client"`
	Flow       FlowInfo       `json:"flow"`
	ChatFields []FieldInfo    `json:"chat_fields"`
	TicketType TicketTypeInfo `json:"ticket_type"`
}

// ProfileInfo identifies the demo chat profile (configId / configKey).
type ProfileInfo struct {
	ID     string `json:"id"`
	Key    string `json:"key"`
	Name   string `json:"name"`
	Access string `json:"access"`
}

// IdentityInfo is what a host backend needs to sign identity tokens.
type IdentityInfo struct {
	HS256Secret string `json:"hs256_secret"`
	KID         string `json:"kid"`
	// TokenMappings is the profile's claim → user field mappings.
	TokenMappings map[string]string `json:"token_mappings,omitempty"`
	// ExampleClaims and ExampleToken show what a host backend signs (see
	// identity_example.go): HS256 with the secret above and kid "demo",
	// valid for a day from the seeding.
	ExampleClaims map[string]any `json:"example_claims,omitempty"`
	ExampleToken  string         `json:"example_token,omitempty"`
}

// Login is a person's sign-in.
type Login struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	Name     string `json:"name"`
	Role     string `json:"role"`
}

// APIClientInfo is the demo API client's credentials.
type APIClientInfo struct {
	ClientID     string   `json:"client_id"`
	ClientSecret string   `json:"client_secret"`
	Permissions  []string `json:"permissions"`
}

// FlowInfo names the demo flow's steps by their public numbers.
type FlowInfo struct {
	ID        int64          `json:"id"`
	Name      string         `json:"name"`
	Version   int64          `json:"version"`
	StartStep int            `json:"start_step"`
	CanStart  []int          `json:"can_start"`
	Steps     map[string]int `json:"steps"`
}

// FieldInfo describes one chat custom field.
type FieldInfo struct {
	Name    string   `json:"name"`
	Label   string   `json:"label"`
	Type    string   `json:"type"`
	Choices []string `json:"choices,omitempty"`
}

// TicketTypeInfo describes the ticket type chats log.
type TicketTypeInfo struct {
	ID     int64    `json:"id"`
	Name   string   `json:"name"`
	Fields []string `json:"fields"`
}

// Step numbers of the demo flow, by what each does. Host pages may hard-code
// them (startStepOverride), so they never change.
const (
	StepWelcome       = 1
	StepTierCondition = 2
	StepGoldWelcome   = 3
	StepMenu          = 4
	StepAskEmail      = 5
	StepAskProblem    = 6
	StepCreateTicket  = 7
	StepTicketLogged  = 8
	StepTransfer      = 9
	StepNoAgent       = 10
	StepAccountCheck  = 11 // runbook: look the account up
	StepAccountFound  = 12
	StepAccountFailed = 13
)

var chatFields = []store.CustomField{
	{Entity: store.EntityChat, Name: "CFcustomerTier", Label: "Customer Tier", Type: store.FieldChoice,
		Choices: store.Choices{{Value: "bronze"}, {Value: "silver"}, {Value: "gold"}}},
	{Entity: store.EntityChat, Name: "CFaccountNumber", Label: "Account Number", Type: store.FieldText},
}

// ticketFields share labels with the chat fields, so a ticket logged from a
// chat gets their values (docs/CONTRACT.md#ticket-field-sync). "Internal
// Notes" shares none.
var ticketFields = []store.CustomField{
	{Entity: store.EntityTicket, Name: "CFcustomerTier", Label: "Customer Tier", Type: store.FieldChoice,
		Choices: store.Choices{{Value: "bronze"}, {Value: "silver"}, {Value: "gold"}}},
	{Entity: store.EntityTicket, Name: "CFaccountNumber", Label: "Account Number", Type: store.FieldText},
	{Entity: store.EntityTicket, Name: "CFinternalNotes", Label: "Internal Notes", Type: store.FieldText},
}

// Flow returns the demo bot flow: a welcome, a condition on the chat custom
// field CFcustomerTier, a menu, questions, a ticket and a transfer to an
// agent with a fallback. Steps 3 and 9 allow starting from them.
func Flow() *flow.Flow {
	return &flow.Flow{
		Name:           FlowName,
		StartStep:      StepWelcome,
		NextStepNumber: StepAccountFailed + 1,
		Steps: []flow.Step{
			{Number: StepWelcome, Kind: flow.KindMessage, Title: "Welcome",
				Text: "Hi {{firstname|there}}! Welcome to the halochat demo.", Next: StepTierCondition},
			{Number: StepTierCondition, Kind: flow.KindCondition, Title: "Gold customer?",
				Condition: &flow.Condition{Match: flow.MatchAll, True: StepGoldWelcome, False: StepMenu,
					Criteria: []flow.Criterion{{Field: flow.FieldRef{Source: flow.SourceChat, Name: "CFcustomerTier"},
						Op: "equals", Value: "gold"}}}},
			{Number: StepGoldWelcome, Kind: flow.KindMessage, Title: "Gold welcome", CanStart: true,
				Text: "As a Gold customer you go straight to the front of the queue.", Next: StepMenu},
			{Number: StepMenu, Kind: flow.KindChoice, Title: "Menu", Text: "What can we help you with?",
				Choice: &flow.ChoiceStep{Variable: "topic", Options: []flow.Option{
					{Label: "A billing question", Next: StepAskEmail},
					{Label: "A technical problem", Next: StepAskProblem},
					{Label: "Talk to a person", Next: StepTransfer},
					{Label: "Check my account", Next: StepAccountCheck},
				}}},
			{Number: StepAskEmail, Kind: flow.KindQuestion, Title: "Email", Text: "Which email address should we answer?",
				Question: &flow.Question{Variable: "email", ErrorText: "That does not look like an email address.",
					Validation: flow.Validation{Required: true, Type: flow.ValidateEmail}}, Next: StepAskProblem},
			{Number: StepAskProblem, Kind: flow.KindQuestion, Title: "Problem", Text: "Please describe it in a sentence or two.",
				Question: &flow.Question{Variable: "problem", Validation: flow.Validation{Required: true, MaxLength: 2000}},
				Next:     StepCreateTicket},
			{Number: StepCreateTicket, Kind: flow.KindCreateTicket, Title: "Log a ticket",
				Ticket: &flow.TicketStep{Summary: "{{var.topic}}: {{var.problem}}"}, Next: StepTicketLogged},
			{Number: StepTicketLogged, Kind: flow.KindEnd, Title: "Ticket logged",
				Text: "Thank you! Your ticket number is {{ticket.id}}."},
			{Number: StepTransfer, Kind: flow.KindTransfer, Title: "Transfer", CanStart: true,
				Text: "Let me find someone for you…", Transfer: &flow.TransferStep{Fallback: StepNoAgent}},
			{Number: StepNoAgent, Kind: flow.KindMessage, Title: "Nobody available",
				Text: "Nobody is available right now, so we will log a ticket.", Next: StepAskProblem},
			{Number: StepAccountCheck, Kind: flow.KindRunbook, Title: "Look the account up",
				Runbook: &flow.RunbookStep{Runbook: RunbookID, Success: StepAccountFound, Failure: StepAccountFailed,
					Outputs: []flow.RunbookOutput{{Path: "account.status", Variable: "accountStatus", Type: flow.TypeText}}}},
			{Number: StepAccountFound, Kind: flow.KindMessage, Title: "Account found",
				Text: "Your account is {{var.accountStatus}}.", Next: StepMenu},
			{Number: StepAccountFailed, Kind: flow.KindMessage, Title: "Lookup failed",
				Text: "Sorry, I could not look your account up just now.", Next: StepMenu},
		},
	}
}

func stepNames() map[string]int {
	return map[string]int{
		"welcome": StepWelcome, "tier_condition": StepTierCondition, "gold_welcome": StepGoldWelcome,
		"menu": StepMenu, "ask_email": StepAskEmail, "ask_problem": StepAskProblem,
		"create_ticket": StepCreateTicket, "ticket_logged": StepTicketLogged,
		"transfer": StepTransfer, "no_agent": StepNoAgent,
		"account_check": StepAccountCheck, "account_found": StepAccountFound, "account_failed": StepAccountFailed,
	}
}

// Seed makes (or finds) the demo and returns its ids and credentials.
func Seed(ctx context.Context, st *store.Store) (*Result, error) {
	return SeedWith(ctx, st, Options{})
}

// Options change how SeedWith makes the demo.
type Options struct {
	// PasswordCost is the bcrypt cost of the logins' passwords (0:
	// secret.PasswordCost). Tests, which seed a demo each, use
	// bcrypt.MinCost.
	PasswordCost int
}

// SeedWith is Seed with options.
func SeedWith(ctx context.Context, st *store.Store, o Options) (*Result, error) {
	if o.PasswordCost == 0 {
		o.PasswordCost = secret.PasswordCost
	}
	var res Result
	chatDefs, err := ensureFields(ctx, st, chatFields)
	if err != nil {
		return nil, err
	}
	ticketDefs, err := ensureFields(ctx, st, ticketFields)
	if err != nil {
		return nil, err
	}
	tt, err := ensureTicketType(ctx, st, ticketDefs)
	if err != nil {
		return nil, err
	}
	fl, ver, err := ensureFlow(ctx, st, chatDefs)
	if err != nil {
		return nil, err
	}
	prof, err := ensureProfile(ctx, st, fl.ID, tt.ID)
	if err != nil {
		return nil, err
	}
	if err := EnsureRunbook(ctx, st, ""); err != nil {
		return nil, err
	}
	root := prof.Identity.HS256Secrets[0].Secret

	res.Agent, err = ensureAgent(ctx, st, o, AgentEmail, "Alex Agent", store.RoleAgent, secret.Derive(root, "demo agent password", 15))
	if err != nil {
		return nil, err
	}
	res.Admin, err = ensureAgent(ctx, st, o, AdminEmail, "Ada Admin", store.RoleAdmin, secret.Derive(root, adminPasswordPurpose, 15))
	if err != nil {
		return nil, err
	}
	res.PortalUser, err = ensurePortalUser(ctx, st, o, PortalEmail, "Pat", "Portal", secret.Derive(root, "demo portal user password", 15))
	if err != nil {
		return nil, err
	}
	res.APIClient, err = ensureAPIClient(ctx, st, secret.Derive(root, apiClientSecretPurpose, 24))
	if err != nil {
		return nil, err
	}

	res.Profile = ProfileInfo{ID: prof.ID, Key: prof.Key, Name: prof.Name, Access: prof.Access}
	res.Identity = IdentityInfo{HS256Secret: root, KID: IdentityKID}
	if err := addIdentityExample(&res.Identity, prof, st.Now()); err != nil {
		return nil, err
	}
	f := Flow()
	res.Flow = FlowInfo{ID: fl.ID, Name: fl.Name, Version: ver, StartStep: f.StartStep, Steps: stepNames()}
	for _, s := range f.Steps {
		if s.CanStart {
			res.Flow.CanStart = append(res.Flow.CanStart, s.Number)
		}
	}
	for _, d := range chatDefs {
		res.ChatFields = append(res.ChatFields, fieldInfo(d))
	}
	res.TicketType = TicketTypeInfo{ID: tt.ID, Name: tt.Name}
	for _, d := range ticketDefs[:2] {
		res.TicketType.Fields = append(res.TicketType.Fields, d.Name)
	}
	return &res, nil
}

func fieldInfo(d store.CustomField) FieldInfo {
	return FieldInfo{Name: d.Name, Label: d.Label, Type: d.Type, Choices: d.FieldDef().Choices}
}

func ensureFields(ctx context.Context, st *store.Store, defs []store.CustomField) ([]store.CustomField, error) {
	out := make([]store.CustomField, 0, len(defs))
	for _, d := range defs {
		got, err := st.GetCustomFieldByName(ctx, d.Entity, d.Name)
		if errors.Is(err, store.ErrNotFound) {
			got = &d
			err = st.CreateCustomField(ctx, got)
		}
		if err != nil {
			return nil, fmt.Errorf("demo %s field %s: %w", d.Entity, d.Name, err)
		}
		out = append(out, *got)
	}
	return out, nil
}

// ensureTicketType assigns the first two ticket fields (those sharing a
// label with a chat field) to the demo ticket type, and not the third.
func ensureTicketType(ctx context.Context, st *store.Store, ticketDefs []store.CustomField) (*store.TicketType, error) {
	tt, err := st.GetTicketTypeByName(ctx, TicketTypeName)
	if errors.Is(err, store.ErrNotFound) {
		tt = &store.TicketType{Name: TicketTypeName}
		err = st.CreateTicketType(ctx, tt)
	}
	if err != nil {
		return nil, fmt.Errorf("demo ticket type: %w", err)
	}
	if err := st.SetTicketTypeFields(ctx, tt.ID, []int64{ticketDefs[0].ID, ticketDefs[1].ID}); err != nil {
		return nil, fmt.Errorf("demo ticket type fields: %w", err)
	}
	return tt, nil
}

// ensureFlow saves the demo flow as a new version only when the current
// version differs from it.
func ensureFlow(ctx context.Context, st *store.Store, chatDefs []store.CustomField) (*store.Flow, int64, error) {
	f := Flow()
	schema := flow.SchemaOf(chatDefs)
	if err := f.Validate(schema); err != nil {
		return nil, 0, fmt.Errorf("demo flow: %w", err)
	}
	doc, err := flow.Marshal(f)
	if err != nil {
		return nil, 0, fmt.Errorf("demo flow: %w", err)
	}
	fl, err := st.GetFlowByName(ctx, FlowName)
	if errors.Is(err, store.ErrNotFound) {
		fl = &store.Flow{Name: FlowName}
		err = st.CreateFlow(ctx, fl)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("demo flow: %w", err)
	}
	if fl.CurrentVersion > 0 {
		cur, err := st.GetCurrentFlowVersion(ctx, fl.ID)
		if err != nil {
			return nil, 0, fmt.Errorf("demo flow: %w", err)
		}
		if bytes.Equal(cur.Document, doc) {
			return fl, cur.Version, nil
		}
		prev, err := flow.Parse(cur.Document)
		if err != nil {
			return nil, 0, fmt.Errorf("demo flow: stored version %d: %w", cur.Version, err)
		}
		if err := flow.ValidateSuccessor(prev, f); err != nil {
			return nil, 0, fmt.Errorf("demo flow: %w", err)
		}
	}
	v, err := st.CreateFlowVersion(ctx, fl.ID, fl.CurrentVersion, doc, chats.StepIndex(f, schema))
	if err != nil {
		return nil, 0, fmt.Errorf("demo flow: %w", err)
	}
	return fl, v.Version, nil
}

func ensureProfile(ctx context.Context, st *store.Store, flowID, ticketTypeID int64) (*store.ChatProfile, error) {
	p, err := st.GetProfileByName(ctx, ProfileName)
	if err == nil {
		if len(p.Identity.HS256Secrets) == 0 {
			return nil, fmt.Errorf("demo profile %s has no HS256 secret: delete it and seed again", p.ID)
		}
		return p, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("demo profile: %w", err)
	}
	p = &store.ChatProfile{
		Name:   ProfileName,
		Access: store.AccessPortalAndExternal,
		Appearance: store.Appearance{Colour: "#1f6feb", Title: "halochat demo",
			Greeting: "Hello! How can we help?", LauncherPosition: "bottom-right"},
		Identity: store.IdentitySettings{
			HS256Secrets:  []store.HMACSecret{{KID: IdentityKID, Secret: secret.Token(32)}},
			LeewaySeconds: 30,
		},
		TokenMappings: store.TokenMappings{
			"given_name": "firstname", "family_name": "lastname", "email": "email",
			"preferred_username": "username", "phone_number": "phone", "sub": "externalid",
		},
		Availability: store.Availability{NeedsAgent: false},
		FlowID:       flowID,
		TicketTypeID: ticketTypeID,
	}
	if err := st.CreateProfile(ctx, p); err != nil {
		return nil, fmt.Errorf("demo profile: %w", err)
	}
	return p, nil
}

// ensureAgent makes the account, or restores the demo password on it.
func ensureAgent(ctx context.Context, st *store.Store, o Options, email, name, role, password string) (Login, error) {
	login := Login{Email: email, Password: password, Name: name, Role: role}
	a, err := st.GetAgentByEmail(ctx, email)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return login, fmt.Errorf("demo %s: %w", role, err)
	}
	if a != nil && secret.CheckPassword(a.PasswordHash, password) && a.Role == role {
		return login, nil
	}
	hash, err := secret.HashPasswordCost(password, o.PasswordCost)
	if err != nil {
		return login, err
	}
	if a == nil {
		err = st.CreateAgent(ctx, &store.Agent{Email: email, Name: name, Role: role,
			PasswordHash: hash, Presence: store.PresenceOffline})
	} else {
		a.PasswordHash, a.Role, a.Name = hash, role, name
		err = st.UpdateAgent(ctx, a)
	}
	if err != nil {
		return login, fmt.Errorf("demo %s: %w", role, err)
	}
	return login, nil
}

// ensurePortalUser makes the portal user, or restores the demo password
// on it (and enables it).
func ensurePortalUser(ctx context.Context, st *store.Store, o Options, email, first, last, password string) (Login, error) {
	login := Login{Email: email, Password: password, Name: first + " " + last, Role: "portal"}
	u, err := st.GetUserByEmail(ctx, email)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return login, fmt.Errorf("demo portal user: %w", err)
	}
	if u != nil && secret.CheckPassword(u.PasswordHash, password) && !u.Disabled {
		return login, nil
	}
	hash, err := secret.HashPasswordCost(password, o.PasswordCost)
	if err != nil {
		return login, err
	}
	if u == nil {
		err = st.CreateUser(ctx, &store.User{Email: email, FirstName: first, LastName: last, PasswordHash: hash})
	} else {
		u.PasswordHash, u.Disabled = hash, false
		err = st.UpdateUser(ctx, u)
	}
	if err != nil {
		return login, fmt.Errorf("demo portal user: %w", err)
	}
	return login, nil
}

func ensureAPIClient(ctx context.Context, st *store.Store, clientSecret string) (APIClientInfo, error) {
	perms := []string{store.PermReadModifyUsers}
	info := APIClientInfo{ClientID: APIClientID, ClientSecret: clientSecret, Permissions: perms}
	c, err := st.GetAPIClientByClientID(ctx, APIClientID)
	if errors.Is(err, store.ErrNotFound) {
		return info, st.CreateAPIClient(ctx, &store.APIClient{ClientID: APIClientID, Name: "halochat demo backend",
			SecretHash: secret.HashKey(clientSecret), Permissions: perms})
	}
	if err != nil {
		return info, fmt.Errorf("demo API client: %w", err)
	}
	if !secret.CheckKey(c.SecretHash, clientSecret) {
		c.SecretHash = secret.HashKey(clientSecret)
		c.Permissions = perms
		if err := st.UpdateAPIClient(ctx, c); err != nil {
			return info, fmt.Errorf("demo API client: %w", err)
		}
	}
	return info, nil
}
