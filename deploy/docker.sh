#!/usr/bin/env bash
# Makes sure a local Docker engine answers on /var/run/docker.sock. Idempotent and safe
# to run while an engine already runs (it then only checks, in well under a second).
#
#  1. installs Debian's docker.io, iptables, iproute2, conntrack, busybox-static, gcc, libc6-dev, docker-registry when one
#     is missing (apt-get update only then);
#  2. when no engine answers: checks the cgroup mounts, picks a storage driver that works
#     on this filesystem (overlay2, else vfs; overlay2 failing in dockerd → vfs), starts
#     `dockerd` in the background (no systemd here) with its log in /var/log/skiff-dockerd.log;
#  3. waits until `docker version` answers (60 s at most, then says what failed);
#  4. keeps the engine local (DESIGN.md, safety rule): no NAT of container traffic, and a
#     DOCKER-USER rule that drops anything forwarded from containers to an uplink.
#
# Environment: SKIFF_DOCKER_STORAGE_DRIVER=overlay2|vfs forces the driver;
# SKIFF_DOCKER_WAIT=seconds changes the 60 s wait.
set -euo pipefail

SOCK=/var/run/docker.sock
LOG=/var/log/skiff-dockerd.log
DATA_ROOT=/var/lib/docker
WAIT=${SKIFF_DOCKER_WAIT:-60}
T0=$(date +%s%N)

say() { printf '==> [%5.1fs] %s\n' "$(( ($(date +%s%N) - T0) / 1000000 ))e-3" "$*"; }
fail() { printf '==> [%5.1fs] FAILED: %s\n' "$(( ($(date +%s%N) - T0) / 1000000 ))e-3" "$*" >&2; exit 1; }
# Ask the local engine itself, whatever DOCKER_HOST says: this script owns that one.
engine() { DOCKER_HOST=unix://$SOCK docker "$@"; }
answers() { engine version --format '{{.Server.Version}}' >/dev/null 2>&1; }

# start_dockerd DRIVER: dockerd in the background, in its own session (it outlives this
# script), without the lock's fd. Local only: the one unix socket (no TCP), cgroupfs (no
# systemd), no registry mirror, no NAT of container traffic (--ip-masq=false; pod-to-pod
# traffic is never NATed either).
start_dockerd() {
  local flags=(--host "unix://$SOCK" --data-root "$DATA_ROOT" --storage-driver "$1"
               --exec-opt native.cgroupdriver=cgroupfs --iptables=true --ip-masq=false
               --log-driver json-file --log-opt max-size=10m --log-opt max-file=2)
  say "starting dockerd ${flags[*]} (log: $LOG)"
  printf '\n---- %s skiff deploy/docker.sh: dockerd %s\n' "$(date -Is)" "${flags[*]}" >>"$LOG"
  log_from=$(wc -l <"$LOG")
  setsid dockerd "${flags[@]}" </dev/null >>"$LOG" 2>&1 9>&- &
  running_pid=$!
}

# wait_engine: 0 when the engine answers, 1 when dockerd exited, 2 after WAIT seconds.
wait_engine() {
  local deadline=$(( $(date +%s) + WAIT ))
  until answers; do
    kill -0 "$running_pid" 2>/dev/null || return 1
    [ "$(date +%s)" -lt "$deadline" ] || return 2
    sleep 0.2
  done
}

# --- 1. packages -----------------------------------------------------------------------
missing=()
pkg_ok() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q '^install ok installed$'; }
for p in docker.io iptables iproute2 conntrack busybox-static gcc libc6-dev docker-registry; do pkg_ok "$p" || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || fail "missing Debian packages: ${missing[*]}; run this script as root"
  say "installing ${missing[*]} (apt-get)"
  apt_log=$(mktemp)
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
         apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$apt_log" 2>&1; then
    cat "$apt_log" >&2
    fail "apt-get install ${missing[*]}"
  fi
  rm -f "$apt_log"
  say "installed ${missing[*]}"
fi
command -v docker >/dev/null || fail "no docker client on PATH after installing docker.io"

# Another run of this script may be starting the engine right now: one at a time.
exec 9>/var/lock/skiff-docker.lock
flock 9

if answers; then
  say "Docker engine $(engine version --format '{{.Server.Version}}') already answers on $SOCK ($(engine info --format '{{.Driver}}' 2>/dev/null) storage)"
