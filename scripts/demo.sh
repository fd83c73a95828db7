#!/usr/bin/env bash
# The main job: a simulated device brings up its tunnel through the lab.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >&2
exec node --import tsx hosts/sim/demo.ts "$@"
