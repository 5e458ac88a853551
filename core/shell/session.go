// Package shell runs persistent bash sessions inside containers over a
// backend's Exec stream: one long-lived bash per session, commands framed by
// unforgeable end markers, state (cwd, variables, functions) kept between
// commands, and timeouts that interrupt the command but keep the session.
package shell

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/envhost/envhost/sdk"
)

// DefaultMaxOutput is the output kept per command when Options.MaxOutput is 0.
const DefaultMaxOutput = 1 << 20

// Errors of a session, matched with errors.Is.
var (
	// ErrTimeout is returned (wrapped) by Run for a command that ran past its
	// timeout, together with the output so far.
	ErrTimeout = errors.New("command timed out")
	// ErrClosed is returned (wrapped) once the session has ended: closed, or
	// its shell exited.
	ErrClosed = errors.New("session closed")
	// ErrInterrupted is returned (wrapped) by Run for a command stopped by
	// Interrupt, together with its output.
	ErrInterrupted = errors.New("command interrupted")
)

// Options configure a session.
type Options struct {
	Name      string            // session name, for errors and logs
	Env       map[string]string // exported at start
	WorkDir   string            // the shell's first working directory; empty keeps the exec's
	MaxOutput int               // bytes kept per command; 0 means DefaultMaxOutput
	Logger    hclog.Logger      // nil discards logs
}

// Result is a command's outcome.
type Result struct {
	Output    string        // stdout and stderr as the shell saw them; bytes, maybe not UTF-8
	ExitCode  int           // the command's exit status (130 when interrupted)
	Truncated bool          // Output lost its middle to the MaxOutput cap
	Duration  time.Duration // from sending the command to its end
}

// timings of the interrupt and close paths.
type timings struct {
	interruptGrace time.Duration // SIGINT to SIGKILL
	killRetry      time.Duration // between SIGKILL rounds
	killRounds     int           // SIGKILL rounds before giving the session up
	signalTimeout  time.Duration // one signal exec
	closeGrace     time.Duration // stdin EOF to cancelling the exec
	exitedGrace    time.Duration // shell exit to cancelling an exec still open
}

// defaultTimings are copied into each session when it opens.
var defaultTimings = timings{
	interruptGrace: 1500 * time.Millisecond,
	killRetry:      time.Second,
	killRounds:     4,
	signalTimeout:  20 * time.Second,
	closeGrace:     2 * time.Second,
	exitedGrace:    500 * time.Millisecond,
}

// Session is a persistent bash in a container. Run calls are serialized;
// Interrupt and Close may be called from any goroutine.
type Session struct {
	name      string
	b         sdk.Backend
	container string
	log       hclog.Logger
	maxOut    int
	tm        timings

	stdin      *io.PipeWriter
	fr         *framer
	cancelExec context.CancelFunc
	execDone   chan struct{} // closed when the exec returned
	execCode   int
	execErr    error

	pid, pgid int // the shell's pid and process group inside the container

	runSem   chan struct{} // one Run at a time
	sigMu    sync.Mutex    // held while a signal exec is in flight
	mu       sync.Mutex
	cur      *pending     // the running command
	closed   atomic.Bool  // Close was called
	exited   atomic.Bool  // the shell reported its exit
	exitCode atomic.Int64 // its status then
	closeOne sync.Once
}

