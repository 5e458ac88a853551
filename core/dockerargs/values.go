package dockerargs

import (
	"math"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/envhost/envhost/sdk"
)

func invalid(format string, args ...any) error {
	return sdk.Errorf(sdk.ErrInvalidArgument, format, args...)
}

var sizeRE = regexp.MustCompile(`(?i)^(\d+(?:\.\d+)?) ?([kmgtp]?)(i?b)?$`)

// ParseSize reads a size as docker does: a number of bytes with an optional
// binary unit b, k, m, g, t or p (case-insensitive, "kb"/"kib" forms too):
// "1024", "512m", "1.5g".
func ParseSize(v string) (int64, error) {
	m := sizeRE.FindStringSubmatch(strings.TrimSpace(v))
	if m == nil || (m[2] == "" && len(m[3]) == 2) {
		return 0, invalid("not a size (want e.g. 1024, 512m, 2g)")
	}
	n, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return 0, invalid("not a size: %v", err)
	}
	mult := float64(1)
	switch strings.ToLower(m[2]) {
	case "k":
		mult = 1 << 10
	case "m":
		mult = 1 << 20
	case "g":
		mult = 1 << 30
	case "t":
		mult = 1 << 40
	case "p":
		mult = 1 << 50
	}
	size := n * mult
	if size >= math.MaxInt64 {
		return 0, invalid("size too large")
	}
	return int64(size), nil
}

func sizeSetter(field func(*Spec) *int64) func(*Spec, string) error {
	return func(s *Spec, v string) error {
		n, err := ParseSize(v)
		if err != nil {
			return err
		}
		*field(s) = n
		return nil
	}
}

func setString(field func(*Spec) *string) func(*Spec, string) error {
	return func(s *Spec, v string) error {
		if v == "" {
			return invalid("empty value")
		}
		*field(s) = v
		return nil
	}
}

func setCPUs(s *Spec, v string) error {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) {
		return invalid("not a number of CPUs (want e.g. 2 or 0.5)")
	}
	s.NanoCPUs = int64(math.Round(f * 1e9))
	return nil
}

// setEnv takes NAME=value, or NAME alone for the host's value (skipped when
// the host has none), as docker run -e does.
func setEnv(s *Spec, v string) error {
	name, value, ok := strings.Cut(v, "=")
	if name == "" || strings.ContainsAny(name, " \t\n") {
		return invalid("want NAME=value")
	}
	if !ok {
		hv, set := os.LookupEnv(name)
		if !set {
			return nil
		}
		value = hv
	}
	if s.Env == nil {
		s.Env = map[string]string{}
	}
	s.Env[name] = value
	return nil
}

func setLabel(s *Spec, v string) error {
	k, val, _ := strings.Cut(v, "=")
	if k == "" {
		return invalid("want key=value")
	}
	if s.Labels == nil {
		s.Labels = map[string]string{}
	}
	s.Labels[k] = val
	return nil
}

func setCapAdd(s *Spec, v string) error {
	for _, c := range strings.Split(v, ",") {
		c = strings.ToUpper(strings.TrimSpace(c))
		if c == "" {
			return invalid("empty capability")
		}
		s.CapAdd = append(s.CapAdd, c)
	}
	return nil
}

func setPlatform(s *Spec, v string) error {
	parts := strings.Split(v, "/")
	if len(parts) < 2 || len(parts) > 3 || slices.Contains(parts, "") {
		return invalid("want os/arch[/variant], e.g. linux/amd64")
	}
	s.Platform = v
	return nil
}

func setWorkDir(s *Spec, v string) error {
	if !path.IsAbs(v) {
		return invalid("working directory must be an absolute path")
	}
	s.WorkDir = v
	return nil
}

var volumeNameRE = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)

// setVolume takes src:dst[:ro|rw] (src an absolute or ./relative host path
// for a bind mount, or a volume name), or dst alone for an anonymous volume.
func setVolume(s *Spec, v string) error {
	parts := strings.Split(v, ":")
	m := sdk.Mount{Type: "bind"}
	switch len(parts) {
	case 1:
		m.Type, m.Target = "volume", parts[0]
	case 2, 3:
		m.Source, m.Target = parts[0], parts[1]
		if len(parts) == 3 {
			for _, o := range strings.Split(parts[2], ",") {
				switch o {
				case "ro":
					m.ReadOnly = true
				case "rw":
					m.ReadOnly = false
				default:
					return invalid("unsupported volume option %q (supported: ro, rw)", o)
				}
			}
		}
	default:
		return invalid("want src:dst[:ro|rw]")
	}
	if !path.IsAbs(m.Target) {
		return invalid("mount target %q must be an absolute path", m.Target)
	}
	switch src := m.Source; {
	case m.Type == "volume":
	case filepath.IsAbs(src):
	case src == "." || src == ".." || strings.HasPrefix(src, "./") || strings.HasPrefix(src, "../"):
		abs, err := filepath.Abs(src)
		if err != nil {
			return invalid("mount source %q: %v", src, err)
		}
		m.Source = abs
	case volumeNameRE.MatchString(src):
		m.Type = "volume"
	default:
		return invalid("mount source %q is neither an absolute path nor a volume name", src)
	}
	s.Mounts = append(s.Mounts, m)
	return nil
}

var ulimitNames = []string{"as", "core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue",
	"nice", "nofile", "nproc", "rss", "rtprio", "rttime", "sigpending", "stack"}

// setUlimit takes name=soft[:hard]; hard defaults to soft; -1 is unlimited.
func setUlimit(s *Spec, v string) error {
	name, limits, ok := strings.Cut(v, "=")
	if !ok || limits == "" {
		return invalid("want name=soft[:hard]")
	}
	if !slices.Contains(ulimitNames, name) {
		return invalid("unknown ulimit %q (known: %s)", name, strings.Join(ulimitNames, ", "))
	}
	softS, hardS, hasHard := strings.Cut(limits, ":")
	soft, err := strconv.ParseInt(softS, 10, 64)
	if err != nil || soft < -1 {
		return invalid("bad soft limit %q", softS)
	}
	hard := soft
	if hasHard {
		hard, err = strconv.ParseInt(hardS, 10, 64)
		if err != nil || hard < -1 {
			return invalid("bad hard limit %q", hardS)
		}
	}
	if hard != -1 && (soft == -1 || soft > hard) {
		return invalid("soft limit %d is above hard limit %d", soft, hard)
	}
	s.Ulimits = append(s.Ulimits, sdk.Ulimit{Name: name, Soft: soft, Hard: hard})
	return nil
}
