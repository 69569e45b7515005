"""Measure and tune the on-device prefilter on a corpus with fixed splits.

The prefilter's per-second inputs (the epoch's activity and clonic-band share, and the R-R
intervals of each second) are computed once per night with the device code
(``shared/motion.py``) under CPython; the prefilter itself (``shared/prefilter.py``) then
runs over them for each parameter set. Both interpreters give the same events on the same
input (``ictalog prefilter --runtime``), so tuning under CPython is tuning the device.

Criteria (the firmware issue): a convulsive seizure counts as caught when a candidate is
raised no later than 30 s after motor onset and before the seizure ends; a seizure-free
night may raise at most 3 candidates. Tuning looks at the training split only.
"""

from __future__ import annotations

import itertools
import json
import os
from dataclasses import dataclass

import numpy as np

from .fixture import at_device_rate, load_fixture
from .shared.motion import EpochFeatures
from .shared.prefilter import Prefilter

STILL_MG = 20
TICK_HZ = 128
CATCH_WITHIN_S = 30


@dataclass
class NightInputs:
    name: str
    split: str
    act_mg: np.ndarray
    band: np.ndarray
    rr_ticks_by_second: list[list[int]]
    seizures: list[tuple[float, float]]
    mimics: list[tuple[str, float, float]]
    hours: float


