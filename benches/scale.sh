#!/usr/bin/env bash
# The instansi at scale (not a test): a demo of UNITS units × 20 staff × 3 years, then
# the roll-up and one unit's dashboard under 64 connections, the dashboard's identical
# bytes from nginx (the outside reference), 64 progress writers spread over the units,
# peak memory, database size, backup, restore and start-up time. One run, one machine.
# Needs wrk and nginx (apt-get install wrk nginx-light).
# Usage: benches/scale.sh [SECONDS] [UNITS]
# SCALE_DATA=DIR keeps the generated data dir there and reuses it on the next run
# (generation takes minutes at 500 units); the figures in BENCHMARKS.md are from a run
# that generated it.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk belum terpasang: apt-get install -y wrk" >&2; exit 1; }
command -v nginx >/dev/null || { echo "nginx belum terpasang: apt-get install -y nginx-light" >&2; exit 1; }
SECS=${1:-10}
UNITS=${2:-500}
PASS='sandi-demo-benchmark'
export NO_COLOR=1
cargo build --release -q
cargo bench --bench saves --no-run -q 2>/dev/null
BIN=target/release/zi-tracker
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null; rm -rf "$WORK"' EXIT
csrf() { grep -o 'name="csrf_token" value="[^"]*"' | head -1 | sed 's/.*value="//;s/"$//'; }
login() { # login BASE USER -> prints session cookie value
  local jar="$WORK/jar-$2"
  local t; t=$(curl -s -c "$jar" -b "$jar" "$1/login" | csrf)
  curl -s -c "$jar" -b "$jar" -o /dev/null --data-urlencode "csrf_token=$t" \
    --data-urlencode "username=$2" --data-urlencode "password=$PASS" "$1/login"
  awk '$6 == "zi_sesi" { print $7 }' "$jar"
}
now() { date +%s.%N; }
measure() { # measure LABEL URL [COOKIE]
  local out
  if [ -n "${3:-}" ]; then
    out=$(wrk -t2 -c64 -d"${SECS}s" --latency -H "Cookie: zi_sesi=$3" "$2")
  else
    out=$(wrk -t2 -c64 -d"${SECS}s" --latency "$2")
  fi
  local rps p50 p99 errs
  rps=$(awk '/Requests\/sec/ { print $2 }' <<<"$out")
  p50=$(awk '$1 == "50%" { print $2 }' <<<"$out")
  p99=$(awk '$1 == "99%" { print $2 }' <<<"$out")
  errs=$(awk '/Non-2xx or 3xx/ { print $5 }' <<<"$out")
  printf '%-20s %10s req/s  p50 %-9s p99 %-9s non-2xx %s\n' "$1" "$rps" "$p50" "$p99" "${errs:-0}"
  echo "$rps" > "$WORK/rps-$1"
}

DATA="${SCALE_DATA:-$WORK/data}"
if [ -f "$DATA/zi-tracker.db" ]; then
  echo "reusing $DATA"
else
  T0=$(now)
  echo "$PASS" | "$BIN" demo-data --data-dir "$DATA" --units "$UNITS" --staff 20 --years 3 --seed 1 --password-stdin 2>/dev/null | grep "^Data demo siap"
  T1=$(now)
  printf 'demo data: %.0f s\n' "$(echo "$T1 - $T0" | bc)"
fi
STEPS=$(sqlite3 "$DATA/zi-tracker.db" "SELECT count(*) FROM action_steps" 2>/dev/null || echo '?')
VERSIONS=$(sqlite3 "$DATA/zi-tracker.db" "SELECT count(*) FROM progress_history" 2>/dev/null || echo '?')
echo "steps: $STEPS, progress versions: $VERSIONS"
echo "database size: $(du -h "$DATA/zi-tracker.db" | cut -f1) (data dir $(du -sh "$DATA" | cut -f1))"

T0=$(now)
"$BIN" backup --to "$WORK/backup" --data-dir "$DATA" >/dev/null
T1=$(now)
"$BIN" restore --from "$WORK/backup" --data-dir "$WORK/restored" >/dev/null
T2=$(now)
printf 'backup: %.1f s, restore: %.1f s\n' "$(echo "$T1 - $T0" | bc)" "$(echo "$T2 - $T1" | bc)"
rm -rf "$WORK/backup" "$WORK/restored"

T0=$(now)
RUST_LOG=zi_tracker=info "$BIN" serve --bind 127.0.0.1:0 --data-dir "$DATA" > "$WORK/server.log" 2>&1 &
PID=$!
for _ in $(seq 600); do grep -q 'buka http' "$WORK/server.log" 2>/dev/null && break; sleep 0.02; done
BASE=$(grep -o 'http://127.0.0.1:[0-9]*' "$WORK/server.log" | head -1)
until curl -s -o /dev/null "$BASE/healthz"; do sleep 0.01; done
T1=$(now)
printf 'start-up (launch to first answer): %.2f s\n' "$(echo "$T1 - $T0" | bc)"

LEADER=$(login "$BASE" pimpinan-instansi)
UNIT_LEAD=$(login "$BASE" pimpinan-u250)
[ -n "$UNIT_LEAD" ] || UNIT_LEAD=$(login "$BASE" pimpinan-balitnak)
ROLLUP="$BASE/instansi/rekap?periode=2023-2"
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: zi_sesi=$LEADER" "$ROLLUP")" = 200 ] || { echo "roll-up does not answer" >&2; exit 1; }
measure "roll-up" "$ROLLUP" "$LEADER"
# the page nginx serves is the dashboard's first answer (which also fills its cache)
STATIC="$WORK/static"; mkdir -p "$STATIC"
curl -s -H "Cookie: zi_sesi=$UNIT_LEAD" "$BASE/dashboard" > "$STATIC/dashboard.html"
measure "unit-dashboard" "$BASE/dashboard" "$UNIT_LEAD"
chmod 755 "$WORK" "$STATIC"; chmod 644 "$STATIC/dashboard.html"
NPORT=$((20000 + RANDOM % 20000))
cat > "$WORK/nginx.conf" <<NGINX
worker_processes auto;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log;
events { worker_connections 1024; }
http { access_log off; default_type text/html; server { listen 127.0.0.1:$NPORT; root $STATIC; } }
NGINX
nginx -c "$WORK/nginx.conf"
for _ in $(seq 50); do [ -s "$WORK/nginx.pid" ] && break; sleep 0.1; done
measure "nginx-dashboard" "http://127.0.0.1:$NPORT/dashboard.html"
kill "$(cat "$WORK/nginx.pid")"; rm -f "$WORK/nginx.pid"
RATIO=$(awk -v a="$(cat "$WORK/rps-unit-dashboard")" -v b="$(cat "$WORK/rps-nginx-dashboard")" 'BEGIN { printf "%.2f", a / b }')
echo "unit dashboard / nginx (throughput): $RATIO"
echo "$PASS" | cargo bench -q --bench saves -- "$BASE" "$DATA" 64 "$SECS" "$UNITS" 2>/dev/null | grep '^saves:'
echo "peak RSS (VmHWM): $(awk '/VmHWM/ { print $2, $3 }' /proc/$PID/status)"
kill "$PID"; wait "$PID" 2>/dev/null || true
