package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"halochat/app/protocol"
	"halochat/backend/auth"
	"halochat/backend/identity"
	"halochat/backend/secret"
	"halochat/backend/store"
)

// clientSecretBytes is the random size of an API client secret.
const clientSecretBytes = 32

func clientJSON(c *store.APIClient) protocol.APIClient {
	j := protocol.APIClient{ID: c.ID, ClientID: c.ClientID, Name: c.Name, Permissions: []string(c.Permissions),
		Disabled: c.Disabled, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, ProfileIDs: []string(c.ProfileIDs)}
	if j.Permissions == nil {
		j.Permissions = []string{}
	}
	if j.ProfileIDs == nil {
		j.ProfileIDs = []string{}
	}
	return j
}

// clients are the API clients (/api/APIClient).
func (a *IdentityAPI) clients() resource[store.APIClient, protocol.APIClientInput, protocol.APIClient] {
	return resource[store.APIClient, protocol.APIClientInput, protocol.APIClient]{
		load:   a.client,
		list:   all(a.Store.ListAPIClients),
		show:   shown(clientJSON),
		build:  a.buildClient,
		update: a.Store.UpdateAPIClient,
		taken: func(c *store.APIClient) error {
			return apiConflict("clientId: an API client %q exists", c.ClientID)
		},
		remove: func(ctx context.Context, c *store.APIClient) error {
			if self := auth.ClientFrom(ctx); self != nil && self.ID == c.ID {
				return apiConflict("an API client cannot delete itself")
			}
			return a.Store.DeleteAPIClient(ctx, c.ID)
		},
	}
}

func (a *IdentityAPI) client(ctx context.Context, r *http.Request) (*store.APIClient, error) {
	return byPathID(ctx, r, "API client", a.Store.GetAPIClient)
}

// checkClientInput validates the name, the permissions and the chat
// profiles (each must exist; none listed means every profile), and
// returns them without duplicates.
func (a *IdentityAPI) checkClientInput(ctx context.Context, in *protocol.APIClientInput) (perms, profiles store.StringList, err error) {
	if err := textField("name", in.Name, true, 200); err != nil {
		return nil, nil, err
	}
	perms = store.StringList{}
	for i, p := range in.Permissions {
		if !slices.Contains(auth.Permissions(), p) {
			return nil, nil, apiInvalid(fmt.Sprintf("permissions[%d]", i), "%q is not a permission: use %s",
				p, strings.Join(auth.Permissions(), " or "))
		}
		if !slices.Contains(perms, p) {
			perms = append(perms, p)
		}
	}
	profiles = store.StringList{}
	for i, id := range in.ProfileIDs {
		if err := a.profileExists(ctx, id); err != nil {
			return nil, nil, named(fmt.Sprintf("profileIds[%d]", i), err)
		}
		if !slices.Contains(profiles, id) {
			profiles = append(profiles, id)
		}
	}
	return perms, profiles, nil
}

