#!/usr/bin/env bash
# Make kfp.local's Docker runner work on this machine, from nothing, and do no work twice:
#   1. a Docker engine: install Debian's docker.io only where no engine binary exists (Debian-like hosts);
#      start dockerd in the background if the engine does not answer;
#   2. a base image: python:3.11-slim when it can be pulled, else Debian bookworm built here with
#      debootstrap (python3 is 3.11) and imported as ctsim-base:bookworm;
#   3. the component image (tag COMPONENT_IMAGE from ctsim/pipeline/components.py) from the Dockerfile,
#      skipped when an image built from the same inputs exists (tag ctsim-component-cache:<sha256 of inputs>);
#   4. each example team image, examples/*/Dockerfile (tag in its IMAGE file), FROM the component image, cached alike.
# Prints one line per step; a failure is one line "docker-setup: ..." and exit 2.
# Environment: PYTHON (default .venv/bin/python, else python3), CTSIM_BASE_IMAGE (skip the base step),
#              CTSIM_DOCKERD_LOG (default /tmp/ctsim-dockerd.log), PIP_CERT (CA bundle handed to pip in the build),
#              CTSIM_DOCKERD_PIDFILE (where to write the pid of a dockerd this script started, so the caller can stop it).
set -euo pipefail
cd "$(dirname "$0")/.."

fail() { echo "docker-setup: $*" >&2; exit 2; }
say() { echo "docker-setup: $*"; }

PYTHON="${PYTHON:-$( [ -x .venv/bin/python ] && echo .venv/bin/python || echo python3 )}"
LOCAL_BASE="ctsim-base:bookworm"
PULL_BASE="python:3.11-slim"
MIN_FREE_MB=3000

engine_answers() { timeout 10 docker info >/dev/null 2>&1; }

install_engine() {
  command -v dockerd >/dev/null 2>&1 && command -v docker >/dev/null 2>&1 && return 0
  command -v apt-get >/dev/null 2>&1 || fail "no Docker engine here and no apt-get to install one: install Docker (https://docs.docker.com/engine/install/)"
  [ "$(id -u)" = 0 ] || fail "no Docker engine here; install it as root: apt-get install -y docker.io"
  say "installing docker.io (Debian's Docker engine)"
  (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker.io) >/tmp/ctsim-apt.log 2>&1 \
    || fail "apt-get install docker.io failed (log: /tmp/ctsim-apt.log)"
}

start_engine() {
  engine_answers && return 0
  command -v dockerd >/dev/null 2>&1 || fail "the docker CLI is here but no engine answers and there is no dockerd to start"
  [ "$(id -u)" = 0 ] || fail "the Docker engine is not running; start it (sudo systemctl start docker, or sudo dockerd &)"
  local log="${CTSIM_DOCKERD_LOG:-/tmp/ctsim-dockerd.log}"
  say "starting dockerd in the background (log: $log)"
  nohup dockerd >"$log" 2>&1 &
  [ -z "${CTSIM_DOCKERD_PIDFILE:-}" ] || echo $! >"$CTSIM_DOCKERD_PIDFILE"
  for _ in $(seq 1 60); do engine_answers && return 0; sleep 0.5; done
  fail "dockerd did not answer within 30 s (log: $log)"
}

check_disk() {
  local root free
  root="$(docker info --format '{{.DockerRootDir}}' 2>/dev/null || echo /var/lib/docker)"
  [ -d "$root" ] || return 0  # a remote engine: its disk is not ours to measure
  free=$(( $(df -Pk "$root" | awk 'NR==2 {print $4}') / 1024 ))
  [ "$free" -ge "$MIN_FREE_MB" ] || fail "disk full: ${free} MB free under $root, building the images needs ${MIN_FREE_MB} MB; free some space (docker system prune)"
}

image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

base_image() {
  if [ -n "${CTSIM_BASE_IMAGE:-}" ]; then echo "$CTSIM_BASE_IMAGE"; return; fi
  if image_exists "$PULL_BASE" || timeout 60 docker pull -q "$PULL_BASE" >/dev/null 2>&1; then echo "$PULL_BASE"; return; fi
  if ! image_exists "$LOCAL_BASE"; then build_local_base >&2; fi
  echo "$LOCAL_BASE"
}

