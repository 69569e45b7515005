#!/usr/bin/env python3
"""Generate the synthetic corpus of nights (or the two committed demo nights).

The nights, their splits and the ``corpus.json`` manifest come from
``ictalog.corpus.build_corpus``; see ``docs/CORPUS.md`` for what a night holds and where
each modelling figure comes from. Out-of-bed episodes use the HMP wrist trials beside the
checkout (``../shared/data/hmp-adl-wrist``, CC BY 4.0, Bruno et al. 2013).

Run from the repository root::

    .venv/bin/python tools/make_corpus.py --out out/corpus                # 64 nights x 10 h
    .venv/bin/python tools/make_corpus.py --out out/corpus --with-trials  # plus HMP trials
    .venv/bin/python tools/make_corpus.py --demo --out tests/fixtures     # the demo nights
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

from ictalog.corpus import (
    DEFAULT_HOURS,
    DEFAULT_NIGHTS,
    build_corpus,
    convert_hmp_trials,
    default_hmp_dir,
    write_demo_fixtures,
)
from ictalog.errors import IctalogError


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, generate, print a summary; 0 on success, 2 on a clear error."""
    parser = argparse.ArgumentParser(
        prog="make_corpus.py",
        description="Generate seeded synthetic nights with fixed train/validation/test "
                    "splits and a corpus.json manifest.",
    )
    parser.add_argument("--out", required=True, type=Path, help="output folder")
    parser.add_argument("--nights", type=int, default=DEFAULT_NIGHTS,
                        help=f"number of nights (default {DEFAULT_NIGHTS})")
    parser.add_argument("--seed", type=int, default=0, help="corpus seed (default 0)")
    parser.add_argument("--hours", type=float, default=DEFAULT_HOURS,
                        help=f"length of each night in hours (default {DEFAULT_HOURS:g})")
    parser.add_argument("--hmp-dir", type=Path, default=None,
                        help=f"HMP wrist trials folder (default {default_hmp_dir()})")
    parser.add_argument("--with-trials", action="store_true",
                        help="also write every HMP trial as a fixture under OUT/hmp/")
    parser.add_argument("--demo", action="store_true",
                        help="write only the two one-hour demo nights (corpus_demo_*)")
    parser.add_argument("--workers", type=int, default=None,
                        help="processes to use (default: one per CPU)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log each night")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(message)s")
    if args.nights < 1 or args.hours <= 0:
        parser.error("--nights must be at least 1 and --hours above 0")

    started = time.perf_counter()
    try:
        if args.demo:
            for path in write_demo_fixtures(args.out, args.hmp_dir):
                print(f"wrote {path}")
        else:
            manifest = build_corpus(args.out, args.nights, args.seed, args.hours,
                                    args.hmp_dir, args.workers)
            for split, total in manifest["totals"].items():
                print(f"{split:>10}: {total['nights']:3d} nights, {total['seizures']:3d} "
                      f"seizures, {total['seizure_free_nights']:3d} seizure-free nights")
            print(f"wrote {args.out / 'corpus.json'}")
        if args.with_trials:
            hmp_dir = args.hmp_dir if args.hmp_dir is not None else default_hmp_dir()
            written = convert_hmp_trials(hmp_dir, args.out / "hmp")
            print(f"wrote {len(written)} HMP trial fixtures to {args.out / 'hmp'}")
    except IctalogError as exc:
        print(f"make_corpus: {exc}", file=sys.stderr)
        return exc.exit_code
    print(f"done in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
