#!/bin/sh
# Build the local Python base image from Debian packages, without Docker Hub.
#
#   scripts/base-image.sh            build localhost/cutover/python-base:bookworm unless it exists
#   FORCE=1 scripts/base-image.sh    rebuild it
#
# The image is a Debian "essential" root file system plus python3, made by
# mmdebstrap, and imported into podman (always) and into docker (when a docker
# engine answers). service/Dockerfile takes it as
#   --build-arg BASE_IMAGE=localhost/cutover/python-base:bookworm
#
# Settings (environment):
#   BASE_IMAGE_NAME  image name to create     (localhost/cutover/python-base:bookworm)
#   SUITE            Debian suite             (bookworm)
#   MIRROR           Debian mirror            (mmdebstrap's default: http://deb.debian.org/debian)
#   PACKAGES         comma-separated packages (python3)
#   FORCE            1 rebuilds an existing image
set -eu

IMAGE="${BASE_IMAGE_NAME:-localhost/cutover/python-base:bookworm}"
SUITE="${SUITE:-bookworm}"
PACKAGES="${PACKAGES:-python3}"
FORCE="${FORCE:-0}"

have() { command -v "$1" >/dev/null 2>&1; }
# A docker client without an engine is common (and the case on our CI): ask the engine.
docker_answers() { have docker && docker info >/dev/null 2>&1; }
podman_has() { have podman && podman image exists "$IMAGE"; }
docker_has() { docker image inspect "$IMAGE" >/dev/null 2>&1; }

if ! have mmdebstrap; then
    echo "base-image: mmdebstrap is missing; install it with: apt-get install mmdebstrap" >&2
    exit 1
fi
if ! have podman && ! docker_answers; then
    echo "base-image: neither podman nor a docker engine is available; install one: apt-get install podman (or docker.io)" >&2
    exit 1
fi

# Builds started at the same time (test workers, Molecule scenarios, two test runs) wait for
# the first one and then find the image: one build per machine, never two imports racing.
lock_dir="${LAB_CLAIMS_DIR:-/tmp/cutover-lab-claims}"
mkdir -p "$lock_dir"
exec 9>"$lock_dir/base-image.lock"
flock 9

need_podman=0
need_docker=0
if have podman && { [ "$FORCE" = 1 ] || ! podman_has; }; then need_podman=1; fi
if docker_answers && { [ "$FORCE" = 1 ] || ! docker_has; }; then need_docker=1; fi
if [ "$need_podman" = 0 ] && [ "$need_docker" = 0 ]; then
    echo "base-image: $IMAGE exists (FORCE=1 rebuilds it)"
    exit 0
fi

workdir="$(mktemp -d "${TMPDIR:-/tmp}/base-image.XXXXXX")"
trap 'rm -rf "$workdir"' EXIT INT TERM
rootfs="$workdir/rootfs.tar"

# Documentation, man pages and translations are of no use in a service image.
echo "base-image: mmdebstrap $SUITE with $PACKAGES"
# shellcheck disable=SC2086  # MIRROR is intentionally optional (empty: mmdebstrap's default)
mmdebstrap --variant=essential --include="$PACKAGES" \
    --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-exclude=/usr/share/info/*' \
    "$SUITE" "$rootfs" ${MIRROR:-}

# What `docker run IMAGE` gets without a Dockerfile; the service's Dockerfile sets its own CMD.
set -- --change 'CMD ["python3"]' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8'

if [ "$need_podman" = 1 ]; then
    podman import --quiet --message "mmdebstrap $SUITE $PACKAGES" "$@" "$rootfs" "$IMAGE" >/dev/null
    echo "base-image: imported $IMAGE into podman"
fi
if [ "$need_docker" = 1 ]; then
    docker import --message "mmdebstrap $SUITE $PACKAGES" "$@" "$rootfs" "$IMAGE" >/dev/null
    echo "base-image: imported $IMAGE into docker"
fi
