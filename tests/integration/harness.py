"""harness.py -- start and stop adstats with a private Redis and mock upstream.

Everything the integration tests run is started here, on free loopback
ports, each process in a process group of its own, and is always stopped:
by the tests' tearDown/tearDownClass, and by an atexit hook for anything a
crashed test left behind (terminate, then kill after 5 s). Temporary
directories are removed at the same time (set ADSTATS_KEEP_TMP=1 to keep
them for a post-mortem).

The binaries come from $ADSTATS_BIN (default <repo>/bin), so the same tests
run against the AddressSanitizer build: ADSTATS_BIN=build/asan/bin.

Standard library only: http.client, socket, subprocess, json.
"""

import atexit
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

LOOPBACK = "127.0.0.1"
STOP_GRACE_S = 5.0
START_TIMEOUT_S = 15.0


def bin_dir():
    """Directory holding adstats and vastmock ($ADSTATS_BIN, else <repo>/bin)."""
    d = os.environ.get("ADSTATS_BIN", "")
    if not d:
        return os.path.join(REPO, "bin")
    if os.path.isabs(d):
        return d
    # A relative path is taken from the working directory if it is there,
    # else from the repository root (`ADSTATS_BIN=build/asan/bin`).
    if os.path.isdir(d):
        return os.path.abspath(d)
    return os.path.join(REPO, d)


def binary(name):
    path = os.path.join(bin_dir(), name)
    if not os.access(path, os.X_OK):
        raise RuntimeError("%s not found or not executable (run `make`, or set ADSTATS_BIN)" % path)
    return path


def free_port():
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]



def run_processes(target, jobs, timeout):
    """Runs target(conn, args) in one forked process per job and returns
    what each sends on its pipe, in order. Bounded: a process that has not
    answered within `timeout` s is killed and reported as a crash."""
    import multiprocessing
    ctx = multiprocessing.get_context("fork")
    procs = []
    try:
        for args in jobs:
            parent_end, child_end = ctx.Pipe(duplex=False)
            p = ctx.Process(target=target, args=(child_end, args), daemon=True)
            p.start()
            child_end.close()
            procs.append((p, parent_end))
        deadline = time.monotonic() + timeout
        results = []
        for p, end in procs:
            if end.poll(max(0.0, deadline - time.monotonic())):
                try:
                    results.append(end.recv())
                except EOFError:
                    results.append({"crash": "client exited with %s" % p.exitcode})
            else:
                results.append({"crash": "client gave no result within %.0f s" % timeout})
        return results
    finally:
        for p, end in procs:
            end.close()
            p.join(5)
            if p.is_alive():
                p.kill()
                p.join(5)

