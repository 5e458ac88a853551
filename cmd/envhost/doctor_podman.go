package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
)

// podmanDefaultUlimit is Podman's default nofile and nproc limit, which
// exceeds the hard limits of some machines (ENGINES.md).
const podmanDefaultUlimit = 1048576

// rlimitNproc is RLIMIT_NPROC on Linux (not in package syscall).
const rlimitNproc = 6

const podmanConfFix = `write a containers.conf with
  [containers]
  default_ulimits = ["nofile=%[1]d:%[1]d", "nproc=%[2]d:%[2]d"]
  [engine]
  runtime = "runc"
and start the Podman service with CONTAINERS_CONF=/path/to/it (scripts/engines.sh up does this)`

// checkPodmanSettings checks the settings ENGINES.md says Podman needs on
// this kind of machine: runtime runc on a cgroup v1/hybrid host, and
// default_ulimits within the hard limits when those are below Podman's
// defaults.
func checkPodmanSettings(ctx context.Context, e *engine) []finding {
	var out []finding
	nofile, nproc := hardLimit(syscall.RLIMIT_NOFILE), hardLimit(rlimitNproc)
	fix := fmt.Sprintf(podmanConfFix, capLimit(nofile), capLimit(nproc))

	var info struct {
		Host struct {
			OCIRuntime struct {
				Name string `json:"name"`
			} `json:"ociRuntime"`
			CgroupVersion string `json:"cgroupVersion"`
		} `json:"host"`
	}
	if err := e.callSlow(ctx, "GET", "/v4.0.0/libpod/info", &info); err != nil {
		var he *engineHTTPError
		if errors.As(err, &he) && he.status == http.StatusNotFound {
			return append(out, finding{subject: "podman settings", msg: "the service has no libpod API (/v4.0.0/libpod/info): not Podman v4+?",
				fix: "point CONTAINER_HOST at a Podman v4+ API service (podman system service --time=0)"})
		}
		// A slow or busy service is not a set-up problem: say it was not checked.
		return append(out, finding{ok: true, subject: "podman settings", msg: fmt.Sprintf("not checked: %v", err)})
	}
	rt, cg := info.Host.OCIRuntime.Name, info.Host.CgroupVersion
	if cg == "v1" && rt != "runc" {
		out = append(out, finding{subject: "podman runtime", msg: fmt.Sprintf(
			"OCI runtime %q on a cgroup v1/hybrid host: crun refuses this layout, containers will not start", rt), fix: fix})
	} else {
		out = append(out, finding{ok: true, subject: "podman runtime", msg: fmt.Sprintf("%s (cgroup %s)", rt, cg)})
	}

	if nofile >= podmanDefaultUlimit && nproc >= podmanDefaultUlimit {
		out = append(out, finding{ok: true, subject: "podman ulimits", msg: "this machine's hard limits allow Podman's defaults"})
		return out
	}
	conf, where := podmanServiceConf(e)
	limits := confUlimits(conf)
	okNofile := limits["nofile"] > 0 && limits["nofile"] <= nofile
	okNproc := limits["nproc"] > 0 && limits["nproc"] <= nproc
	if okNofile && okNproc {
		out = append(out, finding{ok: true, subject: "podman ulimits", msg: fmt.Sprintf(
			"default_ulimits nofile=%d nproc=%d within the hard limits (%s)", limits["nofile"], limits["nproc"], where)})
		return out
	}
	msg := fmt.Sprintf("Podman's default ulimits (nofile and nproc %d) exceed this machine's hard limits (nofile %d, nproc %d)",
		podmanDefaultUlimit, nofile, nproc)
	if where != "" {
		msg += " and " + where + " sets no default_ulimits within them"
	} else {
		msg += " and no containers.conf of the service sets default_ulimits"
	}
	out = append(out, finding{subject: "podman ulimits", msg: msg, fix: fix})
	return out
}

func hardLimit(resource int) int64 {
	var r syscall.Rlimit
	if err := syscall.Getrlimit(resource, &r); err != nil {
		return podmanDefaultUlimit
	}
	if r.Max > 1<<40 {
		return 1 << 40
	}
	return int64(r.Max)
}

func capLimit(n int64) int64 {
	if n > podmanDefaultUlimit {
		return podmanDefaultUlimit
	}
	return n
}

// podmanServiceConf finds the containers.conf the Podman service uses, best
// effort: the CONTAINERS_CONF of the service process (its pid file beside
// a local socket, as scripts/engines.sh writes it), else this process's
// CONTAINERS_CONF, else the standard files. It returns the content and a
// description of where it came from ("" when none).
func podmanServiceConf(e *engine) ([]byte, string) {
	var candidates []string
	if u, err := url.Parse(e.addr); err == nil && u.Scheme == "unix" {
		pidFile := filepath.Join(filepath.Dir(u.Path), "podman.pid")
		if pid, err := os.ReadFile(pidFile); err == nil {
			if env, err := os.ReadFile("/proc/" + strings.TrimSpace(string(pid)) + "/environ"); err == nil {
				for _, kv := range bytes.Split(env, []byte{0}) {
					if v, ok := bytes.CutPrefix(kv, []byte("CONTAINERS_CONF=")); ok {
						candidates = append(candidates, string(v))
					}
				}
			}
		}
	}
	if c := os.Getenv("CONTAINERS_CONF"); c != "" {
		candidates = append(candidates, c)
	}
	candidates = append(candidates, "/etc/containers/containers.conf", "/usr/share/containers/containers.conf")
	if home, err := os.UserHomeDir(); err == nil {
		candidates = append(candidates, filepath.Join(home, ".config", "containers", "containers.conf"))
	}
	for _, c := range candidates {
		data, err := os.ReadFile(c)
		if err == nil && len(confUlimits(data)) > 0 {
			return data, c
		}
	}
	return nil, ""
}

var (
	ulimitsLine = regexp.MustCompile(`(?m)^\s*default_ulimits\s*=\s*\[([^\]]*)\]`)
	ulimitEntry = regexp.MustCompile(`"(\w+)=(\d+):(\d+)"`)
)

// confUlimits reads default_ulimits' hard values from a containers.conf.
func confUlimits(conf []byte) map[string]int64 {
	out := map[string]int64{}
	m := ulimitsLine.FindSubmatch(conf)
	if m == nil {
		return out
	}
	for _, e := range ulimitEntry.FindAllSubmatch(m[1], -1) {
		hard, err := strconv.ParseInt(string(e[3]), 10, 64)
		if err == nil {
			out[string(e[1])] = hard
		}
	}
	return out
}
