package podman

import (
	"context"
	"errors"

	"github.com/containers/podman/v4/pkg/bindings/containers"

	"github.com/envhost/envhost/sdk"
)

// Inspect reports the container's state; a container that does not exist is
// StateMissing with a nil error.
func (b *Backend) Inspect(ctx context.Context, containerID string) (sdk.ContainerState, error) {
	if containerID == "" {
		return sdk.ContainerState{}, invalid("podman: inspect: no container named")
	}
	cctx, err := b.conn(ctx)
	if err != nil {
		return sdk.ContainerState{}, err
	}
	data, err := containers.Inspect(cctx, containerID, nil)
	if err != nil {
		if errors.Is(classOf(err), sdk.ErrNotFound) {
			return sdk.ContainerState{State: sdk.StateMissing}, nil
		}
		return sdk.ContainerState{}, classify(err, "podman: inspect container %s", short(containerID))
	}
	st := sdk.ContainerState{State: sdk.StateExited, Image: data.ImageName}
	if data.State != nil {
		if data.State.Running {
			st.State = sdk.StateRunning
		} else {
			st.ExitCode = int(data.State.ExitCode)
		}
	}
	if data.Config != nil {
		st.Labels = data.Config.Labels
	}
	return st, nil
}
