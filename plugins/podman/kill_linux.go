package podman

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// sameHost checks that the Podman service listening on the unix socket at
// path runs in this process's pid namespace and can be signalled by it, so
// the host pids ExecInspect reports are ours to kill.
func sameHost(path string) error {
	c, err := net.DialTimeout("unix", path, 3*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	raw, err := c.(*net.UnixConn).SyscallConn()
	if err != nil {
		return err
	}
	var cred *syscall.Ucred
	var credErr error
	if err := raw.Control(func(fd uintptr) {
		cred, credErr = syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
	}); err != nil {
		return err
	}
	if credErr != nil {
		return fmt.Errorf("peer credentials: %w", credErr)
	}
	if cred.Pid <= 0 {
		return errors.New("service runs in another pid namespace")
	}
	self, err := os.Readlink("/proc/self/ns/pid")
	if err != nil {
		return err
	}
	peer, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", cred.Pid))
	if err != nil {
		return err
	}
	if self != peer {
		return fmt.Errorf("service pid %d is in pid namespace %s, this process in %s", cred.Pid, peer, self)
	}
	if err := syscall.Kill(int(cred.Pid), 0); err != nil {
		return fmt.Errorf("cannot signal service pid %d: %w", cred.Pid, err)
	}
	return nil
}

// killTree sends SIGKILL to pid and then to all its descendants.
func killTree(pid int) error {
	desc := descendants(pid)
	err := syscall.Kill(pid, syscall.SIGKILL)
	if errors.Is(err, syscall.ESRCH) {
		err = nil
	}
	for _, p := range desc {
		_ = syscall.Kill(p, syscall.SIGKILL)
	}
	if err != nil {
		return fmt.Errorf("podman: kill exec pid %d: %w", pid, err)
	}
	return nil
}

// descendants lists the descendants of pid found in /proc.
func descendants(pid int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	children := map[int][]int{}
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...; comm may hold spaces and parentheses.
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) < 2 {
			continue
		}
		ppid, err := strconv.Atoi(f[1])
		if err != nil {
			continue
		}
		children[ppid] = append(children[ppid], p)
	}
	var out []int
	queue := []int{pid}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, c := range children[p] {
			out = append(out, c)
			queue = append(queue, c)
		}
	}
	return out
}