def port_open(port, timeout=0.2):
    try:
        with socket.create_connection((LOOPBACK, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_until(predicate, timeout, interval=0.01, what="condition"):
    """Polls `predicate` until it returns a true value (which is returned),
    at most `timeout` seconds; raises TimeoutError then."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise TimeoutError("timed out after %.1f s waiting for %s" % (timeout, what))
        time.sleep(interval)


SANITIZER_MARKERS = (
    "ERROR: AddressSanitizer",
    "ERROR: LeakSanitizer",
    "WARNING: AddressSanitizer",
    "runtime error:",
    "ThreadSanitizer",
    "UndefinedBehaviorSanitizer",
)


def sanitizer_report(text):
    """The first sanitizer report in `text` (a few lines), or None."""
    for marker in SANITIZER_MARKERS:
        i = text.find(marker)
        if i >= 0:
            start = text.rfind("\n", 0, max(0, i - 200)) + 1
            return text[start:start + 3000]
    return None


# ---- processes ------------------------------------------------------------

_live = set()
_live_lock = threading.Lock()
_tmpdirs = set()


def make_tmpdir(prefix="adstats-it-"):
    d = tempfile.mkdtemp(prefix=prefix)
    _tmpdirs.add(d)
    return d


def remove_tmpdir(d):
    if d is None:
        return
    _tmpdirs.discard(d)
    if os.environ.get("ADSTATS_KEEP_TMP") == "1":
        return
    shutil.rmtree(d, ignore_errors=True)


class Proc:
    """A child process in its own process group, with stdout and stderr in
    files (so that it can never block on a full pipe)."""

    def __init__(self, name, argv, tmpdir, env=None, cwd=None):
        self.name = name
        self.argv = list(argv)
        self.stdout_path = os.path.join(tmpdir, "%s.stdout" % name)
        self.stderr_path = os.path.join(tmpdir, "%s.stderr" % name)
        self.returncode = None
        out = open(self.stdout_path, "ab")
        err = open(self.stderr_path, "ab")
        try:
            self.popen = subprocess.Popen(
                self.argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                env=env, cwd=cwd, start_new_session=True)
        finally:
            out.close()
            err.close()
        self.pid = self.popen.pid
        with _live_lock:
            _live.add(self)

    def alive(self):
        return self.popen.poll() is None

    def stdout(self):
        return _read_text(self.stdout_path)

    def stderr(self):
        return _read_text(self.stderr_path)

    def signal(self, sig):
        if self.alive():
            try:
                os.killpg(self.pid, sig)
            except ProcessLookupError:
                pass

    def wait(self, timeout):
        try:
            return self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, grace=STOP_GRACE_S):
        """SIGTERM to the process group, SIGKILL after `grace` seconds.
        Returns the exit code (negative: killed by that signal)."""
        if self.popen.poll() is None:
            self.signal(signal.SIGTERM)
            if self.wait(grace) is None:
                try:
                    os.killpg(self.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.popen.wait(timeout=10)
        self.returncode = self.popen.returncode
        # Strays left in the group (there should be none) go too.
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        with _live_lock:
            _live.discard(self)
        return self.returncode


def _read_text(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except FileNotFoundError:
        return ""


def _stop_everything():
    if os.getpid() != _owner_pid:
        return  # a forked child: the servers are its parent's
    with _live_lock:
        procs = list(_live)
    for p in procs:
        try:
            p.stop()
        except Exception:  # atexit: do what can be done
            pass
    for d in list(_tmpdirs):
        remove_tmpdir(d)


atexit.register(_stop_everything)


_owner_pid = os.getpid()


def _on_sigterm(signum, frame):
    if os.getpid() != _owner_pid:
        # A forked child (a load-generating client) inherited this handler:
        # it just dies, as it would have without it.
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
        return
    # KeyboardInterrupt, not SystemExit: unittest records other exceptions
    # as a failed test and goes on, but lets this one end the run.
    raise KeyboardInterrupt("SIGTERM")


# A test run stopped by SIGTERM still stops its servers (atexit runs as the
# interpreter exits). Only the main thread of a run installs this.
if threading.current_thread() is threading.main_thread() and \
        signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
    signal.signal(signal.SIGTERM, _on_sigterm)


class StartError(RuntimeError):
    pass


# ---- Redis ----------------------------------------------------------------

class RedisError(Exception):
    pass


class RedisClient:
    """A tiny RESP client over a raw socket: enough to read counters and
    run a few commands. Arguments may be str (sent as UTF-8) or bytes;
    bulk replies are returned as bytes."""

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

    def dbsize(self):
        return self.command("DBSIZE")

    def keys(self, pattern="*"):
        return sorted(self.command("KEYS", pattern))

    def hgetall(self, key):
        """HGETALL as {str: int} (the counters are integers)."""
        flat = self.command("HGETALL", key)
        return {flat[i].decode(): int(flat[i + 1]) for i in range(0, len(flat), 2)}

    def flushall(self):
        return self.command("FLUSHALL")


def redis_ping(port):
    try:
        with RedisClient(port, timeout=0.5) as r:
            return r.ping()
    except (OSError, RedisError):
        return False


class RedisServer:
    def __init__(self, extra_args=(), port=None):
        self.extra_args = list(extra_args)
        self.port = port
        self.tmpdir = make_tmpdir("adstats-redis-")
        self.proc = None

    def start(self):
        for _ in range(3):
            port = self.port or free_port()
            argv = ["redis-server", "--port", str(port), "--bind", LOOPBACK, "--save", "",
                    "--appendonly", "no", "--dir", self.tmpdir] + self.extra_args
            self.proc = Proc("redis", argv, self.tmpdir)
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

    def stop(self):
        if self.proc is not None:
            self.proc.stop()

    def close(self):
        self.stop()
        remove_tmpdir(self.tmpdir)

    def client(self):
        return RedisClient(self.port)

    @property
    def url(self):
        return "redis://%s:%d/0" % (LOOPBACK, self.port)


# ---- the mock upstream ----------------------------------------------------

class VastMock:
    def __init__(self, extra_args=(), port=None):
        self.extra_args = list(extra_args)
        self.port = port
        self.tmpdir = make_tmpdir("adstats-mock-")
        self.proc = None

    def start(self):
        for _ in range(3):
            port = self.port or free_port()
            self.proc = Proc("vastmock", [binary("vastmock"), "--port", str(port)] + self.extra_args,
                             self.tmpdir)
            try:
                wait_until(lambda: "listening" in self.proc.stdout() or not self.proc.alive(),
                           START_TIMEOUT_S, 0.01, "vastmock's listening line")
            except TimeoutError:
                self.proc.stop()
                raise
            if self.proc.alive():
                self.port = port
                wait_until(lambda: self._healthy(), START_TIMEOUT_S, 0.02, "vastmock /healthz")
                return self
            self.proc.stop()
            if self.port:
                break
        raise StartError("vastmock did not start:\n" + self.proc.stderr()[-2000:])

    def _healthy(self):
        try:
            status, _, _ = request(self.port, "GET", "/healthz", timeout=1)
            return status == 200
        except OSError:
            return False

    def stop(self):
        if self.proc is not None:
            return self.proc.stop()
        return None

    def close(self):
        self.stop()
        remove_tmpdir(self.tmpdir)

    @property
    def url(self):
        return "http://%s:%d/vast" % (LOOPBACK, self.port)

    def set_scenario(self, entries):
        """entries: [(body, status, delay_ms), ...], served in order, then
        the default VAST. Also clears the mock's request log."""
        body = json.dumps([list(e) for e in entries]).encode()
        status, _, data = request(self.port, "POST", "/setscenario", body=body,
                                  headers={"Content-Type": "application/json"})
        if status != 200:
            raise RuntimeError("setscenario failed: %d %r" % (status, data))

    def set_delay(self, delay_ms):
        status, _, data = request(self.port, "POST", "/setdelay",
                                  body=json.dumps({"delay_ms": delay_ms}).encode(),
                                  headers={"Content-Type": "application/json"})
        if status != 200:
            raise RuntimeError("setdelay failed: %d %r" % (status, data))

    def requests(self):
        """Receive times (ms) of the ad requests since the last scenario."""
        status, _, data = request(self.port, "GET", "/requests")
        return json.loads(data)

    def fetch_default(self):
        """GET /vast straight from the mock."""
        return request(self.port, "GET", "/vast")


# ---- HTTP -----------------------------------------------------------------

def encode_query(params):
    """dict or list of pairs -> urlencoded (UTF-8, '+' for space); a str or
    bytes is taken as an already-encoded raw query."""
    if params is None:
        return ""
    if isinstance(params, bytes):
        return params.decode("latin-1")
    if isinstance(params, str):
        return params
    return urllib.parse.urlencode(params)


def request(port, method, path, params=None, body=None, headers=None, timeout=10.0):
    """One request on a fresh connection: (status, headers, body bytes)."""
    conn = http.client.HTTPConnection(LOOPBACK, port, timeout=timeout)
    try:
        return _do(conn, method, path, params, body, headers)
    finally:
        conn.close()


def _do(conn, method, path, params, body, headers):
    q = encode_query(params)
    target = path + ("?" + q if q else "")
    conn.request(method, target, body=body, headers=headers or {})
    resp = conn.getresponse()
    data = resp.read()
    return resp.status, resp.headers, data


class HTTPClient:
    """Keep-alive HTTP/1.1 client for one server. Not thread-safe: give each
    thread its own."""

    def __init__(self, port, timeout=10.0):
        self.port = port
        self.timeout = timeout
        self.conn = None

    def _conn(self):
        if self.conn is None:
            self.conn = http.client.HTTPConnection(LOOPBACK, self.port, timeout=self.timeout)
        return self.conn

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request(self, method, path, params=None, body=None, headers=None):
        try:
            return _do(self._conn(), method, path, params, body, headers)
        except BaseException:
            self.close()  # never reuse a connection in an unknown state
            raise

    def get(self, path, params=None, headers=None):
        return self.request("GET", path, params, headers=headers)

    def post_form(self, path, data, headers=None):
        """POST an application/x-www-form-urlencoded body (dict, pairs, or a
        raw str/bytes body)."""
        if isinstance(data, (dict, list, tuple)):
            data = urllib.parse.urlencode(data)
        if isinstance(data, str):
            data = data.encode("utf-8")
        h = {"Content-Type": "application/x-www-form-urlencoded"}
        h.update(headers or {})
        return self.request("POST", path, body=data, headers=h)


def raw_exchange(port, data, timeout=5.0, read_limit=1 << 20):
    """Sends raw bytes and reads until the server closes or a complete
    response with Content-Length has arrived. Returns (status, headers dict
    with lower-case names, body bytes)."""
    with socket.create_connection((LOOPBACK, port), timeout=timeout) as s:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        buf = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(buf) < read_limit:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            except socket.timeout:
                break
            if not chunk:
                break
            buf += chunk
            parsed = _parse_response(buf)
            if parsed is not None:
                return parsed
        parsed = _parse_response(buf, final=True)
        if parsed is None:
            raise ConnectionError("no complete HTTP response, got %r" % buf[:500])
        return parsed


def _parse_response(buf, final=False):
    head_end = buf.find(b"\r\n\r\n")
    if head_end < 0:
        return None
    lines = buf[:head_end].decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    body = buf[head_end + 4:]
    if "content-length" in headers:
        n = int(headers["content-length"])
        if len(body) < n:
            return None
        return status, headers, body[:n]
    return (status, headers, body) if final else None


# ---- adstats --------------------------------------------------------------

class Adstats:
    """One adstats process. `extra_args` are appended to the standard
    flags; `args=` replaces all flags (for configuration tests)."""

    def __init__(self, redis_url=None, vast_url=None, extra_args=(), port=None, env=None,
                 cwd=None, args=None, name="adstats"):
        self.tmpdir = make_tmpdir("adstats-srv-")
        self.port = port
        self.redis_url = redis_url
        self.vast_url = vast_url
        self.extra_args = list(extra_args)
        self.args = args
        self.env = env
        self.cwd = cwd or self.tmpdir  # never write backend_errors.log into the repo
        self.name = name
        self.error_log = os.path.join(self.tmpdir, "backend_errors.log")
        self.proc = None
        self.returncode = None
        self._client = None

    def argv(self, port):
        if self.args is not None:
            return [binary("adstats")] + list(self.args)
        return [binary("adstats"), "--port", str(port), "--bind", LOOPBACK,
                "--redis-url", self.redis_url, "--vast-url", self.vast_url,
                "--error-log", self.error_log] + self.extra_args

    def start(self, wait=True):
        for _ in range(3):
            port = self.port or free_port()
            self.proc = Proc(self.name, self.argv(port), self.tmpdir, env=self.env, cwd=self.cwd)
            if not wait:
                self.port = port
                return self
            try:
                wait_until(lambda: self._answers(port) or not self.proc.alive(), START_TIMEOUT_S,
                           0.02, "adstats to answer HTTP on port %d" % port)
            except TimeoutError:
                self.proc.stop()
                raise StartError("adstats did not answer:\n" + self.proc.stderr()[-3000:])
            if self.proc.alive():
                self.port = port
                return self
            self.proc.stop()
            if self.port:
                break
        raise StartError("adstats exited at start-up (%s):\n%s"
                         % (self.proc.returncode, self.proc.stderr()[-3000:]))

    @staticmethod
    def _answers(port):
        try:
            status, _, _ = request(port, "GET", "/__harness_probe__", timeout=1)
            return status > 0
        except (OSError, http.client.HTTPException):
            return False

    def alive(self):
        return self.proc is not None and self.proc.alive()

    def stderr(self):
        return self.proc.stderr() if self.proc else ""

    def sanitizer_report(self):
        return sanitizer_report(self.stderr())

    def stop(self, grace=STOP_GRACE_S):
        """Stops adstats (SIGTERM, SIGKILL after `grace` s); returns and
        remembers its exit code."""
        if self._client is not None:
            self._client.close()
        if self.proc is not None and self.returncode is None:
            self.returncode = self.proc.stop(grace)
        return self.returncode

    def close(self):
        self.stop()
        remove_tmpdir(self.tmpdir)

    # HTTP conveniences on one keep-alive connection
    @property
    def client(self):
        if self._client is None:
            self._client = HTTPClient(self.port)
        return self._client

    def get(self, path, params=None, headers=None):
        return self.client.get(path, params, headers)

    def post_form(self, path, data, headers=None):
        return self.client.post_form(path, data, headers)

    def request(self, method, path, params=None, body=None, headers=None):
        return self.client.request(method, path, params, body, headers)

    def backend_log(self):
        """The backend error log as a list of parsed JSON lines."""
        text = _read_text(self.error_log)
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    def wait_backend_log(self, count, timeout=3.0):
        """Waits until the backend log holds at least `count` lines (it is
        written by a thread of its own) and returns them."""
        return wait_until(lambda: (lambda l: l if len(l) >= count else None)(self.backend_log()),
                          timeout, 0.01, "%d lines in the backend error log" % count)


class Stack:
    """Redis + vastmock + adstats, started together."""

    def __init__(self, adstats_args=(), redis_args=(), mock_args=()):
        self.redis = RedisServer(redis_args)
        self.mock = VastMock(mock_args)
        self.adstats_args = list(adstats_args)
        self.adstats = None
        self.extra = []  # further adstats started with start_adstats

    def start(self):
        try:
            self.redis.start()
            self.mock.start()
            self.adstats = Adstats(self.redis.url, self.mock.url, self.adstats_args).start()
        except BaseException:
            self.close()
            raise
        return self

    def start_adstats(self, extra_args=(), vast_url=None, redis_url=None):
        a = Adstats(redis_url or self.redis.url, vast_url or self.mock.url, extra_args)
        self.extra.append(a)
        return a.start()

    def close(self):
        """Stops everything and removes the temporary directories (read the
        logs first); returns the main adstats' exit code."""
        code = None
        for a in self.extra:
            a.close()
        if self.adstats is not None:
            code = self.adstats.stop()
            self.adstats.close()
        self.mock.close()
        self.redis.close()
        return code

    def redis_client(self):
        return self.redis.client()


def event_params(username, sdk_version, session_id="sess-1", platform="android",
                 country_code="US"):
    """The five parameters of an /ad or /impression, in the contract's order."""
    return [("sdk_version", sdk_version), ("session_id", session_id), ("platform", platform),
            ("username", username), ("country_code", country_code)]


def clean_env(**extra):
    """The process environment without any adstats setting, plus `extra`."""
    names = ("PORT", "BIND", "THREADS", "MAX_CONNECTIONS", "IDLE_TIMEOUT_S", "REDIS_URL",
             "REDIS_TIMEOUT_MS", "VAST_URL", "VAST_TIMEOUT_MS", "VAST_LIMIT", "VAST_MAX_BYTES",
             "BACKEND_ERROR_LOG", "DRAIN_MS", "LOG_LEVEL", "ACCESS_LOG", "CORS_ORIGIN",
             "CORS_CREDENTIALS")
    env = {k: v for k, v in os.environ.items() if k not in names}
    env.update({k: str(v) for k, v in extra.items()})
    return env


# ---- a unittest base class ---------------------------------------------------

import itertools
import unittest

_names = itertools.count(1)


def unique(prefix="user"):
    """A name no other test uses."""
    return "%s-%d-%d" % (prefix, os.getpid(), next(_names))


def unique_version():
    """An SDK version no other test uses (digits and dots)."""
    return "%d.%d.%d" % (os.getpid() % 10000, next(_names), int(time.time() * 1000) % 100000)


class StackTestCase(unittest.TestCase):
    """One Redis + vastmock + adstats per test class. After the class, the
    adstats must still be alive, exit 0 on SIGTERM and have no sanitizer
    report on stderr; the same holds for every extra adstats a test
    started with self.stack.start_adstats()."""

    adstats_args = ()
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.stack = Stack(cls.adstats_args).start()
        cls.app = cls.stack.adstats
        cls.mock = cls.stack.mock
        cls.redis = cls.stack.redis.client()

    @classmethod
    def tearDownClass(cls):
        problems = []
        try:
            cls.redis.close()
            for a in [cls.app] + cls.stack.extra:
                stopped_by_test = a.returncode is not None
                died = not stopped_by_test and not a.alive()
                code = a.stop()
                report = a.sanitizer_report()
                found = []
                if died:
                    found.append("adstats on port %s had died during the tests (exit %s)"
                                 % (a.port, code))
                elif not stopped_by_test and code != 0:
                    found.append("adstats on port %s exited %s on SIGTERM, not 0" % (a.port, code))
                if report:
                    found.append("sanitizer report from adstats on port %s:\n%s" % (a.port, report))
                if found:
                    problems += found + ["its stderr (tail):\n" + a.stderr()[-3000:]]
        finally:
            cls.stack.close()
        if problems:
            raise AssertionError("\n".join(problems))

    def tearDown(self):
        if not self.app.alive():
            self.fail("adstats died:\n" + self.app.stderr()[-3000:])

    # -- helpers --
    def assertJSON(self, resp, status):
        """Checks status and Content-Type; returns the parsed body."""
        code, headers, body = resp
        self.assertEqual(code, status, "body: %r" % body[:500])
        ctype = headers.get("Content-Type", "")
        self.assertTrue(ctype.lower().startswith("application/json"),
                        "Content-Type %r, body %r" % (ctype, body[:200]))
        return json.loads(body.decode("utf-8"))

    def assertError(self, resp, status, mentions=None):
        """A JSON error: exactly {"success": false, "message": <str>}."""
        doc = self.assertJSON(resp, status)
        self.assertEqual(sorted(doc), ["message", "success"], doc)
        self.assertIs(doc["success"], False)
        self.assertIsInstance(doc["message"], str)
        self.assertTrue(doc["message"])
        for word in ([mentions] if isinstance(mentions, str) else mentions or []):
            self.assertIn(word, doc["message"])
        return doc["message"]

    def impression(self, user, sdk, post=False, app=None, **overrides):
        app = app or self.app
        params = event_params(user, sdk, **overrides)
        resp = app.post_form("/impression", params) if post else app.get("/impression", params)
        doc = self.assertJSON(resp, 200)
        self.assertEqual(doc, {"success": True, "message": "Successfully fetched"})
        return resp

    def ad(self, user, sdk, post=False, app=None, **overrides):
        app = app or self.app
        params = event_params(user, sdk, **overrides)
        return app.post_form("/ad", params) if post else app.get("/ad", params)

    def stats(self, app=None, **params):
        app = app or self.app
        return app.get("/statistics", params)

    def counters(self, dim, value):
        """HGETALL of as:<dim>:t:<value> straight from Redis."""
        key = b"as:" + dim.encode() + b":t:" + (value.encode() if isinstance(value, str) else value)
        return self.redis.hgetall(key)
