package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/envhost/envhost/sdk"
)

const gcSynopsis = "envhost gc [--dry-run] [--backend docker|podman]"

const gcDescription = `
Removes the containers envhost created (label io.envhost.managed=true) whose
owner (label io.envhost.owner, "<hostname>:<pid>") is a process on this host that
no longer runs, such as an "envhost run" that was killed. Containers of live
processes and of other hosts are kept. Each engine that answers is searched
(DOCKER_HOST, CONTAINER_HOST, or the standard sockets).

Exit status 1 when a removal failed or no engine answered.`

func gcCmd(ctx context.Context, a *app, args []string) error {
	fs := newFlagSet("gc", a.stderr)
	dryRun := fs.Bool("dry-run", false, "only print what would be removed")
	backend := fs.String("backend", "", "only this engine: docker or podman (default: every engine that answers)")
	a.logOpts.register(fs)
	usage := commandUsage(fs, gcSynopsis, gcDescription)
	if err := parseFlags(fs, args, a.stdout, usage); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("gc takes no arguments (got %q)", fs.Args())
	}
	if err := a.logOpts.validate(); err != nil {
		return err
	}
	log := a.logOpts.logger("envhost", a.stderr)
	host, err := os.Hostname()
	if err != nil {
		return fmt.Errorf("gc: hostname: %w", err)
	}
	var selected []*engine
	for _, e := range engines() {
		if *backend == "" || *backend == e.backend {
			selected = append(selected, e)
		}
	}
	if len(selected) == 0 {
		return usagef("--backend %q: want docker or podman", *backend)
	}

	answered, removed, kept := 0, 0, 0
	var errs []error
	for _, e := range selected {
		if err := e.ping(ctx); err != nil {
			msg := fmt.Sprintf("%s engine at %s does not answer: %v", e.backend, e.addr, err)
			if *backend != "" {
				errs = append(errs, errors.New(msg))
			} else {
				log.Info("skipping engine", "backend", e.backend, "addr", e.addr, "error", err)
			}
			continue
		}
		answered++
		list, err := e.listManaged(ctx, sdk.LabelManaged)
		if err != nil {
			errs = append(errs, fmt.Errorf("list %s containers: %w", e.backend, err))
			continue
		}
		for _, c := range list {
			owner := c.Labels[sdk.LabelOwner]
			gone, why := ownerGone(owner, host)
			name := containerName(c)
			if !gone {
				kept++
				log.Debug("keeping container", "backend", e.backend, "container", name, "reason", why)
				continue
			}
			if *dryRun {
				fmt.Fprintf(a.stdout, "would remove %s container %s (%s)\n", e.backend, name, why)
				removed++
				continue
			}
			if err := e.removeContainer(ctx, c.ID); err != nil {
				errs = append(errs, fmt.Errorf("remove %s container %s: %w", e.backend, name, err))
				continue
			}
			removed++
			fmt.Fprintf(a.stdout, "removed %s container %s (%s)\n", e.backend, name, why)
		}
	}
	if answered == 0 && len(errs) == 0 {
		errs = append(errs, errors.New("no engine answered; run `envhost doctor`"))
	}
	verb := "removed"
	if *dryRun {
		verb = "would remove"
	}
	fmt.Fprintf(a.stdout, "gc: %s %d container(s), kept %d\n", verb, removed, kept)
	return errors.Join(errs...)
}

func containerName(c managedContainer) string {
	if len(c.Names) > 0 {
		return strings.TrimPrefix(c.Names[0], "/")
	}
	if len(c.ID) > 12 {
		return c.ID[:12]
	}
	return c.ID
}

// ownerGone reports whether the owner label names a process of this host
// that no longer runs, and why (or why not).
func ownerGone(owner, host string) (bool, string) {
	i := strings.LastIndexByte(owner, ':')
	if owner == "" || i < 0 {
		return false, "no owner label"
	}
	h, pidStr := owner[:i], owner[i+1:]
	if h != host {
		return false, fmt.Sprintf("owner %s is on another host", owner)
	}
	pid, err := strconv.Atoi(pidStr)
	if err != nil || pid <= 0 {
		return false, fmt.Sprintf("owner %q has no valid pid", owner)
	}
	if processAlive(pid) {
		return false, fmt.Sprintf("owner %s still runs", owner)
	}
	return true, fmt.Sprintf("owner %s is gone", owner)
}

// processAlive reports whether pid is a live (not zombie) process.
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	if err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	// A zombie answers signal 0 but is dead; /proc tells.
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	if i := strings.LastIndexByte(string(stat), ')'); i >= 0 && i+2 < len(stat) {
		return stat[i+2] != 'Z'
	}
	return true
}
