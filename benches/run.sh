#!/usr/bin/env bash
# Benchmark of the release build on demo data (not a test): dashboard, "Tugas saya",
# a step page, the LKE scores and readiness page, the dashboard's identical bytes
# served by nginx (the outside reference), a stream of progress saves from 16
# writers and the CPU of one LKE score computation; for 1 and 50 years of history.
# Needs wrk and nginx (apt-get install wrk nginx-light).
# Usage: benches/run.sh [SECONDS] [YEARS...]
# BIN=path measures that server binary instead of building this checkout's (A/B runs
# of two builds, alternated so both meet the same load on the shared machine).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk belum terpasang: apt-get install -y wrk" >&2; exit 1; }
command -v nginx >/dev/null || { echo "nginx belum terpasang: apt-get install -y nginx-light" >&2; exit 1; }

SECS=${1:-10}
shift || true
YEARS=("${@:-1 50}")
[ "$#" -gt 0 ] && YEARS=("$@") || YEARS=(1 50)
PASS='sandi-demo-benchmark'
export NO_COLOR=1

if [ -z "${BIN:-}" ]; then
  cargo build --release -q
  BIN=${CARGO_TARGET_DIR:-target}/release/zi-tracker
fi
cargo bench --bench saves --no-run -q 2>/dev/null
cargo bench --bench lke_score --no-run -q 2>/dev/null
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
cpu_ticks() { # a process and its children (nginx's workers)
  local p t=0
  for p in "$1" $(pgrep -P "$1" || true); do t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat"))); done
  echo "$t"
}
measure() { # measure LABEL URL [COOKIE]; server CPU is that of $CPU_PID
  local out before after
  before=$(cpu_ticks "$CPU_PID")
  if [ -n "${3:-}" ]; then
    out=$(wrk -t2 -c64 -d"${SECS}s" --latency -H "Cookie: zi_sesi=$3" "$2")
  else
    out=$(wrk -t2 -c64 -d"${SECS}s" --latency "$2")
  fi
  after=$(cpu_ticks "$CPU_PID")
  local rps p50 p99 errs reqs cpu
  rps=$(awk '/Requests\/sec/ { print $2 }' <<<"$out")
  reqs=$(awk '/requests in/ { print $1 }' <<<"$out")
  cpu=$(awk -v t=$((after - before)) -v n="$reqs" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.0f", t / hz * 1e6 / n }')
  p50=$(awk '$1 == "50%" { print $2 }' <<<"$out")
  p99=$(awk '$1 == "99%" { print $2 }' <<<"$out")
  errs=$(awk '/Non-2xx or 3xx/ { print $5 }' <<<"$out")
  printf '%-22s %10s req/s  p50 %-9s p99 %-9s non-2xx %-4s server CPU %s µs/req\n' "$1" "$rps" "$p50" "$p99" "${errs:-0}" "$cpu"
  echo "$rps" > "$WORK/rps-$1"
  [ -n "${PID:-}" ] && printf '%-22s %s\n' "  peak RSS so far" "$(awk '/VmHWM/ { print $2, $3 }' /proc/$PID/status)"
  return 0
}

for Y in "${YEARS[@]}"; do
  DATA="$WORK/data-$Y"
  echo "== $Y tahun riwayat =="
  echo "$PASS" | "$BIN" demo-data --data-dir "$DATA" --years "$Y" --staff 16 --seed 1 --password-stdin 2>/dev/null | grep "^Data demo siap"
  STATIC="$WORK/static-$Y"; mkdir -p "$STATIC"
  RUST_LOG=zi_tracker=info "$BIN" serve --bind 127.0.0.1:0 --data-dir "$DATA" \
    > "$WORK/server-$Y.log" 2>&1 &
  PID=$!; CPU_PID=$PID
  for _ in $(seq 100); do grep -q 'buka http' "$WORK/server-$Y.log" 2>/dev/null && break; sleep 0.1; done
  BASE=$(grep -o 'http://127.0.0.1:[0-9]*' "$WORK/server-$Y.log" | head -1)
  LEAD=$(login "$BASE" pimpinan)
  STAFF=$(login "$BASE" staf01)
  DASH=$(curl -s -o /dev/null -w '%{redirect_url}' "$BASE/")
  curl -s -H "Cookie: zi_sesi=$LEAD" "$BASE/dashboard" > "$STATIC/dashboard.html"
  chmod 755 "$WORK" "$STATIC"; chmod 644 "$STATIC/dashboard.html"  # nginx's workers run unprivileged
  # nginx serves the identical bytes: one worker per core, as the tracker's runtime
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
  STEP=$(curl -s -H "Cookie: zi_sesi=$STAFF" "$BASE/tugas" | grep -o 'href="/langkah/[0-9]*?periode=[0-9-]*"' | head -1 | sed 's/href="//;s/"$//')
  measure "dashboard" "$BASE/dashboard" "$LEAD"
  CPU_PID=$(cat "$WORK/nginx.pid")
  [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$NPORT/dashboard.html")" = 200 ] \
    || { echo "nginx does not serve the page" >&2; exit 1; }
  measure "nginx-dashboard" "http://127.0.0.1:$NPORT/dashboard.html"
  CPU_PID=$PID
  measure "lke-readiness" "$BASE/lke/2026" "$LEAD"
  measure "tugas-saya" "$BASE/tugas" "$STAFF"
  measure "step-page" "$BASE$STEP" "$STAFF"
  echo "$PASS" | cargo bench -q --bench saves -- "$BASE" "$DATA" 16 "$SECS" 2>/dev/null | grep '^saves:'
  RATIO=$(awk -v a="$(cat "$WORK/rps-dashboard")" -v b="$(cat "$WORK/rps-nginx-dashboard")" 'BEGIN { printf "%.2f", a / b }')
  echo "dashboard/nginx ratio (throughput): $RATIO"
  cargo bench -q --bench lke_score -- "$DATA" 2026 2>/dev/null | grep '^lke-score'
  kill "$(cat "$WORK/nginx.pid")"; rm -f "$WORK/nginx.pid"
  echo "peak RSS (VmHWM): $(awk '/VmHWM/ { print $2, $3 }' /proc/$PID/status)"
  kill "$PID"; wait "$PID" 2>/dev/null || true
  : "$DASH"
done
