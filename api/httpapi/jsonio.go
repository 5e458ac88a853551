package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Request body limits.
const (
	// MaxBodyBytes bounds every request body but write_file's.
	MaxBodyBytes = 1 << 20
	// MaxWriteFileBodyBytes bounds a write_file body (the content travels
	// inside JSON, base64 when binary, so a little more than the file).
	MaxWriteFileBodyBytes = 64 << 20
)

// decodeBody reads r's JSON body into v, refusing bodies over limit bytes,
// unknown fields and trailing data. An empty body leaves v as it is when
// allowEmpty.
func decodeBody(w http.ResponseWriter, r *http.Request, limit int64, v any, allowEmpty bool) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return newAPIError(http.StatusUnsupportedMediaType, ClassInvalidArgument,
			fmt.Sprintf("content type %q: want application/json", ct))
	}
	body := http.MaxBytesReader(w, r.Body, limit)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			return newAPIError(http.StatusRequestEntityTooLarge, ClassTooLarge,
				fmt.Sprintf("request body over %d bytes", limit))
		case errors.Is(err, io.EOF) && allowEmpty:
			return nil
		case errors.Is(err, io.EOF):
			return newAPIError(http.StatusBadRequest, ClassInvalidArgument, "request body: empty, want a JSON object")
		}
		return newAPIError(http.StatusBadRequest, ClassInvalidArgument, fmt.Sprintf("request body: %v", err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return newAPIError(http.StatusRequestEntityTooLarge, ClassTooLarge,
				fmt.Sprintf("request body over %d bytes", limit))
		}
		return newAPIError(http.StatusBadRequest, ClassInvalidArgument, "request body: trailing data after the JSON object")
	}
	return nil
}

// writeJSON writes v as the JSON response with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	_ = enc.Encode(v)
}
