"""``ictalog prefilter``: the on-device prefilter replayed under both interpreters."""

import json
import math
import os

import numpy as np
import pytest

from ictalog.cli import main
from ictalog.fixture import Fixture, save_fixture


def shaking_fixture(path: str) -> None:
    """Twenty minutes still on the back; a minute of 4 Hz jerks with tachycardia at 10 min."""
    acc_hz = 25
    seconds = 20 * 60
    t = np.arange(seconds * acc_hz) / acc_hz
    rng = np.random.default_rng(3)
    acc = rng.normal(0, 3, (len(t), 3))
    acc[:, 2] += 1000
    fit = (t >= 600) & (t < 660)
    acc[fit, 0] += 900 * np.sin(2 * math.pi * 4 * t[fit])
    acc[fit, 1] += 500 * np.sin(2 * math.pi * 4 * t[fit] + 1)
    rr = np.where((np.arange(1500) > 700) & (np.arange(1500) < 900), 0.45, 0.85)
    beat_s = np.cumsum(rr)
    beat_s = beat_s[beat_s < seconds]
    save_fixture(path, Fixture(acc_mg=np.round(acc).astype(np.int16), acc_hz=acc_hz,
                               beat_s=beat_s, duration_s=float(seconds)))


@pytest.fixture(scope="module")
def shaking(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("pf") / "shake.npz")
    shaking_fixture(path)
    return path


def replay(capsys, path, runtime):
    capsys.readouterr()
    assert main(["prefilter", path, "--runtime", runtime, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_both_runtimes_print_identical_events(shaking, capsys):
    mpy = replay(capsys, shaking, "micropython")
    cpy = replay(capsys, shaking, "cpython")
    assert mpy["events"] == cpy["events"]
    assert len(mpy["events"]) == 1
    event = mpy["events"][0]
    assert 595 <= event["onset_s"] <= 605
    assert event["detected_s"] - 600 <= 10
    assert set(event) >= {"onset_s", "duration_s", "confidence", "kind"}


def test_still_night_raises_nothing(capsys):
    fixture = os.path.join(os.path.dirname(__file__), "fixtures", "szdb_sz01.npz")
    assert replay(capsys, fixture, "micropython")["events"] == []


FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")
ALL_FIXTURES = sorted(f for f in os.listdir(FIXTURES) if f.endswith(".npz"))


@pytest.mark.parametrize("name", ALL_FIXTURES)
def test_identical_events_on_every_committed_fixture(name, capsys):
    path = os.path.join(FIXTURES, name)
    assert replay(capsys, path, "micropython")["events"] == \
        replay(capsys, path, "cpython")["events"]


def test_demo_seizure_is_caught_within_30_s(capsys):
    events = replay(capsys, os.path.join(FIXTURES, "corpus_demo_seizure.npz"),
                    "micropython")["events"]
    onset_s = 904.331
    assert any(e["detected_s"] <= onset_s + 30 and e["onset_s"] <= onset_s + 43
               for e in events)
