"""A simulated multi-night study: fixtures recorded as consecutive nights of one device.

Night k is boot k of one simulated wearable: ``ictalog sim record`` runs the firmware under
MicroPython on the sim board, the first night into an erased flash (``DIR/device.img``),
every later night with ``--continue`` onto the same image, as a device that restarts each
evening keeps its log. Every night carries the same study set-up and its own wall-clock
start. After each night the image is copied to ``DIR/sync-YYYYMMDDTHHMMZ.img`` (the time
the night ends), as a nurse's sync would leave it.

The study folder is then loaded with ``ictalog.study.load_study`` and checked: every night
placed on the wall clock, nothing unplaced, one night per recording, and its beats those of
its fixture (less the first beat of each boot, which has no interval before it) to within
half a tick of the front end plus a millisecond. ``device.img`` is in the folder too; the
loader merges it with the last sync by address, as it merges overlapping syncs.

Night starts: the fixtures' own ``start_utc`` when every night has one, they differ, and
each night begins more than the loader's night break after the previous one ended (else
they would not be separate nights). Otherwise night k starts on day k at 22:30 local time
from ``--first-night``.

Usage: python tools/sim_study.py --out DIR [--nights N] [--flash-kib KIB]
                                 [--runtime micropython|cpython] [--json] FIXTURE.npz ...
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from datetime import date, datetime, time, timedelta, timezone

import numpy as np

from ictalog.fixture import Fixture, load_fixture
from ictalog.study import LOG_SUFFIXES, NIGHT_BREAK_S, load_study

# Half a tick of the front end's 1/128 s clock plus the millisecond stamp of each record.
TOLERANCE_S = 1 / 256 + 0.001
EVENING_LOCAL = time(22, 30)
DEFAULT_FIRST_NIGHT = "2025-01-06"
DEFAULT_FLASH_KIB = 4096


def night_starts(fixtures: list[Fixture], first_night: date, utc_offset_min: int
                 ) -> tuple[list[datetime], str]:
    """Each night's wall-clock start (UTC) and which rule gave it."""
    given = [f.start_utc for f in fixtures]
    if all(given):
        starts = [_utc(datetime.fromisoformat(text)) for text in given]
        apart = all((b - a).total_seconds() - f.duration_s > NIGHT_BREAK_S
                    for a, b, f in zip(starts, starts[1:], fixtures))
        if len(set(starts)) == len(starts) and apart:
            return starts, "the fixtures' start_utc"
    zone = timezone(timedelta(minutes=utc_offset_min))
    evening = datetime.combine(first_night, EVENING_LOCAL, zone)
    starts = [(evening + timedelta(days=k)).astimezone(timezone.utc)
              for k in range(len(fixtures))]
    return starts, f"day k at {EVENING_LOCAL:%H:%M} local from {first_night.isoformat()}"


