package core

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/envhost/envhost/sdk"
)

func TestParseConfigSWEAgentKeys(t *testing.T) {
	cfg, err := ParseConfig([]byte(`
name: agent-1
deployment:
  type: podman
  image: python:3.11
  pull: never
  startup_timeout: 45
  memory: 2g
  cpus: 1.5
  platform: linux/amd64
  docker_args: ["--memory=1g"]
  remove_container: false
  remove_images: true
repo:
  path: ./myrepo
  base_commit: abc123
post_startup_commands:
  - echo hi
post_startup_command_timeout: 2m
env:
  FOO: bar
plugin_dirs: [/opt/envhost/plugins]
`))
	if err != nil {
		t.Fatal(err)
	}
	d := cfg.Deployment
	if d.Backend != "podman" || d.Image != "python:3.11" || d.Pull != sdk.PullNever {
		t.Errorf("deployment = %+v", d)
	}
	if d.StartupTimeout.D() != 45*time.Second || cfg.PostStartupTimeout.D() != 2*time.Minute {
		t.Errorf("timeouts: startup %s post %s", d.StartupTimeout, cfg.PostStartupTimeout)
	}
	if d.ShouldRemoveContainer() || !d.RemoveImage || d.CPUs != 1.5 || d.Memory != "2g" {
		t.Errorf("deployment = %+v", d)
	}
	if cfg.Repo.Kind() != RepoLocal || cfg.Repo.RepoName() != "myrepo" || cfg.Repo.Base() != "abc123" {
		t.Errorf("repo = %+v", cfg.Repo)
	}
	if cfg.Name != "agent-1" || cfg.Env["FOO"] != "bar" || len(cfg.PostStartupCommands) != 1 || cfg.PluginDirs[0] != "/opt/envhost/plugins" {
		t.Errorf("cfg = %+v", cfg)
	}
}

func TestParseConfigDefaults(t *testing.T) {
	cfg, err := ParseConfig([]byte("deployment:\n  image: x\n"))
	if err != nil {
		t.Fatal(err)
	}
	c := cfg.WithDefaults()
	d := c.Deployment
	if c.Name != "main" || d.Backend != "docker" || d.Pull != sdk.PullMissing || !d.ShouldRemoveContainer() ||
		d.StartupTimeout.D() != DefaultStartupTimeout || c.PostStartupTimeout.D() != DefaultPostStartupTimeout {
		t.Errorf("defaults: %+v", c)
	}
}

