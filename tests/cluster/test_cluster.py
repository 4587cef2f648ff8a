"""test_cluster.py -- adstats scaled out: nginx in front of stateless adstats
nodes, twemproxy in front of three Redis shards.

Run by `deploy/local-cluster.sh test` (`make cluster-test`), which starts the
cluster, names it in $CLUSTER_STATE, and stops it afterwards whatever
happens here. Everything goes through nginx, as a client's requests would.

 1. Spread: 3,000 impressions of distinct users; each is counted exactly
    once, and every shard holds a share of the keys (printed per shard).
 2. Exact: the concurrency test's 8 clients (tests/integration/
    test_concurrency.py), 40,000 mixed /ad and /impression requests over 4
    users and 3 SDK versions: /statistics equal to the tallies exactly, and
    both nodes served. Every request gets a 200, unless twemproxy reports a
    shard timing out in that time (a shard with appendfsync always stalls
    while a slow disk syncs; past twemproxy's 400 ms it answers ERR): then
    the few requests it failed (at most 0.5 %) must be adstats' JSON 503,
    and each subject's count may exceed its acknowledged events by at most
    its failed ones (a shard may apply a command it answered too late),
    never fall short.
 3. Faults, under the same kind of load (24,000 requests): at 20 % node 1 is
    SIGKILLed (nginx must route around it: no request may go unanswered),
    at 40 % it is started again (it must serve again); at 55 % the shard
    holding most of this run's keys is SIGKILLed and restarted on the same
    port 1 s later, from its append-only file. For every user and SDK
    version: counted >= acknowledged (no 2xx lost), and the surplus is at
    most the requests that failed for it plus those nginx passed to a
    second node after a first had them (a GET the dead node may have
    counted before dying: see deploy/nginx/adstats-server.conf). Service
    must resume within 5 s of the shard's restart (it is printed), and
    answer 200 to everything afterwards.
 4. No node: with every node killed, nginx answers the same JSON 503 as
    adstats (with Retry-After), and serves again once they are back.
 5. Analytics through the proxy: country and platform totals, unique
    sessions (all-time, and a day's range, read from every shard), a top
    list, a retried event_id counted once, and DELETE /statistics removing
    a user's keys from every shard (single-key commands only: no KEYS or
    SCAN through twemproxy).

Bounded: each client stops after test_concurrency's deadline, every wait
here has a time limit. Standard library only.
"""

import collections
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import unittest
import urllib.parse

from harness import REPO, HTTPClient, RedisClient, event_params, eventually
from harness.concurrency import CLIENTS, DEADLINE_S, merge, per_subject, run_clients
from harness.concurrency import statistics_counts as counts
from harness.keys import day_counts


SCRIPT = os.path.join(REPO, "deploy", "local-cluster.sh")
SPREAD_USERS = 3000
EXACT_REQUESTS = 40000
FAULT_REQUESTS = 24000
RECOVERY_LIMIT_S = 5.0
LOG_LINE = re.compile(r'^(\d+) "([^"]*)" "([^"]*)" (\S+) (\S+) "([^"]*)" "([^"]*)"')


def read_state():
    path = os.environ.get("CLUSTER_STATE")
    if not path:
        raise unittest.SkipTest("no cluster: run deploy/local-cluster.sh test")
    state = {}
    with open(path) as f:
        for line in f:
            name, _, value = line.strip().partition("=")
            state[name] = value.strip('"')
    return state


STATE = read_state()
NGINX = int(STATE["NGINX_PORT"])
SHARDS = [int(p) for p in STATE["SHARD_PORTS"].split()]
NODES = [int(p) for p in STATE["NODE_PORTS"].split()]
PROXY_STATS = int(STATE["PROXY_STATS_PORT"])
ACCESS_LOG = os.path.join(STATE["CLUSTER_DIR"], "nginx", "access.log")
SHARD_FAULTS = ("server_timedout", "server_err", "server_eof")


def cluster(*args):
    """Runs a local-cluster.sh fault command (kill-node 1, start-shard 2...)."""
    subprocess.run([SCRIPT] + [str(a) for a in args], check=True, timeout=30,
                   stdout=subprocess.DEVNULL)


def log_size():
    return os.path.getsize(ACCESS_LOG)


