"""Score detected events against annotated seizures, the way the field reports detectors.

Two conventions are computed side by side, because a reader comparing with published
devices needs both (``../shared/ANCHORS.md``, "Scoring conventions"):

**SzCORE** (Dan et al. 2024), through the ``timescoring`` package with its default
event parameters: a reference seizure is found when a hypothesis overlaps it widened by
30 s before and 60 s after; events longer than 300 s are split and events less than
90 s apart are merged, in the reference and in the hypothesis alike. Annotations are
built at 1 Hz (``SZCORE_FS_HZ``); timescoring itself works on a 10 Hz grid. The
hypothesis is each detection's extent, ``onset_s`` to ``end_s``, widened to at least
``MIN_HYPOTHESIS_S`` so that a zero-length detection does not vanish from the grid.
Overlapping hypotheses are joined first, because timescoring expects sorted, disjoint
events.

**Wearable** (Spahr 2025), as implemented here:

* every detection has a *raise time*, ``raise_s``: the moment the device would sound the
  alarm (for OpenSeizureDetector the end of its third seizure-like window, for the
  prefilter the second it reported the candidate). Only the raise time decides whether
  a detection is true, because an alarm helps a carer only from the moment it sounds;
* a detection is true for a seizure when its raise time lies in the closed interval
  from ``WEARABLE_BEFORE_S`` (120 s) before the seizure's onset to ``WEARABLE_AFTER_S``
  (10 s) after its end. A seizure is detected when at least one detection is true for
  it, and its latency is the earliest such raise time minus the annotated (motor)
  onset; it is negative when the alarm came before the motor phase;
* alarms are grouped into episodes: each detection stands from its raise time to its
  end (or just its raise time, if it ended earlier), and a detection raised less than
  ``WEARABLE_MERGE_S`` (150 s) after the current episode ends joins that episode;
* an episode holding a true detection raises no false alarm (its other alarms belong to
  the same seizure). Any other episode counts one false alarm per started
  ``WEARABLE_MAX_FALSE_ALARM_S`` (150 s) of its length, at least one: a shaking that
  keeps an alarm standing for ten minutes costs four;
* each false-alarm episode is attributed to the ``eventType`` of the non-seizure
  annotation it overlaps (its extent runs from the earliest detection onset to its end).
  A ``mimic_...`` type wins over a ``bckg_...`` one (a brushing mimic lies inside an
  out-of-bed episode and is the more specific cause), then the largest overlap wins;
  ``unannotated`` when nothing overlaps.

Rates: false alarms per night are the total divided by the number of recordings; per
24 h they are the total divided by the recorded hours, times 24. Per-recording
sensitivity is taken over recordings with at least one seizure, and its median is
reported with the event sensitivity (in the synthetic corpus each night stands for a
patient).
"""

from __future__ import annotations

import json
import logging
import math
import os
import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import IctalogError
from .fixture import Event, Fixture, load_fixture

__all__ = [
    "CONVENTIONS",
    "DetectedEvent",
    "Detector",
    "NightDetector",
    "SPLITS",
    "ScoringError",
    "SzcoreResult",
    "WearableResult",
    "aggregate",
    "corpus_nights",
    "poisson_interval",
    "reference_on_wall_clock",
    "score_corpus",
    "score_recording",
    "score_study",
    "szcore_score",
    "wearable_score",
    "wilson_interval",
]

log = logging.getLogger(__name__)

#: Annotation rate handed to timescoring.
SZCORE_FS_HZ = 1
#: Shortest hypothesis given to timescoring, so that it covers at least one grid step.
MIN_HYPOTHESIS_S = 1.0
#: Wearable convention: a detection raised this long before onset still counts.
WEARABLE_BEFORE_S = 120.0
#: Wearable convention: a detection raised this long after the seizure's end still counts.
WEARABLE_AFTER_S = 10.0
#: Wearable convention: alarms closer than this join one episode.
WEARABLE_MERGE_S = 150.0
#: Wearable convention: the longest stretch that counts as one false alarm.
WEARABLE_MAX_FALSE_ALARM_S = 150.0
#: Split names a corpus uses, plus "all".
SPLITS: tuple[str, ...] = ("train", "validation", "test", "all")
#: False-alarm type when no non-seizure annotation overlaps.
UNANNOTATED = "unannotated"

