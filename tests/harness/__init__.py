"""harness -- the one test harness of every Python suite of adstats.

Starts real processes on loopback ports -- a private redis-server, the mock
upstream (bin/vastmock) and adstats -- talks HTTP and RESP to them, and
always stops them: each runs in a process group of its own and is stopped
by its owner, or by an atexit hook (also on SIGTERM) for anything a crashed
test left behind; scratch directories go with them (ADSTATS_KEEP_TMP=1
keeps them). Binaries come from $ADSTATS_BIN (default <repo>/bin), so the
same suites run against the sanitizer build (ADSTATS_BIN=build/asan/bin).
Standard library only.

Modules (everything public is also importable from `harness` itself):
  ports        free_port: the one port policy (below the ephemeral range,
               reserved across processes, bind-checked), port_open
  procs        Proc, scratch directories, clean-up, bin_dir/binary,
               wait_until, eventually, run_processes (a bounded pool of forked workers)
  redis        RedisServer, RedisClient (the one RESP client), RedisError
  vastmock     VastMock
  adstats      Adstats, sanitizer_report, clean_env
  http         request, Response, HTTPClient, form_request, raw_exchange,
               parse_responses, event_params, event_query, metric_value
  stack        Stack, StackTestCase, unique, unique_version
  concurrency  tallying client processes (concurrency and cluster tests)
  loadgen      Load: a bounded load accounting for every answer (reliability)
  tracking     tracking tokens of GET /t (seal, token_body, token_event;
               import from harness.tracking)
  redis_cluster  RedisCluster: 3 masters + 3 replicas on loopback, faults,
               resharding, key_slot (import from harness.redis_cluster)

How the suites find it: this package lives in tests/, and every runner puts
tests/ on PYTHONPATH (no test file touches sys.path):

  make test                                   tests/run-all.sh: every suite
  python3 tests/integration/run.py            all integration modules
  python3 tests/integration/run.py test_api -k redirect    (run.py sets
                                              PYTHONPATH itself if unset)
  make test-faults, make test-hostile         one reliability suite, or:
  PYTHONPATH=tests python3 tests/reliability/test_faults.py
  make cluster-test                           deploy/local-cluster.sh test
  tests/browser.sh                            tests/browser/run.py

A test imports what it needs: `from harness import Stack, StackTestCase`.
"""

from .adstats import NO_UPSTREAM, SANITIZER_MARKERS, Adstats, clean_env, sanitizer_report
from .http import (HTTPClient, RawReply, Response, encode_query, event_params, event_query,
                   form_request, metric_value, parse_responses, raw_exchange, request)
from .ports import LOOPBACK, free_port, port_open
from .procs import (REPO, START_TIMEOUT_S, STOP_GRACE_S, Proc, StartError, bin_dir, binary,
                    eventually, make_tmpdir, raise_fd_limit, read_text, remove_tmpdir, run_processes,
                    wait_until)
from .redis import RedisClient, RedisError, RedisServer, redis_ping
from .redis_cluster import RedisCluster
from .stack import Stack, StackTestCase, unique, unique_version
from .vastmock import VastMock

__all__ = [
    "Adstats", "eventually", "HTTPClient", "LOOPBACK", "NO_UPSTREAM", "Proc", "REPO", "RawReply",
    "RedisClient", "RedisCluster", "RedisError", "RedisServer", "Response", "SANITIZER_MARKERS",
    "START_TIMEOUT_S",
    "STOP_GRACE_S", "Stack", "StackTestCase", "StartError", "VastMock", "bin_dir", "binary",
    "clean_env", "encode_query", "event_params", "event_query", "form_request", "free_port", "metric_value", "make_tmpdir",
    "parse_responses", "port_open", "raise_fd_limit", "raw_exchange", "read_text",
    "redis_ping", "remove_tmpdir", "request", "run_processes", "sanitizer_report",
    "unique", "unique_version", "wait_until",
]
