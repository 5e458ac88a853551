package docker

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// engineProcessesVisible reports whether this process can signal the
// engine's container processes: it runs as root and the engine, reached
// over a unix socket, lives in this process's PID namespace (the socket
// peer's PID is visible in /proc).
func engineProcessesVisible(host string) bool {
	if os.Geteuid() != 0 {
		return false
	}
	u, err := url.Parse(host)
	if err != nil || u.Scheme != "unix" {
		return false
	}
	conn, err := net.DialTimeout("unix", u.Path, 2*time.Second)
	if err != nil {
		return false
	}
	defer conn.Close()
	uc, ok := conn.(*net.UnixConn)
	if !ok {
		return false
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return false
	}
	var cred *syscall.Ucred
	cerr := raw.Control(func(fd uintptr) {
		cred, err = syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
	})
	if cerr != nil || err != nil || cred == nil || cred.Pid <= 0 {
		return false
	}
	_, err = os.Stat(fmt.Sprintf("/proc/%d", cred.Pid))
	return err == nil
}

// killTree sends SIGKILL to pid and all its descendants, after checking
// that pid belongs to the container (its cgroup names the container id).
// It returns how many processes it signalled.
func killTree(pid int, containerID string) (int, error) {
	cg, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		return 0, fmt.Errorf("process %d: %w", pid, err)
	}
	if !strings.Contains(string(cg), containerID) {
		return 0, fmt.Errorf("process %d is not in container %s", pid, containerID)
	}
	children := map[int][]int{}
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, f := range stats {
		p, pp, ok := readPPid(f)
		if ok {
			children[pp] = append(children[pp], p)
		}
	}
	tree := []int{pid}
	for i := 0; i < len(tree); i++ {
		tree = append(tree, children[tree[i]]...)
	}
	n := 0
	for _, p := range tree {
		if err := syscall.Kill(p, syscall.SIGKILL); err == nil {
			n++
		}
	}
	return n, nil
}

// readPPid reads a process's id and parent id from its /proc/<pid>/stat.
func readPPid(statFile string) (pid, ppid int, ok bool) {
	b, err := os.ReadFile(statFile)
	if err != nil {
		return 0, 0, false
	}
	s := string(b)
	// The command name is in parentheses and may hold spaces.
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, 0, false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 2 {
		return 0, 0, false
	}
	pid, err1 := strconv.Atoi(strings.TrimSpace(s[:strings.IndexByte(s, ' ')]))
	ppid, err2 := strconv.Atoi(f[1])
	return pid, ppid, err1 == nil && err2 == nil
}
