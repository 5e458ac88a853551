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

	mu   sync.Mutex
	base context.Context // bindings connection shared by non-attach calls; nil until connected
	kill killer          // how a cancelled exec is killed; set on connect
}

var _ sdk.Backend = (*Backend)(nil)

// New returns a Podman backend. It does not contact the engine: a backend
// whose engine is down is created, and its calls fail with sdk.ErrUnavailable
// until the engine answers.
func New(opts Options) (*Backend, error) {
	log := opts.Logger
	if log == nil {
		log = hclog.Default().Named(Name)
	}
	uri := opts.URI
	if uri == "" {
		var err error
		uri, err = DiscoverURI(osEnv{})
		if err != nil {
			return nil, err
		}
	}
	if err := checkURI(uri); err != nil {
		return nil, err
	}
	identity := opts.Identity
	if identity == "" {
		identity = osEnv{}.Getenv("CONTAINER_SSHKEY")
	}
	return &Backend{uri: uri, identity: identity, log: log}, nil
}

// URI returns the engine address the backend talks to.
func (b *Backend) URI() string { return b.uri }
