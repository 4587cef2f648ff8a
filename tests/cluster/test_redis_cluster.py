"""test_redis_cluster.py -- adstats on a Redis Cluster (issue 16): three
masters, three replicas on loopback (tests/harness/redis_cluster.py), and
adstats started with --redis-cluster <every node>.

 1. Exact counts: the concurrency test's 8 clients, 40,000 mixed /ad and
    /impression requests over users whose keys live on all three masters:
    every request 200, /statistics equal to the tallies, keys (DBSIZE and
    this run's user keys) on every master.
 2. Live resharding: 2,000 slots (those of this run's users and SDK
    versions) move from one master to another with `redis-cli --cluster
    reshard` while 8 clients send rounds of 4,000 requests (16,000 at
    least, and more until the last slot has moved): no 5xx (the redirects,
    ASK and MOVED, are followed inside the request's Redis time budget, and
    single-key commands never get TRYAGAIN), counts exact.
 3. Master loss under load, with and without --redis-wait-replicas 1: the
    master holding the first user's key is SIGKILLed while clients send,
    the cluster promotes its replica (with WAIT 1, two replicas per master,
    so that the promoted one still has one to confirm its writes). Printed: the window of 503s, the time
    from the promotion to the last failure (goal <= 2 s, asserted), and the
    acknowledged events the counters lost -- 0 with WAIT (asserted); without
    it, the loss asynchronous replication allows (printed, not asserted).
 4. Faults, each recovered from without restarting adstats: every seed
    down at start, then one back (one seed down among live ones is a quick
    check of tests/integration/test_redis_cluster.py), CLUSTERDOWN
    (a master and its replica paused: the others declare the cluster down),
    a wrong password (the cluster's password is then changed to it).
 5. Redis OOM on a single Redis (maxmemory with noeviction): a 5 s flood of
    refused events writes a bounded number of log lines, counts them in
    adstats_redis_error_replies_total{code="OOM"}, answers 503s naming the
    failure, and loses no acknowledged event.

Skipped, with the reason, while bin/adstats --help lists no --redis-cluster
(ADSTATS_REDIS_CLUSTER_TESTS=force runs them anyway, e.g. to watch them fail
on a binary without it). Run by `make cluster-test` after the twemproxy
suite, or alone: PYTHONPATH=tests python3 tests/cluster/test_redis_cluster.py.
Bounded: every load has a request budget and a deadline, every wait a time
limit; every server is stopped at the end whatever happens.
"""

import json
import multiprocessing
import os
import re
import subprocess
import sys
import threading
import time
import unittest
import urllib.parse

from harness import Adstats, HTTPClient, RedisServer, VastMock, binary, event_params, wait_until
from harness.concurrency import (CLIENTS, DEADLINE_S, merge, per_subject, run_clients,
                                 statistics_counts)
from harness.loadgen import Load
from harness.procs import run_processes
from harness.redis_cluster import RedisCluster, key_slot

EXACT_REQUESTS = 40000
RESHARD_ROUND = 4000        # requests per round of the 8 clients; rounds go on
RESHARD_MIN_ROUNDS = 4      # (16,000 requests at least) while the slots move,
RESHARD_MAX_ROUNDS = 25     # 100,000 at most
RESHARD_SLOTS = 2000
RESHARD_5XX_BUDGET = 0      # redirects are retried inside --redis-timeout-ms
NODE_TIMEOUT_MS = 1500
RECOVERY_GOAL_S = 2.0       # promotion -> last failed request
RECOVER_LIMIT_S = 10.0      # a fault's end -> a 200 again
OOM_FLOOD_S = 5.0
OLD_STORE_503 = "statistics store unavailable: impression not counted, retry later"
OOM_LOG_LINES = 10          # + one a second of flood (the rate limiter's contract)


def adstats_help():
    try:
        return subprocess.run([binary("adstats"), "--help"], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=10).stdout.decode()
    except (OSError, RuntimeError, subprocess.TimeoutExpired) as e:
        return "cannot run adstats: %s" % e


HELP = adstats_help()
FORCED = os.environ.get("ADSTATS_REDIS_CLUSTER_TESTS") == "force"
needs_cluster_client = unittest.skipUnless(
    "--redis-cluster" in HELP or FORCED,
    "bin/adstats --help lists no --redis-cluster: the Redis Cluster client (issue 16) is not "
    "built in yet (ADSTATS_REDIS_CLUSTER_TESTS=force runs these anyway)")


