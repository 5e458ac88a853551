package sdk

import "github.com/envhost/envhost/sdk/backendpb"

// Conversions between the Go contract types and their protobuf messages.

func infoToPB(i Info) *backendpb.InfoResponse {
	return &backendpb.InfoResponse{
		Name: i.Name, Version: i.Version, Engine: i.Engine,
		EngineVersion: i.EngineVersion, ApiVersion: i.APIVersion,
		Capabilities: i.Capabilities,
	}
}

func infoFromPB(p *backendpb.InfoResponse) Info {
	return Info{
		Name: p.GetName(), Version: p.GetVersion(), Engine: p.GetEngine(),
		EngineVersion: p.GetEngineVersion(), APIVersion: p.GetApiVersion(),
		Capabilities: p.GetCapabilities(),
	}
}

func progressToPB(p ImageProgress) *backendpb.ImageProgress {
	return &backendpb.ImageProgress{Status: p.Status, Layer: p.Layer, Current: p.Current, Total: p.Total}
}

func progressFromPB(p *backendpb.ImageProgress) ImageProgress {
	return ImageProgress{Status: p.GetStatus(), Layer: p.GetLayer(), Current: p.GetCurrent(), Total: p.GetTotal()}
}

func specToPB(s Spec) *backendpb.Spec {
	p := &backendpb.Spec{
		Image: s.Image, Name: s.Name, Env: s.Env, WorkingDir: s.WorkingDir,
		User: s.User, Labels: s.Labels, Platform: s.Platform, Network: s.Network,
		CapAdd: s.CapAdd, Command: s.Command, Options: s.Options,
		Resources: &backendpb.Resources{
			MemoryBytes:  s.Resources.MemoryBytes,
			NanoCpus:     s.Resources.NanoCPUs,
			ShmSizeBytes: s.Resources.ShmSizeBytes,
		},
	}
	for _, m := range s.Mounts {
		p.Mounts = append(p.Mounts, &backendpb.Mount{Type: m.Type, Source: m.Source, Target: m.Target, ReadOnly: m.ReadOnly})
	}
	for _, u := range s.Ulimits {
		p.Ulimits = append(p.Ulimits, &backendpb.Ulimit{Name: u.Name, Soft: u.Soft, Hard: u.Hard})
	}
	return p
}

func specFromPB(p *backendpb.Spec) Spec {
	s := Spec{
		Image: p.GetImage(), Name: p.GetName(), Env: p.GetEnv(), WorkingDir: p.GetWorkingDir(),
		User: p.GetUser(), Labels: p.GetLabels(), Platform: p.GetPlatform(), Network: p.GetNetwork(),
		CapAdd: p.GetCapAdd(), Command: p.GetCommand(), Options: p.GetOptions(),
		Resources: Resources{
			MemoryBytes:  p.GetResources().GetMemoryBytes(),
			NanoCPUs:     p.GetResources().GetNanoCpus(),
			ShmSizeBytes: p.GetResources().GetShmSizeBytes(),
		},
	}
	for _, m := range p.GetMounts() {
		s.Mounts = append(s.Mounts, Mount{Type: m.GetType(), Source: m.GetSource(), Target: m.GetTarget(), ReadOnly: m.GetReadOnly()})
	}
	for _, u := range p.GetUlimits() {
		s.Ulimits = append(s.Ulimits, Ulimit{Name: u.GetName(), Soft: u.GetSoft(), Hard: u.GetHard()})
	}
	return s
}

func execSetupToPB(s ExecSpec, stdio ExecIO) *backendpb.ExecSetup {
	return &backendpb.ExecSetup{
		ContainerId: s.ContainerID, Cmd: s.Cmd, Env: s.Env, WorkingDir: s.WorkingDir, User: s.User,
		HasStdin:      stdio.Stdin != nil,
		DiscardStdout: stdio.Stdout == nil,
		DiscardStderr: stdio.Stderr == nil,
	}
}

func execSpecFromPB(p *backendpb.ExecSetup) ExecSpec {
	return ExecSpec{
		ContainerID: p.GetContainerId(), Cmd: p.GetCmd(), Env: p.GetEnv(),
		WorkingDir: p.GetWorkingDir(), User: p.GetUser(),
	}
}

func stateToPB(s ContainerState) *backendpb.InspectResponse {
	return &backendpb.InspectResponse{State: string(s.State), ExitCode: int32(s.ExitCode), Image: s.Image, Labels: s.Labels}
}

func stateFromPB(p *backendpb.InspectResponse) ContainerState {
	return ContainerState{State: State(p.GetState()), ExitCode: int(p.GetExitCode()), Image: p.GetImage(), Labels: p.GetLabels()}
}
