package docker

import (
	"context"

	"github.com/envhost/envhost/sdk"
	"github.com/moby/moby/client"
)

// Info reports the backend, the engine's version and the capabilities.
func (b *Backend) Info(ctx context.Context) (sdk.Info, error) {
	v, err := b.cli.ServerVersion(ctx, client.ServerVersionOptions{})
	if err != nil {
		return sdk.Info{}, wrap(err, "docker engine version")
	}
	engine := v.Platform.Name
	if engine == "" {
		engine = "Docker Engine"
	}
	caps := []string{
		sdk.CapResources, sdk.CapPlatform, sdk.CapMounts, sdk.CapNetwork,
		sdk.CapRemoveImage, sdk.CapPullProgress,
	}
	if b.canKill {
		caps = append(caps, sdk.CapExecKill)
	}
	return sdk.Info{
		Name:          "docker",
		Version:       Version,
		Engine:        engine,
		EngineVersion: v.Version,
		APIVersion:    b.cli.ClientVersion(),
		Capabilities:  caps,
	}, nil
}