func TestParseConfigUnknownKey(t *testing.T) {
	_, err := ParseConfig([]byte("deployment:\n  image: x\n  imagee: y\n"))
	if err == nil {
		t.Fatal("unknown key accepted")
	}
	for _, want := range []string{`unknown key "imagee"`, "line 3", "deployment", "image"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	_, err = ParseConfig([]byte("deployment:\n  image: x\nrepos:\n  path: .\n"))
	if err == nil || !strings.Contains(err.Error(), `unknown key "repos"`) || !strings.Contains(err.Error(), "line 3") {
		t.Errorf("top-level unknown key: %v", err)
	}
}

func TestParseConfigRepoKinds(t *testing.T) {
	for _, tc := range []struct {
		yaml string
		kind RepoKind
		name string
	}{
		{"path: /src/proj/", RepoLocal, "proj"},
		{"github_url: https://github.com/org/widget.git", RepoGit, "widget"},
		{"git_url: git@github.com:org/widget.git", RepoGit, "widget"},
		{"repo_name: testbed\n  reset: true", RepoPreexisting, "testbed"},
		{"type: preexisting\n  repo_name: testbed", RepoPreexisting, "testbed"},
	} {
		cfg, err := ParseConfig([]byte("deployment:\n  image: x\nrepo:\n  " + tc.yaml + "\n"))
		if err != nil {
			t.Errorf("%s: %v", tc.yaml, err)
			continue
		}
		if cfg.Repo.Kind() != tc.kind || cfg.Repo.RepoName() != tc.name || cfg.Repo.Dir() != "/"+tc.name {
			t.Errorf("%s: kind %s name %s", tc.yaml, cfg.Repo.Kind(), cfg.Repo.RepoName())
		}
	}
}

func TestValidateErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		yaml string
		want []string
	}{
		{"no image", "deployment:\n  pull: missing\n", []string{"deployment.image", "required"}},
		{"bad pull", "deployment:\n  image: x\n  pull: sometimes\n", []string{"deployment.pull", "sometimes"}},
		{"bad docker_args", "deployment:\n  image: x\n  docker_args: [\"--privileged-mode\"]\n", []string{"docker_args", "--privileged-mode"}},
		{"two repo kinds", "deployment:\n  image: x\nrepo:\n  path: /a\n  github_url: https://h/b\n", []string{"path and github_url"}},
		{"no repo kind", "deployment:\n  image: x\nrepo:\n  base_commit: x\n", []string{"repo: set one of"}},
		{"repo type mismatch", "deployment:\n  image: x\nrepo:\n  type: local\n  repo_name: t\n", []string{"repo.type"}},
		{"bad duration", "deployment:\n  image: x\n  startup_timeout: soon\n", []string{"line 3", "soon"}},
		{"bad memory", "deployment:\n  image: x\n  memory: lots\n", []string{"deployment.memory"}},
		{"type vs backend", "deployment:\n  image: x\n  type: docker\n  backend: podman\n", []string{"disagree"}},
		{"empty", "", []string{"empty"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(tc.yaml))
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestLoadConfigNamesFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "env.yaml")
	if err := os.WriteFile(p, []byte("deployment:\n  image: x\n  nope: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := LoadConfig(p)
	if err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("LoadConfig: %v", err)
	}
}

func TestDurationForms(t *testing.T) {
	for in, want := range map[string]time.Duration{"30s": 30 * time.Second, "30": 30 * time.Second, "0.5": 500 * time.Millisecond, "2m": 2 * time.Minute} {
		d, err := ParseDuration(in)
		if err != nil || d.D() != want {
			t.Errorf("ParseDuration(%q) = %s, %v", in, d, err)
		}
	}
	var d Duration
	if err := d.UnmarshalJSON([]byte(`12`)); err != nil || d.D() != 12*time.Second {
		t.Errorf("json number: %s %v", d, err)
	}
	if err := d.UnmarshalJSON([]byte(`"1m"`)); err != nil || d.D() != time.Minute {
		t.Errorf("json string: %s %v", d, err)
	}
}

func TestContainerSpec(t *testing.T) {
	rm := false
	d := DeploymentConfig{Image: "img", Memory: "512m", CPUs: 2, Platform: "linux/amd64", RemoveContainer: &rm, Options: map[string]string{"k": "v"}}
	spec, err := d.WithDefaults().containerSpec("e1", "envhost-e1-x", map[string]string{"A": "1"})
	if err != nil {
		t.Fatal(err)
	}
	if spec.Resources.MemoryBytes != 512<<20 || spec.Resources.NanoCPUs != 2e9 || spec.Platform != "linux/amd64" || spec.Options["k"] != "v" {
		t.Errorf("spec = %+v", spec)
	}
	if spec.Labels[sdk.LabelManaged] != "true" || spec.Labels[sdk.LabelEnv] != "e1" || !strings.Contains(spec.Labels[sdk.LabelOwner], ":") {
		t.Errorf("labels = %v", spec.Labels)
	}
	if spec.Env["A"] != "1" || spec.Name != "envhost-e1-x" {
		t.Errorf("spec = %+v", spec)
	}
}

func TestParseDeploymentConfigJSON(t *testing.T) {
	d, err := ParseDeploymentConfig([]byte(`{"type": "podman", "image": "x", "startup_timeout": 5}`))
	if err != nil || d.Backend != "podman" || d.StartupTimeout.D() != 5*time.Second {
		t.Fatalf("%+v %v", d, err)
	}
	if _, err := ParseDeploymentConfig([]byte(`{"image": "x", "imag": 1}`)); err == nil || !strings.Contains(err.Error(), `unknown key "imag"`) {
		t.Errorf("unknown key: %v", err)
	}
	cfg, err := ParseConfig([]byte(`{"deployment": {"image": "x"}, "repo": {"github_url": "https://h/o/r"}}`))
	if err != nil || cfg.Repo.RepoName() != "r" {
		t.Errorf("JSON config: %+v %v", cfg, err)
	}
}
