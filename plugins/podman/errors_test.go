package podman

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/containers/podman/v4/pkg/bindings"
	"github.com/containers/podman/v4/pkg/errorhandling"

	"github.com/envhost/envhost/sdk"
)

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func TestClassify(t *testing.T) {
	model := func(code int, msg string) error {
		return &errorhandling.ErrorModel{ResponseCode: code, Message: msg}
	}
	dialErr := &net.OpError{Op: "dial", Net: "unix", Err: &os.SyscallError{Syscall: "connect", Err: syscall.ECONNREFUSED}}
	for _, tc := range []struct {
		err  error
		want error
	}{
		{model(404, "no container with name or ID \"x\" found: no such container"), sdk.ErrNotFound},
		{model(404, "whatever"), sdk.ErrNotFound},
		{model(409, "container state improper"), sdk.ErrFailedPrecondition},
		{model(500, `creating container storage: the container name "n" is already in use by abc`), sdk.ErrAlreadyExists},
		{model(500, "localhost/x:1: image not known"), sdk.ErrNotFound},
		{model(400, "bad parameter"), sdk.ErrInvalidArgument},
		{bindings.ConnectError{Err: dialErr}, sdk.ErrUnavailable},
		{fmt.Errorf("post: %w", dialErr), sdk.ErrUnavailable},
		{context.Canceled, sdk.ErrCanceled},
		{fmt.Errorf("x: %w", context.DeadlineExceeded), sdk.ErrDeadlineExceeded},
		{errors.New("something else"), nil},
	} {
		got := classify(tc.err, "podman: thing %q", "name")
		if tc.want == nil {
			if c := sdk.Class(got); c != nil {
				t.Errorf("classify(%v) has class %v, want none", tc.err, c)
			}
		} else if !errors.Is(got, tc.want) {
			t.Errorf("classify(%v) = %v (class %v), want class %v", tc.err, got, sdk.Class(got), tc.want)
		}
		if !contains(got.Error(), `thing "name"`) || !contains(got.Error(), tc.err.Error()) {
			t.Errorf("classify(%v) = %q: want the context and the cause", tc.err, got)
		}
		if !errors.Is(got, tc.err) {
			t.Errorf("classify(%v) does not wrap the cause", tc.err)
		}
	}
	if classify(nil, "x") != nil {
		t.Error("classify(nil) != nil")
	}
}
