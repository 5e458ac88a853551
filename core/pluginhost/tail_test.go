package pluginhost

import "testing"

func TestTailBuffer(t *testing.T) {
	tb := newTailBuffer(64)
	tb.Write([]byte(`{"@level":"info","@message":"starting"}` + "\n"))
	tb.Write([]byte("panic: boom\n\ngoroutine 1 [running]:\n"))
	if got, want := tb.lastLines(2), "panic: boom; goroutine 1 [running]:"; got != want {
		t.Errorf("lastLines = %q, want %q", got, want)
	}
	tb = newTailBuffer(1 << 10)
	tb.Write([]byte(`{"@level":"error","@message":"engine down","error":"dial unix: refused"}` + "\n"))
	if got, want := tb.lastLines(2), "error: engine down: dial unix: refused"; got != want {
		t.Errorf("lastLines = %q, want %q", got, want)
	}
	tb = newTailBuffer(8)
	tb.Write([]byte("0123456789abcdef"))
	if got := tb.lastLines(1); got != "89abcdef" {
		t.Errorf("kept %q, want the last 8 bytes", got)
	}
}

func TestFirstLines(t *testing.T) {
	in := "Unrecognized remote plugin message: \nFailed to read any lines from plugin's stdout\nThis usually means\n  the plugin was not..."
	if got, want := firstLines(in), "Unrecognized remote plugin message:; Failed to read any lines from plugin's stdout"; got != want {
		t.Errorf("firstLines = %q, want %q", got, want)
	}
}
