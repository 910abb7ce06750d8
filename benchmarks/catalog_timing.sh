#!/usr/bin/env bash
# Time the whole catalog at one scale (default quick), from an empty cache, and print the atlas line.
# Extra arguments go to `atomlab run --all`, e.g. `catalog_timing.sh paper --exclude mnist`.
set -euo pipefail
cd "$(dirname "$0")/.."
scale="${1:-quick}"
out="runs/atlas-$scale"
export ATOMLAB_CACHE="$(mktemp -d)"
export MPLBACKEND=Agg
start=$(date +%s)
.venv/bin/atomlab run --all --scale "$scale" --out "$out" --quiet "${@:2}" || true
end=$(date +%s)
echo "catalog at $scale scale: $((end - start)) s wall time (atlas: $out/index.html)"