def report(title, figures):
    sys.stderr.write("\n  %s: %s\n" % (title, json.dumps(figures, sort_keys=True)))


def names_on(slot_ok, make, count):
    """`count` names make(i) for which slot_ok(name) holds."""
    out, i = [], 0
    while len(out) < count:
        name = make(i)
        if slot_ok(name):
            out.append(name)
        i += 1
    return out


def user_key(user):
    return "as:u:t:" + user


def sdk_key(sdk):
    return "as:s:t:" + sdk


def exact_mismatches(client, tallies, users, sdks):
    """Subjects whose /statistics differ from what was acknowledged."""
    out = []
    for param, values, idx in (("username", users, 1), ("sdk", sdks, 2)):
        for i, v in enumerate(values):
            expected = (per_subject(tallies["ok"], "imp", idx, i),
                        per_subject(tallies["ok"], "ad", idx, i))
            got = statistics_counts(client, param, v)
            if got != expected:
                out.append("%s %s: counted %r, acknowledged %r" % (param, v, got, expected))
    return out


class ClusterCase(unittest.TestCase):
    """One Redis Cluster and one vastmock per class; adstats processes are
    started by the tests (start_adstats) and stopped after each test."""

    cluster_args = {}

    @classmethod
    def setUpClass(cls):
        cls.cluster = RedisCluster(node_timeout_ms=NODE_TIMEOUT_MS, **cls.cluster_args)
        cls.mock = VastMock()
        try:
            cls.cluster.start()
            cls.mock.start()
        except BaseException:
            cls.cluster.stop()
            cls.mock.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.cluster.stop()
        cls.mock.close()

    def setUp(self):
        self.apps = []

    def tearDown(self):
        problems = []
        for a in self.apps:
            died = not a.alive()
            code = a.stop()
            if died or code != 0:
                problems.append("adstats on %s %s (exit %s):\n%s" % (
                    a.port, "died" if died else "did not exit 0", code, a.stderr()[-3000:]))
            elif a.sanitizer_report():
                problems.append("sanitizer report:\n" + a.sanitizer_report())
            a.close()
        if problems:
            self.fail("\n".join(problems))

    def start_adstats(self, *extra, seeds=None, url=None, wait=True):
        args = ["--redis-cluster", seeds or self.cluster.seeds, "--log-level", "info"]
        a = Adstats(url or self.cluster.url, self.mock.url, args + list(extra))
        self.apps.append(a)
        return a.start(wait=wait)

    def wait_for_200(self, app, path, limit=RECOVER_LIMIT_S):
        """Seconds until `path` answers 200 (fails after `limit`)."""
        began = time.monotonic()
        client = HTTPClient(app.port, timeout=5)
        try:
            wait_until(lambda: client.get(path)[0] == 200, limit, 0.05,
                       "a 200 from %s" % path)
        finally:
            client.close()
        return time.monotonic() - began


def impression_path(user, sdk="1.0.0"):
    return "/impression?" + urllib.parse.urlencode(event_params(user, sdk))


# ---- 1, 2: exact counts, resharding ----------------------------------------------

