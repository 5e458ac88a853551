package podman

import (
	"context"

	"github.com/containers/podman/v4/pkg/bindings"
	"github.com/containers/podman/v4/pkg/bindings/system"

	"github.com/envhost/envhost/sdk"
)

// Info reports the backend, the Podman service and the capabilities. It is
// also the backend's health check: an engine that does not answer is
// sdk.ErrUnavailable.
func (b *Backend) Info(ctx context.Context) (sdk.Info, error) {
	cctx, err := b.conn(ctx)
	if err != nil {
		return sdk.Info{}, err
	}
	v, err := system.Version(cctx, nil)
	if err != nil {
		return sdk.Info{}, classify(err, "podman: version of %s", b.uri)
	}
	info := sdk.Info{
		Name:         Name,
		Version:      Version,
		Engine:       "Podman Engine",
		APIVersion:   bindings.ServiceVersion(cctx).String(),
		Capabilities: b.capabilities(),
	}
	if v.Server != nil {
		info.EngineVersion = v.Server.Version
		if v.Server.APIVersion != "" {
			info.APIVersion = v.Server.APIVersion
		}
	}
	return info, nil
}

// capabilities lists what this backend honours. Exec kill is claimed only
// when a cancelled exec's process can really be killed (see killer).
func (b *Backend) capabilities() []string {
	caps := []string{
		sdk.CapResources,
		sdk.CapPlatform,
		sdk.CapMounts,
		sdk.CapNetwork,
		sdk.CapRemoveImage,
		sdk.CapPullProgress,
	}
	if k := b.killer(); k != nil && k.reliable() {
		caps = append(caps, sdk.CapExecKill)
	}
	return caps
}
