package core

import (
	"errors"
	"fmt"
	"maps"
	"path"
	"strings"
	"time"

	"github.com/envhost/envhost/core/dockerargs"
	"github.com/envhost/envhost/sdk"
)

// Defaults applied by Config.WithDefaults.
const (
	DefaultName               = "main"
	DefaultBackend            = "docker"
	DefaultStartupTimeout     = 180 * time.Second
	DefaultPostStartupTimeout = 500 * time.Second
	DefaultBaseCommit         = "HEAD"
)

// Config describes an environment: its deployment (engine backend, image,
// resources), its repository, commands run after every start, and
// environment variables. It loads from YAML with keys SWE-agent users know
// (see ParseConfig).
type Config struct {
	// Name names the environment in labels, events and logs ("main" when empty).
	Name       string           `yaml:"name,omitempty" json:"name,omitempty"`
	Deployment DeploymentConfig `yaml:"deployment" json:"deployment"`
	// Repo is the repository to put in the container at /<name>; nil means none.
	Repo *RepoConfig `yaml:"repo,omitempty" json:"repo,omitempty"`
	// PostStartupCommands run in the default session after every start,
	// reset-free restart and hard reset; a failing one fails the start.
	PostStartupCommands []string `yaml:"post_startup_commands,omitempty" json:"post_startup_commands,omitempty"`
	// PostStartupTimeout bounds each post-startup command (500s when zero).
	PostStartupTimeout Duration `yaml:"post_startup_timeout,omitempty" json:"post_startup_timeout,omitempty"`
	// Env is set in the container at start and again after every restart.
	Env map[string]string `yaml:"env,omitempty" json:"env,omitempty"`
	// PluginDirs are searched for backend plugin executables.
	PluginDirs []string `yaml:"plugin_dirs,omitempty" json:"plugin_dirs,omitempty"`
}

// DeploymentConfig says where and how the container runs.
type DeploymentConfig struct {
	// Backend names the engine backend plugin: "docker" (default), "podman"
	// or any installed plugin.
	Backend string `yaml:"backend,omitempty" json:"backend,omitempty"`
	// Image is the container image (required).
	Image string `yaml:"image" json:"image"`
	// Pull is the pull policy: "missing" (default), "always" or "never".
	Pull sdk.PullPolicy `yaml:"pull,omitempty" json:"pull,omitempty"`
	// StartupTimeout bounds creating the container and opening its shell
	// (180s when zero). Pulling the image is not counted.
	StartupTimeout Duration `yaml:"startup_timeout,omitempty" json:"startup_timeout,omitempty"`
	// Memory limits the container's memory, as docker's --memory ("2g").
	Memory string `yaml:"memory,omitempty" json:"memory,omitempty"`
	// CPUs limits the container's CPUs, as docker's --cpus.
	CPUs float64 `yaml:"cpus,omitempty" json:"cpus,omitempty"`
	// Platform asks for an image platform, e.g. "linux/amd64".
	Platform string `yaml:"platform,omitempty" json:"platform,omitempty"`
	// DockerArgs are docker-run style flags (a supported subset); explicit
	// fields above take precedence over them.
	DockerArgs []string `yaml:"docker_args,omitempty" json:"docker_args,omitempty"`
	// RemoveContainer removes the container on close (default true).
	RemoveContainer *bool `yaml:"remove_container,omitempty" json:"remove_container,omitempty"`
	// RemoveImage also removes the image on close.
	RemoveImage bool `yaml:"remove_image,omitempty" json:"remove_image,omitempty"`
	// Options are backend-specific options passed through to the backend.
	Options map[string]string `yaml:"options,omitempty" json:"options,omitempty"`
}

// RepoConfig names the repository of an environment. Exactly one of Path,
// GitURL and Name is set. The repository lands at /<name> in the container,
// where name is the base name of Path or GitURL (without ".git"), or Name.
type RepoConfig struct {
	// Path is a git repository on the host, copied into the container.
	Path string `yaml:"path,omitempty" json:"path,omitempty"`
	// GitURL is cloned inside the container. A path or file:// URL of a
	// repository on the host (a bare one, typically) is copied into the
	// container first and cloned from there, so no network is needed.
	GitURL string `yaml:"github_url,omitempty" json:"github_url,omitempty"`
	// Name is a repository already in the image, at /<Name>.
	Name string `yaml:"repo_name,omitempty" json:"repo_name,omitempty"`
	// BaseCommit is what reset checks out ("HEAD" when empty).
	BaseCommit string `yaml:"base_commit,omitempty" json:"base_commit,omitempty"`
	// Reset resets a pre-existing repository (Name) to BaseCommit at start.
	// Copied and cloned repositories are always reset on a fresh start.
	Reset bool `yaml:"reset,omitempty" json:"reset,omitempty"`
}

