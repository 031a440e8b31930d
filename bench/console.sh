#!/usr/bin/env bash
# Console and portal pages at full size (100,000 users, 5,000 groups,
# 1,000,000 memberships, 2,000 products), loaded with wrk as an administrator,
# as a developer in many groups and as a guest.
# Usage: bench/console.sh [seconds]
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/portico_bench bench/console.sh
# Without DATABASE_URL it uses a SQLite file under a temporary folder.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
port=${BENCH_PORT:-8766}

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }

workdir=$(mktemp -d)
trap 'kill "${server:-0}" 2>/dev/null && wait "$server" 2>/dev/null; rm -rf "$workdir"' EXIT
export PORTICO_VAR_DIR="$workdir"
if [[ "${DATABASE_URL:-}" == postgres* ]]; then
  db=${DATABASE_URL##*/}
  psql "${DATABASE_URL%/*}/postgres" -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
fi
seeded=$(.venv/bin/python bench/seed_large.py)
echo "$seeded"
cookie=$(echo "$seeded" | sed -n 's/^admin: //p')
developer=$(echo "$seeded" | sed -n 's/^developer: //p')
.venv/bin/python manage.py collectstatic --noinput -v0
PORTICO_BIND="127.0.0.1:$port" .venv/bin/gunicorn portal.wsgi:application \
  --config gunicorn.conf.py --access-logfile /dev/null --error-logfile "$workdir/gunicorn.log" &
server=$!
for _ in $(seq 1 50); do
  curl -fsS "http://127.0.0.1:$port/health/" >/dev/null 2>&1 && break
  sleep 0.2
done

load() {  # cookie path
  echo "== GET $2${1:+ (signed in)}"
  status=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $1" "http://127.0.0.1:$port$2")
  [ "$status" = 200 ] || { echo "status $status"; exit 1; }
  wrk -t2 -c8 -d"${seconds}s" --latency -H "Cookie: $1" "http://127.0.0.1:$port$2" \
    | grep -E "Requests/sec|^ +50%|^ +99%|Non-2xx"
}

for path in "/console/groups/" "/console/groups/?q=bench+group+04" "/console/groups/bench-02500/members/" \
    "/console/groups/bench-02500/members/add/?q=first1" "/console/users/" "/console/users/?q=last100" \
    "/console/users/?page=2000" "/console/products/" "/console/products/bench-product-0100/"; do
  load "$cookie" "$path"
done
for path in "/products/" "/products/?q=0042" "/"; do
  load "$developer" "$path"
  load "" "$path"
done
