package docker

import (
	"context"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/envhost/envhost/sdk"
	"github.com/moby/moby/client"
)

// Remove kills and removes a container (no grace period), and its image when
// opts.RemoveImage is set. A container that is already gone is not an error.
func (b *Backend) Remove(ctx context.Context, containerID string, opts sdk.RemoveOptions) error {
	var imageID string
	if opts.RemoveImage {
		res, err := b.cli.ContainerInspect(ctx, containerID, client.ContainerInspectOptions{})
		switch {
		case cerrdefs.IsNotFound(err):
			return nil // nothing tells us which image it was
		case err != nil:
			return wrap(err, "inspect container %s", containerID)
		}
		imageID = res.Container.Image
	}
	_, err := b.cli.ContainerRemove(ctx, containerID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
	switch {
	case err == nil, cerrdefs.IsNotFound(err):
	case cerrdefs.IsConflict(err) && strings.Contains(err.Error(), "already in progress"):
		// Another Remove is at work; the container is going away.
	default:
		return wrap(err, "remove container %s", containerID)
	}
	b.log.Debug("container removed", "id", containerID)
	if imageID == "" {
		return nil
	}
	if _, err := b.cli.ImageRemove(ctx, imageID, client.ImageRemoveOptions{PruneChildren: true}); err != nil && !cerrdefs.IsNotFound(err) {
		class := errClass(err)
		if class == sdk.ErrAlreadyExists { // 409: the image is in use
			class = sdk.ErrFailedPrecondition
		}
		return wrapAs(class, err, "remove image %s of container %s", imageID, containerID)
	}
	b.log.Debug("image removed", "image", imageID)
	return nil
}
