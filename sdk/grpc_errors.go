package sdk

import (
	"context"
	"errors"
	"fmt"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/envhost/envhost/sdk/backendpb"
)

// wireClass ties an error class to its gRPC code and its name on the wire.
type wireClass struct {
	class error
	code  codes.Code
	name  string
}

var wireClasses = []wireClass{
	{ErrNotFound, codes.NotFound, "not_found"},
	{ErrAlreadyExists, codes.AlreadyExists, "already_exists"},
	{ErrInvalidArgument, codes.InvalidArgument, "invalid_argument"},
	{ErrFailedPrecondition, codes.FailedPrecondition, "failed_precondition"},
	{ErrUnavailable, codes.Unavailable, "unavailable"},
	{ErrDeadlineExceeded, codes.DeadlineExceeded, "deadline_exceeded"},
	{ErrCanceled, codes.Canceled, "canceled"},
	{ErrUnimplemented, codes.Unimplemented, "unimplemented"},
}

// exitGrace is how long a client waits, after a transport failure, for the
// plugin process to be seen exiting before it reports the failure as is.
const exitGrace = 2 * time.Second

// errPluginExited is the cause of calls cut short because the plugin died.
var errPluginExited = WithClass(ErrUnavailable, "plugin exited")

// toStatus turns an error returned by a Backend into a gRPC status error that
// carries its class (as code and as an ErrorInfo detail) and its message.
func toStatus(err error) error {
	if err == nil {
		return nil
	}
	code, name := codes.Unknown, ""
	if c := Class(err); c != nil {
		for _, w := range wireClasses {
			if w.class == c {
				code, name = w.code, w.name
				break
			}
		}
	}
	st := status.New(code, err.Error())
	if d, derr := st.WithDetails(&backendpb.ErrorInfo{Class: name}); derr == nil {
		st = d
	}
	return st.Err()
}

// classOfCode returns the class for a gRPC code, or nil.
func classOfCode(c codes.Code) error {
	for _, w := range wireClasses {
		if w.code == c {
			return w.class
		}
	}
	return nil
}

// classOfName returns the class for its wire name, or nil.
func classOfName(name string) error {
	for _, w := range wireClasses {
		if w.name == name {
			return w.class
		}
	}
	return nil
}

// wireError is an error made on the client side: a local cancellation or a
// transport failure. It matches every error in errs with errors.Is.
type wireError struct {
	msg  string
	errs []error
}

func (e *wireError) Error() string   { return e.msg }
func (e *wireError) Unwrap() []error { return e.errs }

// ctxError reports that the caller's ctx ended the call: it matches
// ErrCanceled or ErrDeadlineExceeded and the context error itself.
func ctxError(ctx context.Context, op string) error {
	cerr := ctx.Err()
	class := ErrCanceled
	if errors.Is(cerr, context.DeadlineExceeded) {
		class = ErrDeadlineExceeded
	}
	return &wireError{msg: fmt.Sprintf("%s: %v", op, cerr), errs: []error{class, cerr}}
}

// fromStatus turns an error from a gRPC call back into a classed error.
// Errors the backend returned keep their message and class. A failure of
// the transport waits briefly for done (the plugin's lifetime) so that a
// crash is reported as the plugin exiting.
func fromStatus(ctx, done context.Context, op string, err error) error {
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return ctxError(ctx, op)
	}
	st, ok := status.FromError(err)
	if !ok {
		return fmt.Errorf("%s: %w", op, err)
	}
	for _, d := range st.Details() {
		if info, ok := d.(*backendpb.ErrorInfo); ok {
			class := classOfName(info.GetClass())
			if class == nil {
				class = classOfCode(st.Code())
			}
			return WithClass(class, st.Message())
		}
	}
	// No ErrorInfo: a transport failure, or a server that is not ours.
	switch st.Code() {
	case codes.Unavailable, codes.Canceled, codes.Internal:
		if done != nil {
			t := time.NewTimer(exitGrace)
			defer t.Stop()
			select {
			case <-done.Done():
				return &wireError{msg: fmt.Sprintf("%s: %v", op, errPluginExited), errs: []error{errPluginExited}}
			case <-t.C:
			}
		}
	}
	class := classOfCode(st.Code())
	switch st.Code() {
	case codes.Unavailable, codes.Canceled, codes.Internal:
		msg := fmt.Sprintf("%s: plugin connection: %s", op, st.Message())
		if class == nil {
			return &wireError{msg: msg, errs: []error{ErrUnavailable}}
		}
		return &wireError{msg: msg, errs: []error{class}}
	}
	if class == nil {
		return fmt.Errorf("%s: %s (%s)", op, st.Message(), st.Code())
	}
	return WithClass(class, st.Message())
}