# Edges of the wearable window are inclusive; this absorbs float rounding only.
_EDGE_S = 1e-9
_SECONDS_PER_DAY = 86400.0


class ScoringError(IctalogError):
    """Detections or a corpus cannot be scored as given."""


@dataclass(frozen=True)
class DetectedEvent:
    """One event a detector reports.

    Attributes:
        onset_s: start of the detected seizure, seconds from the start of the recording.
        end_s: end of the detected seizure, seconds (not before onset_s).
        raise_s: when the alarm is raised, seconds; the wearable convention's timing.
        score: detector-specific strength, or None.
        warning_s: when a warning preceded the alarm, seconds, or None.
    """

    onset_s: float
    end_s: float
    raise_s: float
    score: float | None = None
    warning_s: float | None = None

    def __post_init__(self) -> None:
        values = (self.onset_s, self.end_s, self.raise_s)
        if not all(math.isfinite(float(value)) for value in values):
            raise ScoringError(
                f"detected event has a non-finite time: {values}",
                "fix the detector so that it reports onset_s, end_s and raise_s in seconds",
            )
        if self.end_s < self.onset_s:
            raise ScoringError(
                f"detected event ends ({self.end_s} s) before it starts ({self.onset_s} s)",
                "fix the detector so that end_s is at or after onset_s",
            )

    @property
    def duration_s(self) -> float:
        """Length of the detected event in seconds."""
        return self.end_s - self.onset_s

    def to_json(self) -> dict[str, Any]:
        """The event as a JSON-ready dict."""
        out: dict[str, Any] = {
            "onset_s": round(float(self.onset_s), 3),
            "duration_s": round(float(self.duration_s), 3),
            "raise_s": round(float(self.raise_s), 3),
        }
        if self.score is not None:
            out["score"] = float(self.score)
        if self.warning_s is not None:
            out["warning_s"] = round(float(self.warning_s), 3)
        return out


#: A detector: a recording in, its detected events out.
Detector = Callable[[Fixture], list[DetectedEvent]]


# --------------------------------------------------------------------------------------
# SzCORE


@dataclass(frozen=True)
class SzcoreResult:
    """SzCORE event scoring of one recording (timescoring defaults).

    Attributes:
        ref_true: reference events after timescoring's merging and splitting.
        tp: reference events found.
        fp: hypothesis events that found none.
        duration_s: length of the recording in seconds.
    """

    ref_true: int
    tp: int
    fp: int
    duration_s: float

    @property
    def sensitivity(self) -> float | None:
        """tp / ref_true, or None without reference events."""
        return self.tp / self.ref_true if self.ref_true else None

    @property
    def fp_per_24h(self) -> float:
        """False positives per 24 hours of recording."""
        return self.fp / (self.duration_s / _SECONDS_PER_DAY) if self.duration_s else 0.0


def _disjoint(spans: Iterable[tuple[float, float]]) -> list[tuple[float, float]]:
    """Sort spans and join the ones that overlap or touch."""
    out: list[tuple[float, float]] = []
    for start, stop in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], stop))
        else:
            out.append((start, stop))
    return out


