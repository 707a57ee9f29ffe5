#!/usr/bin/env python3
"""Slow-body attack for a bounded time (run by benches/net_attacks.sh): N sockets from
SRC each send a POST header with Content-Length: 100000 and then one body byte every
INTERVAL seconds; a socket the server closes is opened again.
Usage: slow_body.py PORT N SRC SECONDS [INTERVAL]"""
import socket, sys, time

port, n, src, secs = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
interval = float(sys.argv[5]) if len(sys.argv) > 5 else 3.0
HEAD = (b"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: 100000\r\n\r\n")

def open_one():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((src, 0))
    s.settimeout(2)
    s.connect(("127.0.0.1", port))
    s.sendall(HEAD)
    s.setblocking(False)
    return s

end = time.time() + secs
socks, opened, closed_by_server = [], 0, 0
for _ in range(n):
    try:
        socks.append(open_one()); opened += 1
    except OSError:
        socks.append(None)
while time.time() < end:
    for i, s in enumerate(socks):
        if time.time() >= end:
            break
        alive = s is not None
        if alive:
            try:
                # an answer (408, 503) or a close: the server is done with it
                s.recv(4096, socket.MSG_PEEK)
                alive = False
            except BlockingIOError:
                pass
            except OSError:
                alive = False
        if alive:
            try:
                s.send(b"a")
            except OSError:
                alive = False
        if not alive:
            if s is not None:
                closed_by_server += 1
                s.close()
            try:
                socks[i] = open_one(); opened += 1
            except OSError:
                socks[i] = None
    time.sleep(interval)
for s in socks:
    if s is not None:
        s.close()
print(f"slowbody: {n} sockets from {src}, {secs:.0f} s: {opened} opened, {closed_by_server} closed by the server")
