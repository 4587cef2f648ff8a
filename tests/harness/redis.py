"""redis.py -- a private redis-server, and the one RESP client of the tests.

RedisServer runs redis-server on a loopback port with its data in a
scratch directory, no snapshots, and append-only persistence only when
asked (`aof=True`: an fsync before every reply, so that restart() after
kill() finds everything Redis ever acknowledged). restart() reuses the
port the first start() got.
"""

import signal
import socket
import time

from .ports import LOOPBACK, free_port
from .procs import START_TIMEOUT_S, Proc, StartError, make_tmpdir, remove_tmpdir, wait_until


class RedisError(Exception):
    pass


class RedisClient:
    """A tiny RESP client over a raw socket: enough to read counters and
    run a few commands. Arguments may be str (sent as UTF-8), int or bytes;
    bulk replies are returned as bytes, status replies as str."""

    def __init__(self, port, timeout=5.0):
        self.port = port
        self.sock = socket.create_connection((LOOPBACK, port), timeout=timeout)
        self.rfile = self.sock.makefile("rb")

    def close(self):
        try:
            self.rfile.close()
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def command(self, *args):
        parts = [b"*%d\r\n" % len(args)]
        for a in args:
            if isinstance(a, str):
                a = a.encode("utf-8")
            elif isinstance(a, int):
                a = str(a).encode()
            parts.append(b"$%d\r\n%s\r\n" % (len(a), a))
        self.sock.sendall(b"".join(parts))
        return self._read()

    def _read(self):
        line = self.rfile.readline()
        if not line.endswith(b"\r\n"):
            raise RedisError("connection closed by Redis")
        kind, rest = line[:1], line[1:-2]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RedisError(rest.decode("utf-8", "replace"))
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = self.rfile.read(n + 2)
            return data[:-2]
        if kind == b"*":
            n = int(rest)
            if n < 0:
                return None
            return [self._read() for _ in range(n)]
        raise RedisError("unexpected reply %r" % line)

    # conveniences
    def ping(self):
        return self.command("PING") == "PONG"

    def settle(self, quiet_s=0.06, timeout=3.0):
        """Waits until DBSIZE has stayed the same for `quiet_s` (bounded by
        `timeout`) and returns it. adstats writes the top lists and session
        HyperLogLogs after answering (the deferred index writer), so keys an
        earlier request made may still be arriving; a test that compares
        key counts around a refused request starts from a settled one."""
        deadline = time.monotonic() + timeout
        size, since = self.command("DBSIZE"), time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(quiet_s / 3)
            now = self.command("DBSIZE")
            if now != size:
                size, since = now, time.monotonic()
            elif time.monotonic() - since >= quiet_s:
                break
        return size

    def dbsize(self):
        """The number of keys, once they have settled (settle())."""
        return self.settle()

    def keys(self, pattern="*"):
        return sorted(self.command("KEYS", pattern))

    def hgetall(self, key):
        """HGETALL as {str: int} (the counters are integers)."""
        flat = self.command("HGETALL", key)
        return {flat[i].decode(): int(flat[i + 1]) for i in range(0, len(flat), 2)}

    def flushall(self):
        return self.command("FLUSHALL")


def redis_ping(port):
    """True if a Redis answers PING on the port."""
    try:
        with RedisClient(port, timeout=0.5) as r:
            return r.ping()
    except (OSError, RedisError):
        return False


class ServerProcess:
    """What every redis-server wrapper does with its process (`self.proc`,
    a Proc or None) and its scratch directory (`self.tmpdir`)."""

    def kill(self):
        """SIGKILL: no chance to flush anything."""
        if self.proc is not None:
            self.proc.signal(signal.SIGKILL)
            self.proc.stop()

    def stop(self):
        if self.proc is not None:
            self.proc.stop()

    def close(self):
        self.stop()
        remove_tmpdir(self.tmpdir)


class RedisServer(ServerProcess):
    """redis-server on `port` (default: a free one, retried if taken)."""

    def __init__(self, extra_args=(), port=None, aof=False):
        self.extra_args = list(extra_args)
        self.port = port
        self.aof = aof
        self.tmpdir = make_tmpdir("adstats-redis-")
        self.proc = None

    def argv(self, port):
        persistence = ["--appendonly", "yes", "--appendfsync", "always"] if self.aof \
            else ["--appendonly", "no"]
        return (["redis-server", "--port", str(port), "--bind", LOOPBACK, "--save", "",
                 "--dir", self.tmpdir] + persistence + self.extra_args)

    def start(self):
        for _ in range(3):
            port = self.port or free_port()
            self.proc = Proc("redis", self.argv(port), self.tmpdir)
            try:
                wait_until(lambda: redis_ping(port) or not self.proc.alive(), START_TIMEOUT_S,
                           0.02, "redis-server to answer PING")
            except TimeoutError:
                self.proc.stop()
                raise
            if self.proc.alive():
                self.port = port
                return self
            self.proc.stop()
            if self.port:  # a fixed port: no other to try
                break
        raise StartError("redis-server did not start:\n" + self.proc.stdout()[-2000:])

    def ready(self):
        return self.port is not None and redis_ping(self.port)

    def restart(self):
        """Starts it again on the same port (after kill() or stop())."""
        return self.start()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def client(self):
        return RedisClient(self.port)

    def command(self, *args):
        """One command on a fresh connection."""
        with RedisClient(self.port) as r:
            return r.command(*args)

    def counter(self, key, field):
        """HGET as an int (0 when absent)."""
        v = self.command("HGET", key, field)
        return int(v) if v is not None else 0

    @property
    def url(self):
        return "redis://%s:%d/0" % (LOOPBACK, self.port)
