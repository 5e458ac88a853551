package backendtest

import (
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/envhost/envhost/sdk"
)

func testCreateEnvWorkdirLabels(t *testing.T, s *suite) {
	ctx, b := s.setup(t)
	spec := s.spec()
	spec.Env = map[string]string{"BT_FOO": "bar baz", "BT_EQ": "a=b"}
	spec.WorkingDir = "/usr"
	spec.Labels["bt.custom"] = "v1"
	c := create(t, ctx, b, spec)

	got := shOK(t, ctx, b, c.ID, `printf '%s|%s|%s' "$BT_FOO" "$BT_EQ" "$(pwd)"`)
	if want := "bar baz|a=b|/usr"; got != want {
		t.Errorf("env|env|pwd in the container = %q, want %q", got, want)
	}

	st, err := b.Inspect(ctx, c.ID)
	if err != nil {
		t.Fatalf("Inspect: %v", err)
	}
	if st.State != sdk.StateRunning {
		t.Errorf("Inspect state = %q, want %q", st.State, sdk.StateRunning)
	}
	for k, want := range map[string]string{sdk.LabelManaged: "true", "bt.custom": "v1", LabelSuite: "true"} {
		if got := st.Labels[k]; got != want {
			t.Errorf("label %s = %q, want %q (labels %v)", k, got, want, st.Labels)
		}
	}
	if st.Image == "" {
		t.Error("Inspect reports an empty image")
	}
}

func testCreateUser(t *testing.T, s *suite) {
	ctx, b := s.setup(t)
	spec := s.spec()
	spec.User = "65534:65534"
	c := create(t, ctx, b, spec)
	if got := trim(shOK(t, ctx, b, c.ID, "id -u; id -g")); got != "65534\n65534" {
		t.Errorf("uid/gid of an exec in a container created with User 65534:65534 = %q", got)
	}
	r := run(t, ctx, b, sdk.ExecSpec{ContainerID: c.ID, Cmd: []string{"id", "-u"}, User: "0"}, nil)
	if r.Code != 0 || trim(r.Stdout) != "0" {
		t.Errorf("id -u with ExecSpec.User 0: exit %d, stdout %q, stderr %q", r.Code, r.Stdout, r.Stderr)
	}
}

func testCreateNameConflict(t *testing.T, s *suite) {
	ctx, b := s.setup(t)
	spec := s.spec()
	spec.Name = uniqueName("envhost-backendtest")
	c := create(t, ctx, b, spec)
	if strings.TrimPrefix(c.Name, "/") != spec.Name {
		t.Errorf("Create returned name %q, want %q", c.Name, spec.Name)
	}
	c2, err := b.Create(ctx, spec)
	if err == nil {
		removeNow(t, b, c2.ID)
	}
	wantClass(t, "Create with a name in use", err, sdk.ErrAlreadyExists)
}

func testCreateUnknownOption(t *testing.T, s *suite) {
	ctx, b := s.setup(t)
	spec := s.spec()
	spec.Options = map[string]string{"backendtest.no-such-option": "1"}
	c, err := b.Create(ctx, spec)
	if err == nil {
		removeNow(t, b, c.ID)
	}
	wantClass(t, "Create with an unknown option", err, sdk.ErrInvalidArgument)
	if !strings.Contains(err.Error(), "backendtest.no-such-option") {
		t.Errorf("error %q does not name the unknown option", err)
	}
}

// cgroupScript prints the memory limit, the CPU quota and period, and the
// size of /dev/shm in KiB, one a line, under cgroup v2 or v1.
const cgroupScript = `
if [ -f /sys/fs/cgroup/memory.max ]; then
	cat /sys/fs/cgroup/memory.max
	cat /sys/fs/cgroup/cpu.max
else
	cat /sys/fs/cgroup/memory/memory.limit_in_bytes
	echo "$(cat /sys/fs/cgroup/cpu*/cpu.cfs_quota_us | head -n1) $(cat /sys/fs/cgroup/cpu*/cpu.cfs_period_us | head -n1)"
fi
df -k /dev/shm | tail -n1 | awk '{print $2}'
`

