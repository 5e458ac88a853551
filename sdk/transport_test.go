package sdk_test

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/envhost/envhost/sdk"
	"github.com/envhost/envhost/sdk/internal/fakebackend"
	"github.com/envhost/envhost/sdk/sdktest"
)

// newPair returns the fake and a client reaching it through gRPC.
func newPair(t *testing.T) (*fakebackend.Fake, sdk.Backend) {
	t.Helper()
	f := fakebackend.New(t.TempDir())
	return f, sdktest.InProcess(t, f)
}

func mustCreate(t *testing.T, b sdk.Backend) string {
	t.Helper()
	c, err := b.Create(context.Background(), sdk.Spec{Image: "present:1"})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	return c.ID
}

func TestErrorClassesCrossTheWire(t *testing.T) {
	_, b := newPair(t)
	ctx := context.Background()
	for name, class := range fakebackend.Classes {
		t.Run(name, func(t *testing.T) {
			msg := "something about " + name
			id := "error:" + name + ":" + msg
			checks := map[string]error{}
			_, checks["Inspect"] = b.Inspect(ctx, id)
			checks["Remove"] = b.Remove(ctx, id, sdk.RemoveOptions{})
			checks["CopyIn"] = b.CopyIn(ctx, id, "/", strings.NewReader(""))
			checks["CopyOut"] = b.CopyOut(ctx, id, "/x", io.Discard)
			_, checks["Exec"] = b.Exec(ctx, sdk.ExecSpec{ContainerID: id, Cmd: []string{"echo"}}, sdk.ExecIO{})
			_, checks["EnsureImage"] = b.EnsureImage(ctx, sdk.ImageRequest{Image: id}, nil)
			_, checks["Create"] = b.Create(ctx, sdk.Spec{Image: id})
			for method, err := range checks {
				if err == nil {
					t.Errorf("%s: no error", method)
					continue
				}
				if err.Error() != msg {
					t.Errorf("%s: message %q, want %q", method, err.Error(), msg)
				}
				if got := sdk.Class(err); got != class {
					t.Errorf("%s: class %v, want %v", method, got, class)
				}
				if class != nil && !errors.Is(err, class) {
					t.Errorf("%s: errors.Is(err, %v) = false", method, class)
				}
			}
		})
	}
}

func TestExecStdio(t *testing.T) {
	_, b := newPair(t)
	id := mustCreate(t, b)
	ctx := context.Background()
	run := func(stdin io.Reader, cmd ...string) (string, string, int) {
		t.Helper()
		var out, errb bytes.Buffer
		code, err := b.Exec(ctx, sdk.ExecSpec{ContainerID: id, Cmd: cmd}, sdk.ExecIO{Stdin: stdin, Stdout: &out, Stderr: &errb})
		if err != nil {
			t.Fatalf("Exec %v: %v", cmd, err)
		}
		return out.String(), errb.String(), code
	}
	if out, _, code := run(strings.NewReader("hello\nworld\n"), "cat"); out != "hello\nworld\n" || code != 0 {
		t.Errorf("cat: %q, %d", out, code)
	}
	if out, _, _ := run(nil, "cat"); out != "" {
		t.Errorf("cat with nil stdin: %q", out)
	}
	if out, errs, _ := run(nil, "stderr", "oops"); out != "" || errs != "oops\n" {
		t.Errorf("stderr: stdout %q stderr %q", out, errs)
	}
	if _, _, code := run(nil, "exit", "42"); code != 42 {
		t.Errorf("exit 42: code %d", code)
	}
	// Output with nowhere to go is discarded.
	if code, err := b.Exec(ctx, sdk.ExecSpec{ContainerID: id, Cmd: []string{"echo", "x"}}, sdk.ExecIO{}); err != nil || code != 0 {
		t.Errorf("echo with nil writers: %d, %v", code, err)
	}
}

func TestExecLargeStreams(t *testing.T) {
	_, b := newPair(t)
	id := mustCreate(t, b)
	const n = 5 << 20 // more than gRPC's default 4 MiB message limit
	var out bytes.Buffer
	code, err := b.Exec(context.Background(), sdk.ExecSpec{ContainerID: id, Cmd: []string{"yes", fmt.Sprint(n)}}, sdk.ExecIO{Stdout: &out})
	if err != nil || code != 0 {
		t.Fatalf("yes: %d, %v", code, err)
	}
	want, _ := io.ReadAll(io.LimitReader(&fakebackend.PatternReader{}, n))
	if !bytes.Equal(out.Bytes(), want) {
		t.Fatalf("stdout: %d bytes, not the %d-byte pattern", out.Len(), n)
	}
	// And as much stdin echoed back.
	out.Reset()
	code, err = b.Exec(context.Background(), sdk.ExecSpec{ContainerID: id, Cmd: []string{"cat"}},
		sdk.ExecIO{Stdin: bytes.NewReader(want), Stdout: &out})
	if err != nil || code != 0 || !bytes.Equal(out.Bytes(), want) {
		t.Fatalf("cat 5 MiB: %d, %v, %d bytes back", code, err, out.Len())
	}
}

