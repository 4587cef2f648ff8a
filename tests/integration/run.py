#!/usr/bin/env python3
"""run.py -- runs every integration test module in this directory.

    python3 tests/integration/run.py            # against bin/
    ADSTATS_BIN=build/asan/bin python3 tests/integration/run.py
    python3 tests/integration/run.py test_api   # only some modules (or -k PATTERN)

The tests import the harness package (tests/harness) with tests/ on
PYTHONPATH, which this runner sets when it is not.

Prints unittest's verbose report, then a last line "N passed, N failed"
(", N skipped" when some were), and exits 1 on any failure or error.
"""

import argparse
import os
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(HERE)


def ensure_pythonpath():
    """The test harness is the package tests/harness: every runner puts
    tests/ on PYTHONPATH. Started by hand without it, this runner starts
    itself again with it set (the one way the suites find the harness)."""
    parts = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if any(os.path.abspath(p) == TESTS for p in parts):
        return
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([TESTS] + parts))
    os.execve(sys.executable, [sys.executable] + sys.argv, env)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("modules", nargs="*", help="test modules to run (default: all test_*.py)")
    ap.add_argument("-k", dest="patterns", action="append", default=None,
                    help="only tests whose name contains this substring (repeatable)")
    args = ap.parse_args()
    ensure_pythonpath()

    import harness  # installs the clean-up hooks before any test module runs

    loader = unittest.TestLoader()
    if args.patterns:
        loader.testNamePatterns = ["*%s*" % p for p in args.patterns]
    if args.modules:
        suite = unittest.TestSuite(
            loader.loadTestsFromName(m[:-3] if m.endswith(".py") else m) for m in args.modules)
    else:
        suite = loader.discover(HERE, pattern="test_*.py", top_level_dir=HERE)

    sys.stderr.write("adstats integration tests: binaries from %s\n" % harness.bin_dir())
    started = time.monotonic()
    result = unittest.TextTestRunner(verbosity=2, stream=sys.stderr).run(suite)
    elapsed = time.monotonic() - started

    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    skipped = len(result.skipped)
    passed = result.testsRun - failed - skipped - len(result.expectedFailures)
    # Errors in setUpClass/tearDownClass are not tests that ran, but they
    # are failures all the same.
    passed = max(passed, 0)
    sys.stderr.flush()
    sys.stdout.write("integration run took %.1f s\n" % elapsed)
    line = "%d passed, %d failed" % (passed, failed)
    if skipped:
        line += ", %d skipped" % skipped
    sys.stdout.write(line + "\n")
    sys.stdout.flush()
    return 0 if result.wasSuccessful() and failed == 0 and result.testsRun > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
