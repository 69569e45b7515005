# Code that runs unchanged on the wearable (MicroPython) and on the desktop (CPython).
# The Python subset it may use is written down in docs/SUBSET.md and held by
# tests/test_subset.py.
