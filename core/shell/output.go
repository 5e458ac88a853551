package shell

import "fmt"

// capBuffer keeps the head and the tail of a command's output within a byte
// limit, counting what it drops from the middle.
type capBuffer struct {
	headMax, tailMax int
	head, tail       []byte
	total            int64
}

func newCapBuffer(limit int) *capBuffer {
	h := limit / 2
	return &capBuffer{headMax: h, tailMax: limit - h}
}

func (c *capBuffer) Write(p []byte) {
	c.total += int64(len(p))
	if n := min(c.headMax-len(c.head), len(p)); n > 0 {
		c.head = append(c.head, p[:n]...)
		p = p[n:]
	}
	if len(p) == 0 {
		return
	}
	if len(p) >= c.tailMax {
		c.tail = append(c.tail[:0], p[len(p)-c.tailMax:]...)
		return
	}
	c.tail = append(c.tail, p...)
	if len(c.tail) > 2*c.tailMax {
		n := copy(c.tail, c.tail[len(c.tail)-c.tailMax:])
		c.tail = c.tail[:n]
	}
}

// omitted is how many bytes were dropped.
func (c *capBuffer) omitted() int64 {
	return max(0, c.total-int64(c.headMax)-int64(c.tailMax))
}

// String returns the kept output, with a marker line where bytes were dropped.
func (c *capBuffer) String() (string, bool) {
	n := c.omitted()
	if n == 0 {
		return string(c.head) + string(c.tail), false
	}
	tail := c.tail[len(c.tail)-c.tailMax:]
	return string(c.head) + fmt.Sprintf("\n[envhost: output truncated: %d bytes omitted]\n", n) + string(tail), true
}