def szcore_score(
    reference: Sequence[tuple[float, float]],
    hypothesis: Sequence[tuple[float, float]],
    duration_s: float,
) -> SzcoreResult:
    """SzCORE event scoring of one recording with timescoring's default parameters.

    Args:
        reference: annotated seizures as (start_s, stop_s).
        hypothesis: detections as (start_s, stop_s); shorter ones are widened to
            MIN_HYPOTHESIS_S.
        duration_s: length of the recording in seconds.

    Returns:
        The counts; sensitivity and false positives per 24 h are properties.

    Raises:
        ScoringError: the recording has no length.
    """
    from timescoring import scoring
    from timescoring.annotations import Annotation

    if not duration_s > 0:
        raise ScoringError(
            f"cannot score a recording of {duration_s} s",
            "check the fixture's duration_s",
        )
    samples = max(1, math.ceil(duration_s * SZCORE_FS_HZ))
    end_s = samples / SZCORE_FS_HZ

    def clipped(spans: Iterable[tuple[float, float]], widen_s: float):
        out = []
        for start, stop in spans:
            start = min(max(0.0, float(start)), end_s - widen_s)
            stop = min(end_s, max(float(stop), start + widen_s))
            if stop > start:
                out.append((start, stop))
        return _disjoint(out)

    ref = Annotation(clipped(reference, 0.0), SZCORE_FS_HZ, samples)
    hyp = Annotation(clipped(hypothesis, MIN_HYPOTHESIS_S), SZCORE_FS_HZ, samples)
    result = scoring.EventScoring(ref, hyp)
    return SzcoreResult(int(result.refTrue), int(result.tp), int(result.fp), float(duration_s))


# --------------------------------------------------------------------------------------
# wearable convention


@dataclass(frozen=True)
class WearableResult:
    """Wearable-convention scoring of one recording.

    Attributes:
        latencies_s: per annotated seizure, in onset order: raise time of its earliest
            true detection minus its onset, or None when it was missed.
        false_alarms: false alarms counted (see the module docstring).
        false_alarms_by_type: the same false alarms by the annotation they overlap.
        duration_s: length of the recording in seconds.
    """

    latencies_s: tuple[float | None, ...]
    false_alarms: int
    false_alarms_by_type: dict[str, int]
    duration_s: float

    @property
    def seizures(self) -> int:
        """Annotated seizures."""
        return len(self.latencies_s)

    @property
    def detected(self) -> int:
        """Seizures with at least one true detection."""
        return sum(1 for latency in self.latencies_s if latency is not None)

    @property
    def sensitivity(self) -> float | None:
        """detected / seizures, or None without seizures."""
        return self.detected / self.seizures if self.seizures else None


def _cause(lo_s: float, hi_s: float, annotations: Sequence[Event]) -> str:
    """The eventType a false alarm spanning lo_s..hi_s is attributed to."""
    best: tuple[bool, float] | None = None
    cause = UNANNOTATED
    for event in annotations:
        if event.is_seizure or event.onset_s > hi_s or event.offset_s < lo_s:
            continue
        overlap_s = min(hi_s, event.offset_s) - max(lo_s, event.onset_s)
        key = (event.event_type.startswith("mimic"), overlap_s)
        if best is None or key > best:
            best, cause = key, event.event_type
    return cause


