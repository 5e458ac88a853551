package core

import (
	"sync"
	"time"

	"github.com/envhost/envhost/sdk"
)

// Steps of the lifecycle, as Event.Step.
const (
	StepStart        = "start"          // Start, as a whole
	StepBackend      = "backend"        // opening the backend plugin
	StepEnsureImage  = "ensure_image"   // making the image available (pull progress as "progress")
	StepCreate       = "create"         // creating and starting the container
	StepInit         = "init"           // waiting for it to run and opening the shell session
	StepRepo         = "repo"           // copying/cloning/restoring and resetting the repository
	StepRestore      = "restore"        // restoring a repository snapshot (inside "repo")
	StepPostStartup  = "post_startup"   // running the post-startup commands
	StepRestart      = "restart"        // a restart, as a whole
	StepStoreRepoRef = "store_repo_ref" // remembering the repository reference before a restart
	StepSnapshot     = "snapshot"       // saving the repository's working tree to the host
	StepClose        = "close"          // closing the old (or failed) container
	StepReset        = "reset"          // Reset: resetting the repository in place
	StepHardReset    = "hard_reset"     // HardReset, as a whole
	StepCommand      = "command"        // a Communicate whose check failed (phase "end" with Err)
)

// Event phases.
const (
	PhaseBegin    = "begin"
	PhaseEnd      = "end"
	PhaseProgress = "progress"
)

// Event is one observable step of an environment's lifecycle. Every step
// emits a "begin" and an "end" event; the "end" event carries the step's
// duration and, when it failed, its error.
type Event struct {
	Env      string             `json:"env"`
	Step     string             `json:"step"`
	Phase    string             `json:"phase"`
	Time     time.Time          `json:"time"`
	Duration time.Duration      `json:"duration_ns,omitempty"`
	Err      string             `json:"error,omitempty"`
	Detail   string             `json:"detail,omitempty"`
	Progress *sdk.ImageProgress `json:"progress,omitempty"`
	// Cause is the step's error, for Go callers (Err is its message).
	Cause error `json:"-"`
}

// OK reports whether the event is not a failure.
func (e Event) OK() bool { return e.Err == "" }

// EventHandler receives events synchronously, in order. It may use the
// Environment's accessors (State, ContainerID, ...) but must not call its
// other methods, which wait for the step in progress.
type EventHandler func(Event)

// hub fans events out to handlers and subscribers.
type hub struct {
	mu       sync.Mutex
	handlers []EventHandler
	subs     map[int]chan Event
	next     int
}

func (h *hub) emit(e Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, fn := range h.handlers {
		fn(e)
	}
	for _, ch := range h.subs {
		select {
		case ch <- e:
		default: // a slow subscriber loses events rather than stalling the environment
		}
	}
}

func (h *hub) subscribe(buf int) (<-chan Event, func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.subs == nil {
		h.subs = map[int]chan Event{}
	}
	id := h.next
	h.next++
	ch := make(chan Event, buf)
	h.subs[id] = ch
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			h.mu.Lock()
			defer h.mu.Unlock()
			if _, ok := h.subs[id]; ok {
				delete(h.subs, id)
				close(ch)
			}
		})
	}
}

func (h *hub) closeAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for id, ch := range h.subs {
		delete(h.subs, id)
		close(ch)
	}
}

// Subscribe returns a channel of the environment's events from now on and a
// cancel function that closes it. The channel is buffered (256 events); a
// subscriber that falls behind misses events rather than blocking the
// environment. Close of the environment closes every subscription.
func (e *Environment) Subscribe() (<-chan Event, func()) {
	return e.events.subscribe(256)
}

// step emits a step's begin event and returns a function that ends it with
// its duration and error (if any), logging both.
func (e *Environment) step(name, detail string) func(err error, endDetail string) {
	start := time.Now()
	e.log.Debug("step begin", "step", name, "detail", detail)
	e.events.emit(Event{Env: e.name, Step: name, Phase: PhaseBegin, Time: start, Detail: detail})
	return func(err error, endDetail string) {
		d := time.Since(start)
		ev := Event{Env: e.name, Step: name, Phase: PhaseEnd, Time: time.Now(), Duration: d, Detail: endDetail, Cause: err}
		if err != nil {
			ev.Err = err.Error()
			e.log.Warn("step failed", "step", name, "duration", d, "error", err)
		} else {
			e.log.Info("step done", "step", name, "duration", d, "detail", endDetail)
		}
		e.events.emit(ev)
	}
}

func (e *Environment) progress(p sdk.ImageProgress) {
	pp := p
	e.events.emit(Event{Env: e.name, Step: StepEnsureImage, Phase: PhaseProgress, Time: time.Now(), Progress: &pp, Detail: p.Status})
}
