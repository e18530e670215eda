package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"halochat/app/i18n"
	"halochat/app/protocol"
	"halochat/backend/httpx"
	"halochat/backend/identity"
	"halochat/backend/secret"
	"halochat/backend/store"
)

// profileJSON is a profile as the API answers it: its HS256 secrets by
// kid alone (they are write-only; see withSecrets).
func profileJSON(p *store.ChatProfile) protocol.ChatProfile {
	id := protocol.IdentitySettings(p.Identity)
	id.HS256Secrets = nil
	for _, h := range p.Identity.HS256Secrets {
		id.HS256Secrets = append(id.HS256Secrets, protocol.HMACSecret{KID: h.KID})
	}
	j := protocol.ChatProfile{ID: p.ID, Key: p.Key, Name: p.Name, Access: p.Access, Appearance: protocol.Appearance(p.Appearance),
		AllowedOrigins: []string(p.AllowedOrigins), Identity: id, TokenMappings: map[string]string(p.TokenMappings),
		Availability: protocol.AvailabilitySettings(p.Availability), EmailStorageKey: p.EmailStorageKey, TrustEmailStorage: p.TrustEmailStorage,
		FlowID: p.FlowID, StartStep: p.StartStep, TicketTypeID: p.TicketTypeID, AgentChatVisibility: p.AgentChatVisibility,
		Attachments: protocol.AttachmentSettings(p.Attachments), RatingQuestion: p.RatingQuestion,
		RetentionDays: p.RetentionDays, NotificationEmail: p.NotificationEmail, Language: p.Language, DefaultLanguage: p.DefaultLanguage,
		CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
	if j.AllowedOrigins == nil {
		j.AllowedOrigins = []string{}
	}
	if j.TokenMappings == nil {
		j.TokenMappings = map[string]string{}
	}
	return j
}

// profiles are the chat profiles (/api/ChatProfile).
func (a *IdentityAPI) profiles() resource[store.ChatProfile, protocol.ChatProfileInput, protocol.ChatProfile] {
	return resource[store.ChatProfile, protocol.ChatProfileInput, protocol.ChatProfile]{
		load: func(ctx context.Context, r *http.Request) (*store.ChatProfile, error) {
			return a.profile(ctx, r.PathValue("id"))
		},
		list:   all(a.Store.ListProfiles),
		show:   shown(profileJSON),
		build:  a.buildProfile,
		create: a.Store.CreateProfile,
		update: a.Store.UpdateProfile,
		taken: func(p *store.ChatProfile) error {
			return apiConflict("name: a chat profile named %q exists", p.Name)
		},
		remove: func(ctx context.Context, p *store.ChatProfile) error {
			err := a.Store.DeleteProfile(ctx, p.ID)
			if errors.Is(err, store.ErrConflict) {
				return apiConflict("chat profile %q still has chats; it cannot be deleted", p.ID)
			}
			return err
		},
		// The secrets the admin set are answered this once, as an API
		// client's are.
		created: func(p *store.ChatProfile) any {
			j := profileJSON(p)
			j.Identity.HS256Secrets = slices.Clone(p.Identity.HS256Secrets)
			return j
		},
	}
}

func (a *IdentityAPI) profile(ctx context.Context, id string) (*store.ChatProfile, error) {
	p, err := a.Store.GetProfile(ctx, id)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrInvalid) {
		return nil, apiNotFound("no chat profile with id %q", id)
	}
	return p, err
}

// profileExists checks that a chat profile a request names exists: a
// 400 (named by the caller) when it does not.
func (a *IdentityAPI) profileExists(ctx context.Context, id string) error {
	_, err := a.Store.GetProfile(ctx, id)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrInvalid) {
		return apiInvalid("", "no chat profile %q", id)
	}
	return err
}

// buildProfile validates in and returns the profile to store: a new one
// when cur is nil, else cur with in's settings (not its id or key).
func (a *IdentityAPI) buildProfile(ctx context.Context, cur *store.ChatProfile, in *protocol.ChatProfileInput) (*store.ChatProfile, error) {
	if cur == nil {
		cur = &store.ChatProfile{}
	} else if in.ID != "" && in.ID != cur.ID {
		return nil, apiInvalid("id", "%q is not the id in the path (%q); ids cannot change", in.ID, cur.ID)
	}
	if err := a.applyProfile(ctx, cur, in); err != nil {
		return nil, err
	}
	return cur, nil
}

