package docker

import (
	"context"
	"fmt"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/envhost/envhost/sdk"
	"github.com/moby/moby/client"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// EnsureImage makes req.Image available according to req.Policy.
func (b *Backend) EnsureImage(ctx context.Context, req sdk.ImageRequest, progress sdk.ProgressFunc) (sdk.Image, error) {
	if req.Image == "" {
		return sdk.Image{}, sdk.Errorf(sdk.ErrInvalidArgument, "ensure image: empty image name")
	}
	policy := req.Policy
	if policy == "" {
		policy = sdk.PullMissing
	}
	switch policy {
	case sdk.PullAlways, sdk.PullMissing, sdk.PullNever:
	default:
		return sdk.Image{}, sdk.Errorf(sdk.ErrInvalidArgument, "image %q: unknown pull policy %q", req.Image, policy)
	}
	var platforms []ocispec.Platform
	if req.Platform != "" {
		p, err := parsePlatform(req.Platform)
		if err != nil {
			return sdk.Image{}, err
		}
		platforms = append(platforms, *p)
	}

	if policy != sdk.PullAlways {
		res, err := b.cli.ImageInspect(ctx, req.Image)
		switch {
		case err == nil:
			return sdk.Image{ID: res.ID}, nil
		case !cerrdefs.IsNotFound(err):
			return sdk.Image{}, wrap(err, "inspect image %q", req.Image)
		case policy == sdk.PullNever:
			return sdk.Image{}, fmt.Errorf("image %q is not present and the pull policy is %q: %w", req.Image, policy, sdk.ErrNotFound)
		}
	}

	b.log.Info("pulling image", "image", req.Image, "platform", req.Platform)
	if err := b.pull(ctx, req.Image, platforms, progress); err != nil {
		return sdk.Image{}, err
	}
	res, err := b.cli.ImageInspect(ctx, req.Image)
	if err != nil {
		return sdk.Image{}, wrap(err, "inspect pulled image %q", req.Image)
	}
	return sdk.Image{ID: res.ID, Pulled: true}, nil
}

// pull pulls ref, streaming progress events to progress.
func (b *Backend) pull(ctx context.Context, ref string, platforms []ocispec.Platform, progress sdk.ProgressFunc) error {
	resp, err := b.cli.ImagePull(ctx, ref, client.ImagePullOptions{Platforms: platforms})
	if err != nil {
		return wrapAs(pullClass(err, err.Error()), err, "pull image %q", ref)
	}
	defer resp.Close()
	for msg, err := range resp.JSONMessages(ctx) {
		if err != nil {
			return wrapAs(pullClass(err, err.Error()), err, "pull image %q", ref)
		}
		if msg.Error != nil {
			return wrapAs(pullClass(nil, msg.Error.Message), msg.Error, "pull image %q", ref)
		}
		if progress != nil && msg.Status != "" {
			ev := sdk.ImageProgress{Status: msg.Status, Layer: msg.ID}
			if msg.Progress != nil {
				ev.Current, ev.Total = msg.Progress.Current, msg.Progress.Total
			}
			progress(ev)
		}
	}
	return nil
}

// pullClass classifies a pull failure: a missing image or repository is
// NotFound, anything else without a class (an unreachable registry) is
// Unavailable.
func pullClass(err error, msg string) error {
	if c := errClass(err); c != nil {
		return c
	}
	m := strings.ToLower(msg)
	for _, s := range []string{"not found", "manifest unknown", "pull access denied", "repository does not exist"} {
		if strings.Contains(m, s) {
			return sdk.ErrNotFound
		}
	}
	return sdk.ErrUnavailable
}

// parsePlatform parses "os[/arch[/variant]]".
func parsePlatform(s string) (*ocispec.Platform, error) {
	parts := strings.Split(s, "/")
	if len(parts) > 3 || parts[0] == "" {
		return nil, sdk.Errorf(sdk.ErrInvalidArgument, "platform %q: want os[/arch[/variant]]", s)
	}
	p := &ocispec.Platform{OS: parts[0]}
	if len(parts) > 1 {
		p.Architecture = parts[1]
	}
	if len(parts) > 2 {
		p.Variant = parts[2]
	}
	return p, nil
}
