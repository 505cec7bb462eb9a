#!/usr/bin/env python3
"""Runs ihome's integration test modules against the real stack.

usage: tests/integration/run.py MODULE.py...

For each module: unittest's verbose output, then exactly one line
`suite-result integration/<module-name> <passed> <failed>` on stdout.  Errors count as
failures, and so do skipped tests, expected failures and tests that never ran because a
module or class fixture failed; an error while tearing a stack down (a process left running)
counts as one more failure.  When a module fails, the tail of every stack log it produced
is printed.  Exit status 1 if anything failed.
"""

import importlib.util
import os
import signal
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))

# The suites use Python libraries from Debian packages (python3-icalendar,
# python3-prometheus-client: scripts/install-deps), which only Debian's own
# interpreter sees.  Another python3 first on PATH (pyenv, a venv) hands over.
DEBIAN_PYTHON = "/usr/bin/python3"
if (os.path.realpath(sys.executable) != os.path.realpath(DEBIAN_PYTHON)
        and os.access(DEBIAN_PYTHON, os.X_OK) and not os.environ.get("IHOME_TESTS_REEXEC")):
    os.environ["IHOME_TESTS_REEXEC"] = "1"
    os.execv(DEBIAN_PYTHON, [DEBIAN_PYTHON, os.path.abspath(__file__)] + sys.argv[1:])
sys.path.insert(0, HERE)

import harness  # noqa: E402


class CountingResult(unittest.TextTestResult):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.passed = 0
        self.fixture_errors = 0

    def addSuccess(self, test):
        super().addSuccess(test)
        self.passed += 1

    def addError(self, test, err):
        super().addError(test, err)
        # Module and class fixture failures arrive as an _ErrorHolder, not a TestCase.  A
        # failed setUp already leaves its tests unpassed; a failed tearDown (a stack that
        # would not stop cleanly) comes after they passed and counts on its own.
        if not isinstance(test, unittest.TestCase) and str(test).startswith("tearDown"):
            self.fixture_errors += 1


def load_module(path):
    name = os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return name, module


def run_module(path):
    first_stack = len(harness.STARTED_STACKS)
    started = time.monotonic()
    try:
        name, module = load_module(path)
    except Exception:
        import traceback
        name = os.path.splitext(os.path.basename(path))[0]
        traceback.print_exc()
        print("suite-result integration/%s 0 1" % name, flush=True)
        return 0, 1
    suite = unittest.defaultTestLoader.loadTestsFromModule(module)
    total = suite.countTestCases()
    runner = unittest.TextTestRunner(stream=sys.stdout, verbosity=2, resultclass=CountingResult)
    print("== integration/%s: %d tests" % (name, total), flush=True)
    result = runner.run(suite)
    passed = result.passed
    # Tests not passed (failed, errored, skipped, never run) plus fixture errors that came
    # after every test had passed (e.g. a stack that would not stop cleanly).
    failed = total - passed + result.fixture_errors
    if failed:
        for stack in harness.STARTED_STACKS[first_stack:]:
            tail = stack.read_log_tail(60) if stack.tmp else stack.log_tail
            print("---- log tail of stack %r (port %s, VAR %s) ----" % (stack.name, stack.port,
                                                                         stack.var))
            print(tail)
            print("---- end of log ----")
    print("(%s took %.1f s)" % (name, time.monotonic() - started))
    print("suite-result integration/%s %d %d" % (name, passed, failed), flush=True)
    return passed, failed


def interrupted(_signum, _frame):
    # SIGTERM (a CI timeout) unwinds like Ctrl-C, so fixtures and atexit stop the stacks.
    raise KeyboardInterrupt


def main(argv):
    signal.signal(signal.SIGTERM, interrupted)
    paths = argv[1:]
    if not paths:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    total_passed = total_failed = 0
    for path in paths:
        p, f = run_module(os.path.abspath(path))
        total_passed += p
        total_failed += f
    print("integration: %d passed, %d failed" % (total_passed, total_failed), flush=True)
    return 1 if total_failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
