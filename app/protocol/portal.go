package protocol

import "time"

// The self-service portal's API (/portal/api/*, backend/portal), read by
// the portal page of the console app. Its login takes a LoginRequest.

// PortalUser is the logged-in portal user as the portal shows them.
type PortalUser struct {
	ID        int64  `json:"id"`
	Email     string `json:"email"`
	FirstName string `json:"firstName"`
	LastName  string `json:"lastName"`
	Name      string `json:"name"` // first and last name, or the e-mail address
}

// PortalTokenLoginRequest is the body of POST /portal/api/login/token: an
// identity token, verified with that portal profile's identity settings.
type PortalTokenLoginRequest struct {
	ProfileID string `json:"profileId"`
	IDToken   string `json:"id_token"`
}

// PortalLogin answers a portal login: the user and the session's lifetime
// (the session itself is a cookie).
type PortalLogin struct {
	ExpiresIn int        `json:"expires_in"` // seconds
	User      PortalUser `json:"user"`
}

// PortalMe answers GET /portal/api/me: the user, or null when logged out
// (being logged out is no error on the portal page).
type PortalMe struct {
	User *PortalUser `json:"user"`
}

// PortalTicket is one of the user's tickets (GET /portal/api/tickets).
type PortalTicket struct {
	ID        int64     `json:"id"`
	Summary   string    `json:"summary"`
	Status    string    `json:"status"`
	Type      string    `json:"type"` // the ticket type's name
	ChatID    string    `json:"chatId"`
	CreatedAt time.Time `json:"createdAt"`
}

// PortalProfile is a chat profile the portal offers (GET
// /portal/api/profiles): what the widget needs to start, nothing else.
type PortalProfile struct {
	ID     string `json:"id"`
	Key    string `json:"key"`
	Name   string `json:"name"`
	Access string `json:"access"` // portal | portal_and_external
	Colour string `json:"colour,omitempty"`
}
