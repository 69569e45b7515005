"""Validate the R-R cleaner beat by beat against reference annotations.

Three checks, one per kind of fixture:

* :func:`mitdb_agreement`: beat-level agreement with the expert labels of MIT-BIH
  record 100 (``mitdb100``): is a beat the cleaner flags (E, S or A) one the annotators
  called premature, and how many normal intervals survive as NN.
* :func:`tachycardia_profile`: on the szdb partial seizures, whether the ictal heart-rate
  rise is still there after cleaning (baseline, peak, time to a +10 bpm rise). The szdb
  beat labels are automatic and unaudited, so they are not scored beat by beat.
* :func:`corpus_artifact_agreement`: on synthetic nights, how many injected convulsion
  artifacts (label ``|``) and ectopic beats are flagged, and how many normal beats are
  flagged wrongly.

``python -m ictalog.rr_validate`` prints all three for the committed fixtures, plus the
time to clean a 10-hour night; ``--json`` prints the same figures as one JSON object;
``--corpus DIR`` adds a sum over one split of a generated corpus (``corpus.json``).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ictalog.errors import FixtureError
from ictalog.fixture import Fixture, load_fixture
from ictalog.rr_clean import CleanRR, clean_rr, hr_per_second

__all__ = [
    "corpus_artifact_agreement",
    "corpus_split_agreement",
    "main",
    "mitdb_agreement",
    "night_timing",
    "tachycardia_profile",
]

#: Reference symbols counted as ectopic in mitdb100 (the task's rule: A and V).
MITDB_ECTOPIC = ("A", "V")
#: Reference symbols counted as ectopic in the synthetic corpus (docs/CORPUS.md).
CORPUS_ECTOPIC = ("A", "V")
#: The synthetic corpus's label for a detection that followed muscle artifact.
CORPUS_ARTIFACT = "|"

#: Baseline: the 5 minutes before onset, long enough to average over sleep-stage swings.
BASELINE_S = 300.0
#: Peak heart rate is the highest 10-s average: short enough to catch the ictal peak,
#: long enough that one odd interval cannot make it.
PEAK_WINDOW_S = 10.0
#: The rise is looked for until this long after the seizure ends (heart rate peaks and
#: stays up for a while after the EEG seizure ends).
AFTER_END_S = 60.0
#: A rise counts from +10 bpm over baseline (the task's criterion).
RISE_BPM = 10.0
#: How far back before onset a rise that is already under way is traced (the rise can
#: precede EEG onset, by a median 12 s in temporal-lobe seizures: ANCHORS.md).
RISE_LOOKBACK_S = 120.0

_REPO = Path(__file__).resolve().parents[2]
_FIXTURES = _REPO / "tests" / "fixtures"
_DEMO_NIGHTS = ("corpus_demo_seizure", "corpus_demo_mimics")


def _labels(fixture: Fixture) -> NDArray[np.str_]:
    """The fixture's reference beat labels (extras['beat_label'])."""
    if "beat_label" not in fixture.extras:
        raise FixtureError(
            "the fixture has no beat_label extra to compare with",
            "use a fixture converted with reference annotations (mitdb100, szdb_*, "
            "corpus nights)",
            fixture.name or None,
        )
    return np.asarray(fixture.extras["beat_label"]).astype(str)


def _hr_sdnn(rr_s: NDArray[np.float64]) -> tuple[float, float]:
    """Mean heart rate (60 / mean interval, bpm) and SDNN (sample SD, ms)."""
    if rr_s.size < 2:
        return math.nan, math.nan
    return 60.0 / float(np.mean(rr_s)), 1000.0 * float(np.std(rr_s, ddof=1))


def _ratio(num: int, den: int) -> float:
    return num / den if den else math.nan


# --------------------------------------------------------------------------------------
# MIT-BIH beat agreement