def night_inputs(path: str, split: str) -> NightInputs:
    """The prefilter's inputs for one fixture, computed with the device's epoch code."""
    cache = path[:-4] + ".prefilter-inputs.npz"
    fixture = at_device_rate(load_fixture(path))
    hz = int(round(fixture.acc_hz))
    seconds = len(fixture.acc_mg) // hz
    if os.path.exists(cache) and os.path.getmtime(cache) >= os.path.getmtime(path):
        data = np.load(cache)
        act, band = data["act_mg"], data["band"]
    else:
        features = EpochFeatures(hz)
        flat = fixture.acc_mg.reshape(-1).tolist()
        act = np.zeros(seconds, dtype=np.int32)
        band = np.zeros(seconds, dtype=np.int32)
        for s in range(seconds):
            features.compute(flat, s * hz)
            act[s] = features.act_mg
            band[s] = features.band
        np.savez_compressed(cache, act_mg=act, band=band)
    ticks = np.round(fixture.beat_s * TICK_HZ).astype(np.int64)
    rr = np.diff(ticks)
    by_second: list[list[int]] = [[] for _ in range(seconds)]
    for tick, value in zip(ticks[1:], rr):
        s = int(tick // TICK_HZ)
        if s < seconds:
            by_second[s].append(int(value))
    seizures = [(e.onset_s, e.offset_s) for e in fixture.events if e.is_seizure]
    mimics = [(e.event_type, e.onset_s, e.offset_s) for e in fixture.events
              if not e.is_seizure]
    return NightInputs(os.path.basename(path)[:-4], split, act, band, by_second, seizures,
                       mimics, fixture.duration_s / 3600)


def run_prefilter(night: NightInputs, params: dict) -> list[tuple[int, int, int, int]]:
    """Candidates as (onset_s, duration_s, score, detected_s), exactly as on the device."""
    pf = Prefilter(**params)
    still = True
    out = []
    act = night.act_mg.tolist()
    band = night.band.tolist()
    for s in range(len(act)):
        for value in night.rr_ticks_by_second[s]:
            pf.beat(value, still)
        still = act[s] < STILL_MG
        found = pf.second(s, act[s], band[s])
        if found:
            out.append(found)
    found = pf.finish()
    if found:
        out.append(found)
    return out


def score(nights: list[NightInputs], params: dict) -> dict:
    """Recall within CATCH_WITHIN_S of motor onset, and candidates per seizure-free night."""
    caught = total = 0
    latencies = []
    free_counts = []
    by_mimic: dict[str, int] = {}
    missed = []
    for night in nights:
        found = run_prefilter(night, params)
        for onset, offset in night.seizures:
            total += 1
            hits = [d for (o, dur, _s, d) in found
                    if d <= onset + CATCH_WITHIN_S and d <= offset and o + dur >= onset - 60]
            if hits:
                caught += 1
                latencies.append(max(0, min(hits) - onset))
            else:
                missed.append(f"{night.name}@{onset:.0f}s")
        if not night.seizures:
            free_counts.append(len(found))
        for (o, dur, _s, _d) in found:
            if any(a - 60 <= o <= b + 60 for a, b in night.seizures):
                continue
            kind = next((k for k, a, b in night.mimics if a - 30 <= o <= b + 30), "other")
            by_mimic[kind] = by_mimic.get(kind, 0) + 1
    return {
        "seizures": total,
        "caught_within_30s": caught,
        "recall": round(caught / total, 4) if total else None,
        "median_latency_s": float(np.median(latencies)) if latencies else None,
        "max_latency_s": float(max(latencies)) if latencies else None,
        "seizure_free_nights": len(free_counts),
        "max_candidates_per_free_night": max(free_counts) if free_counts else None,
        "mean_candidates_per_free_night": round(float(np.mean(free_counts)), 3)
        if free_counts else None,
        "false_candidates_by_type": dict(sorted(by_mimic.items())),
        "missed": missed[:20],
    }


GRID = {
    "act_min_mg": (80, 120, 180),
    "act_min_tachy_mg": (40, 70),
    "band_min": (4, 6, 8),
    "count_min": (3, 4, 6),
    "tachy_pct": (20, 35),
}


# Seizures on recordings never seen may move less than the synthetic ones: a setting is
# also scored with every second's activity scaled by this factor, and the one that keeps
# most of its recall there wins among those that meet the candidate budget.
WEAKER_MOTION = 0.6
# Candidates per seizure-free night a tuned setting may raise on the training split: under
# the bar of 3, to leave room on nights it has not seen.
TRAIN_BUDGET = 2


def weaker(nights: list[NightInputs], factor: float) -> list[NightInputs]:
    """The same nights with every second's activity scaled by factor."""
    return [NightInputs(n.name, n.split, (n.act_mg * factor).astype(np.int32), n.band,
                        n.rr_ticks_by_second, n.seizures, n.mimics, n.hours)
            for n in nights]


def tune(train: list[NightInputs]) -> tuple[dict, dict]:
    """Best parameters on the training split.

    Ranked by: full recall; then at most TRAIN_BUDGET candidates on every seizure-free
    night; then the recall kept when motion is weaker (WEAKER_MOTION); then the fewest
    candidates on seizure-free nights.
    """
    faint = weaker(train, WEAKER_MOTION)
    best = None
    for values in itertools.product(*GRID.values()):
        params = dict(zip(GRID.keys(), values))
        if params["act_min_tachy_mg"] > params["act_min_mg"]:
            continue
        result = score(train, params)
        most = result["max_candidates_per_free_night"] or 0
        if result["recall"] != 1.0 or most > TRAIN_BUDGET:
            continue
        robust = score(faint, params)["recall"] or 0
        key = (-robust, most, result["mean_candidates_per_free_night"] or 0)
        if best is None or key < best[0]:
            result["recall_with_weaker_motion"] = robust
            best = (key, params, result)
    if best is None:
        raise ValueError("no setting in the grid catches every training seizure within "
                         "the candidate budget")
    return best[1], best[2]


def corpus_entries(folder: str) -> list[dict]:
    """The nights listed in a corpus's ``corpus.json``."""
    with open(os.path.join(folder, "corpus.json")) as f:
        manifest = json.load(f)
    # Manifests written before the key settled list the nights under "night_list".
    entries = manifest["nights"]
    if not isinstance(entries, list):
        entries = manifest["night_list"]
    return entries


def load_corpus(folder: str) -> list[NightInputs]:
    return [night_inputs(os.path.join(folder, e["name"] + ".npz"), e["split"])
            for e in corpus_entries(folder)]
