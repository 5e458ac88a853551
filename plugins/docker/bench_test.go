package docker_test

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/envhost/envhost/internal/testenv"
	"github.com/envhost/envhost/sdk"
	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/client"
)

// The benchmarks compare the engine's Go client used directly (no envhost
// code) with the docker backend in-process and through a real plugin
// process; the ratios are the backend's and the plugin's overhead.

// benchClient is a bare moby client on the test engine.
func benchClient(b *testing.B) *client.Client {
	b.Helper()
	cli, err := client.New(client.FromEnv, client.WithHost(testenv.DockerHost(b)))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = cli.Close() })
	return cli
}

// benchContainer starts a keep-alive container for a benchmark.
func benchContainer(b *testing.B) (sdk.Backend, string) {
	b.Helper()
	be := newBackend(b)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := be.Create(ctx, sdk.Spec{Image: testenv.ImagePy311, Labels: map[string]string{"io.envhost.bench": "true"}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = be.Remove(context.Background(), c.ID, sdk.RemoveOptions{}) })
	return be, c.ID
}

// BenchmarkExecRoundTrip runs `true` in a running container: one exec API
// round trip (create, attach, drain, inspect). A persistent shell session is
// the fast path for commands; this measures the exec API itself.
func BenchmarkExecRoundTrip(b *testing.B) {
	_, id := benchContainer(b)
	spec := sdk.ExecSpec{ContainerID: id, Cmd: []string{"true"}}
	b.Run("direct", func(b *testing.B) {
		cli := benchClient(b)
		ctx := context.Background()
		for b.Loop() {
			ex, err := cli.ExecCreate(ctx, id, client.ExecCreateOptions{Cmd: spec.Cmd, AttachStdout: true, AttachStderr: true})
			if err != nil {
				b.Fatal(err)
			}
			att, err := cli.ExecAttach(ctx, ex.ID, client.ExecAttachOptions{})
			if err != nil {
				b.Fatal(err)
			}
			_, err = stdcopy.StdCopy(io.Discard, io.Discard, att.Reader)
			att.Close()
			if err != nil {
				b.Fatal(err)
			}
			res, err := cli.ExecInspect(ctx, ex.ID, client.ExecInspectOptions{})
			if err != nil || res.ExitCode != 0 {
				b.Fatalf("inspect: %v, exit %d", err, res.ExitCode)
			}
		}
	})
	b.Run("backend", func(b *testing.B) { benchExec(b, newBackend(b), spec) })
	b.Run("plugin", func(b *testing.B) { benchExec(b, launchPlugin(b), spec) })
}

func benchExec(b *testing.B, be sdk.Backend, spec sdk.ExecSpec) {
	ctx := context.Background()
	for b.Loop() {
		code, err := be.Exec(ctx, spec, sdk.ExecIO{})
		if err != nil || code != 0 {
			b.Fatalf("exec: code %d, err %v", code, err)
		}
	}
}

// benchTar returns a tar of n bytes of pseudo-random content in 8 files.
func benchTar(b *testing.B, n int) []byte {
	b.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	rng := rand.NewChaCha8([32]byte{1})
	per := n / 8
	for i := range 8 {
		name := "bench/f" + string(rune('0'+i))
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(per), Typeflag: tar.TypeReg}); err != nil {
			b.Fatal(err)
		}
		if _, err := io.CopyN(tw, rng, int64(per)); err != nil {
			b.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkCopyIn copies a 64 MiB tar into a running container.
func BenchmarkCopyIn(b *testing.B) {
	_, id := benchContainer(b)
	const size = 64 << 20
	data := benchTar(b, size)
	b.Run("direct", func(b *testing.B) {
		cli := benchClient(b)
		b.SetBytes(size)
		for b.Loop() {
			if _, err := cli.CopyToContainer(context.Background(), id, client.CopyToContainerOptions{
				DestinationPath: "/tmp", Content: bytes.NewReader(data),
			}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("backend", func(b *testing.B) { benchCopyIn(b, newBackend(b), id, data) })
	b.Run("plugin", func(b *testing.B) { benchCopyIn(b, launchPlugin(b), id, data) })
}

func benchCopyIn(b *testing.B, be sdk.Backend, id string, data []byte) {
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if err := be.CopyIn(context.Background(), id, "/tmp", bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}
