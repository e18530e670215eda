// Package privacy holds what the service does with a person's data as a
// whole: export it (GET /api/User/{id}/export), erase it
// (POST /api/User/{id}/erase), and delete old chats by each profile's
// retention (retention.go).
package privacy

import (
	"archive/zip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path"
	"path/filepath"

	"halochat/app/protocol"
	"halochat/backend/store"
)

// Service exports and erases users' data and runs the retention job.
type Service struct {
	Store *store.Store
	// FilesDir is the attachments' directory (serve --files), "" when
	// they are kept in the database.
	FilesDir string
	Logger   *slog.Logger
}

func (s *Service) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}

// Erase removes a person's personal data (store.EraseUser, one
// transaction) and then the files they attached that the files
// directory kept. A file that cannot be removed is logged and named in
// the error; the database's part is committed by then.
func (s *Service) Erase(ctx context.Context, userID int64) (*protocol.UserErasure, error) {
	e, err := s.Store.EraseUser(ctx, userID)
	if err != nil {
		return nil, err
	}
	return &e.UserErasure, s.removeFiles(e.Files, fmt.Sprintf("erased user %d", userID))
}

// removeFiles removes attachments ids from the files directory, after
// the transaction that deleted their rows committed.
func (s *Service) removeFiles(ids []string, whose string) error {
	var errs []error
	for _, id := range ids {
		if s.FilesDir == "" {
			errs = append(errs, fmt.Errorf("attachment %s of %s is in a files directory, and the service has none (--files)", id, whose))
			continue
		}
		if err := os.Remove(filepath.Join(s.FilesDir, id)); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, fmt.Errorf("remove attachment %s of %s: %w", id, whose, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		s.logger().Error("remove attachments' files", "err", err)
		return err
	}
	return nil
}

// Export reads everything held about a user as one document; with
// files, each attachment's File names its path in the zip (files/ID).
func (s *Service) Export(ctx context.Context, userID int64, files bool) (*protocol.UserExport, *store.UserData, error) {
	d, err := s.Store.ReadUserData(ctx, userID)
	if err != nil {
		return nil, nil, err
	}
	out := &protocol.UserExport{ExportedAt: s.Store.Now(), User: UserJSON(d.User),
		Chats: []protocol.ExportChat{}, Tickets: []protocol.ExportTicket{}, Mails: []protocol.ExportMail{}}
	for _, c := range d.Chats {
		out.Chats = append(out.Chats, exportChat(&c, d, files))
	}
	for _, t := range d.Tickets {
		fields := map[string]string{}
		for _, v := range d.TicketValues[t.ID] {
			fields[v.Name] = v.Value
		}
		out.Tickets = append(out.Tickets, protocol.ExportTicket{ID: t.ID, ChatID: t.ChatID, Summary: t.Summary,
			Details: t.Details, Status: t.Status, Fields: fields, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt})
	}
	for _, m := range d.Mails {
		out.Mails = append(out.Mails, protocol.ExportMail{ID: m.ID, Kind: m.Kind, ChatID: m.ChatID, TicketID: m.TicketID,
			Recipient: m.Recipient, Subject: m.Subject, Body: m.Body, Status: m.Status, CreatedAt: m.CreatedAt, SentAt: m.SentAt})
	}
	return out, d, nil
}

// UserJSON is a user as the admin API shows it.
func UserJSON(u *store.User) protocol.User {
	return protocol.User{ID: u.ID, Email: u.Email, ExternalID: u.ExternalID, Username: u.Username, FirstName: u.FirstName,
		LastName: u.LastName, Phone: u.Phone, HasPassword: u.PasswordHash != "", Disabled: u.Disabled,
		CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt}
}

func exportChat(c *store.Chat, d *store.UserData, files bool) protocol.ExportChat {
	ec := protocol.ExportChat{ID: c.ID, ProfileID: c.ProfileID, Context: c.Context, HostOrigin: c.HostOrigin,
		EmailHint: c.EmailHint, Status: c.Status, StartedAt: c.StartedAt, EndedAt: c.EndedAt, EndReason: c.EndReason,
		TicketID: c.TicketID, Fields: map[string]string{}, Messages: []protocol.ExportMessage{},
		Attachments: []protocol.ExportAttachment{}}
	for _, v := range d.Values[c.ID] {
		ec.Fields[v.Name] = v.Value
	}
	for _, m := range d.Messages[c.ID] {
		ec.Messages = append(ec.Messages, protocol.ExportMessage{Seq: m.Seq, Sender: m.Sender, Text: m.Text, CreatedAt: m.CreatedAt})
	}
	if r := d.Ratings[c.ID]; r != nil {
		ec.Rating = &protocol.ExportRating{Score: r.Score, Comment: r.Comment, CreatedAt: r.CreatedAt}
	}
	for _, a := range d.Attachments[c.ID] {
		ea := protocol.ExportAttachment{ID: a.ID, Seq: a.Seq, Sender: a.Sender, Name: a.Name, ContentType: a.ContentType,
			Size: a.Size, CreatedAt: a.CreatedAt}
		if files {
			ea.File = zipFilePath(&a)
		}
		ec.Attachments = append(ec.Attachments, ea)
	}
	return ec
}

// zipFilePath is where an attachment goes in the export's zip: under
// its id, so that two files of one name do not collide, then its name
// (cleaned when it was received) for the reader.
func zipFilePath(a *store.Attachment) string {
	return path.Join("files", a.ID, path.Base("/"+a.Name))
}

// ExportJSONName is the document's name in the export's zip.
const ExportJSONName = "user.json"

// WriteZip writes the export and its attachments' files to w as a zip,
// one file at a time (streamed: no file is held whole in memory).
func (s *Service) WriteZip(ctx context.Context, w io.Writer, doc *protocol.UserExport, d *store.UserData) error {
	zw := zip.NewWriter(w)
	f, err := zw.Create(ExportJSONName)
	if err != nil {
		return fmt.Errorf("zip the export: %w", err)
	}
	enc := json.NewEncoder(f)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("zip the export: %w", err)
	}
	for _, c := range d.Chats {
		for _, a := range d.Attachments[c.ID] {
			if err := s.zipAttachment(ctx, zw, &a); err != nil {
				return err
			}
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("zip the export: %w", err)
	}
	return nil
}

func (s *Service) zipAttachment(ctx context.Context, zw *zip.Writer, a *store.Attachment) error {
	var src io.Reader
	if a.InDir {
		if s.FilesDir == "" {
			return fmt.Errorf("attachment %s of chat %s is in a files directory, and the service has none (--files)", a.ID, a.ChatID)
		}
		f, err := os.Open(filepath.Join(s.FilesDir, a.ID))
		if err != nil {
			return fmt.Errorf("export attachment %s of chat %s: %w", a.ID, a.ChatID, err)
		}
		defer f.Close()
		src = f
	} else {
		src = s.Store.AttachmentContent(ctx, a)
	}
	dst, err := zw.CreateHeader(&zip.FileHeader{Name: zipFilePath(a), Method: zip.Deflate, Modified: a.CreatedAt})
	if err != nil {
		return fmt.Errorf("export attachment %s of chat %s: %w", a.ID, a.ChatID, err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		return fmt.Errorf("export attachment %s of chat %s: %w", a.ID, a.ChatID, err)
	}
	return nil
}
