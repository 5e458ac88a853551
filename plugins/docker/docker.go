// Package docker is the envhost backend for Docker Engine, built on
// github.com/moby/moby/client. It implements sdk.Backend; the plugin binary
// (cmd/envhost-plugin-docker) serves it with sdk.Serve.
package docker

import (
	"context"
	"fmt"

	"github.com/envhost/envhost/sdk"
	"github.com/hashicorp/go-hclog"
	"github.com/moby/moby/client"
)

// Version is this backend's version, reported in Info.
const Version = "0.1.0"

// Options configure New.
type Options struct {
	// Host is the engine address (unix:///run/docker.sock, tcp://...,
	// ssh://...). Empty means DOCKER_HOST, else the standard socket.
	Host string
	// Logger receives the backend's logs; nil discards them.
	Logger hclog.Logger
}

// Backend drives one Docker engine. It is safe for concurrent use.
type Backend struct {
	cli *client.Client
	log hclog.Logger
	// canKill is true when the engine's processes are visible to this
	// process and it may signal them, so that a cancelled exec can be killed.
	canKill bool
}

var _ sdk.Backend = (*Backend)(nil)

// New connects to the Docker engine and negotiates the API version. An
// engine that does not answer is an sdk.ErrUnavailable error.
func New(ctx context.Context, opts Options) (*Backend, error) {
	log := opts.Logger
	if log == nil {
		log = hclog.NewNullLogger()
	}
	copts := []client.Opt{client.FromEnv}
	if opts.Host != "" {
		copts = append(copts, client.WithHost(opts.Host))
	}
	cli, err := client.New(copts...)
	if err != nil {
		return nil, fmt.Errorf("docker client: %w: %w", sdk.ErrInvalidArgument, err)
	}
	if _, err := cli.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true}); err != nil {
		_ = cli.Close()
		class := errClass(err)
		if class == nil || class == sdk.ErrInvalidArgument {
			class = sdk.ErrUnavailable
		}
		return nil, fmt.Errorf("docker engine at %s: %w: %w", cli.DaemonHost(), class, err)
	}
	b := &Backend{cli: cli, log: log, canKill: engineProcessesVisible(cli.DaemonHost())}
	log.Debug("connected to docker engine", "host", cli.DaemonHost(), "api", cli.ClientVersion(), "exec_kill", b.canKill)
	return b, nil
}

// Close releases the client's idle connections.
func (b *Backend) Close() error { return b.cli.Close() }
