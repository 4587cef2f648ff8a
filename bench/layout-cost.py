#!/usr/bin/env python3
"""layout-cost.py -- Redis commands and memory per distinct-user event.

Starts a private redis-server and adstats ($ADSTATS_BIN, default bin/),
sends N /impression events (default 20000), each from a user not seen
before, over 64 keep-alive connections on 127.0.0.1, then reports Redis' own
figures: INFO commandstats calls / N (per command and in total) and the
used_memory delta / N. Then it restarts adstats one UTC day later (--now)
and sends one impression from each of the same users again: the memory
per further active day. Extra adstats flags follow `--`.

    PYTHONPATH=tests python3 bench/layout-cost.py [N] [-- --sessions-dimensions ...]
"""

import re
import selectors
import socket
import sys
import urllib.parse

from harness import LOOPBACK, Adstats, RedisServer, event_params

DAY1 = 1741608000  # 2025-03-10 12:00 UTC
CONNECTIONS = 64


def info(r, section):
    text = r.command("INFO", section).decode()
    return dict(line.split(":", 1) for line in text.splitlines() if ":" in line)


def commandstats(r):
    out = {}
    for k, v in info(r, "commandstats").items():
        fields = dict(f.split("=") for f in v.split(","))
        out[k.replace("cmdstat_", "")] = int(fields["calls"])
    return out


def send_all(port, n, prefix):
    """n GETs over CONNECTIONS keep-alive sockets, each with one request in
    flight, from one thread (selectors): enough concurrency for adstats'
    write combining to see many events per loop turn, as under wrk."""
    todo = iter(range(n))
    socks = {}
    sel = selectors.DefaultSelector()

    def send_next(s):
        i = next(todo, None)
        if i is None:
            sel.unregister(s)
            s.close()
            return
        q = urllib.parse.urlencode(event_params("%s%07d" % (prefix, i), "1.0",
                                                session_id="s%d" % i))
        s.sendall(("GET /impression?%s HTTP/1.1\r\nHost: x\r\n\r\n" % q).encode())
        socks[s] = b""

    for _ in range(CONNECTIONS):
        s = socket.create_connection((LOOPBACK, port))
        sel.register(s, selectors.EVENT_READ)
        send_next(s)
    while sel.get_map():
        for key, _ in sel.select(10):
            s = key.fileobj
            data = s.recv(65536)
            if not data:
                raise SystemExit("adstats closed a connection")
            buf = socks[s] + data
            head, sep, body = buf.partition(b"\r\n\r\n")
            if not sep:
                socks[s] = buf
                continue
            length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))
            if len(body) < length:
                socks[s] = buf
                continue
            if not head.startswith(b"HTTP/1.1 200"):
                raise SystemExit(head.decode())
            send_next(s)


def phase(redis, extra, now, n, label):
    app = Adstats(redis.url, None, ["--now", str(now)] + extra).start()
    with redis.client() as r:
        r.command("CONFIG", "RESETSTAT")
        mem0 = int(info(r, "memory")["used_memory"])
        send_all(app.port, n, "u")
        app.stop()
        mem1 = int(info(r, "memory")["used_memory"])
        stats = commandstats(r)
    for skip in ("config", "info", "ping", "auth", "select", "client", "hello"):
        stats.pop(skip, None)
    total = sum(stats.values())
    print("%s: %.2f Redis commands per event, %.0f B Redis memory per event" %
          (label, total / n, (mem1 - mem0) / n))
    print("   " + ", ".join("%s %.2f" % (k, v / n) for k, v in sorted(stats.items())))


def main():
    args = sys.argv[1:]
    extra = args[args.index("--") + 1:] if "--" in args else []
    args = args[:args.index("--")] if "--" in args else args
    n = int(args[0]) if args else 20000
    redis = RedisServer().start()
    try:
        phase(redis, extra, DAY1, n, "new users, one impression each")
        phase(redis, extra, DAY1 + 86400, n, "the same users, one impression the next day")
    finally:
        redis.close()


if __name__ == "__main__":
    main()