func testCreateResources(t *testing.T, s *suite) {
	ctx, b := s.setup(t)
	i := info(t, ctx, b)
	if !claims(t, i, sdk.CapResources) {
		return
	}
	spec := s.spec()
	spec.Resources = sdk.Resources{MemoryBytes: 256 << 20, NanoCPUs: 500_000_000, ShmSizeBytes: 128 << 20}
	c := create(t, ctx, b, spec)
	lines := strings.Split(trim(shOK(t, ctx, b, c.ID, cgroupScript)), "\n")
	if len(lines) != 3 {
		t.Fatalf("cgroup script printed %q, want 3 lines", lines)
	}
	if lines[0] != strconv.Itoa(256<<20) {
		t.Errorf("memory limit inside = %q, want %d", lines[0], 256<<20)
	}
	var quota, period float64
	if f := strings.Fields(lines[1]); len(f) == 2 {
		quota, _ = strconv.ParseFloat(f[0], 64)
		period, _ = strconv.ParseFloat(f[1], 64)
	}
	if period == 0 || quota/period != 0.5 {
		t.Errorf("cpu quota/period inside = %q, want 0.5 CPUs", lines[1])
	}
	if lines[2] != strconv.Itoa(128<<10) {
		t.Errorf("/dev/shm size inside = %s KiB, want %d", lines[2], 128<<10)
	}
}

func testCreateMounts(t *testing.T, s *suite) {
	ctx, b := s.setup(t)
	i := info(t, ctx, b)
	if !claims(t, i, sdk.CapMounts) {
		return
	}
	// A bind mount assumes the engine shares this host's file system, as a
	// local engine does.
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "hello.txt"), []byte("from the host"), 0o644); err != nil {
		t.Fatal(err)
	}
	spec := s.spec()
	spec.Mounts = []sdk.Mount{
		{Type: "bind", Source: dir, Target: "/bt-bind", ReadOnly: true},
		{Type: "tmpfs", Target: "/bt-tmpfs"},
	}
	c := create(t, ctx, b, spec)
	if got := shOK(t, ctx, b, c.ID, "cat /bt-bind/hello.txt"); got != "from the host" {
		t.Errorf("bind-mounted file reads %q", got)
	}
	if r := sh(t, ctx, b, c.ID, "touch /bt-bind/x"); r.Code == 0 {
		t.Error("writing to a read-only bind mount succeeded")
	}
	if got := shOK(t, ctx, b, c.ID, "awk '$2 == \"/bt-tmpfs\" {print $3}' /proc/mounts"); trim(got) != "tmpfs" {
		t.Errorf("file system type at /bt-tmpfs = %q, want tmpfs", got)
	}
}

func testCreateNetwork(t *testing.T, s *suite) {
	ctx, b := s.setup(t)
	i := info(t, ctx, b)
	if !claims(t, i, sdk.CapNetwork) {
		return
	}
	spec := s.spec()
	spec.Network = "none"
	c := create(t, ctx, b, spec)
	if got := trim(shOK(t, ctx, b, c.ID, "ls /sys/class/net")); got != "lo" {
		t.Errorf("network interfaces with Network none = %q, want only lo", got)
	}
}

func testCreatePlatform(t *testing.T, s *suite) {
	ctx, b := s.setup(t)
	i := info(t, ctx, b)
	if !claims(t, i, sdk.CapPlatform) {
		return
	}
	// The suite's image is assumed to be built for this host's platform.
	spec := s.spec()
	spec.Platform = "linux/" + runtime.GOARCH
	c := create(t, ctx, b, spec)
	if got := shOK(t, ctx, b, c.ID, "echo ok"); got != "ok\n" {
		t.Errorf("exec in a container created with Platform %s printed %q", spec.Platform, got)
	}
}
