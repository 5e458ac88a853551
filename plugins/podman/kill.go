package podman

import (
	"context"
	"fmt"
	"net/url"

	"github.com/containers/podman/v4/pkg/bindings"
	"github.com/containers/podman/v4/pkg/bindings/containers"
	"github.com/hashicorp/go-hclog"
)

// killer stops the process of an exec session whose caller gave up. Podman
// 4.x's API has no "kill exec" call before 4.8 (exec remove --force), so the
// way depends on where the engine runs.
type killer interface {
	name() string
	// reliable reports whether kill really ends the process (CapExecKill).
	reliable() bool
	// kill ends the exec session's process; cctx holds a connection.
	kill(cctx context.Context, sessionID string) error
}

// newKiller picks how to kill execs on the engine at uri: by host pid when
// the engine is local and shares this process's pid namespace; else through
// exec remove --force when the service has it (4.8+); else not at all.
func newKiller(uri string, base context.Context, log hclog.Logger) killer {
	if u, err := url.Parse(uri); err == nil && u.Scheme == "unix" {
		err := sameHost(u.Path)
		if err == nil {
			return pidKiller{}
		}
		log.Debug("exec kill by pid unavailable", "uri", uri, "reason", err)
	}
	v := bindings.ServiceVersion(base)
	if v.Major > 4 || (v.Major == 4 && v.Minor >= 8) {
		return removeKiller{}
	}
	return noKiller{}
}

// pidKiller kills the exec's host process and its descendants with SIGKILL.
type pidKiller struct{}

func (pidKiller) name() string   { return "host-pid" }
func (pidKiller) reliable() bool { return true }

func (pidKiller) kill(cctx context.Context, sessionID string) error {
	s, err := containers.ExecInspect(cctx, sessionID, nil)
	if err != nil {
		return classify(err, "podman: inspect exec %s", sessionID)
	}
	if !s.Running || s.Pid <= 0 {
		return nil
	}
	return killTree(s.Pid)
}

// removeKiller force-removes the exec session, which kills its process
// (Podman 4.8 and later).
type removeKiller struct{}

func (removeKiller) name() string   { return "exec-remove" }
func (removeKiller) reliable() bool { return false } // not verified against a real 4.8+ service here

func (removeKiller) kill(cctx context.Context, sessionID string) error {
	if err := containers.ExecRemove(cctx, sessionID, new(containers.ExecRemoveOptions).WithForce(true)); err != nil {
		return classify(err, "podman: remove exec %s", sessionID)
	}
	return nil
}

// noKiller cannot kill: the process runs on until it ends by itself.
type noKiller struct{}

func (noKiller) name() string   { return "none" }
func (noKiller) reliable() bool { return false }

func (noKiller) kill(context.Context, string) error {
	return fmt.Errorf("podman: cannot kill exec processes on this engine")
}
