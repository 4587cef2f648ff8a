"""stack.py -- the processes the reliability tests run, and how they talk
to them.

Each test starts its own redis-server, vastmock and adstats on free
loopback ports (Redis can be killed and restarted on the same port, with
its append-only file, for the fault test). Every process runs in a process
group of its own with its output in a file, and is stopped by the test or,
whatever happens, by an atexit hook (SIGTERM, SIGKILL after 5 s); scratch
directories go with them (ADSTATS_KEEP_TMP=1 keeps them).

Binaries come from $ADSTATS_BIN (default bin/), so the same tests run
against the sanitizer build. Standard library only.
"""

import atexit
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from harness import RedisClient, RedisError  # noqa: E402,F401  (the one RESP client of the tests)

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HOST = "127.0.0.1"


def bin_path(name):
    d = os.environ.get("ADSTATS_BIN", "bin")
    if not os.path.isabs(d):
        d = os.path.join(REPO, d)
    return os.path.join(d, name)


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout, what, interval=0.01):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError("timed out after %.1f s waiting for %s" % (timeout, what))
        time.sleep(interval)


def raise_fd_limit():
    """Raises this process' open-file limit to its hard limit (slow-client
    tests hold a thousand sockets)."""
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


# ---- processes -------------------------------------------------------------

_live = []
_scratch = []


def scratch_dir(prefix):
    d = tempfile.mkdtemp(prefix=prefix)
    _scratch.append(d)
    return d


class Proc:
    """A child in its own process group; stdout and stderr go to one file."""

    def __init__(self, argv, log_path):
        self.log_path = log_path
        with open(log_path, "ab") as log:
            self.popen = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                                          stderr=subprocess.STDOUT, start_new_session=True)
        self.pid = self.popen.pid
        _live.append(self)

    def alive(self):
        return self.popen.poll() is None

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def kill(self, sig=signal.SIGKILL):
        if self.alive():
            os.kill(self.pid, sig)

    def wait(self, timeout):
        try:
            return self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, grace=5.0):
        """SIGTERM, then SIGKILL after `grace` s; returns the exit code."""
        if self.alive():
            self.kill(signal.SIGTERM)
            if self.wait(grace) is None:
                self.kill(signal.SIGKILL)
                self.popen.wait(10)
        if self in _live:
            _live.remove(self)
        return self.popen.returncode


@atexit.register
def _cleanup():
    for p in list(_live):
        try:
            p.stop()
        except OSError:
            pass
    if os.environ.get("ADSTATS_KEEP_TMP") != "1":
        for d in _scratch:
            shutil.rmtree(d, ignore_errors=True)


# A run stopped by SIGTERM still stops what it started.
signal.signal(signal.SIGTERM, lambda signum, frame: exit(128 + signum))


# ---- Redis -------------------------------------------------------------------

class Redis:
    """A private redis-server on a fixed port; `aof=True` turns on
    append-only persistence with an fsync before every reply, so that
    restart() after kill() finds everything Redis ever acknowledged."""

    def __init__(self, aof=False):
        self.port = free_port()
        self.dir = scratch_dir("adstats-redis-")
        self.aof = aof
        self.proc = None

    def start(self):
        persistence = ["--appendonly", "yes", "--appendfsync", "always"] if self.aof \
            else ["--appendonly", "no"]
        self.proc = Proc(["redis-server", "--port", str(self.port), "--bind", HOST,
                          "--dir", self.dir, "--save", ""] + persistence,
                         os.path.join(self.dir, "redis.log"))
        wait_until(self.ready, 10, "redis-server on port %d" % self.port)
        return self

    def ready(self):
        try:
            with RedisClient(self.port, timeout=0.5) as r:
                return r.command("PING") == "PONG"
        except (OSError, RedisError):
            return False

    def kill(self):
        """SIGKILL: no chance to flush anything."""
        self.proc.kill(signal.SIGKILL)
        self.proc.wait(10)
        self.proc.stop()

    def restart(self):
        return self.start()

    def stop(self):
        if self.proc is not None:
            self.proc.stop()

    def command(self, *args):
        with RedisClient(self.port) as r:
            return r.command(*args)

    def counter(self, key, field):
        v = self.command("HGET", key, field)
        return int(v) if v is not None else 0

    @property
    def url(self):
        return "redis://%s:%d/0" % (HOST, self.port)


# ---- vastmock and adstats ----------------------------------------------------

