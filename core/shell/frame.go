package shell

import (
	"bytes"
	"sync"
	"sync/atomic"
)

// pending is one framed unit of the shell's output: a command (or the
// startup) whose output ends at its marker.
type pending struct {
	marker []byte
	out    *capBuffer
	done   chan struct{} // closed when the marker's line is complete or the stream ended

	// Set before done is closed.
	trailer string // the marker line after the marker, e.g. " 0"
	ended   bool   // the stream ended before the marker

	interrupted atomic.Bool // Interrupt was called for it
}

// framer is the exec stream's stdout. It feeds bytes to the pending unit until
// its marker, then reads the marker's line; bytes outside any unit (output of
// background jobs between commands) are dropped. Write never fails, so the
// backend keeps draining the stream.
type framer struct {
	mu      sync.Mutex
	cur     *pending
	inLine  bool   // the marker was seen; reading its line
	line    []byte // the marker line so far
	carry   []byte // tail of the stream that may start a marker
	scratch []byte
	closed  bool
	dropped int64 // bytes seen outside any unit
}

// expect makes p the pending unit. Bytes written before it are not its.
func (f *framer) expect(p *pending) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		p.ended = true
		close(p.done)
		return
	}
	f.cur, f.inLine, f.line, f.carry = p, false, f.line[:0], f.carry[:0]
}

func (f *framer) Write(b []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.feed(b)
	return len(b), nil
}

func (f *framer) feed(b []byte) {
	for len(b) > 0 {
		p := f.cur
		switch {
		case p == nil:
			f.dropped += int64(len(b))
			return
		case f.inLine:
			i := bytes.IndexByte(b, '\n')
			if i < 0 {
				f.line = append(f.line, b...)
				return
			}
			f.line = append(f.line, b[:i]...)
			b = b[i+1:]
			p.trailer = string(f.line)
			f.cur, f.inLine = nil, false
			close(p.done)
		default:
			data := append(append(f.scratch[:0], f.carry...), b...)
			f.scratch = data
			i := bytes.Index(data, p.marker)
			if i < 0 {
				keep := min(len(data), len(p.marker)-1)
				p.out.Write(data[:len(data)-keep])
				f.carry = append(f.carry[:0], data[len(data)-keep:]...)
				return
			}
			p.out.Write(data[:i])
			f.carry = f.carry[:0]
			f.inLine = true
			rest := data[i+len(p.marker):]
			// rest aliases scratch; copy it before the next round reuses scratch.
			b = append([]byte(nil), rest...)
		}
	}
}

// end marks the stream ended: the pending unit, if any, completes as ended.
func (f *framer) end() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	if p := f.cur; p != nil {
		if !f.inLine {
			p.out.Write(f.carry)
		}
		p.ended = true
		f.cur = nil
		close(p.done)
	}
}