func (a *IdentityAPI) regenerateProfileKey(w http.ResponseWriter, r *http.Request) error {
	p, err := a.profile(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	key, err := a.Store.RegenerateProfileKey(r.Context(), p.ID)
	if err != nil {
		return err
	}
	return writeOK(w, http.StatusOK, protocol.ProfileKey{ID: p.ID, Key: key})
}

// rotateProfileSecret gives the profile a new HS256 secret for a kid
// (replacing that kid's, or adding the kid) and answers it, this once.
func (a *IdentityAPI) rotateProfileSecret(w http.ResponseWriter, r *http.Request) error {
	p, err := a.profile(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	var in protocol.ProfileSecretInput
	if err := httpx.ReadJSON(w, r, maxAdminBody, &in); err != nil {
		return err
	}
	if in.Secret == "" {
		in.Secret = secret.Token(32)
	}
	next := store.IdentitySettings(p.Identity)
	next.HS256Secrets = slices.Clone(p.Identity.HS256Secrets)
	i := slices.IndexFunc(next.HS256Secrets, func(h store.HMACSecret) bool { return h.KID == in.KID })
	if i < 0 {
		i = len(next.HS256Secrets)
		next.HS256Secrets = append(next.HS256Secrets, store.HMACSecret{KID: in.KID})
	}
	next.HS256Secrets[i].Secret = in.Secret
	if field, err := identity.ValidateIdentitySettings(next); err != nil {
		// The new entry is the only one not checked before: the problem
		// is its secret or kid, this body's own fields.
		return apiInvalid(field[strings.LastIndexByte(field, '.')+1:], "%v", err)
	}
	p.Identity = next
	if err := a.Store.UpdateProfile(r.Context(), p); err != nil {
		return err
	}
	return writeOK(w, http.StatusOK, protocol.ProfileSecret{ID: p.ID, KID: in.KID, Secret: in.Secret})
}

// keepStoredSecrets fills the HS256 secrets in leaves out (a read shows
// none) with the stored secret of the same kid: a form that sends back
// what it read keeps every secret. A kid without a stored secret needs
// one.
func keepStoredSecrets(stored []store.HMACSecret, in []protocol.HMACSecret) error {
	for i := range in {
		if in[i].Secret != "" {
			continue
		}
		j := slices.IndexFunc(stored, func(h store.HMACSecret) bool { return h.KID == in[i].KID })
		if j < 0 {
			return apiInvalid(fmt.Sprintf("identity.hs256Secrets[%d].secret", i),
				"kid %q has no stored secret: give one, or make one with POST /api/ChatProfile/{id}/identity/secret", in[i].KID)
		}
		in[i].Secret = stored[j].Secret
	}
	return nil
}

// applyProfile validates in and copies it onto p (all settings but the
// id, key and times), or changes nothing and says what is wrong.
func (a *IdentityAPI) applyProfile(ctx context.Context, p *store.ChatProfile, in *protocol.ChatProfileInput) error {
	if err := textField("name", in.Name, true, 200); err != nil {
		return err
	}
	switch in.Access {
	case store.AccessAgentsOnly, store.AccessPortal, store.AccessPortalAndExternal:
	default:
		return apiInvalid("access", "must be %q, %q or %q, not %q",
			store.AccessAgentsOnly, store.AccessPortal, store.AccessPortalAndExternal, in.Access)
	}
	ap := in.Appearance
	if ap.Colour != "" && !protocol.ValidColour(ap.Colour) {
		return apiInvalid("appearance.colour", "%q is not a CSS colour: use a hex colour (#1f6feb) or a named colour (teal)", ap.Colour)
	}
	if !slices.Contains([]string{"", "light", "dark"}, ap.Theme) {
		return apiInvalid("appearance.theme", `must be "light" or "dark"`)
	}
	if !slices.Contains([]string{"", "bottom-right", "bottom-left"}, ap.LauncherPosition) {
		return apiInvalid("appearance.launcherPosition", `must be "bottom-right" or "bottom-left"`)
	}
	if err := textField("appearance.title", ap.Title, false, 200); err != nil {
		return err
	}
	if len([]rune(ap.Greeting)) > 2000 {
		return apiInvalid("appearance.greeting", "is longer than 2000 characters")
	}
	if ap.IconURL != "" {
		if u, err := url.Parse(ap.IconURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(ap.IconURL) > 2000 {
			return apiInvalid("appearance.iconUrl", "must be an absolute http(s) URL")
		}
	}
	origins, err := normalizeOrigins(in.AllowedOrigins)
	if err != nil {
		return err
	}
	if err := keepStoredSecrets(p.Identity.HS256Secrets, in.Identity.HS256Secrets); err != nil {
		return err
	}
	if field, err := identity.ValidateIdentitySettings(store.IdentitySettings(in.Identity)); err != nil {
		return apiInvalid(field, "%v", err)
	}
	mappings, err := normalizeMappings(in.TokenMappings)
	if err != nil {
		return err
	}
	if err := validateAvailability(in.Availability); err != nil {
		return err
	}
	if err := textField("emailStorageKey", in.EmailStorageKey, false, 200); err != nil {
		return err
	}
	if in.TrustEmailStorage && in.EmailStorageKey == "" {
		return apiInvalid("trustEmailStorage", "needs an emailStorageKey")
	}
	if err := a.checkProfileRefs(ctx, in); err != nil {
		return err
	}
	if err := checkAttachmentSettings(in.Attachments); err != nil {
		return err
	}
	visibility := in.AgentChatVisibility
	switch visibility {
	case "":
		visibility = store.VisibilityAll
	case store.VisibilityAll, store.VisibilityQueueAndOwn:
	default:
		return apiInvalid("agentChatVisibility", "must be %q (every agent reads every chat) or %q (an agent reads the queued chats and its own), not %q",
			store.VisibilityAll, store.VisibilityQueueAndOwn, visibility)
	}
	rating, err := ratingQuestionOf(in.RatingQuestion)
	if err != nil {
		return err
	}
	if in.RetentionDays < 0 || in.RetentionDays > protocol.MaxRetentionDays {
		return apiInvalid("retentionDays", "must be 1 to %d days after a chat ended, or 0 to keep chats, not %d",
			protocol.MaxRetentionDays, in.RetentionDays)
	}
	lang, def, err := languagesOf(in.Language, in.DefaultLanguage)
	if err != nil {
		return err
	}
	notify := strings.TrimSpace(in.NotificationEmail)
	if notify != "" && (len(notify) > protocol.MaxOfflineEmailLength || !identity.ValidEmail(notify)) {
		return apiInvalid("notificationEmail", "%q is not an e-mail address (one address, or empty for none)", notify)
	}

	p.Name = strings.TrimSpace(in.Name)
	p.Access = in.Access
	p.Appearance = store.Appearance(ap)
	p.AllowedOrigins = origins
	p.Identity = store.IdentitySettings(in.Identity)
	p.TokenMappings = mappings
	p.Availability = store.Availability(in.Availability)
	p.EmailStorageKey = in.EmailStorageKey
	p.TrustEmailStorage = in.TrustEmailStorage
	p.FlowID, p.StartStep, p.TicketTypeID = in.FlowID, in.StartStep, in.TicketTypeID
	p.AgentChatVisibility = visibility
	p.Attachments = store.AttachmentSettings(in.Attachments)
	p.RatingQuestion = rating
	p.RetentionDays = in.RetentionDays
	p.NotificationEmail = notify
	p.Language, p.DefaultLanguage = lang, def
	return nil
}

// languagesOf checks a profile's language ("": auto) and defaultLanguage
// ("": en).
func languagesOf(lang, def string) (string, string, error) {
	if lang == "" {
		lang = i18n.Auto
	}
	if def == "" {
		def = string(i18n.Default)
	}
	if lang != i18n.Auto && !i18n.Valid(lang) {
		return "", "", apiInvalid("language", "must be %q (the browser's preferred languages, then defaultLanguage) or one of %s, not %q",
			i18n.Auto, i18n.List(), lang)
	}
	if !i18n.Valid(def) {
		return "", "", apiInvalid("defaultLanguage", "must be one of %s, not %q", i18n.List(), def)
	}
	return lang, def, nil
}

// checkAttachmentSettings checks a profile's attachment limits: a size
// within MaxAttachmentMaxBytes, known kinds, each once.
func checkAttachmentSettings(s protocol.AttachmentSettings) error {
	if s.MaxBytes < 0 || s.MaxBytes > protocol.MaxAttachmentMaxBytes {
		return apiInvalid("attachments.maxBytes", "must be 1 to %d bytes (0: the default, %d), not %d",
			protocol.MaxAttachmentMaxBytes, protocol.DefaultAttachmentMaxBytes, s.MaxBytes)
	}
	for i, t := range s.Types {
		if !slices.Contains(protocol.AttachmentKinds(), t) || slices.Index(s.Types, t) != i {
			return apiInvalid(fmt.Sprintf("attachments.types[%d]", i), "must be one of %s, each once, not %q",
				strings.Join(protocol.AttachmentKinds(), ", "), t)
		}
	}
	return nil
}

// ratingQuestionOf checks a profile's ratingQuestion ("": ask).
func ratingQuestionOf(q string) (string, error) {
	switch q {
	case "":
		return protocol.DefaultRatingQuestion, nil
	case protocol.RatingQuestionAsk, protocol.RatingQuestionOff:
		return q, nil
	}
	return "", apiInvalid("ratingQuestion", "must be %q (the widget asks the visitor to rate a chat that ended) or %q, not %q",
		protocol.RatingQuestionAsk, protocol.RatingQuestionOff, q)
}

// checkProfileRefs checks the flow, its start step, and the ticket type.
func (a *IdentityAPI) checkProfileRefs(ctx context.Context, in *protocol.ChatProfileInput) error {
	if in.FlowID < 0 {
		return apiInvalid("flowId", "must be a flow id, or 0 for none")
	}
	if in.StartStep < 0 {
		return apiInvalid("startStep", "must be a step number, or 0 for the flow's own start step")
	}
	if in.FlowID > 0 {
		f, err := a.Store.GetFlow(ctx, in.FlowID)
		if errors.Is(err, store.ErrNotFound) {
			return apiInvalid("flowId", "no flow with id %d", in.FlowID)
		}
		if err != nil {
			return err
		}
		if in.StartStep > 0 {
			if f.CurrentVersion == 0 {
				return apiInvalid("startStep", "flow %d has no saved version yet, so it has no step %d", f.ID, in.StartStep)
			}
			if _, err := a.Store.GetFlowStep(ctx, f.ID, f.CurrentVersion, in.StartStep); errors.Is(err, store.ErrNotFound) {
				return apiInvalid("startStep", "flow %q has no step %d", f.Name, in.StartStep)
			} else if err != nil {
				return err
			}
		}
	} else if in.StartStep > 0 {
		return apiInvalid("startStep", "needs a flowId")
	}
	if in.TicketTypeID < 0 {
		return apiInvalid("ticketTypeId", "must be a ticket type id, or 0 for none")
	}
	if in.TicketTypeID > 0 {
		if _, err := a.Store.GetTicketType(ctx, in.TicketTypeID); errors.Is(err, store.ErrNotFound) {
			return apiInvalid("ticketTypeId", "no ticket type with id %d", in.TicketTypeID)
		} else if err != nil {
			return err
		}
	}
	return nil
}

// NormalizeOrigin returns raw as a "scheme://host[:port]" origin
// (lower-case, default port dropped), or an error saying why it is not one.
func NormalizeOrigin(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return "", fmt.Errorf("%q is not a URL", raw)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("%q must start with http:// or https://", raw)
	}
	if u.Host == "" || u.User != nil || u.Opaque != "" {
		return "", fmt.Errorf("%q has no host", raw)
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(raw, "?") || strings.HasSuffix(raw, "#") {
		return "", fmt.Errorf("%q is not an origin: give scheme://host[:port] only, no path, query or fragment", raw)
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if strings.Contains(host, "*") {
		return "", fmt.Errorf("%q: wildcards are not supported; leave the list empty to allow any origin", raw)
	}
	if (u.Scheme == "http" && port == "80") || (u.Scheme == "https" && port == "443") {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	out := u.Scheme + "://" + host
	if port != "" {
		out += ":" + port
	}
	return out, nil
}

func normalizeOrigins(in []string) (store.StringList, error) {
	if len(in) > 100 {
		return nil, apiInvalid("allowedOrigins", "holds more than 100 origins")
	}
	out := make(store.StringList, 0, len(in))
	for i, o := range in {
		n, err := NormalizeOrigin(o)
		if err != nil {
			return nil, apiInvalid(fmt.Sprintf("allowedOrigins[%d]", i), "%v", err)
		}
		if slices.Contains(out, n) {
			return nil, apiInvalid(fmt.Sprintf("allowedOrigins[%d]", i), "%s is listed twice", n)
		}
		out = append(out, n)
	}
	return out, nil
}

// normalizeMappings checks claim → user field mappings and names each
// target by its canonical user field name.
func normalizeMappings(in map[string]string) (store.TokenMappings, error) {
	if len(in) > 100 {
		return nil, apiInvalid("tokenMappings", "holds more than 100 mappings")
	}
	out := store.TokenMappings{}
	for claim, target := range in {
		field := fmt.Sprintf("tokenMappings[%q]", claim)
		if err := textField(field+" (claim name)", claim, true, 200); err != nil {
			return nil, err
		}
		if claim == identity.ClaimMatchingGUID || claim == identity.ClaimMatchingKey {
			return nil, apiInvalid(field, "%s is a ChatMatchingData claim and cannot be mapped", claim)
		}
		uf, ok := identity.UserField(target)
		if !ok {
			return nil, apiInvalid(field, "%q is not a user field: use firstname, lastname, username, email, phone or externalid", target)
		}
		out[claim] = uf
	}
	return out, nil
}

// validHHMM reports whether s is a time of day "HH:MM" (00:00 to 24:00).
func validHHMM(s string) bool {
	if s == "24:00" {
		return true
	}
	t, err := time.Parse("15:04", s)
	return err == nil && t.Format("15:04") == s
}

// validateAvailability checks the time zone, weekly intervals and holidays.
func validateAvailability(av protocol.AvailabilitySettings) error {
	if av.TimeZone != "" {
		if _, err := time.LoadLocation(av.TimeZone); err != nil || av.TimeZone == "Local" {
			return apiInvalid("availability.timeZone", "%q is not an IANA time zone (such as Europe/London)", av.TimeZone)
		}
	}
	if len(av.Weekly) > 100 {
		return apiInvalid("availability.weekly", "holds more than 100 intervals")
	}
	for i, w := range av.Weekly {
		field := fmt.Sprintf("availability.weekly[%d]", i)
		if w.Weekday < 0 || w.Weekday > 6 {
			return apiInvalid(field+".weekday", "must be 0 (Sunday) to 6 (Saturday)")
		}
		if !validHHMM(w.Start) || w.Start == "24:00" {
			return apiInvalid(field+".start", "%q is not a time HH:MM", w.Start)
		}
		if !validHHMM(w.End) {
			return apiInvalid(field+".end", "%q is not a time HH:MM (24:00 allowed)", w.End)
		}
		if w.End <= w.Start {
			return apiInvalid(field+".end", "must be after start (%s)", w.Start)
		}
	}
	if len(av.Holidays) > 1000 {
		return apiInvalid("availability.holidays", "holds more than 1000 days")
	}
	for i, h := range av.Holidays {
		if _, err := time.Parse("2006-01-02", h.Date); err != nil {
			return apiInvalid(fmt.Sprintf("availability.holidays[%d].date", i), "%q is not a date YYYY-MM-DD", h.Date)
		}
		if err := textField(fmt.Sprintf("availability.holidays[%d].name", i), h.Name, false, 200); err != nil {
			return err
		}
	}
	return nil
}
