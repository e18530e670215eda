package chatapi_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"halochat/app/flow"
	"halochat/app/protocol"
	"halochat/backend/demo"
	"halochat/backend/store"
)

// TestStalledTicketStepIsResumedOnce: a node died after committing a
// create-ticket step, before or after logging the ticket. The worker
// finishes the step: the ticket is logged exactly once and the chat ends
// with its number.
func TestStalledTicketStepIsResumedOnce(t *testing.T) {
	for _, logged := range []bool{true, false} {
		name := "died before logging the ticket"
		if logged {
			name = "died after logging the ticket"
		}
		t.Run(name, func(t *testing.T) {
			forEachDB(t, func(t *testing.T, e *env) {
				ctx := context.Background()
				n := e.node(nodeOpts{})
				resp := n.mustStart(protocol.StartChatRequest{})
				tickets := []store.Ticket{n.flowTicket(t, resp)}
				if !logged {
					if _, err := e.st.DB().NewDelete().TableExpr("ticket_field_values").Where("ticket_id = ?", tickets[0].ID).Exec(ctx); err != nil {
						t.Fatal(err)
					}
					if _, err := e.st.DB().NewDelete().TableExpr("tickets").Where("id = ?", tickets[0].ID).Exec(ctx); err != nil {
						t.Fatal(err)
					}
				}

				// Put the chat back where the dead node left it: waiting on
				// the ticket step, committed before any ticket was logged.
				stalled := flow.State{Status: flow.StatusAwaitingTicket, Step: demo.StepCreateTicket, Vars: map[string]flow.Value{
					"topic": flow.NewText("A technical problem"), "problem": flow.NewText("The printer is on fire")}}
				raw, err := json.Marshal(stalled)
				if err != nil {
					t.Fatal(err)
				}
				before := tickets[0].CreatedAt.Add(-time.Minute)
				_, err = e.st.DB().NewUpdate().TableExpr("chats").
					Set("status = ?", store.ChatBot).Set("flow_state = ?", string(raw)).Set("updated_at = ?", before).
					Set("ended_at = NULL").Set("end_reason = ''").Set("ticket_id = NULL").
					Where("id = ?", resp.ChatID).Exec(ctx)
				if err != nil {
					t.Fatal(err)
				}

				if got, err := n.svc.ResumeStalled(ctx, time.Hour); err != nil || got != 0 {
					t.Fatalf("ResumeStalled with a cutoff before the stall = %d, %v; want 0", got, err)
				}
				if got, err := n.svc.ResumeStalled(ctx, time.Second); err != nil || got != 1 {
					t.Fatalf("ResumeStalled = %d, %v; want 1", got, err)
				}
				after, err := e.st.ListTickets(ctx, store.TicketFilter{ChatID: resp.ChatID})
				if err != nil || len(after) != 1 {
					t.Fatalf("tickets after the resume: %d (%v), want exactly 1", len(after), err)
				}
				if logged && after[0].ID != tickets[0].ID {
					t.Errorf("the resume logged ticket %d beside the one logged before the stall (%d)", after[0].ID, tickets[0].ID)
				}
				ch, err := e.st.GetChat(ctx, resp.ChatID)
				if err != nil || ch.Status != store.ChatEnded || ch.TicketID != after[0].ID {
					t.Fatalf("chat after the resume: %+v, %v; want ended with ticket %d", ch, err, after[0].ID)
				}
				if got, err := n.svc.ResumeStalled(ctx, time.Second); err != nil || got != 0 {
					t.Errorf("a second ResumeStalled = %d, %v; want 0", got, err)
				}
			})
		})
	}
}

// TestQueuedChatFallsBackWhenEveryAgentLeaves: a chat waits in the queue,
// the last agent goes offline; the worker gives it the transfer's
// fallback instead of leaving it queued for ever.
func TestQueuedChatFallsBackWhenEveryAgentLeaves(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		n := e.node(nodeOpts{})
		agent := agentClient(t, n, n.agentToken(e.demo.Agent.Email, e.demo.Agent.Password))
		resp, v := queuedVisitor(t, n, "c1")

		if got, err := n.svc.FallbackUnattended(ctx, 0); err != nil || got != 0 {
			t.Fatalf("FallbackUnattended with an agent online = %d, %v; want 0", got, err)
		}
		agent.ws.CloseNow()
		deadline := time.Now().Add(10 * time.Second)
		for {
			online, err := e.st.CountAgentsWithPresence(ctx, store.PresenceOnline)
			if err != nil {
				t.Fatal(err)
			}
			if online == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the agent stayed online after closing its console")
			}
			time.Sleep(20 * time.Millisecond)
		}
		if got, err := n.svc.FallbackUnattended(ctx, time.Hour); err != nil || got != 0 {
			t.Fatalf("FallbackUnattended before the wait = %d, %v; want 0", got, err)
		}
		if got, err := n.svc.FallbackUnattended(ctx, 0); err != nil || got != 1 {
			t.Fatalf("FallbackUnattended = %d, %v; want 1", got, err)
		}
		v.messagesUntil(resp.ChatID, func(m protocol.ChatMessage) bool { return m.Step == demo.StepAskProblem && m.Prompt != nil })
		c, err := e.st.GetChat(ctx, resp.ChatID)
		if err != nil || c.Status != store.ChatBot {
			t.Errorf("chat after the fallback: %+v, %v; want back with the bot", c, err)
		}
	})
}
