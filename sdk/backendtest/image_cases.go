package backendtest

import (
	"strings"
	"testing"

	"github.com/envhost/envhost/sdk"
)

// knownCaps are the capabilities the sdk defines.
var knownCaps = map[string]bool{
	sdk.CapResources: true, sdk.CapPlatform: true, sdk.CapMounts: true,
	sdk.CapNetwork: true, sdk.CapRemoveImage: true, sdk.CapPullProgress: true,
	sdk.CapExecKill: true,
}

func testInfo(t *testing.T, s *suite) {
	ctx, b := s.setup(t)
	i := info(t, ctx, b)
	for field, v := range map[string]string{
		"Name": i.Name, "Version": i.Version, "Engine": i.Engine, "EngineVersion": i.EngineVersion,
	} {
		if v == "" {
			t.Errorf("Info.%s is empty", field)
		}
	}
	seen := map[string]bool{}
	for _, c := range i.Capabilities {
		if !knownCaps[c] {
			t.Errorf("Info claims unknown capability %q", c)
		}
		if seen[c] {
			t.Errorf("Info claims capability %q twice", c)
		}
		seen[c] = true
	}
	t.Logf("backend %s %s on %s %s (API %s), capabilities %v",
		i.Name, i.Version, i.Engine, i.EngineVersion, i.APIVersion, i.Capabilities)
}

func testEnsurePresentNever(t *testing.T, s *suite) {
	ctx, b := s.setup(t)
	img, err := b.EnsureImage(ctx, sdk.ImageRequest{Image: s.opts.Image, Policy: sdk.PullNever}, nil)
	if err != nil {
		t.Fatalf("EnsureImage(%s, never): %v", s.opts.Image, err)
	}
	if img.ID == "" {
		t.Error("EnsureImage returned an empty image id")
	}
	if img.Pulled {
		t.Error("EnsureImage under PullNever reports Pulled")
	}
}

func testEnsurePresentMissing(t *testing.T, s *suite) {
	ctx, b := s.setup(t)
	for _, p := range []sdk.PullPolicy{sdk.PullMissing, ""} {
		img, err := b.EnsureImage(ctx, sdk.ImageRequest{Image: s.opts.Image, Policy: p}, nil)
		if err != nil {
			t.Fatalf("EnsureImage(%s, %q): %v", s.opts.Image, p, err)
		}
		if img.ID == "" {
			t.Errorf("EnsureImage(%q) returned an empty image id", p)
		}
		if img.Pulled {
			t.Errorf("EnsureImage(%q) of a present image reports Pulled", p)
		}
	}
}

func testEnsureMissingNever(t *testing.T, s *suite) {
	ctx, b := s.setup(t)
	missing := s.opts.MissingImage
	if missing == "" {
		missing = "envhost.invalid/backendtest/" + uniqueName("missing") + ":1"
	}
	_, err := b.EnsureImage(ctx, sdk.ImageRequest{Image: missing, Policy: sdk.PullNever}, nil)
	wantClass(t, "EnsureImage(missing, never)", err, sdk.ErrNotFound)
	if !strings.Contains(err.Error(), missing) {
		t.Errorf("error %q does not name the image %q", err, missing)
	}
}

func testPullProgress(t *testing.T, s *suite) {
	ctx, b := s.setup(t)
	i := info(t, ctx, b)
	if !claims(t, i, sdk.CapPullProgress) {
		return
	}
	// Pulling needs a registry, which a conformance run cannot assume.
	t.Logf("backend claims %q; not exercised: the suite does not assume a reachable registry", sdk.CapPullProgress)
}

func testRemoveImage(t *testing.T, s *suite) {
	ctx, b := s.setup(t)
	i := info(t, ctx, b)
	if !claims(t, i, sdk.CapRemoveImage) {
		return
	}
	// The suite's only image is shared; removing it would break later cases.
	t.Logf("backend claims %q; not exercised: the suite has no disposable image", sdk.CapRemoveImage)
}