// RepoKind is the kind of a repository.
type RepoKind string

// Repository kinds.
const (
	RepoLocal       RepoKind = "local"
	RepoGit         RepoKind = "git"
	RepoPreexisting RepoKind = "preexisting"
)

// Kind reports the repository's kind, or "" when none or several are set.
func (r *RepoConfig) Kind() RepoKind {
	n := 0
	var k RepoKind
	if r.Path != "" {
		n, k = n+1, RepoLocal
	}
	if r.GitURL != "" {
		n, k = n+1, RepoGit
	}
	if r.Name != "" {
		n, k = n+1, RepoPreexisting
	}
	if n != 1 {
		return ""
	}
	return k
}

// RepoName is the directory name of the repository: it lives at /<RepoName>.
func (r *RepoConfig) RepoName() string {
	switch r.Kind() {
	case RepoLocal:
		return baseName(r.Path)
	case RepoGit:
		return baseName(strings.TrimPrefix(r.GitURL, "file://"))
	case RepoPreexisting:
		return strings.Trim(r.Name, "/")
	}
	return ""
}

// Dir is the repository's absolute path in the container.
func (r *RepoConfig) Dir() string { return "/" + r.RepoName() }

// Base is the commit reset checks out.
func (r *RepoConfig) Base() string {
	if r.BaseCommit == "" {
		return DefaultBaseCommit
	}
	return r.BaseCommit
}

func baseName(p string) string {
	p = strings.TrimRight(p, "/")
	if i := strings.LastIndexAny(p, "/:"); i >= 0 {
		p = p[i+1:]
	}
	return strings.TrimSuffix(p, ".git")
}

// ShouldRemoveContainer reports whether close removes the container.
func (d DeploymentConfig) ShouldRemoveContainer() bool {
	return d.RemoveContainer == nil || *d.RemoveContainer
}

// WithDefaults returns a copy of c with empty fields set to their defaults.
func (c Config) WithDefaults() Config {
	if c.Name == "" {
		c.Name = DefaultName
	}
	if c.PostStartupTimeout == 0 {
		c.PostStartupTimeout = Duration(DefaultPostStartupTimeout)
	}
	c.Deployment = c.Deployment.WithDefaults()
	return c
}

// WithDefaults returns a copy of d with empty fields set to their defaults.
func (d DeploymentConfig) WithDefaults() DeploymentConfig {
	if d.Backend == "" {
		d.Backend = DefaultBackend
	}
	if d.Pull == "" {
		d.Pull = sdk.PullMissing
	}
	if d.StartupTimeout == 0 {
		d.StartupTimeout = Duration(DefaultStartupTimeout)
	}
	return d
}

// Clone returns a deep copy of c.
func (c Config) Clone() Config {
	c.Deployment = c.Deployment.Clone()
	if c.Repo != nil {
		r := *c.Repo
		c.Repo = &r
	}
	c.PostStartupCommands = append([]string(nil), c.PostStartupCommands...)
	c.Env = maps.Clone(c.Env)
	c.PluginDirs = append([]string(nil), c.PluginDirs...)
	return c
}

// Clone returns a deep copy of d.
func (d DeploymentConfig) Clone() DeploymentConfig {
	d.DockerArgs = append([]string(nil), d.DockerArgs...)
	d.Options = maps.Clone(d.Options)
	if d.RemoveContainer != nil {
		v := *d.RemoveContainer
		d.RemoveContainer = &v
	}
	return d
}

