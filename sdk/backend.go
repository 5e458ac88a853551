// Package sdk is the contract between the envhost host and a container engine
// backend. A backend implements Backend; sdk.Serve runs it as a hashicorp/go-plugin
// gRPC plugin, and the host talks to it through the same interface.
package sdk

import (
	"context"
	"io"
)

// Backend is what a container engine backend implements. Every method takes a
// context first; cancelling it abandons the call. Errors carry a class from
// this package (ErrNotFound, ErrUnavailable, ...) so the host can tell "image
// not found" from "engine down" across the plugin boundary.
type Backend interface {
	// Info reports the backend, its engine and its capabilities.
	Info(ctx context.Context) (Info, error)
	// EnsureImage makes req.Image available locally according to req.Policy,
	// reporting pull progress through progress (which may be nil). A missing
	// image under PullNever is an ErrNotFound error naming the image.
	EnsureImage(ctx context.Context, req ImageRequest, progress ProgressFunc) (Image, error)
	// Create creates and starts a container from spec running a keep-alive
	// process, and labels it with the envhost labels.
	Create(ctx context.Context, spec Spec) (Container, error)
	// Exec runs spec.Cmd in a running container and blocks until it exits,
	// streaming stdio.Stdin into it (EOF on Stdin closes the process's stdin)
	// and its output into stdio.Stdout and stdio.Stderr, kept apart. It
	// returns the exit code. Cancelling ctx stops the exec and returns an
	// ErrCanceled (or ErrDeadlineExceeded) error.
	Exec(ctx context.Context, spec ExecSpec, stdio ExecIO) (int, error)
	// CopyIn extracts the tar stream r into destDir inside the container.
	CopyIn(ctx context.Context, containerID, destDir string, r io.Reader) error
	// CopyOut writes srcPath from the container to w as a tar stream whose
	// entries are named relative to srcPath's parent (as docker cp does). A
	// missing path is ErrNotFound.
	CopyOut(ctx context.Context, containerID, srcPath string, w io.Writer) error
	// Inspect reports the container's state. A container that does not exist
	// is reported as StateMissing with a nil error.
	Inspect(ctx context.Context, containerID string) (ContainerState, error)
	// Remove stops and removes the container (and its image when asked).
	// Removing a container that is already gone is not an error.
	Remove(ctx context.Context, containerID string, opts RemoveOptions) error
}

// Info describes a backend and the engine it drives.
type Info struct {
	Name          string   // backend name, e.g. "docker"
	Version       string   // backend version
	Engine        string   // engine name, e.g. "Docker Engine"
	EngineVersion string   // engine version as the engine reports it
	APIVersion    string   // negotiated engine API version, if any
	Capabilities  []string // Cap* constants
}

// Has reports whether the backend claims capability c.
func (i Info) Has(c string) bool {
	for _, x := range i.Capabilities {
		if x == c {
			return true
		}
	}
	return false
}

// Capabilities a backend may claim in Info. The conformance suite checks
// what a backend claims and skips only what it says it cannot do.
const (
	CapResources    = "resources"     // Spec.Resources (memory, CPUs, shm) honoured
	CapPlatform     = "platform"      // Spec.Platform honoured
	CapMounts       = "mounts"        // Spec.Mounts honoured
	CapNetwork      = "network"       // Spec.Network honoured
	CapRemoveImage  = "remove-image"  // RemoveOptions.RemoveImage honoured
	CapPullProgress = "pull-progress" // EnsureImage reports progress events
	CapExecKill     = "exec-kill"     // a cancelled Exec kills the process
)

// PullPolicy says when EnsureImage pulls.
type PullPolicy string

// Pull policies.
const (
	PullAlways  PullPolicy = "always"
	PullMissing PullPolicy = "missing"
	PullNever   PullPolicy = "never"
)

// ImageRequest asks for an image.
type ImageRequest struct {
	Image    string
	Policy   PullPolicy // empty means PullMissing
	Platform string     // optional, e.g. "linux/amd64"
}

// Image is a locally available image.
type Image struct {
	ID     string // engine image id
	Pulled bool   // true when EnsureImage pulled it
}

// ImageProgress is one pull progress event.
type ImageProgress struct {
	Status  string // engine's status text, e.g. "Downloading"
	Layer   string // layer id, if any
	Current int64  // bytes done, if known
	Total   int64  // bytes total, if known
}

// ProgressFunc receives pull progress events.
type ProgressFunc func(ImageProgress)

// Spec describes a container to create.
type Spec struct {
	Image      string
	Name       string            // optional; the engine picks one when empty
	Env        map[string]string // environment of the keep-alive process and execs
	WorkingDir string
	User       string
	Labels     map[string]string // merged with the envhost labels
	Resources  Resources
	Platform   string
	Mounts     []Mount
	Network    string // network mode, e.g. "none", "bridge", "host"
	CapAdd     []string
	Ulimits    []Ulimit
	// Command is the keep-alive process; empty means the backend's default
	// (a process that sleeps forever).
	Command []string
	// Options are extra engine-specific options; a backend rejects keys it
	// does not know with ErrInvalidArgument.
	Options map[string]string
}

// Resources limits a container.
type Resources struct {
	MemoryBytes  int64 // 0 means unlimited
	NanoCPUs     int64 // CPUs * 1e9; 0 means unlimited
	ShmSizeBytes int64 // 0 means the engine default
}

// Mount is a bind mount, named volume or tmpfs.
type Mount struct {
	Type     string // "bind" (default), "volume" or "tmpfs"
	Source   string
	Target   string
	ReadOnly bool
}

// Ulimit is one resource limit, as in --ulimit name=soft:hard.
type Ulimit struct {
	Name string
	Soft int64
	Hard int64
}

// Container is a created container.
type Container struct {
	ID   string
	Name string
}

// ExecSpec describes a process to run in a container.
type ExecSpec struct {
	ContainerID string
	Cmd         []string
	Env         map[string]string
	WorkingDir  string
	User        string
}

// ExecIO carries an exec's standard streams. A nil Stdin means no input (the
// process sees EOF at once); nil Stdout or Stderr discard.
type ExecIO struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
}

// State is a container's state.
type State string

// Container states.
const (
	StateRunning State = "running"
	StateExited  State = "exited"
	StateMissing State = "missing"
)

// ContainerState is what Inspect reports.
type ContainerState struct {
	State    State
	ExitCode int // when exited
	Image    string
	Labels   map[string]string
}

// RemoveOptions tune Remove.
type RemoveOptions struct {
	RemoveImage bool // also remove the container's image
}

// Labels every backend puts on the containers it creates, so leaked
// containers can be found (envhost gc) and removed.
const (
	LabelManaged = "io.envhost.managed" // always "true"
	LabelOwner   = "io.envhost.owner"   // "<hostname>:<pid>" of the creating host process, when set by the host
	LabelEnv     = "io.envhost.env"     // environment name, when set by the host
)
