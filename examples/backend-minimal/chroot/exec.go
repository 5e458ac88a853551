package chroot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/envhost/envhost/sdk"
)

const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// errNoExecutable says argv[0] is not in the container's PATH.
var errNoExecutable = errors.New("executable file not found in $PATH")

// Exec runs spec.Cmd chrooted into the container, in a process group of its
// own, streaming stdio. Cancelling ctx kills the process group.
func (b *Backend) Exec(ctx context.Context, spec sdk.ExecSpec, stdio sdk.ExecIO) (int, error) {
	m, err := b.load(spec.ContainerID)
	if err != nil {
		return -1, err
	}
	if len(spec.Cmd) == 0 {
		return -1, sdk.Errorf(sdk.ErrInvalidArgument, "exec: empty command")
	}
	cmd, err := b.command(ctx, m, spec)
	if errors.Is(err, errNoExecutable) {
		if stdio.Stderr != nil {
			fmt.Fprintf(stdio.Stderr, "envhost-chroot: %s: %v\n", spec.Cmd[0], err)
		}
		return 127, nil // what a shell says for a missing command
	}
	if err != nil {
		return -1, err
	}
	cmd.Stdout, cmd.Stderr = stdio.Stdout, stdio.Stderr
	var stdin io.WriteCloser
	if stdio.Stdin != nil {
		if stdin, err = cmd.StdinPipe(); err != nil {
			return -1, err
		}
	}
	if err := cmd.Start(); err != nil {
		if ctx.Err() != nil {
			return -1, ctxErr(ctx, "exec")
		}
		return -1, fmt.Errorf("exec %q in %s: %w: %w", spec.Cmd, spec.ContainerID, sdk.ErrFailedPrecondition, err)
	}
	if stdin != nil {
		// Not waited for: the process may exit without reading its input.
		// Wait closes the pipe, which ends this copy at its next write.
		go func() {
			_, _ = io.Copy(stdin, stdio.Stdin)
			_ = stdin.Close()
		}()
	}
	err = cmd.Wait()
	if ctx.Err() != nil {
		return -1, ctxErr(ctx, fmt.Sprintf("exec %q", spec.Cmd))
	}
	if cmd.ProcessState == nil {
		return -1, fmt.Errorf("exec %q: %w", spec.Cmd, err)
	}
	return exitCode(cmd.ProcessState), nil
}

// command prepares spec to run in container m: chroot, process group,
// user, environment, working directory.
func (b *Backend) command(ctx context.Context, m meta, spec sdk.ExecSpec) (*exec.Cmd, error) {
	root := b.rootfs(m.ID)
	user := spec.User
	if user == "" {
		user = m.User
	}
	id, err := lookupUser(root, user)
	if err != nil {
		return nil, err
	}
	env := map[string]string{"PATH": defaultPath, "HOME": id.Home}
	maps.Copy(env, m.Env)
	maps.Copy(env, spec.Env)
	dir := spec.WorkingDir
	if dir == "" {
		dir = m.WorkingDir
	}
	if dir == "" {
		dir = "/"
	}
	exe, err := lookPath(root, spec.Cmd[0], env["PATH"])
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, exe, spec.Cmd[1:]...)
	cmd.Args[0] = spec.Cmd[0]
	for _, k := range slices.Sorted(maps.Keys(env)) {
		cmd.Env = append(cmd.Env, k+"="+env[k])
	}
	cmd.Dir = dir // entered after the chroot
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Chroot:     root,
		Setpgid:    true,
		Credential: &syscall.Credential{Uid: id.UID, Gid: id.GID, Groups: []uint32{}},
	}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 2 * time.Second // background children may hold stdout open
	return cmd, nil
}

// exitCode returns a process's exit code, 128+n for death by signal n.
func exitCode(ps *os.ProcessState) int {
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ps.ExitCode()
}

// lookPath finds name in the container's PATH; the returned path is inside
// the container. A name with a slash is left to the kernel.
func lookPath(root, name, pathEnv string) (string, error) {
	if strings.Contains(name, "/") {
		return name, nil
	}
	for _, dir := range filepath.SplitList(pathEnv) {
		if !path.IsAbs(dir) {
			continue
		}
		p := path.Join(dir, name)
		host, err := resolveIn(root, p)
		if err != nil {
			continue
		}
		if fi, err := os.Stat(host); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", errNoExecutable
}

// resolveIn resolves p inside root as a chrooted process would see it:
// absolute symlinks start again at root and ".." stops at root. It returns
// the host path.
func resolveIn(root, p string) (string, error) {
	parts := strings.Split(p, "/")
	cur := "/"
	for links := 0; len(parts) > 0; {
		c := parts[0]
		parts = parts[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			cur = path.Dir(cur)
			continue
		}
		next := path.Join(cur, c)
		fi, err := os.Lstat(filepath.Join(root, next))
		if err != nil {
			return "", err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			cur = next
			continue
		}
		if links++; links > 40 {
			return "", fmt.Errorf("%s: too many levels of symbolic links", p)
		}
		target, err := os.Readlink(filepath.Join(root, next))
		if err != nil {
			return "", err
		}
		if path.IsAbs(target) {
			cur = "/"
		}
		parts = append(strings.Split(target, "/"), parts...)
	}
	return filepath.Join(root, cur), nil
}
