package pluginhost_test

import (
	"io"
	"testing"

	"github.com/envhost/envhost/core/pluginhost"
	"github.com/envhost/envhost/sdk"
)

// BenchmarkPluginExecRoundTrip measures one Exec through a real plugin
// process (the fake backend), i.e. the transport's share of a command.
func BenchmarkPluginExecRoundTrip(b *testing.B) {
	p, err := pluginhost.Launch(b.Context(), "test", pluginhost.Options{
		Dirs: []string{pluginDir}, Env: []string{"TESTPLUGIN_ROOT=" + b.TempDir()},
	})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	c, err := p.Create(b.Context(), sdk.Spec{Image: "present:1"})
	if err != nil {
		b.Fatal(err)
	}
	spec := sdk.ExecSpec{ContainerID: c.ID, Cmd: []string{"echo", "hi"}}
	for b.Loop() {
		if _, err := p.Exec(b.Context(), spec, sdk.ExecIO{Stdout: io.Discard}); err != nil {
			b.Fatal(err)
		}
	}
}
