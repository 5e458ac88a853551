package sdk_test

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/envhost/envhost/sdk"
	"github.com/envhost/envhost/sdk/internal/fakebackend"
	"github.com/envhost/envhost/sdk/sdktest"
)

// benchTargets returns the fake called directly and through gRPC.
func benchTargets(b *testing.B) map[string]sdk.Backend {
	f := fakebackend.New(b.TempDir())
	return map[string]sdk.Backend{"direct": f, "grpc": sdktest.InProcess(b, f)}
}

func BenchmarkExecRoundTrip(b *testing.B) {
	for _, name := range []string{"direct", "grpc"} {
		b.Run(name, func(b *testing.B) {
			be := benchTargets(b)[name]
			c, err := be.Create(context.Background(), sdk.Spec{Image: "present:1"})
			if err != nil {
				b.Fatal(err)
			}
			spec := sdk.ExecSpec{ContainerID: c.ID, Cmd: []string{"echo", "hi"}}
			b.ResetTimer()
			for b.Loop() {
				if _, err := be.Exec(context.Background(), spec, sdk.ExecIO{Stdout: io.Discard}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkExecStdout(b *testing.B) {
	const n = 16 << 20
	for _, name := range []string{"direct", "grpc"} {
		b.Run(name, func(b *testing.B) {
			be := benchTargets(b)[name]
			c, err := be.Create(context.Background(), sdk.Spec{Image: "present:1"})
			if err != nil {
				b.Fatal(err)
			}
			spec := sdk.ExecSpec{ContainerID: c.ID, Cmd: []string{"yes", fmt.Sprint(n)}}
			b.SetBytes(n)
			for b.Loop() {
				if _, err := be.Exec(context.Background(), spec, sdk.ExecIO{Stdout: io.Discard}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkCopyIn(b *testing.B) {
	const n = 32 << 20
	for _, name := range []string{"direct", "grpc"} {
		b.Run(name, func(b *testing.B) {
			be := benchTargets(b)[name]
			c, err := be.Create(context.Background(), sdk.Spec{Image: "present:1"})
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(n)
			for b.Loop() {
				if err := be.CopyIn(context.Background(), c.ID, "/in", tarOf("big.bin", n)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// tarOf streams a tar holding one file of n pattern bytes, never in memory.
func tarOf(name string, n int64) io.Reader {
	pr, pw := io.Pipe()
	go func() {
		tw := tar.NewWriter(pw)
		err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: n, Typeflag: tar.TypeReg})
		if err == nil {
			_, err = io.CopyN(tw, &fakebackend.PatternReader{}, n)
		}
		if err == nil {
			err = tw.Close()
		}
		pw.CloseWithError(err)
	}()
	return pr
}
