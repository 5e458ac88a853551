package podman_test

import (
	"context"
	"testing"

	"github.com/containers/podman/v4/pkg/bindings"
	"github.com/containers/podman/v4/pkg/bindings/containers"

	"github.com/envhost/envhost/internal/enginetest"
	"github.com/envhost/envhost/internal/testenv"
)

// TestPluginCrashMidExec kills the plugin process while an Exec is
// blocked in it: the Exec and every later call fail at once with an
// ErrUnavailable error naming the plugin, and after Relaunch the host can
// still remove the container, so nothing leaks in the engine.
func TestPluginCrashMidExec(t *testing.T) {
	host := testenv.ContainerHost(t)
	p := launchPlugin(t, host)
	conn := crashEngine(t, host)
	// The bindings calls take conn as their context.
	enginetest.PluginCrashMidExec(t, p, enginetest.Engine{
		RemoveContainer: func(_ context.Context, id string) {
			_, _ = containers.Remove(conn, id, new(containers.RemoveOptions).WithForce(true).WithIgnore(true).WithTimeout(0))
		},
		ListContainers: func(_ context.Context, label string) ([]enginetest.Container, error) {
			list, err := containers.List(conn, new(containers.ListOptions).WithAll(true).
				WithFilters(map[string][]string{"label": {label}}))
			if err != nil {
				return nil, err
			}
			var cs []enginetest.Container
			for _, s := range list {
				cs = append(cs, enginetest.Container{ID: s.ID, State: s.State})
			}
			return cs, nil
		},
	})
}

// crashEngine is a bindings connection to the engine, independent of the
// plugin: the context the bindings calls take.
func crashEngine(t *testing.T, host string) context.Context {
	t.Helper()
	conn, err := bindings.NewConnection(context.Background(), host)
	if err != nil {
		t.Fatalf("engine: connect to %s: %v", host, err)
	}
	return conn
}
