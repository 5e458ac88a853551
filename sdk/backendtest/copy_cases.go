package backendtest

import (
	"io"
	"testing"
	"time"

	"github.com/envhost/envhost/sdk"
)

func testCopyRoundTrip(t *testing.T, s *suite) {
	ctx, b := s.setup(t)
	c := s.start(t, ctx, b)
	total := s.size(200<<20, 20<<20)
	const root, seed = "bt-tree", 42

	// In: the tar is generated while it streams.
	pr, pw := io.Pipe()
	wantc := make(chan map[string]treeEntry, 1)
	go func() {
		want, err := writeTree(pw, root, total, seed)
		wantc <- want
		pw.CloseWithError(err)
	}()
	start := time.Now()
	err := b.CopyIn(ctx, c.ID, "/tmp", pr)
	pr.CloseWithError(io.ErrClosedPipe) // unblock the generator if CopyIn stopped early
	want := <-wantc
	if err != nil {
		t.Fatalf("CopyIn of a %d MiB tree: %v", total>>20, err)
	}
	if want == nil {
		t.Fatal("generating the tree failed")
	}
	t.Logf("CopyIn: %d MiB in %v (%.0f MB/s)", total>>20, time.Since(start).Round(time.Millisecond), mbps(total, time.Since(start)))

	// The files landed where CopyIn was told to put them.
	big := want[root+"/big.bin"]
	if got := trim(shOK(t, ctx, b, c.ID, "sha256sum /tmp/bt-tree/big.bin | cut -d' ' -f1")); got != big.Sum {
		t.Errorf("sha256 of big.bin inside the container = %s, want %s", got, big.Sum)
	}
	if got := trim(shOK(t, ctx, b, c.ID, "readlink /tmp/bt-tree/link-rel; stat -c %a /tmp/bt-tree/secret/key")); got != "a/b/c/d/deep.txt\n600" {
		t.Errorf("readlink link-rel; stat secret/key inside the container = %q", got)
	}

	// Out: the tar is checked while it streams.
	pr, pw = io.Pipe()
	type checked struct {
		problems []string
		err      error
	}
	donec := make(chan checked, 1)
	go func() {
		problems, err := checkTree(pr, want)
		if err == nil {
			_, err = io.Copy(io.Discard, pr) // tar padding after the end marker
		}
		pr.CloseWithError(err)
		donec <- checked{problems, err}
	}()
	start = time.Now()
	err = b.CopyOut(ctx, c.ID, "/tmp/"+root, pw)
	pw.CloseWithError(err)
	res := <-donec
	if err != nil {
		t.Fatalf("CopyOut: %v", err)
	}
	t.Logf("CopyOut: %d MiB in %v (%.0f MB/s)", total>>20, time.Since(start).Round(time.Millisecond), mbps(total, time.Since(start)))
	if res.err != nil {
		t.Errorf("reading CopyOut's tar: %v", res.err)
	}
	for _, p := range res.problems {
		t.Errorf("CopyOut tree: %s", p)
	}
}

func testCopyOutMissing(t *testing.T, s *suite) {
	ctx, b := s.setup(t)
	c := s.start(t, ctx, b)
	err := b.CopyOut(ctx, c.ID, "/no/such/backendtest/path", io.Discard)
	wantClass(t, "CopyOut of a missing path", err, sdk.ErrNotFound)
}

func mbps(n int64, d time.Duration) float64 { return float64(n) / d.Seconds() / 1e6 }
