package chatapi_test

import (
	"net/http"
	"testing"

	"halochat/app/protocol"
)

// The visitor rates the chat it ended over HTTP (its resume secret):
// 201, then 200 for a replacement; agents read the rating with the chat
// (GET /api/Chat/{id}); a chat not rated carries none.
func TestVisitorRatesTheChatItEnded(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		n := e.node(nodeOpts{})
		resp := n.mustStart(protocol.StartChatRequest{})
		path := "/chat/api/v1/chats/" + resp.ChatID
		var eb protocol.ErrorBody
		if code := n.call("POST", path+"/rating", protocol.RatingRequest{Score: 5}, &eb, hdr(resp.ResumeSecret)...); code != http.StatusConflict {
			t.Errorf("rating an open chat: %d %+v, want 409", code, eb)
		}
		if code := n.call("POST", path+"/end", nil, nil, hdr(resp.ResumeSecret)...); code != http.StatusNoContent {
			t.Fatalf("end: %d", code)
		}
		tok := n.agentToken(e.demo.Agent.Email, e.demo.Agent.Password)
		var before protocol.ChatTranscript
		if code := n.call("GET", "/api/Chat/"+resp.ChatID, nil, &before, "Authorization", "Bearer "+tok); code != http.StatusOK || before.Rating != nil {
			t.Errorf("GET /api/Chat before a rating: %d, rating %+v", code, before.Rating)
		}
		for _, tc := range []struct {
			req    protocol.RatingRequest
			status int
		}{
			{protocol.RatingRequest{Score: 0}, http.StatusBadRequest},
			{protocol.RatingRequest{Score: 5, Comment: "Great help"}, http.StatusCreated},
			{protocol.RatingRequest{Score: 3}, http.StatusOK},
		} {
			var got protocol.ChatRating
			code := n.call("POST", path+"/rating", tc.req, &got, hdr(resp.ResumeSecret)...)
			if code != tc.status || (code < 300 && (got.Score != tc.req.Score || got.Comment != tc.req.Comment || got.RatedAt == "")) {
				t.Errorf("rating %+v: %d %+v, want %d", tc.req, code, got, tc.status)
			}
		}
		var after protocol.ChatTranscript
		n.call("GET", "/api/Chat/"+resp.ChatID, nil, &after, "Authorization", "Bearer "+tok)
		if r := after.Rating; r == nil || r.Score != 3 || r.Comment != "" {
			t.Errorf("GET /api/Chat after the ratings: %+v, want score 3 without a comment", r)
		}
		var details protocol.ChatDetails
		n.call("GET", "/api/Chat/"+resp.ChatID+"/details", nil, &details, "Authorization", "Bearer "+tok)
		if r := details.Rating; r == nil || r.Score != 3 {
			t.Errorf("details rating %+v, want score 3", r)
		}
	})
}