else
  [ "$(id -u)" = 0 ] || fail "no Docker engine on $SOCK, and starting one needs root"

  # An engine that is starting (its pid file names a live dockerd) is waited for, not doubled.
  running_pid=""; log_from=1; driver=""
  if [ -s /var/run/docker.pid ] && kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null \
     && grep -q dockerd "/proc/$(cat /var/run/docker.pid)/cmdline" 2>/dev/null; then
    running_pid=$(cat /var/run/docker.pid)
    say "dockerd (pid $running_pid) is running but does not answer yet: waiting for it"
  fi

  if [ -z "$running_pid" ]; then
    # --- 2a. cgroups ---------------------------------------------------------------------
    if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
      cgroups="v2 ($(cat /sys/fs/cgroup/cgroup.controllers))"
    elif [ -d /sys/fs/cgroup/memory ] && [ -d /sys/fs/cgroup/cpu ]; then
      cgroups="v1 ($(find /sys/fs/cgroup -mindepth 1 -maxdepth 1 -type d -printf '%f ' | sed 's/ $//'))"
    else
      say "no cgroup hierarchy mounted on /sys/fs/cgroup: mounting cgroup2"
      mount -t cgroup2 -o nsdelegate cgroup2 /sys/fs/cgroup 2>/dev/null \
        || fail "cannot mount cgroups on /sys/fs/cgroup: Docker needs cgroup v1 or v2 (mount them, then rerun)"
      cgroups="v2 ($(cat /sys/fs/cgroup/cgroup.controllers))"
    fi
    say "cgroups: $cgroups"

    # --- 2b. storage driver: overlay2 when the kernel can mount an overlay on DATA_ROOT --
    driver=${SKIFF_DOCKER_STORAGE_DRIVER:-}
    if [ -z "$driver" ]; then
      mkdir -p "$DATA_ROOT"
      probe=$(mktemp -d "$DATA_ROOT/.skiff-overlay-probe.XXXXXX")
      mkdir -p "$probe"/{lower,upper,work,merged}
      echo ok >"$probe/lower/f"
      if mount -t overlay overlay -o "lowerdir=$probe/lower,upperdir=$probe/upper,workdir=$probe/work" "$probe/merged" 2>/dev/null; then
        if [ "$(cat "$probe/merged/f" 2>/dev/null)" = ok ]; then driver=overlay2; fi
        umount "$probe/merged"
      fi
      rm -rf "$probe"
      driver=${driver:-vfs}
    fi
    say "storage driver: $driver (data root $DATA_ROOT, $(stat -f -c %T "$DATA_ROOT"))"

    start_dockerd "$driver"
  fi

  # --- 3. wait until the engine answers -----------------------------------------------
  rc=0; wait_engine || rc=$?
  if [ "$rc" = 1 ] && [ "${driver:-}" = overlay2 ] && [ -z "${SKIFF_DOCKER_STORAGE_DRIVER:-}" ] \
     && tail -n "+$log_from" "$LOG" | grep -qiE 'overlay|graphdriver|d_type'; then
    say "dockerd failed with overlay2 (see $LOG): retrying with the vfs storage driver"
    driver=vfs
    start_dockerd "$driver"
    rc=0; wait_engine || rc=$?
  fi
  if [ "$rc" != 0 ]; then
    echo "---- last lines of $LOG:" >&2; tail -n 30 "$LOG" >&2
  fi
  if [ "$rc" = 1 ]; then
    fail "dockerd (pid $running_pid) exited before answering. Read $LOG. Usual causes: a cgroup
  controller missing (mount /sys/fs/cgroup), the storage driver (rerun with
  SKIFF_DOCKER_STORAGE_DRIVER=vfs), iptables (try: update-alternatives --set iptables
  /usr/sbin/iptables-legacy), or a stale $DATA_ROOT from another driver."
  elif [ "$rc" = 2 ]; then
    fail "dockerd (pid $running_pid) did not answer on $SOCK within ${WAIT}s. It is left running:
  read $LOG, then either wait and rerun this script (SKIFF_DOCKER_WAIT=120), or stop it
  with 'kill $running_pid' and rerun with SKIFF_DOCKER_STORAGE_DRIVER=vfs."
  fi
  say "Docker engine $(engine version --format '{{.Server.Version}}') answers on $SOCK (dockerd pid $running_pid)"
fi

# --- 4. nothing forwarded from a container leaves the machine ----------------------------
# The DOCKER-USER chain is Docker's place for the operator's rules; dockerd keeps it across
# restarts. Drop what containers send out of an interface that carries a default route.
if iptables -w -n -L DOCKER-USER >/dev/null 2>&1; then
  for dev in $(ip -4 route show default | awk '{for (i = 1; i < NF; i++) if ($i == "dev") print $(i + 1)}' | sort -u); do
    if ! iptables -w -C DOCKER-USER -o "$dev" -j DROP 2>/dev/null; then
      iptables -w -I DOCKER-USER -o "$dev" -j DROP
      say "iptables: DOCKER-USER drops forwarding to the uplink $dev"
    fi
  done
else
  say "warning: no DOCKER-USER chain (dockerd runs with --iptables=false?): egress from containers is not blocked"
fi
say "done"
