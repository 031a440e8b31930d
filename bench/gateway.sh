#!/usr/bin/env bash
# The gateway key check (GET /gateway/check) under concurrent load, with a
# valid key (204) and an unknown one (401), among 10,000 subscriptions.
# Usage: bench/gateway.sh [seconds]   (DATABASE_URL=postgres://... for PostgreSQL)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
port=${BENCH_PORT:-8767}

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }

workdir=$(mktemp -d)
trap 'kill "${server:-0}" 2>/dev/null && wait "$server" 2>/dev/null; rm -rf "$workdir"' EXIT
export PORTICO_VAR_DIR="$workdir"
if [[ "${DATABASE_URL:-}" == postgres* ]]; then
  db=${DATABASE_URL##*/}
  psql "${DATABASE_URL%/*}/postgres" -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
fi
.venv/bin/python manage.py migrate --noinput -v0
keys=$(.venv/bin/python manage.py shell -v0 < bench/seed_keys.py)
key=$(sed -n 1p <<<"$keys")
api_key=$(sed -n 2p <<<"$keys")
PORTICO_BIND="127.0.0.1:$port" .venv/bin/gunicorn portal.wsgi:application \
  --config gunicorn.conf.py --access-logfile /dev/null --error-logfile "$workdir/gunicorn.log" &
server=$!
for _ in $(seq 1 50); do
  curl -fsS "http://127.0.0.1:$port/health/" >/dev/null 2>&1 && break
  sleep 0.2
done

url="http://127.0.0.1:$port/gateway/check"
status=$(curl -s -o /dev/null -w "%{http_code}" -H "Ocp-Apim-Subscription-Key: $key" -H "X-Product: bench" "$url")
[ "$status" = 204 ] || { echo "the valid key got $status"; tail -5 "$workdir/gunicorn.log"; exit 1; }
# label, key, the header naming what is called
for case in "valid|$key|X-Product: bench" "unknown|0000$key|X-Product: bench" \
  "product key, X-Api|$key|X-Api: bench-api" "API key, X-Api|$api_key|X-Api: bench-api"; do
  IFS="|" read -r label secret names <<<"$case"
  echo "== GET /gateway/check, $label (${seconds}s, 2 threads, 16 connections)"
  wrk -t2 -c16 -d"${seconds}s" --latency -H "Ocp-Apim-Subscription-Key: $secret" -H "$names" \
    "$url" | grep -E "Requests/sec|^ +50%|^ +99%|Non-2xx"
done
