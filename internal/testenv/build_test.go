package testenv

import (
	"debug/buildinfo"
	"os"
	"path/filepath"
	"testing"
)

func TestBuildOncePerSetThenCleanup(t *testing.T) {
	const a, missing = "./sdk/internal/testplugin", "./no/such/cmd"
	dir := BuildBinaries(t, a)
	if race := builtWithRace(t, filepath.Join(dir, "testplugin")); race {
		t.Errorf("BuildBinaries built with -race")
	}
	raceDir := BuildRaceBinaries(t, a)
	if RaceEnabled && raceDir == dir {
		t.Errorf("BuildRaceBinaries reused the plain build's directory %s", dir)
	}
	if race := builtWithRace(t, filepath.Join(raceDir, "testplugin")); race != RaceEnabled {
		t.Errorf("BuildRaceBinaries built with -race=%t, test binary with %t", race, RaceEnabled)
	}
	if again := BuildBinaries(t, a); again != dir {
		t.Errorf("second build of the same set went to %s, want %s", again, dir)
	}
	if _, err := Build(a, missing); err == nil {
		t.Errorf("Build with the missing package %s: no error", missing)
	}
	CleanupBinaries()
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("%s after CleanupBinaries: %v, want it gone", dir, err)
	}
	other := BuildBinaries(t, a)
	t.Cleanup(CleanupBinaries)
	if other == dir {
		t.Errorf("build after CleanupBinaries reused %s", dir)
	}
}

func builtWithRace(t *testing.T, bin string) bool {
	t.Helper()
	info, err := buildinfo.ReadFile(bin)
	if err != nil {
		t.Fatalf("built binary: %v", err)
	}
	race := false
	for _, s := range info.Settings {
		race = race || s.Key == "-race" && s.Value == "true"
	}
	return race
}
