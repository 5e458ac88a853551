package podman

import (
	"context"
	"errors"
	"strings"

	"github.com/containers/podman/v4/pkg/bindings/images"

	"github.com/envhost/envhost/sdk"
)

// EnsureImage makes req.Image available in Podman's storage. Names resolve as
// Podman resolves them: a short name such as "envhost/python:3.11" finds an
// image imported locally as localhost/envhost/python:3.11.
func (b *Backend) EnsureImage(ctx context.Context, req sdk.ImageRequest, progress sdk.ProgressFunc) (sdk.Image, error) {
	if strings.TrimSpace(req.Image) == "" {
		return sdk.Image{}, invalid("podman: ensure image: no image named")
	}
	policy := req.Policy
	if policy == "" {
		policy = sdk.PullMissing
	}
	switch policy {
	case sdk.PullAlways, sdk.PullMissing, sdk.PullNever:
	default:
		return sdk.Image{}, invalid("podman: image %q: unknown pull policy %q", req.Image, policy)
	}
	plat, err := parsePlatform(req.Platform)
	if err != nil {
		return sdk.Image{}, err
	}
	cctx, err := b.conn(ctx)
	if err != nil {
		return sdk.Image{}, err
	}
	if policy != sdk.PullAlways {
		id, err := b.localImage(cctx, req.Image, plat)
		switch {
		case err == nil:
			return sdk.Image{ID: id}, nil
		case !errors.Is(err, sdk.ErrNotFound):
			return sdk.Image{}, err
		case policy == sdk.PullNever:
			return sdk.Image{}, err
		}
	}
	return b.pull(cctx, req.Image, plat, progress)
}

// localImage returns the id of the local image ref, or an sdk.ErrNotFound
// error naming it (also when it exists for another platform only).
func (b *Backend) localImage(cctx context.Context, ref string, plat platform) (string, error) {
	img, err := images.GetImage(cctx, ref, nil)
	if err != nil {
		if errors.Is(classOf(err), sdk.ErrNotFound) {
			return "", notFound("podman: image %q not found locally", ref)
		}
		return "", classify(err, "podman: image %q", ref)
	}
	if img == nil || img.ImageData == nil {
		return "", notFound("podman: image %q not found locally", ref)
	}
	if !plat.matches(img.Os, img.Architecture) {
		return "", notFound("podman: image %q is present for %s/%s, not for %s", ref, img.Os, img.Architecture, plat)
	}
	return img.ID, nil
}

// pull pulls ref, reporting progress, and returns the pulled image.
func (b *Backend) pull(cctx context.Context, ref string, plat platform, progress sdk.ProgressFunc) (sdk.Image, error) {
	b.log.Info("pulling image", "image", ref, "platform", plat.String())
	pw := &progressWriter{fn: progress}
	opts := new(images.PullOptions).WithPolicy("always").WithProgressWriter(pw)
	if plat.os != "" {
		opts = opts.WithOS(plat.os).WithArch(plat.arch)
		if plat.variant != "" {
			opts = opts.WithVariant(plat.variant)
		}
	}
	ids, err := images.Pull(cctx, ref, opts)
	pw.flush()
	if err != nil {
		if cctx.Err() != nil {
			err = cctx.Err()
		}
		return sdk.Image{}, classify(err, "podman: pull image %q", ref)
	}
	img := sdk.Image{Pulled: true}
	if len(ids) > 0 {
		img.ID = ids[0]
	}
	b.log.Info("pulled image", "image", ref, "id", img.ID)
	return img, nil
}

// progressWriter turns Podman's textual pull output into progress events,
// one per line ("Copying blob sha256:..." lines name their layer).
type progressWriter struct {
	fn  sdk.ProgressFunc
	buf []byte
}

func (w *progressWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	for {
		i := strings.IndexByte(string(w.buf), '\n')
		if i < 0 {
			break
		}
		w.emit(string(w.buf[:i]))
		w.buf = w.buf[i+1:]
	}
	return len(p), nil
}

func (w *progressWriter) flush() {
	if len(w.buf) > 0 {
		w.emit(string(w.buf))
		w.buf = nil
	}
}

func (w *progressWriter) emit(line string) {
	line = strings.TrimSpace(line)
	if line == "" || w.fn == nil {
		return
	}
	ev := sdk.ImageProgress{Status: line}
	if rest, ok := strings.CutPrefix(line, "Copying blob "); ok {
		f := strings.Fields(rest)
		ev.Status = "Copying blob"
		if len(f) > 0 {
			ev.Layer = strings.TrimPrefix(f[0], "sha256:")
		}
		if len(f) > 1 {
			ev.Status = "Copying blob " + strings.Join(f[1:], " ")
		}
	}
	w.fn(ev)
}

// platform is an "os/arch[/variant]" image platform; the zero value is any.
type platform struct{ os, arch, variant string }

func parsePlatform(s string) (platform, error) {
	if s == "" {
		return platform{}, nil
	}
	f := strings.Split(s, "/")
	if len(f) < 2 || len(f) > 3 || f[0] == "" || f[1] == "" {
		return platform{}, invalid("podman: platform %q: want os/arch[/variant]", s)
	}
	p := platform{os: f[0], arch: f[1]}
	if len(f) == 3 {
		p.variant = f[2]
	}
	return p, nil
}

func (p platform) matches(os, arch string) bool {
	if p.os == "" {
		return true
	}
	return strings.EqualFold(p.os, os) && strings.EqualFold(p.arch, arch)
}

func (p platform) String() string {
	if p.os == "" {
		return ""
	}
	if p.variant != "" {
		return p.os + "/" + p.arch + "/" + p.variant
	}
	return p.os + "/" + p.arch
}
