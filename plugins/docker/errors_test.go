package docker

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/envhost/envhost/sdk"
)

func TestErrClass(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want error
	}{
		{cerrdefs.ErrNotFound.WithMessage("No such container: x"), sdk.ErrNotFound},
		{cerrdefs.ErrConflict, sdk.ErrAlreadyExists},
		{cerrdefs.ErrInvalidArgument, sdk.ErrInvalidArgument},
		{cerrdefs.ErrUnavailable, sdk.ErrUnavailable},
		{cerrdefs.ErrNotImplemented, sdk.ErrUnimplemented},
		{fmt.Errorf("x: %w", context.Canceled), sdk.ErrCanceled},
		{context.DeadlineExceeded, sdk.ErrDeadlineExceeded},
		{fmt.Errorf("cannot connect: %w", &net.OpError{Op: "dial", Err: errors.New("connection refused")}), sdk.ErrUnavailable},
		{errors.New("something else"), nil},
	} {
		if got := errClass(tc.err); got != tc.want {
			t.Errorf("errClass(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
	err := wrap(cerrdefs.ErrNotFound.WithMessage("No such image: img:1"), "create from %q", "img:1")
	if !errors.Is(err, sdk.ErrNotFound) || !errors.Is(err, cerrdefs.ErrNotFound) {
		t.Errorf("wrap lost a class: %v", err)
	}
}

func TestPullClass(t *testing.T) {
	if c := pullClass(nil, "manifest for x:1 not found: manifest unknown"); c != sdk.ErrNotFound {
		t.Errorf("missing manifest: %v", c)
	}
	if c := pullClass(nil, "Get https://registry-1.docker.io/v2/: dial tcp: lookup registry-1.docker.io: no such host"); c != sdk.ErrUnavailable {
		t.Errorf("registry down: %v", c)
	}
}
