package podman_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/containers/podman/v4/pkg/bindings"
	"github.com/containers/podman/v4/pkg/bindings/images"

	"github.com/envhost/envhost/internal/testenv"
	"github.com/envhost/envhost/sdk"
)

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// Podman stores an imported image as localhost/NAME; the short name and the
// full one find it under both local policies, and a missing image under
// PullNever is NotFound naming it.
func TestEnsureImageNames(t *testing.T) {
	b := newBackend(t)
	ctx := testCtx(t)
	var ids []string
	for _, ref := range []string{testenv.ImagePy311, "localhost/" + testenv.ImagePy311} {
		for _, p := range []sdk.PullPolicy{sdk.PullNever, sdk.PullMissing} {
			img, err := b.EnsureImage(ctx, sdk.ImageRequest{Image: ref, Policy: p}, nil)
			if err != nil || img.ID == "" || img.Pulled {
				t.Fatalf("EnsureImage(%s, %s) = %+v, %v", ref, p, img, err)
			}
			ids = append(ids, img.ID)
		}
	}
	for _, id := range ids[1:] {
		if id != ids[0] {
			t.Errorf("image ids differ: %v", ids)
		}
	}
	missing := "envhost/no-such-image:" + randHex()
	_, err := b.EnsureImage(ctx, sdk.ImageRequest{Image: missing, Policy: sdk.PullNever}, nil)
	if !errors.Is(err, sdk.ErrNotFound) || !strings.Contains(err.Error(), missing) {
		t.Errorf("EnsureImage(missing, never) = %v, want NotFound naming %s", err, missing)
	}
	_, err = b.EnsureImage(ctx, sdk.ImageRequest{Image: testenv.ImagePy311, Policy: sdk.PullNever, Platform: "linux/s390x"}, nil)
	if !errors.Is(err, sdk.ErrNotFound) {
		t.Errorf("EnsureImage for another platform under never = %v, want NotFound", err)
	}
	_, err = b.Create(ctx, sdk.Spec{Image: missing})
	if !errors.Is(err, sdk.ErrNotFound) || !strings.Contains(err.Error(), missing) {
		t.Errorf("Create from a missing image = %v, want NotFound naming it", err)
	}
}

// RemoveImage removes the container's image (a throwaway tag of the test
// image here) and leaves other images alone.
func TestRemoveImage(t *testing.T) {
	b := newBackend(t)
	ctx := testCtx(t)
	conn, err := bindings.NewConnection(ctx, testenv.ContainerHost(t))
	if err != nil {
		t.Fatal(err)
	}
	tag := randHex()
	repo := "localhost/envhost-podman-test/rmimage"
	if err := images.Tag(conn, testenv.ImagePy311, tag, repo, nil); err != nil {
		t.Fatalf("tag: %v", err)
	}
	ref := repo + ":" + tag
	t.Cleanup(func() { _, _ = images.Remove(context.Background(), []string{ref}, nil) })
	c, err := b.Create(ctx, sdk.Spec{Image: ref})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if err := b.Remove(ctx, c.ID, sdk.RemoveOptions{RemoveImage: true}); err != nil {
		t.Fatalf("Remove with image: %v", err)
	}
	if ok, _ := images.Exists(conn, ref, nil); ok {
		t.Errorf("image %s still exists after Remove with RemoveImage", ref)
	}
	if ok, _ := images.Exists(conn, testenv.ImagePy311, nil); !ok {
		t.Fatalf("the test image %s went with the throwaway tag", testenv.ImagePy311)
	}
	if err := b.Remove(ctx, c.ID, sdk.RemoveOptions{RemoveImage: true}); err != nil {
		t.Errorf("second Remove with image: %v", err)
	}
}

// An exec whose process exits while the caller's stdin is still open returns,
// and execs leave no sockets behind (each attach has a connection of its own).
func TestExecStdinLeftOpen(t *testing.T) {
	b := newBackend(t)
	ctx := testCtx(t)
	c, err := b.Create(ctx, sdk.Spec{Image: testenv.ImagePy311})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { remove(t, b, c.ID) })

	exec := func() {
		pr, pw := io.Pipe()
		defer pw.Close()
		go func() { _, _ = pw.Write([]byte("abcdef")) }()
		var out bytes.Buffer
		code, err := b.Exec(ctx, sdk.ExecSpec{ContainerID: c.ID, Cmd: []string{"head", "-c", "3"}}, sdk.ExecIO{Stdin: pr, Stdout: &out})
		if err != nil || code != 0 || out.String() != "abc" {
			t.Fatalf("head -c 3 with stdin left open: code %d, err %v, out %q", code, err, out.String())
		}
	}
	exec() // warm up: the shared connection
	before := openFDs(t)
	for range 20 {
		exec()
	}
	time.Sleep(200 * time.Millisecond)
	if after := openFDs(t); after > before+4 {
		t.Errorf("open file descriptors grew from %d to %d over 20 execs", before, after)
	}
}

func openFDs(t *testing.T) int {
	t.Helper()
	e, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(e)
}

func randHex() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