func validClientID(s string) bool {
	if s == "" || len(s) > 100 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// createClient creates an API client with a secret made for it, which
// the answer shows this once.
func (a *IdentityAPI) createClient(w http.ResponseWriter, r *http.Request) error {
	sec := secret.Token(clientSecretBytes)
	res := a.clients()
	res.create = func(ctx context.Context, c *store.APIClient) error {
		c.SecretHash = secret.HashKey(sec)
		return a.Store.CreateAPIClient(ctx, c)
	}
	res.created = func(c *store.APIClient) any {
		return protocol.APIClientWithSecret{APIClient: clientJSON(c), ClientSecret: sec}
	}
	return res.createOne(w, r)
}

// buildClient validates in and returns the client to store: a new one
// when cur is nil, else cur as in changes it (not its client id; nor may
// a client disable itself or drop its own admin permission).
func (a *IdentityAPI) buildClient(ctx context.Context, cur *store.APIClient, in *protocol.APIClientInput) (*store.APIClient, error) {
	if cur != nil {
		if err := pathIDIs(in.ID, cur.ID); err != nil {
			return nil, err
		}
		if in.ClientID != "" && in.ClientID != cur.ClientID {
			return nil, apiInvalid("clientId", "cannot change; make a new API client")
		}
	}
	perms, profiles, err := a.checkClientInput(ctx, in)
	if err != nil {
		return nil, err
	}
	if cur == nil {
		if in.ClientID != "" && !validClientID(in.ClientID) {
			return nil, apiInvalid("clientId", "must be 1 to 100 letters, digits, '-', '_' or '.'")
		}
		cur = &store.APIClient{ClientID: in.ClientID}
	} else if self := auth.ClientFrom(ctx); self != nil && self.ID == cur.ID &&
		(in.Disabled || !slices.Contains(perms, auth.PermAdmin)) {
		return nil, apiConflict("an API client cannot disable itself or drop its own admin permission")
	}
	cur.Name, cur.Permissions, cur.ProfileIDs, cur.Disabled = strings.TrimSpace(in.Name), perms, profiles, in.Disabled
	return cur, nil
}

func (a *IdentityAPI) rotateClientSecret(w http.ResponseWriter, r *http.Request) error {
	c, err := a.client(r.Context(), r)
	if err != nil {
		return err
	}
	sec := secret.Token(clientSecretBytes)
	c.SecretHash = secret.HashKey(sec)
	if err := a.Store.UpdateAPIClient(r.Context(), c); err != nil {
		return err
	}
	return writeOK(w, http.StatusOK, protocol.APIClientWithSecret{APIClient: clientJSON(c), ClientSecret: sec})
}

func agentJSON(ag *store.Agent) protocol.Agent {
	j := protocol.Agent{ID: ag.ID, Email: ag.Email, Name: ag.Name, Role: ag.Role, Presence: ag.Presence,
		Disabled: ag.Disabled, MaxChats: ag.MaxChats, CreatedAt: ag.CreatedAt, UpdatedAt: ag.UpdatedAt}
	if !ag.LastSeenAt.IsZero() {
		t := ag.LastSeenAt
		j.LastSeenAt = &t
	}
	return j
}

// agents are the agents and admins (/api/Agent).
func (a *IdentityAPI) agents() resource[store.Agent, protocol.AgentInput, protocol.Agent] {
	return resource[store.Agent, protocol.AgentInput, protocol.Agent]{
		load:   a.agent,
		list:   all(a.Store.ListAgents),
		show:   shown(agentJSON),
		build:  a.buildAgent,
		create: a.Store.CreateAgent,
		update: a.Store.UpdateAgent,
		taken: func(ag *store.Agent) error {
			return apiConflict("email: an agent with %q exists", store.NormalizeEmail(ag.Email))
		},
		// A new password, or an account disabled or enabled again,
		// starts from no session. A new name reaches the agent's open
		// sockets, which send their messages under it.
		updated: func(ctx context.Context, was, next *store.Agent) error {
			if next.PasswordHash == was.PasswordHash && next.Disabled == was.Disabled {
				if next.Name != was.Name {
					a.Auth.Changed(next.ID)
				}
				return nil
			}
			return a.endSessions(ctx, next)
		},
	}
}

// endSessions ends the sessions of an agent just disabled or enabled or
// given a new password, and closes their sockets on every node: all of
// them, but the session of the request when an enabled agent sets their
// own password.
func (a *IdentityAPI) endSessions(ctx context.Context, ag *store.Agent) error {
	keep := ""
	if self, sess := a.Auth.SessionFrom(ctx); self != nil && self.ID == ag.ID && !ag.Disabled {
		keep = sess
	}
	if err := a.Auth.EndSessions(ctx, ag.ID, keep); err != nil {
		return fmt.Errorf("end the sessions of agent %d: %w", ag.ID, err)
	}
	return nil
}

func (a *IdentityAPI) agent(ctx context.Context, r *http.Request) (*store.Agent, error) {
	return byPathID(ctx, r, "agent", a.Store.GetAgent)
}

// MinPasswordLen is the shortest agent password accepted.
const MinPasswordLen = 10

// checkEmail refuses an e-mail field that is no e-mail address.
func checkEmail(email string) error {
	if !identity.ValidEmail(strings.TrimSpace(email)) {
		return apiInvalid("email", "%q is not an e-mail address", email)
	}
	return nil
}

// hashPassword checks a login password (MinPasswordLen characters to 72
// bytes, bcrypt's limit) and returns its hash; "" when none is given and
// none is required. whose names the account in the hashing error.
func hashPassword(password string, required bool, whose string) (string, error) {
	if password == "" && !required {
		return "", nil
	}
	if len([]rune(password)) < MinPasswordLen {
		return "", apiInvalid("password", "must be at least %d characters", MinPasswordLen)
	}
	if len(password) > 72 {
		return "", apiInvalid("password", "must be at most 72 bytes (bcrypt's limit)")
	}
	hash, err := secret.HashPassword(password)
	if err != nil {
		return "", fmt.Errorf("hash %s password: %w", whose, err)
	}
	return hash, nil
}

// checkAgentInput validates e-mail, name, role and (when given or
// required) the password, and returns the password's hash ("" = none).
func checkAgentInput(in *protocol.AgentInput, passwordRequired bool) (string, error) {
	if err := checkEmail(in.Email); err != nil {
		return "", err
	}
	if err := textField("name", in.Name, true, 200); err != nil {
		return "", err
	}
	if in.Role != store.RoleAgent && in.Role != store.RoleAdmin {
		return "", apiInvalid("role", `must be "agent" or "admin", not %q`, in.Role)
	}
	if in.MaxChats < 0 || in.MaxChats > store.MaxMaxChats {
		return "", apiInvalid("maxChats", "must be between 1 and %d (0: unchanged, 5 for a new agent), not %d", store.MaxMaxChats, in.MaxChats)
	}
	return hashPassword(in.Password, passwordRequired, "the new agent's")
}

// buildAgent validates in and returns the agent to store: a new one (with
// a password) when cur is nil, else a copy of cur that in changes, which
// must leave an enabled admin.
func (a *IdentityAPI) buildAgent(ctx context.Context, cur *store.Agent, in *protocol.AgentInput) (*store.Agent, error) {
	if cur != nil {
		if err := pathIDIs(in.ID, cur.ID); err != nil {
			return nil, err
		}
	}
	hash, err := checkAgentInput(in, cur == nil)
	if err != nil {
		return nil, err
	}
	if cur == nil {
		return &store.Agent{Email: in.Email, Name: strings.TrimSpace(in.Name), Role: in.Role, PasswordHash: hash,
			Presence: store.PresenceOffline, Disabled: in.Disabled, MaxChats: in.MaxChats}, nil
	}
	next := *cur
	next.Email, next.Name, next.Role, next.Disabled = in.Email, strings.TrimSpace(in.Name), in.Role, in.Disabled
	if in.MaxChats != 0 {
		next.MaxChats = in.MaxChats
	}
	if hash != "" {
		next.PasswordHash = hash
	}
	if cur.Role == store.RoleAdmin && !cur.Disabled {
		if err := a.keepsAnAdmin(ctx, &next); err != nil {
			return nil, err
		}
	}
	return &next, nil
}

// keepsAnAdmin refuses a change that leaves no enabled admin agent.
func (a *IdentityAPI) keepsAnAdmin(ctx context.Context, changed *store.Agent) error {
	if changed.Role == store.RoleAdmin && !changed.Disabled {
		return nil
	}
	as, err := a.Store.ListAgents(ctx)
	if err != nil {
		return err
	}
	for _, o := range as {
		if o.ID != changed.ID && o.Role == store.RoleAdmin && !o.Disabled {
			return nil
		}
	}
	return apiConflict("agent %d is the last enabled admin: make another admin first", changed.ID)
}

// disableAgent disables ag (agents are kept so transcripts keep their
// names), unless ag is the last enabled admin, and ends their sessions:
// also when disabled already, DELETE ends whatever sessions are left.
func (a *IdentityAPI) disableAgent(ctx context.Context, ag *store.Agent) (*store.Agent, error) {
	if !ag.Disabled {
		next := *ag
		next.Disabled, next.Presence = true, store.PresenceOffline
		if ag.Role == store.RoleAdmin {
			if err := a.keepsAnAdmin(ctx, &next); err != nil {
				return nil, err
			}
		}
		if err := a.Store.UpdateAgent(ctx, &next); err != nil {
			return nil, err
		}
		ag = &next
	}
	if err := a.endSessions(ctx, ag); err != nil {
		return nil, err
	}
	return ag, nil
}
