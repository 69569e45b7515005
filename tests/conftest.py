# The CPython tests import the device code the way the device does (top-level shared and
# boards packages from the repository root) and reuse the dual-interpreter helpers.
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for path in (ROOT, os.path.join(ROOT, "tests", "mpy")):
    if path not in sys.path:
        sys.path.insert(0, path)
