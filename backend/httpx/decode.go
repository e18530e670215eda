package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"strings"

	"halochat/app/protocol"
)

// ReadBody reads a JSON request body: JSON only (another Content-Type is
// unsupported_media: that keeps cross-site form posts out; a missing one
// is taken as JSON, as curl users often forget it), at most limit bytes
// (too_large, whatever the content). A refusal is a *protocol.APIError.
func ReadBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return nil, &protocol.APIError{Code: protocol.CodeUnsupportedMedia,
				Message: fmt.Sprintf("the body must be JSON (Content-Type: application/json), not %q", ct)}
		}
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
		return nil, &protocol.APIError{Code: protocol.CodeTooLarge, Message: fmt.Sprintf("the body is larger than %d bytes", limit)}
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return nil, invalid("", "the body did not arrive in time")
	}
	if err != nil {
		return nil, invalid("", "the body cannot be read: %v", err)
	}
	return data, nil
}

// ReadJSON decodes the request body (see ReadBody) into dst: one JSON
// value, no field dst does not have. A refusal is a *protocol.APIError
// whose message starts with the field at fault when there is one.
func ReadJSON(w http.ResponseWriter, r *http.Request, limit int64, dst any) error {
	data, err := ReadBody(w, r, limit)
	if err != nil {
		return err
	}
	return DecodeJSON(data, dst)
}

// DecodeJSON decodes data, a body ReadBody read, into dst as ReadJSON
// does: one JSON value, no field dst does not have; a refusal is a
// *protocol.APIError whose message starts with the field at fault.
func DecodeJSON(data []byte, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return invalid("", "the body holds more than one JSON value")
	}
	return nil
}

// DecodeBody is ReadJSON answering its refusal itself: false when it did.
func DecodeBody(w http.ResponseWriter, r *http.Request, limit int64, dst any) bool {
	if err := ReadJSON(w, r, limit, dst); err != nil {
		Fail(w, r, nil, err)
		return false
	}
	return true
}

// invalid is an invalid_request whose message starts with the field at
// fault, if any.
func invalid(field, format string, args ...any) *protocol.APIError {
	msg := fmt.Sprintf(format, args...)
	if field != "" {
		msg = field + ": " + msg
	}
	return &protocol.APIError{Code: protocol.CodeInvalidRequest, Message: msg}
}

// jsonError explains a decoding failure.
func jsonError(err error) error {
	var (
		se *json.SyntaxError
		te *json.UnmarshalTypeError
	)
	switch {
	case errors.Is(err, io.EOF):
		return invalid("", "the body is empty; a JSON document is expected")
	case errors.As(err, &se), errors.Is(err, io.ErrUnexpectedEOF):
		return invalid("", "the body is not valid JSON: %v", err)
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "(body)"
		}
		return invalid(field, "must be a JSON %s, not %s", jsonTypeName(te.Type.Kind().String()), te.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return invalid(strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`), "unknown field")
	}
	return invalid("", "the body cannot be read: %v", err)
}

func jsonTypeName(kind string) string {
	switch kind {
	case "slice", "array":
		return "array"
	case "map", "struct", "ptr":
		return "object"
	case "bool":
		return "boolean"
	case "string":
		return "string"
	}
	return "number"
}
