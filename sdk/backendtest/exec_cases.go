package backendtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/envhost/envhost/sdk"
)

func testExecExitCodes(t *testing.T, s *suite) {
	ctx, b := s.setup(t)
	c := s.start(t, ctx, b)
	for script, want := range map[string]int{
		"exit 0":     0,
		"exit 1":     1,
		"exit 42":    42,
		"kill -9 $$": 137,
	} {
		if r := sh(t, ctx, b, c.ID, script); r.Code != want {
			t.Errorf("sh -c %q: exit %d, want %d (stderr %q)", script, r.Code, want, r.Stderr)
		}
	}
}

func testExecStreamsApart(t *testing.T, s *suite) {
	ctx, b := s.setup(t)
	c := s.start(t, ctx, b)
	r := sh(t, ctx, b, c.ID, `i=1; while [ $i -le 500 ]; do echo "out$i"; echo "err$i" >&2; i=$((i+1)); done`)
	var wantOut, wantErr strings.Builder
	for i := 1; i <= 500; i++ {
		fmt.Fprintf(&wantOut, "out%d\n", i)
		fmt.Fprintf(&wantErr, "err%d\n", i)
	}
	if r.Code != 0 {
		t.Fatalf("exit %d", r.Code)
	}
	if r.Stdout != wantOut.String() {
		t.Errorf("stdout (%d bytes) differs from the expected %d bytes; starts %q", len(r.Stdout), wantOut.Len(), head(r.Stdout))
	}
	if r.Stderr != wantErr.String() {
		t.Errorf("stderr (%d bytes) differs from the expected %d bytes; starts %q", len(r.Stderr), wantErr.Len(), head(r.Stderr))
	}
}

