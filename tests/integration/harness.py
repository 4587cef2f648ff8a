"""harness.py -- what the integration tests stand on: real processes on
free loopback ports, and a tiny HTTP client.

A Stack starts redis-server, vastmock and adstats (binaries from
$ADSTATS_BIN, default bin/) in a scratch directory, and stops every process
it started -- TERM, then KILL after 5 s -- when the `with` block ends, also
on failure. Nothing here targets anything but 127.0.0.1.
"""
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(ROOT, os.environ.get("ADSTATS_BIN", "bin"))

EVENT = {"sdk_version": "1.0", "session_id": "s1", "platform": "ios",
         "username": "alice", "country_code": "us"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port):
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def wait_for(predicate, timeout=10.0, interval=0.05):
    """Polls predicate() until it is true; returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # lower-cased names
        self.body = body

    def json(self):
        return json.loads(self.body)

    @property
    def text(self):
        return self.body.decode("utf-8")


def request(port, method, path, params=None, body=None, headers=None, timeout=10):
    """One HTTP request to 127.0.0.1:port on a fresh connection."""
    if params:
        path += "?" + urllib.parse.urlencode(params)
    headers = dict(headers or {})
    if isinstance(body, dict):
        body = urllib.parse.urlencode(body)
        headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
    if isinstance(body, str):
        body = body.encode()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers)
        r = conn.getresponse()
        data = r.read()
        return Response(r.status, {k.lower(): v for k, v in r.getheaders()}, data)
    finally:
        conn.close()


class Process:
    def __init__(self, name, argv, log_path, port, cwd=None, env=None):
        self.name, self.argv, self.log_path, self.port = name, argv, log_path, port
        self.log = open(log_path, "ab")
        self.stopped = False
        self.exited_early = False
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT,
                                     cwd=cwd, env=env)

    def wait_listening(self, timeout=10):
        ok = wait_for(lambda: port_open(self.port) or self.proc.poll() is not None, timeout)
        if not ok or self.proc.poll() is not None:
            raise RuntimeError(f"{self.name} did not start listening on {self.port}:\n"
                               + self.output())

    def output(self):
        if not self.log.closed:
            self.log.flush()
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stop(self, sig=signal.SIGTERM, timeout=10):
        """Stops the process (if still running) and returns its exit status."""
        if not self.stopped:
            self.exited_early = self.proc.poll() is not None
            if not self.exited_early:
                self.proc.send_signal(sig)
                try:
                    self.proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
            self.log.close()
            self.stopped = True
        return self.proc.returncode


class Adstats(Process):
    def get(self, path, params=None, **kw):
        return request(self.port, "GET", path, params, **kw)

    def post(self, path, body=None, **kw):
        return request(self.port, "POST", path, body=body, **kw)

    def request(self, method, path, params=None, **kw):
        return request(self.port, method, path, params, **kw)


class Stack:
    """with Stack() as s: s.redis(); s.vastmock(); a = s.adstats(...)"""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="adstats-it.")
        self.procs = []
        self.redis_port = None
        self.vast_port = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        """Stops everything; fails if an adstats did not exit cleanly (status
        0 on SIGTERM), which is how sanitizer reports surface."""
        unclean = []
        for p in reversed(self.procs):
            code = p.stop()
            if isinstance(p, Adstats) and (code != 0 or p.exited_early):
                unclean.append(f"adstats on port {p.port} exited with {code}"
                               f"{' before it was stopped' if p.exited_early else ''}:\n"
                               + p.output()[-4000:])
        self.procs = []
        shutil.rmtree(self.dir, ignore_errors=True)
        if unclean:
            raise AssertionError("\n".join(unclean))

    def path(self, name):
        return os.path.join(self.dir, name)

    def _start(self, cls, name, argv, port, wait=True, **kw):
        p = cls(name, argv, self.path(f"{name}-{port}.log"), port, **kw)
        self.procs.append(p)
        if wait:
            p.wait_listening()
        return p

    def redis(self, port=None):
        port = port or free_port()
        data = self.path(f"redis-{port}")
        os.makedirs(data, exist_ok=True)
        argv = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", data,
                "--save", "", "--appendonly", "no"]
        self.redis_port = port
        return self._start(Process, "redis", argv, port)

    def vastmock(self, *flags):
        port = free_port()
        self.vast_port = port
        return self._start(Process, "vastmock",
                           [os.path.join(BIN, "vastmock"), "--port", str(port), *flags], port)

    def adstats(self, *flags, redis_port=None, vast_port=None, binary=None, wait=True,
                cwd=None, env=None):
        port = free_port()
        argv = [binary or os.path.join(BIN, "adstats"), "--port", str(port),
                "--bind", "127.0.0.1",
                "--redis-url", f"redis://127.0.0.1:{redis_port or self.redis_port}/0",
                "--vast-url", f"http://127.0.0.1:{vast_port or self.vast_port or 9}/vast",
                "--error-log", self.path(f"backend-{port}.log"), *flags]
        return self._start(Adstats, "adstats", argv, port, wait=wait, cwd=cwd, env=env)

    def set_scenario(self, entries):
        r = request(self.vast_port, "POST", "/setscenario", body=json.dumps(entries),
                    headers={"Content-Type": "application/json"})
        assert r.status == 200, r.body


def run(argv, **kw):
    """Runs a command to completion; returns CompletedProcess (text)."""
    kw.setdefault("timeout", 120)
    return subprocess.run(argv, capture_output=True, text=True, **kw)
