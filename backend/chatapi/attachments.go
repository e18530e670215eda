package chatapi

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"

	"halochat/app/protocol"
	"halochat/backend/attach"
	"halochat/backend/chats"
	"halochat/backend/filelink"
	"halochat/backend/httpx"
	"halochat/backend/store"
)

// multipartOverhead is what a multipart body may hold beside its file
// (boundaries, part headers, other small fields).
const multipartOverhead = 64 << 10

// mountAttachments adds the visitor's attachment routes (the resume
// secret proves the chat); mountAgentAttachments the agents' and API
// clients'.
func (h *Handler) mountAttachments(mux *http.ServeMux) {
	mux.HandleFunc("POST /chat/api/v1/chats/{id}/attachments", h.visitorUpload)
	mux.HandleFunc("GET /chat/api/v1/chats/{id}/attachments/{file}", h.visitorDownload)
	mux.HandleFunc(filelink.Pattern, h.linkDownload)
}

func (h *Handler) mountAgentAttachments(mux *http.ServeMux) {
	mux.Handle("POST /api/Chat/{id}/attachments", h.cfg.RequireAgent(http.HandlerFunc(h.agentUpload)))
	mux.Handle("GET /api/Chat/{id}/attachments/{file}", h.cfg.RequireAgentOr(store.PermChatsRead, http.HandlerFunc(h.agentDownload)))
}

// visitorUpload serves POST /chat/api/v1/chats/{id}/attachments: the
// visitor's file (multipart/form-data, field "file") into their chat.
func (h *Handler) visitorUpload(w http.ResponseWriter, r *http.Request) {
	if !httpx.SameOrigin(r, h.cfg.PublicOrigin) {
		h.fail(w, r, &protocol.APIError{Code: protocol.CodeOriginNotAllowed,
			Message: "attachments must come from the chat service's own origin (the widget)"})
		return
	}
	c, err := h.cfg.Chats.Verify(r.Context(), r.PathValue("id"), r.Header.Get(protocol.HeaderResumeSecret))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.upload(w, r, c, nil)
}

// agentUpload serves POST /api/Chat/{id}/attachments: an agent's file
// into a live chat the agent holds.
func (h *Handler) agentUpload(w http.ResponseWriter, r *http.Request) {
	a := h.cfg.AgentFrom(r.Context())
	c, err := h.cfg.Chats.AgentChat(r.Context(), r.PathValue("id"), a)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.upload(w, r, c, a)
}

// upload receives the request's file into chat c, as agent a's (nil:
// the visitor's), and answers 201 with the attachment.
func (h *Handler) upload(w http.ResponseWriter, r *http.Request, c *store.Chat, a *store.Agent) {
	lim, err := h.cfg.Chats.AttachmentLimits(r.Context(), c)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	// A file may come as slowly as httpx.UploadRate on average (each
	// read still within the idle deadline); then no more than the limit.
	httpx.LongBody(r, lim.Limit())
	r.Body = http.MaxBytesReader(w, r.Body, lim.Limit()+multipartOverhead)
	part, err := filePart(r)
	if err == nil {
		var out *protocol.Attachment
		out, err = h.cfg.Chats.Attach(r.Context(), c, a, part.FileName(), part)
		if err == nil {
			httpx.WriteJSON(w, http.StatusCreated, out)
			return
		}
	}
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		err = attach.TooLarge(chats.RefusalLang(c, a), lim.Limit())
	}
	// Read what is left of a refused body (bounded by MaxBytesReader):
	// a browser still sending it would see its connection reset, not
	// the refusal.
	_, _ = io.Copy(io.Discard, r.Body)
	h.fail(w, r, err)
}

// filePart returns the part of r's multipart/form-data body named
// "file", skipping others.
func filePart(r *http.Request) (*multipart.Part, error) {
	ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || ct != "multipart/form-data" {
		return nil, &protocol.APIError{Code: protocol.CodeUnsupportedMedia, Field: "Content-Type",
			Message: "Content-Type: send the file as multipart/form-data, in the field \"file\""}
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, &protocol.APIError{Code: protocol.CodeInvalidRequest, Field: "file", Message: "file: " + err.Error()}
	}
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil, &protocol.APIError{Code: protocol.CodeInvalidRequest, Field: "file",
				Message: "file: the multipart body has no field \"file\""}
		}
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, err
		}
		if err != nil {
			return nil, &protocol.APIError{Code: protocol.CodeInvalidRequest, Field: "file", Message: "file: " + err.Error()}
		}
		if p.FormName() == "file" {
			return p, nil
		}
	}
}

// visitorDownload serves GET /chat/api/v1/chats/{id}/attachments/{file}
// to the chat's visitor (X-Resume-Secret).
func (h *Handler) visitorDownload(w http.ResponseWriter, r *http.Request) {
	c, err := h.cfg.Chats.Verify(r.Context(), r.PathValue("id"), r.Header.Get(protocol.HeaderResumeSecret))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.download(w, r, c)
}

// agentDownload serves GET /api/Chat/{id}/attachments/{file} to the
// agents who may read the chat and API clients with chats:read.
func (h *Handler) agentDownload(w http.ResponseWriter, r *http.Request) {
	c, err := h.cfg.Chats.ChatFor(r.Context(), r.PathValue("id"), h.reader(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.download(w, r, c)
}

// linkDownload serves a transcript mail's link to an attachment
// (filelink): no secret and no login, the link's signature proves the
// right to the file until it expires. 403 for a link the service did not
// make, 410 for an expired one or a file deleted since.
func (h *Handler) linkDownload(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	a, body, err := h.cfg.Chats.LinkedAttachment(r.Context(), r.PathValue("chat"), r.PathValue("file"), q.Get("expires"), q.Get("sig"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	defer body.Close()
	// A link is a bearer secret in a URL: keep it out of caches and
	// out of the Referer of anything the file links to.
	w.Header().Set("Referrer-Policy", "no-referrer")
	h.send(w, a, body, "no-store")
}

// download sends attachment {file} of chat c.
func (h *Handler) download(w http.ResponseWriter, r *http.Request, c *store.Chat) {
	a, body, err := h.cfg.Chats.AttachmentFile(r.Context(), c, r.PathValue("file"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	defer body.Close()
	h.send(w, a, body, "private, max-age=3600")
}

// send sends attachment a's bytes from body. Whatever its bytes, the
// browser never runs it as a page: the type stored is one Sniff found in
// an accepted kind, nosniff keeps the browser to it, the sandbox CSP
// gives a document opened anyway no script and no origin, and all but
// raster images are downloads (Content-Disposition: attachment).
func (h *Handler) send(w http.ResponseWriter, a *store.Attachment, body io.Reader, cacheControl string) {
	disposition := "attachment"
	if attach.Inline(a.ContentType) {
		disposition = "inline"
	}
	hd := w.Header()
	hd.Set("Content-Type", a.ContentType)
	hd.Set("Content-Length", strconv.FormatInt(a.Size, 10))
	hd.Set("Content-Disposition", mime.FormatMediaType(disposition, map[string]string{"filename": a.Name}))
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Content-Security-Policy", "sandbox; default-src 'none'; frame-ancestors 'none'")
	hd.Set("Cross-Origin-Resource-Policy", "same-origin")
	hd.Set("Cache-Control", cacheControl)
	w.WriteHeader(http.StatusOK)
	if _, err := io.Copy(w, body); err != nil {
		h.cfg.Logger.Warn("send an attachment", "chat", a.ChatID, "attachment", a.ID, "err", fmt.Sprint(err))
	}
}