func testExecStdinCat(t *testing.T, s *suite) {
	ctx, b := s.setup(t)
	c := s.start(t, ctx, b)

	// Input arrives in pieces, with pauses, then a bulk of random bytes.
	const bulk = 1<<20 + 123
	pr, pw := io.Pipe()
	want := sha256.New()
	go func() {
		w := io.MultiWriter(pw, want)
		for _, piece := range []string{"hello\n", "wor", "ld\n"} {
			if _, err := io.WriteString(w, piece); err != nil {
				pw.CloseWithError(err)
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		_, err := io.Copy(w, io.LimitReader(newPRNG(1), bulk))
		pw.CloseWithError(err)
	}()
	got := newHashCounter()
	var stderr bytes.Buffer
	code, err := b.Exec(ctx, sdk.ExecSpec{ContainerID: c.ID, Cmd: []string{"cat"}},
		sdk.ExecIO{Stdin: pr, Stdout: got, Stderr: &stderr})
	if err != nil {
		t.Fatalf("Exec(cat): %v", err)
	}
	if code != 0 {
		t.Fatalf("cat: exit %d, stderr %q", code, stderr.String())
	}
	if n := int64(len("hello\nworld\n") + bulk); got.n != n {
		t.Errorf("cat echoed %d bytes, want %d", got.n, n)
	}
	if got.sum() != hex.EncodeToString(want.Sum(nil)) {
		t.Error("cat echoed different bytes than it was given")
	}
}

func testExecStdinCount(t *testing.T, s *suite) {
	ctx, b := s.setup(t)
	c := s.start(t, ctx, b)
	for _, n := range []int64{0, 1, 3<<20 + 17} {
		r := run(t, ctx, b, sdk.ExecSpec{ContainerID: c.ID, Cmd: []string{"wc", "-c"}},
			io.LimitReader(newPRNG(2), n))
		if r.Code != 0 || trim(r.Stdout) != strconv.FormatInt(n, 10) {
			t.Errorf("wc -c of %d bytes: exit %d, stdout %q, stderr %q", n, r.Code, r.Stdout, r.Stderr)
		}
	}
}

func testExecStdinNil(t *testing.T, s *suite) {
	ctx, b := s.setup(t)
	c := s.start(t, ctx, b)
	ctx2, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	r := run(t, ctx2, b, sdk.ExecSpec{ContainerID: c.ID, Cmd: []string{"cat"}}, nil)
	if r.Code != 0 || r.Stdout != "" {
		t.Errorf("cat with nil stdin: exit %d, stdout %q, stderr %q", r.Code, r.Stdout, r.Stderr)
	}
	// Nil writers discard.
	code, err := b.Exec(ctx2, sdk.ExecSpec{ContainerID: c.ID, Cmd: []string{"sh", "-c", "echo out; echo err >&2; exit 5"}}, sdk.ExecIO{})
	if err != nil || code != 5 {
		t.Errorf("Exec with nil writers: code %d, err %v; want 5, nil", code, err)
	}
}

func testExecEnvWorkdirUser(t *testing.T, s *suite) {
	ctx, b := s.setup(t)
	spec := s.spec()
	spec.Env = map[string]string{"BT_A": "container", "BT_B": "container"}
	c := create(t, ctx, b, spec)
	r := run(t, ctx, b, sdk.ExecSpec{
		ContainerID: c.ID,
		Cmd:         []string{"sh", "-c", `printf '%s|%s|%s|%s|%s' "$BT_A" "$BT_B" "$BT_C" "$(pwd)" "$(id -u)"`},
		Env:         map[string]string{"BT_B": "exec", "BT_C": "exec with spaces"},
		WorkingDir:  "/etc",
		User:        "65534",
	}, nil)
	if want := "container|exec|exec with spaces|/etc|65534"; r.Code != 0 || r.Stdout != want {
		t.Errorf("exec env/workdir/user: exit %d, stdout %q, want %q (stderr %q)", r.Code, r.Stdout, want, r.Stderr)
	}
}

func testExecLargeOutput(t *testing.T, s *suite) {
	ctx, b := s.setup(t)
	c := s.start(t, ctx, b)
	n := s.size(50<<20, 5<<20)
	script := fmt.Sprintf(`set -e
head -c %d /dev/urandom > /tmp/bt-large
sha256sum /tmp/bt-large | cut -d' ' -f1 >&2
cat /tmp/bt-large
rm /tmp/bt-large`, n)
	got := newHashCounter()
	var stderr bytes.Buffer
	start := time.Now()
	code, err := b.Exec(ctx, sdk.ExecSpec{ContainerID: c.ID, Cmd: []string{"sh", "-c", script}},
		sdk.ExecIO{Stdout: got, Stderr: &stderr})
	if err != nil {
		t.Fatalf("Exec: %v", err)
	}
	d := time.Since(start)
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
	if got.n != n {
		t.Errorf("stdout carried %d bytes, want %d", got.n, n)
	}
	if want := trim(stderr.String()); got.sum() != want {
		t.Errorf("stdout sha256 %s, the container computed %q", got.sum(), want)
	}
	t.Logf("%d MiB of output in %v (%.0f MB/s, including generation)", n>>20, d.Round(time.Millisecond), float64(n)/d.Seconds()/1e6)
}

func testExecBinaryOutput(t *testing.T, s *suite) {
	ctx, b := s.setup(t)
	c := s.start(t, ctx, b)
	var format strings.Builder
	var want []byte
	for range 4 {
		for i := range 256 {
			fmt.Fprintf(&format, `\%03o`, i)
			want = append(want, byte(i))
		}
	}
	r := run(t, ctx, b, sdk.ExecSpec{ContainerID: c.ID, Cmd: []string{"sh", "-c", `printf "$1"`, "sh", format.String()}}, nil)
	if r.Code != 0 || r.Stdout != string(want) {
		t.Errorf("printf of all 256 byte values: exit %d, got %d bytes (want %d), equal=%v, stderr %q",
			r.Code, len(r.Stdout), len(want), r.Stdout == string(want), r.Stderr)
	}
	// And through stdin and back.
	r = run(t, ctx, b, sdk.ExecSpec{ContainerID: c.ID, Cmd: []string{"cat"}}, bytes.NewReader(want))
	if r.Code != 0 || r.Stdout != string(want) {
		t.Errorf("cat of all 256 byte values: exit %d, got %d bytes (want %d), equal=%v", r.Code, len(r.Stdout), len(want), r.Stdout == string(want))
	}
}

func testExecConcurrent(t *testing.T, s *suite) {
	ctx, b := s.setup(t)
	c := s.start(t, ctx, b)
	const workers, lines = 8, 2000
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for w := range workers {
		wg.Go(func() {
			id := strconv.Itoa(w)
			var stdout, stderr bytes.Buffer
			code, err := b.Exec(ctx, sdk.ExecSpec{
				ContainerID: c.ID,
				Cmd: []string{"sh", "-c", fmt.Sprintf(
					`i=0; while [ $i -lt %d ]; do echo "$BT_ID-$i"; i=$((i+1)); done; echo "done-$BT_ID" >&2; wc -c`, lines)},
				Env: map[string]string{"BT_ID": id},
			}, sdk.ExecIO{Stdin: strings.NewReader(strings.Repeat("x", 1000*(w+1))), Stdout: &stdout, Stderr: &stderr})
			var want strings.Builder
			for i := range lines {
				fmt.Fprintf(&want, "%s-%d\n", id, i)
			}
			fmt.Fprintf(&want, "%d\n", 1000*(w+1))
			switch {
			case err != nil:
				errs[w] = err
			case code != 0:
				errs[w] = fmt.Errorf("exit %d, stderr %q", code, stderr.String())
			case stdout.String() != want.String():
				errs[w] = fmt.Errorf("stdout %d bytes differs from the expected %d; starts %q", stdout.Len(), want.Len(), head(stdout.String()))
			case stderr.String() != "done-"+id+"\n":
				errs[w] = fmt.Errorf("stderr %q, want %q", stderr.String(), "done-"+id+"\n")
			}
		})
	}
	wg.Wait()
	for w, err := range errs {
		if err != nil {
			t.Errorf("exec %d: %v", w, err)
		}
	}
}

func testExecRemovedContainer(t *testing.T, s *suite) {
	ctx, b := s.setup(t)
	c := s.start(t, ctx, b)
	if err := b.Remove(ctx, c.ID, sdk.RemoveOptions{}); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	_, err := b.Exec(ctx, sdk.ExecSpec{ContainerID: c.ID, Cmd: []string{"true"}}, sdk.ExecIO{})
	wantClass(t, "Exec in a removed container", err, sdk.ErrNotFound)
}

func testExecCancel(t *testing.T, s *suite) {
	ctx, b := s.setup(t)
	i := info(t, ctx, b)
	c := s.start(t, ctx, b)

	execCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	out := newSignalWriter()
	type ret struct {
		code int
		err  error
	}
	done := make(chan ret, 1)
	go func() {
		code, err := b.Exec(execCtx, sdk.ExecSpec{ContainerID: c.ID,
			Cmd: []string{"sh", "-c", "echo $$ > /tmp/bt-pid; echo started; exec sleep 1000"}},
			sdk.ExecIO{Stdout: out})
		done <- ret{code, err}
	}()
	select {
	case <-out.ch:
	case r := <-done:
		t.Fatalf("Exec returned before the process started: code %d, err %v", r.code, r.err)
	case <-time.After(60 * time.Second):
		t.Fatal("the exec printed nothing within 60s")
	}
	start := time.Now()
	cancel()
	select {
	case r := <-done:
		if !errors.Is(r.err, sdk.ErrCanceled) {
			t.Errorf("Exec after cancel: code %d, err %v (class %v), want class %v", r.code, r.err, sdk.Class(r.err), sdk.ErrCanceled)
		}
		t.Logf("Exec returned %v after cancel", time.Since(start).Round(time.Millisecond))
	case <-time.After(10 * time.Second):
		t.Fatal("Exec did not return within 10s of cancelling its context")
	}

	if claims(t, i, sdk.CapExecKill) {
		gone := eventually(5*time.Second, func() bool {
			return sh(t, ctx, b, c.ID, "kill -0 $(cat /tmp/bt-pid)").Code != 0
		})
		if !gone {
			t.Error("the cancelled exec's process is still alive 5s later, but the backend claims exec-kill")
		}
	}

	// A deadline ends an exec the same way.
	dctx, dcancel := context.WithTimeout(ctx, time.Second)
	defer dcancel()
	start = time.Now()
	_, err := b.Exec(dctx, sdk.ExecSpec{ContainerID: c.ID, Cmd: []string{"sleep", "1000"}}, sdk.ExecIO{})
	if !errors.Is(err, sdk.ErrDeadlineExceeded) && !errors.Is(err, sdk.ErrCanceled) {
		t.Errorf("Exec past its deadline: err %v (class %v), want deadline exceeded or canceled", err, sdk.Class(err))
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Exec with a 1s deadline returned after %v", d)
	}
}

// head returns the first bytes of s, for messages.
func head(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}
