#!/usr/bin/env bash
# Builds skiff's local images, idempotently. No registry is reachable from these machines,
# so every image is FROM scratch (or FROM another image built here) with local files only:
#
#   skiff/pause:3.10      deploy/images/pause: pause.c compiled with gcc -static -Os
#   skiff/busybox:1.35    deploy/images/busybox: Debian's busybox-static, a link per applet
#   skiff/hello-node:1.0  deploy/images/hello-node: busybox httpd on :8080, "Hello World!"
#   skiff/node:20         deploy/images/node: this machine's node binary and the libraries it
#                         links, FROM skiff/busybox (also tagged skiff/node:latest)
#   skiff/registry:2      deploy/images/registry: Debian's docker-registry with its libraries,
#                         FROM skiff/busybox, serving the registry API v2 on :5000
#
# deploy/examples/hello-node is the seeds' tutorial FROM skiff/node:20, for users to build.
#
# Each build context is assembled in a temp dir and hashed (names, modes, link targets,
# bytes); the image carries the hash as label skiff.content-hash, and an image whose label
# already matches is not built again. Builds into the engine DOCKER_HOST names (default: the
# local /var/run/docker.sock, started by deploy/docker.sh when it does not answer).
set -euo pipefail
umask 022
cd "$(dirname "$0")/.."

T0=$(date +%s%N)
say() { printf '==> [%5.1fs] %s\n' "$(( ($(date +%s%N) - T0) / 1000000 ))e-3" "$*"; }
fail() { say "FAILED: $*" >&2; exit 1; }

PAUSE_IMAGE=skiff/pause:3.10
BUSYBOX_IMAGE=skiff/busybox:1.35
HELLO_IMAGE=skiff/hello-node:1.0
NODE_IMAGE=skiff/node:20
NODE_LATEST=skiff/node:latest
REGISTRY_IMAGE=skiff/registry:2
BUSYBOX_BIN=/bin/busybox
REGISTRY_BIN=/usr/bin/docker-registry
HASH_LABEL=skiff.content-hash

if ! docker version --format '{{.Server.Version}}' >/dev/null 2>&1; then
  case "${DOCKER_HOST:-}" in
    "" | unix:///var/run/docker.sock) bash deploy/docker.sh ;;
    *) fail "the Docker engine at DOCKER_HOST=$DOCKER_HOST does not answer" ;;
  esac
fi
command -v gcc >/dev/null && [ -x "$BUSYBOX_BIN" ] \
  || fail "gcc or $BUSYBOX_BIN is missing: run deploy/docker.sh (it installs gcc, libc6-dev, busybox-static)"

# The tag says which busybox is inside: refuse to put another version under it.
bb_version=$("$BUSYBOX_BIN" 2>&1 | sed -n '1s/^BusyBox v\([0-9]*\.[0-9]*\).*/\1/p')
[ "$bb_version" = "${BUSYBOX_IMAGE##*:}" ] \
  || fail "$BUSYBOX_BIN is BusyBox $bb_version but the image is tagged $BUSYBOX_IMAGE: update BUSYBOX_IMAGE here and its users"
node_bin=$(command -v node) && node_bin=$(readlink -f "$node_bin") \
  || fail "no node on PATH: skiff/node is built from this machine's node (Node.js ${NODE_IMAGE##*:})"
