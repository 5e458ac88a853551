package podman

import (
	"sort"
	"strconv"
	"strings"

	"github.com/containers/podman/v4/pkg/specgen"
	spec "github.com/opencontainers/runtime-spec/specs-go"
)

// Spec.Options keys this backend understands, named after podman run's flags.
const (
	OptInit       = "init"       // "true": run an init process as PID 1 (podman run --init)
	OptPrivileged = "privileged" // "true": privileged container
	OptHostname   = "hostname"   // container host name
	OptReadOnly   = "read-only"  // "true": read-only root filesystem
	OptPidsLimit  = "pids-limit" // maximum number of processes
)

// applyOptions applies Spec.Options to s; an unknown key or a bad value is
// an sdk.ErrInvalidArgument error naming it.
func applyOptions(s *specgen.SpecGenerator, opts map[string]string) error {
	keys := make([]string, 0, len(opts))
	for k := range opts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := opts[k]
		switch k {
		case OptInit, OptPrivileged, OptReadOnly:
			on, err := strconv.ParseBool(v)
			if err != nil {
				return invalid("podman: option %s=%q: want true or false", k, v)
			}
			switch k {
			case OptInit:
				s.Init = on
			case OptPrivileged:
				s.Privileged = on
			case OptReadOnly:
				s.ReadOnlyFilesystem = on
			}
		case OptHostname:
			s.Hostname = v
		case OptPidsLimit:
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return invalid("podman: option %s=%q: want an integer", k, v)
			}
			if s.ResourceLimits == nil {
				s.ResourceLimits = &spec.LinuxResources{}
			}
			s.ResourceLimits.Pids = &spec.LinuxPids{Limit: n}
		default:
			return invalid("podman: unknown option %q (known: %s)", k,
				strings.Join([]string{OptHostname, OptInit, OptPidsLimit, OptPrivileged, OptReadOnly}, ", "))
		}
	}
	return nil
}
