"""test_redis_cluster.py -- the quick protocol checks of adstats on a Redis
Cluster (--redis-cluster).

A private cluster (tests/harness/redis_cluster.py: 3 masters + 3 replicas on
loopback) per test class. Checked: every endpoint over keys on all three
masters (/statistics, /statistics/top, DELETE, the event stream); MOVED
after a slot is moved (CLUSTER SETSLOT ... NODE); ASK while a slot
migrates; a seed that is down at start; --redis-wait-replicas (WAIT
confirmed, not confirmed, refused at start-up through an endpoint that
cannot WAIT).

The scenarios under load or with a fault lasting seconds (40,000 exact
events, live resharding, master loss with and without WAIT, every seed
down, CLUSTERDOWN, a wrong password, Redis OOM) are in the Redis Cluster
suite, tests/cluster/test_redis_cluster.py (deploy/redis-cluster.sh test).
"""

import json
import re
import socket
import subprocess
import threading
import unittest
from concurrent.futures import ThreadPoolExecutor

from harness import (Adstats, RedisCluster, VastMock, binary, event_query, request, unique,
                     unique_version, wait_until)
from harness.redis_cluster import key_slot

TOKEN = "cluster-admin-token"


def metric_value(text, name, **labels):
    label = ",".join('%s="%s"' % kv for kv in sorted(labels.items()))
    pattern = r"^%s%s (\S+)$" % (re.escape(name), re.escape("{%s}" % label) if label else "")
    m = re.search(pattern, text, re.M)
    return float(m.group(1)) if m else 0.0


