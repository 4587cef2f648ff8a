"""loadgen.py -- a bounded load generator that accounts for every answer.

A few worker processes each send requests on one keep-alive connection, as
fast as the server answers, until they are told to stop, a deadline passes
or a request budget is used up. Every request ends as exactly one of: a 2xx
(the event is acknowledged), a 503 (refused, not acknowledged), another
status, or an error (no answer: refused connection, reset, timeout). The
totals are therefore exact, which is what the fault and shutdown tests
check the Redis counters against.

Usage (the reliability suites: faults, shutdown):
    load = Load(port, path, workers=3, max_seconds=60)
    load.start(); ...; totals = load.stop()
"""

import http.client
import json
import multiprocessing
import time

from .ports import LOOPBACK


class Totals:
    FIELDS = ("ok", "unavailable", "other", "errors", "bad_503", "max_latency_ms")

    def __init__(self, **values):
        for f in self.FIELDS:
            setattr(self, f, values.get(f, 0))
        self.statuses = dict(values.get("statuses", {}))

    def add(self, other):
        for f in self.FIELDS:
            if f == "max_latency_ms":
                self.max_latency_ms = max(self.max_latency_ms, other.max_latency_ms)
            else:
                setattr(self, f, getattr(self, f) + getattr(other, f))
        for k, v in other.statuses.items():
            self.statuses[k] = self.statuses.get(k, 0) + v

    @property
    def sent(self):
        return self.ok + self.unavailable + self.other + self.errors

    def as_dict(self):
        d = {f: getattr(self, f) for f in self.FIELDS}
        d["statuses"] = self.statuses
        return d

    def __repr__(self):
        return "Totals(%s)" % ", ".join("%s=%s" % kv for kv in self.as_dict().items())


def _good_503(resp, body):
    """A 503 must say why in JSON and tell when to retry."""
    if resp.getheader("Retry-After") is None:
        return False
    try:
        doc = json.loads(body)
    except ValueError:
        return False
    return doc.get("success") is False and bool(doc.get("message"))


def _worker(port, path, stop, deadline, budget, results, timeout):
    totals = Totals()
    conn = None
    n = 0
    while not stop.is_set() and time.monotonic() < deadline and n < budget:
        n += 1
        if conn is None:
            conn = http.client.HTTPConnection(LOOPBACK, port, timeout=timeout)
        started = time.monotonic()
        try:
            conn.request("GET", path)
            resp = conn.getresponse()
            body = resp.read()
        except (OSError, http.client.HTTPException):
            totals.errors += 1
            conn.close()
            conn = None
            time.sleep(0.01)  # do not spin on a refused connection
            continue
        latency = (time.monotonic() - started) * 1000
        totals.max_latency_ms = max(totals.max_latency_ms, round(latency, 1))
        totals.statuses[resp.status] = totals.statuses.get(resp.status, 0) + 1
        if 200 <= resp.status < 300:
            totals.ok += 1
        elif resp.status == 503:
            totals.unavailable += 1
            if not _good_503(resp, body):
                totals.bad_503 += 1
            time.sleep(0.005)  # a refused client backs off a little
        else:
            totals.other += 1
        if resp.will_close:
            conn.close()
            conn = None
    if conn is not None:
        conn.close()
    results.put(totals.as_dict())


class Load:
    def __init__(self, port, path, workers=3, max_seconds=60.0, max_requests=10 ** 6,
                 timeout=5.0):
        self.args = (port, path)
        self.workers = workers
        self.max_seconds = max_seconds
        self.budget = max_requests // workers
        self.timeout = timeout
        self.stop_event = multiprocessing.Event()
        self.results = multiprocessing.Queue()
        self.procs = []

    def start(self):
        deadline = time.monotonic() + self.max_seconds
        for _ in range(self.workers):
            p = multiprocessing.Process(
                target=_worker, daemon=True,
                args=self.args + (self.stop_event, deadline, self.budget, self.results,
                                  self.timeout))
            p.start()
            self.procs.append(p)
        return self

    def stop(self):
        """Stops the workers and returns their summed Totals."""
        self.stop_event.set()
        totals = Totals()
        for _ in self.procs:
            totals.add(Totals(**self.results.get(timeout=self.max_seconds + 30)))
        for p in self.procs:
            p.join(10)
            if p.is_alive():
                p.kill()
        return totals