func TestExecCancel(t *testing.T) {
	_, b := newPair(t)
	id := mustCreate(t, b)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	_, err := b.Exec(ctx, sdk.ExecSpec{ContainerID: id, Cmd: []string{"sleep"}}, sdk.ExecIO{})
	if !errors.Is(err, sdk.ErrCanceled) || !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Exec = %v, want ErrCanceled", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("cancelled Exec took %v", d)
	}

	ctx, cancel2 := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel2()
	_, err = b.Exec(ctx, sdk.ExecSpec{ContainerID: id, Cmd: []string{"sleep"}}, sdk.ExecIO{})
	if !errors.Is(err, sdk.ErrDeadlineExceeded) {
		t.Fatalf("timed out Exec = %v, want ErrDeadlineExceeded", err)
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestExecStdinReadError(t *testing.T) {
	_, b := newPair(t)
	id := mustCreate(t, b)
	_, err := b.Exec(context.Background(), sdk.ExecSpec{ContainerID: id, Cmd: []string{"cat"}}, sdk.ExecIO{Stdin: failingReader{}, Stdout: io.Discard})
	if err == nil || !strings.Contains(err.Error(), "reading stdin: disk on fire") {
		t.Fatalf("Exec with failing stdin = %v", err)
	}
}

func TestEnsureImage(t *testing.T) {
	_, b := newPair(t)
	ctx := context.Background()
	var events []sdk.ImageProgress
	img, err := b.EnsureImage(ctx, sdk.ImageRequest{Image: "new:1"}, func(p sdk.ImageProgress) { events = append(events, p) })
	if err != nil || !img.Pulled || img.ID != "sha256:new:1" {
		t.Fatalf("EnsureImage = %+v, %v", img, err)
	}
	if len(events) != 4 || events[0] != (sdk.ImageProgress{Status: "Downloading", Layer: "layer1", Current: 10, Total: 30}) {
		t.Fatalf("progress events %+v", events)
	}
	img, err = b.EnsureImage(ctx, sdk.ImageRequest{Image: "present:1", Policy: sdk.PullNever}, nil)
	if err != nil || img.Pulled {
		t.Fatalf("EnsureImage present = %+v, %v", img, err)
	}
	_, err = b.EnsureImage(ctx, sdk.ImageRequest{Image: "missing:1", Policy: sdk.PullNever}, nil)
	if !errors.Is(err, sdk.ErrNotFound) || !strings.Contains(err.Error(), "missing:1") {
		t.Fatalf("EnsureImage missing = %v", err)
	}
}

// recorder keeps what reached the backend.
type recorder struct {
	sdk.Backend
	spec sdk.Spec
	exec sdk.ExecSpec
}

func (r *recorder) Create(_ context.Context, s sdk.Spec) (sdk.Container, error) {
	r.spec = s
	return sdk.Container{ID: "id1", Name: s.Name}, nil
}

func (r *recorder) Exec(_ context.Context, s sdk.ExecSpec, _ sdk.ExecIO) (int, error) {
	r.exec = s
	return 3, nil
}

func TestSpecsCrossTheWireIntact(t *testing.T) {
	rec := &recorder{}
	b := sdktest.InProcess(t, rec)
	spec := sdk.Spec{
		Image: "img", Name: "n", Env: map[string]string{"A": "1"}, WorkingDir: "/w", User: "1000:1000",
		Labels:    map[string]string{"l": "v"},
		Resources: sdk.Resources{MemoryBytes: 1 << 30, NanoCPUs: 2e9, ShmSizeBytes: 64 << 20},
		Platform:  "linux/amd64",
		Mounts:    []sdk.Mount{{Type: "bind", Source: "/a", Target: "/b", ReadOnly: true}},
		Network:   "none", CapAdd: []string{"SYS_PTRACE"},
		Ulimits: []sdk.Ulimit{{Name: "nofile", Soft: 1024, Hard: 4096}},
		Command: []string{"sleep", "infinity"}, Options: map[string]string{"k": "v"},
	}
	if _, err := b.Create(context.Background(), spec); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(rec.spec, spec) {
		t.Errorf("spec arrived as %+v\nwant %+v", rec.spec, spec)
	}
	es := sdk.ExecSpec{ContainerID: "id1", Cmd: []string{"a", "b"}, Env: map[string]string{"X": "y"}, WorkingDir: "/tmp", User: "root"}
	code, err := b.Exec(context.Background(), es, sdk.ExecIO{})
	if err != nil || code != 3 || !reflect.DeepEqual(rec.exec, es) {
		t.Errorf("exec: %d, %v, arrived as %+v", code, err, rec.exec)
	}
}

func TestContainerLifecycle(t *testing.T) {
	_, b := newPair(t)
	ctx := context.Background()
	c, err := b.Create(ctx, sdk.Spec{Image: "present:1", Name: "web", Labels: map[string]string{"x": "y"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Create(ctx, sdk.Spec{Image: "present:1", Name: "web"}); !errors.Is(err, sdk.ErrAlreadyExists) {
		t.Errorf("duplicate name: %v", err)
	}
	if _, err := b.Create(ctx, sdk.Spec{Image: "present:1", Options: map[string]string{"bogus": "1"}}); !errors.Is(err, sdk.ErrInvalidArgument) {
		t.Errorf("unknown option: %v", err)
	}
	st, err := b.Inspect(ctx, c.ID)
	if err != nil || st.State != sdk.StateRunning || st.Labels["x"] != "y" || st.Labels[sdk.LabelManaged] != "true" {
		t.Fatalf("Inspect = %+v, %v", st, err)
	}
	if err := b.Remove(ctx, c.ID, sdk.RemoveOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := b.Remove(ctx, c.ID, sdk.RemoveOptions{}); err != nil {
		t.Fatalf("second Remove: %v", err)
	}
	if st, err := b.Inspect(ctx, c.ID); err != nil || st.State != sdk.StateMissing {
		t.Fatalf("Inspect removed = %+v, %v", st, err)
	}
}

func TestCopyRoundTrip(t *testing.T) {
	_, b := newPair(t)
	id := mustCreate(t, b)
	ctx := context.Background()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	files := map[string]string{"proj/a.txt": "alpha", "proj/sub/b.txt": strings.Repeat("b", 3*sdk.ChunkSize+7)}
	for name, body := range files {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		io.WriteString(tw, body)
	}
	tw.Close()
	if err := b.CopyIn(ctx, id, "/work", &buf); err != nil {
		t.Fatalf("CopyIn: %v", err)
	}
	var out bytes.Buffer
	if err := b.CopyOut(ctx, id, "/work/proj", &out); err != nil {
		t.Fatalf("CopyOut: %v", err)
	}
	got := map[string]string{}
	tr := tar.NewReader(&out)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			body, _ := io.ReadAll(tr)
			got[h.Name] = string(body)
		}
	}
	if !reflect.DeepEqual(got, files) {
		t.Errorf("CopyOut gave %d files, want %v", len(got), len(files))
	}
	if err := b.CopyOut(ctx, id, "/nope", io.Discard); !errors.Is(err, sdk.ErrNotFound) {
		t.Errorf("CopyOut missing path: %v", err)
	}
	if err := b.CopyIn(ctx, id, "/work", strings.NewReader("not a tar stream at all, clearly")); !errors.Is(err, sdk.ErrInvalidArgument) {
		t.Errorf("CopyIn garbage: %v", err)
	}
}

func TestInfo(t *testing.T) {
	_, b := newPair(t)
	info, err := b.Info(context.Background())
	if err != nil || info.Name != "fake" || !info.Has(sdk.CapExecKill) {
		t.Fatalf("Info = %+v, %v", info, err)
	}
}

func TestServerTakesMessagesOver4MiB(t *testing.T) {
	// gRPC servers refuse messages over 4 MiB unless told otherwise; the
	// plugin server is configured with sdk.GRPCServerOptions.
	rec := &recorder{}
	b := sdktest.InProcess(t, rec)
	big := strings.Repeat("x", 6<<20)
	if _, err := b.Create(context.Background(), sdk.Spec{Image: "img", Labels: map[string]string{"big": big}}); err != nil {
		t.Fatalf("Create with a 6 MiB spec: %v", err)
	}
	if len(rec.spec.Labels["big"]) != len(big) {
		t.Fatal("label lost")
	}
}