class ClusterCase(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.cluster = RedisCluster(masters=3, replicas=1, node_timeout_ms=1500).start()
        cls.mock = VastMock().start()
        cls.apps = []

    @classmethod
    def tearDownClass(cls):
        for a in cls.apps:
            a.stop()
            a.close()
        cls.mock.close()
        cls.cluster.stop()

    def start_app(self, *extra, seeds=None):
        a = Adstats(self.cluster.url, self.mock.url, ["--redis-cluster", seeds or self.cluster.seeds,
                                         "--admin-token", TOKEN, "--threads", "2"] + list(extra))
        self.apps.append(a)
        return a.start()

    def impression(self, app, user, sdk="1.0"):
        return request(app.port, "GET", "/impression?" + event_query(user, sdk_version=sdk))[0]

    def stats(self, app, **params):
        code, _, body = request(app.port, "GET", "/statistics", params)
        return code, json.loads(body)

    def metrics(self, app):
        return request(app.port, "GET", "/metrics")[2].decode()

    def keys_of(self, name):
        """Every key holding `name`, with the master serving it."""
        found = []
        whole = re.compile(r"(^|[^\w-])%s($|[^\w-])" % re.escape(name))
        for node in self.cluster.masters():
            for k in node.command("KEYS", "*%s*" % name):
                if whole.search(k.decode()):
                    found.append((k.decode(), node))
        return found


class BasicTest(ClusterCase):
    def test_every_endpoint_over_three_masters(self):
        app = self.start_app("--events-stream", "as:ev:cluster")
        sdk = unique_version()
        users = [unique("cu") for _ in range(50)]
        jobs = [users[i % 50] for i in range(500)]
        with ThreadPoolExecutor(4) as pool:
            codes = list(pool.map(lambda u: self.impression(app, u, sdk), jobs))
        self.assertEqual(codes.count(200), 500, {c: codes.count(c) for c in set(codes)})
        for u in users[:5]:
            code, doc = self.stats(app, username=u)
            self.assertEqual((code, doc[u]["impressions"]), (200, 10), doc)
        code, doc = self.stats(app, sdk=sdk)
        self.assertEqual(doc[sdk]["impressions"], 500)
        # Keys on every master.
        holders = {node.port for u in users for _, node in self.keys_of(u)}
        self.assertEqual(holders, {n.port for n in self.cluster.masters()})
        # Top list.
        code, _, body = request(app.port, "GET", "/statistics/top",
                                {"dimension": "sdk", "limit": "100"})
        self.assertEqual(code, 200)
        self.assertIn(sdk.encode(), body)
        # The stream, on the master of its slot.
        holder = self.cluster.master_of_key("as:ev:cluster")
        self.assertGreaterEqual(holder.command("XLEN", "as:ev:cluster"), 500)
        # DELETE: every key of the user, wherever it lives.
        victim = users[0]
        code, _, body = request(app.port, "DELETE", "/statistics", {"username": victim},
                                headers={"Authorization": "Bearer " + TOKEN})
        self.assertEqual(code, 200, body)
        code, doc = self.stats(app, username=victim)
        self.assertTrue(code == 404 or doc[victim]["impressions"] == 0, doc)
        self.assertEqual(self.keys_of(victim), [])

    def test_a_seed_down_at_start(self):
        dead = socket.socket()
        dead.bind(("127.0.0.1", 0))
        port = dead.getsockname()[1]
        dead.close()
        app = self.start_app(seeds="127.0.0.1:%d,%s" % (port, self.cluster.seeds))
        user = unique("seed")
        wait_until(lambda: self.impression(app, user) == 200, 10, 0.05, "a first 200")
        self.assertEqual(self.impression(app, user), 200)
        self.assertGreaterEqual(self.stats(app, username=user)[1][user]["impressions"], 2)
        wait_until(lambda: "127.0.0.1:%d" % port in app.stderr(), 5, 0.05,
                   "a log line naming the seed that is down")


def move_slot(cluster, slot, dst, finish=True):
    """Moves `slot` to master `dst` by hand: IMPORTING/MIGRATING, its keys
    (MIGRATE), then (finish) SETSLOT ... NODE on every master. Unfinished,
    the slot stays migrating: its old owner answers ASK for absent keys."""
    src = cluster.master_of_slot(slot)
    src_id, dst_id = cluster.id_of(src), cluster.id_of(dst)
    dst.command("CLUSTER", "SETSLOT", slot, "IMPORTING", src_id)
    src.command("CLUSTER", "SETSLOT", slot, "MIGRATING", dst_id)
    for k in src.command("CLUSTER", "GETKEYSINSLOT", slot, 1000):
        src.command("MIGRATE", "127.0.0.1", dst.port, k, 0, 5000)
    if finish:
        finish_move(cluster, slot, dst)
    return src


def finish_move(cluster, slot, dst):
    for node in cluster.masters():
        node.command("CLUSTER", "SETSLOT", slot, "NODE", cluster.id_of(dst))


class RedirectTest(ClusterCase):
    def test_moved_after_a_slot_moves(self):
        app = self.start_app()
        user = unique("mv")
        self.assertEqual(self.impression(app, user), 200)
        key, src = next((k, p) for k, p in self.keys_of(user) if k.endswith(user))
        dst = next(n for n in self.cluster.masters() if n is not src)
        move_slot(self.cluster, key_slot(key), dst)
        for _ in range(9):
            self.assertEqual(self.impression(app, user), 200)
        self.assertEqual(self.stats(app, username=user)[1][user]["impressions"], 10)
        self.assertGreater(metric_value(self.metrics(app), "adstats_redis_redirects_total",
                                        kind="moved"), 0)

    def test_ask_while_a_slot_migrates(self):
        app = self.start_app()
        user = unique("ask")
        self.assertEqual(self.impression(app, user), 200)
        moved = []
        for key, src in self.keys_of(user):
            dst = next(n for n in self.cluster.masters() if n is not src)
            slot = key_slot(key)
            move_slot(self.cluster, slot, dst, finish=False)
            moved.append((slot, dst))
        for _ in range(4):
            self.assertEqual(self.impression(app, user), 200)
        self.assertEqual(self.stats(app, username=user)[1][user]["impressions"], 5)
        self.assertGreater(metric_value(self.metrics(app), "adstats_redis_redirects_total",
                                        kind="ask"), 0)
        for slot, dst in moved:
            finish_move(self.cluster, slot, dst)
        self.assertEqual(self.impression(app, user), 200)
        self.assertEqual(self.stats(app, username=user)[1][user]["impressions"], 6)


class WaitTest(ClusterCase):
    def test_wait_confirmed_by_one_replica(self):
        # WAIT waits up to half the timeout: 1 s, so that a loaded machine's
        # replication lag is not mistaken for a missing replica.
        app = self.start_app("--redis-wait-replicas", "1", "--redis-timeout-ms", "2000")
        user = unique("wait")
        for _ in range(20):
            self.assertEqual(self.impression(app, user), 200)
        self.assertEqual(self.stats(app, username=user)[1][user]["impressions"], 20)

    def test_wait_for_more_replicas_than_there_are(self):
        app = self.start_app("--redis-wait-replicas", "2", "--redis-timeout-ms", "200")
        self.assertEqual(self.impression(app, unique("wait2")), 503)
        self.assertGreater(metric_value(self.metrics(app), "adstats_redis_error_replies_total",
                                        code="WAIT"), 0)
        # Reads need no WAIT. The WAIT that timed out had the watchdog drop
        # that worker's connection, and a read in the gap before it is back
        # is a 503 (seen under ASan on a loaded machine): retry past it.
        def read():
            code = self.stats(app, username="nobody")[0]
            return None if code == 503 else code
        self.assertIn(wait_until(read, 10, what="a read once the connection is back"),
                      (200, 404))

    def test_refused_through_an_endpoint_that_cannot_wait(self):
        # A stand-in for twemproxy: it closes the connection on WAIT.
        srv = socket.socket()
        srv.bind(("127.0.0.1", 0))
        srv.listen(4)
        port = srv.getsockname()[1]

        def serve():
            try:
                conn, _ = srv.accept()
                conn.recv(100)
                conn.close()
            except OSError:
                pass
        threading.Thread(target=serve, daemon=True).start()
        r = subprocess.run([binary("adstats"), "--redis-url", "redis://127.0.0.1:%d/0" % port,
                            "--redis-wait-replicas", "1", "--port", "1"],
                           capture_output=True, text=True, timeout=20)
        srv.close()
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("twemproxy cannot forward WAIT", r.stderr)


if __name__ == "__main__":
    unittest.main()
