#!/usr/bin/env bash
# The key check's latency while the portal takes a sign-in flood.
#
# Starts the two listeners `make run` starts (the portal, and the key check's
# own, PORTICO_LISTENER=gateway) with the production password hasher, then
# measures GET /gateway/check with wrk: idle, then during a distributed flood
# of wrong passwords on the portal (bench/signin_flood.py), on the check's own
# listener and, for contrast, on the portal's listener, where the check
# shares the workers that hash the passwords.
# Usage: bench/gateway_flood.sh [seconds]   (DATABASE_URL=postgres://... for PostgreSQL)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
portal_port=${BENCH_PORT:-8771}
gateway_port=${BENCH_GATEWAY_PORT:-8772}

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }

workdir=$(mktemp -d)
trap 'kill ${servers:-} 2>/dev/null; wait ${servers:-} 2>/dev/null; rm -rf "$workdir"' EXIT
export PORTICO_VAR_DIR="$workdir" DJANGO_BEHIND_TLS_PROXY=true
if [[ "${DATABASE_URL:-}" == postgres* ]]; then
  db=${DATABASE_URL##*/}
  psql "${DATABASE_URL%/*}/postgres" -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
fi
.venv/bin/python manage.py migrate --noinput -v0
.venv/bin/python manage.py collectstatic --noinput -v0
key=$(.venv/bin/python manage.py shell -v0 < bench/seed_keys.py)
PORTICO_BIND="127.0.0.1:$portal_port" ${BENCH_PORTAL_NICE:-nice -n 19} .venv/bin/gunicorn portal.wsgi:application \
  --config gunicorn.conf.py --access-logfile /dev/null --error-logfile "$workdir/portal.log" 2>>"$workdir/portal.log" &
servers="$!"
PORTICO_LISTENER=gateway PORTICO_GATEWAY_BIND="127.0.0.1:$gateway_port" \
  .venv/bin/gunicorn portal.wsgi:application \
  --config gunicorn.conf.py --access-logfile /dev/null --error-logfile "$workdir/gateway.log" 2>>"$workdir/gateway.log" &
servers="$servers $!"
for port in "$portal_port" "$gateway_port"; do
  for _ in $(seq 1 50); do
    curl -fsS "http://127.0.0.1:$port/health/" >/dev/null 2>&1 && break
    sleep 0.2
  done
done

check() {  # label port
  echo "== $1: GET /gateway/check on :$2 (${seconds}s, 1 thread, 4 connections)"
  wrk -t1 -c4 -d"${seconds}s" --latency -H "Ocp-Apim-Subscription-Key: $key" -H "X-Product: bench" \
    "http://127.0.0.1:$2/gateway/check" | grep -E "Requests/sec|^ +50%|^ +99%|Non-2xx|Socket errors"
}

status=$(curl -s -o /dev/null -w "%{http_code}" -H "Ocp-Apim-Subscription-Key: $key" \
  -H "X-Product: bench" "http://127.0.0.1:$gateway_port/gateway/check")
[ "$status" = 204 ] || { echo "the valid key got $status"; tail -5 "$workdir/gateway.log"; exit 1; }

check "idle, the check's own listener" "$gateway_port"
check "idle, the portal's listener" "$portal_port"
flood_for=$(( seconds * 2 + 4 ))
nice -n 10 .venv/bin/python bench/signin_flood.py "http://127.0.0.1:$portal_port" "$flood_for" 8 &
flood=$!
sleep 2
check "sign-in flood, the check's own listener" "$gateway_port"
check "sign-in flood, the portal's listener" "$portal_port"
wait "$flood"
