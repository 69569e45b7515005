# Runs the dual-interpreter test modules (tests/mpy/test_*.py) under whichever Python
# starts it. MicroPython has no pytest: this finds each test_ function, runs it, prints
# each failure with its traceback, and ends with "N passed, N failed"; the exit status is
# 1 if anything failed or nothing ran.
#
# Usage: micropython tests/mpy/run.py [MODULE ...]   (from the repository root)

import os
import sys

HERE = "tests/mpy"
sys.path.insert(0, HERE)
sys.path.insert(0, ".")


def _print_exception(exc):
    if hasattr(sys, "print_exception"):
        sys.print_exception(exc)
    else:
        import traceback
        traceback.print_exception(type(exc), exc, exc.__traceback__)


def main(argv):
    names = argv[1:]
    if not names:
        names = sorted(f[:-3] for f in os.listdir(HERE)
                       if f.startswith("test_") and f.endswith(".py"))
    passed = 0
    failed = 0
    for name in names:
        module = __import__(name)
        for attr in sorted(dir(module)):
            if not attr.startswith("test_"):
                continue
            func = getattr(module, attr)
            if not callable(func):
                continue
            try:
                func()
                passed += 1
            except Exception as exc:
                failed += 1
                print("FAIL %s.%s: %r" % (name, attr, exc))
                _print_exception(exc)
    impl = sys.implementation.name
    print("%s: %d passed, %d failed" % (impl, passed, failed))
    return 1 if failed or not passed else 0


sys.exit(main(sys.argv))
