package podman

import (
	"path"
	"strings"

	nettypes "github.com/containers/common/libnetwork/types"
	"github.com/containers/podman/v4/pkg/specgen"
	spec "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/envhost/envhost/sdk"
)

// keepAlive is the default process of a container: it sleeps until removed.
var keepAlive = []string{"sleep", "infinity"}

// cpuPeriod is the CFS period used to express Resources.NanoCPUs as a quota.
const cpuPeriod = 100_000 // µs

// toSpecGen translates an sdk.Spec into Podman's container spec.
func toSpecGen(sp sdk.Spec) (*specgen.SpecGenerator, error) {
	if strings.TrimSpace(sp.Image) == "" {
		return nil, invalid("podman: create: no image named")
	}
	s := specgen.NewSpecGenerator(sp.Image, false)
	s.Name = sp.Name
	s.Env = sp.Env
	s.WorkDir = sp.WorkingDir
	s.User = sp.User
	s.CapAdd = sp.CapAdd

	s.Labels = make(map[string]string, len(sp.Labels)+1)
	for k, v := range sp.Labels {
		s.Labels[k] = v
	}
	s.Labels[sdk.LabelManaged] = "true"

	// The keep-alive command replaces the image's entrypoint and command.
	cmd := sp.Command
	if len(cmd) == 0 {
		cmd = keepAlive
	}
	s.Entrypoint = []string{cmd[0]}
	s.Command = append([]string{}, cmd[1:]...)

	if err := setResources(s, sp.Resources); err != nil {
		return nil, err
	}
	if sp.Platform != "" {
		p, err := parsePlatform(sp.Platform)
		if err != nil {
			return nil, err
		}
		s.ImageOS, s.ImageArch, s.ImageVariant = p.os, p.arch, p.variant
	}
	if err := setMounts(s, sp.Mounts); err != nil {
		return nil, err
	}
	if err := setNetwork(s, sp.Network); err != nil {
		return nil, err
	}
	if err := setUlimits(s, sp.Ulimits); err != nil {
		return nil, err
	}
	if err := applyOptions(s, sp.Options); err != nil {
		return nil, err
	}
	return s, nil
}

func setResources(s *specgen.SpecGenerator, r sdk.Resources) error {
	if r.MemoryBytes < 0 || r.NanoCPUs < 0 || r.ShmSizeBytes < 0 {
		return invalid("podman: negative resource limit in %+v", r)
	}
	if r.MemoryBytes > 0 || r.NanoCPUs > 0 {
		if s.ResourceLimits == nil {
			s.ResourceLimits = &spec.LinuxResources{}
		}
	}
	if r.MemoryBytes > 0 {
		m := r.MemoryBytes
		s.ResourceLimits.Memory = &spec.LinuxMemory{Limit: &m}
	}
	if r.NanoCPUs > 0 {
		period := uint64(cpuPeriod)
		quota := r.NanoCPUs * cpuPeriod / 1e9
		if quota < 1000 { // the kernel's minimum quota is 1ms
			quota = 1000
		}
		s.ResourceLimits.CPU = &spec.LinuxCPU{Period: &period, Quota: &quota}
	}
	if r.ShmSizeBytes > 0 {
		n := r.ShmSizeBytes
		s.ShmSize = &n
	}
	return nil
}

func setMounts(s *specgen.SpecGenerator, mounts []sdk.Mount) error {
	for _, m := range mounts {
		if !path.IsAbs(m.Target) {
			return invalid("podman: mount target %q: must be an absolute path", m.Target)
		}
		mode := "rw"
		if m.ReadOnly {
			mode = "ro"
		}
		switch m.Type {
		case "", "bind":
			if !path.IsAbs(m.Source) {
				return invalid("podman: bind mount source %q: must be an absolute path", m.Source)
			}
			s.Mounts = append(s.Mounts, spec.Mount{
				Type: "bind", Source: m.Source, Destination: m.Target,
				Options: []string{"rbind", mode},
			})
		case "volume":
			s.Volumes = append(s.Volumes, &specgen.NamedVolume{
				Name: m.Source, Dest: m.Target, Options: []string{mode},
			})
		case "tmpfs":
			s.Mounts = append(s.Mounts, spec.Mount{
				Type: "tmpfs", Source: "tmpfs", Destination: m.Target,
				Options: []string{mode, "nosuid", "nodev"},
			})
		default:
			return invalid("podman: mount at %q: unknown type %q (want bind, volume or tmpfs)", m.Target, m.Type)
		}
	}
	return nil
}

func setNetwork(s *specgen.SpecGenerator, network string) error {
	switch network {
	case "", "default":
	case "none":
		s.NetNS = specgen.Namespace{NSMode: specgen.NoNetwork}
	case "host":
		s.NetNS = specgen.Namespace{NSMode: specgen.Host}
	case "bridge":
		s.NetNS = specgen.Namespace{NSMode: specgen.Bridge}
	case "slirp4netns":
		s.NetNS = specgen.Namespace{NSMode: specgen.Slirp}
	case "pasta":
		s.NetNS = specgen.Namespace{NSMode: specgen.Pasta}
	default:
		if id, ok := strings.CutPrefix(network, "container:"); ok {
			if id == "" {
				return invalid("podman: network %q: no container named", network)
			}
			s.NetNS = specgen.Namespace{NSMode: specgen.FromContainer, Value: id}
			return nil
		}
		// A named network.
		s.NetNS = specgen.Namespace{NSMode: specgen.Bridge}
		s.Networks = map[string]nettypes.PerNetworkOptions{network: {}}
	}
	return nil
}

// rlimits are the resource names Linux knows, as in --ulimit name=soft:hard.
var rlimits = map[string]bool{
	"as": true, "core": true, "cpu": true, "data": true, "fsize": true, "locks": true,
	"memlock": true, "msgqueue": true, "nice": true, "nofile": true, "nproc": true,
	"rss": true, "rtprio": true, "rttime": true, "sigpending": true, "stack": true,
}

func setUlimits(s *specgen.SpecGenerator, ulimits []sdk.Ulimit) error {
	for _, u := range ulimits {
		name := strings.ToLower(strings.TrimPrefix(strings.ToUpper(u.Name), "RLIMIT_"))
		if !rlimits[name] {
			return invalid("podman: ulimit %q: unknown resource", u.Name)
		}
		if u.Soft > u.Hard && u.Hard >= 0 {
			return invalid("podman: ulimit %s: soft limit %d exceeds hard limit %d", name, u.Soft, u.Hard)
		}
		s.Rlimits = append(s.Rlimits, spec.POSIXRlimit{Type: name, Soft: uint64(u.Soft), Hard: uint64(u.Hard)})
	}
	return nil
}
