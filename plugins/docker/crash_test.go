package docker_test

import (
	"context"
	"testing"

	"github.com/moby/moby/client"

	"github.com/envhost/envhost/core/pluginhost"
	"github.com/envhost/envhost/internal/enginetest"
	"github.com/envhost/envhost/internal/testenv"
)

// TestPluginCrashMidExec kills the plugin process while an Exec is
// blocked in it: the Exec and every later call fail at once with an
// ErrUnavailable error naming the plugin, and after Relaunch the host can
// still remove the container, so nothing leaks in the engine.
func TestPluginCrashMidExec(t *testing.T) {
	host := testenv.DockerHost(t)
	p := launchPlugin(t).(*pluginhost.Plugin)
	cli := crashEngine(t, host)
	enginetest.PluginCrashMidExec(t, p, enginetest.Engine{
		RemoveContainer: func(ctx context.Context, id string) {
			_, _ = cli.ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: true})
		},
		ListContainers: func(ctx context.Context, label string) ([]enginetest.Container, error) {
			list, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: make(client.Filters).Add("label", label)})
			if err != nil {
				return nil, err
			}
			var cs []enginetest.Container
			for _, s := range list.Items {
				cs = append(cs, enginetest.Container{ID: s.ID, State: string(s.State)})
			}
			return cs, nil
		},
	})
}

// crashEngine is a bare engine client, independent of the plugin.
func crashEngine(t *testing.T, host string) *client.Client {
	t.Helper()
	cli, err := client.New(client.FromEnv, client.WithHost(host))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cli.Close() })
	return cli
}
