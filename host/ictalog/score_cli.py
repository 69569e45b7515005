"""``ictalog score``: score registered detectors on a corpus split, side by side.

Usage::

    ictalog score CORPUS [--split test|validation|train|all] [--json] [--detector NAME ...]
    ictalog score STUDY --reference EVENTS.tsv [EVENTS.tsv ...] [--json]

A corpus is a folder with ``corpus.json`` (``tools/make_corpus.py``). A study is a folder
of synced logs (or one image) scored against reference annotations whose ``dateTime``
places them on the wall clock (:func:`ictalog.scoring.score_study`); only the host's
detector can run there, because a synced night has no continuous raw acceleration.

Registered detectors (:data:`DETECTORS`):

* ``ictalog``: the host's own detector (:mod:`ictalog.detect`), its convulsive events
  only (heart-rate-only candidates are not convulsive detections);
* ``osd``: the OpenSeizureDetector baseline (:mod:`ictalog.baseline_osd`);
* ``prefilter``: the on-device prefilter with its default parameters, replayed under
  CPython through :mod:`ictalog.prefilter_eval`. Each candidate
  ``(onset_s, duration_s, score, detected_s)`` becomes an event from ``onset_s`` to
  ``onset_s + duration_s`` whose alarm is raised at ``detected_s``.

The scoring conventions are described in :mod:`ictalog.scoring`.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .baseline_osd import detect_osd
from .detect import scoring_detector
from .errors import IctalogError
from .fixture import Fixture, save_fixture
from .scoring import SPLITS, DetectedEvent, Detector, score_corpus, score_study

__all__ = ["DETECTORS", "add_arguments", "detect_prefilter", "format_table", "main", "run"]

log = logging.getLogger(__name__)


def detect_prefilter(fixture: Fixture) -> list[DetectedEvent]:
    """Replay the on-device prefilter (default parameters) on a fixture.

    ``prefilter_eval.night_inputs`` reads a fixture from a path and caches its epoch
    features beside it, keyed on file times only. The fixture is therefore written to a
    private temporary folder first: the replay then never reads a cache computed by an
    older version of the device's epoch code, and never writes into the corpus.

    Args:
        fixture: the recording.

    Returns:
        One event per prefilter candidate, raised when the device raised it.
    """
    from .prefilter_eval import night_inputs, run_prefilter

    with tempfile.TemporaryDirectory(prefix="ictalog-score-") as folder:
        path = Path(folder) / "night.npz"
        save_fixture(path, fixture)
        night = night_inputs(str(path), "n/a")
        found = run_prefilter(night, {})
    return [
        DetectedEvent(onset_s=float(onset_s), end_s=float(onset_s + duration_s),
                      raise_s=float(detected_s), score=float(score))
        for onset_s, duration_s, score, detected_s in found
    ]


#: Detectors ``ictalog score`` knows, by the name given to ``--detector``.
DETECTORS: dict[str, Detector] = {
    "ictalog": scoring_detector,
    "osd": detect_osd,
    "prefilter": detect_prefilter,
}


def _detect_night(series: Any) -> list[DetectedEvent]:
    from .detect import detect_series

    return [DetectedEvent(onset_s=e.onset_s, end_s=e.end_s, raise_s=e.raise_s,
                          score=e.confidence) for e in detect_series(series).convulsive()]


#: Detectors that run on the nights of a synced study.
STUDY_DETECTORS = {"ictalog": _detect_night}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``score`` verb's arguments to a parser (for wiring into ``ictalog``).

    Args:
        parser: the parser or sub-parser of the ``score`` verb.
    """
    parser.add_argument("corpus", metavar="CORPUS|STUDY",
                        help="corpus folder with corpus.json (tools/make_corpus.py), or a "
                             "study folder of synced logs with --reference")
    parser.add_argument("--reference", nargs="+", metavar="EVENTS.tsv",
                        help="score a synced study against these annotations, placed on "
                             "the wall clock by their dateTime")
    parser.add_argument("--split", choices=SPLITS, default="test",
                        help="nights to score (default %(default)s)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--detector", action="extend", nargs="+", choices=sorted(DETECTORS),
                        metavar="NAME", dest="detectors",
                        help=f"detector(s) to score: {', '.join(DETECTORS)} (default all)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="processes scoring nights in parallel (default: one per CPU, "
                             "%(default)s here); the scores do not depend on it")


def _cell(value: Any, digits: int = 2) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def format_table(result: dict[str, Any]) -> list[str]:
    """A readable account of :func:`ictalog.scoring.score_corpus`'s result.

    Args:
        result: the scored corpus.

    Returns:
        Lines of text, without line ends.
    """
    lines = [
        f"{result.get('corpus') or result['study']}: split {result['split']}, "
        f"{len(result['nights'])} nights, "
        f"{result['hours']:.1f} h, {result['seizures']} seizures",
        "",
        "wearable convention (raise time from 120 s before onset to 10 s after end):",
    ]
    header = ("detector", "found", "sens [95% CI]", "med/rec", "FA", "FA/night [95% CI]",
              "FA/24h", "latency median [min, max] s")
    rows: list[tuple[str, ...]] = [header]
    for row in result["summary"]:
        latency = (f"{_cell(row['median_latency_s'], 1)} "
                   f"[{_cell(row['latency_min_s'], 1)}, {_cell(row['latency_max_s'], 1)}]")
        rows.append((row["detector"], f"{row['detected']}/{row['seizures']}",
                     _with_interval(row["sensitivity"], row["sensitivity_ci95"]),
                     _cell(row["median_sensitivity_per_recording"]),
                     str(row["false_alarms"]),
                     _with_interval(row["false_alarms_per_night"],
                                    row["false_alarms_per_night_ci95"]),
                     _cell(row["false_alarms_per_24h"]), latency))
    lines += _columns(rows)
    lines.append("  (95% intervals: Wilson for sensitivity, exact Poisson for false alarms; "
                 "they say what this many seizures and nights can show)")
    lines += ["", "SzCORE (timescoring defaults):"]
    rows = [("detector", "tp/ref", "fp", "sens", "precision", "f1", "fp/24h")]
    for name, scored in result["detectors"].items():
        sz = scored["szcore"]
        rows.append((name, f"{sz['tp']}/{sz['ref_true']}", str(sz["fp"]),
                     _cell(sz["sensitivity"]), _cell(sz["precision"]), _cell(sz["f1"]),
                     _cell(sz["fp_per_24h"])))
    lines += _columns(rows)
    lines += ["", "false alarms by overlapping annotation (wearable convention):"]
    for name, scored in result["detectors"].items():
        by_type = scored["wearable"]["false_alarms_by_type"]
        text = ", ".join(f"{kind} {count}" for kind, count in by_type.items()) or "none"
        lines.append(f"  {name}: {text}")
    return lines


def _with_interval(value: float | None, interval: list[float] | None) -> str:
    if interval is None:
        return _cell(value)
    return f"{_cell(value)} [{_cell(interval[0])}, {_cell(interval[1])}]"


def _columns(rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip()
            for row in rows]


def run(args: argparse.Namespace) -> int:
    """Score the chosen detectors and print the result.

    Args:
        args: parsed arguments from :func:`add_arguments`.

    Returns:
        The exit status, 0.

    Raises:
        IctalogError: the corpus or a night cannot be scored.
    """
    if args.reference:
        unknown = [n for n in args.detectors or () if n not in STUDY_DETECTORS]
        if unknown:
            raise IctalogError(
                f"detector(s) {', '.join(unknown)} cannot run on a synced study: they need "
                "the continuous raw acceleration a study does not keep",
                f"score a study with {', '.join(STUDY_DETECTORS)}, or a corpus with all")
        result = score_study(args.corpus, args.reference, STUDY_DETECTORS)
    elif not (Path(args.corpus) / "corpus.json").exists() and (
            Path(args.corpus).is_file() or any(Path(args.corpus).glob("*.img"))):
        raise IctalogError("a study needs reference annotations to be scored against",
                           "add --reference EVENTS.tsv ... (events with dateTime), or "
                           "give a corpus folder with corpus.json", args.corpus)
    else:
        names = list(dict.fromkeys(args.detectors or DETECTORS))
        result = score_corpus(args.corpus, {name: DETECTORS[name] for name in names},
                              args.split, workers=max(1, args.workers))
    if args.json:
        json.dump(result, sys.stdout, indent=2, sort_keys=True)
        sys.stdout.write("\n")
    else:
        print("\n".join(format_table(result)))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``score`` with its own arguments (the verb itself not included).

    Args:
        argv: for example ``["out/corpus", "--split", "test", "--json"]``; None reads
            ``sys.argv[1:]``.

    Returns:
        The exit status: 0, or the error's exit code after printing it to stderr.
    """
    parser = argparse.ArgumentParser(prog="ictalog score", description=__doc__.splitlines()[0])
    add_arguments(parser)
    args = parser.parse_args(None if argv is None else list(argv))
    try:
        return run(args)
    except IctalogError as exc:
        print(f"ictalog score: {exc}", file=sys.stderr)
        return exc.exit_code


if __name__ == "__main__":
    sys.exit(main())
