#!/bin/sh
# The two attacks of the connection hardening, against a release binary on 127.0.0.1,
# each bounded in time:
#   benches/net_attacks.sh slow BIN SRC   600 slow-body sockets from SRC (e.g. 127.0.0.2)
#                                         for 40 s, a curl of /login every second
#   benches/net_attacks.sh api BIN        20 s of rejected PortalRB calls (wrk -t1 -c8),
#                                         rows in api_failures before and after
# Needs python3, curl, wrk and sqlite3.
set -u
MODE=$1; BIN=$2
D=$(mktemp -d); PORT=$((30000 + $$ % 20000))
"$BIN" serve --bind 127.0.0.1:$PORT --data-dir "$D/data" --public-url http://127.0.0.1:$PORT \
  > "$D/server.log" 2>&1 &
PID=$!
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$PORT/healthz" && break; sleep 0.1; done
case $MODE in
slow)
  python3 "$(dirname "$0")/slow_body.py" $PORT 600 "$3" 40 3 &
  APID=$!
  sleep 2
  OK=0; N=0
  while kill -0 $APID 2>/dev/null; do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$PORT/login")
    N=$((N+1)); [ "$code" = 200 ] && OK=$((OK+1))
    sleep 1
  done
  wait $APID
  echo "curl /login during the attack: $OK/$N answered 200"
  ;;
api)
  echo "rows before: $(sqlite3 "$D/data/zi-tracker.db" 'select count(*) from api_failures')"
  wrk -t1 -c8 -d20s -H 'Authorization: Bearer zirb_salah' \
    "http://127.0.0.1:$PORT/api/portalrb/pengusulan/unit-wbk" | grep -E 'requests in|Non-2xx'
  echo "rows after: $(sqlite3 "$D/data/zi-tracker.db" 'select count(*) from api_failures')"
  ;;
esac
kill $PID; wait $PID 2>/dev/null; rm -rf "$D"
