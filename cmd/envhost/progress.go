package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"golang.org/x/term"

	"github.com/envhost/envhost/core"
)

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// longSteps are the steps worth a progress line.
var longSteps = map[string]string{
	core.StepStart:       "starting",
	core.StepEnsureImage: "image",
	core.StepCreate:      "creating container",
	core.StepInit:        "opening shell",
	core.StepRepo:        "repository",
	core.StepSnapshot:    "saving repository state",
	core.StepRestore:     "restoring repository state",
	core.StepPostStartup: "post-startup commands",
	core.StepRestart:     "restarting",
	core.StepReset:       "resetting repository",
	core.StepHardReset:   "hard reset",
	core.StepClose:       "closing container",
}

// progress shows an environment's long steps: on a terminal as one
// redrawn status line with a bar for image pulls, otherwise as log lines
// (pull progress at most every few seconds).
type progress struct {
	mu       sync.Mutex
	w        io.Writer
	tty      bool
	log      hclog.Logger
	width    int
	active   []string // steps begun, innermost last
	lastLine int
	lastLog  time.Time
	layers   map[string][2]int64 // pull progress per layer: current, total
}

func newProgress(w io.Writer, tty bool, log hclog.Logger) *progress {
	return &progress{w: w, tty: tty, log: log, width: 80, layers: map[string][2]int64{}}
}

// handle receives core events (a core.EventHandler).
func (p *progress) handle(ev core.Event) {
	label, long := longSteps[ev.Step]
	if !long {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	switch ev.Phase {
	case core.PhaseBegin:
		p.active = append(p.active, ev.Step)
		if ev.Step == core.StepEnsureImage {
			p.layers = map[string][2]int64{}
		}
		p.draw(strings.TrimSpace(fmt.Sprintf("%s %s", label, shortIDs(ev.Detail))) + " ...")
	case core.PhaseProgress:
		p.pull(ev)
	case core.PhaseEnd:
		for i := len(p.active) - 1; i >= 0; i-- {
			if p.active[i] == ev.Step {
				p.active = append(p.active[:i], p.active[i+1:]...)
				break
			}
		}
		if p.tty {
			mark := "done"
			if ev.Err != "" {
				mark = "FAILED: " + oneLine(ev.Err, 200)
			}
			p.clear()
			fmt.Fprintf(p.w, "%s (%s) %s\n", label, ev.Duration.Round(time.Millisecond), mark)
		}
		// Off a terminal, core's own log lines report step ends.
	}
}

// pull shows image pull progress.
func (p *progress) pull(ev core.Event) {
	pr := ev.Progress
	if pr == nil {
		return
	}
	if pr.Layer != "" && pr.Total > 0 {
		p.layers[pr.Layer] = [2]int64{pr.Current, pr.Total}
	}
	var cur, total int64
	for _, l := range p.layers {
		cur += l[0]
		total += l[1]
	}
	if !p.tty {
		if time.Since(p.lastLog) < 3*time.Second {
			return
		}
		p.lastLog = time.Now()
		if total > 0 {
			p.log.Info("pulling image", "status", pr.Status, "percent", cur*100/total, "bytes", cur, "total", total)
		} else {
			p.log.Info("pulling image", "status", pr.Status)
		}
		return
	}
	if total <= 0 {
		p.draw(fmt.Sprintf("image: %s", pr.Status))
		return
	}
	p.draw(fmt.Sprintf("image %s %s %s/%s", bar(cur, total, 24), pr.Status, mib(cur), mib(total)))
}

// draw replaces the status line (terminal only).
func (p *progress) draw(s string) {
	if !p.tty {
		return
	}
	if len(s) > p.width-1 {
		s = s[:p.width-4] + "..."
	}
	p.clear()
	fmt.Fprint(p.w, s)
	p.lastLine = len(s)
}

func (p *progress) clear() {
	if p.lastLine > 0 {
		fmt.Fprint(p.w, "\r"+strings.Repeat(" ", p.lastLine)+"\r")
		p.lastLine = 0
	}
}

// done clears the status line.
func (p *progress) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clear()
}

// bar draws [=====>    ] 42%.
func bar(cur, total int64, width int) string {
	if total <= 0 {
		return ""
	}
	if cur > total {
		cur = total
	}
	n := int(cur * int64(width) / total)
	s := strings.Repeat("=", n)
	if n < width {
		s += ">" + strings.Repeat(" ", width-n-1)
	}
	return fmt.Sprintf("[%s] %3d%%", s, cur*100/total)
}

func mib(n int64) string { return fmt.Sprintf("%.1fMiB", float64(n)/(1<<20)) }

// shortIDs cuts 64-hex-digit ids (containers, images) in s to 12 digits.
func shortIDs(s string) string {
	words := strings.Fields(s)
	for i, w := range words {
		if len(w) == 64 && strings.Trim(w, "0123456789abcdef") == "" {
			words[i] = w[:12]
		}
	}
	return strings.Join(words, " ")
}
