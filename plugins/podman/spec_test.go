package podman

import (
	"errors"
	"testing"

	"github.com/containers/podman/v4/pkg/specgen"

	"github.com/envhost/envhost/sdk"
)

func TestToSpecGen(t *testing.T) {
	s, err := toSpecGen(sdk.Spec{
		Image:      "envhost/python:3.11",
		Name:       "n1",
		Env:        map[string]string{"A": "1"},
		WorkingDir: "/w",
		User:       "1000:1000",
		Labels:     map[string]string{"x": "y", sdk.LabelManaged: "false"},
		Resources:  sdk.Resources{MemoryBytes: 256 << 20, NanoCPUs: 1_500_000_000, ShmSizeBytes: 64 << 20},
		Platform:   "linux/arm64/v8",
		Mounts: []sdk.Mount{
			{Source: "/host", Target: "/c", ReadOnly: true},
			{Type: "volume", Source: "vol", Target: "/v"},
			{Type: "tmpfs", Target: "/t"},
		},
		Network: "none",
		CapAdd:  []string{"NET_ADMIN"},
		Ulimits: []sdk.Ulimit{{Name: "nofile", Soft: 1024, Hard: 2048}, {Name: "RLIMIT_NPROC", Soft: 10, Hard: 10}},
		Options: map[string]string{OptInit: "true", OptHostname: "box"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if s.Image != "envhost/python:3.11" || s.Name != "n1" || s.WorkDir != "/w" || s.User != "1000:1000" || s.Env["A"] != "1" {
		t.Errorf("basic fields: %+v", s)
	}
	if s.Labels[sdk.LabelManaged] != "true" || s.Labels["x"] != "y" {
		t.Errorf("labels %v", s.Labels)
	}
	if len(s.Entrypoint) != 1 || s.Entrypoint[0] != "sleep" || len(s.Command) != 1 || s.Command[0] != "infinity" {
		t.Errorf("keep-alive: entrypoint %q command %q", s.Entrypoint, s.Command)
	}
	r := s.ResourceLimits
	if r == nil || *r.Memory.Limit != 256<<20 || *r.CPU.Quota != 150_000 || *r.CPU.Period != 100_000 || *s.ShmSize != 64<<20 {
		t.Errorf("resources %+v shm %v", r, s.ShmSize)
	}
	if s.ImageOS != "linux" || s.ImageArch != "arm64" || s.ImageVariant != "v8" {
		t.Errorf("platform %s/%s/%s", s.ImageOS, s.ImageArch, s.ImageVariant)
	}
	if len(s.Mounts) != 2 || s.Mounts[0].Type != "bind" || s.Mounts[0].Options[1] != "ro" || s.Mounts[1].Type != "tmpfs" {
		t.Errorf("mounts %+v", s.Mounts)
	}
	if len(s.Volumes) != 1 || s.Volumes[0].Name != "vol" || s.Volumes[0].Dest != "/v" {
		t.Errorf("volumes %+v", s.Volumes)
	}
	if s.NetNS.NSMode != specgen.NoNetwork {
		t.Errorf("netns %+v", s.NetNS)
	}
	if len(s.Rlimits) != 2 || s.Rlimits[0].Type != "nofile" || s.Rlimits[1].Type != "nproc" || s.Rlimits[0].Hard != 2048 {
		t.Errorf("rlimits %+v", s.Rlimits)
	}
	if !s.Init || s.Hostname != "box" {
		t.Errorf("options: init %v hostname %q", s.Init, s.Hostname)
	}
}

func TestToSpecGenCommandAndNetworks(t *testing.T) {
	s, err := toSpecGen(sdk.Spec{Image: "i", Command: []string{"sh", "-c", "exit 3"}, Network: "mynet"})
	if err != nil {
		t.Fatal(err)
	}
	if s.Entrypoint[0] != "sh" || len(s.Command) != 2 {
		t.Errorf("command: %q %q", s.Entrypoint, s.Command)
	}
	if _, ok := s.Networks["mynet"]; !ok || s.NetNS.NSMode != specgen.Bridge {
		t.Errorf("named network: %+v %v", s.NetNS, s.Networks)
	}
	s, _ = toSpecGen(sdk.Spec{Image: "i", Network: "container:abc"})
	if s.NetNS.NSMode != specgen.FromContainer || s.NetNS.Value != "abc" {
		t.Errorf("container network: %+v", s.NetNS)
	}
}

func TestToSpecGenInvalid(t *testing.T) {
	for name, sp := range map[string]sdk.Spec{
		"no image":        {},
		"unknown option":  {Image: "i", Options: map[string]string{"nope": "1"}},
		"bad bool option": {Image: "i", Options: map[string]string{OptInit: "maybe"}},
		"relative target": {Image: "i", Mounts: []sdk.Mount{{Source: "/a", Target: "b"}}},
		"relative source": {Image: "i", Mounts: []sdk.Mount{{Source: "a", Target: "/b"}}},
		"mount type":      {Image: "i", Mounts: []sdk.Mount{{Type: "nfs", Source: "/a", Target: "/b"}}},
		"ulimit name":     {Image: "i", Ulimits: []sdk.Ulimit{{Name: "bogus", Soft: 1, Hard: 1}}},
		"ulimit order":    {Image: "i", Ulimits: []sdk.Ulimit{{Name: "nofile", Soft: 10, Hard: 1}}},
		"platform":        {Image: "i", Platform: "linux"},
		"negative memory": {Image: "i", Resources: sdk.Resources{MemoryBytes: -1}},
	} {
		if _, err := toSpecGen(sp); !errors.Is(err, sdk.ErrInvalidArgument) {
			t.Errorf("%s: err %v, want ErrInvalidArgument", name, err)
		}
	}
	_, err := toSpecGen(sdk.Spec{Image: "i", Options: map[string]string{"backendtest.x": "1"}})
	if err == nil || !contains(err.Error(), "backendtest.x") {
		t.Errorf("unknown option error %v does not name the key", err)
	}
}

func TestProgressWriter(t *testing.T) {
	var got []sdk.ImageProgress
	w := &progressWriter{fn: func(p sdk.ImageProgress) { got = append(got, p) }}
	_, _ = w.Write([]byte("Trying to pull docker.io/library/x:1...\nGetting image source signatures\nCopying blob sha256:abc123 "))
	_, _ = w.Write([]byte("done\nWriting manifest to image destination\n\nStoring signatures"))
	w.flush()
	if len(got) != 5 {
		t.Fatalf("events %+v", got)
	}
	if got[2].Layer != "abc123" || got[2].Status != "Copying blob done" {
		t.Errorf("blob event %+v", got[2])
	}
	if got[4].Status != "Storing signatures" {
		t.Errorf("last event %+v", got[4])
	}
}
