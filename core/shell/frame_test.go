package shell

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

func newTestPending(marker string, limit int) *pending {
	return &pending{marker: []byte(marker), out: newCapBuffer(limit), done: make(chan struct{})}
}

// TestFramerSplits feeds the same stream in chunks of every size up to the
// marker's length and beyond, so the marker and its line are cut everywhere.
func TestFramerSplits(t *testing.T) {
	const marker = "0123456789abcdef0123456789abcdef"
	output := "out\x00put\xff with " + marker[:31] + " and 0123456789abcdef near-misses\n"
	stream := output + marker + " 42\ntrailing idle"
	for step := 1; step <= len(stream); step++ {
		f := &framer{}
		f.Write([]byte("idle noise before the command")) // not the command's
		p := newTestPending(marker, 1<<20)
		f.expect(p)
		for i := 0; i < len(stream); i += step {
			f.Write([]byte(stream[i:min(len(stream), i+step)]))
		}
		if !isDone(p) {
			t.Fatalf("step %d: not done", step)
		}
		got, _ := p.out.String()
		if got != output || strings.TrimSpace(p.trailer) != "42" || p.ended {
			t.Fatalf("step %d: output %q trailer %q ended %v", step, got, p.trailer, p.ended)
		}
	}
}

func TestFramerEnd(t *testing.T) {
	f := &framer{}
	p := newTestPending("MARKERMARKER", 100)
	f.expect(p)
	f.Write([]byte("partial output MARKER"))
	f.end()
	if !isDone(p) || !p.ended {
		t.Fatal("end did not finish the pending command")
	}
	if got, _ := p.out.String(); got != "partial output MARKER" {
		t.Errorf("output at end: %q", got)
	}
	// After the end, new commands finish at once.
	q := newTestPending("X", 100)
	f.expect(q)
	if !isDone(q) || !q.ended {
		t.Error("expect after end: not ended")
	}
}

func TestFramerEndInTrailer(t *testing.T) {
	f := &framer{}
	p := newTestPending("MARK", 100)
	f.expect(p)
	f.Write([]byte("outMARK 1"))
	if isDone(p) {
		t.Fatal("done before the marker line ended")
	}
	f.end()
	if !p.ended {
		t.Error("stream end inside the marker line: not ended")
	}
}

func TestCapBuffer(t *testing.T) {
	for _, limit := range []int{1, 10, 101, 4096} {
		for _, size := range []int{0, 1, limit - 1, limit, limit + 1, 3 * limit, 10*limit + 7} {
			if size < 0 {
				continue
			}
			var src bytes.Buffer
			for i := 0; src.Len() < size; i++ {
				fmt.Fprintf(&src, "%d,", i)
			}
			data := src.Bytes()[:size]
			for _, chunk := range []int{1, 7, 1 << 20} {
				c := newCapBuffer(limit)
				for i := 0; i < len(data); i += chunk {
					c.Write(data[i:min(len(data), i+chunk)])
				}
				got, trunc := c.String()
				if size <= limit {
					if trunc || got != string(data) {
						t.Fatalf("limit %d size %d chunk %d: got %q trunc %v", limit, size, chunk, got, trunc)
					}
					continue
				}
				head, tail := limit/2, limit-limit/2
				want := string(data[:head]) + fmt.Sprintf("\n[envhost: output truncated: %d bytes omitted]\n", size-limit) + string(data[size-tail:])
				if !trunc || got != want {
					t.Fatalf("limit %d size %d chunk %d:\n got %q\nwant %q", limit, size, chunk, got, want)
				}
			}
		}
	}
}

func TestCommandScriptHeader(t *testing.T) {
	got := commandScript("echo hé", "aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbb")
	want := "__eh_E\n0000000000000008aaaaaaaaaaaaaaaabbbbbbbbbbbbbbbbecho hé"
	if got != want {
		t.Errorf("commandScript = %q, want %q", got, want)
	}
	a, b := nonce()
	if len(a) != 16 || len(b) != 16 || strings.Trim(a+b, "0123456789abcdef") != "" {
		t.Errorf("nonce halves %q %q: want 16 hex digits each", a, b)
	}
}