def mitdb_agreement(fixture: Fixture, ectopic: tuple[str, ...] = MITDB_ECTOPIC) -> dict[str, Any]:
    """Beat-level agreement of the cleaner with reference labels.

    A beat counts as positive for the cleaner when it is flagged E, S or A, and for the
    reference when its symbol is in ``ectopic``; every other symbol is normal.

    Args:
        fixture: a fixture with ``extras['beat_label']`` (e.g. ``mitdb100``).
        ectopic: reference symbols that mean a premature beat.

    Returns:
        tp, fp, fn, tn; sensitivity, positive_predictivity, specificity; the fraction of
        reference-normal intervals (both ends normal) kept as NN; mean HR (bpm) and SDNN
        (ms) of all intervals before cleaning and of the NN intervals after.
    """
    ref_label = _labels(fixture)
    clean = clean_rr(fixture.beat_s)
    flagged = clean.label != "N"
    ref_ectopic = np.isin(ref_label, ectopic)
    tp = int(np.count_nonzero(flagged & ref_ectopic))
    fp = int(np.count_nonzero(flagged & ~ref_ectopic))
    fn = int(np.count_nonzero(~flagged & ref_ectopic))
    tn = int(np.count_nonzero(~flagged & ~ref_ectopic))

    # Reference NN intervals: both ends normal in the reference; kept if the cleaner
    # returned an NN interval ending at the same beat.
    ref_nn = ~ref_ectopic[:-1] & ~ref_ectopic[1:]
    ends_s = fixture.beat_s[1:][ref_nn]
    kept = int(np.count_nonzero(np.isin(ends_s, clean.nn_t_s)))

    raw_hr, raw_sdnn = _hr_sdnn(np.diff(fixture.beat_s))
    nn_hr, nn_sdnn = _hr_sdnn(clean.nn_s)
    ref_hr, ref_sdnn = _hr_sdnn(np.diff(fixture.beat_s)[ref_nn])
    return {
        "name": fixture.name,
        "beats": int(fixture.beat_s.size),
        "reference_ectopic": int(np.count_nonzero(ref_ectopic)),
        "cleaner": clean.counts(),
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
        "sensitivity": _ratio(tp, tp + fn),
        "positive_predictivity": _ratio(tp, tp + fp),
        "specificity": _ratio(tn, tn + fp),
        "reference_nn_intervals": int(np.count_nonzero(ref_nn)),
        "nn_kept_fraction": _ratio(kept, int(np.count_nonzero(ref_nn))),
        "mean_hr_bpm_raw": raw_hr,
        "mean_hr_bpm_clean": nn_hr,
        "mean_hr_bpm_reference_nn": ref_hr,
        "sdnn_ms_raw": raw_sdnn,
        "sdnn_ms_clean": nn_sdnn,
        "sdnn_ms_reference_nn": ref_sdnn,
    }


# --------------------------------------------------------------------------------------
# szdb ictal tachycardia


def _raw_as_clean(beat_s: NDArray[np.float64]) -> CleanRR:
    """Every interval taken as NN: what heart rate looks like without cleaning."""
    times_s = np.asarray(beat_s, dtype=np.float64)
    labels = np.full(times_s.size, "N", dtype="<U1")
    empty = np.zeros(0, dtype=np.float64)
    return CleanRR(times_s, labels, times_s[1:], np.diff(times_s), empty, [])


def _nanmax_at(values: NDArray[np.float64], a: int, b: int) -> tuple[float, int | None]:
    """Largest non-NaN value in values[a:b] and its index, or (NaN, None)."""
    part = values[max(a, 0) : max(b, 0)]
    if part.size == 0 or np.isnan(part).all():
        return math.nan, None
    i = int(np.nanargmax(part))
    return float(part[i]), max(a, 0) + i


