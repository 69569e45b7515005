"""A simulated multi-night study (``tools/sim_study.py``) loaded as a study.

The tool records fixtures as consecutive boots of one simulated device, with the real
firmware under MicroPython, and leaves a study folder of syncs; the study loader must put
every night on the wall clock. Fixtures are cut to minutes to keep the runs short.
"""

import json
import os
import subprocess
import sys
from datetime import datetime

import numpy as np

from ictalog.fixture import load_fixture
from ictalog.study import load_study

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOOL = os.path.join(ROOT, "tools", "sim_study.py")
# Half a tick of the front end's 1/128 s clock plus the millisecond a record is stamped.
BEAT_TOLERANCE_S = 1 / 256 + 0.001


def sim_study(out, *args):
    proc = subprocess.run([sys.executable, TOOL, "--out", str(out), "--flash-kib", "256",
                           "--json", *args], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    return json.loads(proc.stdout)


def wall_s(iso):
    return datetime.fromisoformat(iso).timestamp()


def assert_nights_match(study, fixtures, starts_utc):
    # One night per boot, each beat where its fixture put it (less each boot's first).
    assert study.unplaced == [] and study.problems == []
    assert len(study.nights) == len(fixtures)
    for night, fixture, start in zip(study.nights, fixtures, starts_utc):
        placed = wall_s(night.start_utc) + night.beat_s
        expected = wall_s(start) + load_fixture(fixture).beat_s[1:]
        assert len(placed) == len(expected)
        assert np.max(np.abs(placed - expected)) <= BEAT_TOLERANCE_S


def test_two_nights_of_one_device_are_placed_and_match_their_fixtures(short_fixture,
                                                                      tmp_path):
    # Both demo nights start 2025-01-06T22:30Z, so the nights go on consecutive evenings.
    fixtures = [short_fixture("corpus_demo_seizure", 600),
                short_fixture("corpus_demo_mimics", 600)]
    out = tmp_path / "study"
    summary = sim_study(out, "--utc-offset-min", "60", "--study-id", "ST-7", *fixtures)
    assert summary["ok"] is True
    assert summary["night_starts"] == "day k at 22:30 local from 2025-01-06"
    # 22:30 at UTC+1 is 21:30 UTC.
    starts = ["2025-01-06T21:30:00+00:00", "2025-01-07T21:30:00+00:00"]
    assert [n["start_utc"] for n in summary["nights"]] == starts
    assert [n["boot"] for n in summary["nights"]] == [1, 2]
    assert sorted(os.listdir(out)) == ["device.img", "sync-20250106T2140Z.img",
                                       "sync-20250107T2140Z.img"]

    # The loader, on its own, over the folder the tool left.
    study = load_study(out)
    assert_nights_match(study, fixtures, starts)
    assert [n.name for n in study.nights] == ["ST-7/2025-01-06", "ST-7/2025-01-07"]
    assert [s["boot_count"] for s in study.segments] == [1, 2]
    assert all(s["placed"] for s in study.segments)
    # The first sync alone holds the first night only.
    first = load_study(out / "sync-20250106T2140Z.img")
    assert_nights_match(first, fixtures[:1], starts[:1])


def test_distinct_fixture_starts_are_kept(short_fixture, tmp_path):
    starts = ["2025-02-10T23:00:00+00:00", "2025-02-12T01:15:00+00:00"]
    fixtures = [short_fixture("corpus_demo_seizure", 300, start_utc=starts[0]),
                short_fixture("corpus_demo_mimics", 300, start_utc=starts[1])]
    summary = sim_study(tmp_path / "study", *fixtures)
    assert summary["night_starts"] == "the fixtures' start_utc"
    assert [n["start_utc"] for n in summary["nights"]] == starts
    assert_nights_match(load_study(tmp_path / "study"), fixtures, starts)
