package backendtest

import (
	"testing"
	"time"

	"github.com/envhost/envhost/sdk"
)

func testInspectRunning(t *testing.T, s *suite) {
	ctx, b := s.setup(t)
	c := s.start(t, ctx, b)
	st, err := b.Inspect(ctx, c.ID)
	if err != nil {
		t.Fatalf("Inspect: %v", err)
	}
	if st.State != sdk.StateRunning {
		t.Errorf("state = %q, want %q", st.State, sdk.StateRunning)
	}
	if st.Labels[sdk.LabelManaged] != "true" {
		t.Errorf("label %s = %q, want \"true\"", sdk.LabelManaged, st.Labels[sdk.LabelManaged])
	}
}

func testInspectExited(t *testing.T, s *suite) {
	ctx, b := s.setup(t)
	spec := s.spec()
	spec.Command = []string{"sh", "-c", "exit 3"}
	c := create(t, ctx, b, spec)
	var st sdk.ContainerState
	ok := eventually(30*time.Second, func() bool {
		var err error
		st, err = b.Inspect(ctx, c.ID)
		if err != nil {
			t.Fatalf("Inspect: %v", err)
		}
		return st.State == sdk.StateExited
	})
	if !ok {
		t.Fatalf("a container whose command exits 3 is still %q after 30s", st.State)
	}
	if st.ExitCode != 3 {
		t.Errorf("exit code = %d, want 3", st.ExitCode)
	}
}

func testInspectMissing(t *testing.T, s *suite) {
	ctx, b := s.setup(t)
	c := s.start(t, ctx, b)
	if err := b.Remove(ctx, c.ID, sdk.RemoveOptions{}); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	for _, id := range []string{c.ID, uniqueName("envhost-backendtest-never")} {
		st, err := b.Inspect(ctx, id)
		if err != nil {
			t.Fatalf("Inspect(%s) of a missing container: %v, want nil error", id, err)
		}
		if st.State != sdk.StateMissing {
			t.Errorf("Inspect(%s) state = %q, want %q", id, st.State, sdk.StateMissing)
		}
	}
}

func testRemoveTwice(t *testing.T, s *suite) {
	ctx, b := s.setup(t)
	c := s.start(t, ctx, b)
	for i := range 2 {
		if err := b.Remove(ctx, c.ID, sdk.RemoveOptions{}); err != nil {
			t.Fatalf("Remove #%d: %v", i+1, err)
		}
	}
	if err := b.Remove(ctx, uniqueName("envhost-backendtest-never"), sdk.RemoveOptions{}); err != nil {
		t.Errorf("Remove of a container that never existed: %v", err)
	}
}
