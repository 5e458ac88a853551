package podman

import (
	"context"
	"net/http"

	"github.com/containers/podman/v4/pkg/bindings"

	"github.com/envhost/envhost/sdk"
)

// Info reports the backend, the Podman service and the capabilities. It is
// also the backend's health check: an engine that does not answer is
// sdk.ErrUnavailable.
func (b *Backend) Info(ctx context.Context) (sdk.Info, error) {
	// A ping proves the service answers; the connection learnt the version
	// from the ping made when it was opened. The /version endpoint would add
	// the engine's components but takes seconds on Podman 4.3 (it runs conmon
	// and the OCI runtime to ask theirs).
	resp, err := b.do(ctx, nil, http.MethodGet, "/_ping", nil)
	if err != nil {
		return sdk.Info{}, classify(err, "podman: ping %s", b.uri)
	}
	resp.Body.Close()
	if !resp.IsSuccess() {
		return sdk.Info{}, classify(resp.Process(nil), "podman: ping %s", b.uri)
	}
	cctx, err := b.conn(ctx)
	if err != nil {
		return sdk.Info{}, err
	}
	version := bindings.ServiceVersion(cctx).String()
	info := sdk.Info{
		Name:          Name,
		Version:       Version,
		Engine:        "Podman Engine",
		EngineVersion: version,
		APIVersion:    version,
		Capabilities:  b.capabilities(),
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
