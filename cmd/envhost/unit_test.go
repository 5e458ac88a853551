package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/envhost/envhost/core"
	"github.com/envhost/envhost/sdk"
)

func TestOwnerGone(t *testing.T) {
	host, _ := os.Hostname()
	// A process that has exited and been reaped.
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	deadPID := cmd.Process.Pid
	cases := []struct {
		owner string
		gone  bool
		why   string
	}{
		{"", false, "no owner label"},
		{"nocolon", false, "no owner label"},
		{"other-host:1", false, "another host"},
		{fmt.Sprintf("%s:%d", host, os.Getpid()), false, "still runs"},
		{fmt.Sprintf("%s:%d", host, deadPID), true, "is gone"},
		{host + ":abc", false, "no valid pid"},
		{host + ":0", false, "no valid pid"},
	}
	for _, tc := range cases {
		gone, why := ownerGone(tc.owner, host)
		if gone != tc.gone || !strings.Contains(why, tc.why) {
			t.Errorf("ownerGone(%q) = %v, %q; want %v, ...%q...", tc.owner, gone, why, tc.gone, tc.why)
		}
	}
}

func TestProcessAliveZombie(t *testing.T) {
	cmd := exec.Command("sh", "-c", "exit 0")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	// Until Wait reaps it, the exited child is a zombie: dead for gc.
	deadline := time.Now().Add(5 * time.Second)
	for processAlive(pid) {
		if time.Now().After(deadline) {
			t.Fatal("exited child still reported alive")
		}
		time.Sleep(10 * time.Millisecond)
	}
	_ = cmd.Wait()
	if !processAlive(os.Getpid()) {
		t.Fatal("this process reported dead")
	}
}

func TestConfUlimits(t *testing.T) {
	conf := []byte(`# comment
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=1024:32768"]
[engine]
runtime = "runc"
`)
	got := confUlimits(conf)
	if got["nofile"] != 20000 || got["nproc"] != 32768 {
		t.Fatalf("confUlimits = %v", got)
	}
	if got := confUlimits([]byte("[engine]\nruntime = \"runc\"\n")); len(got) != 0 {
		t.Fatalf("no default_ulimits: %v", got)
	}
}

func TestCommandLine(t *testing.T) {
	out, err := exec.Command("bash", "-c", commandLine([]string{"echo a && echo b; exit 3"})+"; echo status=$?").Output()
	if string(out) != "a\nb\nstatus=3\n" {
		t.Errorf("one arg: bash printed %q (%v)", out, err)
	}
	out, err = exec.Command("bash", "-c", commandLine([]string{"printf", "%s|", "a b", "it's", "$HOME", ""})).Output()
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != "a b|it's|$HOME||" {
		t.Errorf("bash saw %q", out)
	}
}

func TestEngineDownAdvice(t *testing.T) {
	e := &engine{backend: "docker", envVar: "DOCKER_HOST", addr: "unix:///nope.sock", fromEnv: true}
	err := e.ping(context.Background())
	if err == nil {
		t.Fatal("ping of a missing socket succeeded")
	}
	f := engineDown(e, err)
	if f.ok || !strings.Contains(f.msg, "(DOCKER_HOST)") || !strings.Contains(f.fix, "make engines") ||
		!strings.Contains(f.fix, "scripts/engines.sh up") || !strings.Contains(f.fix, "DOCKER_HOST") {
		t.Errorf("down: %+v", f)
	}
	perm := engineDown(e, fmt.Errorf("dial unix /x: %w", syscall.EACCES))
	if perm.ok || !strings.Contains(perm.msg, "permission denied") || !strings.Contains(perm.fix, "docker group") {
		t.Errorf("permission: %+v", perm)
	}
	p := &engine{backend: "podman", envVar: "CONTAINER_HOST", addr: "unix:///nope.sock"}
	if f := engineDown(p, err); !strings.Contains(f.fix, "CONTAINER_HOST") {
		t.Errorf("podman: %+v", f)
	}
	ssh := &engine{backend: "podman", envVar: "CONTAINER_HOST", addr: "ssh://u@h/run/podman.sock"}
	if f := engineDown(ssh, ssh.connect()); !f.ok {
		t.Errorf("ssh address reported as a problem: %+v", f)
	}
}

