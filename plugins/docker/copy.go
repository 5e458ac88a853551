package docker

import (
	"context"
	"fmt"
	"io"

	"github.com/moby/moby/client"
)

// CopyIn extracts the tar stream r into destDir inside the container,
// streaming it to the engine.
func (b *Backend) CopyIn(ctx context.Context, containerID, destDir string, r io.Reader) error {
	_, err := b.cli.CopyToContainer(ctx, containerID, client.CopyToContainerOptions{
		DestinationPath: destDir,
		Content:         r,
	})
	if err != nil {
		return wrap(err, "copy into %s:%s", containerID, destDir)
	}
	return nil
}

// CopyOut streams srcPath from the container to w as a tar stream.
func (b *Backend) CopyOut(ctx context.Context, containerID, srcPath string, w io.Writer) error {
	res, err := b.cli.CopyFromContainer(ctx, containerID, client.CopyFromContainerOptions{SourcePath: srcPath})
	if err != nil {
		return wrap(err, "copy from %s:%s", containerID, srcPath)
	}
	defer res.Content.Close()
	if _, err := io.Copy(w, res.Content); err != nil {
		if ctx.Err() != nil {
			return ctxErr(ctx, fmt.Sprintf("copy from %s:%s", containerID, srcPath))
		}
		return wrap(err, "copy from %s:%s", containerID, srcPath)
	}
	return nil
}