def wearable_score(
    seizures: Sequence[tuple[float, float]],
    detections: Sequence[DetectedEvent],
    duration_s: float,
    annotations: Sequence[Event] = (),
) -> WearableResult:
    """Wearable-convention scoring of one recording (module docstring gives the rules).

    Args:
        seizures: annotated seizures as (onset_s, offset_s).
        detections: the detector's events.
        duration_s: length of the recording in seconds.
        annotations: all annotated events, for the false-alarm breakdown by type.

    Returns:
        Latency per seizure, false alarms and their breakdown.
    """
    seizures = sorted(seizures)
    windows = [(on - WEARABLE_BEFORE_S, off + WEARABLE_AFTER_S) for on, off in seizures]

    def is_true(detection: DetectedEvent) -> bool:
        return any(lo - _EDGE_S <= detection.raise_s <= hi + _EDGE_S for lo, hi in windows)

    latencies: list[float | None] = []
    for (onset_s, _), (lo, hi) in zip(seizures, windows):
        raised = [d.raise_s for d in detections if lo - _EDGE_S <= d.raise_s <= hi + _EDGE_S]
        latencies.append(min(raised) - onset_s if raised else None)

    # Episodes: [first raise, end, earliest onset, holds a true detection].
    episodes: list[list[Any]] = []
    for detection in sorted(detections, key=lambda d: d.raise_s):
        end_s = max(detection.end_s, detection.raise_s)
        start_s = min(detection.onset_s, detection.raise_s)
        if episodes and detection.raise_s - episodes[-1][1] < WEARABLE_MERGE_S:
            episode = episodes[-1]
            episode[1] = max(episode[1], end_s)
            episode[2] = min(episode[2], start_s)
            episode[3] = episode[3] or is_true(detection)
        else:
            episodes.append([detection.raise_s, end_s, start_s, is_true(detection)])

    false_alarms = 0
    by_type: dict[str, int] = {}
    for raise_s, end_s, start_s, true in episodes:
        if true:
            continue
        length_s = end_s - raise_s
        count = max(1, math.ceil(length_s / WEARABLE_MAX_FALSE_ALARM_S - _EDGE_S))
        false_alarms += count
        cause = _cause(start_s, end_s, annotations)
        by_type[cause] = by_type.get(cause, 0) + count
    return WearableResult(tuple(latencies), false_alarms, dict(sorted(by_type.items())),
                          float(duration_s))


# --------------------------------------------------------------------------------------
# one recording, and a set of them


