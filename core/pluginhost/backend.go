package pluginhost

import (
	"context"
	"io"

	"github.com/envhost/envhost/sdk"
)

// The sdk.Backend methods forward to the current plugin process.

// Info implements sdk.Backend.
func (p *Plugin) Info(ctx context.Context) (sdk.Info, error) {
	in, err := p.instance()
	if err != nil {
		return sdk.Info{}, err
	}
	info, err := in.backend.Info(ctx)
	return info, p.after(ctx, in, err)
}

// EnsureImage implements sdk.Backend.
func (p *Plugin) EnsureImage(ctx context.Context, req sdk.ImageRequest, progress sdk.ProgressFunc) (sdk.Image, error) {
	in, err := p.instance()
	if err != nil {
		return sdk.Image{}, err
	}
	img, err := in.backend.EnsureImage(ctx, req, progress)
	return img, p.after(ctx, in, err)
}

// Create implements sdk.Backend.
func (p *Plugin) Create(ctx context.Context, spec sdk.Spec) (sdk.Container, error) {
	in, err := p.instance()
	if err != nil {
		return sdk.Container{}, err
	}
	c, err := in.backend.Create(ctx, spec)
	return c, p.after(ctx, in, err)
}

// Exec implements sdk.Backend.
func (p *Plugin) Exec(ctx context.Context, spec sdk.ExecSpec, stdio sdk.ExecIO) (int, error) {
	in, err := p.instance()
	if err != nil {
		return -1, err
	}
	code, err := in.backend.Exec(ctx, spec, stdio)
	return code, p.after(ctx, in, err)
}

// CopyIn implements sdk.Backend.
func (p *Plugin) CopyIn(ctx context.Context, containerID, destDir string, r io.Reader) error {
	in, err := p.instance()
	if err != nil {
		return err
	}
	return p.after(ctx, in, in.backend.CopyIn(ctx, containerID, destDir, r))
}

// CopyOut implements sdk.Backend.
func (p *Plugin) CopyOut(ctx context.Context, containerID, srcPath string, w io.Writer) error {
	in, err := p.instance()
	if err != nil {
		return err
	}
	return p.after(ctx, in, in.backend.CopyOut(ctx, containerID, srcPath, w))
}

// Inspect implements sdk.Backend.
func (p *Plugin) Inspect(ctx context.Context, containerID string) (sdk.ContainerState, error) {
	in, err := p.instance()
	if err != nil {
		return sdk.ContainerState{}, err
	}
	st, err := in.backend.Inspect(ctx, containerID)
	return st, p.after(ctx, in, err)
}

// Remove implements sdk.Backend.
func (p *Plugin) Remove(ctx context.Context, containerID string, opts sdk.RemoveOptions) error {
	in, err := p.instance()
	if err != nil {
		return err
	}
	return p.after(ctx, in, in.backend.Remove(ctx, containerID, opts))
}
