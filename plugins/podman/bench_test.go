package podman_test

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"testing"

	"github.com/containers/podman/v4/pkg/api/handlers"
	"github.com/containers/podman/v4/pkg/bindings"
	"github.com/containers/podman/v4/pkg/bindings/containers"
	docker "github.com/docker/docker/api/types"

	"github.com/envhost/envhost/internal/testenv"
	"github.com/envhost/envhost/sdk"
)

// benchContainer starts a container for a benchmark and removes it after.
func benchContainer(b *testing.B, be sdk.Backend) string {
	b.Helper()
	ctx := context.Background()
	c, err := be.Create(ctx, sdk.Spec{Image: testenv.ImagePy311})
	if err != nil {
		b.Fatalf("Create: %v", err)
	}
	b.Cleanup(func() { remove(b, be, c.ID) })
	return c.ID
}

// BenchmarkExecRoundTrip runs `true` in a running container: with the
// bindings used directly, through the backend in process, and through the
// real plugin process.
func BenchmarkExecRoundTrip(b *testing.B) {
	host := testenv.ContainerHost(b)
	be := newBackend(b)
	id := benchContainer(b, be)
	ctx := context.Background()

	b.Run("direct", func(b *testing.B) {
		conn, err := bindings.NewConnection(ctx, host)
		if err != nil {
			b.Fatal(err)
		}
		cfg := &handlers.ExecCreateConfig{ExecConfig: docker.ExecConfig{Cmd: []string{"true"}, AttachStdout: true, AttachStderr: true}}
		opts := new(containers.ExecStartAndAttachOptions).
			WithOutputStream(io.Discard).WithAttachOutput(true).
			WithErrorStream(io.Discard).WithAttachError(true)
		for b.Loop() {
			sid, err := containers.ExecCreate(conn, id, cfg)
			if err != nil {
				b.Fatal(err)
			}
			if err := containers.ExecStartAndAttach(conn, sid, opts); err != nil {
				b.Fatal(err)
			}
			if s, err := containers.ExecInspect(conn, sid, nil); err != nil || s.ExitCode != 0 {
				b.Fatalf("inspect: %+v, %v", s, err)
			}
		}
	})
	run := func(b *testing.B, be sdk.Backend) {
		for b.Loop() {
			code, err := be.Exec(ctx, sdk.ExecSpec{ContainerID: id, Cmd: []string{"true"}}, sdk.ExecIO{})
			if err != nil || code != 0 {
				b.Fatalf("Exec(true): %d, %v", code, err)
			}
		}
	}
	b.Run("backend", func(b *testing.B) { run(b, be) })
	b.Run("plugin", func(b *testing.B) { run(b, launchPlugin(b, host)) })
}

// BenchmarkCopyIn copies a 64 MiB tar (one file) into a running container.
func BenchmarkCopyIn(b *testing.B) {
	host := testenv.ContainerHost(b)
	be := newBackend(b)
	id := benchContainer(b, be)
	ctx := context.Background()
	archive := benchTar(b, 64<<20)

	b.Run("direct", func(b *testing.B) {
		conn, err := bindings.NewConnection(ctx, host)
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(archive)))
		for b.Loop() {
			copyFn, err := containers.CopyFromArchive(conn, id, "/tmp", bufio.NewReader(bytes.NewReader(archive)))
			if err != nil {
				b.Fatal(err)
			}
			if err := copyFn(); err != nil {
				b.Fatal(err)
			}
		}
	})
	run := func(b *testing.B, be sdk.Backend) {
		b.SetBytes(int64(len(archive)))
		for b.Loop() {
			if err := be.CopyIn(ctx, id, "/tmp", bytes.NewReader(archive)); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("backend", func(b *testing.B) { run(b, be) })
	b.Run("plugin", func(b *testing.B) { run(b, launchPlugin(b, host)) })
}

// benchTar returns a tar holding one file of n random bytes.
func benchTar(b *testing.B, n int) []byte {
	b.Helper()
	data := make([]byte, n)
	_, _ = rand.Read(data)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Name: "bench.bin", Mode: 0o644, Size: int64(n), Typeflag: tar.TypeReg}); err != nil {
		b.Fatal(err)
	}
	if _, err := tw.Write(data); err != nil {
		b.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}
