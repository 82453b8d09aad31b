#!/usr/bin/env bash
# Installs the Debian packages skiff needs when they are missing. Idempotent.
set -euo pipefail

missing=()
command -v kubectl >/dev/null 2>&1 || missing+=(kubectl)
command -v node >/dev/null 2>&1 || missing+=(nodejs npm)

if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages present: kubectl $(kubectl version --client 2>/dev/null | head -1 | awk '{print $3}'), node $(node --version)"
  exit 0
fi

if [ "$(id -u)" != 0 ]; then
  echo "missing: ${missing[*]}; run as root (or install them) and try again" >&2
  exit 1
fi
echo "installing: ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
