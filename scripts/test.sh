#!/usr/bin/env bash
# The one test command (README, CI): installs what is missing, type-checks, builds, runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npx tsc -p tsconfig.json
npx tsc -p tsconfig.device.json
npx tsc -p hosts/esp32/tsconfig.json
node --import tsx scripts/build.ts
mapfile -t files < <(find test -name '*.test.ts' | sort)
# Lab tests share a machine with 2 cores: run files one at a time.
exec node --import tsx --test --test-concurrency=1 "${files[@]}"
