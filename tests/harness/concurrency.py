"""concurrency.py -- client processes that tally every request they send.

Used by the concurrency test (tests/integration/test_concurrency.py) and,
through nginx, by the cluster test (tests/cluster/test_cluster.py): each
client process sends its share of a mix of /ad and /impression requests
(about a third /ad, some as form POSTs) over a few users and SDK versions
on one keep-alive connection, and returns what it sent and what got a 200,
so that the caller can check the counters against the tallies exactly
(merge adds the clients' tallies up, per_subject reads them per user or
SDK version, statistics_counts reads what adstats counted).
"""

import collections
import http.client
import json
import random
import signal
import time
import urllib.parse

from .http import event_params
from .ports import LOOPBACK
from .procs import run_processes

CLIENTS = 8
DEADLINE_S = 90.0  # each client stops sending after this, whatever is left


def send_events(port, client_id, n_requests, seed, draw):
    """Sends `n_requests` events on one keep-alive connection, about a third
    /ad and the rest /impression, a fifth of them as form POSTs.
    `draw(rng, i)` gives request i's query (encoded) and the tally keys a
    200 counts towards. Returns plain dicts (picklable): "sent" and "ok"
    per key, "statuses", and "errors" (at most about 20)."""
    rng = random.Random(seed)
    sent, ok, statuses = collections.Counter(), collections.Counter(), collections.Counter()
    errors = []
    conn = http.client.HTTPConnection(LOOPBACK, port, timeout=15)
    deadline = time.monotonic() + DEADLINE_S
    for i in range(n_requests):
        if time.monotonic() > deadline:
            errors.append("client %d: deadline reached after %d requests" % (client_id, i))
            break
        kind = "ad" if rng.randrange(3) == 0 else "imp"
        query, keys = draw(rng, i)
        keys = [(kind,) + k for k in keys]
        path = "/ad" if kind == "ad" else "/impression"
        sent.update(keys)
        try:
            if rng.randrange(5) == 0:
                conn.request("POST", path, body=query.encode(),
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
            else:
                conn.request("GET", path + "?" + query)
            resp = conn.getresponse()
            body = resp.read()
        except (OSError, http.client.HTTPException) as e:
            errors.append("client %d request %d %s: %s: %s"
                          % (client_id, i, path, type(e).__name__, e))
            conn.close()
            conn = http.client.HTTPConnection(LOOPBACK, port, timeout=15)
            continue
        statuses[resp.status] += 1
        if resp.status == 200:
            ok.update(keys)
        elif len(errors) < 20:
            errors.append("client %d request %d %s: %d %r"
                          % (client_id, i, path, resp.status, body[:200]))
    conn.close()
    return {"sent": dict(sent), "ok": dict(ok), "statuses": dict(statuses), "errors": errors}


def client_main(port, client_id, n_requests, users, sdks, seed):
    """One client process: returns its tallies, keyed by (kind, user index,
    sdk index) with kind "ad" or "imp"."""
    rng = random.Random(seed)
    # Encode each combination once.
    queries = {}
    for u in range(len(users)):
        for s in range(len(sdks)):
            params = event_params(users[u], sdks[s], session_id="c%d" % client_id,
                                  platform=rng.choice(["ios", "android", "tv_os-2"]),
                                  country_code=rng.choice(["US", "de", "Fr", "JP"]))
            queries[u, s] = urllib.parse.urlencode(params)

    def draw(rng, i):
        u, s = rng.randrange(len(users)), rng.randrange(len(sdks))
        return queries[u, s], [(u, s)]

    return send_events(port, client_id, n_requests, seed, draw)


def _client_process(conn, job):
    main, args = job
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        conn.send(main(*args))
    except BaseException as e:  # reported by the parent
        conn.send({"crash": "%s: %s" % (type(e).__name__, e)})
    finally:
        conn.close()


def run_clients(jobs, timeout, main=client_main):
    """One client process per job, a job being main's arguments (for
    client_main: port, client_id, n_requests, users, sdks, seed); returns
    their tallies in order ({"crash": why} for one that failed). Another
    `main` is a function that calls send_events."""
    return run_processes(_client_process, [(main, args) for args in jobs], timeout)


def statistics_counts(client, param, value):
    """(impressions, ad requests) of a user or SDK version, read with
    GET /statistics through `client` (an HTTPClient); (0, 0) if unknown."""
    status, _, body = client.get("/statistics", [(param, value)])
    if status == 404:
        return 0, 0
    if status != 200:
        raise AssertionError("/statistics?%s=%s: %d %r" % (param, value, status, body))
    doc = json.loads(body)
    return doc[value]["impressions"], doc[value]["ad_requests"]


def merge(results):
    """Adds up the clients' tallies; keys are (kind, user index, sdk index)."""
    total = {"sent": collections.Counter(), "ok": collections.Counter(),
             "statuses": collections.Counter(), "errors": []}
    for r in results:
        if "crash" in r:
            raise AssertionError("a client crashed: %s" % r["crash"])
        total["sent"].update({tuple(k): v for k, v in r["sent"].items()})
        total["ok"].update({tuple(k): v for k, v in r["ok"].items()})
        total["statuses"].update(r["statuses"])
        total["errors"] += r["errors"]
    return total


def per_subject(counter, kind, idx, i):
    """Of merged tallies: the requests of `kind` ("ad" or "imp") for user
    (idx 1) or SDK version (idx 2) number i."""
    return sum(v for k, v in counter.items() if k[0] == kind and k[idx] == i)
