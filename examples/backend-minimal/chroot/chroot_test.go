package chroot_test

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/envhost/envhost/core/pluginhost"
	"github.com/envhost/envhost/examples/backend-minimal/chroot"
	"github.com/envhost/envhost/sdk"
	"github.com/envhost/envhost/sdk/backendtest"
	"github.com/envhost/envhost/sdk/sdktest"
)

// need skips t outside CI and fails it in CI (CI=true), as the project's
// engine tests do.
func need(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf(format, args...)
	}
	t.Skipf("skipped outside CI (CI=true fails instead): "+format, args...)
}

// image returns the root-filesystem tarball scripts/images.sh caches.
func image(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: extracts a 270 MB root file system")
	}
	if os.Geteuid() != 0 {
		need(t, "the chroot backend needs root")
	}
	dir := os.Getenv("ENVHOST_CACHE_DIR")
	if dir == "" {
		home, _ := os.UserHomeDir()
		dir = filepath.Join(home, ".cache", "envhost")
	}
	tarball := filepath.Join(dir, "rootfs-bookworm.tar")
	if _, err := os.Stat(tarball); err != nil {
		need(t, "root-filesystem tarball missing: %v; build it with `scripts/images.sh rootfs`", err)
	}
	return tarball
}

var (
	stateOnce sync.Once
	state     string
	stateErr  error
)

// stateDir returns the state directory the tests share (so the image is
// extracted once), on tmpfs where there is one: a 270 MB extraction takes
// 4 s there and up to 17 s on this project's disks. TestMain removes it.
func stateDir(t *testing.T) string {
	t.Helper()
	stateOnce.Do(func() {
		parent := ""
		if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
			parent = "/dev/shm"
		}
		state, stateErr = os.MkdirTemp(parent, "envhost-chroot-test-")
	})
	if stateErr != nil {
		t.Fatal(stateErr)
	}
	return state
}

func TestMain(m *testing.M) {
	code := m.Run()
	if state != "" {
		if err := removeState(state); err != nil {
			fmt.Fprintln(os.Stderr, "removing the test state dir:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// removeState removes a state directory, first removing (unmounting) the
// containers a failed test may have left in it.
func removeState(dir string) error {
	b, err := chroot.New(chroot.Options{StateDir: dir})
	if err != nil {
		return err
	}
	ids, err := b.List(context.Background())
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := b.Remove(context.Background(), id, sdk.RemoveOptions{}); err != nil {
			return err
		}
	}
	return os.RemoveAll(dir)
}

func options(t *testing.T) backendtest.Options {
	return backendtest.Options{Image: image(t), MissingImage: filepath.Join(t.TempDir(), "no-such-rootfs.tar")}
}

// TestConformanceInProcess runs the suite against the backend behind the
// real gRPC transport, inside the test process: 50 MiB outputs and a
// 200 MiB tree, unless under the race detector (about 3 minutes then).
func TestConformanceInProcess(t *testing.T) {
	opts := options(t)
	opts.Short = raceEnabled
	b, err := chroot.New(chroot.Options{StateDir: stateDir(t)})
	if err != nil {
		t.Fatal(err)
	}
	backendtest.Run(t, func(t *testing.T) sdk.Backend { return sdktest.InProcess(t, b) }, opts)
}

// TestConformancePlugin builds envhost-plugin-chroot into a directory and
// runs the suite against it as a real plugin process, found and launched
// by the host's plugin launcher like any backend. Short sizes:
// TestConformanceInProcess already moves the big payloads through the same
// gRPC service.
func TestConformancePlugin(t *testing.T) {
	opts := options(t)
	opts.Short = true
	dir := t.TempDir()
	out, err := exec.Command("go", "build", "-o", dir+"/", "../cmd/envhost-plugin-chroot").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	p, err := pluginhost.Launch(t.Context(), "chroot", pluginhost.Options{
		Dirs:   []string{dir},
		Env:    []string{"ENVHOST_CHROOT_DIR=" + stateDir(t)},
		Logger: hclog.New(&hclog.LoggerOptions{Name: "plugin", Level: hclog.Warn, Output: os.Stderr}),
	})
	if err != nil {
		t.Fatalf("launching the chroot plugin from %s: %v", dir, err)
	}
	t.Cleanup(func() { _ = p.Close() })
	if want := filepath.Join(dir, "envhost-plugin-chroot"); p.Path() != want {
		t.Errorf("the host launched %s, want %s", p.Path(), want)
	}
	backendtest.Run(t, func(*testing.T) sdk.Backend { return p }, opts)
}

// TestCopyInStaysInside checks that a hostile tar stream cannot write
// outside the container: ".." names, and paths through symlinks that point
// out (absolute, or climbing with ..), are refused.
func TestCopyInStaysInside(t *testing.T) {
	img := image(t)
	b, err := chroot.New(chroot.Options{StateDir: stateDir(t)})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	c, err := b.Create(ctx, sdk.Spec{Image: img})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Remove(context.Background(), c.ID, sdk.RemoveOptions{}) })
	outside := t.TempDir()
	target := filepath.Join(outside, "escaped")
	for name, entries := range map[string][]tarEntry{
		"dotdot":       {{name: "../../../../../../" + target, body: "x"}},
		"absolute":     {{name: "abs", link: outside}, {name: "abs/escaped", body: "x"}},
		"climbing":     {{name: "up", link: "../../../../../../../.." + outside}, {name: "up/escaped", body: "x"}},
		"nested-climb": {{name: "d/", dir: true}, {name: "d/up", link: "../../../../../../../.."}, {name: "d/up" + target, body: "x"}},
	} {
		err := b.CopyIn(ctx, c.ID, "/tmp", tarOf(t, entries))
		t.Logf("%s: %v", name, err)
		if err == nil {
			t.Errorf("%s: CopyIn accepted a tar writing outside the container", name)
		}
		if _, serr := os.Lstat(target); serr == nil {
			t.Fatalf("%s: CopyIn wrote %s on the host", name, target)
		}
	}
}

type tarEntry struct {
	name, body, link string
	dir              bool
}

func tarOf(t *testing.T, entries []tarEntry) io.Reader {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		hdr := &tar.Header{Name: e.name, Mode: 0o644, Size: int64(len(e.body)), Typeflag: tar.TypeReg}
		switch {
		case e.dir:
			hdr.Typeflag, hdr.Mode = tar.TypeDir, 0o755
		case e.link != "":
			hdr.Typeflag, hdr.Linkname = tar.TypeSymlink, e.link
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(tw, e.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return &buf
}
