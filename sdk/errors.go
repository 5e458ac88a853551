package sdk

import (
	"context"
	"errors"
	"fmt"
)

// Error classes. Backends wrap them (fmt.Errorf("image %q: %w", ref,
// sdk.ErrNotFound)); they cross the plugin boundary as gRPC status codes and
// come back as errors that match with errors.Is.
var (
	ErrNotFound           = errors.New("not found")
	ErrAlreadyExists      = errors.New("already exists")
	ErrInvalidArgument    = errors.New("invalid argument")
	ErrFailedPrecondition = errors.New("failed precondition")
	ErrUnavailable        = errors.New("unavailable")
	ErrDeadlineExceeded   = errors.New("deadline exceeded")
	ErrCanceled           = errors.New("canceled")
	ErrUnimplemented      = errors.New("unimplemented")
)

// classes lists the error classes in the order they are tried.
var classes = []error{
	ErrNotFound, ErrAlreadyExists, ErrInvalidArgument, ErrFailedPrecondition,
	ErrUnavailable, ErrDeadlineExceeded, ErrCanceled, ErrUnimplemented,
}

// Class returns the error class of err (one of the Err* values), or nil when
// err carries none. context.Canceled and context.DeadlineExceeded count as
// ErrCanceled and ErrDeadlineExceeded.
func Class(err error) error {
	for _, c := range classes {
		if errors.Is(err, c) {
			return c
		}
	}
	switch {
	case errors.Is(err, context.Canceled):
		return ErrCanceled
	case errors.Is(err, context.DeadlineExceeded):
		return ErrDeadlineExceeded
	}
	return nil
}

// classError is an error received over the wire: its message as the remote
// side wrote it, and its class for errors.Is.
type classError struct {
	class error
	msg   string
}

func (e *classError) Error() string { return e.msg }
func (e *classError) Unwrap() error { return e.class }

// WithClass returns an error with message msg that matches class with errors.Is.
func WithClass(class error, msg string) error {
	if class == nil {
		return errors.New(msg)
	}
	return &classError{class: class, msg: msg}
}

// Errorf formats an error of the given class.
func Errorf(class error, format string, args ...any) error {
	return WithClass(class, fmt.Sprintf(format, args...))
}
