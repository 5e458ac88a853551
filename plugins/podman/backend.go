// Package podman is the envhost backend for Podman. It drives the libpod REST
// API through github.com/containers/podman/v4/pkg/bindings and implements
// sdk.Backend; cmd/envhost-plugin-podman serves it as a plugin.
//
// Everything Podman-specific lives here: engine discovery (CONTAINER_HOST, the
// rootful and rootless sockets), short image names as Podman resolves them
// (localhost/ for imported images), one connection per exec attach (the
// bindings swap a connection's transport while attaching), and the mapping of
// Podman's errors to the sdk error classes.
package podman

import (
	"context"
	"sync"

	"github.com/hashicorp/go-hclog"

	"github.com/envhost/envhost/sdk"
)

// Name is the backend name reported by Info.
const Name = "podman"

// Version is the backend version reported by Info.
var Version = "0.1.0"

// Options configure a Backend. The zero value discovers the engine.
type Options struct {
	// URI is the engine address (unix:///path, ssh://user@host/path or
	// tcp://host:port). Empty means discover it: CONTAINER_HOST, then the
	// rootful socket /run/podman/podman.sock, then the rootless socket
	// $XDG_RUNTIME_DIR/podman/podman.sock.
	URI string
	// Identity is the ssh private key file for ssh:// URIs. Empty means
	// CONTAINER_SSHKEY, if set.
	Identity string
	// Logger receives structured logs; nil means hclog's default logger
	// (stderr). The backend never writes to stdout.
	Logger hclog.Logger
}

// Backend is the Podman sdk.Backend. It is safe for concurrent use.
type Backend struct {
	uri      string
	identity string
	log      hclog.Logger
	noEngine error // discovery found no engine: every call fails with it

	mu   sync.Mutex
	base context.Context // bindings connection shared by non-attach calls; nil until connected
	kill killer          // how a cancelled exec is killed; set on connect
}

var _ sdk.Backend = (*Backend)(nil)

// New returns a Podman backend. It does not contact the engine: a backend
// whose engine is down (or was not found) is created, and its calls fail with
// sdk.ErrUnavailable until the engine answers. Only a malformed Options.URI
// is an error.
func New(opts Options) (*Backend, error) {
	log := opts.Logger
	if log == nil {
		log = hclog.Default().Named(Name)
	}
	b := &Backend{identity: opts.Identity, log: log}
	if b.identity == "" {
		b.identity = osEnv{}.Getenv("CONTAINER_SSHKEY")
	}
	b.uri = opts.URI
	if b.uri == "" {
		// No engine found yet is not fatal: calls report it, and a socket
		// that appears later is not picked up (restart the plugin).
		b.uri, b.noEngine = DiscoverURI(osEnv{})
	}
	if b.noEngine == nil {
		if err := checkURI(b.uri); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// URI returns the engine address the backend talks to.
func (b *Backend) URI() string { return b.uri }