def log_count(start):
    """Requests nginx has answered since byte offset `start` of its log."""
    with open(ACCESS_LOG, "rb") as f:
        f.seek(start)
        return f.read().count(b"\n")


def log_lines(start):
    """nginx access log entries written since byte offset `start`."""
    with open(ACCESS_LOG, "rb") as f:
        f.seek(start)
        text = f.read().decode("utf-8", "replace")
    out = []
    for line in text.splitlines():
        m = LOG_LINE.match(line)
        if m:
            out.append({"status": int(m.group(1)), "upstream_status": m.group(2),
                        "upstream": m.group(3), "method": m.group(4), "uri": m.group(5),
                        "username": m.group(6), "sdk": m.group(7)})
    return out


def proxy_shard_faults():
    """twemproxy's own fault counters per shard (its stats port answers one
    JSON document and closes): {"shard1": {"server_timedout": n, ...}}."""
    with socket.create_connection(("127.0.0.1", PROXY_STATS), timeout=5) as s:
        chunks = []
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    pool = json.loads(b"".join(chunks))["adstats"]
    return {name: {k: v[k] for k in SHARD_FAULTS}
            for name, v in pool.items() if isinstance(v, dict)}


def faults_since(before):
    """The shard faults twemproxy counted since `before` (proxy_shard_faults),
    only the non-zero ones."""
    now = proxy_shard_faults()
    return {"%s %s" % (shard, k): n - before[shard][k]
            for shard, faults in now.items() for k, n in faults.items()
            if n - before[shard][k]}


def subject_problems(t, users, sdks, retried, client):
    """For every user and SDK version of a load run's tallies `t`: counted
    >= acknowledged (no 2xx lost), and the surplus at most the requests that
    failed for it plus those nginx passed to a second node (`retried`, per
    (user, sdk)). Returns (problems, report per subject); with nothing failed
    and nothing passed on, that is counted == acknowledged exactly."""
    problems, report = [], {}
    for param, values, idx in (("username", users, 1), ("sdk", sdks, 2)):
        for i, v in enumerate(values):
            acked = (per_subject(t["ok"], "imp", idx, i), per_subject(t["ok"], "ad", idx, i))
            failed = (per_subject(t["sent"], "imp", idx, i) - acked[0],
                      per_subject(t["sent"], "ad", idx, i) - acked[1])
            again = sum(n for (u, s), n in retried.items() if (u if idx == 1 else s) == v)
            got = counts(client, param, v)
            report[v] = {"counted": got, "acknowledged": acked, "failed": failed,
                         "second_node": again}
            for kind in (0, 1):
                if got[kind] < acked[kind]:
                    problems.append("%s %s: %d counted < %d acknowledged (lost)"
                                    % (param, v, got[kind], acked[kind]))
                if got[kind] - acked[kind] > failed[kind] + again:
                    problems.append("%s %s: surplus %d > %d failed + %d passed on"
                                    % (param, v, got[kind] - acked[kind], failed[kind], again))
    return problems, report


def passed_on(entries):
    """(user, sdk) -> requests of nginx log `entries` that a second node
    answered after a first had them."""
    retried = collections.Counter()
    for e in entries:
        if "," in e["upstream_status"] and e["uri"] in ("/ad", "/impression"):
            retried[e["username"], e["sdk"]] += 1
    return retried


def shard_keys(port, pattern):
    """Keys on one shard matching `pattern` (SCAN, as redis-cli --scan)."""
    keys, cursor = [], b"0"
    with RedisClient(port) as r:
        while True:
            cursor, batch = r.command("SCAN", cursor, "MATCH", pattern, "COUNT", 1000)
            keys += [k.decode() for k in batch]
            if cursor in (b"0", "0"):
                return keys


def impression_query(user, sdk):
    return "/impression?" + urllib.parse.urlencode(event_params(user, sdk))


def load_jobs(users, sdks, total, seed):
    per_client = total // CLIENTS
    return [(NGINX, c, per_client, users, sdks, seed + c) for c in range(CLIENTS)]


