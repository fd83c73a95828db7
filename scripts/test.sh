#!/usr/bin/env bash
# The one test command (README, CI): installs what is missing, type-checks, builds, runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npx tsc -p tsconfig.json
npx tsc -p tsconfig.device.json
npx tsc -p hosts/esp32/tsconfig.json
node --import tsx scripts/build.ts

tests() { node --import tsx --test --test-concurrency=1 "$@"; }
# Measures the pace of a UART in wall-clock time: runs first, on a quiet machine.
alone=(test/unit/modem-emulator.test.ts)
# Two lanes of one file at a time (2 cores; every lab run has namespaces and daemons of its own):
# the tunnel suites and the modem recovery ladder, which mostly wait on rekey, retry and rung
# timers, beside everything else.
waiting=(test/e2e/tunnel.test.ts test/e2e/tunnel-xs.test.ts test/e2e/ladder-faults.test.ts)
mapfile -t rest < <(find test -name '*.test.ts' | sort | grep -vxF -f <(printf '%s\n' "${alone[@]}" "${waiting[@]}"))

rc=0
tests "${alone[@]}" || rc=$?
log=$(mktemp)
tests "${waiting[@]}" > "$log" 2>&1 &
lane=$!
tests "${rest[@]}" || rc=$?
wait "$lane" || rc=$?
echo "# ---- the second lane: ${waiting[*]} ----"
cat "$log"
rm -f "$log"
exit "$rc"