def _number(value: float | None, digits: int = 4) -> float | None:
    """A JSON-ready number: rounded, None for missing or NaN."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return round(float(value), digits)


def score_recording(
    events: Sequence[Event], detections: Sequence[DetectedEvent], duration_s: float
) -> dict[str, Any]:
    """Both conventions for one recording, as a JSON-ready row.

    Args:
        events: the recording's annotated events (seizures and everything else).
        detections: the detector's events.
        duration_s: length of the recording in seconds.

    Returns:
        A dict with ``hours``, ``seizures``, ``detections``, ``szcore`` and ``wearable``.
    """
    seizures = [(e.onset_s, e.offset_s) for e in events if e.is_seizure]
    szcore = szcore_score(seizures, [(d.onset_s, d.end_s) for d in detections], duration_s)
    wearable = wearable_score(seizures, detections, duration_s, events)
    return {
        "hours": round(duration_s / 3600.0, 4),
        "seizures": len(seizures),
        "detections": [d.to_json() for d in sorted(detections, key=lambda d: d.raise_s)],
        "szcore": {
            "ref_true": szcore.ref_true,
            "tp": szcore.tp,
            "fp": szcore.fp,
            "sensitivity": _number(szcore.sensitivity),
            "fp_per_24h": _number(szcore.fp_per_24h),
        },
        "wearable": {
            "seizures": wearable.seizures,
            "detected": wearable.detected,
            "sensitivity": _number(wearable.sensitivity),
            "latencies_s": [_number(x, 3) for x in wearable.latencies_s],
            "false_alarms": wearable.false_alarms,
            "false_alarms_by_type": wearable.false_alarms_by_type,
        },
    }


def _median(values: Sequence[float]) -> float | None:
    return _number(statistics.median(values)) if values else None


# Two-sided 95 % intervals: the normal quantile, and the tail left on each side.
_Z_95 = 1.959963984540054
_TAIL_95 = 0.025


def wilson_interval(successes: int, trials: int) -> list[float] | None:
    """95 % Wilson score interval of a proportion, or None without trials.

    A corpus has few seizures, so "12 of 12" must be read with its interval: Wilson's
    stays inside [0, 1] and is not degenerate at 0 or n, unlike the normal one.
    """
    if trials <= 0:
        return None
    p = successes / trials
    z2 = _Z_95 * _Z_95
    centre = (p + z2 / (2 * trials)) / (1 + z2 / trials)
    half = _Z_95 * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials)) / (
        1 + z2 / trials)
    return [_number(max(0.0, centre - half)), _number(min(1.0, centre + half))]


def _poisson_cdf(count: int, mean: float) -> float:
    # P(X <= count) for X ~ Poisson(mean), summed in log space so large means stay exact.
    if mean <= 0:
        return 1.0
    terms = [k * math.log(mean) - mean - math.lgamma(k + 1) for k in range(count + 1)]
    top = max(terms)
    return min(1.0, math.exp(top) * sum(math.exp(t - top) for t in terms))


def _poisson_mean_where(cdf_count: int, target: float) -> float:
    # The mean at which P(X <= cdf_count) equals target; the CDF falls as the mean grows.
    lo, hi = 0.0, max(10.0, 4.0 * (cdf_count + 1))
    for _ in range(200):
        mid = (lo + hi) / 2
        if _poisson_cdf(cdf_count, mid) > target:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def poisson_interval(count: int, exposure: float) -> list[float] | None:
    """Exact (Garwood) 95 % interval of a rate: ``count`` events over ``exposure`` units.

    With no false alarm in 17 nights the rate is not shown to be 0: the interval's upper
    end (3.69 / 17, about 0.22 a night) is what the nights can rule out.
    """
    if exposure <= 0:
        return None
    lower = 0.0 if count == 0 else _poisson_mean_where(count - 1, 1 - _TAIL_95)
    upper = _poisson_mean_where(count, _TAIL_95)
    return [_number(lower / exposure), _number(upper / exposure)]


def aggregate(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Pool per-recording rows of one detector into its summary.

    Event counts are summed over recordings (as SzCORE pools them); medians are taken
    over recordings with at least one seizure.

    Args:
        rows: rows from :func:`score_recording`.

    Returns:
        ``{"szcore": {...}, "wearable": {...}}`` with pooled and median figures.
    """
    hours = sum(row["hours"] for row in rows)
    days = hours / 24.0
    nights = len(rows)

    ref_true = sum(row["szcore"]["ref_true"] for row in rows)
    tp = sum(row["szcore"]["tp"] for row in rows)
    fp = sum(row["szcore"]["fp"] for row in rows)
    szcore = {
        "ref_true": ref_true,
        "tp": tp,
        "fp": fp,
        "sensitivity": _number(tp / ref_true) if ref_true else None,
        "precision": _number(tp / (tp + fp)) if tp + fp else None,
        "f1": _number(2 * tp / (2 * tp + fp + ref_true - tp)) if ref_true + fp else None,
        "fp_per_24h": _number(fp / days) if days else None,
        "median_sensitivity_per_recording": _median(
            [row["szcore"]["tp"] / row["szcore"]["ref_true"]
             for row in rows if row["szcore"]["ref_true"]]),
    }

    seizures = sum(row["wearable"]["seizures"] for row in rows)
    detected = sum(row["wearable"]["detected"] for row in rows)
    per_night = [row["wearable"]["false_alarms"] for row in rows]
    false_alarms = sum(per_night)
    latencies = [x for row in rows for x in row["wearable"]["latencies_s"] if x is not None]
    by_type: dict[str, int] = {}
    for row in rows:
        for kind, count in row["wearable"]["false_alarms_by_type"].items():
            by_type[kind] = by_type.get(kind, 0) + count
    wearable = {
        "seizures": seizures,
        "detected": detected,
        "sensitivity": _number(detected / seizures) if seizures else None,
        "sensitivity_ci95": wilson_interval(detected, seizures),
        "median_sensitivity_per_recording": _median(
            [row["wearable"]["detected"] / row["wearable"]["seizures"]
             for row in rows if row["wearable"]["seizures"]]),
        "false_alarms": false_alarms,
        "false_alarms_per_night": _number(false_alarms / nights) if nights else None,
        "false_alarms_per_night_ci95": poisson_interval(false_alarms, nights),
        "false_alarms_per_night_median": _median(per_night),
        "false_alarms_per_night_max": max(per_night) if per_night else None,
        "false_alarms_per_24h": _number(false_alarms / days) if days else None,
        "latency_s": {
            "median": _median(latencies),
            "min": _number(min(latencies), 3) if latencies else None,
            "max": _number(max(latencies), 3) if latencies else None,
            "n": len(latencies),
        },
        "false_alarms_by_type": dict(sorted(by_type.items())),
    }
    return {"szcore": szcore, "wearable": wearable}


