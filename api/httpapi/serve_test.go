package httpapi

import (
	"context"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestServeShutsDownGracefully: cancelling Serve's context ends the event
// streams, stops the listener and closes every environment.
func TestServeShutsDownGracefully(t *testing.T) {
	host := newFakeHost()
	s, err := New(Options{Host: host, Token: testToken})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()

	c := &apiClient{t: t, base: "http://" + ln.Addr().String(), token: testToken, http: http.DefaultClient}
	c.must(201, "POST", "/v1/environments?name=a", fakeConfig, nil)
	c.must(201, "POST", "/v1/environments?name=b", fakeConfig, nil)

	req, _ := http.NewRequest("GET", c.base+"/v1/environments/a/events", nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()

	start := time.Now()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
	case <-time.After(DrainTimeout + 5*time.Second):
		t.Fatal("Serve did not return after its context was cancelled")
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("shutdown took %s with only an idle event stream open", d)
	}
	rest, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(rest), "event: end") {
		t.Errorf("event stream ended without an end event: %q", rest)
	}
	calls := host.Calls()
	if !slices.Contains(calls, "close a") || !slices.Contains(calls, "close b") {
		t.Fatalf("calls %v: want both environments closed", calls)
	}
	if _, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
		t.Error("listener still accepts connections after shutdown")
	}
}
