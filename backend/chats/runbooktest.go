package chats

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"halochat/app/flow"
	"halochat/app/protocol"
	"halochat/backend/outbound"
	"halochat/backend/store"
)

// TestRunbook makes a real call of rb — signed, within its timeout,
// through the outbound guard — with sample chat data instead of a chat's
// (the body says "test": true, chatId is empty), and reports what came
// back: the status, how long it took, the answer, and the variables a
// runbook step with rb's own outputs would set, or why the call would
// take the failure branch. now is the call's sentAt.
func (rc *RunbookClient) TestRunbook(ctx context.Context, rb *store.Runbook, in protocol.RunbookTestInput, now time.Time) protocol.RunbookTestResult {
	res := protocol.RunbookTestResult{Variables: []protocol.RunbookTestVariable{}}
	req := runbookRequest(rb, now, in.User, in.ChatFields, nil)
	req.Test = true
	for k, v := range in.Variables {
		req.Variables[k] = v
	}
	body, err := json.Marshal(req)
	if err != nil {
		res.Error = fmt.Sprintf("encode the call: %v", err)
		return res
	}
	start := time.Now()
	status, data, err := rc.post(ctx, rb, body)
	res.LatencyMS = time.Since(start).Milliseconds()
	res.Status, res.Answer = status, string(data)
	switch {
	case errors.Is(err, outbound.ErrBlocked):
		res.Error = fmt.Sprintf("refused by the outbound guard: %v (an operator may open the address with --outbound-allow)", err)
		return res
	case err != nil:
		res.Error = err.Error()
		return res
	case status < 200 || status > 299:
		res.Error = fmt.Sprintf("status %d: a runbook step takes its failure branch", status)
		return res
	}
	vals, err := flow.MapRunbookAnswer(rb.Outputs, data)
	if err != nil {
		res.Error = "answer not usable, a runbook step takes its failure branch: " + err.Error()
		return res
	}
	for i, o := range rb.Outputs {
		res.Variables = append(res.Variables, protocol.RunbookTestVariable{Variable: o.Variable, Type: string(o.Type), Value: vals[i].String()})
	}
	res.OK = true
	return res
}