def tachycardia_profile(fixture: Fixture) -> dict[str, Any]:
    """Ictal heart-rate rise per seizure, from the cleaned NN intervals.

    For each seizure event: the baseline (median of 60/NN over the 5 min before onset),
    the highest 10-s heart rate from onset to 60 s after the seizure ends, the rise
    (peak minus baseline), and when heart rate first stands +10 bpm over baseline:
    ``rise_s`` is the first second at or after onset (seconds from onset), and
    ``rise_began_s`` the start of that stretch above the line, traced back up to 120 s
    (negative when the rise began before the annotated onset). The same peak measured on
    the uncleaned intervals is given as ``peak_hr_bpm_raw`` for comparison.

    Args:
        fixture: a fixture with seizure events (``sz...``).

    Returns:
        name, the cleaner's counts and one dict per seizure.
    """
    clean = clean_rr(fixture.beat_s)
    hr10_bpm = hr_per_second(clean, fixture.duration_s, PEAK_WINDOW_S)
    raw10_bpm = hr_per_second(_raw_as_clean(fixture.beat_s), fixture.duration_s, PEAK_WINDOW_S)
    seizures: list[dict[str, Any]] = []
    for event in fixture.seizures:
        onset_s, end_s = event.onset_s, event.offset_s
        pre = (clean.nn_t_s >= onset_s - BASELINE_S) & (clean.nn_t_s < onset_s)
        baseline = float(np.median(60.0 / clean.nn_s[pre])) if pre.any() else math.nan
        a, b = int(math.floor(onset_s)), int(math.ceil(end_s + AFTER_END_S))
        peak, at = _nanmax_at(hr10_bpm, a, b)
        raw_peak, _ = _nanmax_at(raw10_bpm, a, b)

        rise_s = rise_began_s = None
        if not math.isnan(baseline):
            above = hr10_bpm >= baseline + RISE_BPM  # NaN compares False
            hits = np.flatnonzero(above[a:b])
            if hits.size:
                first = a + int(hits[0])
                start = first
                floor = max(0, int(math.floor(onset_s - RISE_LOOKBACK_S)))
                while start - 1 >= floor and above[start - 1]:
                    start -= 1
                # Second s stands for [s, s + 1); its middle is s + 0.5.
                rise_s = max(0.0, first + 0.5 - onset_s)
                rise_began_s = start + 0.5 - onset_s
        seizures.append(
            {
                "onset_s": onset_s,
                "duration_s": event.duration_s,
                "event_type": event.event_type,
                "baseline_hr_bpm": baseline,
                "peak_hr_bpm": peak,
                "rise_bpm": peak - baseline,
                "peak_at_s": None if at is None else at + 0.5 - onset_s,
                "rise_s": rise_s,
                "rise_began_s": rise_began_s,
                "peak_hr_bpm_raw": raw_peak,
            }
        )
    return {"name": fixture.name, "cleaner": clean.counts(), "seizures": seizures}


# --------------------------------------------------------------------------------------
# synthetic corpus


def corpus_artifact_agreement(fixture: Fixture) -> dict[str, Any]:
    """How the cleaner treats a synthetic night's injected artifacts and ectopic beats.

    Args:
        fixture: a corpus night (labels N, V/A ectopic, | artifact).

    Returns:
        Counts and fractions: artifact beats flagged (any of E, S, A), ectopic beats
        flagged E, normal beats flagged (wrongly), and the artifact spans found.
    """
    ref_label = _labels(fixture)
    t0 = time.perf_counter()
    clean = clean_rr(fixture.beat_s)
    seconds = time.perf_counter() - t0
    flagged = clean.label != "N"
    artifact = ref_label == CORPUS_ARTIFACT
    ectopic = np.isin(ref_label, CORPUS_ECTOPIC)
    normal = ref_label == "N"
    counts = {
        "artifact_beats": int(np.count_nonzero(artifact)),
        "artifact_flagged": int(np.count_nonzero(artifact & flagged)),
        "ectopic_beats": int(np.count_nonzero(ectopic)),
        "ectopic_flagged_e": int(np.count_nonzero(ectopic & (clean.label == "E"))),
        "normal_beats": int(np.count_nonzero(normal)),
        "normal_flagged": int(np.count_nonzero(normal & flagged)),
        "normal_flagged_e": int(np.count_nonzero(normal & (clean.label == "E"))),
    }
    return {
        "name": fixture.name,
        "beats": int(fixture.beat_s.size),
        "cleaner": clean.counts(),
        "artifact_spans": len(clean.artifact_spans),
        "clean_seconds": seconds,
        **counts,
        **_corpus_fractions(counts),
    }


def _corpus_fractions(counts: dict[str, int]) -> dict[str, float]:
    return {
        "artifact_flagged_fraction": _ratio(counts["artifact_flagged"], counts["artifact_beats"]),
        "ectopic_flagged_fraction": _ratio(counts["ectopic_flagged_e"], counts["ectopic_beats"]),
        "normal_flagged_fraction": _ratio(counts["normal_flagged"], counts["normal_beats"]),
    }


