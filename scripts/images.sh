#!/usr/bin/env bash
# Builds the two local test images in each running engine, without a registry:
#   envhost/python:3.11  Debian bookworm (Python 3.11, git, bash)
#   envhost/python:3.13  Debian trixie   (Python 3.13, git, bash)
# Root filesystems come from debootstrap against the Debian mirror that apt on this
# machine is configured with, and are cached as tarballs in $ENVHOST_CACHE_DIR
# (default ~/.cache/envhost) between runs. An image already present is kept.
#
# Usage: scripts/images.sh [build|rootfs|clean]   (rootfs: only fill the tarball cache)
#   (engine addresses from DOCKER_HOST /
# CONTAINER_HOST, else the private engines of scripts/engines.sh)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${ENVHOST_CACHE_DIR:-$HOME/.cache/envhost}
export DOCKER_HOST=${DOCKER_HOST:-unix:///run/envhost-engines/docker.sock}
export CONTAINER_HOST=${CONTAINER_HOST:-unix:///run/envhost-engines/podman.sock}

# suite:tag pairs
images=("bookworm:3.11" "trixie:3.13")
repo=envhost/python
packages=python3,git,ca-certificates,bash,procps

log() { printf 'images: %s\n' "$*" >&2; }

# mirror prints the Debian mirror apt uses here (first deb URI of the main archive).
mirror() {
	local uri
	uri=$(grep -hE '^[[:space:]]*URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null |
		awk '{print $2}' | grep -v -- '-security' | grep '/debian' | head -n1 || true)
	if [ -z "$uri" ]; then
		uri=$(grep -hE '^[[:space:]]*deb[[:space:]]' /etc/apt/sources.list 2>/dev/null |
			awk '{print $2}' | grep -v -- '-security' | head -n1 || true)
	fi
	[ -n "$uri" ] || { log "cannot find a Debian mirror in apt's sources"; return 1; }
	printf '%s\n' "$uri"
}

# rootfs SUITE prints the path of a cached rootfs tarball for SUITE, building it if needed.
rootfs() {
	local suite=$1 tarball="$cache/rootfs-$1.tar" dir
	if [ -s "$tarball" ]; then
		log "using cached $tarball"
		printf '%s\n' "$tarball"
		return
	fi
	command -v debootstrap >/dev/null || { log "debootstrap missing: run scripts/engines.sh install"; return 1; }
	mkdir -p "$cache"
	dir=$(mktemp -d "$cache/rootfs-$suite.XXXXXX")
	log "debootstrap $suite (minbase + $packages) ..."
	local start=$SECONDS
	if ! debootstrap --variant=minbase --include="$packages" "$suite" "$dir" "$(mirror)" >"$dir.log" 2>&1; then
		tail -n 20 "$dir.log" >&2
		rm -rf "$dir" "$dir.log"
		log "debootstrap $suite failed"
		return 1
	fi
	rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/*
	tar -C "$dir" -cf "$tarball.tmp" .
	mv "$tarball.tmp" "$tarball"
	rm -rf "$dir" "$dir.log"
	log "built $tarball in $((SECONDS - start))s"
	printf '%s\n' "$tarball"
}

have_docker() { docker version >/dev/null 2>&1; }
have_podman() { podman --url "$CONTAINER_HOST" version >/dev/null 2>&1; }

# missing REF: prints "docker", "podman" for each engine that answers and lacks REF.
missing() {
	local ref=$1
	if have_docker && ! docker image inspect "$ref" >/dev/null 2>&1; then echo docker; fi
	if have_podman && ! podman --url "$CONTAINER_HOST" image exists "$ref" 2>/dev/null; then echo podman; fi
	return 0
}

import() {
	local engine=$1 tarball=$2 ref=$3
	local change=(--change 'CMD ["/bin/bash"]' --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin')
	log "$engine import $ref"
	case $engine in
	docker) docker import "${change[@]}" "$tarball" "$ref" >/dev/null ;;
	podman) podman --url "$CONTAINER_HOST" import "${change[@]}" "$tarball" "$ref" >/dev/null ;;
	esac
}

build() {
	local pair suite ref engine pids=() todo=()
	have_docker || log "warning: no Docker engine at $DOCKER_HOST; Docker images not built"
	have_podman || log "warning: no Podman service at $CONTAINER_HOST; Podman images not built"
	for pair in "${images[@]}"; do
		suite=${pair%%:*} ref="$repo:${pair#*:}"
		if [ -n "$(missing "$ref")" ]; then todo+=("$pair"); else log "$ref present"; fi
	done
	[ ${#todo[@]} -gt 0 ] || return 0
	# Root filesystems are bootstrapped in parallel (mostly download and unpack time).
	for pair in "${todo[@]}"; do
		rootfs "${pair%%:*}" >/dev/null &
		pids+=($!)
	done
	for pid in "${pids[@]}"; do wait "$pid"; done
	pids=()
	for pair in "${todo[@]}"; do
		suite=${pair%%:*} ref="$repo:${pair#*:}"
		for engine in $(missing "$ref"); do
			import "$engine" "$cache/rootfs-$suite.tar" "$ref" &
			pids+=($!)
		done
	done
	for pid in "${pids[@]}"; do wait "$pid"; done
}

clean() {
	local pair ref
	for pair in "${images[@]}"; do
		ref="$repo:${pair#*:}"
		have_docker && docker image rm -f "$ref" >/dev/null 2>&1 || true
		have_podman && podman --url "$CONTAINER_HOST" image rm -f "$ref" >/dev/null 2>&1 || true
	done
	log "removed test images (cache kept in $cache)"
}

case ${1:-build} in
build) build ;;
rootfs) for pair in "${images[@]}"; do rootfs "${pair%%:*}" >/dev/null; done ;;
clean) clean ;;
*) echo "usage: $0 [build|rootfs|clean]" >&2; exit 2 ;;
esac