func TestFindPluginsOrderAndShadowing(t *testing.T) {
	first, second := t.TempDir(), t.TempDir()
	mk := func(dir, name string, mode os.FileMode) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"), mode); err != nil {
			t.Fatal(err)
		}
	}
	mk(first, "envhost-plugin-docker", 0o755)
	mk(second, "envhost-plugin-docker", 0o755)
	mk(second, "envhost-plugin-extra", 0o755)
	mk(second, "envhost-plugin-notexec", 0o644)
	mk(second, "envhost-plugin-", 0o755)
	t.Setenv("PATH", second)
	got := map[string][]foundPlugin{}
	for _, p := range findPlugins([]string{first}) {
		got[p.name] = append(got[p.name], p)
	}
	if d := got["docker"]; len(d) != 2 || d[0].path != filepath.Join(first, "envhost-plugin-docker") || d[0].shadowed || !d[1].shadowed {
		t.Errorf("docker: %+v", d)
	}
	if ne := got["notexec"]; len(ne) != 1 || !strings.Contains(ne[0].problem, "not executable") {
		t.Errorf("notexec: %+v", ne)
	}
	if len(got["extra"]) != 1 || got["extra"][0].problem != "" || got[""] != nil {
		t.Errorf("found %+v", got)
	}
}

func TestProgressTerminal(t *testing.T) {
	var buf bytes.Buffer
	p := newProgress(&buf, true, hclog.NewNullLogger())
	p.handle(core.Event{Step: core.StepEnsureImage, Phase: core.PhaseBegin, Detail: "img:1"})
	p.handle(core.Event{Step: core.StepEnsureImage, Phase: core.PhaseProgress,
		Progress: &sdk.ImageProgress{Status: "Downloading", Layer: "l1", Current: 50 << 20, Total: 100 << 20}})
	p.handle(core.Event{Step: core.StepEnsureImage, Phase: core.PhaseEnd, Duration: 1500 * time.Millisecond})
	p.handle(core.Event{Step: core.StepCommand, Phase: core.PhaseEnd}) // not a long step
	p.done()
	out := buf.String()
	for _, want := range []string{"image img:1 ...", "[============>           ]  50%", "50.0MiB/100.0MiB", "image (1.5s) done\n", "\r"} {
		if !strings.Contains(out, want) {
			t.Errorf("terminal output lacks %q:\n%q", want, out)
		}
	}
}

func TestProgressPlain(t *testing.T) {
	var buf, logBuf bytes.Buffer
	log := hclog.New(&hclog.LoggerOptions{Output: &logBuf, Level: hclog.Info})
	p := newProgress(&buf, false, log)
	p.handle(core.Event{Step: core.StepEnsureImage, Phase: core.PhaseBegin})
	p.handle(core.Event{Step: core.StepEnsureImage, Phase: core.PhaseProgress,
		Progress: &sdk.ImageProgress{Status: "Downloading", Layer: "l1", Current: 1, Total: 4}})
	p.handle(core.Event{Step: core.StepEnsureImage, Phase: core.PhaseProgress,
		Progress: &sdk.ImageProgress{Status: "Downloading", Layer: "l1", Current: 2, Total: 4}})
	p.handle(core.Event{Step: core.StepEnsureImage, Phase: core.PhaseEnd})
	if buf.Len() != 0 {
		t.Errorf("plain mode drew on the terminal stream: %q", buf.String())
	}
	if n := strings.Count(logBuf.String(), "pulling image"); n != 1 {
		t.Errorf("want 1 rate-limited pull log line, got %d:\n%s", n, logBuf.String())
	}
	if !strings.Contains(logBuf.String(), "percent=25") {
		t.Errorf("pull log lacks the percentage:\n%s", logBuf.String())
	}
}

func TestMainUsageExitCodes(t *testing.T) {
	cases := []struct {
		args []string
		code int
		out  string
	}{
		{nil, exitUsage, "Commands:"},
		{[]string{"nope"}, exitUsage, "unknown command"},
		{[]string{"--help"}, exitOK, "Commands:"},
		{[]string{"gc", "--help"}, exitOK, "Usage: envhost gc"},
		{[]string{"gc", "extra"}, exitUsage, "gc takes no arguments"},
		{[]string{"run"}, exitUsage, "-f env.yaml is required"},
		{[]string{"run", "-f", "x.yaml"}, exitUsage, "no command given"},
		{[]string{"run", "-f", "/nonexistent.yaml", "--", "true"}, exitFailure, "read config"},
		{[]string{"--log-format", "xml", "gc"}, exitUsage, "want text or json"},
		{[]string{"serve", "--addr", "0.0.0.0:0"}, exitUsage, "ENVHOST_TOKEN"},
		{[]string{"doctor", "--backend", "lxc"}, exitUsage, "want docker or podman"},
	}
	t.Setenv("ENVHOST_TOKEN", "")
	for _, tc := range cases {
		var stdout, stderr bytes.Buffer
		code := Main(context.Background(), tc.args, strings.NewReader(""), &stdout, &stderr)
		if code != tc.code || !strings.Contains(stdout.String()+stderr.String(), tc.out) {
			t.Errorf("envhost %q: exit %d, want %d; output lacks %q:\nstdout: %s\nstderr: %s",
				tc.args, code, tc.code, tc.out, stdout.String(), stderr.String())
		}
	}
}
