// Command agent_with_restart is the seed's AgentWithRestartCapability in
// Go: a scripted agent walks through its steps; a step may need another
// image ("needs_python_3_13"), and the agent then restarts the environment
// on it with preserve_repo_state, so its work so far carries over.
//
//	go run ./examples/agent_with_restart -backend docker
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/envhost/envhost/core"
	"github.com/envhost/envhost/examples/internal/demo"
)

// Step is one action of the agent: a shell command, and optionally a
// condition naming the environment it needs.
type Step struct {
	Name    string
	Command string
	Needs   string // a key of Agent.RestartConditions, or ""
}

// Agent runs steps, restarting the environment when a step needs it.
type Agent struct {
	// RestartConditions maps a need to the image that satisfies it.
	RestartConditions map[string]string
	Steps             []Step
}

// outcome is what the agent records of a step.
type outcome struct {
	step      Step
	image     string
	restarted bool
	exitCode  int
	output    string
	took      time.Duration
}

// shouldRestart returns the image step needs, or "" when the current one does.
func (a *Agent) shouldRestart(env *core.Environment, step Step) string {
	image, ok := a.RestartConditions[step.Needs]
	if !ok || image == env.Image() {
		return ""
	}
	return image
}

// Run executes the steps in env and returns what happened.
func (a *Agent) Run(ctx context.Context, env *core.Environment) ([]outcome, error) {
	var done []outcome
	for i, step := range a.Steps {
		fmt.Printf("\n[step %d/%d] %s\n", i+1, len(a.Steps), step.Name)
		o := outcome{step: step}
		start := time.Now()
		if image := a.shouldRestart(env, step); image != "" {
			fmt.Printf("  %s: restarting on %s, keeping the repository's state\n", step.Needs, image)
			if err := env.RestartWithImage(ctx, image, true); err != nil {
				return done, fmt.Errorf("step %q: restart on %s: %w", step.Name, image, err)
			}
			o.restarted = true
			// A restart ends the shell sessions: enter the repository again.
			if err := enterRepo(ctx, env); err != nil {
				return done, err
			}
		}
		o.image = env.Image()
		r, err := env.Communicate(ctx, step.Command, core.CommunicateOptions{Timeout: time.Minute})
		if err != nil {
			return done, fmt.Errorf("step %q: %w", step.Name, err)
		}
		o.exitCode, o.output, o.took = r.ExitCode, strings.TrimRight(r.Output, " \t\r\n"), time.Since(start)
		fmt.Printf("  $ %s\n%s\n  (exit %d)\n", step.Command, indent(o.output), o.exitCode)
		done = append(done, o)
	}
	return done, nil
}

func main() {
	f := demo.ParseFlags()
	if err := run(f); err != nil {
		fmt.Fprintln(os.Stderr, "agent_with_restart:", err)
		os.Exit(1)
	}
}

func run(f demo.Flags) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	repo, cleanup, err := f.RepoDir(ctx)
	if err != nil {
		return err
	}
	defer cleanup()
	agent := &Agent{
		RestartConditions: map[string]string{"needs_python_3_13": f.ImageTo},
		Steps: []Step{
			{Name: "look at the repository", Command: "git log --oneline && ls"},
			{Name: "run the code", Command: "python3 --version && python3 hello.py"},
			{Name: "write a version check (uncommitted)", Command: `printf 'import sys\nassert sys.version_info >= (3, 13), sys.version\nprint("running on", sys.version.split()[0])\n' > check.py && echo "# touched by the agent" >> hello.py`},
			{Name: "run the check on Python 3.13", Command: "python3 check.py", Needs: "needs_python_3_13"},
			{Name: "confirm the work carried over", Command: "git status --short"},
		},
	}

	env, err := core.New(core.Config{
		Name:       "agent-demo",
		Deployment: core.DeploymentConfig{Backend: f.Backend, Image: f.ImageFrom},
		Repo:       &core.RepoConfig{Path: repo},
		PluginDirs: f.PluginDirs(),
	}, core.WithEventHandler((&demo.Printer{W: os.Stdout}).Handle), core.WithLogger(f.Logger()))
	if err != nil {
		return err
	}
	defer func() { _ = env.Close(context.Background()) }()
	if err := env.Start(ctx); err != nil {
		return err
	}
	if err := enterRepo(ctx, env); err != nil {
		return err
	}
	outcomes, err := agent.Run(ctx, env)
	summary(outcomes)
	if err != nil {
		return err
	}
	for _, o := range outcomes {
		if o.exitCode != 0 {
			return fmt.Errorf("step %q exited %d", o.step.Name, o.exitCode)
		}
	}
	return nil
}

// enterRepo makes the repository the shell's working directory.
func enterRepo(ctx context.Context, env *core.Environment) error {
	_, err := env.Communicate(ctx, "cd "+env.RepoDir(), core.CommunicateOptions{Check: core.CheckRaise})
	return err
}

// summary prints one line per step: image, restart, exit code, time.
func summary(outcomes []outcome) {
	fmt.Println("\nSummary:")
	for i, o := range outcomes {
		restart := ""
		if o.restarted {
			restart = " (restarted: " + o.step.Needs + ")"
		}
		fmt.Printf("  %d. %-38s %-22s exit %d  %8s%s\n", i+1, o.step.Name, o.image, o.exitCode, demo.Round(o.took), restart)
	}
}

func indent(s string) string {
	if s == "" {
		return "    (no output)"
	}
	return "    " + strings.ReplaceAll(s, "\n", "\n    ")
}