class VastMock:
    def __init__(self):
        self.port = free_port()
        self.dir = scratch_dir("adstats-mock-")
        self.proc = Proc([bin_path("vastmock"), "--port", str(self.port)],
                         os.path.join(self.dir, "vastmock.log"))
        wait_until(lambda: port_answers(self.port), 10, "vastmock on port %d" % self.port)

    def set_scenario(self, entries):
        """entries: [(body, status, delay_ms), ...]; also clears the log."""
        status, _, body = http_request(self.port, "POST", "/setscenario",
                                       body=json.dumps([list(e) for e in entries]).encode())
        if status != 200:
            raise RuntimeError("setscenario: %d %r" % (status, body))

    def requests(self):
        return json.loads(http_request(self.port, "GET", "/requests")[2])

    def stop(self):
        self.proc.stop()

    @property
    def url(self):
        return "http://%s:%d/vast" % (HOST, self.port)


class Adstats:
    def __init__(self, redis_url, vast_url="http://127.0.0.1:9/vast", args=()):
        self.port = free_port()
        self.dir = scratch_dir("adstats-srv-")
        argv = [bin_path("adstats"), "--port", str(self.port), "--bind", HOST,
                "--redis-url", redis_url, "--vast-url", vast_url,
                "--error-log", os.path.join(self.dir, "backend_errors.log")] + list(args)
        self.proc = Proc(argv, os.path.join(self.dir, "adstats.log"))
        wait_until(lambda: port_answers(self.port) or not self.proc.alive(), 15,
                   "adstats on port %d" % self.port)
        if not self.proc.alive():
            raise RuntimeError("adstats exited at start-up:\n" + self.proc.log()[-3000:])

    @property
    def pid(self):
        return self.proc.pid

    def alive(self):
        return self.proc.alive()

    def log(self):
        return self.proc.log()

    def rss_kib(self):
        with open("/proc/%d/status" % self.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def stop(self, grace=10.0):
        return self.proc.stop(grace)

    def get(self, path, timeout=5.0):
        return http_request(self.port, "GET", path, timeout=timeout)

    def sanitizer_report(self):
        log = self.log()
        for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
            if marker in log:
                return log[max(0, log.index(marker) - 200):][:3000]
        return None

    def assert_healthy(self, testcase):
        """The process is up, and no sanitizer has reported anything."""
        testcase.assertTrue(self.alive(), "adstats died:\n" + self.log()[-3000:])
        testcase.assertIsNone(self.sanitizer_report())

    def stop_clean(self):
        """Stops adstats (SIGTERM); raises AssertionError unless it exited 0
        with no sanitizer report (LeakSanitizer reports at exit)."""
        code = self.stop()
        if code != 0:
            raise AssertionError("adstats exited %s:\n%s" % (code, self.log()[-3000:]))
        report = self.sanitizer_report()
        if report:
            raise AssertionError("sanitizer report:\n" + report)


def port_answers(port):
    try:
        socket.create_connection((HOST, port), timeout=0.2).close()
        return True
    except OSError:
        return False


# ---- HTTP ----------------------------------------------------------------------

def event_query(username, sdk_version="1.0", platform="android", country_code="US",
                session_id="s1"):
    return ("sdk_version=%s&session_id=%s&platform=%s&username=%s&country_code=%s"
            % (sdk_version, session_id, platform, username, country_code))


def http_request(port, method, path, body=None, headers=None, timeout=5.0):
    """One request on a fresh connection: (status, headers, body)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.headers, resp.read()
    finally:
        conn.close()


def raw_exchange(port, data, timeout=3.0, settle=0.3, head=False):
    """Sends raw bytes on a fresh connection and reads until the server
    closes, or nothing more has come for `settle` s after a complete
    response. Returns (raw bytes received, closed): closed is True if the
    server closed the connection. `head`: responses carry no body."""
    buf = b""
    closed = False
    with socket.create_connection((HOST, port), timeout=timeout) as s:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            complete = bool(buf) and parse_responses(buf, head)[1] == len(buf)
            s.settimeout(settle if complete else max(0.01, deadline - time.monotonic()))
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                if complete:
                    break
                continue
            except ConnectionResetError:
                closed = True
                break
            if not chunk:
                closed = True
                break
            buf += chunk
    return buf, closed


def parse_responses(buf, head=False):
    """Parses consecutive HTTP responses (framed by Content-Length) from
    `buf`; returns ([(status, headers with lower-case names, body)], bytes
    used). `head`: responses carry no body."""
    out, pos = [], 0
    while True:
        end = buf.find(b"\r\n\r\n", pos)
        if end < 0:
            return out, pos
        lines = buf[pos:end].decode("latin-1").split("\r\n")
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = 0 if head else int(headers.get("content-length", "0"))
        if len(buf) < end + 4 + length:
            return out, pos
        out.append((int(lines[0].split()[1]), headers, buf[end + 4:end + 4 + length]))
        pos = end + 4 + length