class ClusterTests(unittest.TestCase):

    def setUp(self):
        self.client = HTTPClient(NGINX, timeout=15)

    def tearDown(self):
        self.client.close()

    def test_1_keys_spread_over_shards(self):
        users = ["spread-%05d" % i for i in range(SPREAD_USERS)]
        sdk = "2.0.0"
        for u in users:
            status, _, body = self.client.get(impression_query(u, sdk))
            self.assertEqual(status, 200, body)
        wrong = [u for u in users if counts(self.client, "username", u) != (1, 0)]
        self.assertEqual(wrong, [], "users not counted exactly once")
        self.assertEqual(counts(self.client, "sdk", sdk), (SPREAD_USERS, 0))

        per_shard = [len(shard_keys(p, "as:u:t:spread-*")) for p in SHARDS]
        sys.stderr.write("\n  spread: %d user keys over the shards: %s\n" % (
            SPREAD_USERS, ", ".join("shard%d %d" % (i + 1, n) for i, n in enumerate(per_shard))))
        self.assertEqual(sum(per_shard), SPREAD_USERS, "a key is on two shards, or on none")
        for i, n in enumerate(per_shard):
            # ketama (md5) over 3 equal shards: a third each, give or take
            # (fnv1a_64 would put 26 % on one: deploy/compose/nutcracker.yml).
            self.assertGreater(n, SPREAD_USERS // 4, "shard%d holds only %d keys" % (i + 1, n))

    def test_2_concurrent_increments_exact(self):
        users = ["exact-user%d" % i for i in range(4)]
        sdks = ["3.0.%d" % i for i in range(3)]
        start = log_size()
        faults_before = proxy_shard_faults()
        began = time.monotonic()
        t = merge(run_clients(load_jobs(users, sdks, EXACT_REQUESTS, 1000), DEADLINE_S + 20))
        elapsed = time.monotonic() - began
        sent = sum(t["sent"].values())
        failed = sent - t["statuses"].get(200, 0)
        shard_faults = faults_since(faults_before)
        if failed and not shard_faults:
            # twemproxy publishes its counters every second (-i 1000).
            def counted_faults():
                faults = faults_since(faults_before)
                self.assertTrue(faults)
                return faults
            try:
                shard_faults = eventually(counted_faults, timeout=3.0, interval=0.2)
            except AssertionError:
                pass
        entries = log_lines(start)
        served = collections.Counter(e["upstream"] for e in entries)
        sys.stderr.write("\n  exact: %d requests through nginx in %.1f s (%.0f/s), statuses %s, "
                         "served by %s, shard faults (twemproxy) %s\n"
                         % (sent, elapsed, sent / elapsed, dict(t["statuses"]), dict(served),
                            shard_faults or "none"))
        self.assertEqual(sent, EXACT_REQUESTS, t["errors"][:5])
        if failed:
            # Only a shard twemproxy saw fail may fail requests, and only
            # with adstats' own answer to a refused command.
            self.assertTrue(shard_faults, "requests failed with no shard fault: %s" % t["errors"][:5])
            self.assertEqual(set(t["statuses"]), {200, 503}, t["errors"][:5])
            self.assertLessEqual(failed, EXACT_REQUESTS // 200, t["errors"][:5])
            odd = [e for e in t["errors"] if "statistics store" not in e]
            self.assertEqual(odd, [])
        problems, report = subject_problems(t, users, sdks, passed_on(entries), self.client)
        self.assertEqual(problems, [], json.dumps(report))
        for port in NODES:
            self.assertGreater(served["127.0.0.1:%d" % port], EXACT_REQUESTS // (4 * len(NODES)),
                               "node on port %d served little: %r" % (port, served))

    # ---- faults ----------------------------------------------------------------

    def shard_holding_most(self, users, sdks):
        keys = ["as:u:t:%s" % u for u in users] + ["as:s:t:%s" % s for s in sdks]
        held = []
        for port in SHARDS:
            with RedisClient(port) as r:
                held.append(sum(1 for k in keys if r.command("EXISTS", k)))
        best = max(range(len(SHARDS)), key=lambda i: held[i])
        return best + 1, held

    def probe_user_on(self, shard):
        """A user (from the spread test) whose key lives on `shard`."""
        keys = shard_keys(SHARDS[shard - 1], "as:u:t:spread-*")
        self.assertTrue(keys, "no spread user on shard %d" % shard)
        return keys[0][len("as:u:t:"):]

    def inject_faults(self, users, sdks, start, figures):
        """Runs in a thread beside the load; milestones are requests answered
        by nginx since `start`, read from its access log."""
        def when(fraction):
            target = int(FAULT_REQUESTS * fraction)
            deadline = time.monotonic() + DEADLINE_S
            while log_count(start) < target:
                if time.monotonic() > deadline:
                    raise AssertionError("load stalled before %d requests" % target)
                time.sleep(0.05)

        when(0.20)
        cluster("kill-node", 1)
        figures["node1_killed_at"] = log_count(start)
        when(0.40)
        cluster("start-node", 1)
        figures["node1_restarted_at"] = log_count(start)
        when(0.55)
        shard, held = self.shard_holding_most(users, sdks)
        figures["shard_killed"] = "shard%d (holds %d of this run's %d keys)" % (
            shard, held[shard - 1], len(users) + len(sdks))
        probe = HTTPClient(NGINX, timeout=15)
        try:
            path = impression_query(self.probe_user_on(shard), "9.9.9")
            cluster("kill-shard", shard)
            figures["probe_while_shard_down"] = probe.get(path)[0]
            time.sleep(1.0)
            cluster("start-shard", shard)
            restarted = time.monotonic()
            while probe.get(path)[0] != 200:
                if time.monotonic() - restarted > RECOVERY_LIMIT_S:
                    raise AssertionError("no 200 within %.0f s of the shard's restart"
                                         % RECOVERY_LIMIT_S)
                time.sleep(0.01)
            figures["recovery_after_shard_restart_ms"] = round((time.monotonic() - restarted) * 1000)
        finally:
            probe.close()

    def test_3_node_and_shard_faults(self):
        users = ["fault-user%d" % i for i in range(4)]
        sdks = ["4.0.%d" % i for i in range(3)]
        start = log_size()
        figures, fault_error = {}, []

        def faults():
            try:
                self.inject_faults(users, sdks, start, figures)
            except BaseException as e:  # reported by the test thread
                fault_error.append(e)

        injector = threading.Thread(target=faults)
        injector.start()
        t = merge(run_clients(load_jobs(users, sdks, FAULT_REQUESTS, 2000), DEADLINE_S + 20))
        injector.join(60)
        self.assertFalse(injector.is_alive(), "fault injection did not finish")
        if fault_error:
            raise fault_error[0]

        entries = log_lines(start)
        retried = passed_on(entries)
        after_restart = [e for e in entries[figures["node1_restarted_at"]:]
                         if e["upstream"].endswith(":%d" % NODES[0])]
        sent = sum(t["sent"].values())
        answered = sum(t["statuses"].values())
        problems, subjects = subject_problems(t, users, sdks, retried, self.client)
        report = dict(figures, requests=sent, statuses=dict(t["statuses"]),
                      unanswered=sent - answered, passed_to_a_second_node=sum(retried.values()),
                      node1_requests_after_restart=len(after_restart), subjects=subjects)
        sys.stderr.write("\n  fault run: " + json.dumps(report, indent=1) + "\n")

        self.assertEqual(problems, [])
        self.assertEqual(sent, FAULT_REQUESTS, t["errors"][:5])
        self.assertEqual(answered, sent, "requests went unanswered: %s" % t["errors"][:5])
        self.assertEqual(set(t["statuses"]) - {200, 503}, set(), t["errors"][:5])
        self.assertGreater(t["statuses"].get(503, 0), 0, "the shard's death refused nothing")
        self.assertEqual(figures["probe_while_shard_down"], 503)
        self.assertGreater(len(after_restart), 0, "node 1 got no request after its restart")

        # Service resumed: everything answers 200 again.
        statuses = [self.client.get(impression_query(u, s))[0] for u in users for s in sdks]
        self.assertEqual(statuses, [200] * len(statuses))

    def test_4_no_node_answers(self):
        """Every node down: nginx answers adstats' JSON 503 with Retry-After,
        and serves again once a node is back (after fail_timeout)."""
        path = impression_query("nonode-user", "5.0.0")
        for i in range(1, len(NODES) + 1):
            cluster("kill-node", i)
        try:
            status, headers, body = self.client.get(path)
            self.assertEqual(status, 503, body)
            self.assertEqual(headers.get("Content-Type"), "application/json")
            self.assertIsNotNone(headers.get("Retry-After"))
            self.assertIs(json.loads(body)["success"], False)
        finally:
            for i in range(1, len(NODES) + 1):
                cluster("start-node", i)
        deadline = time.monotonic() + 10
        while self.client.get(path)[0] != 200:
            self.assertLess(time.monotonic(), deadline, "no 200 within 10 s of the nodes' restart")
            time.sleep(0.1)

    def test_5_analytics_through_the_proxy(self):
        tag = "%d-%d" % (os.getpid(), int(time.time()))
        user, sdk, platform = "an-" + tag, "3.%d.0" % (os.getpid() % 10000), "pl-" + tag
        params = lambda session, extra=(): [  # noqa: E731
            ("sdk_version", sdk), ("session_id", session), ("platform", platform),
            ("username", user), ("country_code", "nz")] + list(extra)
        for i in range(6):
            status, _, body = self.client.get("/impression", params("s%d" % (i % 3)))
            self.assertEqual(status, 200, body)
        for _ in range(2):  # a retry of one ad request: counted once
            status, headers, body = self.client.get("/ad", params("s0", [("event_id", tag)]))
            self.assertEqual(status, 200, body)
        self.assertEqual(headers.get("Adstats-Duplicate"), "true")
        self.assertEqual(counts(self.client, "platform", platform), (6, 1))
        today = time.strftime("%Y-%m-%d", time.gmtime())
        # sessions and top lists trail the counters (each node's index writer)
        for query in ([("platform", platform), ("unique_sessions", "1")],
                      [("platform", platform), ("unique_sessions", "1"), ("from", today),
                       ("interval", "day")]):
            def sessions(query=query):
                status, _, body = self.client.get("/statistics", query)
                self.assertEqual(status, 200, body)
                self.assertEqual(json.loads(body)[platform]["unique_sessions"], 3, query)
            eventually(sessions)
        # users keep no session HyperLogLogs by default (--sessions-dimensions)
        status, _, body = self.client.get("/statistics", [("username", user),
                                                          ("unique_sessions", "1")])
        self.assertEqual(status, 400, body)
        status, _, body = self.client.get("/statistics", [("username", user), ("from", today)])
        self.assertEqual(status, 200, body)
        self.assertEqual(json.loads(body)[user]["impressions"], 6)
        def top_list():
            status, _, body = self.client.get("/statistics/top", [("dimension", "platform"),
                                                                  ("limit", "100")])
            self.assertEqual(status, 200, body)
            mine = [e for e in json.loads(body)["top"] if e["value"] == platform]
            self.assertEqual(mine, [{"value": platform, "impressions": 6, "ad_requests": 1,
                                     "fill_rate": 6.0, "unique_sessions": 3}])
        eventually(top_list)

        def user_keys():
            return sorted(k for p in SHARDS for k in shard_keys(p, "as:*:" + user))

        def user_day():  # the user's fields of today's day bucket, on whichever shard
            got = {}
            for port in SHARDS:
                with RedisClient(port) as r:
                    got.update(day_counts(r, "u", today.replace("-", ""), user))
            return got
        self.assertEqual(user_keys(), ["as:u:t:" + user])
        self.assertEqual(user_day(), {"imp": 6, "req": 1})

        def user_ranked():  # in both user top lists, on whichever shard holds them
            scores = []
            for port in SHARDS:
                with RedisClient(port) as r:
                    scores += [r.command("ZSCORE", key, user)
                               for key in ("as:u:top:imp", "as:u:top:req")]
            self.assertEqual(sorted(s for s in scores if s is not None), [b"1", b"6"])
        eventually(user_ranked)
        status, _, body = self.client.request(
            "DELETE", "/statistics", [("username", user)],
            headers={"Authorization": "Bearer " + STATE["ADMIN_TOKEN"]})
        self.assertEqual(status, 200, body)
        # a key, the user's fields of a day bucket, 2 top-list members
        self.assertEqual(json.loads(body)["deleted"], 4)
        self.assertEqual(user_keys(), [])
        self.assertEqual(user_day(), {})
        self.assertEqual(counts(self.client, "username", user), (0, 0))


if __name__ == "__main__":
    unittest.main(verbosity=2)
