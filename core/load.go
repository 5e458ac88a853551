package core

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// LoadConfig reads, parses and validates a YAML config file.
func LoadConfig(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("read config: %w", err)
	}
	cfg, err := ParseConfig(data)
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

// ParseConfig parses and validates a YAML (or JSON) config. Unknown keys are errors
// naming the key and its line. Keys follow SWE-agent's environment config:
//
//	name: main
//	deployment:
//	  type: docker          # or backend:; docker, podman or a plugin name
//	  image: python:3.11
//	  pull: missing
//	  startup_timeout: 180  # seconds, or "3m"
//	  docker_args: ["--memory=2g"]
//	  remove_container: true
//	repo:
//	  path: ./myrepo        # or github_url: ..., or repo_name: testbed
//	  base_commit: HEAD
//	post_startup_commands: ["pip install -e ."]
//	post_startup_command_timeout: 500
//
// Defaults are not filled in; New does that.
func ParseConfig(data []byte) (Config, error) {
	var raw rawConfig
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&raw); err != nil {
		if errors.Is(err, io.EOF) {
			return Config{}, errors.New("config is empty")
		}
		return Config{}, friendlyYAMLError(err)
	}
	cfg, err := raw.config()
	if err != nil {
		return Config{}, err
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// ParseDeploymentConfig parses and validates the YAML (or JSON) of a
// deployment section alone, with the same keys and strictness as
// ParseConfig; for RestartWithConfig.
func ParseDeploymentConfig(data []byte) (DeploymentConfig, error) {
	var raw rawDeployment
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&raw); err != nil {
		if errors.Is(err, io.EOF) {
			return DeploymentConfig{}, errors.New("deployment config is empty")
		}
		return DeploymentConfig{}, friendlyYAMLError(err)
	}
	c, err := rawConfig{Deployment: raw}.config()
	if err != nil {
		return DeploymentConfig{}, err
	}
	if err := c.Deployment.Validate(); err != nil {
		return DeploymentConfig{}, err
	}
	return c.Deployment, nil
}

// rawConfig is the YAML shape, with SWE-agent's alternative key names.
type rawConfig struct {
	Name                      string            `yaml:"name"`
	Deployment                rawDeployment     `yaml:"deployment"`
	Repo                      *rawRepo          `yaml:"repo"`
	PostStartupCommands       []string          `yaml:"post_startup_commands"`
	PostStartupTimeout        *Duration         `yaml:"post_startup_timeout"`
	PostStartupCommandTimeout *Duration         `yaml:"post_startup_command_timeout"`
	Env                       map[string]string `yaml:"env"`
	PluginDirs                []string          `yaml:"plugin_dirs"`
}

type rawDeployment struct {
	DeploymentConfig `yaml:",inline"`
	Type             string `yaml:"type"`
	RemoveImages     *bool  `yaml:"remove_images"`
}

type rawRepo struct {
	RepoConfig `yaml:",inline"`
	Type       string `yaml:"type"`
	GitURL     string `yaml:"git_url"`
}

func (r rawConfig) config() (Config, error) {
	c := Config{
		Name:                r.Name,
		Deployment:          r.Deployment.DeploymentConfig,
		PostStartupCommands: r.PostStartupCommands,
		Env:                 r.Env,
		PluginDirs:          r.PluginDirs,
	}
	switch {
	case r.PostStartupTimeout != nil && r.PostStartupCommandTimeout != nil:
		return c, errors.New("post_startup_timeout and post_startup_command_timeout are the same setting; set one")
	case r.PostStartupTimeout != nil:
		c.PostStartupTimeout = *r.PostStartupTimeout
	case r.PostStartupCommandTimeout != nil:
		c.PostStartupTimeout = *r.PostStartupCommandTimeout
	}
	d := &c.Deployment
	if t := r.Deployment.Type; t != "" {
		if d.Backend != "" && d.Backend != t {
			return c, fmt.Errorf("deployment: type %q and backend %q disagree; set one", t, d.Backend)
		}
		d.Backend = t
	}
	if r.Deployment.RemoveImages != nil {
		d.RemoveImage = d.RemoveImage || *r.Deployment.RemoveImages
	}
	if r.Repo != nil {
		repo := r.Repo.RepoConfig
		if r.Repo.GitURL != "" {
			if repo.GitURL != "" && repo.GitURL != r.Repo.GitURL {
				return c, errors.New("repo: github_url and git_url are the same setting; set one")
			}
			repo.GitURL = r.Repo.GitURL
		}
		if t := r.Repo.Type; t != "" {
			want := map[string]RepoKind{
				"local": RepoLocal, "github": RepoGit, "git": RepoGit,
				"preexisting": RepoPreexisting, "pre_existing": RepoPreexisting,
			}[t]
			if want == "" {
				return c, fmt.Errorf("repo.type: %q is not a repo type (want local, github or preexisting)", t)
			}
			if k := repo.Kind(); k != "" && k != want {
				return c, fmt.Errorf("repo.type is %q but the keys set are for a %s repo", t, k)
			}
		}
		c.Repo = &repo
	}
	return c, nil
}

var unknownFieldRE = regexp.MustCompile(`line (\d+): field (\S+) not found in type core\.(\w+)`)

// friendlyYAMLError rewrites yaml.v3's "field x not found in type core.T"
// into "line N: unknown key "x" in deployment (known keys: ...)".
func friendlyYAMLError(err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return fmt.Errorf("parse config: %w", err)
	}
	msgs := make([]string, 0, len(te.Errors))
	for _, m := range te.Errors {
		if s := unknownFieldRE.FindStringSubmatch(m); s != nil {
			section, known := sectionKeys(s[3])
			where := ""
			if section != "" {
				where = " in " + section
			}
			m = fmt.Sprintf("line %s: unknown key %q%s (known keys: %s)", s[1], s[2], where, strings.Join(known, ", "))
		}
		msgs = append(msgs, m)
	}
	return fmt.Errorf("config: %s", strings.Join(msgs, "; "))
}

// sectionKeys names a raw type's section and lists its YAML keys.
func sectionKeys(typeName string) (string, []string) {
	var t reflect.Type
	section := ""
	switch typeName {
	case "rawConfig":
		t = reflect.TypeOf(rawConfig{})
	case "rawDeployment":
		t, section = reflect.TypeOf(rawDeployment{}), "deployment"
	case "rawRepo":
		t, section = reflect.TypeOf(rawRepo{}), "repo"
	default:
		return "", nil
	}
	var keys []string
	var walk func(reflect.Type)
	walk = func(t reflect.Type) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			tag := f.Tag.Get("yaml")
			name, opts, _ := strings.Cut(tag, ",")
			if strings.Contains(opts, "inline") {
				walk(f.Type)
				continue
			}
			if name != "" && name != "-" {
				keys = append(keys, name)
			}
		}
	}
	walk(t)
	sort.Strings(keys)
	return section, keys
}
