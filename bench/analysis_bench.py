"""Host analysis figures for ``make bench``: R-R cleaning against references, the
heart-rate-only path on real recordings, how the detectors degrade on harder seizures,
and how long a 14-night study takes to analyse.

- ``rr``: :func:`ictalog.rr_validate.collect` on the committed fixtures (MIT-BIH 100 beat
  agreement, szdb ictal heart rate) and the corpus's training split.
- ``szdb_hr_only``: ``ictalog detect`` on the szdb fixtures, which have beats and no
  acceleration, so only the heart-rate-only path can speak. Their seizures are focal
  (PhysioNet "post-ictal heart rate oscillations in partial epilepsy"); a candidate
  counts for a seizure when it overlaps it widened by 30 s before and 60 s after
  (SzCORE's tolerance). Nothing was tuned on these records.
- ``stress``: :mod:`detect_stress` on the corpus's test split.
- ``study_time``: see :func:`study_time`.
"""

from __future__ import annotations

import glob
import os
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "tests", "fixtures")


def rr(corpus: str) -> dict:
    from ictalog.rr_validate import _no_nan, collect, corpus_split_agreement

    out = collect(FIXTURES, corpus, "train")
    # The validation split was not used to tune the cleaner: printed beside training.
    out["corpus_validation"] = corpus_split_agreement(corpus, "validation")
    return _no_nan(out)


def szdb_hr_only() -> dict:
    from ictalog.detect import KIND_HR_ONLY, detect_fixture
    from ictalog.fixture import load_fixture

    rows = []
    found = seizures = outside = 0
    hours = 0.0
    for path in sorted(glob.glob(os.path.join(FIXTURES, "szdb_*.npz"))):
        fixture = load_fixture(path)
        night = detect_fixture(fixture)
        candidates = [e for e in night.events if e.kind == KIND_HR_ONLY]
        hours += fixture.duration_s / 3600.0
        windows = [(s.onset_s - 30.0, s.offset_s + 60.0) for s in fixture.seizures]
        hit = [any(e.onset_s < hi and e.end_s > lo for e in candidates) for lo, hi in windows]
        alone = [e for e in candidates
                 if not any(e.onset_s < hi and e.end_s > lo for lo, hi in windows)]
        found += sum(hit)
        seizures += len(windows)
        outside += len(alone)
        rows.append({
            "fixture": fixture.name, "hours": round(fixture.duration_s / 3600.0, 2),
            "seizures": len(windows), "found": int(sum(hit)), "candidates": len(candidates),
            "outside_seizures": len(alone),
            "convulsive": len(night.convulsive()),
            "onsets_s": [round(e.onset_s) for e in candidates],
        })
    return {"recordings": rows, "seizures": seizures, "found": found,
            "outside_seizures": outside, "hours": round(hours, 2),
            "outside_per_24h": round(outside / hours * 24.0, 2) if hours else None}


def stress(corpus: str) -> dict:
    import detect_stress

    return detect_stress.run(corpus, "test")


STUDY_NIGHTS = 14
TIME_REPEATS = 3


def study_time(corpus: str) -> dict:
    """A 14-night study recorded by the firmware and synced night by night, analysed.

    ``tools/sim_study.py`` records 14 corpus nights (the test split first) as boots of one
    simulated device, with a sync image after each night. The firmware runs under
    CPython here, which writes the same image as MicroPython byte for byte
    (tests/test_sim_boots.py) and is faster. Then ``load_study`` (merge the 14 syncs,
    fit the clock, cut the nights) and detection on every night are timed, best of
    three. The events found are matched to the corpus's annotations on the wall clock,
    so the figures also say what the study path finds.
    """
    import json
    import subprocess
    import sys
    import tempfile
    from datetime import datetime

    from ictalog.detect import detect_series
    from ictalog.fixture import load_fixture
    from ictalog.prefilter_eval import corpus_entries
    from ictalog.study import load_study

    entries = sorted(corpus_entries(corpus), key=lambda e: (e["split"] != "test", e["name"]))
    paths = [os.path.join(corpus, e["name"] + ".npz") for e in entries[:STUDY_NIGHTS]]
    with tempfile.TemporaryDirectory() as tmp:
        folder = os.path.join(tmp, "study")
        started = time.time()
        proc = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "sim_study.py"),
                               "--out", folder, "--runtime", "cpython", "--json", *paths],
                              capture_output=True, text=True)
        record_s = time.time() - started
        if proc.returncode not in (0, 1):
            raise RuntimeError(f"tools/sim_study.py failed: {proc.stderr[-2000:]}")
        # Exit 1 means a night was not placed as recorded; the figures say so below.
        made = json.loads(proc.stdout)
        load_runs, detect_runs = [], []
        for _ in range(TIME_REPEATS):
            t0 = time.perf_counter()
            study = load_study(folder)
            t1 = time.perf_counter()
            nights = [detect_series(series) for series in study.nights]
            t2 = time.perf_counter()
            load_runs.append(t1 - t0)
            detect_runs.append(t2 - t1)
        files = len(study.files)
    # What was found, on the wall clock, against the nights' annotations.
    seizures = found = false_alarms = 0
    for path in paths:
        fixture = load_fixture(path)
        start = datetime.fromisoformat(fixture.start_utc).timestamp()
        for night in nights:
            origin = datetime.fromisoformat(night.start_utc).timestamp()
            if abs(origin - start) > 3600:
                continue
            shift = origin - start
            events = night.convulsive()
            windows = [(s.onset_s - 120, s.offset_s + 10) for s in fixture.seizures]
            seizures += len(windows)
            found += sum(any(lo <= e.raise_s + shift <= hi for e in events)
                         for lo, hi in windows)
            false_alarms += sum(not any(lo <= e.raise_s + shift <= hi for lo, hi in windows)
                                for e in events)
    best = min(a + b for a, b in zip(load_runs, detect_runs))
    return {
        "nights": len(nights), "sync_files": files,
        "hours": round(sum(n.duration_s for n in nights) / 3600.0, 1),
        "beats": int(sum(n.quality["beats"] for n in nights)),
        "record_s": round(record_s, 1), "repeats": TIME_REPEATS,
        "load_s": round(min(load_runs), 2), "detect_s": round(min(detect_runs), 2),
        "total_s": round(best, 2),
        "seizures": seizures, "found": found, "false_alarms": false_alarms,
        "placed_as_recorded": bool(made["ok"]),
    }


def run(corpus: str) -> dict:
    started = time.time()
    out = {"rr": rr(corpus), "szdb_hr_only": szdb_hr_only(), "stress": stress(corpus),
           "study_time": study_time(corpus)}
    out["wall_s"] = round(time.time() - started, 1)
    return out
