package httpapi

import (
	"encoding/base64"
	"net/http"
	"unicode/utf8"
)

// File content encodings in read_file / write_file bodies.
const (
	EncodingUTF8   = "utf-8"
	EncodingBase64 = "base64"
)

func badRequest(msg string) error {
	return newAPIError(http.StatusBadRequest, ClassInvalidArgument, msg)
}

func (s *Server) communicate(w http.ResponseWriter, r *http.Request, _ string, e Env) (result, error) {
	var req CommunicateRequest
	if err := decodeBody(w, r, MaxBodyBytes, &req, false); err != nil {
		return result{}, err
	}
	if req.Command == "" {
		return result{}, badRequest("command: required")
	}
	switch req.Check {
	case "", "ignore", "warn", "raise":
	default:
		return result{}, badRequest("check: want ignore, warn or raise")
	}
	if req.Timeout < 0 {
		return result{}, badRequest("timeout: must not be negative")
	}
	out, err := e.Communicate(r.Context(), req)
	if err != nil {
		return result{}, err
	}
	return result{http.StatusOK, out}, nil
}

func (s *Server) execute(w http.ResponseWriter, r *http.Request, _ string, e Env) (result, error) {
	var req ExecuteRequest
	if err := decodeBody(w, r, MaxBodyBytes, &req, false); err != nil {
		return result{}, err
	}
	if (len(req.Command) == 0) == (req.Shell == "") {
		return result{}, badRequest("set one of command (an argv array) or shell (a bash script)")
	}
	if req.Timeout < 0 {
		return result{}, badRequest("timeout: must not be negative")
	}
	out, err := e.Execute(r.Context(), req)
	if err != nil {
		return result{}, err
	}
	return result{http.StatusOK, out}, nil
}

// ReadFileRequest is the body of POST .../read_file.
type ReadFileRequest struct {
	Path     string `json:"path"`
	Encoding string `json:"encoding,omitempty"` // utf-8 (default) or base64
}

// FileContent is the answer of read_file and the body of write_file.
// Content that is not valid UTF-8 is always sent base64-encoded.
type FileContent struct {
	Path     string `json:"path"`
	Content  string `json:"content"`
	Encoding string `json:"encoding,omitempty"`
}

// WriteFileResponse is the answer of POST .../write_file.
type WriteFileResponse struct {
	Path  string `json:"path"`
	Bytes int    `json:"bytes"`
}

func (s *Server) readFile(w http.ResponseWriter, r *http.Request, _ string, e Env) (result, error) {
	var req ReadFileRequest
	if err := decodeBody(w, r, MaxBodyBytes, &req, false); err != nil {
		return result{}, err
	}
	if req.Path == "" {
		return result{}, badRequest("path: required")
	}
	if req.Encoding != "" && req.Encoding != EncodingUTF8 && req.Encoding != EncodingBase64 {
		return result{}, badRequest("encoding: want utf-8 or base64")
	}
	data, err := e.ReadFile(r.Context(), req.Path)
	if err != nil {
		return result{}, err
	}
	out := FileContent{Path: req.Path, Encoding: EncodingUTF8, Content: string(data)}
	if req.Encoding == EncodingBase64 || !utf8.Valid(data) {
		out.Encoding = EncodingBase64
		out.Content = base64.StdEncoding.EncodeToString(data)
	}
	return result{http.StatusOK, out}, nil
}

func (s *Server) writeFile(w http.ResponseWriter, r *http.Request, _ string, e Env) (result, error) {
	var req FileContent
	if err := decodeBody(w, r, MaxWriteFileBodyBytes, &req, false); err != nil {
		return result{}, err
	}
	if req.Path == "" {
		return result{}, badRequest("path: required")
	}
	data := []byte(req.Content)
	switch req.Encoding {
	case "", EncodingUTF8:
	case EncodingBase64:
		var err error
		if data, err = base64.StdEncoding.DecodeString(req.Content); err != nil {
			return result{}, badRequest("content: invalid base64: " + err.Error())
		}
	default:
		return result{}, badRequest("encoding: want utf-8 or base64")
	}
	if err := e.WriteFile(r.Context(), req.Path, data); err != nil {
		return result{}, err
	}
	return result{http.StatusOK, WriteFileResponse{Path: req.Path, Bytes: len(data)}}, nil
}

// SetEnvRequest is the body of POST .../set_env_variables.
type SetEnvRequest struct {
	Variables map[string]string `json:"variables"`
}

func (s *Server) setEnvVariables(w http.ResponseWriter, r *http.Request, _ string, e Env) (result, error) {
	var req SetEnvRequest
	if err := decodeBody(w, r, MaxBodyBytes, &req, false); err != nil {
		return result{}, err
	}
	if len(req.Variables) == 0 {
		return result{}, badRequest("variables: required (an object of name: value)")
	}
	if err := e.SetEnvVariables(r.Context(), req.Variables); err != nil {
		return result{}, err
	}
	return result{status: http.StatusNoContent}, nil
}

// InterruptRequest is the (optional) body of POST .../interrupt.
type InterruptRequest struct {
	Session string `json:"session,omitempty"`
}

func (s *Server) interrupt(w http.ResponseWriter, r *http.Request, _ string, e Env) (result, error) {
	var req InterruptRequest
	if err := decodeBody(w, r, MaxBodyBytes, &req, true); err != nil {
		return result{}, err
	}
	if err := e.Interrupt(r.Context(), req.Session); err != nil {
		return result{}, err
	}
	return result{status: http.StatusNoContent}, nil
}
