#!/usr/bin/env bash
# Load the public pages of a freshly migrated Portico with wrk.
# Usage: bench/pages.sh [seconds]   (run from the clone; needs `make venv` first)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
port=${BENCH_PORT:-8765}

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }

workdir=$(mktemp -d)
trap 'kill "${server:-0}" 2>/dev/null && wait "$server" 2>/dev/null; rm -rf "$workdir"' EXIT
export PORTICO_VAR_DIR="$workdir"
.venv/bin/python manage.py migrate --noinput -v0
.venv/bin/python manage.py collectstatic --noinput -v0
PORTICO_BIND="127.0.0.1:$port" .venv/bin/gunicorn portal.wsgi:application \
  --config gunicorn.conf.py --access-logfile /dev/null --error-logfile "$workdir/gunicorn.log" &
server=$!
for _ in $(seq 1 50); do
  curl -fsS "http://127.0.0.1:$port/health/" >/dev/null 2>&1 && break
  sleep 0.2
done

for path in / /health/; do
  echo "== GET $path (${seconds}s, 2 threads, 16 connections)"
  wrk -t2 -c16 -d"${seconds}s" --latency "http://127.0.0.1:$port$path" | grep -E "Requests/sec|Latency|99%|Non-2xx"
done