# --------------------------------------------------------------------------------------
# a corpus


def corpus_nights(corpus_dir: str | os.PathLike[str], split: str = "test") -> list[dict]:
    """The manifest entries of a corpus's nights in one split.

    Args:
        corpus_dir: folder holding ``corpus.json`` and the nights' fixtures.
        split: ``train``, ``validation``, ``test`` or ``all``.

    Returns:
        The entries (each with at least ``name`` and ``split``), in manifest order.

    Raises:
        ScoringError: the manifest is missing or malformed, or the split is unknown.
    """
    if split not in SPLITS:
        raise ScoringError(f"unknown split {split!r}", f"use one of {', '.join(SPLITS)}")
    manifest_path = Path(corpus_dir) / "corpus.json"
    regenerate = "regenerate the corpus with tools/make_corpus.py (docs/CORPUS.md)"
    try:
        with open(manifest_path, encoding="utf-8") as handle:
            manifest = json.load(handle)
    except FileNotFoundError as exc:
        raise ScoringError("no corpus.json in the corpus folder",
                           f"give the folder a corpus was written to, or {regenerate}",
                           str(manifest_path)) from exc
    except (OSError, ValueError) as exc:
        raise ScoringError(f"corpus.json cannot be read ({exc})", regenerate,
                           str(manifest_path)) from exc
    # The current format lists the nights under "nights"; manifests written before the
    # key settled keep a count there and the list under "night_list".
    entries = manifest.get("nights") if isinstance(manifest, dict) else None
    if not isinstance(entries, list):
        entries = manifest.get("night_list") if isinstance(manifest, dict) else None
    if not isinstance(entries, list) or not all(
        isinstance(e, dict) and isinstance(e.get("name"), str) and "split" in e
        for e in entries
    ):
        raise ScoringError("corpus.json holds no list of nights with name and split",
                           regenerate, str(manifest_path))
    chosen = [e for e in entries if split == "all" or e["split"] == split]
    if not chosen:
        raise ScoringError(f"the corpus has no night in split {split!r}",
                           "choose another split (--split all scores every night)",
                           str(manifest_path))
    return chosen


def _score_night(path: Path, entry: Mapping[str, Any], detectors: Mapping[str, Detector]
                 ) -> tuple[float, int, dict[str, dict[str, Any]]]:
    # One night, every detector: its hours, its seizures and a scored row per detector.
    fixture = load_fixture(path)
    rows = {}
    for name, detector in detectors.items():
        detections = list(detector(fixture))
        row = score_recording(fixture.events, detections, fixture.duration_s)
        rows[name] = {"name": entry["name"], "split": entry["split"], **row}
    return fixture.duration_s / 3600.0, len(fixture.seizures), rows


