package pluginhost_test

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// heapWatch samples HeapInuse until stopped and reports the peak growth
// over the level when it started.
type heapWatch struct {
	base uint64
	peak atomic.Uint64
	stop chan struct{}
	wg   sync.WaitGroup
}

func watchHeap() *heapWatch {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	w := &heapWatch{base: ms.HeapInuse, stop: make(chan struct{})}
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > w.peak.Load() {
				w.peak.Store(ms.HeapInuse)
			}
			select {
			case <-w.stop:
				return
			case <-t.C:
			}
		}
	}()
	return w
}

// growth stops the watch and returns the peak growth in bytes.
func (w *heapWatch) growth() int64 {
	close(w.stop)
	w.wg.Wait()
	return int64(w.peak.Load()) - int64(w.base)
}

// patternTar streams a tar holding one file of n pattern bytes.
func patternTar(name string, n int64) io.Reader {
	pr, pw := io.Pipe()
	go func() {
		tw := tar.NewWriter(pw)
		err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: n, Typeflag: tar.TypeReg})
		if err == nil {
			_, err = io.CopyN(tw, &patternReader{}, n)
		}
		if err == nil {
			err = tw.Close()
		}
		pw.CloseWithError(err)
	}()
	return pr
}

func TestCopy100MiBStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: moves 200 MiB through a plugin process")
	}
	const size = 100 << 20
	const limit = 24 << 20 // heap growth allowed on the host side
	p := launch(t, nil)
	id := create(t, p)
	ctx := t.Context()

	want := sha256.New()
	io.CopyN(want, &patternReader{}, size)
	wantSum := want.Sum(nil)

	w := watchHeap()
	start := time.Now()
	if err := p.CopyIn(ctx, id, "/data", patternTar("big.bin", size)); err != nil {
		t.Fatalf("CopyIn: %v", err)
	}
	in, grewIn := time.Since(start), w.growth()

	w = watchHeap()
	start = time.Now()
	pr, pw := io.Pipe()
	type result struct {
		n   int64
		sum []byte
		err error
	}
	res := make(chan result, 1)
	go func() {
		tr := tar.NewReader(pr)
		h, err := tr.Next()
		if err != nil {
			pr.CloseWithError(err)
			res <- result{err: err}
			return
		}
		sum := sha256.New()
		n, err := io.Copy(sum, tr)
		if err == nil && h.Name != "big.bin" {
			err = io.ErrUnexpectedEOF
		}
		io.Copy(io.Discard, pr)
		res <- result{n: n, sum: sum.Sum(nil), err: err}
	}()
	err := p.CopyOut(ctx, id, "/data/big.bin", pw)
	pw.CloseWithError(err)
	if err != nil {
		t.Fatalf("CopyOut: %v", err)
	}
	r := <-res
	out, grewOut := time.Since(start), w.growth()
	if r.err != nil || r.n != size || !bytes.Equal(r.sum, wantSum) {
		t.Fatalf("CopyOut content: %d bytes, err %v, checksum match %v", r.n, r.err, bytes.Equal(r.sum, wantSum))
	}
	t.Logf("100 MiB CopyIn %v (%.0f MB/s), heap growth %.1f MiB; CopyOut %v (%.0f MB/s), heap growth %.1f MiB",
		in.Round(time.Millisecond), size/in.Seconds()/1e6, float64(grewIn)/(1<<20),
		out.Round(time.Millisecond), size/out.Seconds()/1e6, float64(grewOut)/(1<<20))
	if grewIn > limit || grewOut > limit {
		t.Fatalf("host heap grew by %d / %d bytes for a %d-byte payload: not streaming", grewIn, grewOut, size)
	}
}

// patternReader yields the test plugin's byte pattern: byte i is i mod 251
// (as sdk/internal/fakebackend.PatternReader, which is internal to sdk).
type patternReader struct{ off int64 }

func (r *patternReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte((r.off + int64(i)) % 251)
	}
	r.off += int64(len(p))
	return len(p), nil
}
