"""adstats.py -- one adstats process under test.

Adstats(redis_url, vast_url, extra_args) runs bin/adstats on a loopback
port with its backend error log in a scratch directory; `args=` replaces
every flag instead (configuration tests). Besides starting and stopping:
HTTP on one keep-alive connection (get, post_form, request; with
fresh_connections=True a new connection each, so that connection counts
are predictable), the backend
error log, the process' resident memory, its stderr and a sanitizer report
found there, and the checks every suite ends with (assert_healthy,
stop_clean).
"""

import http.client
import json
import os
import re

from .http import HTTPClient, form_request, request
from .ports import LOOPBACK, free_port
from .procs import (REPO, START_TIMEOUT_S, STOP_GRACE_S, Proc, StartError, binary, make_tmpdir,
                    read_text, remove_tmpdir, wait_until)

# Where nothing listens (the discard port): for an adstats a test starts
# without an upstream.
NO_UPSTREAM = "http://127.0.0.1:9/vast"

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


def setting_env_names():
    """The environment variable of every setting, read from the settings
    table in src/config.c, so that a new setting is cleared too."""
    with open(os.path.join(REPO, "src", "config.c"), encoding="utf-8") as f:
        return frozenset(re.findall(r'_SETTING\(\s*"[^"]+",\s*"([A-Z0-9_]+)"', f.read()))


def clean_env(**extra):
    """The process environment without any adstats setting, plus `extra`."""
    names = setting_env_names()
    env = {k: v for k, v in os.environ.items() if k not in names}
    env.update({k: str(v) for k, v in extra.items()})
    return env


class Adstats:
    """One adstats process. `extra_args` are appended to the standard
    flags; `args=` replaces all flags (for configuration tests); `program=`
    runs another binary than bin/adstats (an installed one)."""

    def __init__(self, redis_url=None, vast_url=None, extra_args=(), port=None, env=None,
                 cwd=None, args=None, name="adstats", fresh_connections=False, program=None):
        self.tmpdir = make_tmpdir("adstats-srv-")
        self.port = port
        self.redis_url = redis_url
        self.vast_url = vast_url or NO_UPSTREAM
        self.extra_args = list(extra_args)
        self.args = args
        self.env = env
        self.cwd = cwd or self.tmpdir  # never write backend_errors.log into the repo
        self.name = name
        self.error_log = os.path.join(self.tmpdir, "backend_errors.log")
        self.proc = None
        self.returncode = None
        self._client = None
        self.fresh_connections = fresh_connections
        self.program = program

    def argv(self, port):
        program = self.program or binary("adstats")
        if self.args is not None:
            return [program] + list(self.args)
        # The top lists and unique sessions are written by a deferred
        # writer (docs/ARCHITECTURE.md): at the end of every loop turn here,
        # so that a test reading them on the connection it counted on sees
        # them at once; across connections or processes, tests poll
        # (procs.eventually). A later --index-flush-ms in extra_args wins.
        return [program, "--port", str(port), "--bind", LOOPBACK,
                "--redis-url", self.redis_url, "--vast-url", self.vast_url,
                "--error-log", self.error_log, "--index-flush-ms", "0"] + self.extra_args

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

    # ---- the process -----------------------------------------------------------

    @property
    def pid(self):
        return self.proc.pid

    def alive(self):
        return self.proc is not None and self.proc.alive()

    def stdout(self):
        return self.proc.stdout() if self.proc else ""

    def stderr(self):
        return self.proc.stderr() if self.proc else ""

    def log(self):
        """Everything it wrote, stdout then stderr."""
        return self.proc.log() if self.proc else ""

    def rss_kib(self):
        """Resident memory (VmRSS) in KiB."""
        with open("/proc/%d/status" % self.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

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

    # `with Adstats(...).start() as adstats:` -- a block that ends normally
    # must leave adstats exiting 0 on SIGTERM, without a sanitizer report
    # (stop_clean); however it ends, the process and its files are gone.
    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        try:
            if exc_type is None:
                self.stop_clean()
        finally:
            self.close()

    def assert_healthy(self, testcase):
        """The process is up, and no sanitizer has reported anything."""
        testcase.assertTrue(self.alive(), "adstats died:\n" + self.stderr()[-3000:])
        testcase.assertIsNone(self.sanitizer_report())

    def stop_clean(self, grace=10.0):
        """Stops adstats (SIGTERM); raises AssertionError unless it exited 0
        with no sanitizer report (LeakSanitizer reports at exit)."""
        code = self.stop(grace)
        if code != 0:
            raise AssertionError("adstats exited %s:\n%s" % (code, self.stderr()[-3000:]))
        report = self.sanitizer_report()
        if report:
            raise AssertionError("sanitizer report:\n" + report)

    # ---- HTTP: one keep-alive connection, or a fresh one with its own timeout --

    @property
    def client(self):
        if self._client is None:
            self._client = HTTPClient(self.port)
        return self._client

    def get(self, path, params=None, headers=None, timeout=None):
        if timeout is not None:
            return request(self.port, "GET", path, params, headers=headers, timeout=timeout)
        return self.request("GET", path, params, headers=headers)

    def post_form(self, path, data, headers=None):
        body, h = form_request(data, headers)
        return self.request("POST", path, body=body, headers=h)

    def request(self, method, path, params=None, body=None, headers=None):
        if self.fresh_connections:
            return request(self.port, method, path, params, body, headers)
        return self.client.request(method, path, params, body, headers)

    # ---- the backend error log -------------------------------------------------

    def backend_log(self):
        """The backend error log as a list of parsed JSON lines."""
        text = read_text(self.error_log)
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    def wait_backend_log(self, count, timeout=3.0):
        """Waits until the backend log holds at least `count` lines (it is
        written by a thread of its own) and returns them."""
        return wait_until(lambda: (lambda l: l if len(l) >= count else None)(self.backend_log()),
                          timeout, 0.01, "%d lines in the backend error log" % count)
