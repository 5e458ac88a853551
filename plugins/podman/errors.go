package podman

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"

	"github.com/containers/podman/v4/pkg/bindings"
	"github.com/containers/podman/v4/pkg/errorhandling"

	"github.com/envhost/envhost/sdk"
)

// classedError carries an sdk error class, the message to show and the
// engine's error.
type classedError struct {
	class error
	msg   string
	cause error
}

func (e *classedError) Error() string   { return e.msg }
func (e *classedError) Unwrap() []error { return []error{e.class, e.cause} }

// classify wraps err with the context given by format and args (naming the
// container or image) and the sdk error class it belongs to.
func classify(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	what := fmt.Sprintf(format, args...)
	class := classOf(err)
	if class == nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if errors.Is(err, class) {
		return fmt.Errorf("%s: %w", what, err)
	}
	return &classedError{class: class, msg: what + ": " + err.Error(), cause: err}
}

// classOf returns the sdk class of an error from the bindings, or nil.
func classOf(err error) error {
	switch {
	case errors.Is(err, context.Canceled):
		return sdk.ErrCanceled
	case errors.Is(err, context.DeadlineExceeded):
		return sdk.ErrDeadlineExceeded
	}
	if c := sdk.Class(err); c != nil {
		return c
	}
	if code, ok := responseCode(err); ok {
		if c := classOfCode(code, err.Error()); c != nil {
			return c
		}
	}
	if isConnError(err) {
		return sdk.ErrUnavailable
	}
	return classOfMessage(err.Error())
}

// responseCode returns the HTTP status of an engine error response.
func responseCode(err error) (int, bool) {
	var pm *errorhandling.ErrorModel
	if errors.As(err, &pm) && pm != nil {
		return pm.ResponseCode, true
	}
	var m errorhandling.ErrorModel
	if errors.As(err, &m) {
		return m.ResponseCode, true
	}
	var sc *statusError
	if errors.As(err, &sc) {
		return sc.code, true
	}
	return 0, false
}

func classOfCode(code int, msg string) error {
	switch code {
	case http.StatusNotFound:
		return sdk.ErrNotFound
	case http.StatusConflict:
		if c := classOfMessage(msg); c == sdk.ErrAlreadyExists {
			return c
		}
		return sdk.ErrFailedPrecondition
	case http.StatusBadRequest:
		return sdk.ErrInvalidArgument
	case http.StatusNotImplemented:
		return sdk.ErrUnimplemented
	case http.StatusServiceUnavailable, http.StatusBadGateway, http.StatusGatewayTimeout:
		return sdk.ErrUnavailable
	}
	return classOfMessage(msg)
}

// classOfMessage classifies by the engine's message, for the errors Podman
// reports with a generic status (500) or none.
func classOfMessage(msg string) error {
	m := strings.ToLower(msg)
	has := func(subs ...string) bool {
		for _, s := range subs {
			if strings.Contains(m, s) {
				return true
			}
		}
		return false
	}
	switch {
	case has("already in use", "already exists"):
		return sdk.ErrAlreadyExists
	case has("no such container", "no such image", "image not known", "no such exec", "no such object",
		"manifest unknown", "name unknown", "requested access to the resource is denied",
		"no such file or directory", "does not exist"):
		return sdk.ErrNotFound
	case has("container state improper", "is not running", "can only create exec sessions on running containers"):
		return sdk.ErrFailedPrecondition
	case has("invalid reference format", "invalid argument", "unknown capability", "invalid ulimit"):
		return sdk.ErrInvalidArgument
	case has("connection refused", "no route to host", "i/o timeout", "no such host", "network is unreachable"):
		return sdk.ErrUnavailable
	}
	return nil
}

// isConnError reports whether err is a failure to reach the engine.
func isConnError(err error) bool {
	var ce bindings.ConnectError
	if errors.As(err, &ce) {
		return true
	}
	var pce *bindings.ConnectError
	if errors.As(err, &pce) {
		return true
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, io.ErrUnexpectedEOF)
}

// statusError is a bare HTTP status from the engine (some bindings calls
// drop the response body).
type statusError struct {
	code   int
	status string
}

func (e *statusError) Error() string { return e.status }

// notFound returns an sdk.ErrNotFound error with a formatted message.
func notFound(format string, args ...any) error {
	return sdk.Errorf(sdk.ErrNotFound, format, args...)
}

// invalid returns an sdk.ErrInvalidArgument error with a formatted message.
func invalid(format string, args ...any) error {
	return sdk.Errorf(sdk.ErrInvalidArgument, format, args...)
}
