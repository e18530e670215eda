package chats_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"halochat/app/flow"
	"halochat/app/i18n"
	"halochat/app/protocol"
	"halochat/backend/chats"
	"halochat/backend/demo"
	"halochat/backend/store"
	"halochat/backend/storetest"
	"halochat/backend/testenv"
)

// wednesdayNoon is the clock of the opening-hours tests: Wednesday
// 9 December 2026, 12:00 UTC (13:00 in Berlin, 01:00 on Thursday the
// 10th in Auckland).
var wednesdayNoon = time.Date(2026, 12, 9, 12, 0, 0, 0, time.UTC)

// eachDatabaseAt is eachDatabase with the store's clock stopped at now.
func eachDatabaseAt(t *testing.T, now time.Time, run func(t *testing.T, e *env)) {
	testenv.ForEachDB(t, func(t *testing.T, dsn string) {
		run(t, seededEnv(t, dsn, func() time.Time { return now }))
	})
}

func TestTransferHonoursOpeningHours(t *testing.T) {
	wed := int(time.Wednesday)
	tests := []struct {
		name   string
		av     store.Availability
		online bool
		// why is the nobody_in reason the transfer stores ("" when it
		// queues the chat).
		why string
	}{
		{name: "in hours, an agent online: queued", online: true,
			av: store.Availability{TimeZone: "Europe/Berlin", Weekly: []store.OpeningInterval{{Weekday: wed, Start: "09:00", End: "17:00"}}}},
		{name: "out of hours, an agent online: nobody in (closed)", online: true, why: protocol.NobodyInClosed,
			av: store.Availability{TimeZone: "Europe/Berlin", Weekly: []store.OpeningInterval{{Weekday: wed, Start: "09:00", End: "12:30"}}}},
		{name: "another weekday's hours: closed", online: true, why: protocol.NobodyInClosed,
			av: store.Availability{TimeZone: "UTC", Weekly: []store.OpeningInterval{{Weekday: int(time.Tuesday), Start: "00:00", End: "24:00"}}}},
		{name: "a holiday, an agent online: closed", online: true, why: protocol.NobodyInClosed,
			av: store.Availability{TimeZone: "Europe/Berlin", Holidays: []store.Holiday{{Date: "2026-12-09", Name: "Closed for the party"}}}},
		{name: "a holiday in the profile's time zone, not UTC's: closed", online: true, why: protocol.NobodyInClosed,
			av: store.Availability{TimeZone: "Pacific/Auckland", Holidays: []store.Holiday{{Date: "2026-12-10"}}}},
		{name: "UTC's date is not a holiday in Auckland: queued", online: true,
			av: store.Availability{TimeZone: "Pacific/Auckland", Holidays: []store.Holiday{{Date: "2026-12-09"}}}},
		{name: "in hours, nobody online: nobody in (no agent)", why: protocol.NobodyInNoAgent,
			av: store.Availability{TimeZone: "Europe/Berlin", Weekly: []store.OpeningInterval{{Weekday: wed, Start: "09:00", End: "17:00"}}}},
	}
	eachDatabaseAt(t, wednesdayNoon, func(t *testing.T, e *env) {
		for i, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				p := e.profile(t, "hours "+string(rune('a'+i)), func(p *store.ChatProfile) { p.Availability = tc.av })
				presence := store.PresenceOffline
				if tc.online {
					presence = store.PresenceOnline
				}
				e.presence(t, e.agent, presence)
				id := e.start(t, protocol.StartChatRequest{ConfigID: p.ID, ConfigKey: p.Key, StartStepOverride: demo.StepTransfer}).ChatID
				c := e.chat(t, id)
				var got *protocol.ChatMessage
				for _, m := range e.messages(t, id) {
					if m.Event == protocol.EventNobodyIn {
						got = &m
					}
				}
				if tc.why == "" {
					if c.Status != store.ChatQueued || got != nil {
						t.Fatalf("chat %s, nobody_in %+v; want queued", c.Status, got)
					}
					wantAt(t, c, demo.StepTransfer, flow.StatusAwaitingAgent)
					return
				}
				if c.Status != store.ChatBot {
					t.Fatalf("chat %s, want bot (the transfer's fallback)", c.Status)
				}
				wantAt(t, c, demo.StepAskProblem, flow.StatusAwaitingAnswer)
				if got == nil || got.Reason != tc.why || got.Text == "" {
					t.Fatalf("nobody_in message %+v, want reason %s", got, tc.why)
				}
				av, err := e.svc.Availability(e.ctx, p.ID, wednesdayNoon)
				if err != nil {
					t.Fatal(err)
				}
				if av.Open != (tc.why != protocol.NobodyInClosed) {
					t.Fatalf("availability says open %v, the transfer %s", av.Open, tc.why)
				}
			})
		}
	})
}

