"""vastmock.py -- the mock ad upstream (tools/vastmock/, bin/vastmock).

By default it answers GET /vast with a fixed VAST document; a test can
script it (set_scenario: bodies, statuses and delays served in order, then
the default), slow it down (set_delay) and read back when it received each
ad request (requests).
"""

import json

from .http import request
from .ports import LOOPBACK, free_port
from .procs import (START_TIMEOUT_S, Proc, StartError, binary, make_tmpdir, remove_tmpdir,
                    wait_until)


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

    def _post(self, path, doc):
        status, _, data = request(self.port, "POST", path, body=json.dumps(doc).encode(),
                                  headers={"Content-Type": "application/json"})
        if status != 200:
            raise RuntimeError("%s failed: %d %r" % (path[1:], status, data))

    def set_scenario(self, entries):
        """entries: [(body, status, delay_ms), ...], served in order, then
        the default VAST. Also clears the mock's request log."""
        self._post("/setscenario", [list(e) for e in entries])

    def set_delay(self, delay_ms):
        self._post("/setdelay", {"delay_ms": delay_ms})

    def requests(self):
        """Receive times (ms) of the ad requests since the last scenario."""
        status, _, data = request(self.port, "GET", "/requests")
        return json.loads(data)

    def fetch_default(self):
        """GET /vast straight from the mock."""
        return request(self.port, "GET", "/vast")