def corpus_split_agreement(corpus_dir: str | Path, split: str = "train") -> dict[str, Any]:
    """:func:`corpus_artifact_agreement` summed over one split of a generated corpus.

    Args:
        corpus_dir: folder with ``corpus.json`` and the nights.
        split: ``train``, ``validation``, ``test`` or ``all``.

    Returns:
        The summed counts and fractions, the number of nights, and the median and
        largest time to clean one night (seconds).
    """
    folder = Path(corpus_dir)
    manifest = json.loads((folder / "corpus.json").read_text(encoding="utf-8"))
    names = [n["name"] for n in manifest["nights"] if split == "all" or n["split"] == split]
    total: dict[str, int] = {}
    seconds: list[float] = []
    for name in names:
        night = corpus_artifact_agreement(load_fixture(folder / f"{name}.npz"))
        seconds.append(night["clean_seconds"])
        for key in (
            "beats",
            "artifact_beats",
            "artifact_flagged",
            "ectopic_beats",
            "ectopic_flagged_e",
            "normal_beats",
            "normal_flagged",
            "normal_flagged_e",
        ):
            total[key] = total.get(key, 0) + int(night[key])
    return {
        "split": split,
        "nights": len(names),
        **total,
        **(_corpus_fractions(total) if names else {}),
        "clean_seconds_median": float(np.median(seconds)) if seconds else math.nan,
        "clean_seconds_max": max(seconds) if seconds else math.nan,
    }


# --------------------------------------------------------------------------------------
# timing


