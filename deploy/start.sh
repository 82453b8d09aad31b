#!/usr/bin/env bash
# The main job on a fresh machine: install, build, and bring up a one-node cluster
# (`skiff up`: Docker engine, images, the six components, node Ready, a kubeconfig).
# Running it again is harmless. Environment: SKIFF_DATA_DIR (default /var/lib/skiff).
set -euo pipefail
cd "$(dirname "$0")/.."
echo "==> Installing system packages"; bash deploy/install-deps.sh
echo "==> Installing npm packages"; npm install --no-audit --no-fund --loglevel=error
echo "==> Building"; npx tsc -p tsconfig.json
exec node dist/shared/cli.js up --data-dir "${SKIFF_DATA_DIR:-/var/lib/skiff}" "$@"