def score_corpus(
    corpus_dir: str | os.PathLike[str],
    detectors: Mapping[str, Detector],
    split: str = "test",
    workers: int = 1,
) -> dict[str, Any]:
    """Run every detector on every night of a split and score them side by side.

    Args:
        corpus_dir: folder holding ``corpus.json`` and ``NAME.npz`` plus
            ``NAME.events.tsv`` for each night.
        detectors: detector name to callable taking a fixture and returning its events.
        split: ``train``, ``validation``, ``test`` or ``all``.
        workers: processes to score nights in; above 1 the detectors must be module-level
            functions (they are sent to the workers by name). The result does not depend
            on it.

    Returns:
        A JSON-ready dict: ``corpus``, ``split``, ``nights`` (names), ``hours``,
        ``seizures``, ``conventions``, ``summary`` (one row per detector with the
        headline figures) and ``detectors`` (per detector: pooled ``szcore`` and
        ``wearable`` figures and a row per night).

    Raises:
        ScoringError: the corpus or a detector's output cannot be scored.
        FixtureError: a night's fixture is missing or malformed.
    """
    if not detectors:
        raise ScoringError("no detector to score", "name at least one detector")
    entries = corpus_nights(corpus_dir, split)
    paths = [Path(corpus_dir) / f"{entry['name']}.npz" for entry in entries]
    if workers > 1 and len(entries) > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(workers) as pool:
            nights = list(pool.map(_score_night, paths, entries,
                                   [detectors] * len(entries)))
    else:
        nights = [_score_night(path, entry, detectors) for path, entry in zip(paths, entries)]
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in detectors}
    for _hours, _seizures, by_name in nights:
        for name in detectors:
            rows[name].append(by_name[name])
    hours = sum(night[0] for night in nights)
    seizures = sum(night[1] for night in nights)
    log.info("scored %d nights of split %s", len(entries), split)

    per_detector = {name: {**aggregate(rows[name]), "nights": rows[name]}
                    for name in detectors}
    return {
        "corpus": str(corpus_dir),
        "split": split,
        "nights": [e["name"] for e in entries],
        "hours": round(hours, 4),
        "seizures": seizures,
        "conventions": CONVENTIONS,
        "summary": [_summary_row(name, per_detector[name]) for name in detectors],
        "detectors": per_detector,
    }


def _summary_row(name: str, scored: Mapping[str, Any]) -> dict[str, Any]:
    """The headline figures of one detector's pooled scores."""
    sz, wear = scored["szcore"], scored["wearable"]
    return {
        "detector": name,
        "szcore_sensitivity": sz["sensitivity"],
        "szcore_precision": sz["precision"],
        "szcore_f1": sz["f1"],
        "szcore_fp_per_24h": sz["fp_per_24h"],
        "sensitivity": wear["sensitivity"],
        "sensitivity_ci95": wear["sensitivity_ci95"],
        "median_sensitivity_per_recording": wear["median_sensitivity_per_recording"],
        "detected": wear["detected"],
        "seizures": wear["seizures"],
        "false_alarms": wear["false_alarms"],
        "false_alarms_per_night": wear["false_alarms_per_night"],
        "false_alarms_per_night_ci95": wear["false_alarms_per_night_ci95"],
        "false_alarms_per_24h": wear["false_alarms_per_24h"],
        "median_latency_s": wear["latency_s"]["median"],
        "latency_min_s": wear["latency_s"]["min"],
        "latency_max_s": wear["latency_s"]["max"],
    }


#: How both conventions were applied, as every scored result states it.
CONVENTIONS: dict[str, Any] = {
    "szcore": {
        "package": "timescoring",
        "tolerance_before_s": 30,
        "tolerance_after_s": 60,
        "split_longer_than_s": 300,
        "merge_closer_than_s": 90,
        "annotation_fs_hz": SZCORE_FS_HZ,
        "hypothesis": "detection onset_s to end_s",
    },
    "wearable": {
        "timing": "raise_s (when the alarm sounds)",
        "before_onset_s": WEARABLE_BEFORE_S,
        "after_end_s": WEARABLE_AFTER_S,
        "merge_gap_s": WEARABLE_MERGE_S,
        "max_false_alarm_s": WEARABLE_MAX_FALSE_ALARM_S,
        "latency": "raise_s minus annotated motor onset",
    },
}


# --------------------------------------------------------------------------------------
# a synced study


#: A detector of a study's nights: a night in, its detected events out.
NightDetector = Callable[[Any], list[DetectedEvent]]