def night_timing(hours: float = 10.0, repeats: int = 5, seed: int = 1) -> dict[str, Any]:
    """Time :func:`clean_rr` on a synthetic night of ``hours`` at about 66 bpm.

    The beat train is sinus rhythm with breathing and slow swings, 1 % premature beats and
    a few 250-bpm bursts, so every step of the cleaner has work to do.

    Returns:
        beats, the median and best of ``repeats`` runs (seconds).
    """
    rng = np.random.default_rng(seed)
    n = int(hours * 3600 * 66 / 60)
    k = np.arange(n)
    rr_s = 0.91 + 0.03 * np.sin(2 * np.pi * k / 4.3) + 0.05 * np.sin(2 * np.pi * k / 3000)
    rr_s += rng.normal(0.0, 0.005, n)
    early = rng.choice(n - 1, n // 100, replace=False)
    rr_s[early] *= 0.7
    rr_s[early + 1] *= 1.3
    beat_s = np.cumsum(rr_s)
    for start in rng.choice(beat_s.size - 200, 20, replace=False):
        burst_s = beat_s[start] + 0.1 + 0.22 * np.arange(15)
        beat_s = np.concatenate([beat_s[beat_s < burst_s[0]], burst_s,
                                 beat_s[beat_s > burst_s[-1] + 0.1]])
    runs: list[float] = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        clean_rr(beat_s)
        runs.append(time.perf_counter() - t0)
    return {
        "hours": hours,
        "beats": int(beat_s.size),
        "median_s": float(np.median(runs)),
        "best_s": float(min(runs)),
    }


# --------------------------------------------------------------------------------------
# command line


def _load(folder: Path, name: str) -> Fixture | None:
    path = folder / f"{name}.npz"
    return load_fixture(path) if path.is_file() else None


def collect(fixtures_dir: str | Path = _FIXTURES, corpus_dir: str | Path | None = None,
            split: str = "train") -> dict[str, Any]:
    """Every figure ``main`` prints, as one dict."""
    folder = Path(fixtures_dir)
    out: dict[str, Any] = {"mitdb": None, "szdb": [], "corpus_demo": []}
    mitdb = _load(folder, "mitdb100")
    if mitdb is not None:
        out["mitdb"] = mitdb_agreement(mitdb)
    for path in sorted(folder.glob("szdb_*.npz")):
        out["szdb"].append(tachycardia_profile(load_fixture(path)))
    for name in _DEMO_NIGHTS:
        night = _load(folder, name)
        if night is not None:
            out["corpus_demo"].append(corpus_artifact_agreement(night))
    if corpus_dir is not None:
        out["corpus"] = corpus_split_agreement(corpus_dir, split)
    out["timing"] = night_timing()
    return out


def _f(value: Any, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:.{digits}f}"


def _print_table(result: dict[str, Any]) -> None:
    m = result["mitdb"]
    if m is not None:
        print(f"{m['name']}: beat agreement (reference A/V = ectopic; flagged = E/S/A)")
        print(f"  beats {m['beats']}, reference ectopic {m['reference_ectopic']}, "
              f"cleaner {m['cleaner']}")
        print(f"  TP {m['tp']}  FP {m['fp']}  FN {m['fn']}  TN {m['tn']}")
        print(f"  sensitivity {_f(100 * m['sensitivity'], 2)} %  "
              f"positive predictivity {_f(100 * m['positive_predictivity'], 2)} %  "
              f"specificity {_f(100 * m['specificity'], 2)} %")
        print(f"  reference-normal intervals kept as NN: {_f(100 * m['nn_kept_fraction'], 2)} %"
              f" of {m['reference_nn_intervals']}")
        print(f"  mean HR bpm  raw {_f(m['mean_hr_bpm_raw'], 2)}  "
              f"clean {_f(m['mean_hr_bpm_clean'], 2)}  "
              f"reference NN {_f(m['mean_hr_bpm_reference_nn'], 2)}")
        print(f"  SDNN ms      raw {_f(m['sdnn_ms_raw'], 1)}  clean {_f(m['sdnn_ms_clean'], 1)}"
              f"  reference NN {_f(m['sdnn_ms_reference_nn'], 1)}")
        print()
    if result["szdb"]:
        print("szdb: ictal heart rate from cleaned NN (10-s peak from onset to end + 60 s)")
        print(f"  {'fixture':<10} {'onset s':>8} {'dur s':>6} {'base bpm':>9} {'peak bpm':>9} "
              f"{'rise bpm':>9} {'+10 at s':>9} {'began s':>8} {'raw peak':>9}")
        for profile in result["szdb"]:
            for sz in profile["seizures"]:
                print(f"  {profile['name']:<10} {sz['onset_s']:>8.0f} {sz['duration_s']:>6.0f} "
                      f"{_f(sz['baseline_hr_bpm']):>9} {_f(sz['peak_hr_bpm']):>9} "
                      f"{_f(sz['rise_bpm']):>9} {_f(sz['rise_s'], 0):>9} "
                      f"{_f(sz['rise_began_s'], 0):>8} {_f(sz['peak_hr_bpm_raw']):>9}")
        print()
    rows = list(result["corpus_demo"])
    if "corpus" in result:
        rows.append({"name": f"corpus {result['corpus']['split']} "
                             f"({result['corpus']['nights']} nights)", **result["corpus"]})
    if rows:
        print("synthetic nights: share of labelled beats the cleaner flags")
        print(f"  {'night':<28} {'| flagged':>15} {'V/A as E':>13} {'N flagged':>18}")
        for r in rows:
            art = f"{r['artifact_flagged']}/{r['artifact_beats']}"
            ect = f"{r['ectopic_flagged_e']}/{r['ectopic_beats']}"
            nor = f"{r['normal_flagged']}/{r['normal_beats']}"
            print(f"  {r['name']:<28} {art:>15} {ect:>13} {nor:>18}"
                  f"  ({_f(100 * r['normal_flagged_fraction'], 3)} %)")
        print()
    t = result["timing"]
    print(f"timing: clean_rr on a synthetic {t['hours']:.0f} h night of {t['beats']} beats: "
          f"median {1000 * t['median_s']:.1f} ms, best {1000 * t['best_s']:.1f} ms")


def _no_nan(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {key: _no_nan(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_no_nan(item) for item in value]
    return value


def main(argv: list[str] | None = None) -> int:
    """Print the validation table (or ``--json``) for the committed fixtures."""
    parser = argparse.ArgumentParser(
        prog="python -m ictalog.rr_validate",
        description="Validate the R-R cleaner on mitdb100, szdb and synthetic nights.",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--fixtures", default=str(_FIXTURES),
                        help="folder with mitdb100, szdb_* and corpus_demo_* fixtures")
    parser.add_argument("--corpus", default=None,
                        help="also sum over one split of a corpus folder (with corpus.json)")
    parser.add_argument("--split", default="train",
                        choices=("train", "validation", "test", "all"),
                        help="the corpus split to sum over (default train)")
    args = parser.parse_args(argv)
    result = collect(args.fixtures, args.corpus, args.split)
    if args.json:
        # NaN (a figure with nothing to measure) becomes null: strict JSON has no NaN.
        json.dump(_no_nan(result), sys.stdout, indent=2, allow_nan=False)
        print()
    else:
        _print_table(result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
