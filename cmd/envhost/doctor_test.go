package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// fakePodman serves /v4.0.0/libpod/info with the given runtime and cgroup
// version, as a Podman service would.
func fakePodman(t *testing.T, runtime, cgroup string) *engine {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v4.0.0/libpod/info" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"host":{"ociRuntime":{"name":"` + runtime + `"},"cgroupVersion":"` + cgroup + `"}}`))
	}))
	t.Cleanup(srv.Close)
	return &engine{backend: "podman", envVar: "CONTAINER_HOST", addr: "tcp://" + strings.TrimPrefix(srv.URL, "http://")}
}

func findingOf(fs []finding, subject string) (finding, bool) {
	for _, f := range fs {
		if f.subject == subject {
			return f, true
		}
	}
	return finding{}, false
}

func TestPodmanRuntimeCheck(t *testing.T) {
	t.Setenv("CONTAINERS_CONF", "")
	got := checkPodmanSettings(context.Background(), fakePodman(t, "crun", "v1"))
	f, ok := findingOf(got, "podman runtime")
	if !ok || f.ok || !strings.Contains(f.msg, "crun") || !strings.Contains(f.fix, `runtime = "runc"`) || !strings.Contains(f.fix, "CONTAINERS_CONF") {
		t.Errorf("crun on cgroup v1: %+v", got)
	}
	got = checkPodmanSettings(context.Background(), fakePodman(t, "crun", "v2"))
	if f, _ := findingOf(got, "podman runtime"); !f.ok {
		t.Errorf("crun on cgroup v2 is fine: %+v", f)
	}
}

func TestPodmanUlimitsCheck(t *testing.T) {
	nofile, nproc := hardLimit(syscall.RLIMIT_NOFILE), hardLimit(rlimitNproc)
	low := nofile < podmanDefaultUlimit || nproc < podmanDefaultUlimit
	dir := t.TempDir()

	// No containers.conf sets default_ulimits.
	bare := filepath.Join(dir, "bare.conf")
	if err := os.WriteFile(bare, []byte("[engine]\nruntime = \"runc\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("CONTAINERS_CONF", bare)
	f, _ := findingOf(checkPodmanSettings(context.Background(), fakePodman(t, "runc", "v1")), "podman ulimits")
	if low && !hasStandardUlimits() {
		if f.ok || !strings.Contains(f.msg, "exceed this machine's hard limits") || !strings.Contains(f.fix, "default_ulimits") {
			t.Errorf("missing default_ulimits not reported: %+v", f)
		}
	} else if !f.ok {
		t.Errorf("hard limits allow the defaults, yet: %+v", f)
	}

	// A containers.conf with limits within the hard limits.
	good := filepath.Join(dir, "good.conf")
	conf := "[containers]\ndefault_ulimits = [\"nofile=1024:1024\", \"nproc=1024:1024\"]\n"
	if err := os.WriteFile(good, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("CONTAINERS_CONF", good)
	f, _ = findingOf(checkPodmanSettings(context.Background(), fakePodman(t, "runc", "v1")), "podman ulimits")
	if !f.ok {
		t.Errorf("good containers.conf refused: %+v", f)
	}
}

// hasStandardUlimits reports whether a system-wide containers.conf already
// sets default_ulimits (then the "missing" case cannot be seen here).
func hasStandardUlimits() bool {
	for _, p := range []string{"/etc/containers/containers.conf", "/usr/share/containers/containers.conf"} {
		if data, err := os.ReadFile(p); err == nil && len(confUlimits(data)) > 0 {
			return true
		}
	}
	return false
}
