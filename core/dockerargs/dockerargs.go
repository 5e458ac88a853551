// Package dockerargs reads SWE-agent style docker_args (["--memory=2g",
// "--cpus", "2", "-e", "A=b"]) into a backend-neutral Spec that patches an
// sdk.Spec, so the same deployment config works on every backend.
package dockerargs

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/envhost/envhost/sdk"
)

// Spec is what a list of docker_args asks of a container. Zero fields ask
// nothing.
type Spec struct {
	MemoryBytes  int64
	NanoCPUs     int64
	ShmSizeBytes int64
	Env          map[string]string
	Mounts       []sdk.Mount
	Network      string
	User         string
	WorkDir      string
	Platform     string
	Labels       map[string]string
	CapAdd       []string
	Ulimits      []sdk.Ulimit
}

// Apply merges s into dst: the fields s sets replace dst's, map entries of s
// override dst's entries of the same key, and lists are appended.
func (s Spec) Apply(dst *sdk.Spec) {
	if s.MemoryBytes != 0 {
		dst.Resources.MemoryBytes = s.MemoryBytes
	}
	if s.NanoCPUs != 0 {
		dst.Resources.NanoCPUs = s.NanoCPUs
	}
	if s.ShmSizeBytes != 0 {
		dst.Resources.ShmSizeBytes = s.ShmSizeBytes
	}
	if len(s.Env) > 0 {
		if dst.Env == nil {
			dst.Env = make(map[string]string, len(s.Env))
		}
		maps.Copy(dst.Env, s.Env)
	}
	if len(s.Labels) > 0 {
		if dst.Labels == nil {
			dst.Labels = make(map[string]string, len(s.Labels))
		}
		maps.Copy(dst.Labels, s.Labels)
	}
	dst.Mounts = append(dst.Mounts, s.Mounts...)
	dst.CapAdd = append(dst.CapAdd, s.CapAdd...)
	dst.Ulimits = append(dst.Ulimits, s.Ulimits...)
	setIf(&dst.Network, s.Network)
	setIf(&dst.User, s.User)
	setIf(&dst.WorkingDir, s.WorkDir)
	setIf(&dst.Platform, s.Platform)
}

func setIf(dst *string, v string) {
	if v != "" {
		*dst = v
	}
}

// flag is one supported docker flag.
type flag struct {
	long  string // "--memory"
	alias string // "--net", or a shorthand such as "-m"; may be empty
	set   func(s *Spec, v string) error
}

var flags = []flag{
	{"--cap-add", "", setCapAdd},
	{"--cpus", "", setCPUs},
	{"--env", "-e", setEnv},
	{"--label", "-l", setLabel},
	{"--memory", "-m", sizeSetter(func(s *Spec) *int64 { return &s.MemoryBytes })},
	{"--network", "--net", setString(func(s *Spec) *string { return &s.Network })},
	{"--platform", "", setPlatform},
	{"--shm-size", "", sizeSetter(func(s *Spec) *int64 { return &s.ShmSizeBytes })},
	{"--ulimit", "", setUlimit},
	{"--user", "-u", setString(func(s *Spec) *string { return &s.User })},
	{"--volume", "-v", setVolume},
	{"--workdir", "-w", setWorkDir},
}

// Supported lists the supported flags, long names first, e.g. "--memory/-m".
func Supported() []string {
	out := make([]string, 0, len(flags))
	for _, f := range flags {
		name := f.long
		if f.alias != "" {
			name += "/" + f.alias
		}
		out = append(out, name)
	}
	return out
}

func lookup(name string) (flag, bool) {
	i := slices.IndexFunc(flags, func(f flag) bool { return f.long == name || f.alias == name })
	if i < 0 {
		return flag{}, false
	}
	return flags[i], true
}

// Parse reads docker_args. Both "--flag=value" and "--flag value" work, and
// for shorthands also "-m=2g" and "-m2g". Unsupported flags, flags missing
// their value and bad values are errors (wrapping sdk.ErrInvalidArgument)
// naming the flag.
func Parse(args []string) (Spec, error) {
	var s Spec
	for i := 0; i < len(args); i++ {
		arg := args[i]
		name, value, hasValue, err := split(arg)
		if err != nil {
			return Spec{}, err
		}
		f, ok := lookup(name)
		if !ok {
			return Spec{}, sdk.Errorf(sdk.ErrInvalidArgument,
				"unsupported docker_args flag %q (supported: %s)", name, strings.Join(Supported(), ", "))
		}
		if !hasValue {
			if i+1 >= len(args) {
				return Spec{}, sdk.Errorf(sdk.ErrInvalidArgument, "docker_args flag %q needs a value", name)
			}
			i++
			value = args[i]
		}
		if err := f.set(&s, value); err != nil {
			return Spec{}, fmt.Errorf("docker_args flag %s %q: %w", name, value, err)
		}
	}
	return s, nil
}

// split cuts one argument into its flag name and, when attached, its value.
func split(arg string) (name, value string, hasValue bool, err error) {
	switch {
	case strings.HasPrefix(arg, "--") && len(arg) > 2:
		name, value, hasValue = strings.Cut(arg, "=")
		return name, value, hasValue, nil
	case strings.HasPrefix(arg, "-") && len(arg) > 1 && arg[1] != '-':
		name = arg[:2]
		rest := arg[2:]
		if rest == "" {
			return name, "", false, nil
		}
		if _, ok := lookup(name); !ok {
			// "-it", "-d": report the whole argument.
			return arg, "", false, nil
		}
		return name, strings.TrimPrefix(rest, "="), true, nil
	}
	return "", "", false, sdk.Errorf(sdk.ErrInvalidArgument,
		"docker_args: unexpected argument %q: want flags only (supported: %s)", arg, strings.Join(Supported(), ", "))
}
