#!/usr/bin/env bash
# Start-up time of the CLI: wall seconds of `atomlab --help`, `atomlab list` and `atomlab show mnist-cnn`
# (5 runs each, median), and what `atomlab list` imports (python -X importtime, cumulative microseconds).
#   benchmarks/startup_time.sh [SRC_DIR]     (default: src; run from the repository root)
set -euo pipefail
SRC=${1:-src}
PY=${PYTHON:-.venv/bin/python}
run() { PYTHONPATH=$SRC "$PY" -c "import sys; from atomlab.cli import main; sys.exit(main(sys.argv[1:]))" "$@" >/dev/null 2>&1; }
for args in "--help" "list" "show mnist-cnn"; do
  times=()
  for _ in 1 2 3 4 5; do
    s=$(date +%s.%N); run $args; e=$(date +%s.%N)
    times+=("$(echo "$e - $s" | bc)")
  done
  printf 'atomlab %-15s median %.2f s  (runs: %s)\n' "$args" \
    "$(printf '%s\n' "${times[@]}" | sort -n | sed -n 3p)" "$(printf '%.2f ' "${times[@]}")"
done
PYTHONPATH=$SRC "$PY" -X importtime -c "from atomlab.cli import main; main(['list'])" 2>&1 >/dev/null \
  | awk -F'|' '$3 ~ /^ *(atomlab.cli|atomlab.catalog|torch|matplotlib|scipy.stats|pandas|sklearn)$/ {printf "  import %-16s %8.2f s cumulative\n", $3, $2 / 1e6}'
