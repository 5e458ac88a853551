// Command restart_deployment is the seed's basic example in Go: start an
// environment on one image, work in its repository, restart it on another
// image with preserve_repo_state, and find the work still there.
//
//	go run ./examples/restart_deployment -backend podman
//
// It exits non-zero unless the Python version changed and the repository's
// uncommitted edit and untracked file survived the restart.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"

	"github.com/envhost/envhost/core"
	"github.com/envhost/envhost/examples/internal/demo"
)

func main() {
	if err := run(demo.ParseFlags()); err != nil {
		fmt.Fprintln(os.Stderr, "restart_deployment:", err)
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
	fmt.Printf("backend %s, repository %s\n", f.Backend, repo)

	// The seed's EnvironmentConfig: a deployment, a repository, and a
	// post-startup command run after every start and restart.
	cfg := core.Config{
		Name:                "restart-demo",
		Deployment:          core.DeploymentConfig{Backend: f.Backend, Image: f.ImageFrom},
		Repo:                &core.RepoConfig{Path: repo},
		PostStartupCommands: []string{"echo 'Initial setup'"},
		PluginDirs:          f.PluginDirs(),
	}
	printer := &demo.Printer{W: os.Stdout}
	env, err := core.New(cfg, core.WithEventHandler(printer.Handle), core.WithLogger(f.Logger()))
	if err != nil {
		return err
	}
	defer func() {
		if err := env.Close(context.Background()); err != nil {
			fmt.Fprintln(os.Stderr, "close:", err)
		}
	}()
	if err := env.Start(ctx); err != nil {
		return err
	}

	sh := func(cmd string) (string, error) {
		r, err := env.Communicate(ctx, cmd, core.CommunicateOptions{Check: core.CheckRaise})
		return strings.TrimRight(r.Output, " \t\r\n"), err
	}
	before, err := sh("python3 --version")
	if err != nil {
		return err
	}
	fmt.Printf("Initial Python: %s\n", before)

	// Work the agent has not committed: an edit and a new file.
	if _, err := sh("cd " + env.RepoDir() + " && echo \"print('edited before the restart')\" >> hello.py"); err != nil {
		return err
	}
	if err := env.WriteFile(ctx, "notes.txt", []byte("untracked notes\n")); err != nil {
		return err
	}
	status, err := sh("git -C " + env.RepoDir() + " status --short")
	if err != nil {
		return err
	}
	fmt.Printf("git status before the restart:\n%s\n", indent(status))

	// The restart: close, create on the new image, init, restore the
	// repository's working tree, post-startup. Each step is an event above.
	if err := env.RestartWithImage(ctx, f.ImageTo, true); err != nil {
		return err
	}

	after, err := sh("python3 --version")
	if err != nil {
		return err
	}
	fmt.Printf("New Python: %s\n", after)
	statusAfter, err := sh("git -C " + env.RepoDir() + " status --short")
	if err != nil {
		return err
	}
	fmt.Printf("git status after the restart:\n%s\n", indent(statusAfter))
	edit, err := sh("tail -n 1 " + env.RepoDir() + "/hello.py")
	if err != nil {
		return err
	}
	fmt.Printf("hello.py ends with: %s\n", edit)

	var problems []string
	if after == before {
		problems = append(problems, "the Python version did not change ("+after+")")
	}
	if statusAfter != status || !strings.Contains(edit, "edited before the restart") {
		problems = append(problems, "the uncommitted work did not survive the restart")
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	fmt.Printf("OK: %s -> %s, uncommitted edit and untracked file preserved\n", before, after)
	return nil
}

func indent(s string) string {
	if s == "" {
		return "    (clean)"
	}
	return "    " + strings.ReplaceAll(s, "\n", "\n    ")
}
