package docker

import (
	"context"
	"errors"
	"fmt"
	"net"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/envhost/envhost/sdk"
	"github.com/moby/moby/client"
)

// errClass returns the sdk error class of an error from the Docker client,
// or nil when it has none.
func errClass(err error) error {
	var opErr *net.OpError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, context.Canceled), cerrdefs.IsCanceled(err):
		return sdk.ErrCanceled
	case errors.Is(err, context.DeadlineExceeded), cerrdefs.IsDeadlineExceeded(err):
		return sdk.ErrDeadlineExceeded
	case client.IsErrConnectionFailed(err), cerrdefs.IsUnavailable(err),
		errors.As(err, &opErr) && opErr.Op == "dial":
		return sdk.ErrUnavailable
	case cerrdefs.IsNotFound(err):
		return sdk.ErrNotFound
	case cerrdefs.IsConflict(err), cerrdefs.IsAlreadyExists(err):
		return sdk.ErrAlreadyExists
	case cerrdefs.IsInvalidArgument(err):
		return sdk.ErrInvalidArgument
	case cerrdefs.IsFailedPrecondition(err), cerrdefs.IsPermissionDenied(err):
		return sdk.ErrFailedPrecondition
	case cerrdefs.IsNotImplemented(err):
		return sdk.ErrUnimplemented
	}
	return nil
}

// wrap prefixes err with what failed and attaches its sdk class.
func wrap(err error, format string, args ...any) error {
	return wrapAs(errClass(err), err, format, args...)
}

// wrapAs prefixes err with what failed and attaches class (none when nil).
func wrapAs(class, err error, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if class == nil {
		return fmt.Errorf("%s: %w", msg, err)
	}
	return fmt.Errorf("%s: %w: %w", msg, class, err)
}

// ctxErr turns a context error into the matching sdk class.
func ctxErr(ctx context.Context, what string) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%s: %w", what, sdk.ErrDeadlineExceeded)
	}
	return fmt.Errorf("%s: %w", what, sdk.ErrCanceled)
}
