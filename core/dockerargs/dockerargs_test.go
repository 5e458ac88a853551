package dockerargs

import (
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/envhost/envhost/sdk"
)

func TestParse(t *testing.T) {
	t.Setenv("ENVHOST_DA_HOSTVAR", "from-host")
	wd, _ := filepath.Abs(".")
	tests := []struct {
		name string
		args []string
		want Spec
	}{
		{"empty", nil, Spec{}},
		{"memory equals", []string{"--memory=2g"}, Spec{MemoryBytes: 2 << 30}},
		{"memory separate", []string{"--memory", "512m"}, Spec{MemoryBytes: 512 << 20}},
		{"memory short", []string{"-m", "1.5g"}, Spec{MemoryBytes: 3 << 29}},
		{"memory short attached", []string{"-m2G"}, Spec{MemoryBytes: 2 << 30}},
		{"memory short equals", []string{"-m=1024"}, Spec{MemoryBytes: 1024}},
		{"memory bytes unit", []string{"--memory=100b"}, Spec{MemoryBytes: 100}},
		{"memory kb", []string{"--memory=4kb"}, Spec{MemoryBytes: 4096}},
		{"memory last wins", []string{"--memory=1g", "--memory=2g"}, Spec{MemoryBytes: 2 << 30}},
		{"cpus", []string{"--cpus=2"}, Spec{NanoCPUs: 2e9}},
		{"cpus fraction", []string{"--cpus", "0.5"}, Spec{NanoCPUs: 5e8}},
		{"shm", []string{"--shm-size", "256M"}, Spec{ShmSizeBytes: 256 << 20}},
		{"env", []string{"-e", "A=b", "--env=C=d=e", "--env", "EMPTY="},
			Spec{Env: map[string]string{"A": "b", "C": "d=e", "EMPTY": ""}}},
		{"env from host", []string{"-e", "ENVHOST_DA_HOSTVAR", "-e", "ENVHOST_DA_UNSET_VAR"},
			Spec{Env: map[string]string{"ENVHOST_DA_HOSTVAR": "from-host"}}},
		{"bind", []string{"-v", "/host/data:/data"},
			Spec{Mounts: []sdk.Mount{{Type: "bind", Source: "/host/data", Target: "/data"}}}},
		{"bind ro", []string{"--volume=/host:/mnt:ro"},
			Spec{Mounts: []sdk.Mount{{Type: "bind", Source: "/host", Target: "/mnt", ReadOnly: true}}}},
		{"bind rw", []string{"--volume", "/host:/mnt:rw"},
			Spec{Mounts: []sdk.Mount{{Type: "bind", Source: "/host", Target: "/mnt"}}}},
		{"bind relative", []string{"-v", "./x:/x"},
			Spec{Mounts: []sdk.Mount{{Type: "bind", Source: filepath.Join(wd, "x"), Target: "/x"}}}},
		{"named volume", []string{"-v", "cache_1:/root/.cache"},
			Spec{Mounts: []sdk.Mount{{Type: "volume", Source: "cache_1", Target: "/root/.cache"}}}},
		{"anonymous volume", []string{"-v", "/scratch"},
			Spec{Mounts: []sdk.Mount{{Type: "volume", Target: "/scratch"}}}},
		{"network", []string{"--network", "none"}, Spec{Network: "none"}},
		{"net alias", []string{"--net=host"}, Spec{Network: "host"}},
		{"user", []string{"-u", "1000:1000"}, Spec{User: "1000:1000"}},
		{"user long", []string{"--user=root"}, Spec{User: "root"}},
		{"workdir", []string{"-w", "/repo"}, Spec{WorkDir: "/repo"}},
		{"workdir long", []string{"--workdir=/src"}, Spec{WorkDir: "/src"}},
		{"platform", []string{"--platform", "linux/amd64"}, Spec{Platform: "linux/amd64"}},
		{"platform variant", []string{"--platform=linux/arm64/v8"}, Spec{Platform: "linux/arm64/v8"}},
		{"labels", []string{"-l", "a=b", "--label=c", "--label", "d=e=f"},
			Spec{Labels: map[string]string{"a": "b", "c": "", "d": "e=f"}}},
		{"cap-add", []string{"--cap-add", "net_admin", "--cap-add=SYS_PTRACE,CHOWN"},
			Spec{CapAdd: []string{"NET_ADMIN", "SYS_PTRACE", "CHOWN"}}},
		{"ulimit", []string{"--ulimit", "nofile=1024:2048", "--ulimit=nproc=512"},
			Spec{Ulimits: []sdk.Ulimit{{Name: "nofile", Soft: 1024, Hard: 2048}, {Name: "nproc", Soft: 512, Hard: 512}}}},
		{"ulimit unlimited", []string{"--ulimit", "core=-1"},
			Spec{Ulimits: []sdk.Ulimit{{Name: "core", Soft: -1, Hard: -1}}}},
		{"seed example", []string{"--memory=2g", "--cpus=2"}, Spec{MemoryBytes: 2 << 30, NanoCPUs: 2e9}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.args)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.args, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse(%q)\n got %+v\nwant %+v", tt.args, got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want []string // substrings of the error
	}{
		{"unsupported", []string{"--privileged"}, []string{`unsupported docker_args flag "--privileged"`, "supported: --cap-add, --cpus", "--memory/-m"}},
		{"unsupported with value", []string{"--gpus=all"}, []string{`"--gpus"`}},
		{"unsupported short", []string{"-it"}, []string{`"-it"`}},
		{"positional", []string{"ubuntu"}, []string{`unexpected argument "ubuntu"`}},
		{"missing value", []string{"--memory"}, []string{`"--memory" needs a value`}},
		{"missing value short", []string{"--cpus", "1", "-e"}, []string{`"-e" needs a value`}},
		{"bad cpus", []string{"--cpus", "abc"}, []string{"--cpus", `"abc"`}},
		{"negative cpus", []string{"--cpus=-1"}, []string{"--cpus", `"-1"`}},
		{"bad memory", []string{"--memory", "2x"}, []string{"--memory", `"2x"`, "not a size"}},
		{"bad memory short", []string{"-m", "lots"}, []string{"-m", `"lots"`}},
		{"bad shm", []string{"--shm-size=1ib"}, []string{"--shm-size"}},
		{"bad env", []string{"-e", "=x"}, []string{"-e", `"=x"`}},
		{"bad volume target", []string{"-v", "/a:rel"}, []string{"-v", "absolute"}},
		{"bad volume option", []string{"-v", "/a:/b:z"}, []string{`unsupported volume option "z"`}},
		{"bad volume source", []string{"-v", "a b:/b"}, []string{"neither an absolute path nor a volume name"}},
		{"bad workdir", []string{"-w", "repo"}, []string{"-w", "absolute"}},
		{"bad platform", []string{"--platform", "amd64"}, []string{"--platform", "os/arch"}},
		{"bad ulimit name", []string{"--ulimit", "files=1"}, []string{`unknown ulimit "files"`}},
		{"bad ulimit value", []string{"--ulimit", "nofile=x"}, []string{"bad soft limit"}},
		{"ulimit soft above hard", []string{"--ulimit", "nofile=10:5"}, []string{"above hard"}},
		{"empty network", []string{"--network="}, []string{"--network", "empty value"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.args)
			if err == nil {
				t.Fatalf("Parse(%q) succeeded, want error", tt.args)
			}
			if !errors.Is(err, sdk.ErrInvalidArgument) {
				t.Errorf("error %v does not match sdk.ErrInvalidArgument", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestApply(t *testing.T) {
	s, err := Parse([]string{"--memory=1g", "--cpus=1.5", "--shm-size=64m", "-e", "A=new", "-l", "x=y",
		"-v", "/h:/c:ro", "--network=none", "-u", "app", "-w", "/w", "--platform=linux/amd64",
		"--cap-add=NET_ADMIN", "--ulimit=nofile=10:20"})
	if err != nil {
		t.Fatal(err)
	}
	dst := sdk.Spec{
		Image:   "img",
		Env:     map[string]string{"A": "old", "B": "kept"},
		User:    "root",
		Mounts:  []sdk.Mount{{Type: "tmpfs", Target: "/tmp"}},
		CapAdd:  []string{"CHOWN"},
		Network: "bridge",
	}
	s.Apply(&dst)
	want := sdk.Spec{
		Image:      "img",
		Env:        map[string]string{"A": "new", "B": "kept"},
		WorkingDir: "/w",
		User:       "app",
		Labels:     map[string]string{"x": "y"},
		Resources:  sdk.Resources{MemoryBytes: 1 << 30, NanoCPUs: 15e8, ShmSizeBytes: 64 << 20},
		Platform:   "linux/amd64",
		Mounts:     []sdk.Mount{{Type: "tmpfs", Target: "/tmp"}, {Type: "bind", Source: "/h", Target: "/c", ReadOnly: true}},
		Network:    "none",
		CapAdd:     []string{"CHOWN", "NET_ADMIN"},
		Ulimits:    []sdk.Ulimit{{Name: "nofile", Soft: 10, Hard: 20}},
	}
	if !reflect.DeepEqual(dst, want) {
		t.Errorf("Apply:\n got %+v\nwant %+v", dst, want)
	}

	// An empty Spec changes nothing.
	before := want
	Spec{}.Apply(&want)
	if !reflect.DeepEqual(before, want) {
		t.Errorf("empty Apply changed the spec: %+v", want)
	}
}

func TestParseSize(t *testing.T) {
	tests := map[string]int64{
		"0": 0, "1024": 1024, "1k": 1024, "1K": 1024, "512m": 512 << 20, "2g": 2 << 30,
		"2GB": 2 << 30, "2GiB": 2 << 30, "1.5g": 3 << 29, "1t": 1 << 40, "10b": 10, "3 m": 3 << 20,
	}
	for in, want := range tests {
		got, err := ParseSize(in)
		if err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "x", "2x", "-1g", "1.g", "g", "1ib", "1.5.5g"} {
		if _, err := ParseSize(bad); err == nil {
			t.Errorf("ParseSize(%q) succeeded, want error", bad)
		}
	}
}