// offline is an offline message on the demo profile from a page of
// localhost, changed by change.
func (e *env) offline(change func(*chats.OfflineMessage)) chats.OfflineMessage {
	req := chats.OfflineMessage{ConfigID: e.demo.Profile.ID, ConfigKey: e.demo.Profile.Key,
		HostOrigin: "http://localhost:9999", Name: "Ada Visitor", Email: "ada@example.com", Text: "Please call me back."}
	if change != nil {
		change(&req)
	}
	return req
}

func TestLeaveMessageLogsATicket(t *testing.T) {
	eachDatabase(t, func(t *testing.T, e *env) {
		hook := &store.Webhook{URL: "http://127.0.0.1:1/hook", Events: []string{protocol.WebhookTicketCreated}, Secret: "whsec_c2VjcmV0"}
		if err := e.st.CreateWebhook(e.ctx, hook); err != nil {
			t.Fatal(err)
		}
		var told []chats.LeftMessage
		svc := chats.New(chats.Config{Store: e.st, Logger: testenv.Logger(),
			OnOfflineMessage: func(_ context.Context, m chats.LeftMessage) { told = append(told, m) }})
		tests := []struct {
			name   string
			req    chats.OfflineMessage
			fields map[string]string // ticket field values by name
			user   string            // the ticket's user's e-mail ("" none)
		}{
			{name: "anonymous", req: e.offline(nil)},
			{name: "with an identity token: its user and chat custom fields", user: "tok@example.com",
				req: e.offline(func(r *chats.OfflineMessage) {
					r.IDToken = storetest.DemoToken(t, e.demo, map[string]any{"sub": "offline-1", "email": "tok@example.com",
						"CFcustomerTier": "gold", "Account Number": "ACC-7", "jti": "offline-jti-1"})
				}),
				fields: map[string]string{"CFcustomerTier": "gold", "CFaccountNumber": "ACC-7"}},
			{name: "no name, a long message", req: e.offline(func(r *chats.OfflineMessage) {
				r.Name, r.Text = "", strings.Repeat("é", protocol.MaxOfflineTextLength)
			})},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				before := len(told)
				tk, err := svc.LeaveMessage(e.ctx, tc.req, "")
				if err != nil {
					t.Fatal(err)
				}
				got, err := e.st.GetTicket(e.ctx, tk.ID)
				if err != nil {
					t.Fatal(err)
				}
				if got.TicketTypeID != e.demo.TicketType.ID || got.ChatID != "" || got.Status != store.TicketOpen {
					t.Fatalf("ticket %+v, want an open ticket of type %d with no chat", got, e.demo.TicketType.ID)
				}
				for _, want := range []string{tc.req.Email, strings.TrimSpace(tc.req.Text), tc.req.Name} {
					if !strings.Contains(got.Details, want) {
						t.Fatalf("details %q lack %q", got.Details, want)
					}
				}
				wantTicketUser(t, e, got, tc.user)
				wantTicketFields(t, e, got.ID, tc.fields)
				if len(told) != before+1 || told[before].Ticket.ID != got.ID || told[before].Profile.ID != e.demo.Profile.ID {
					t.Fatalf("OnOfflineMessage told %+v", told[before:])
				}
				if !hasTicketCreated(t, e, hook.ID, got.ID) {
					t.Fatalf("no ticket.created delivery for ticket %d", got.ID)
				}
			})
		}
	})
}

func wantTicketUser(t *testing.T, e *env, tk *store.Ticket, email string) {
	t.Helper()
	if email == "" {
		if tk.UserID != 0 {
			t.Fatalf("ticket of user %d, want none", tk.UserID)
		}
		return
	}
	u, err := e.st.GetUser(e.ctx, tk.UserID)
	if err != nil || u.Email != email {
		t.Fatalf("ticket's user %+v (%v), want %s", u, err, email)
	}
}

