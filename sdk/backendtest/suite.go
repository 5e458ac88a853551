// Package backendtest is the conformance suite for envhost backends: the
// definition of a correct sdk.Backend. Every backend in this repository runs
// it against a real engine, and third-party authors run it against theirs:
//
//	func TestConformance(t *testing.T) {
//		backendtest.Run(t, func(t *testing.T) sdk.Backend { return newMyBackend(t) },
//			backendtest.Options{Image: "debian:bookworm", MissingImage: "example.invalid/nope:1"})
//	}
//
// Each case is an independent subtest that creates its own containers and
// removes them when it ends. A case whose feature rests on a capability the
// backend does not claim in Info checks and logs that the capability is
// indeed not claimed; it never skips silently.
package backendtest

import (
	"context"
	"testing"
	"time"

	"github.com/envhost/envhost/sdk"
)

// Options configures Run.
type Options struct {
	// Image is a locally present image with a POSIX shell and the usual
	// coreutils (sh, cat, wc, head, sha256sum, seq, id, df, kill, sleep,
	// printf). Required.
	Image string
	// MissingImage names an image that is not present locally; the suite
	// only asks for it under PullNever. Empty means a generated name.
	MissingImage string
	// Short shrinks the big payloads (50 MiB of output, a 200 MiB tree) so
	// the suite runs quickly; testing.Short() implies it.
	Short bool
	// Timeout bounds each case; zero means 5 minutes.
	Timeout time.Duration
	// Parallel runs the cases in parallel (t.Parallel), as many at a time
	// as go test's -parallel flag allows. Every case is independent.
	Parallel bool
}

// Labels the suite puts on every container it creates, on top of the
// envhost labels, so that leftovers of an interrupted run can be found.
const (
	LabelSuite = "io.envhost.backendtest"
)

// suite carries what every case needs.
type suite struct {
	newBackend func(t *testing.T) sdk.Backend
	opts       Options
}

type testCase struct {
	name string
	run  func(t *testing.T, s *suite)
}

// cases lists every conformance case, in run order.
var cases = []testCase{
	{"Info", testInfo},
	{"EnsureImage/PresentNever", testEnsurePresentNever},
	{"EnsureImage/PresentMissing", testEnsurePresentMissing},
	{"EnsureImage/MissingNever", testEnsureMissingNever},
	{"Create/EnvWorkdirLabels", testCreateEnvWorkdirLabels},
	{"Create/User", testCreateUser},
	{"Create/NameConflict", testCreateNameConflict},
	{"Create/UnknownOption", testCreateUnknownOption},
	{"Create/Resources", testCreateResources},
	{"Create/Mounts", testCreateMounts},
	{"Create/Network", testCreateNetwork},
	{"Create/Platform", testCreatePlatform},
	{"Inspect/Running", testInspectRunning},
	{"Inspect/Exited", testInspectExited},
	{"Inspect/Missing", testInspectMissing},
	{"Remove/Twice", testRemoveTwice},
	{"Remove/Image", testRemoveImage},
	{"EnsureImage/PullProgress", testPullProgress},
	{"Exec/ExitCodes", testExecExitCodes},
	{"Exec/StdoutStderrApart", testExecStreamsApart},
	{"Exec/StdinCat", testExecStdinCat},
	{"Exec/StdinCount", testExecStdinCount},
	{"Exec/StdinNil", testExecStdinNil},
	{"Exec/EnvWorkdirUser", testExecEnvWorkdirUser},
	{"Exec/LargeOutput", testExecLargeOutput},
	{"Exec/BinaryOutput", testExecBinaryOutput},
	{"Exec/Concurrent", testExecConcurrent},
	{"Exec/RemovedContainer", testExecRemovedContainer},
	{"Exec/Cancel", testExecCancel},
	{"Copy/RoundTrip", testCopyRoundTrip},
	{"Copy/OutMissing", testCopyOutMissing},
}

// Run runs the conformance suite. newBackend is called once per case and
// returns the backend under test (connected to its engine); it may register
// its own cleanup with t.Cleanup.
func Run(t *testing.T, newBackend func(t *testing.T) sdk.Backend, opts Options) {
	t.Helper()
	if opts.Image == "" {
		t.Fatal("backendtest: Options.Image is required")
	}
	if testing.Short() {
		opts.Short = true
	}
	if opts.Timeout == 0 {
		opts.Timeout = 5 * time.Minute
	}
	s := &suite{newBackend: newBackend, opts: opts}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if opts.Parallel {
				t.Parallel()
			}
			c.run(t, s)
		})
	}
}

// ctx returns a context for one case, bounded by the suite timeout.
func (s *suite) ctx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), s.opts.Timeout)
	t.Cleanup(cancel)
	return ctx
}

// backend returns a fresh backend and a context for one case.
func (s *suite) setup(t *testing.T) (context.Context, sdk.Backend) {
	t.Helper()
	b := s.newBackend(t)
	if b == nil {
		t.Fatal("newBackend returned nil")
	}
	return s.ctx(t), b
}

// size returns full, or short when the suite runs short.
func (s *suite) size(full, short int64) int64 {
	if s.opts.Short {
		return short
	}
	return full
}
