#!/bin/bash
# Counts the SQL statements the server runs for one progress save (POST) and for the
# step page it redirects to (GET), from sqlx's statement log. Usage:
#   cargo build && benches/sql-per-save.sh        (BIN=path overrides the binary)
# sqlx does not log BEGIN/COMMIT; a "PRAGMA …" line is a new pool connection opening.
set -e
BIN=${BIN:-${CARGO_TARGET_DIR:-$(dirname "$0")/../target}/debug/zi-tracker}
D=$(mktemp -d)
echo 'kata-sandi-uji-panjang' | $BIN demo-data --data-dir $D/data --years 1 --staff 2 --seed 1 --password-stdin >/dev/null 2>&1
RUST_LOG=info,sqlx::query=debug NO_COLOR=1 $BIN serve --bind 127.0.0.1:3999 --data-dir $D/data > $D/log 2>&1 &
PID=$!
sleep 2
J=$D/jar
login=$(curl -s -c $J -b $J http://127.0.0.1:3999/login)
tok=$(echo "$login" | grep -o 'name="csrf_token" value="[^"]*"' | head -1 | sed 's/.*value="//;s/"//')
curl -s -c $J -b $J -o /dev/null -d "csrf_token=$tok&username=staf01&password=kata-sandi-uji-panjang" http://127.0.0.1:3999/login
tasks=$(curl -s -c $J -b $J "http://127.0.0.1:3999/tugas?periode=2021-2")
step=$(echo "$tasks" | grep -o 'href="/langkah/[0-9]*' | head -1 | sed 's/.*langkah\///')
page=$(curl -s -c $J -b $J "http://127.0.0.1:3999/langkah/$step?periode=2021-2")
csrf=$(echo "$page" | grep -o 'name="csrf_token" value="[^"]*"' | head -1 | sed 's/.*value="//;s/"//')
ver=$(echo "$page" | grep -o 'name="version" value="[^"]*"' | head -1 | sed 's/.*value="//;s/"//')
sleep 0.5
before=$(grep -c "sqlx::query" $D/log || true)
loc=$(curl -s -c $J -b $J -o /dev/null -w '%{redirect_url}' -d "csrf_token=$csrf&periode=2021-2&version=$ver&status=berjalan&realization=55&narrative=hitung" "http://127.0.0.1:3999/langkah/$step/progres")
sleep 0.5
mid=$(grep -c "sqlx::query" $D/log || true)
curl -s -c $J -b $J -o /dev/null "$loc"
sleep 0.5
after=$(grep -c "sqlx::query" $D/log || true)
echo "save POST: $((mid-before)) statements; redirected GET: $((after-mid)); round trip: $((after-before)) (redirect to $loc)"
kill $PID; wait $PID 2>/dev/null || true
grep "sqlx::query" $D/log | tail -n $((after-before)) | sed 's/.*summary="//;s/".*//' | cut -c1-90 > $D/stmts
cat $D/stmts
rm -rf $D
