package httpx

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"halochat/app/protocol"
)

// TestStatus pins the status of each refusal the service answers,
// including the codes answered with several statuses by kind.
func TestStatus(t *testing.T) {
	for _, tc := range []struct {
		err  protocol.APIError
		want int
	}{
		{protocol.APIError{Code: protocol.CodeInvalidRequest}, 400},
		{protocol.APIError{Code: protocol.CodeUnauthorized}, 401},
		{protocol.APIError{Code: protocol.CodeInvalidCredentials}, 401},
		{protocol.APIError{Code: protocol.CodeInvalidToken}, 401},
		{protocol.APIError{Code: protocol.CodeInvalidToken, Kind: protocol.KindMissing}, 400},
		{protocol.APIError{Code: protocol.CodeInvalidToken, Kind: protocol.KindUnfit}, 422},
		{protocol.APIError{Code: protocol.CodeForbidden}, 403},
		{protocol.APIError{Code: protocol.CodeCrossOrigin}, 403},
		{protocol.APIError{Code: protocol.CodeAccessDenied}, 403},
		{protocol.APIError{Code: protocol.CodeOriginNotAllowed}, 403},
		{protocol.APIError{Code: protocol.CodeNotFound}, 404},
		{protocol.APIError{Code: protocol.CodeProfileNotFound}, 404},
		{protocol.APIError{Code: protocol.CodeProfileNotFound, Kind: protocol.KindUnproven}, 401},
		{protocol.APIError{Code: protocol.CodeChatNotFound}, 404},
		{protocol.APIError{Code: protocol.CodeTicketNotFound}, 404},
		{protocol.APIError{Code: protocol.CodeConflict}, 409},
		{protocol.APIError{Code: protocol.CodeChatEnded}, 409},
		{protocol.APIError{Code: protocol.CodeAlreadyClaimed}, 409},
		{protocol.APIError{Code: protocol.CodeAlreadyAuthenticated}, 409},
		{protocol.APIError{Code: protocol.CodeNoFlow}, 409},
		{protocol.APIError{Code: protocol.CodeUnexpectedInput}, 409},
		{protocol.APIError{Code: protocol.CodeUnexpectedInput, Kind: protocol.KindUnfit}, 422},
		{protocol.APIError{Code: protocol.CodeTooLarge}, 413},
		{protocol.APIError{Code: protocol.CodeUnsupportedMedia}, 415},
		{protocol.APIError{Code: protocol.CodeStartStepNotAllowed}, 422},
		{protocol.APIError{Code: protocol.CodeStartStepNotFound}, 422},
		{protocol.APIError{Code: protocol.CodeRateLimited}, 429},
		{protocol.APIError{Code: protocol.CodeInternal}, 500},
		{protocol.APIError{Code: "no_such_code"}, 500},
	} {
		t.Run(fmt.Sprintf("%s/%d", tc.err.Code, tc.err.Kind), func(t *testing.T) {
			if got := Status(&tc.err); got != tc.want {
				t.Errorf("Status = %d, want %d", got, tc.want)
			}
		})
	}
}

// TestFail answers refusals as they are (wrapped or not, with field and
// problems) and anything else as a bare internal error.
func TestFail(t *testing.T) {
	for _, tc := range []struct {
		name   string
		err    error
		status int
		body   string
	}{
		{"refusal", &protocol.APIError{Code: protocol.CodeChatEnded, Message: "over"}, 409,
			`{"error":{"code":"chat_ended","message":"over"}}`},
		{"wrapped, with field", fmt.Errorf("start: %w", &protocol.APIError{Code: protocol.CodeProfileNotFound, Kind: protocol.KindUnproven, Field: "configKey", Message: "wrong key"}), 401,
			`{"error":{"code":"profile_not_found","message":"wrong key","field":"configKey"}}`},
		{"problems", &protocol.APIError{Code: protocol.CodeInvalidRequest, Message: "2 problems", Problems: []map[string]any{{"step": 1}}}, 400,
			`{"error":{"code":"invalid_request","message":"2 problems","problems":[{"step":1}]}}`},
		{"internal", errors.New("db down: password=hunter2"), 500,
			`{"error":{"code":"internal","message":"internal error"}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			Fail(rec, httptest.NewRequest("GET", "/x", nil), nil, tc.err)
			if rec.Code != tc.status {
				t.Errorf("status %d, want %d", rec.Code, tc.status)
			}
			var got, want any
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			_ = json.Unmarshal([]byte(tc.body), &want)
			if g, w := fmt.Sprint(got), fmt.Sprint(want); g != w {
				t.Errorf("body %s, want %s", rec.Body.String(), tc.body)
			}
			if h := rec.Header(); h.Get("Content-Type") != "application/json; charset=utf-8" || h.Get("Cache-Control") != "no-store" || h.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("headers %v", h)
			}
		})
	}
}

func TestWriteRateLimited(t *testing.T) {
	rec := httptest.NewRecorder()
	WriteRateLimited(rec, 1500e6, "too many")
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "2" {
		t.Errorf("%d Retry-After %q", rec.Code, rec.Header().Get("Retry-After"))
	}
}