node_version=$("$node_bin" --version) || fail "$node_bin --version failed"
node_major=${node_version#v}; node_major=${node_major%%.*}
[ "$node_major" = "${NODE_IMAGE##*:}" ] \
  || fail "$node_bin is Node.js $node_version but the image is tagged $NODE_IMAGE: update NODE_IMAGE here and FROM in deploy/examples/hello-node/Dockerfile"
[ -x "$REGISTRY_BIN" ] || fail "$REGISTRY_BIN is missing: run deploy/docker.sh (it installs docker-registry)"
registry_version=$("$REGISTRY_BIN" --version | sed -n 's/.* v\{0,1\}\([0-9][0-9]*\)\.[0-9].*/\1/p')
[ "$registry_version" = "${REGISTRY_IMAGE##*:}" ] \
  || fail "$REGISTRY_BIN is '$("$REGISTRY_BIN" --version)' but the image is tagged $REGISTRY_IMAGE: update REGISTRY_IMAGE here"

exec 9>/var/lock/skiff-build-images.lock
flock 9
work=$(mktemp -d /tmp/skiff-images.XXXXXX)
trap 'rm -rf "$work"' EXIT
built=0

# context_hash DIR [EXTRA]: sha256 of the context's file names, modes, link targets and bytes.
context_hash() {
  { (cd "$1" && find . -printf '%y %m %p -> %l\n' | LC_ALL=C sort \
      && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum); echo "${2:-}"; } \
    | sha256sum | cut -d' ' -f1
}

# build NAME CONTEXT [EXTRA-HASH-INPUT [docker build args…]]
build() {
  local name=$1 ctx=$2 extra=${3:-} hash have
  shift 3 || shift $#
  hash=$(context_hash "$ctx" "$extra")
  have=$(docker image inspect --format "{{index .Config.Labels \"$HASH_LABEL\"}}" "$name" 2>/dev/null || true)
  if [ "$have" = "$hash" ]; then
    say "$name is up to date ($HASH_LABEL ${hash:0:12})"
    return
  fi
  say "building $name ($HASH_LABEL ${hash:0:12}${have:+, was ${have:0:12}})"
  # The classic builder: works offline with FROM scratch on any engine version, and needs
  # no buildx plugin in the client.
  if ! DOCKER_BUILDKIT=0 docker build -q --label "$HASH_LABEL=$hash" -t "$name" "$@" "$ctx" >"$work/build.log" 2>&1; then
    cat "$work/build.log" >&2
    fail "docker build of $name"
  fi
  built=$((built + 1))
  say "built $name ($(docker image inspect --format '{{.Size}}' "$name" | awk '{printf "%.1f MB", $1 / 1e6}'))"
}

# add_binary BIN ROOTFS DEST: BIN at DEST in ROOTFS, plus every shared library ldd lists for
# it, the dynamic loader included, each at the path ldd names (symlinks resolved: a file).
add_binary() {
  local bin=$1 root=$2 dest=$3 deps lib
  install -D -m 755 "$bin" "$root$dest"
  if ! deps=$(LC_ALL=C ldd "$bin" 2>&1); then
    case $deps in *"not a dynamic executable"*) return 0 ;; esac # static: nothing to add
    fail "ldd $bin: $deps"
  fi
  if grep -q 'not found' <<<"$deps"; then
    fail "ldd $bin: libraries missing on this machine: $(grep 'not found' <<<"$deps" | tr -s ' \t\n' ' ')"
  fi
  for lib in $(awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' <<<"$deps"); do
    [ -e "$root$lib" ] || install -D -m "$(stat -L -c %a "$lib")" "$lib" "$root$lib"
  done
}

# --- skiff/pause ---------------------------------------------------------------------------
ctx=$work/pause
mkdir -p "$ctx"
cp deploy/images/pause/Dockerfile "$ctx/"
gcc -static -Os -s -Wall -Wextra -Werror -DVERSION="\"${PAUSE_IMAGE##*:}\"" \
  -o "$ctx/pause" deploy/images/pause/pause.c 2>"$work/gcc.log" \
  || { cat "$work/gcc.log" >&2; fail "gcc -static pause.c (static glibc comes with libc6-dev)"; }
chmod 755 "$ctx/pause"
build "$PAUSE_IMAGE" "$ctx"

# --- skiff/busybox -------------------------------------------------------------------------
ctx=$work/busybox
mkdir -p "$ctx/rootfs"/{bin,sbin,usr/bin,usr/sbin,etc,root,home,var/www}
cp deploy/images/busybox/Dockerfile "$ctx/"
install -m 755 "$BUSYBOX_BIN" "$ctx/rootfs/bin/busybox"
for applet in $("$BUSYBOX_BIN" --list); do
  [ "$applet" = busybox ] || ln -s busybox "$ctx/rootfs/bin/$applet"
done
ln -s ../../bin/env "$ctx/rootfs/usr/bin/env"
install -m 644 deploy/images/busybox/etc/passwd deploy/images/busybox/etc/group "$ctx/rootfs/etc/"
install -d -m 1777 "$ctx/rootfs/tmp"
chmod 700 "$ctx/rootfs/root"
build "$BUSYBOX_IMAGE" "$ctx"

# --- skiff/hello-node (FROM skiff/busybox: its image ID is part of the hash) ---------------
ctx=$work/hello-node
mkdir -p "$ctx"
cp -r deploy/images/hello-node/Dockerfile deploy/images/hello-node/www "$ctx/"
find "$ctx/www" -type d -exec chmod 755 {} + && chmod 755 "$ctx/www/cgi-bin/index.cgi"
base_id=$(docker image inspect --format '{{.Id}}' "$BUSYBOX_IMAGE")
build "$HELLO_IMAGE" "$ctx" "base=$base_id" --build-arg "BASE=$BUSYBOX_IMAGE"

# --- skiff/node (FROM skiff/busybox): /usr/local/bin/node and the libraries it links -------
ctx=$work/node
mkdir -p "$ctx/rootfs"
cp deploy/images/node/Dockerfile "$ctx/"
add_binary "$node_bin" "$ctx/rootfs" /usr/local/bin/node
build "$NODE_IMAGE" "$ctx" "base=$base_id version=$node_version" \
  --build-arg "BASE=$BUSYBOX_IMAGE" --build-arg "NODE_VERSION=${node_version#v}"
docker tag "$NODE_IMAGE" "$NODE_LATEST"

# --- skiff/registry (FROM skiff/busybox): /bin/registry, its libraries, config.yml ---------
ctx=$work/registry
mkdir -p "$ctx/rootfs/etc/docker/registry" "$ctx/rootfs/var/lib/registry"
cp deploy/images/registry/Dockerfile "$ctx/"
install -m 644 deploy/images/registry/config.yml "$ctx/rootfs/etc/docker/registry/"
add_binary "$REGISTRY_BIN" "$ctx/rootfs" /bin/registry
build "$REGISTRY_IMAGE" "$ctx" "base=$base_id" --build-arg "BASE=$BUSYBOX_IMAGE"

if [ "$built" -gt 0 ]; then
  # Earlier builds of these images, now untagged: only images that carry skiff's label.
  docker image prune -f --filter "label=$HASH_LABEL" >/dev/null
fi
say "done: $PAUSE_IMAGE $BUSYBOX_IMAGE $HELLO_IMAGE $NODE_IMAGE ($NODE_LATEST) $REGISTRY_IMAGE"