def _wall_s(text: str) -> float:
    from datetime import datetime, timezone

    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def reference_on_wall_clock(paths: Sequence[str | os.PathLike[str]]
                            ) -> list[tuple[float, Event]]:
    """Reference annotations from events files, each with its wall-clock onset.

    A study's nights are on the wall clock, so its reference annotations are placed by
    their ``dateTime`` column (ISO 8601; UTC when no offset is given).

    Args:
        paths: ``NAME.events.tsv`` files (fixture format).

    Returns:
        (wall-clock onset in seconds since 1970, event), sorted by onset.

    Raises:
        ScoringError: an event has no ``dateTime``.
        FixtureError: a file is missing or malformed.
    """
    from .fixture import read_events

    out = []
    for path in paths:
        for event in read_events(path):
            if not event.date_time:
                raise ScoringError(
                    f"an event at {event.onset_s} s ({event.event_type}) has no dateTime, "
                    "so it cannot be matched to a night of the study",
                    "give every reference event its wall-clock dateTime (ISO 8601)",
                    str(path))
            out.append((_wall_s(event.date_time), event))
    return sorted(out, key=lambda item: item[0])


def score_study(study_path: str | os.PathLike[str],
                reference_paths: Sequence[str | os.PathLike[str]],
                detectors: Mapping[str, NightDetector]) -> dict[str, Any]:
    """Score detectors on every night of a synced study against reference annotations.

    Each reference event goes to the night whose recorded span holds its onset, moved
    onto that night's axis. Reference seizures that fall in no night (the device was not
    recording, or its data could not be put on the wall clock) are listed under
    ``reference_outside_nights`` and not scored: nothing could have found them.

    Args:
        study_path: the study folder, or one log image.
        reference_paths: events files whose events carry ``dateTime``.
        detectors: name to a callable taking a night (:class:`~ictalog.series.Series`).

    Returns:
        The same shape as :func:`score_corpus`, with ``study`` instead of ``corpus``.

    Raises:
        ScoringError, FixtureError, StudyError: the inputs cannot be scored.
    """
    from dataclasses import replace

    from .study import load_study

    if not detectors:
        raise ScoringError("no detector to score", "name at least one detector")
    study = load_study(study_path)
    if not study.nights:
        raise ScoringError("the study has no night on the wall clock to score",
                           "sync the device again so that its clock is set, then score",
                           str(study_path))
    reference = reference_on_wall_clock(reference_paths)
    spans = [(_wall_s(n.start_utc), _wall_s(n.start_utc) + n.duration_s) for n in study.nights]
    placed: list[list[Event]] = [[] for _ in study.nights]
    outside = []
    for wall_s, event in reference:
        k = next((i for i, (lo, hi) in enumerate(spans) if lo <= wall_s < hi), None)
        if k is None:
            if event.is_seizure:
                outside.append({"date_time": event.date_time, "eventType": event.event_type})
            continue
        placed[k].append(replace(event, onset_s=wall_s - spans[k][0],
                                 recording_duration_s=study.nights[k].duration_s))
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in detectors}
    for night, events in zip(study.nights, placed):
        for name, detector in detectors.items():
            row = score_recording(events, list(detector(night)), night.duration_s)
            rows[name].append({"name": night.name, "split": "study", **row})
    per_detector = {name: {**aggregate(rows[name]), "nights": rows[name]}
                    for name in detectors}
    return {
        "study": str(study_path),
        "split": "study",
        "nights": [n.name for n in study.nights],
        "hours": round(sum(n.duration_s for n in study.nights) / 3600.0, 4),
        "seizures": sum(1 for events in placed for e in events if e.is_seizure),
        "reference_outside_nights": outside,
        "conventions": CONVENTIONS,
        "summary": [_summary_row(name, per_detector[name]) for name in detectors],
        "detectors": per_detector,
    }
