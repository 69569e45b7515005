# The CPython tests import the device code the way the device does (top-level shared and
# boards packages from the repository root) and reuse the dual-interpreter helpers.
import dataclasses
import itertools
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for path in (ROOT, os.path.join(ROOT, "tests", "mpy")):
    if path not in sys.path:
        sys.path.insert(0, path)

FIXTURES = os.path.join(ROOT, "tests", "fixtures")
_KEEP = object()


@pytest.fixture
def short_fixture(tmp_path):
    """Cut a committed fixture to its first seconds, so a simulated night runs quickly.

    Each simulated second costs MicroPython time, so firmware tests record minutes, not
    the fixture's hour. Returns ``cut(name, seconds, start_utc=...) -> path``; a
    ``start_utc`` given replaces the fixture's own (None removes it).
    """
    from ictalog.fixture import load_fixture, save_fixture

    counter = itertools.count(1)

    def cut(name="corpus_demo_seizure", seconds=600, start_utc=_KEEP):
        source = load_fixture(os.path.join(FIXTURES, name + ".npz"))
        duration_s = float(seconds)
        events = tuple(dataclasses.replace(e, recording_duration_s=duration_s)
                       for e in source.events if e.offset_s <= duration_s)
        short = dataclasses.replace(
            source, beat_s=source.beat_s[source.beat_s < duration_s],
            acc_mg=source.acc_mg[:int(duration_s * source.acc_hz)], duration_s=duration_s,
            events=events,
            start_utc=source.start_utc if start_utc is _KEEP else start_utc)
        path = str(tmp_path / ("%s_%ds_%d.npz" % (name, seconds, next(counter))))
        save_fixture(path, short)
        return path

    return cut
