#!/usr/bin/env bash
# Mixed load with faults (bench/load.py): 32 clients browse, search and write
# for a bounded time, then every acknowledged write is compared with the
# database. One fresh database per mode; a PASS or FAIL line per mode at the end.
# Usage: bench/load.sh [seconds] [mode ...]
#   modes: sqlite postgres kill-sqlite kill-postgres restart-postgres disk-full
#   (all of them by default; run as root: PostgreSQL's own cluster is made
#   as the postgres account, and disk-full mounts a tmpfs)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
if [ $# -gt 0 ]; then shift; fi
modes=("$@")
if [ ${#modes[@]} -eq 0 ]; then
  modes=(sqlite postgres kill-sqlite kill-postgres restart-postgres disk-full)
fi
port=${BENCH_PORT:-8350}

declare -A flags=(
  [sqlite]="--database sqlite"
  [postgres]="--database postgres"
  [kill-sqlite]="--database sqlite --kill-worker 5"
  [kill-postgres]="--database postgres --kill-worker 5"
  [restart-postgres]="--database postgres --restart-postgres"
  [disk-full]="--database sqlite --disk-full"
)
results=()
status=0
for mode in "${modes[@]}"; do
  [ -n "${flags[$mode]:-}" ] || { echo "unknown mode: $mode" >&2; exit 2; }
  echo "=== $mode: bench/load.py --seconds $seconds ${flags[$mode]}"
  # shellcheck disable=SC2086 # the flags are words on purpose
  if .venv/bin/python bench/load.py --seconds "$seconds" --port "$port" ${flags[$mode]}; then
    results+=("PASS $mode")
  else
    results+=("FAIL $mode")
    status=1
  fi
done
printf '%s\n' "${results[@]}"
exit "$status"
