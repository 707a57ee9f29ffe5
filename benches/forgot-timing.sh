#!/bin/bash
# "Lupa kata sandi" answer times, a known account with a verified address against an
# unknown name (40 pairs); usage: benches/forgot-timing.sh [BINARY] [PORT]
BIN=${1:-target/release/zi-tracker}; PORT=${2:-18444}
D=$(mktemp -d)
echo kata-sandi-uji-panjang | $BIN --data-dir $D user add --username sasaran --role staf --password-stdin --email sasaran@uji.go.id >/dev/null
$BIN serve --bind 127.0.0.1:$PORT --data-dir $D --trust-proxy --smtp-url smtp://127.0.0.1:9 --mail-from 'ZI <zi@uji.go.id>' > $D/log 2>&1 &
S=$!
for i in $(seq 100); do curl -s -o /dev/null http://127.0.0.1:$PORT/login && break; sleep 0.1; done
/usr/bin/python3 "$(dirname "$0")"/forgot-timing.py http://127.0.0.1:$PORT
echo "reset mails queued: $(sqlite3 $D/zi-tracker.db "select count(*) from outbox where kind='reset'")"
kill $S; wait $S 2>/dev/null; rm -rf $D
