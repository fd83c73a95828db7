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
# Run first, on a quiet machine: the pace of a UART in wall-clock time, and an idle device's air.
alone=(test/unit/modem-emulator.test.ts test/e2e/idle-reachable.test.ts)
# Three lanes of one file at a time (every lab run has namespaces and daemons of its own): two of
# suites that mostly wait on rekey, retry, outage and rung timers (little CPU), beside everything else.
tunnels=(test/e2e/tunnel.test.ts test/e2e/tunnel-xs.test.ts test/e2e/faults-xs.test.ts)
faults=(test/e2e/faults.test.ts test/e2e/ladder-faults.test.ts test/e2e/ladder-faults-xs.test.ts)
mapfile -t rest < <(find test -name '*.test.ts' | sort | grep -vxF -f <(printf '%s\n' "${alone[@]}" "${tunnels[@]}" "${faults[@]}"))

rc=0
tests "${alone[@]}" || rc=$?
tunnels_log=$(mktemp)
faults_log=$(mktemp)
tests "${tunnels[@]}" > "$tunnels_log" 2>&1 &
tunnels_lane=$!
tests "${faults[@]}" > "$faults_log" 2>&1 &
faults_lane=$!
tests "${rest[@]}" || rc=$?
wait "$tunnels_lane" || rc=$?
wait "$faults_lane" || rc=$?
echo "# ---- the second lane: ${tunnels[*]} ----"
cat "$tunnels_log"
echo "# ---- the third lane: ${faults[*]} ----"
cat "$faults_log"
rm -f "$tunnels_log" "$faults_log"
exit "$rc"
