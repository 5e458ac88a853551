#!/usr/bin/env bash
# Brings up the container engines envhost's tests and demo use, on a Debian machine as root.
#
#   scripts/engines.sh up       install what is missing, start engines, wait, print env vars
#   scripts/engines.sh env      print the env vars for engines that answer (starts nothing)
#   scripts/engines.sh status   say which engines answer where
#   scripts/engines.sh down     stop the private engines this script started
#   scripts/engines.sh install  only install the packages
#
# Where the user already runs an engine (DOCKER_HOST / CONTAINER_HOST set and answering,
# or the standard sockets answering) it is used as it is. Otherwise a private Docker daemon
# and a Podman API service are started on sockets under $ENVHOST_RUN_DIR (default
# /run/envhost-engines), Podman with a containers.conf of our own passed via
# CONTAINERS_CONF (nothing in /etc is changed). Running it again reuses running engines.
# `up` and `env` print shell assignments on stdout (eval "$(scripts/engines.sh up)");
# progress goes to stderr.
set -euo pipefail

run=${ENVHOST_RUN_DIR:-/run/envhost-engines}
state=${ENVHOST_STATE_DIR:-/var/lib/envhost-engines}
packages=(docker.io podman runc debootstrap)

log() { printf 'engines: %s\n' "$*" >&2; }

# answers URL: true when an engine API answers /_ping at the unix:// or tcp:// URL.
answers() {
	local url=$1
	case $url in
	unix://*) curl -fsS --max-time 3 --unix-socket "${url#unix://}" http://d/_ping >/dev/null 2>&1 ;;
	tcp://*) curl -fsS --max-time 3 "http://${url#tcp://}/_ping" >/dev/null 2>&1 ;;
	*) return 1 ;;
	esac
}

install() {
	local missing=()
	command -v dockerd >/dev/null || missing+=(docker.io)
	command -v podman >/dev/null || missing+=(podman)
	command -v runc >/dev/null || missing+=(runc)
	command -v debootstrap >/dev/null || missing+=(debootstrap)
	command -v curl >/dev/null || missing+=(curl)
	[ ${#missing[@]} -eq 0 ] && return
	[ "$(id -u)" = 0 ] || { log "need root to install ${missing[*]}"; return 1; }
	log "installing ${missing[*]} ..."
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >/dev/null
	apt-get install -y -q "${missing[@]}" >/dev/null
}

wait_for() {
	local what=$1 url=$2 logf=$3 i
	for i in $(seq 1 120); do
		answers "$url" && return 0
		sleep 0.5
	done
	log "$what did not answer at $url within 60s; last log lines:"
	tail -n 30 "$logf" >&2 || true
	return 1
}

docker_url=""
podman_url=""

pick_docker() {
	if [ -n "${DOCKER_HOST:-}" ] && answers "$DOCKER_HOST"; then docker_url=$DOCKER_HOST; return; fi
	if answers "unix://$run/docker.sock"; then docker_url="unix://$run/docker.sock"; return; fi
	if [ -z "${DOCKER_HOST:-}" ] && answers unix:///var/run/docker.sock; then docker_url=unix:///var/run/docker.sock; return; fi
	docker_url=""
}

pick_podman() {
	if [ -n "${CONTAINER_HOST:-}" ] && answers "$CONTAINER_HOST"; then podman_url=$CONTAINER_HOST; return; fi
	if answers "unix://$run/podman.sock"; then podman_url="unix://$run/podman.sock"; return; fi
	if [ -z "${CONTAINER_HOST:-}" ] && answers unix:///run/podman/podman.sock; then podman_url=unix:///run/podman/podman.sock; return; fi
	podman_url=""
}

start_docker() {
	mkdir -p "$run" "$state/docker"
	rm -f "$run/docker.sock" "$run/docker.pid"
	log "starting dockerd on unix://$run/docker.sock"
	setsid dockerd --host "unix://$run/docker.sock" --data-root "$state/docker" \
		--exec-root "$run/docker-exec" --pidfile "$run/docker.pid" \
		>"$run/dockerd.log" 2>&1 </dev/null &
	wait_for dockerd "unix://$run/docker.sock" "$run/dockerd.log"
	docker_url="unix://$run/docker.sock"
}

podman_conf() {
	local nofile nproc
	nofile=$(ulimit -Hn)
	nproc=$(ulimit -Hu)
	[ "$nofile" = unlimited ] && nofile=1048576
	[ "$nproc" = unlimited ] && nproc=1048576
	[ "$nofile" -gt 1048576 ] && nofile=1048576
	# The Podman service lowers its own hard nproc limit to 32768 at start, and a
	# container cannot be given more than its parent holds.
	[ "$nproc" -gt 32768 ] && nproc=32768
	cat <<CONF
# Written by envhost's scripts/engines.sh; used through CONTAINERS_CONF only.
[containers]
# Podman's default ulimits exceed this machine's hard limits.
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]

[engine]
# crun refuses the machine's hybrid cgroup layout.
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
}

start_podman() {
	mkdir -p "$run"
	podman_conf >"$run/containers.conf"
	rm -f "$run/podman.sock"
	log "starting podman system service on unix://$run/podman.sock"
	CONTAINERS_CONF="$run/containers.conf" setsid podman system service --time=0 \
		"unix://$run/podman.sock" >"$run/podman.log" 2>&1 </dev/null &
	echo $! >"$run/podman.pid"
	wait_for podman "unix://$run/podman.sock" "$run/podman.log"
	podman_url="unix://$run/podman.sock"
}

print_env() {
	[ -n "$docker_url" ] && printf 'export DOCKER_HOST=%s\n' "$docker_url"
	[ -n "$podman_url" ] && printf 'export CONTAINER_HOST=%s\n' "$podman_url"
	[ -f "$run/containers.conf" ] && [ "$podman_url" = "unix://$run/podman.sock" ] &&
		printf 'export CONTAINERS_CONF=%s\n' "$run/containers.conf"
	return 0
}

up() {
	install
	pick_docker
	if [ -n "$docker_url" ]; then log "docker answers at $docker_url"; else start_docker; fi
	pick_podman
	if [ -n "$podman_url" ]; then log "podman answers at $podman_url"; else start_podman; fi
	print_env
}

stop_pidfile() {
	local name=$1 pidf=$2 pid i
	[ -f "$pidf" ] || return 0
	pid=$(cat "$pidf")
	if kill -0 "$pid" 2>/dev/null; then
		log "stopping $name (pid $pid)"
		kill "$pid" 2>/dev/null || true
		for i in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
		kill -9 "$pid" 2>/dev/null || true
	fi
	rm -f "$pidf"
}

down() {
	stop_pidfile podman "$run/podman.pid"
	stop_pidfile dockerd "$run/docker.pid"
	rm -f "$run/docker.sock" "$run/podman.sock"
}

status() {
	pick_docker
	pick_podman
	log "docker: ${docker_url:-not answering}"
	log "podman: ${podman_url:-not answering}"
	[ -n "$docker_url" ] && [ -n "$podman_url" ]
}

case ${1:-up} in
up) up ;;
env) pick_docker; pick_podman; print_env ;;
status) status ;;
down) down ;;
install) install ;;
*) echo "usage: $0 [up|env|status|down|install]" >&2; exit 2 ;;
esac
