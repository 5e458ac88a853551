package docker

import (
	"errors"
	"reflect"
	"testing"

	"github.com/envhost/envhost/sdk"
	"github.com/moby/moby/api/types/mount"
)

func TestContainerConfig(t *testing.T) {
	spec := sdk.Spec{
		Image:      "img:1",
		Name:       "n",
		Env:        map[string]string{"B": "2", "A": "1"},
		WorkingDir: "/w",
		User:       "1000",
		Labels:     map[string]string{"x": "y", sdk.LabelManaged: "false"},
		Resources:  sdk.Resources{MemoryBytes: 1 << 28, NanoCPUs: 5e8, ShmSizeBytes: 1 << 26},
		Platform:   "linux/arm64/v8",
		Mounts:     []sdk.Mount{{Source: "/src", Target: "/dst", ReadOnly: true}, {Type: "tmpfs", Target: "/t"}},
		Network:    "none",
		CapAdd:     []string{"NET_ADMIN"},
		Ulimits:    []sdk.Ulimit{{Name: "nofile", Soft: 10, Hard: 20}},
		Options:    map[string]string{OptionInit: "true", OptionPrivileged: "false", OptionHostname: "h"},
	}
	cfg, hc, opts, err := containerConfig(spec)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cfg.Env, []string{"A=1", "B=2"}) {
		t.Errorf("Env = %v", cfg.Env)
	}
	if cfg.Labels[sdk.LabelManaged] != "true" || cfg.Labels["x"] != "y" {
		t.Errorf("Labels = %v", cfg.Labels)
	}
	if spec.Labels[sdk.LabelManaged] != "false" {
		t.Error("containerConfig modified the caller's labels")
	}
	if !reflect.DeepEqual(cfg.Entrypoint, []string{"sleep"}) || !reflect.DeepEqual(cfg.Cmd, []string{"infinity"}) {
		t.Errorf("default command = %v %v", cfg.Entrypoint, cfg.Cmd)
	}
	if cfg.WorkingDir != "/w" || cfg.User != "1000" || cfg.Hostname != "h" || cfg.Image != "img:1" {
		t.Errorf("cfg = %+v", cfg)
	}
	if hc.Memory != 1<<28 || hc.NanoCPUs != 5e8 || hc.ShmSize != 1<<26 || hc.NetworkMode != "none" {
		t.Errorf("host config resources/network = %+v", hc)
	}
	if hc.Init == nil || !*hc.Init || hc.Privileged {
		t.Errorf("Init %v, Privileged %v", hc.Init, hc.Privileged)
	}
	if len(hc.Mounts) != 2 || hc.Mounts[0].Type != mount.TypeBind || !hc.Mounts[0].ReadOnly || hc.Mounts[1].Type != mount.TypeTmpfs {
		t.Errorf("Mounts = %+v", hc.Mounts)
	}
	if len(hc.Ulimits) != 1 || hc.Ulimits[0].Name != "nofile" || hc.Ulimits[0].Soft != 10 || hc.Ulimits[0].Hard != 20 {
		t.Errorf("Ulimits = %+v", hc.Ulimits)
	}
	if opts.Name != "n" || opts.Platform == nil || opts.Platform.Architecture != "arm64" || opts.Platform.Variant != "v8" {
		t.Errorf("opts = %+v", opts)
	}

	spec.Command = []string{"/bin/sh", "-c", "sleep 5"}
	cfg, _, _, _ = containerConfig(spec)
	if !reflect.DeepEqual(cfg.Entrypoint, []string{"/bin/sh"}) || !reflect.DeepEqual(cfg.Cmd, []string{"-c", "sleep 5"}) {
		t.Errorf("explicit command = %v %v", cfg.Entrypoint, cfg.Cmd)
	}
}

func TestContainerConfigRejects(t *testing.T) {
	for name, spec := range map[string]sdk.Spec{
		"no image":       {},
		"unknown option": {Image: "i", Options: map[string]string{"nope": "1"}},
		"bad bool":       {Image: "i", Options: map[string]string{OptionInit: "maybe"}},
		"mount type":     {Image: "i", Mounts: []sdk.Mount{{Type: "nfs", Target: "/x"}}},
		"mount target":   {Image: "i", Mounts: []sdk.Mount{{Source: "/x"}}},
		"platform":       {Image: "i", Platform: "/amd64"},
	} {
		if _, _, _, err := containerConfig(spec); !errors.Is(err, sdk.ErrInvalidArgument) {
			t.Errorf("%s: err %v, want ErrInvalidArgument", name, err)
		}
	}
}
