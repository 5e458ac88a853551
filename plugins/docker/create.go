package docker

import (
	"context"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/envhost/envhost/sdk"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/client"
)

// keepAlive is the default container command: a process that sleeps forever.
var keepAlive = []string{"sleep", "infinity"}

// Spec.Options this backend understands.
const (
	OptionInit       = "init"       // "true": run an init process (docker run --init)
	OptionPrivileged = "privileged" // "true": privileged container
	OptionHostname   = "hostname"   // container host name
)

// Create creates and starts a container from spec.
func (b *Backend) Create(ctx context.Context, spec sdk.Spec) (sdk.Container, error) {
	cfg, hc, opts, err := containerConfig(spec)
	if err != nil {
		return sdk.Container{}, err
	}
	created, err := b.cli.ContainerCreate(ctx, opts)
	if err != nil {
		return sdk.Container{}, wrap(err, "create container from image %q", spec.Image)
	}
	for _, w := range created.Warnings {
		b.log.Warn("create container", "id", created.ID, "warning", w)
	}
	if _, err := b.cli.ContainerStart(ctx, created.ID, client.ContainerStartOptions{}); err != nil {
		b.removeQuietly(created.ID)
		class := errClass(err)
		if class == nil || class == sdk.ErrInvalidArgument {
			class = sdk.ErrFailedPrecondition
		}
		return sdk.Container{}, wrapAs(class, err, "start container from image %q", spec.Image)
	}
	name := spec.Name
	if name == "" {
		res, err := b.cli.ContainerInspect(ctx, created.ID, client.ContainerInspectOptions{})
		if err != nil {
			return sdk.Container{}, wrap(err, "inspect new container %s", created.ID)
		}
		name = strings.TrimPrefix(res.Container.Name, "/")
	}
	b.log.Debug("container started", "id", created.ID, "name", name, "image", cfg.Image, "network", hc.NetworkMode)
	return sdk.Container{ID: created.ID, Name: name}, nil
}

// removeQuietly force-removes a container after a failed start.
func (b *Backend) removeQuietly(id string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := b.cli.ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true}); err != nil {
		b.log.Warn("remove container after failed start", "id", id, "error", err)
	}
}

// containerConfig translates spec into the engine's create request.
func containerConfig(spec sdk.Spec) (*container.Config, *container.HostConfig, client.ContainerCreateOptions, error) {
	var none client.ContainerCreateOptions
	if spec.Image == "" {
		return nil, nil, none, sdk.Errorf(sdk.ErrInvalidArgument, "create container: empty image name")
	}
	labels := maps.Clone(spec.Labels)
	if labels == nil {
		labels = map[string]string{}
	}
	labels[sdk.LabelManaged] = "true"

	cmd := spec.Command
	if len(cmd) == 0 {
		cmd = keepAlive
	}
	cfg := &container.Config{
		Image:      spec.Image,
		Env:        envList(spec.Env),
		WorkingDir: spec.WorkingDir,
		User:       spec.User,
		Labels:     labels,
		Entrypoint: cmd[:1],
		Cmd:        slices.Clone(cmd[1:]),
	}
	hc := &container.HostConfig{
		NetworkMode: container.NetworkMode(spec.Network),
		CapAdd:      spec.CapAdd,
		ShmSize:     spec.Resources.ShmSizeBytes,
		Resources: container.Resources{
			Memory:   spec.Resources.MemoryBytes,
			NanoCPUs: spec.Resources.NanoCPUs,
		},
	}
	for _, u := range spec.Ulimits {
		hc.Ulimits = append(hc.Ulimits, &container.Ulimit{Name: u.Name, Soft: u.Soft, Hard: u.Hard})
	}
	for _, m := range spec.Mounts {
		mm, err := toMount(m)
		if err != nil {
			return nil, nil, none, err
		}
		hc.Mounts = append(hc.Mounts, mm)
	}
	if err := applyOptions(spec.Options, cfg, hc); err != nil {
		return nil, nil, none, err
	}
	opts := client.ContainerCreateOptions{Config: cfg, HostConfig: hc, Name: spec.Name}
	if spec.Platform != "" {
		p, err := parsePlatform(spec.Platform)
		if err != nil {
			return nil, nil, none, err
		}
		opts.Platform = p
	}
	return cfg, hc, opts, nil
}

// toMount translates one mount.
func toMount(m sdk.Mount) (mount.Mount, error) {
	t := mount.Type(m.Type)
	switch t {
	case "":
		t = mount.TypeBind
	case mount.TypeBind, mount.TypeVolume, mount.TypeTmpfs:
	default:
		return mount.Mount{}, sdk.Errorf(sdk.ErrInvalidArgument, "mount %s: unknown type %q", m.Target, m.Type)
	}
	if m.Target == "" {
		return mount.Mount{}, sdk.Errorf(sdk.ErrInvalidArgument, "mount of %q: empty target", m.Source)
	}
	return mount.Mount{Type: t, Source: m.Source, Target: m.Target, ReadOnly: m.ReadOnly}, nil
}

// applyOptions applies Spec.Options, rejecting keys it does not know.
func applyOptions(options map[string]string, cfg *container.Config, hc *container.HostConfig) error {
	for _, k := range slices.Sorted(maps.Keys(options)) {
		v := options[k]
		switch k {
		case OptionInit, OptionPrivileged:
			on, err := strconv.ParseBool(v)
			if err != nil {
				return sdk.Errorf(sdk.ErrInvalidArgument, "option %s=%q: want true or false", k, v)
			}
			if k == OptionInit {
				hc.Init = &on
			} else {
				hc.Privileged = on
			}
		case OptionHostname:
			cfg.Hostname = v
		default:
			return sdk.Errorf(sdk.ErrInvalidArgument, "unknown option %q (the docker backend knows %s, %s, %s)",
				k, OptionInit, OptionPrivileged, OptionHostname)
		}
	}
	return nil
}

// envList turns an environment map into sorted KEY=value entries.
func envList(env map[string]string) []string {
	if len(env) == 0 {
		return nil
	}
	out := make([]string, 0, len(env))
	for _, k := range slices.Sorted(maps.Keys(env)) {
		out = append(out, k+"="+env[k])
	}
	return out
}
