#!/bin/bash
# 20 s of refused sign-ins (wrk -t1 -c8, a wrong password for one account after it
# is locked) against a release binary on 127.0.0.1, with 40 real saves (a signed-in
# person's notification settings, a write with its audit entry) timed meanwhile.
# Prints the rows the flood added to login_attempts and the median save time.
# With MODE api the flood is 20 s of PortalRB calls with a wrong token instead, and the
# rows counted are api_failures'.
# usage: benches/refused-sign-ins.sh [BINARY] [PORT] [login|api]
# (apt-get install -y wrk sqlite3 curl once; cargo build --release first)
set -u
BIN=${1:-target/release/zi-tracker}; PORT=${2:-18431}; MODE=${3:-login}
TABLE=login_attempts; [ "$MODE" = api ] && TABLE=api_failures
D=$(mktemp -d)
B=http://127.0.0.1:$PORT
PW=kata-sandi-uji-panjang
echo "$PW" | $BIN --data-dir $D user add --username sasaran --role staf --password-stdin >/dev/null
echo "$PW" | $BIN --data-dir $D user add --username pengukur --role staf --password-stdin >/dev/null
$BIN serve --bind 127.0.0.1:$PORT --data-dir $D >$D/server.log 2>&1 &
SRV=$!
for i in $(seq 100); do curl -s -o /dev/null $B/login && break; sleep 0.1; done
tok() { grep -o 'name="csrf_token" value="[^"]*"' | head -1 | sed 's/.*value="//;s/"$//'; }
# the attacker's form token
T=$(curl -s -c $D/jar $B/login | tok)
for i in 1 2 3 4 5 6; do
  curl -s -o /dev/null -w "%{http_code} " -b $D/jar --data-urlencode "csrf_token=$T" -d username=sasaran -d password=salah-salah-salah $B/login
done; echo
# a real user signed in, for saves
T2=$(curl -s -c $D/jar2 $B/login | tok)
curl -s -o /dev/null -b $D/jar2 -c $D/jar2 --data-urlencode "csrf_token=$T2" -d username=pengukur -d password=$PW $B/login
S=$(curl -s -b $D/jar2 $B/akun/notifikasi | tok)
cat > $D/post.lua <<LUA
wrk.method = "POST"
wrk.body = "csrf_token=$T&username=sasaran&password=salah-salah-salah"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Cookie"] = "zi_csrf=$T"
LUA
save() { curl -s -o /dev/null -w "%{http_code} %{time_total}\n" -b $D/jar2 --data-urlencode "csrf_token=$S" -d mode=segera -d jam=7 -d email= $B/akun/notifikasi; }
for i in $(seq 20); do save; done > $D/saves-quiet
BEFORE=$(sqlite3 $D/zi-tracker.db "select count(*) from $TABLE")
if [ "$MODE" = api ]; then
  wrk -t1 -c8 -d20s -H 'Authorization: Bearer zirb_salah' $B/api/portalrb/pengusulan/unit-wbk > $D/wrk.out &
else
  wrk -t1 -c8 -d20s -s $D/post.lua $B/login > $D/wrk.out &
fi
WRK=$!
sleep 2
for i in $(seq 40); do save; sleep 0.3; done > $D/saves-flood
wait $WRK
AFTER=$(sqlite3 $D/zi-tracker.db "select count(*) from $TABLE")
kill $SRV; wait $SRV 2>/dev/null
echo "$TABLE rows before: $BEFORE after: $AFTER added: $((AFTER-BEFORE))"
grep -E "Requests/sec|requests in|Non-2xx" $D/wrk.out
med() { awk '{print $2}' $1 | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]*1000 " ms (n=" NR ")"}'; }
echo "save statuses quiet: $(awk '{print $1}' $D/saves-quiet | sort | uniq -c | tr '\n' ' ') flood: $(awk '{print $1}' $D/saves-flood | sort | uniq -c | tr '\n' ' ')"
echo "median save quiet: $(med $D/saves-quiet)  during flood: $(med $D/saves-flood)"
grep -c "sign-in refused" $D/server.log | sed 's/^/log lines "sign-in refused": /'
rm -rf "$D"
