package docker

import (
	"context"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/envhost/envhost/sdk"
	"github.com/moby/moby/client"
)

// Inspect reports a container's state; a missing container is StateMissing.
func (b *Backend) Inspect(ctx context.Context, containerID string) (sdk.ContainerState, error) {
	res, err := b.cli.ContainerInspect(ctx, containerID, client.ContainerInspectOptions{})
	if cerrdefs.IsNotFound(err) {
		return sdk.ContainerState{State: sdk.StateMissing}, nil
	}
	if err != nil {
		return sdk.ContainerState{}, wrap(err, "inspect container %s", containerID)
	}
	c := res.Container
	st := sdk.ContainerState{State: sdk.StateExited}
	if c.State != nil {
		if c.State.Running {
			st.State = sdk.StateRunning
		} else {
			st.ExitCode = c.State.ExitCode
		}
	}
	if c.Config != nil {
		st.Image = c.Config.Image
		st.Labels = c.Config.Labels
	}
	if st.Image == "" {
		st.Image = c.Image
	}
	return st, nil
}
