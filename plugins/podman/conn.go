package podman

import (
	"context"
	"fmt"
	"io"
	"net/url"

	"github.com/containers/podman/v4/pkg/bindings"
)

// callCtx is a context whose cancellation and deadline are the caller's and
// whose values (the bindings connection) come from a connection context. The
// bindings keep their connection in a context value; this lets one long-lived
// connection serve calls with short-lived contexts.
type callCtx struct {
	context.Context                 // the caller's: Done, Err, Deadline
	conn            context.Context // the connection's values
}

func (c callCtx) Value(key any) any {
	if v := c.conn.Value(key); v != nil {
		return v
	}
	return c.Context.Value(key)
}

// conn returns a context for one bindings call: ctx's lifetime, the shared
// connection. It connects on first use (and again after a failed attempt).
func (b *Backend) conn(ctx context.Context) (context.Context, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.base == nil {
		base, err := b.dial(ctx)
		if err != nil {
			return nil, err
		}
		b.base = base
		b.kill = newKiller(b.uri, base, b.log)
		b.log.Debug("connected", "uri", b.uri, "service_version", bindings.ServiceVersion(base).String(), "exec_kill", b.kill.name())
	}
	return callCtx{Context: ctx, conn: b.base}, nil
}

// do sends one raw API request on the shared connection.
func (b *Backend) do(ctx context.Context, body io.Reader, method, endpoint string, params url.Values, pathValues ...string) (*bindings.APIResponse, error) {
	cctx, err := b.conn(ctx)
	if err != nil {
		return nil, err
	}
	conn, err := bindings.GetClient(cctx)
	if err != nil {
		return nil, fmt.Errorf("podman: %w", err)
	}
	return conn.DoRequest(cctx, body, method, endpoint, params, nil, pathValues...)
}

// killer returns how cancelled execs are killed (after a successful conn).
func (b *Backend) killer() killer {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.kill
}

// attachConn returns a context holding a new connection of its own, for one
// exec attach: containers.ExecStartAndAttach replaces the transport of the
// connection it is given, so attaches sharing a connection race. release
// closes the connection's idle sockets.
func (b *Backend) attachConn(ctx context.Context) (cctx context.Context, release func(), err error) {
	c, err := b.dial(ctx)
	if err != nil {
		return nil, nil, err
	}
	conn, err := bindings.GetClient(c)
	if err != nil {
		return nil, nil, fmt.Errorf("podman: %w", err)
	}
	orig := conn.Client.Transport
	release = func() {
		type idleCloser interface{ CloseIdleConnections() }
		if t, ok := orig.(idleCloser); ok {
			t.CloseIdleConnections()
		}
		conn.Client.CloseIdleConnections()
	}
	return callCtx{Context: ctx, conn: c}, release, nil
}

// dial opens a bindings connection and pings the service, bounded by ctx.
// The returned context is used only for its values (see callCtx).
func (b *Backend) dial(ctx context.Context) (context.Context, error) {
	if b.noEngine != nil {
		return nil, b.noEngine
	}
	c, err := bindings.NewConnectionWithIdentity(valuesless{ctx}, b.uri, b.identity, false)
	if err != nil {
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return nil, classify(err, "podman: connect to %s", b.uri)
	}
	return c, nil
}

// valuesless has ctx's lifetime and no values, so a connection context built
// on it carries the bindings' values only.
type valuesless struct{ context.Context }

func (valuesless) Value(any) any { return nil }
