// Command envhost-plugin-docker is the envhost backend plugin for Docker
// Engine. The envhost host starts it (go-plugin handshake on stdout, JSON
// logs on stderr); run by hand it prints a hint and exits. It reaches the
// engine at DOCKER_HOST, else the standard socket.
package main

import (
	"context"
	"time"

	"github.com/envhost/envhost/plugins/docker"
	"github.com/envhost/envhost/sdk"
)

func main() {
	log := sdk.NewPluginLogger().Named("docker")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	b, err := docker.New(ctx, docker.Options{Logger: log})
	cancel()
	var backend sdk.Backend = b
	if err != nil {
		// Serve anyway, so that the host gets a classified error
		// (ErrUnavailable: engine down) rather than a failed start.
		log.Error("docker engine not usable", "error", err)
		backend = docker.Unusable(err)
	}
	sdk.Serve(backend, sdk.WithLogger(log))
}
