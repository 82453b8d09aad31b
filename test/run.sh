#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs what it needs, builds, runs every layer.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "Installing system packages the tests need"
bash deploy/install-deps.sh

step "Docker engine (installed and started when missing)"
bash deploy/docker.sh

step "Local images (skiff/pause, skiff/busybox, skiff/hello-node)"
bash deploy/build-images.sh

step "Installing npm packages (from package-lock.json)"
# npm ci rejects the lock file npm 11 itself writes (optional platform packages), so
# install from the lock with npm install, which keeps it unchanged.
npm install --no-audit --no-fund --loglevel=error

step "Type-checking and building"
npx tsc -p tsconfig.json

step "Running the test suite (unit, integration with the stock kubectl)"
mkdir -p .tmp
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json=.tmp/vitest.json "$@" || status=$?
# One plain closing line for CI: "N passed, N failed".
node -e '
  const r = JSON.parse(require("fs").readFileSync(".tmp/vitest.json", "utf8"));
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed`);
' || true
exit "$status"