// Validate reports every problem of c in one error.
func (c Config) Validate() error {
	var errs []error
	if err := c.Deployment.Validate(); err != nil {
		errs = append(errs, err)
	}
	if c.Repo != nil {
		if err := c.Repo.Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	if c.PostStartupTimeout < 0 {
		errs = append(errs, errors.New("post_startup_timeout: must not be negative"))
	}
	for k := range c.Env {
		if !validEnvName(k) {
			errs = append(errs, fmt.Errorf("env: %q is not a valid variable name", k))
		}
	}
	return errors.Join(errs...)
}

// Validate reports every problem of d in one error.
func (d DeploymentConfig) Validate() error {
	var errs []error
	if strings.TrimSpace(d.Image) == "" {
		errs = append(errs, errors.New("deployment.image: required (the container image to run)"))
	}
	switch d.Pull {
	case "", sdk.PullMissing, sdk.PullAlways, sdk.PullNever:
	default:
		errs = append(errs, fmt.Errorf("deployment.pull: %q is not a pull policy (want missing, always or never)", d.Pull))
	}
	if d.StartupTimeout < 0 {
		errs = append(errs, errors.New("deployment.startup_timeout: must not be negative"))
	}
	if d.Memory != "" {
		if _, err := parseMemory(d.Memory); err != nil {
			errs = append(errs, fmt.Errorf("deployment.memory: %w", err))
		}
	}
	if d.CPUs < 0 {
		errs = append(errs, errors.New("deployment.cpus: must not be negative"))
	}
	if len(d.DockerArgs) > 0 {
		if _, err := dockerargs.Parse(d.DockerArgs); err != nil {
			errs = append(errs, fmt.Errorf("deployment.docker_args: %w", err))
		}
	}
	if d.Backend != "" && strings.ContainsAny(d.Backend, `/\ `) {
		errs = append(errs, fmt.Errorf("deployment.backend: %q is not a backend name", d.Backend))
	}
	return errors.Join(errs...)
}

// Validate reports problems of r.
func (r *RepoConfig) Validate() error {
	set := []string{}
	if r.Path != "" {
		set = append(set, "path")
	}
	if r.GitURL != "" {
		set = append(set, "github_url")
	}
	if r.Name != "" {
		set = append(set, "repo_name")
	}
	switch {
	case len(set) == 0:
		return errors.New("repo: set one of path (local directory), github_url (git URL) or repo_name (already in the image)")
	case len(set) > 1:
		return fmt.Errorf("repo: %s are set; a repo is exactly one kind: path, github_url or repo_name", strings.Join(set, " and "))
	}
	name := r.RepoName()
	if name == "" || name == "." || name == ".." || strings.Contains(name, "/") {
		return fmt.Errorf("repo: cannot derive a directory name from %q", firstNonEmpty(r.Path, r.GitURL, r.Name))
	}
	if strings.HasPrefix(r.Base(), "-") {
		return fmt.Errorf("repo.base_commit: %q is not a commit", r.BaseCommit)
	}
	return nil
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

func validEnvName(k string) bool {
	if k == "" {
		return false
	}
	for i, c := range k {
		if c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (i > 0 && c >= '0' && c <= '9') {
			continue
		}
		return false
	}
	return true
}

// containerSpec builds the backend spec of a deployment.
func (d DeploymentConfig) containerSpec(envName, containerName string, env map[string]string) (sdk.Spec, error) {
	var spec sdk.Spec
	if len(d.DockerArgs) > 0 {
		parsed, err := dockerargs.Parse(d.DockerArgs)
		if err != nil {
			return spec, fmt.Errorf("deployment.docker_args: %w", err)
		}
		parsed.Apply(&spec)
	}
	spec.Image = d.Image
	if spec.Name == "" {
		spec.Name = containerName
	}
	if spec.WorkingDir == "" {
		spec.WorkingDir = "/"
	}
	if spec.Env == nil {
		spec.Env = map[string]string{}
	}
	maps.Copy(spec.Env, env)
	if spec.Labels == nil {
		spec.Labels = map[string]string{}
	}
	spec.Labels[sdk.LabelManaged] = "true"
	spec.Labels[sdk.LabelOwner] = ownerLabel()
	spec.Labels[sdk.LabelEnv] = envName
	if d.Memory != "" {
		m, err := parseMemory(d.Memory)
		if err != nil {
			return spec, fmt.Errorf("deployment.memory: %w", err)
		}
		spec.Resources.MemoryBytes = m
	}
	if d.CPUs > 0 {
		spec.Resources.NanoCPUs = int64(d.CPUs * 1e9)
	}
	if d.Platform != "" {
		spec.Platform = d.Platform
	}
	if len(d.Options) > 0 {
		if spec.Options == nil {
			spec.Options = map[string]string{}
		}
		maps.Copy(spec.Options, d.Options)
	}
	return spec, nil
}

// cleanContainerPath makes p absolute and clean.
func cleanContainerPath(p string) string {
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	return path.Clean(p)
}
