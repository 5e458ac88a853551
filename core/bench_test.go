package core

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/envhost/envhost/internal/testenv"
	"github.com/envhost/envhost/sdk"
)

// benchEnv starts an environment with a small repository on backend.
func benchEnv(b *testing.B, backend string) *Environment {
	b.Helper()
	if testing.Short() {
		b.Skip("needs engines; skipped in -short mode")
	}
	b.Setenv("DOCKER_HOST", testenv.DockerHost(b))
	b.Setenv("CONTAINER_HOST", testenv.ContainerHost(b))
	repo, _ := gitRepo(b)
	cfg := Config{
		Name:       "bench-" + backend,
		Deployment: DeploymentConfig{Backend: backend, Image: testenv.ImagePy311, Pull: sdk.PullNever},
		Repo:       &RepoConfig{Path: repo},
		PluginDirs: []string{plugins(b)},
	}
	e, err := New(cfg, WithLogger(hclog.NewNullLogger()), WithSnapshotDir(b.TempDir()))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = e.Close(context.Background()) })
	if err := e.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	return e
}

// BenchmarkRestart measures RestartWithImage with preserveRepoState=true on
// a small repository against the engine floor measured in the same run:
// removing one container and creating and starting another, straight
// through the same backend plugin. It reports both in ms and their ratio.
func BenchmarkRestart(b *testing.B) {
	for _, backend := range engines {
		b.Run(backend, func(b *testing.B) {
			e := benchEnv(b, backend)
			ctx := context.Background()
			be := e.backends[backend]
			spec, err := e.cfg.Deployment.containerSpec("bench-floor", "", e.containerEnv())
			if err != nil {
				b.Fatal(err)
			}
			floorOnce := func(prev string) (string, time.Duration) {
				start := time.Now()
				if err := be.Remove(ctx, prev, sdk.RemoveOptions{}); err != nil {
					b.Fatal(err)
				}
				spec.Name = containerName("bench-floor")
				c, err := be.Create(ctx, spec)
				if err != nil {
					b.Fatal(err)
				}
				if err := waitRunning(ctx, be, c.ID); err != nil {
					b.Fatal(err)
				}
				return c.ID, time.Since(start)
			}
			spec.Name = containerName("bench-floor")
			first, err := be.Create(ctx, spec)
			if err != nil {
				b.Fatal(err)
			}
			prev := first.ID
			defer func() { _ = be.Remove(context.Background(), prev, sdk.RemoveOptions{}) }()

			var restart, floor time.Duration
			n := 0
			for b.Loop() {
				start := time.Now()
				if err := e.RestartWithImage(ctx, testenv.ImagePy311, true); err != nil {
					b.Fatal(err)
				}
				restart += time.Since(start)
				var d time.Duration
				prev, d = floorOnce(prev)
				floor += d
				n++
			}
			r := float64(restart.Milliseconds()) / float64(n)
			f := float64(floor.Milliseconds()) / float64(n)
			b.ReportMetric(r, "restart-ms")
			b.ReportMetric(f, "floor-ms")
			b.ReportMetric(r/f, "x-floor")
		})
	}
}

// BenchmarkCommunicate measures a round trip of `echo hi` through the
// default session and reports its median.
func BenchmarkCommunicate(b *testing.B) {
	for _, backend := range engines {
		b.Run(backend, func(b *testing.B) {
			e := benchEnv(b, backend)
			ctx := context.Background()
			var ds []time.Duration
			for b.Loop() {
				start := time.Now()
				if _, err := e.Communicate(ctx, "echo hi", CommunicateOptions{Check: CheckRaise}); err != nil {
					b.Fatal(err)
				}
				ds = append(ds, time.Since(start))
			}
			sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
			b.ReportMetric(float64(ds[len(ds)/2].Microseconds()), "p50-µs")
		})
	}
}