// Open starts a session: a bash in containerID, with opts.Env exported and
// opts.WorkDir as its working directory. Cancelling ctx abandons the start;
// once Open returns, ctx no longer matters (Close ends the session).
func Open(ctx context.Context, b sdk.Backend, containerID string, opts Options) (*Session, error) {
	if opts.Name == "" {
		opts.Name = "default"
	}
	for k, v := range opts.Env {
		if !validName(k) {
			return nil, sdk.Errorf(sdk.ErrInvalidArgument, "shell session %q: environment variable name %q is invalid", opts.Name, k)
		}
		if strings.IndexByte(v, 0) >= 0 {
			return nil, sdk.Errorf(sdk.ErrInvalidArgument, "shell session %q: environment variable %s holds a NUL byte", opts.Name, k)
		}
	}
	if opts.MaxOutput <= 0 {
		opts.MaxOutput = DefaultMaxOutput
	}
	log := opts.Logger
	if log == nil {
		log = hclog.NewNullLogger()
	}
	s := &Session{
		name:      opts.Name,
		b:         b,
		container: containerID,
		log:       log.Named("shell").With("session", opts.Name),
		maxOut:    opts.MaxOutput,
		tm:        defaultTimings,
		fr:        &framer{},
		execDone:  make(chan struct{}),
		runSem:    make(chan struct{}, 1),
	}
	a, bb := nonce()
	ready := s.newPending(a + bb)
	s.fr.expect(ready)

	pr, pw := io.Pipe()
	s.stdin = pw
	execCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.cancelExec = cancel
	stderr := &tailWriter{max: 4096}
	go func() {
		code, err := b.Exec(execCtx, sdk.ExecSpec{
			ContainerID: containerID,
			Cmd:         []string{"bash", "--noprofile", "--norc"},
		}, sdk.ExecIO{Stdin: pr, Stdout: s.fr, Stderr: stderr})
		s.execCode, s.execErr = code, err
		pr.CloseWithError(ErrClosed)
		s.fr.end()
		s.log.Debug("shell exited", "code", code, "error", err, "stderr", stderr.String())
		close(s.execDone)
	}()

	fail := func(err error) (*Session, error) {
		s.Close()
		return nil, err
	}
	if _, err := io.WriteString(pw, initScript(opts.Env, opts.WorkDir, a, bb)); err != nil {
		<-s.execDone
		return fail(s.startError(ready, stderr))
	}
	select {
	case <-ready.done:
	case <-ctx.Done():
		return fail(fmt.Errorf("shell session %q: start: %w", s.name, ctx.Err()))
	}
	if ready.ended {
		<-s.execDone
		return fail(s.startError(ready, stderr))
	}
	fields := strings.Fields(ready.trailer)
	if len(fields) != 2 {
		return fail(fmt.Errorf("shell session %q: start: bad ready line %q", s.name, ready.trailer))
	}
	s.pid, _ = strconv.Atoi(fields[0])
	s.pgid, _ = strconv.Atoi(fields[1])
	s.log.Debug("shell started", "pid", s.pid, "pgid", s.pgid)
	return s, nil
}

func (s *Session) startError(ready *pending, stderr *tailWriter) error {
	out, _ := ready.out.String()
	msg := strings.TrimSpace(out + "\n" + stderr.String())
	if s.execErr != nil {
		return fmt.Errorf("shell session %q: start bash: %w", s.name, s.execErr)
	}
	if msg == "" {
		msg = "no output"
	}
	return fmt.Errorf("shell session %q: bash exited with code %d while starting: %s: %w", s.name, s.execCode, msg, ErrClosed)
}

// Name returns the session's name.
func (s *Session) Name() string { return s.name }

// Close ends the session: the shell gets EOF on its input, and its exec is
// cancelled if it has not exited shortly after. A command still running is
// killed first, and its Run returns ErrClosed. Close is idempotent.
func (s *Session) Close() error {
	s.closeOne.Do(func() {
		s.closed.Store(true)
		if p := s.running(); p != nil && s.pid > 0 {
			if err := s.signal(p, "KILL"); err != nil {
				s.log.Debug("kill on close", "error", err)
			}
		}
		s.stdin.Close()
		select {
		case <-s.execDone:
		case <-time.After(s.tm.closeGrace):
			s.log.Debug("shell did not exit on EOF; cancelling its exec")
			s.cancelExec()
			<-s.execDone
		}
		s.cancelExec()
	})
	return nil
}

func (s *Session) running() *pending {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cur
}

func (s *Session) newPending(marker string) *pending {
	return &pending{marker: []byte(marker), out: newCapBuffer(s.maxOut), done: make(chan struct{})}
}

// nonce returns a fresh random marker in two halves (16 random bytes, hex).
func nonce() (string, string) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err))
	}
	h := hex.EncodeToString(b[:])
	return h[:16], h[16:]
}

func validName(k string) bool {
	if k == "" {
		return false
	}
	for i, c := range k {
		if c != '_' && (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (i == 0 || c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// tailWriter keeps the last max bytes written.
type tailWriter struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (w *tailWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	if len(w.buf) > w.max {
		w.buf = w.buf[len(w.buf)-w.max:]
	}
	return len(p), nil
}

func (w *tailWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return string(bytes.TrimSpace(w.buf))
}