@needs_cluster_client
class CountsTests(ClusterCase):

    def users_per_master(self, prefix, per_master):
        out = []
        for m in self.cluster.masters():
            ranges = self.cluster.slots_of(m)
            out += names_on(lambda u: any(lo <= key_slot(user_key(u)) <= hi for lo, hi in ranges),
                            lambda i: "%s-%d-%d" % (prefix, os.getpid(), i), per_master)
        return out

    def test_1_exact_counts_over_three_masters(self):
        app = self.start_adstats()
        users = self.users_per_master("rc-exact", 2)  # 6 users, 2 per master
        sdks = ["5.0.%d" % i for i in range(3)]
        jobs = [(app.port, c, EXACT_REQUESTS // CLIENTS, users, sdks, 3000 + c)
                for c in range(CLIENTS)]
        began = time.monotonic()
        t = merge(run_clients(jobs, DEADLINE_S + 20))
        elapsed = time.monotonic() - began
        client = HTTPClient(app.port, timeout=15)
        try:
            mismatches = exact_mismatches(client, t, users, sdks)
        finally:
            client.close()
        where = {u: self.cluster.master_of_key(user_key(u)).port for u in users}
        held = {u: self.cluster.master_of_key(user_key(u)).command("EXISTS", user_key(u))
                for u in users}
        report("exact", {"requests": sum(t["sent"].values()), "seconds": round(elapsed, 1),
                         "statuses": dict(t["statuses"]),
                         "dbsize_per_master": self.cluster.keys_per_master(),
                         "user_key_master": where})
        self.assertEqual(t["errors"], [])
        self.assertEqual(sum(t["ok"].values()), EXACT_REQUESTS)
        self.assertEqual(mismatches, [])
        self.assertEqual(len(set(where.values())), 3, "this run's keys are not on three masters")
        self.assertEqual([u for u, n in held.items() if n != 1], [])
        self.assertTrue(all(n > 0 for n in self.cluster.keys_per_master().values()))

    def test_2_live_resharding(self):
        app = self.start_adstats()
        source = self.cluster.master_of_slot(0)
        target = [m for m in self.cluster.masters() if m is not source][0]
        moved = lambda key: key_slot(key) < RESHARD_SLOTS  # noqa: E731  (lowest slots go first)
        self.assertEqual(self.cluster.slots_of(source)[0][0], 0)
        users = names_on(lambda u: moved(user_key(u)),
                         lambda i: "rc-reshard-%d-%d" % (os.getpid(), i), 4)
        sdks = names_on(lambda s: moved(sdk_key(s)), lambda i: "6.%d.%d" % (os.getpid(), i), 3)
        figures = {}

        def reshard():
            try:
                time.sleep(0.5)  # the clients are sending
                began = time.monotonic()
                self.cluster.reshard(source, target, RESHARD_SLOTS)
                figures["reshard_s"] = round(time.monotonic() - began, 2)
                figures["reshard_done"] = time.monotonic()
            except BaseException as e:  # reported by the test thread
                figures["error"] = e

        mover = threading.Thread(target=reshard)
        mover.start()
        results, rounds = [], 0
        while rounds < RESHARD_MIN_ROUNDS or (mover.is_alive() and rounds < RESHARD_MAX_ROUNDS):
            jobs = [(app.port, c, RESHARD_ROUND // CLIENTS, users, sdks, 4000 + 100 * rounds + c)
                    for c in range(CLIENTS)]
            results += run_clients(jobs, DEADLINE_S + 20)
            rounds += 1
        t = merge(results)
        load_done = time.monotonic()
        mover.join(120)
        if "error" in figures:
            raise figures["error"]
        client = HTTPClient(app.port, timeout=15)
        try:
            mismatches = exact_mismatches(client, t, users, sdks)
        finally:
            client.close()
        fivexx = sum(n for s, n in t["statuses"].items() if int(s) >= 500)
        metrics = app.get("/metrics")[2].decode()
        redirects = dict(re.findall(r'^adstats_redis_redirects_total\{kind="(\w+)"\} (\d+)',
                                    metrics, re.M))
        report("resharding", {"slots": RESHARD_SLOTS, "reshard_s": figures.get("reshard_s"),
                              "redirects": redirects, "rounds": rounds,
                              "requests": sum(t["sent"].values()),
                              "statuses": dict(t["statuses"]), "errors": t["errors"][:3],
                              "user_keys_now_on": sorted({self.cluster.master_of_key(
                                  user_key(u)).port for u in users}),
                              "target": target.port})
        self.assertLess(figures["reshard_done"], load_done,
                        "the slots moved after the load had ended: nothing was tested")
        self.assertLessEqual(fivexx, RESHARD_5XX_BUDGET, t["errors"][:5])
        self.assertEqual(sum(t["sent"].values()), rounds * RESHARD_ROUND, t["errors"][:5])
        self.assertEqual(mismatches, [])
        self.assertEqual({self.cluster.master_of_key(user_key(u)) for u in users}, {target})


# ---- 3: master loss under load -------------------------------------------------

def timed_client(conn, args):
    """A client process: /impression for its users in turn until `stop`
    is set or the deadline passes. Sends back per user: acknowledged and
    failed counts, and the time.monotonic() of the first and last failure
    (CLOCK_MONOTONIC is system-wide, so the parent can compare)."""
    port, users, sdk, stop, deadline = args
    ok = {u: 0 for u in users}
    failed = {u: 0 for u in users}
    statuses, first, last = {}, None, None
    client = HTTPClient(port, timeout=10)
    i = 0
    try:
        while not stop.is_set() and time.monotonic() < deadline:
            u = users[i % len(users)]
            i += 1
            try:
                status = client.get(impression_path(u, sdk))[0]
            except OSError:
                status = 0
            statuses[status] = statuses.get(status, 0) + 1
            if status == 200:
                ok[u] += 1
                continue
            failed[u] += 1
            now = time.monotonic()
            first = first if first is not None else now
            last = now
            time.sleep(0.005)
    finally:
        client.close()
    conn.send({"ok": ok, "failed": failed, "statuses": statuses, "first": first, "last": last})


class MasterLossCase(ClusterCase):

    def master_loss(self, wait_replicas):
        extra = ["--redis-wait-replicas", "1"] if wait_replicas else []
        app = self.start_adstats(*extra)
        masters = self.cluster.masters()
        users = []
        for m in masters:  # two users per master: the victim's and the others'
            ranges = self.cluster.slots_of(m)
            users += names_on(lambda u: any(lo <= key_slot(user_key(u)) <= hi
                                            for lo, hi in ranges),
                              lambda i: "rc-loss%d-%d-%d" % (wait_replicas, os.getpid(), i), 2)
        sdk = "7.%d.%d" % (wait_replicas, os.getpid())
        victim = self.cluster.master_of_key(user_key(users[0]))
        candidates = self.cluster.replicas(of=victim)
        stop = multiprocessing.get_context("fork").Event()
        figures = {}

        def fault():
            try:
                time.sleep(1.5)
                figures["killed"] = time.monotonic()
                self.cluster.kill(victim)
                node, figures["promoted"] = self.cluster.wait_for_failover(victim, candidates)
                figures["new_master"] = node.port
                self.cluster.wait_until_healthy()
                time.sleep(3.0)  # service must be full again by now
            except BaseException as e:
                figures["error"] = e
            finally:
                stop.set()

        injector = threading.Thread(target=fault)
        injector.start()
        jobs = [(app.port, users[c % 2::2] or users, sdk, stop, time.monotonic() + 60)
                for c in range(4)]
        results = run_processes(timed_client, jobs, 90)
        injector.join(60)
        try:
            if "error" in figures:
                raise figures["error"]
            crashed = [r["crash"] for r in results if "crash" in r]
            self.assertEqual(crashed, [])
            acked = {u: sum(r["ok"].get(u, 0) for r in results) for u in users}
            failed = {u: sum(r["failed"].get(u, 0) for r in results) for u in users}
            statuses = {}
            for r in results:
                for s, n in r["statuses"].items():
                    statuses[s] = statuses.get(s, 0) + n
            firsts = [r["first"] for r in results if r["first"] is not None]
            lasts = [r["last"] for r in results if r["last"] is not None]
            client = HTTPClient(app.port, timeout=15)
            try:
                counted = {u: statistics_counts(client, "username", u)[0] for u in users}
                sdk_counted = statistics_counts(client, "sdk", sdk)[0]
            finally:
                client.close()
        finally:
            self.cluster.restart(victim)  # it rejoins as a replica of its successor
            self.cluster.wait_until_healthy()
        lost = sum(max(0, acked[u] - counted[u]) for u in users)
        surplus = {u: counted[u] - acked[u] for u in users if counted[u] > acked[u]}
        k = figures["killed"]
        after_promotion = max(0.0, max(lasts) - figures["promoted"]) if lasts else 0.0
        report("master loss, --redis-wait-replicas %d" % wait_replicas, {
            "statuses": statuses, "acknowledged": sum(acked.values()),
            "failed": sum(failed.values()),
            "promotion_after_kill_s": round(figures["promoted"] - k, 2),
            "failures_from_s": round(min(firsts) - k, 2) if firsts else None,
            "failures_to_s": round(max(lasts) - k, 2) if lasts else None,
            "full_service_after_promotion_s": round(after_promotion, 2),
            "acknowledged_but_lost": lost,
            "sdk_counted_minus_acknowledged": sdk_counted - sum(acked.values()),
            "counted_not_acknowledged": surplus})
        self.assertEqual(set(statuses) - {200, 503}, set(), "other answers than 200 and 503")
        self.assertGreater(statuses.get(503, 0), 0, "the master's death refused nothing")
        self.assertLessEqual(after_promotion, RECOVERY_GOAL_S)
        for u in users:
            self.assertLessEqual(counted[u] - acked[u], failed[u], u)
        return lost


@needs_cluster_client
class MasterLossTests(MasterLossCase):

    def test_master_loss_without_wait_is_measured(self):
        self.master_loss(wait_replicas=0)  # the loss is reported, not asserted


@needs_cluster_client
class MasterLossWaitTests(MasterLossCase):
    """WAIT 1 needs a replica left after the failover: with one replica
    per master, the promoted one has none, so every write to its slots
    would fail until the dead master rejoins. Hence two per master."""

    cluster_args = {"replicas": 2}

    def test_master_loss_with_wait_replicas_loses_nothing(self):
        if "--redis-wait-replicas" not in HELP and not FORCED:
            self.skipTest("bin/adstats has no --redis-wait-replicas")
        self.assertEqual(self.master_loss(wait_replicas=1), 0,
                         "acknowledged events lost despite WAIT 1")


# ---- 4: seeds, CLUSTERDOWN, password ---------------------------------------------

@needs_cluster_client
class FaultTests(ClusterCase):

    def statuses(self, app, path, n=5):
        client = HTTPClient(app.port, timeout=10)
        try:
            return [client.get(path) for _ in range(n)]
        finally:
            client.close()

    def assert_503(self, replies, *words):
        for status, headers, body in replies:
            self.assertEqual(status, 503, body)
            self.assertIsNotNone(headers.get("Retry-After"))
            doc = json.loads(body)
            self.assertIs(doc["success"], False)
        if words:
            text = replies[-1][2].decode().lower()
            self.assertTrue(any(w in text for w in words), (words, text))

    def assert_logged(self, app, pattern, what):
        wait_until(lambda: re.search(pattern, app.stderr(), re.I), 5, 0.05,
                   "a log line about %s" % what)

    def test_2_every_seed_down_then_one_back(self):
        replica = self.cluster.replicas()[0]
        self.cluster.kill(replica)
        try:
            app = self.start_adstats(seeds="127.0.0.1:9," + replica.addr)
            path = impression_path("rc-noseed-%d" % os.getpid())
            self.assert_503(self.statuses(app, path))
            self.assert_logged(app, r"127\.0\.0\.1:%d\b" % replica.port, "the seeds")
        finally:
            self.cluster.restart(replica)
        self.cluster.wait_until_healthy()
        report("every seed down", {"recovered_after_s": round(self.wait_for_200(app, path), 2)})

    def test_3_clusterdown(self):
        app = self.start_adstats()
        path = impression_path("rc-down-%d" % os.getpid())
        self.assertEqual(self.statuses(app, path, 1)[0][0], 200)
        master = self.cluster.masters()[0]
        replicas = self.cluster.replicas(of=master)
        others = [n for n in self.cluster.nodes if n is not master and n not in replicas]
        for n in [master] + replicas:
            self.cluster.pause(n)
        try:
            wait_until(lambda: all(n.cluster_info()["cluster_state"] == "fail" for n in others),
                       NODE_TIMEOUT_MS / 1000 * 6, 0.05, "the cluster to declare itself down")
            self.assert_503(self.statuses(app, path))
            self.assert_logged(app, r"CLUSTERDOWN", "CLUSTERDOWN")
        finally:
            for n in [master] + replicas:
                self.cluster.resume(n)
        self.cluster.wait_until_healthy()
        report("CLUSTERDOWN", {"recovered_after_s": round(self.wait_for_200(app, path), 2)})

    def test_4_wrong_password(self):
        self.cluster.set_password("right-%d" % os.getpid())
        try:
            wrong = "wrong-%d" % os.getpid()
            url = "redis://:%s@127.0.0.1:%d/0" % (wrong, self.cluster.nodes[0].port)
            app = self.start_adstats(url=url)
            path = impression_path("rc-auth-%d" % os.getpid())
            self.assert_503(self.statuses(app, path, 50))
            self.assert_logged(app, r"refused the handshake \(check the credentials", "the AUTH")
            self.assertNotIn(wrong, app.stderr(), "the password is in the log")
            self.assertLess(app.stderr().count("refused the handshake"), 20, "a flood of lines")
            self.cluster.set_password(wrong)  # the operator fixes the cluster's side
            report("wrong password", {"recovered_after_s": round(self.wait_for_200(app, path), 2)})
        finally:
            self.cluster.set_password(None)


# ---- 5: Redis OOM ---------------------------------------------------------------------

@needs_cluster_client
class OomTests(unittest.TestCase):
    """One Redis, maxmemory just above what it holds, noeviction."""

    def setUp(self):
        self.redis = RedisServer().start()
        self.mock = VastMock().start()
        self.app = Adstats(self.redis.url, self.mock.url, ["--log-level", "info"]).start()

    def tearDown(self):
        code = self.app.stop()
        self.app.close()
        self.mock.close()
        self.redis.close()
        self.assertEqual(code, 0)

    def send(self, path, n):
        """Sends `path` n times; returns how many got a 200."""
        return sum(1 for _ in range(n) if self.app.get(path)[0] == 200)

    def test_oom_is_logged_boundedly_counted_and_named(self):
        user, sdk = "rc-oom-%d" % os.getpid(), "8.0.%d" % os.getpid()
        path = impression_path(user, sdk)
        before = self.send(path, 200)
        self.assertEqual(before, 200)
        self.redis.command("SET", "rc-oom-filler", "x" * (512 * 1024))
        used = int(self.redis.command("INFO", "memory").decode().split("used_memory:")[1]
                   .split()[0])
        self.redis.command("CONFIG", "SET", "maxmemory-policy", "noeviction")
        self.redis.command("CONFIG", "SET", "maxmemory", used - 256 * 1024)  # over the limit
        lines_before = len(self.app.stderr().splitlines())

        flood = Load(self.app.port, path, workers=3, max_seconds=OOM_FLOOD_S).start()
        time.sleep(OOM_FLOOD_S)
        during = flood.stop()
        time.sleep(1.2)  # a last summary line may follow
        status, headers, body = self.app.get(path)
        new_lines = self.app.stderr().splitlines()[lines_before:]
        metrics = self.app.get("/metrics")[2].decode()
        oom = re.search(r'^adstats_redis_error_replies_total\{code="OOM"\} (\d+)', metrics, re.M)

        self.redis.command("CONFIG", "SET", "maxmemory", 0)
        self.redis.command("DEL", "rc-oom-filler")
        after = self.send(path, 200)
        counted = statistics_counts(self.app.client, "username", user)[0]
        acked = before + during.ok + after + (1 if status == 200 else 0)
        refused = during.sent - during.ok + (0 if status == 200 else 1)
        report("OOM", {"flood": during.as_dict(), "log_lines": len(new_lines),
                       "log_sample": new_lines[:3], "metric": oom.group(1) if oom else None,
                       "acknowledged": acked, "counted": counted})
        self.assertGreater(during.unavailable, 100, "the flood was not refused")
        self.assertEqual(during.bad_503, 0)
        self.assertLessEqual(len(new_lines), OOM_LOG_LINES + int(OOM_FLOOD_S + 1),
                             "\n".join(new_lines[:10]))
        self.assertEqual(status, 503, body)
        self.assertIsNotNone(headers.get("Retry-After"))
        self.assertIsNotNone(oom, "no adstats_redis_error_replies_total{code=\"OOM\"} in /metrics")
        self.assertGreater(int(oom.group(1)), 0)
        self.assertEqual(after, 200)
        self.assertGreaterEqual(counted, acked, "acknowledged events lost")
        self.assertLessEqual(counted - acked, refused)
        message = json.loads(body)["message"]
        if message == OLD_STORE_503:
            self.skipTest("the 503 does not name the failure yet: waiting for the pipeline's "
                          "request_reply_store_failure() (outage vs refusal, with the error code)")
        self.assertTrue("OOM" in message or "out of memory" in message.lower(), message)


if __name__ == "__main__":
    unittest.main(verbosity=2)
