# 40 pairs of /lupa-sandi posts (a known account with a verified address, an unknown
# name), alternating which goes first, each from its own forwarded address; median answer time of each.
import re, statistics, subprocess, sys, time, urllib.request, urllib.parse, http.cookiejar
base = sys.argv[1]
def post(who, ip):
    jar = http.cookiejar.CookieJar()
    op = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    html = op.open(base + "/lupa-sandi").read().decode()
    tok = re.search(r'name="csrf_token" value="([^"]*)"', html).group(1)
    data = urllib.parse.urlencode({"csrf_token": tok, "identitas": who}).encode()
    req = urllib.request.Request(base + "/lupa-sandi", data=data, headers={"X-Forwarded-For": ip})
    t = time.perf_counter(); r = op.open(req); r.read(); dt = time.perf_counter() - t
    assert r.status == 200, r.status
    return dt
known, unknown, slower = [], [], 0
for i in range(40):
    if i % 2 == 0:
        k = post("sasaran", f"10.9.{i}.1"); u = post("tidak-ada-orang", f"10.9.{i}.2")
    else:
        u = post("tidak-ada-orang", f"10.9.{i}.2"); k = post("sasaran", f"10.9.{i}.1")
    known.append(k); unknown.append(u); slower += k > u
print(f"median known {statistics.median(known)*1000:.3f} ms, unknown {statistics.median(unknown)*1000:.3f} ms, known slower in {slower} of 40 pairs")
