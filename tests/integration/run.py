#!/usr/bin/env python3
"""run.py -- runs every tests/integration/test_*.py with unittest.

    python3 tests/integration/run.py [-v] [test_module_or_pattern ...]

Binaries come from $ADSTATS_BIN (see harness.py). Exits non-zero if any
test failed. Standard library only.
"""

import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))


def main(argv):
    verbosity = 2 if "-v" in argv else 1
    names = [a for a in argv if a != "-v"]
    sys.path.insert(0, HERE)
    loader = unittest.TestLoader()
    if names:
        suite = unittest.TestSuite()
        for name in names:
            name = os.path.basename(name)
            name = name[:-3] if name.endswith(".py") else name
            suite.addTests(loader.loadTestsFromName(name))
    else:
        suite = loader.discover(HERE, pattern="test_*.py", top_level_dir=HERE)
    result = unittest.TextTestRunner(verbosity=verbosity).run(suite)
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
