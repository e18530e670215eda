package chats

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"halochat/app/i18n"
	"halochat/app/protocol"
	"halochat/backend/attach"
	"halochat/backend/filelink"
	"halochat/backend/store"
)

// AttachmentLimits are the limits chat c's profile puts on attachments.
func (s *Service) AttachmentLimits(ctx context.Context, c *store.Chat) (protocol.AttachmentSettings, error) {
	p, err := s.store.CachedProfile(ctx, c.ProfileID)
	if err != nil {
		return protocol.AttachmentSettings{}, fmt.Errorf("read the attachment limits of chat %s: %w", c.ID, err)
	}
	return protocol.AttachmentSettings(p.Attachments), nil
}

// Attach receives a file named name from body into chat c (its visitor
// verified, or agent a's live chat when a is set), under the limits of
// the chat's profile (attach.Receive: too large, a refused type), and
// adds the message that carries it, which reaches the chat's followers
// like any other. Nothing is stored for a refused file, nor when the
// chat ended (or, for an agent, is no longer theirs) meanwhile.
func (s *Service) Attach(ctx context.Context, c *store.Chat, a *store.Agent, name string, body io.Reader) (*protocol.Attachment, error) {
	lim, err := s.AttachmentLimits(ctx, c)
	if err != nil {
		return nil, err
	}
	cond := store.AppendCond{NotEnded: true}
	if a != nil {
		if c, err = s.AgentChat(ctx, c.ID, a); err != nil {
			return nil, err
		}
		cond = store.AppendCond{ExpectStatus: store.ChatLive, AgentID: a.ID}
	} else if c.Status == store.ChatEnded {
		return nil, errChatEnded(c.ID)
	}
	if lim.Disabled {
		return nil, &protocol.APIError{Code: protocol.CodeForbidden, Field: "file",
			Message: "file: this chat's profile takes no attachments"}
	}
	rec, err := attach.Receive(body, s.filesDir, lim, RefusalLang(c, a))
	if err != nil {
		return nil, err
	}
	defer rec.Discard() // closes it; removes what is not kept
	id := store.NewAttachmentID()
	out := &protocol.Attachment{ID: id, Name: attach.CleanName(name), Size: rec.Size, ContentType: rec.ContentType,
		URL: protocol.AttachmentURL(c.ID, id)}
	msg := store.Message{Sender: store.SenderVisitor, Text: out.Name, Payload: payload(protocol.ChatMessage{Attachment: out})}
	if a != nil {
		msg = store.Message{Sender: store.SenderAgent, AgentID: a.ID, Text: out.Name,
			Payload: payload(protocol.ChatMessage{AgentName: a.Name, Attachment: out})}
	}
	row := &store.Attachment{ID: id, ChatID: c.ID, Name: out.Name, ContentType: out.ContentType, Size: out.Size}
	var content io.Reader = rec.File
	if s.filesDir != "" {
		// Named by its id before the commit: a failed commit removes it,
		// a crash in between leaves a file no row names.
		if err := os.Rename(rec.File.Name(), filepath.Join(s.filesDir, id)); err != nil {
			return nil, fmt.Errorf("keep attachment %s of chat %s: %w", id, c.ID, err)
		}
		content = nil
	}
	stored, ok, err := s.store.AddAttachment(ctx, row, content, msg, cond)
	if (err != nil || !ok) && s.filesDir != "" {
		_ = os.Remove(filepath.Join(s.filesDir, id))
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, errNoChat(c.ID)
	case err != nil:
		return nil, err
	case !ok && a != nil:
		_, err := s.AgentChat(ctx, c.ID, a)
		return nil, errors.Join(err, errChatEnded(c.ID))
	case !ok:
		return nil, errChatEnded(c.ID)
	}
	s.publish(c.ID, []store.Message{stored})
	return out, nil
}

// RefusalLang is the language a refusal of what a chat's party sent is
// written in: the chat's for its visitor (the widget shows it as it
// comes), English for agent a and API clients.
func RefusalLang(c *store.Chat, a *store.Agent) i18n.Lang {
	if a != nil {
		return i18n.English
	}
	return chatLang(c)
}

// AttachmentFile opens attachment id of chat c, for a caller that has
// proved its right to the chat. CodeNotFound when the chat has no such
// attachment.
func (s *Service) AttachmentFile(ctx context.Context, c *store.Chat, id string) (*store.Attachment, io.ReadCloser, error) {
	a, body, err := s.openAttachment(ctx, c.ID, id)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrInvalid) {
		return nil, nil, refuse(protocol.CodeNotFound, "chat %s has no attachment %q", c.ID, id)
	}
	return a, body, err
}

// LinkedAttachment opens attachment fileID of chat chatID for a
// transcript mail's link (filelink), whose expires and sig prove the
// right to it. CodeBadLink for a link this service did not make, which
// says nothing of the file (not even whether it exists); CodeGone for a
// link past its expiry or a file deleted since (with its chat, or
// erased).
func (s *Service) LinkedAttachment(ctx context.Context, chatID, fileID, expires, sig string) (*store.Attachment, io.ReadCloser, error) {
	key, err := s.store.LinkKey(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("open a linked attachment: %w", err)
	}
	switch err := filelink.Check(key, chatID, fileID, expires, sig, s.store.Now()); {
	case errors.Is(err, filelink.ErrBadLink):
		return nil, nil, refuse(protocol.CodeBadLink,
			"this download link is not valid: use the link exactly as the transcript mail gave it")
	case errors.Is(err, filelink.ErrExpired):
		return nil, nil, refuse(protocol.CodeGone, "this download link expired: a transcript mail's links work for %d days; "+
			"ask for the transcript again in a chat, or ask us for the file", int(filelink.Validity.Hours()/24))
	}
	a, body, err := s.openAttachment(ctx, chatID, fileID)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, os.ErrNotExist) {
		return nil, nil, refuse(protocol.CodeGone, "this file was deleted since the transcript was mailed")
	}
	return a, body, err
}

// openAttachment opens attachment id of chat chatID: store.ErrNotFound
// when the chat has no such attachment.
func (s *Service) openAttachment(ctx context.Context, chatID, id string) (*store.Attachment, io.ReadCloser, error) {
	a, err := s.store.GetAttachment(ctx, chatID, id)
	if err != nil {
		return nil, nil, err
	}
	if !a.InDir {
		return a, io.NopCloser(s.store.AttachmentContent(ctx, a)), nil
	}
	if s.filesDir == "" {
		return nil, nil, fmt.Errorf("attachment %s of chat %s is in a files directory, and the service has none (--files)", id, chatID)
	}
	f, err := os.Open(filepath.Join(s.filesDir, a.ID))
	if err != nil {
		return nil, nil, fmt.Errorf("open attachment %s of chat %s: %w", id, chatID, err)
	}
	return a, f, nil
}

// DeleteChat deletes chat id with its messages and attachments, those
// in the files directory too.
func (s *Service) DeleteChat(ctx context.Context, id string) error {
	inDir, err := s.store.DeleteChat(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return errNoChat(id)
	}
	if err != nil {
		return err
	}
	var errs []error
	for _, f := range inDir {
		if err := os.Remove(filepath.Join(s.filesDir, f)); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, fmt.Errorf("remove attachment %s of deleted chat %s: %w", f, id, err))
		}
	}
	return errors.Join(errs...)
}
