package shell

import (
	"context"
	"errors"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// TestLocal runs the behaviour tests against a bash on this machine.
func TestLocal(t *testing.T) {
	lb := &localBackend{}
	t.Cleanup(lb.killAll)
	testBehaviour(t, target{b: lb})
}

// TestLocalNotGroupLeader runs the timeout tests with a shell that does not
// lead its process group, so signals go to its descendants instead.
func TestLocalNotGroupLeader(t *testing.T) {
	leader := exec.Command("sleep", "1000")
	leader.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := leader.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = leader.Process.Kill(); _ = leader.Wait() })
	lb := &localBackend{groupOf: leader.Process.Pid}
	t.Cleanup(lb.killAll)
	tg := target{b: lb}
	s := open(t, tg, Options{})
	if s.pgid == s.pid {
		t.Fatalf("shell leads its group (pid %d pgid %d); the test needs it not to", s.pid, s.pgid)
	}
	run(t, s, "cd /tmp")
	for _, cmd := range []string{"sleep 100; echo after", "for i in 1 2; do sleep 100; done; echo after", `bash -c 'trap "" INT; sleep 100'; echo after`} {
		r, err := s.Run(t.Context(), cmd, 300*time.Millisecond)
		if !errors.Is(err, ErrTimeout) || r.Output != "" {
			t.Fatalf("Run(%q): %q, %v; want no output and ErrTimeout", cmd, r.Output, err)
		}
		expect(t, s, "pwd", "/tmp\n", 0)
	}
	if err := leader.Process.Signal(syscall.Signal(0)); err != nil {
		t.Errorf("the group's leader was hit: %v", err)
	}
}

// TestInterruptRace checks that a slow interrupt of a command that ends by
// itself does not hit the next command.
func TestInterruptRace(t *testing.T) {
	tg := target{b: slowSignals{Backend: &localBackend{}, delay: 300 * time.Millisecond}}
	s := open(t, tg, Options{})
	for range 3 {
		done := make(chan struct{})
		go func() {
			defer close(done)
			_, _ = s.Run(context.Background(), "sleep 0.1", 0)
		}()
		time.Sleep(30 * time.Millisecond)
		go func() { _ = s.Interrupt(context.Background()) }()
		<-done
		expect(t, s, "sleep 0.5; echo ok", "ok\n", 0)
	}
}

// TestOpenNoBash reports a missing shell clearly.
func TestOpenNoBash(t *testing.T) {
	_, err := Open(t.Context(), noBash{&localBackend{}}, "", Options{Name: "x"})
	if err == nil {
		t.Fatal("Open without bash succeeded")
	}
	t.Log(err)
}

// TestLocalUnkillable gives up a session whose command survives every
// signal: the shell itself ignores SIGINT while a builtin loop runs.
func TestLocalUnkillable(t *testing.T) {
	defer func(tm timings) { defaultTimings = tm }(defaultTimings)
	defaultTimings.interruptGrace, defaultTimings.killRetry, defaultTimings.killRounds = 200*time.Millisecond, 200*time.Millisecond, 2
	s := open(t, target{b: &localBackend{}}, Options{})
	start := time.Now()
	_, err := s.Run(t.Context(), "trap '' INT; while :; do :; done", 300*time.Millisecond)
	if !errors.Is(err, ErrTimeout) || !errors.Is(err, ErrClosed) {
		t.Fatalf("unkillable command: %v, want ErrTimeout and ErrClosed", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("gave up after %v", d)
	}
	if _, err := s.Run(t.Context(), "true", time.Second); !errors.Is(err, ErrClosed) {
		t.Errorf("Run after giving up: %v, want ErrClosed", err)
	}
}