build_local_base() {
  say "$PULL_BASE cannot be pulled; building $LOCAL_BASE with debootstrap (about a minute)"
  if ! command -v debootstrap >/dev/null 2>&1; then
    command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ] \
      || fail "no base image can be pulled and debootstrap is missing: install it (apt-get install debootstrap)"
    (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap) >>/tmp/ctsim-apt.log 2>&1 \
      || fail "apt-get install debootstrap failed (log: /tmp/ctsim-apt.log)"
  fi
  local rootfs; rootfs="$(mktemp -d /var/tmp/ctsim-rootfs.XXXXXX)"
  debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates bookworm "$rootfs" \
    http://deb.debian.org/debian >/tmp/ctsim-debootstrap.log 2>&1 \
    || { rm -rf "$rootfs"; fail "debootstrap of Debian bookworm failed (log: /tmp/ctsim-debootstrap.log)"; }
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb
  tar -C "$rootfs" -c . | docker import --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["/bin/bash"]' - "$LOCAL_BASE" >/dev/null || { rm -rf "$rootfs"; fail "docker import of the bookworm root failed"; }
  rm -rf "$rootfs"
}

# The inputs an image is made of: a change to any of them (or to its base image) means a rebuild.
inputs_hash() {
  local base_id="$1"; shift
  { echo "$base_id"; find "$@" -type f -not -path '*/__pycache__/*' -not -name '*.pyc' -print0 \
      | LC_ALL=C sort -z | xargs -0 sha256sum; } | sha256sum | cut -c1-16
}

# build_cached TAG BASE CONTEXT INPUTS...: docker build CONTEXT on BASE unless an image of the same inputs exists.
build_cached() {
  local image="$1" base="$2" context="$3" hash cache; shift 3
  image_exists "$base" || fail "the base image $base is not in the local image store (and nothing is pulled here): build it, or unset CTSIM_BASE_IMAGE"
  hash="$(inputs_hash "$(docker image inspect --format '{{.Id}}' "$base")" "$@")"
  cache="ctsim-cache/${image//[:\/]/-}:$hash"
  if image_exists "$cache"; then
    say "up to date: $image ($cache)"
  else
    say "building $image on $base (inputs $hash)"
    docker build --network host --build-arg "BASE_IMAGE=$base" --build-arg "COMPONENT_IMAGE=$base" \
      --label "org.ctsim.inputs=$hash" -t "$cache" "$context" >/tmp/ctsim-docker-build.log 2>&1 \
      || fail "building $image failed: $(grep -v '^[[:space:]]*$' /tmp/ctsim-docker-build.log | tail -n 1 | cut -c1-200) (log: /tmp/ctsim-docker-build.log)"
  fi
  docker tag "$cache" "$image"
  # Older builds of the same image: drop their cache tags (shared layers stay while anything uses them).
  docker image ls --format '{{.Repository}}:{{.Tag}}' "${cache%%:*}" | grep -vxF "$cache" | xargs -r docker rmi >/dev/null 2>&1 || true
  say "ready: $image"
}

build_component_image() {
  local base="$1" image
  image="$("$PYTHON" -c 'from ctsim.pipeline.components import COMPONENT_IMAGE; print(COMPONENT_IMAGE)')" \
    || fail "cannot read COMPONENT_IMAGE with $PYTHON (install ctsim first: make install)"
  if [ -n "${PIP_CERT:-}" ] && [ -s "$PIP_CERT" ]; then cp "$PIP_CERT" ci/certs/host-ca.pem; else rm -f ci/certs/host-ca.pem; fi
  build_cached "$image" "$base" . Dockerfile .dockerignore pyproject.toml README.md ci/certs ctsim scenarios
  for dir in examples/*; do
    [ -f "$dir/Dockerfile" ] && [ -f "$dir/IMAGE" ] || continue
    # A team project's image: its Dockerfile at the project's root, its package and container scripts inside.
    build_cached "$(tr -d '[:space:]' <"$dir/IMAGE")" "$image" "$dir" "$dir/Dockerfile" "$dir/IMAGE" \
      $(find "$dir" -mindepth 1 -maxdepth 1 -type d -not -name data -not -name scenarios -not -name '*.egg-info' | sort)
  done
}

install_engine
start_engine
check_disk
base="$(base_image)"
say "base image: $base"
build_component_image "$base"
