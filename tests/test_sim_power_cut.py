"""A power cut at every flash operation of a firmware recording on the sim board.

Two minutes around the demo night's seizure go through the whole firmware (drivers, chip
models, epochs, prefilter, raw windows) under MicroPython; power then fails during each
program or erase in turn. Every cut image must decode to a prefix of the uncut one.
"""

import os

import numpy as np
import pytest

from ictalog.fixture import load_fixture
from ictalog.logdecode import decode_file
from ictalog.shared import ringlog
from ictalog.simrun import sim_record

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")


def excerpt(start_s: float, stop_s: float):
    f = load_fixture(os.path.join(FIXTURES, "corpus_demo_seizure.npz"))
    hz = int(f.acc_hz)
    acc = f.acc_mg[int(start_s * hz):int(stop_s * hz)]
    beats = f.beat_s[(f.beat_s >= start_s) & (f.beat_s < stop_s)] - start_s
    return beats, acc, hz, stop_s - start_s


def records_of(image: str) -> list[tuple[int, int, bytes]]:
    from ictalog.logdecode import ImageBlockDevice

    with open(image, "rb") as f:
        log = ringlog.RingLog(ImageBlockDevice(f.read()))
    return list(log.records(start=0, include_log_kinds=True))


@pytest.fixture(scope="module")
def uncut(tmp_path_factory):
    beats, acc, hz, duration = excerpt(850, 1000)
    image = str(tmp_path_factory.mktemp("cut") / "full.img")
    result = sim_record(beats, acc, hz, duration, image, 16)
    return (beats, acc, hz, duration), result, records_of(image), image


def test_the_excerpt_raises_a_candidate_and_keeps_raw_motion(uncut):
    _, result, _, image = uncut
    summary = decode_file(image).summary()
    assert result["candidates"] == 1 and summary["raw_acc_windows"] == 1
    assert summary["records"]["raw_acc"] >= 6


def test_power_cut_at_every_operation_leaves_a_prefix(uncut, tmp_path):
    streams, result, full, _ = uncut
    assert result["ops"] > 10
    for cut in range(1, result["ops"] + 1):
        image = str(tmp_path / f"cut{cut}.img")
        out = sim_record(*streams, image, 16, cut_at_op=cut)
        assert out["cut"] and out["ops"] == cut
        got = records_of(image)
        assert got == full[:len(got)], f"cut at op {cut} is not a prefix"
        # At most the record being written when power failed is missing.
        assert len(got) >= len(full) - (result["ops"] - cut) - 1
