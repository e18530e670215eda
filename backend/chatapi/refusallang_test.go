package chatapi_test

import (
	"net/http"
	"testing"

	"halochat/app/protocol"
)

// The refusals a visitor meets are in the chat's language, after their
// field: the rating's and the transcript's of a German chat, the
// offline form's by Accept-Language (the demo profile is automatic) —
// and in English for an English browser.
func TestVisitorRefusalsInTheChatsLanguage(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		n := e.node(nodeOpts{})
		de := n.mustStart(protocol.StartChatRequest{Languages: []string{"de"}})
		path := "/chat/api/v1/chats/" + de.ChatID
		var open protocol.ErrorBody
		if code := n.call("POST", path+"/rating", protocol.RatingRequest{Score: 5}, &open, hdr(de.ResumeSecret)...); code != http.StatusConflict ||
			open.Error.Message != "Ein Chat kann erst bewertet werden, wenn er beendet ist" {
			t.Errorf("rating the open German chat: %d %q", code, open.Error.Message)
		}
		if code := n.call("POST", path+"/end", nil, nil, hdr(de.ResumeSecret)...); code != http.StatusNoContent {
			t.Fatalf("end: %d", code)
		}
		p := e.demo.Profile
		offline := protocol.OfflineMessageRequest{ConfigID: p.ID, ConfigKey: p.Key, HostOrigin: "http://localhost:9999", Email: "nope", Text: "Hallo"}
		tests := []struct {
			name, path string
			body       any
			header     []string
			status     int
			want       string
		}{
			{"a German chat's rating", path + "/rating", protocol.RatingRequest{Score: 9}, hdr(de.ResumeSecret),
				http.StatusBadRequest, "score: Bitte wählen Sie eine Bewertung von 1 bis 5"},
			{"a German chat's rating comment", path + "/rating", protocol.RatingRequest{Score: 4, Comment: "a\x00b"}, hdr(de.ResumeSecret),
				http.StatusBadRequest, "comment: Der Kommentar enthält ein Zeichen, das nicht gesendet werden kann"},
			{"the offline form in German", "/chat/api/v1/offline", offline, []string{"Accept-Language", "de-CH,de;q=0.9"},
				http.StatusBadRequest, "email: „nope“ ist keine E-Mail-Adresse."},
			{"the offline form in French", "/chat/api/v1/offline", offline, []string{"Accept-Language", "fr"},
				http.StatusBadRequest, "email: « nope » n'est pas une adresse e-mail."},
			{"the offline form in English", "/chat/api/v1/offline", offline, []string{"Accept-Language", "en-GB"},
				http.StatusBadRequest, "email: “nope” is not an e-mail address."},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				var eb protocol.ErrorBody
				if code := n.call("POST", tc.path, tc.body, &eb, tc.header...); code != tc.status || eb.Error.Message != tc.want {
					t.Errorf("%d %q, want %d %q", code, eb.Error.Message, tc.status, tc.want)
				}
			})
		}
	})
}
