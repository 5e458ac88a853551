package podman

import (
	"context"
	"errors"

	"github.com/containers/podman/v4/pkg/bindings/containers"
	"github.com/containers/podman/v4/pkg/bindings/images"

	"github.com/envhost/envhost/sdk"
)

// Remove kills and removes the container with its anonymous volumes, and its
// image when opts.RemoveImage is set. A container already gone is not an
// error.
func (b *Backend) Remove(ctx context.Context, containerID string, opts sdk.RemoveOptions) error {
	if containerID == "" {
		return invalid("podman: remove: no container named")
	}
	cctx, err := b.conn(ctx)
	if err != nil {
		return err
	}
	var imageID string
	if opts.RemoveImage {
		data, err := containers.Inspect(cctx, containerID, nil)
		switch {
		case err == nil:
			imageID = data.ImageName
			if imageID == "" {
				imageID = data.Image
			}
		case errors.Is(classOf(err), sdk.ErrNotFound):
			return nil
		default:
			return classify(err, "podman: inspect container %s", short(containerID))
		}
	}
	ropts := new(containers.RemoveOptions).WithForce(true).WithIgnore(true).WithVolumes(true).WithTimeout(0)
	reports, err := containers.Remove(cctx, containerID, ropts)
	if err != nil && !errors.Is(classOf(err), sdk.ErrNotFound) {
		return classify(err, "podman: remove container %s", short(containerID))
	}
	for _, r := range reports {
		if r.Err != nil && !errors.Is(classOf(r.Err), sdk.ErrNotFound) {
			return classify(r.Err, "podman: remove container %s", short(containerID))
		}
	}
	b.log.Debug("removed container", "id", short(containerID))
	if imageID == "" {
		return nil
	}
	if _, errs := images.Remove(cctx, []string{imageID}, nil); len(errs) > 0 {
		err := errors.Join(errs...)
		if errors.Is(classOf(err), sdk.ErrNotFound) {
			return nil
		}
		return classify(err, "podman: remove image %s of container %s", short(imageID), short(containerID))
	}
	b.log.Debug("removed image", "id", short(imageID))
	return nil
}
