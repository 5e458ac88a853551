package sdk

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestStatusRoundTripKeepsClassAndMessage(t *testing.T) {
	for _, w := range wireClasses {
		t.Run(w.name, func(t *testing.T) {
			orig := fmt.Errorf("image %q: %w", "x", w.class)
			st := toStatus(orig)
			if got := status.Code(st); got != w.code {
				t.Errorf("code = %v, want %v", got, w.code)
			}
			back := fromStatus(context.Background(), nil, "op", st)
			if !errors.Is(back, w.class) {
				t.Errorf("errors.Is(%v, %v) = false", back, w.class)
			}
			if back.Error() != orig.Error() {
				t.Errorf("message = %q, want %q", back.Error(), orig.Error())
			}
		})
	}
}

func TestStatusContextErrors(t *testing.T) {
	for orig, want := range map[error]error{
		context.Canceled: ErrCanceled,
		fmt.Errorf("pull: %w", context.DeadlineExceeded): ErrDeadlineExceeded,
	} {
		back := fromStatus(context.Background(), nil, "op", toStatus(orig))
		if !errors.Is(back, want) || back.Error() != orig.Error() {
			t.Errorf("%v came back as %v (class %v), want class %v", orig, back, Class(back), want)
		}
	}
}

func TestStatusUnclassed(t *testing.T) {
	back := fromStatus(context.Background(), nil, "op", toStatus(errors.New("boom")))
	if Class(back) != nil || back.Error() != "boom" {
		t.Fatalf("got %q class %v, want \"boom\" with no class", back, Class(back))
	}
}

func TestStatusForeignServer(t *testing.T) {
	// A server that is not ours sends bare codes: the class still comes back.
	back := fromStatus(context.Background(), nil, "op", status.Error(codes.NotFound, "no such thing"))
	if !errors.Is(back, ErrNotFound) || back.Error() != "no such thing" {
		t.Fatalf("got %v", back)
	}
}

func TestStatusLocalCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	back := fromStatus(ctx, nil, "backend exec", status.Error(codes.Canceled, "context canceled"))
	if !errors.Is(back, ErrCanceled) || !errors.Is(back, context.Canceled) {
		t.Fatalf("got %v, want ErrCanceled and context.Canceled", back)
	}
}

func TestStatusPluginGone(t *testing.T) {
	done, cancel := context.WithCancel(context.Background())
	cancel()
	back := fromStatus(context.Background(), done, "backend info", status.Error(codes.Unavailable, "error reading from server: EOF"))
	if !errors.Is(back, ErrUnavailable) || back.Error() != "backend info: plugin exited" {
		t.Fatalf("got %q", back)
	}
}
