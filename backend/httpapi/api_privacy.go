package httpapi

import (
	"errors"
	"fmt"
	"net/http"

	"halochat/backend/store"
)

// exportUser answers GET /api/User/{id}/export: the user's data as JSON,
// or with ?files=1 a zip of it and the attachments' files.
func (a *IdentityAPI) exportUser(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var files bool
	switch v := r.URL.Query().Get("files"); v {
	case "", "0", "false":
	case "1", "true":
		files = true
	default:
		return apiInvalid("files", "must be 1 or 0, not %q", v)
	}
	doc, data, err := a.Privacy.Export(r.Context(), id, files)
	if errors.Is(err, store.ErrNotFound) {
		return apiNotFound("no user with id %d", id)
	}
	if err != nil {
		return err
	}
	if !files {
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="user-%d.json"`, id))
		return writeOK(w, http.StatusOK, doc)
	}
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="user-%d.zip"`, id))
	w.WriteHeader(http.StatusOK)
	if err := a.Privacy.WriteZip(r.Context(), w, doc, data); err != nil {
		// The status is sent: the zip is cut short (no central directory),
		// which a reader sees.
		a.Logger.Error("export user: write the zip", "user", id, "err", err)
	}
	return nil
}

// eraseUser answers POST /api/User/{id}/erase with what was removed.
func (a *IdentityAPI) eraseUser(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	erased, err := a.Privacy.Erase(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return apiNotFound("no user with id %d", id)
	}
	if erased == nil {
		return err
	}
	if err != nil {
		// The database's part is committed: the answer says what was
		// removed, the log which files were left behind.
		a.Logger.Error("erase user: remove files", "user", id, "err", err)
	}
	return writeOK(w, http.StatusOK, erased)
}
