#!/usr/bin/env bash
# Runs envhost's benchmarks against the real engines and prints each figure as
# a ratio against the engine's own floor measured in the same run:
#   - exec round trip and CopyIn through the plugin vs the engine's Go client used directly
#   - restart (preserve_repo_state, small repo) vs remove + create/start of a container
#   - command round trip in a shell session (p50)
# Usage: scripts/bench.sh [benchtime]   (default 20x); expects engines and images up
# (make bench does that).
set -euo pipefail
cd "$(dirname "$0")/.."
benchtime=${1:-20x}
out=$(mktemp)
trap 'rm -f "$out"' EXIT

go test -run '^$' -bench 'ExecRoundTrip|CopyIn' -benchtime "$benchtime" ./plugins/docker/ ./plugins/podman/ | tee -a "$out"
go test -run '^$' -bench 'Restart' -benchtime 5x ./core/ | tee -a "$out"
go test -run '^$' -bench 'Communicate' -benchtime 500x ./core/ | tee -a "$out"
go test -run '^$' -bench 'RoundTrip$|RoundTripPodman' -benchtime 2000x ./core/shell/ | tee -a "$out"

echo
echo "== ratios (lower is better for time, higher for throughput) =="
awk '
/^pkg:/ { pkg = $2; sub(/.*\//, "", pkg) }
/^Benchmark(ExecRoundTrip|CopyIn)\// {
	split($1, a, "/"); mode = a[2]; sub(/-[0-9]+$/, "", mode); name = a[1]
	ns[pkg, name, mode] = $3
	for (i = 4; i <= NF; i++) if ($(i) == "MB/s") mbs[pkg, name, mode] = $(i-1)
	seen[pkg, name] = 1
}
/^BenchmarkRestart\// {
	for (i = 4; i <= NF; i++) if ($(i) == "x-floor") printf "restart %-28s %6.2fx the engine floor (target <= 1.5x)\n", $1, $(i-1)
}
/^Benchmark(Communicate|RoundTrip)/ {
	for (i = 4; i <= NF; i++) if ($(i) ~ /^p50/) printf "command round trip %-20s p50 %s %s\n", $1, $(i-1), $(i)
}
END {
	for (k in seen) {
		split(k, p, SUBSEP)
		if ((p[1], p[2], "direct") in ns && (p[1], p[2], "plugin") in ns) {
			if ((p[1], p[2], "direct") in mbs)
				printf "%-7s %-14s plugin %7.1f MB/s vs direct %7.1f MB/s: %.2fx throughput\n", p[1], p[2], mbs[p[1], p[2], "plugin"], mbs[p[1], p[2], "direct"], mbs[p[1], p[2], "plugin"] / mbs[p[1], p[2], "direct"]
			else
				printf "%-7s %-14s plugin %7.2f ms vs direct %7.2f ms: %+.2f ms per call\n", p[1], p[2], ns[p[1], p[2], "plugin"] / 1e6, ns[p[1], p[2], "direct"] / 1e6, (ns[p[1], p[2], "plugin"] - ns[p[1], p[2], "direct"]) / 1e6
		}
	}
}' "$out"
