package browsertest

import (
	"context"
	"testing"

	"halochat/backend/store"
)

// TestAdminErasesAUserAfterTypingTheirAddress: the user's edit form
// links their export and erases their data only once the admin typed
// their e-mail address (a wrong one erases nothing), and says what went,
// their transcript mail included.
func TestAdminErasesAUserAfterTypingTheirAddress(t *testing.T) {
	s, b := adminSession(t)
	b.ExpectBanner("Not erased: type")
	ctx := context.Background()
	u := &store.User{Email: "erase.me@portal.test", FirstName: "Eve", LastName: "Gone"}
	if err := s.store.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	c := &store.Chat{ProfileID: s.demo.Profile.ID, Context: store.ContextEmbedded, UserID: u.ID}
	if err := s.store.CreateChat(ctx, c, nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.store.AppendMessage(ctx, store.Message{ChatID: c.ID, Sender: store.SenderVisitor, Text: "my address is 1 Secret Lane"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.store.QueueTranscriptMail(ctx, &store.Mail{ChatID: c.ID, Recipient: u.Email, Subject: "Your chat", Body: "visitor: my address is 1 Secret Lane"}, 3); err != nil {
		t.Fatal(err)
	}

	b.openConsole(t, s.serviceURL+"/console/admin/users")
	b.editRow(t, u.ID)
	b.waitValue(t, "us-e-email", u.Email)
	waitText(t, b.Ctx, "#us-data", "Export (JSON)")
	click(t, b.Ctx, "#us-erase", "Erase")
	waitText(t, b.Ctx, "#us-erase-box", "cannot be undone")
	b.setValue(t, "us-erase-typed", "someone.else@portal.test")
	click(t, b.Ctx, "#us-erase-confirm", "Erase this person's data")
	waitText(t, b.Ctx, "#us-edit .cc-error", "Not erased: type \"erase.me@portal.test\" to confirm.")
	if got, err := s.store.GetUser(ctx, u.ID); err != nil || got.Email != u.Email {
		t.Fatalf("a wrong confirmation erased: %+v %v", got, err)
	}

	b.setValue(t, "us-erase-typed", u.Email)
	click(t, b.Ctx, "#us-erase-confirm", "Erase this person's data")
	waitText(t, b.Ctx, "#us-edit .cc-ok", "Erased user")
	waitText(t, b.Ctx, "#us-edit .cc-ok", "1 messages")
	waitText(t, b.Ctx, "#us-edit .cc-ok", "1 mails")
	if mails, err := s.store.ListMails(ctx, store.MailFilter{ChatID: c.ID}); err != nil || len(mails) != 0 {
		t.Errorf("the transcript mail after the erasure: %+v %v", mails, err)
	}
	got, err := s.store.GetUser(ctx, u.ID)
	if err != nil || got.Email != "" || got.FirstName != "" || !got.Disabled {
		t.Errorf("after the erasure: %+v %v", got, err)
	}
	if msgs, err := s.store.MessagesAfter(ctx, c.ID, 0, 10); err != nil || len(msgs) != 0 {
		t.Errorf("the visitor's messages after the erasure: %v %v", msgs, err)
	}
}