func wantTicketFields(t *testing.T, e *env, id int64, want map[string]string) {
	t.Helper()
	vals, err := e.st.TicketFieldValues(e.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, v := range vals {
		got[v.Name] = v.Value
	}
	if len(got) != len(want) {
		t.Fatalf("ticket fields %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("ticket fields %v, want %v", got, want)
		}
	}
}

func hasTicketCreated(t *testing.T, e *env, webhookID, ticketID int64) bool {
	t.Helper()
	ds, err := e.st.ListDeliveries(e.ctx, webhookID, store.DeliveryFilter{Limit: store.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		if d.EventType == protocol.WebhookTicketCreated && strings.Contains(string(d.Payload), `"ticket_id":`+strconv.FormatInt(ticketID, 10)) {
			return true
		}
	}
	return false
}

func TestLeaveMessageRefusals(t *testing.T) {
	eachDatabase(t, func(t *testing.T, e *env) {
		shop := e.profile(t, "shop only", func(p *store.ChatProfile) { p.AllowedOrigins = []string{"https://shop.example"} })
		used := storetest.DemoToken(t, e.demo, map[string]any{"sub": "offline-2", "jti": "offline-jti-used"})
		if _, err := e.svc.LeaveMessage(e.ctx, e.offline(func(r *chats.OfflineMessage) { r.IDToken = used }), ""); err != nil {
			t.Fatalf("the token's first use: %v", err)
		}
		tests := []struct {
			name   string
			change func(*chats.OfflineMessage)
			want   *protocol.APIError
			fields []string // each bad field Problems names, when several
		}{
			{"a bad e-mail", func(r *chats.OfflineMessage) { r.Email = "not-an-address" },
				&protocol.APIError{Code: protocol.CodeInvalidRequest, Field: "email"}, nil},
			{"no e-mail", func(r *chats.OfflineMessage) { r.Email = "  " },
				&protocol.APIError{Code: protocol.CodeInvalidRequest, Field: "email"}, nil},
			{"an empty text", func(r *chats.OfflineMessage) { r.Text = " \n " },
				&protocol.APIError{Code: protocol.CodeInvalidRequest, Field: "text"}, nil},
			{"a text too long", func(r *chats.OfflineMessage) { r.Text = strings.Repeat("x", protocol.MaxOfflineTextLength+1) },
				&protocol.APIError{Code: protocol.CodeInvalidRequest, Field: "text"}, nil},
			{"a NUL in the text", func(r *chats.OfflineMessage) { r.Text = "a\x00b" },
				&protocol.APIError{Code: protocol.CodeInvalidRequest, Field: "text"}, nil},
			{"a name too long", func(r *chats.OfflineMessage) { r.Name = strings.Repeat("n", protocol.MaxOfflineNameLength+1) },
				&protocol.APIError{Code: protocol.CodeInvalidRequest, Field: "name"}, nil},
			{"everything bad: each field named", func(r *chats.OfflineMessage) {
				r.Name, r.Email, r.Text = "two\nlines", "x@", ""
			}, &protocol.APIError{Code: protocol.CodeInvalidRequest, Field: "name"}, []string{"name", "email", "text"}},
			{"a wrong key", func(r *chats.OfflineMessage) { r.ConfigKey = "wrong" },
				&protocol.APIError{Code: protocol.CodeProfileNotFound, Field: "configKey", Kind: protocol.KindUnproven}, nil},
			{"a page the profile does not allow", func(r *chats.OfflineMessage) {
				r.ConfigID, r.ConfigKey, r.HostOrigin = shop.ID, shop.Key, "https://elsewhere.example"
			}, &protocol.APIError{Code: protocol.CodeOriginNotAllowed, Field: "hostOrigin"}, nil},
			{"a token used before", func(r *chats.OfflineMessage) { r.IDToken = used },
				&protocol.APIError{Code: protocol.CodeInvalidToken, Field: "id_token"}, nil},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				before := ticketCount(t, e)
				_, err := e.svc.LeaveMessage(e.ctx, e.offline(tc.change), "")
				wantRefusal(t, err, tc.want)
				var refusal *protocol.APIError
				errors.As(err, &refusal)
				if tc.fields != nil {
					probs, _ := refusal.Problems.([]protocol.FieldProblem)
					var got []string
					for _, p := range probs {
						got = append(got, p.Field)
					}
					if strings.Join(got, ",") != strings.Join(tc.fields, ",") {
						t.Fatalf("problems name %v, want %v (%s)", got, tc.fields, refusal.Message)
					}
				}
				if tc.want.Code == protocol.CodeInvalidRequest && !strings.HasPrefix(refusal.Message, tc.want.Field+": ") {
					t.Fatalf("message %q does not name %s", refusal.Message, tc.want.Field)
				}
				if n := ticketCount(t, e); n != before {
					t.Fatalf("%d tickets after a refusal, %d before", n, before)
				}
			})
		}
		// The shop's own page may.
		if _, err := e.svc.LeaveMessage(e.ctx, e.offline(func(r *chats.OfflineMessage) {
			r.ConfigID, r.ConfigKey, r.HostOrigin = shop.ID, shop.Key, "https://shop.example"
		}), ""); err != nil {
			t.Fatalf("from an allowed page: %v", err)
		}
	})
}

func ticketCount(t *testing.T, e *env) int {
	t.Helper()
	ts, err := e.st.ListTickets(e.ctx, store.TicketFilter{Limit: store.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	return len(ts)
}

func FuzzCheckOfflineMessage(f *testing.F) {
	f.Add("Ada", "ada@example.com", "hello")
	f.Add("", "x@", "")
	f.Add("a\nb", "<a@b.c>", "\x00")
	f.Fuzz(func(t *testing.T, name, email, text string) {
		err := chats.CheckOfflineMessage(chats.OfflineMessage{Name: name, Email: email, Text: text}, i18n.English)
		if err == nil {
			if strings.TrimSpace(email) == "" || strings.TrimSpace(text) == "" || strings.ContainsRune(text, 0) {
				t.Fatalf("accepted name %q email %q text %q", name, email, text)
			}
			return
		}
		var refusal *protocol.APIError
		if !errors.As(err, &refusal) || refusal.Code != protocol.CodeInvalidRequest || refusal.Field == "" ||
			!strings.HasPrefix(refusal.Message, refusal.Field+": ") {
			t.Fatalf("refusal %v does not name its field", err)
		}
	})
}
