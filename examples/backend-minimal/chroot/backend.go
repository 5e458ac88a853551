// Package chroot is a minimal envhost backend, written the way a third party
// would write one: it imports only the sdk. Its "containers" are chroot
// directories on the local machine (root required) and its "images" are
// root-filesystem tarballs, named by path:
//
//	image:  /root/.cache/envhost/rootfs-bookworm.tar
//	state:  $ENVHOST_CHROOT_DIR (default /var/lib/envhost-chroot)
//	        images/<image id>/               the tarball, extracted once
//	        containers/<id>/rootfs           an overlay (or a copy) of it
//	        containers/<id>/meta.json        image, labels, env, user, workdir
//	        names/<name> -> <id>             container names
//
// It isolates nothing but the file system: no namespaces, no cgroups, no
// network or resource limits. It exists to show the contract, and it passes
// the conformance suite sdk/backendtest.
package chroot

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"

	"github.com/hashicorp/go-hclog"

	"github.com/envhost/envhost/sdk"
)

// Version is the backend's version.
const Version = "0.1.0"

// DefaultStateDir is where containers live when ENVHOST_CHROOT_DIR is unset.
const DefaultStateDir = "/var/lib/envhost-chroot"

// Options configure a Backend.
type Options struct {
	// StateDir holds image caches and containers; empty means
	// $ENVHOST_CHROOT_DIR, else DefaultStateDir.
	StateDir string
	// NoOverlay makes every container a full copy of its image instead of
	// an overlay mount (slower; for kernels or file systems without overlay).
	NoOverlay bool
	// Logger receives debug logs; nil means none.
	Logger hclog.Logger
}

// Backend is the chroot backend. It is safe for concurrent use.
type Backend struct {
	dir       string
	noOverlay bool
	log       hclog.Logger

	imageMu sync.Mutex // serialises extraction of an image into the cache
	mains   sync.Map   // container id -> chan struct{} closed when its main process has exited
}

var _ sdk.Backend = (*Backend)(nil)

// New returns a chroot backend. It fails unless it runs as root.
func New(opts Options) (*Backend, error) {
	if os.Geteuid() != 0 {
		return nil, fmt.Errorf("chroot backend: needs root (chroot, mount): %w", sdk.ErrFailedPrecondition)
	}
	dir := opts.StateDir
	if dir == "" {
		dir = os.Getenv("ENVHOST_CHROOT_DIR")
	}
	if dir == "" {
		dir = DefaultStateDir
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("chroot backend: state dir: %w", err)
	}
	for _, sub := range []string{"images", "containers", "names"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			return nil, fmt.Errorf("chroot backend: state dir: %w", err)
		}
	}
	log := opts.Logger
	if log == nil {
		log = hclog.NewNullLogger()
	}
	return &Backend{dir: dir, noOverlay: opts.NoOverlay, log: log}, nil
}

// Info reports the backend. It claims exec-kill only: resources, mounts,
// network, platform and image removal are not supported.
func (b *Backend) Info(ctx context.Context) (sdk.Info, error) {
	var u syscall.Utsname
	kernel := "unknown"
	if err := syscall.Uname(&u); err == nil {
		kernel = utsString(u.Release[:])
	}
	return sdk.Info{
		Name:          "chroot",
		Version:       Version,
		Engine:        "chroot on " + runtime.GOOS,
		EngineVersion: kernel,
		Capabilities:  []string{sdk.CapExecKill},
	}, nil
}

func utsString(cs []int8) string {
	b := make([]byte, 0, len(cs))
	for _, c := range cs {
		if c == 0 {
			break
		}
		b = append(b, byte(c))
	}
	return string(b)
}

// ctxErr turns a context's error into an sdk error class.
func ctxErr(ctx context.Context, what string) error {
	return fmt.Errorf("%s: %w: %w", what, sdk.Class(ctx.Err()), ctx.Err())
}