def _utc(moment: datetime) -> datetime:
    # A fixture's start without an offset is UTC, as its name says.
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def ictalog_sim_record(*args: str) -> dict:
    # The command line a developer would type, so the study goes through the same checks.
    cmd = [sys.executable, "-m", "ictalog.cli", "sim", "record", *args, "--json"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(proc.returncode)
    return json.loads(proc.stdout)


def check_nights(out: str, nights: list[dict], fixtures: list[Fixture]) -> dict:
    """Load the study folder and compare each placed night with its fixture."""
    study = load_study(out)
    placed = sorted(study.nights, key=lambda s: s.start_utc or "")
    for k, night in enumerate(nights):
        entry = night["check"] = {"placed": k < len(placed)}
        if k >= len(placed):
            continue
        series = placed[k]
        origin_s = datetime.fromisoformat(series.start_utc).timestamp()
        wall_s = origin_s + series.beat_s
        expected_s = (datetime.fromisoformat(night["start_utc"]).timestamp()
                      + fixtures[k].beat_s[1:])
        entry["study_night"] = series.name
        entry["beats_placed"] = int(len(wall_s))
        entry["beats_expected"] = int(len(expected_s))
        same_count = len(wall_s) == len(expected_s)
        error_s = float(np.max(np.abs(wall_s - expected_s))) if same_count and len(
            wall_s) else None
        entry["max_error_ms"] = None if error_s is None else round(error_s * 1000, 3)
        entry["ok"] = error_s is not None and error_s <= TOLERANCE_S
    return {
        "nights_loaded": len(study.nights),
        "unplaced": study.unplaced,
        "problems": study.problems,
        "messages": study.messages,
        "ok": (len(study.nights) == len(nights) and not study.unplaced
               and not study.problems and all(n["check"].get("ok") for n in nights)),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, metavar="DIR",
                        help="study folder to create (it must hold no log images yet)")
    parser.add_argument("--nights", type=int,
                        help="nights to record, cycling through the fixtures "
                             "(default: one per fixture)")
    parser.add_argument("--flash-kib", type=int, default=DEFAULT_FLASH_KIB,
                        help="the device's log partition in KiB (default %(default)s)")
    parser.add_argument("--study-id", default="SIM-STUDY")
    parser.add_argument("--patient-code", default="SIM-PATIENT")
    parser.add_argument("--utc-offset-min", type=int, default=0)
    parser.add_argument("--first-night", default=DEFAULT_FIRST_NIGHT, metavar="YYYY-MM-DD",
                        help="local date of night 1 when the fixtures' own starts are not "
                             "used (default %(default)s)")
    parser.add_argument("--runtime", choices=("micropython", "cpython"), default="micropython",
                        help="interpreter the firmware runs under (default %(default)s; "
                             "both write the same image)")
    parser.add_argument("--json", action="store_true", help="print a JSON summary")
    parser.add_argument("fixtures", nargs="+", metavar="FIXTURE.npz")
    args = parser.parse_args(argv)
    n_nights = args.nights if args.nights is not None else len(args.fixtures)
    if n_nights < 1:
        parser.error("--nights must be at least 1")
    try:
        first_night = date.fromisoformat(args.first_night)
    except ValueError:
        parser.error(f"--first-night {args.first_night!r} is not a date like 2025-01-06")

    # A folder holding another run's images would be merged with this one by the loader.
    os.makedirs(args.out, exist_ok=True)
    stale = sorted(n for n in os.listdir(args.out) if n.endswith(LOG_SUFFIXES))
    if stale:
        parser.error(f"{args.out} already holds log images ({', '.join(stale[:3])}); "
                     "give a new or empty folder")

    paths = [args.fixtures[k % len(args.fixtures)] for k in range(n_nights)]
    fixtures = [load_fixture(p) for p in paths]
    starts, rule = night_starts(fixtures, first_night, args.utc_offset_min)
    device = os.path.join(args.out, "device.img")
    nights = []
    for k, (path, fixture, start) in enumerate(zip(paths, fixtures, starts)):
        # Night k is boot k: the first night starts on an erased flash.
        result = ictalog_sim_record(path, "--flash", device,
                                    "--flash-kib", str(args.flash_kib),
                                    "--start-utc", start.isoformat(),
                                    "--study-id", args.study_id,
                                    "--patient-code", args.patient_code,
                                    "--utc-offset-min", str(args.utc_offset_min),
                                    "--runtime", args.runtime,
                                    *(["--continue"] if k else []))

        # The nurse syncs once the night is over: a copy of the whole log as it stands.
        end = start + timedelta(seconds=fixture.duration_s)
        sync = os.path.join(args.out, f"sync-{end:%Y%m%dT%H%M}Z.img")
        shutil.copyfile(device, sync)
        nights.append({"night": k + 1, "boot": result["boot_count"], "fixture": path,
                       "start_utc": start.isoformat(), "sync_file": sync,
                       "beats_recorded": result["beats"],
                       "records_dropped": result["records_dropped"]})
        if not args.json:
            print(f"night {k + 1}: {path} as boot {result['boot_count']} from "
                  f"{start:%Y-%m-%d %H:%M}Z, {result['beats']} beats, synced to {sync}")

    checked = check_nights(args.out, nights, fixtures)
    summary = {"out": args.out, "device_image": device, "flash_kib": args.flash_kib,
               "study_id": args.study_id, "utc_offset_min": args.utc_offset_min,
               "night_starts": rule, "nights": nights, **checked}
    if args.json:
        json.dump(summary, sys.stdout, indent=2, sort_keys=True)
        sys.stdout.write("\n")
    else:
        print(f"night starts: {rule}")
        for night in nights:
            c = night["check"]
            if not c["placed"]:
                print(f"night {night['night']}: NOT PLACED")
                continue
            print(f"night {night['night']}: {c['study_night']}, {c['beats_placed']} of "
                  f"{c['beats_expected']} beats placed, worst timing error "
                  f"{c['max_error_ms']} ms -> {'OK' if c['ok'] else 'MISMATCH'}")
        print(f"{checked['nights_loaded']} nights loaded, {len(checked['unplaced'])} "
              f"unplaced stretches, {len(checked['problems'])} problems"
              + ("" if checked["ok"] else ": " + "; ".join(checked["messages"])))
    return 0 if checked["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
