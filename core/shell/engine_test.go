package shell

import (
	"context"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/envhost/envhost/internal/testenv"
	"github.com/envhost/envhost/plugins/docker"
	"github.com/envhost/envhost/plugins/podman"
	"github.com/envhost/envhost/sdk"
)

// Real-engine tests: the same behaviour as TestLocal, in a container of the
// test image on Docker and on Podman.

func dockerBackend(t testing.TB) sdk.Backend {
	t.Helper()
	host := testenv.DockerHost(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := docker.New(ctx, docker.Options{Host: host})
	if err != nil {
		t.Fatalf("docker.New(%s): %v", host, err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

func podmanBackend(t testing.TB) sdk.Backend {
	t.Helper()
	host := testenv.ContainerHost(t)
	b, err := podman.New(podman.Options{URI: host})
	if err != nil {
		t.Fatalf("podman.New(%s): %v", host, err)
	}
	return b
}

// container starts a container of the test image on b, removed at cleanup.
func container(t testing.TB, b sdk.Backend) target {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := b.EnsureImage(ctx, sdk.ImageRequest{Image: testenv.ImagePy311, Policy: sdk.PullNever}, nil); err != nil {
		t.Fatalf("image %s: %v", testenv.ImagePy311, err)
	}
	c, err := b.Create(ctx, sdk.Spec{Image: testenv.ImagePy311, Labels: map[string]string{"io.envhost.test": "core/shell"}})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := b.Remove(ctx, c.ID, sdk.RemoveOptions{}); err != nil {
			t.Errorf("Remove(%s): %v", c.ID, err)
		}
	})
	return target{b: b, container: c.ID}
}

func TestDocker(t *testing.T) {
	tg := container(t, dockerBackend(t))
	tg.slack = 6 * time.Second // signal execs slow down a lot when parallel subtests load a small machine
	testBehaviour(t, tg)
}

func TestPodman(t *testing.T) {
	tg := container(t, podmanBackend(t))
	tg.slack = 6 * time.Second // an exec takes about a second on Podman 4.3 here
	testBehaviour(t, tg)
}

// TestEngineShellLeadsGroup checks what killScript relies on: the engines
// start an exec's process in its own process group.
func TestEngineShellLeadsGroup(t *testing.T) {
	for name, newB := range map[string]func(testing.TB) sdk.Backend{"docker": dockerBackend, "podman": podmanBackend} {
		t.Run(name, func(t *testing.T) {
			s := open(t, container(t, newB(t)), Options{})
			if s.pid <= 0 || s.pgid != s.pid {
				t.Errorf("shell pid %d, process group %d: want its own group", s.pid, s.pgid)
			}
		})
	}
}

// BenchmarkRoundTrip measures `true` through a session on the real Docker
// engine, reporting the median (p50-ms) besides the mean.
func BenchmarkRoundTrip(b *testing.B) {
	benchRoundTrip(b, container(b, dockerBackend(b)))
}

// BenchmarkRoundTripPodman is BenchmarkRoundTrip on Podman.
func BenchmarkRoundTripPodman(b *testing.B) {
	benchRoundTrip(b, container(b, podmanBackend(b)))
}

func benchRoundTrip(b *testing.B, tg target) {
	s, err := Open(context.Background(), tg.b, tg.container, Options{})
	if err != nil {
		b.Fatalf("Open: %v", err)
	}
	defer s.Close()
	ctx := context.Background()
	for range 20 { // warm up
		if _, err := s.Run(ctx, "true", 10*time.Second); err != nil {
			b.Fatal(err)
		}
	}
	durs := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		r, err := s.Run(ctx, "true", 10*time.Second)
		durs = append(durs, time.Since(start))
		if err != nil || r.ExitCode != 0 {
			b.Fatalf("true: %v, exit %d", err, r.ExitCode)
		}
	}
	b.StopTimer()
	slices.Sort(durs)
	b.ReportMetric(float64(durs[len(durs)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(durs[len(durs)*99/100].Microseconds())/1000, "p99-ms")
}

// BenchmarkRoundTripLocal is the same against a local bash, for comparison.
func BenchmarkRoundTripLocal(b *testing.B) {
	benchRoundTrip(b, target{b: &localBackend{}})
}

// BenchmarkRawEcho is the floor BenchmarkRoundTrip compares with: a bare
// bash on the Docker exec stream answering `echo x`, without any framing.
func BenchmarkRawEcho(b *testing.B) {
	tg := container(b, dockerBackend(b))
	pr, pw := io.Pipe()
	lines := make(chan struct{}, 1)
	out := writerFunc(func(p []byte) (int, error) {
		for _, c := range p {
			if c == '\n' {
				lines <- struct{}{}
			}
		}
		return len(p), nil
	})
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = tg.b.Exec(context.Background(), sdk.ExecSpec{ContainerID: tg.container, Cmd: []string{"bash"}}, sdk.ExecIO{Stdin: pr, Stdout: out})
	}()
	defer func() { pw.Close(); <-done }()
	durs := make([]time.Duration, 0, b.N)
	for b.Loop() {
		start := time.Now()
		if _, err := io.WriteString(pw, "echo x\n"); err != nil {
			b.Fatal(err)
		}
		<-lines
		durs = append(durs, time.Since(start))
	}
	slices.Sort(durs)
	b.ReportMetric(float64(durs[len(durs)/2].Microseconds())/1000, "p50-ms")
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
