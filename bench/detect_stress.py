"""How the detectors degrade when a seizure is harder than the corpus makes it.

The corpus's convulsions are synthetic and every one of them raises the heart rate by
60 to 120 % (docs/CORPUS.md). Seizures on recordings we never see may move less, raise
the heart rate less or not at all, or come with the ECG unreadable. Each variant below
changes only the seizures of a night and leaves everything else as it was, so the false
alarms of a variant are those of the night itself:

- ``weak_motion``: the seizure's motion (acceleration minus its 1-s moving mean, from 5 s
  before onset to 10 s after the end) scaled to 50 %;
- ``no_heart_rate``: every beat from 60 s before onset to 60 s after the end removed, as
  if an electrode had come off;
- ``no_tachycardia``: the beats from 120 s before onset to 15 min after the end replaced
  by the same night's beats of 20 minutes earlier (or later, near the start), so the
  heart rate does not rise and the R-R artifact of the convulsion is gone;
- ``weak_no_tachycardia``: both;
- ``lis2dh12_fifo``: the whole night's acceleration rounded to 16 mg steps, what a
  LIS2DH12's FIFO keeps at +-8 g (10 bits; docs/FIRMWARE.md), so that detection is
  judged on what that part would have logged.

Usage: python bench/detect_stress.py CORPUS [--split train] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import replace

import numpy as np

from ictalog.fixture import Fixture, load_fixture
from ictalog.scoring import corpus_nights, score_recording, aggregate

VARIANTS = ("as_is", "weak_motion", "no_heart_rate", "no_tachycardia", "weak_no_tachycardia",
            "lis2dh12_fifo")
LIS2DH12_FIFO_STEP_MG = 16
WEAK_GAIN = 0.5
SHIFT_S = 1200.0


def _weak(fixture: Fixture) -> Fixture:
    acc = fixture.acc_mg.astype(np.float64)
    hz = fixture.acc_hz
    width = int(round(hz))
    kernel = np.ones(width) / width
    for event in fixture.seizures:
        a = max(0, int((event.onset_s - 5) * hz))
        b = min(len(acc), int((event.offset_s + 10) * hz))
        seg = acc[a:b]
        mean = np.stack([np.convolve(seg[:, i], kernel, mode="same") for i in range(3)], 1)
        acc[a:b] = mean + WEAK_GAIN * (seg - mean)
    return replace(fixture, acc_mg=np.round(acc).astype(np.int16))


def _no_hr(fixture: Fixture) -> Fixture:
    beats = fixture.beat_s
    keep = np.ones(len(beats), dtype=bool)
    for event in fixture.seizures:
        keep &= ~((beats >= event.onset_s - 60) & (beats <= event.offset_s + 60))
    return replace(fixture, beat_s=beats[keep], extras={})


def _no_tachy(fixture: Fixture) -> Fixture:
    beats = fixture.beat_s
    for event in fixture.seizures:
        lo, hi = event.onset_s - 120, event.offset_s + 900
        shift = SHIFT_S if lo - SHIFT_S > 0 else -SHIFT_S
        borrowed = beats[(beats >= lo - shift) & (beats < hi - shift)] + shift
        beats = np.sort(np.concatenate([beats[(beats < lo) | (beats >= hi)], borrowed]))
    return replace(fixture, beat_s=np.unique(beats), extras={})


def variant(fixture: Fixture, name: str) -> Fixture:
    """The fixture with its seizures made harder as ``name`` says."""
    if name == "lis2dh12_fifo":
        step = LIS2DH12_FIFO_STEP_MG
        coarse = np.round(fixture.acc_mg.astype(np.float64) / step) * step
        return replace(fixture, acc_mg=np.clip(coarse, -32768, 32767).astype(np.int16))
    if name == "as_is" or not fixture.seizures:
        return fixture
    if name == "weak_motion":
        return _weak(fixture)
    if name == "no_heart_rate":
        return _no_hr(fixture)
    if name == "no_tachycardia":
        return _no_tachy(fixture)
    if name == "weak_no_tachycardia":
        return _no_tachy(_weak(fixture))
    raise ValueError(f"unknown variant {name!r}")


def _night(job: tuple[str, str, tuple[str, ...]]) -> dict:
    from ictalog.score_cli import DETECTORS

    path, name, detectors = job
    fixture = load_fixture(path)
    rows = {}
    for v in VARIANTS:
        changed = variant(fixture, v)
        for d in detectors:
            found = DETECTORS[d](changed)
            rows[(v, d)] = score_recording(changed.events, found, changed.duration_s)
    return {"name": name, "rows": rows}


def run(corpus: str, split: str, detectors: tuple[str, ...] = ("ictalog", "osd"),
        workers: int | None = None) -> dict:
    from concurrent.futures import ProcessPoolExecutor

    entries = corpus_nights(corpus, split)
    jobs = [(os.path.join(corpus, e["name"] + ".npz"), e["name"], detectors)
            for e in entries]
    with ProcessPoolExecutor(workers or os.cpu_count()) as pool:
        nights = list(pool.map(_night, jobs))
    out: dict = {"split": split, "nights": len(nights), "variants": {}}
    for v in VARIANTS:
        out["variants"][v] = {}
        for d in detectors:
            agg = aggregate([n["rows"][(v, d)] for n in nights])["wearable"]
            out["variants"][v][d] = {
                "detected": agg["detected"], "seizures": agg["seizures"],
                "sensitivity": agg["sensitivity"],
                "median_latency_s": agg["latency_s"]["median"],
                "false_alarms": agg["false_alarms"],
            }
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus")
    parser.add_argument("--split", default="train")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = run(args.corpus, args.split)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"split {result['split']}, {result['nights']} nights")
    for v, by in result["variants"].items():
        for d, row in by.items():
            print(f"  {v:<20} {d:<10} {row['detected']}/{row['seizures']} found, median "
                  f"latency {row['median_latency_s']} s, {row['false_alarms']} false alarms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
