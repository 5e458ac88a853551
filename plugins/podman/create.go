package podman

import (
	"context"
	"strings"
	"time"

	"github.com/containers/podman/v4/pkg/bindings/containers"

	"github.com/envhost/envhost/sdk"
)

// Create creates and starts a container running the keep-alive process
// (sleep infinity unless spec.Command says otherwise), labelled
// io.envhost.managed=true. A container that fails to start is removed.
func (b *Backend) Create(ctx context.Context, spec sdk.Spec) (sdk.Container, error) {
	s, err := toSpecGen(spec)
	if err != nil {
		return sdk.Container{}, err
	}
	cctx, err := b.conn(ctx)
	if err != nil {
		return sdk.Container{}, err
	}
	resp, err := containers.CreateWithSpec(cctx, s, nil)
	if err != nil {
		return sdk.Container{}, classify(err, "podman: create container %sfrom image %q", nameFor(spec.Name), spec.Image)
	}
	for _, w := range resp.Warnings {
		b.log.Warn("create container", "id", resp.ID, "warning", w)
	}
	if err := containers.Start(cctx, resp.ID, nil); err != nil {
		b.discard(resp.ID)
		return sdk.Container{}, classify(err, "podman: start container %s (image %q)", short(resp.ID), spec.Image)
	}
	c := sdk.Container{ID: resp.ID, Name: spec.Name}
	if data, err := containers.Inspect(cctx, resp.ID, nil); err == nil {
		c.Name = data.Name
	}
	b.log.Debug("created container", "id", short(c.ID), "name", c.Name, "image", spec.Image)
	return c, nil
}

// discard removes a container that failed to start, on a context of its own.
func (b *Backend) discard(id string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := b.Remove(ctx, id, sdk.RemoveOptions{}); err != nil {
		b.log.Warn("remove container that failed to start", "id", short(id), "error", err)
	}
}

func nameFor(name string) string {
	if name == "" {
		return ""
	}
	return strings.TrimSpace(name) + " "
}

// short abbreviates a container id for messages.
func short(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
