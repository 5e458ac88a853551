package pluginhost

import (
	"encoding/json"
	"strings"
	"sync"
)

// tailBuffer keeps the last bytes written to it: the end of a plugin's
// stderr, quoted when the plugin fails to start or dies.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
	max int
}

func newTailBuffer(max int) *tailBuffer { return &tailBuffer{max: max} }

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

// lastLines returns up to n last telling lines, joined by "; ": plain
// text (a panic, a stray print) and the messages of JSON log lines at
// level warn or error. Routine JSON log lines are left out (they are in
// the host log already).
func (t *tailBuffer) lastLines(n int) string {
	t.mu.Lock()
	s := string(t.buf)
	t.mu.Unlock()
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		if strings.HasPrefix(l, "{") {
			var e struct {
				Level   string `json:"@level"`
				Message string `json:"@message"`
				Error   string `json:"error"`
			}
			if json.Unmarshal([]byte(l), &e) == nil {
				if e.Level != "error" && e.Level != "warn" {
					continue
				}
				l = e.Level + ": " + e.Message
				if e.Error != "" {
					l += ": " + e.Error
				}
			}
		}
		lines = append(lines, l)
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "; ")
}
