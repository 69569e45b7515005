"""The ``ictalog`` command line.

Every verb prints JSON with ``--json`` for tools and a short readable account without it.
Errors the user can act on exit with status 2 and say what to do next.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from datetime import datetime, timedelta, timezone

import numpy as np

from . import __version__
from .errors import IctalogError

log = logging.getLogger(__name__)

DEFAULT_FLASH_KIB = 4096


def _print(result: dict, as_json: bool, lines: list[str]) -> None:
    if as_json:
        json.dump(result, sys.stdout, indent=2, sort_keys=True)
        sys.stdout.write("\n")
    else:
        for line in lines:
            print(line)


def cmd_decode(args: argparse.Namespace) -> int:
    from .logdecode import decode_file, to_fixture_arrays

    decoded = decode_file(args.image)
    summary = decoded.summary()
    if args.npz:
        recordings = [s for s in decoded.segments if s.beat_t_s or s.epochs]
        if not recordings:
            raise IctalogError(
                "the log holds no beats and no motion epochs, so there is no recording "
                "to write as a fixture", "decode without --npz to see what it does hold",
                args.image)
        # Device time restarts at every boot, so each boot is a recording of its own,
        # on its own time axis, as it was recorded: one fixture each. Placing the boots
        # on one wall-clock axis is the study loader's work (`ictalog detect`).
        paths = _npz_paths(args.npz, recordings)
        for path, segment in zip(paths, recordings):
            _save_npz(path, to_fixture_arrays(segment), segment)
        summary["npz"] = paths[0] if len(paths) == 1 else paths
    _print(summary, args.json, [
        f"{args.image}: format {summary['format_version']}, "
        f"{summary['live_sectors']} of {summary['sectors']} sectors in use",
        f"  {summary['beats']} beats, {summary['epochs']} epochs, "
        f"{len(summary['events'])} events over {summary['recorded_hours']:.2f} h",
        f"  records: " + ", ".join(f"{k} {v}" for k, v in summary["records"].items()),
        f"  torn {summary['torn_records']}, corrupt {summary['corrupt_records']}, "
        f"undecodable {summary['undecodable_records']}",
    ])
    return 0


def _npz_paths(path: str, recordings: list) -> list[str]:
    # One boot: the path given. Several: OUT.bootN.npz by boot count, or by the segment's
    # place in the log when its BOOT record is gone or its count is not unique.
    if len(recordings) == 1:
        return [path]
    stem = path[:-4] if path.endswith(".npz") else path
    counts = [s.boot["boot_count"] if s.boot else None for s in recordings]
    return [f"{stem}.boot{c}.npz" if c is not None and counts.count(c) == 1
            else f"{stem}.segment{s.index}.npz" for c, s in zip(counts, recordings)]


def _segment_start_utc(segment) -> str | None:
    # The wall-clock time of the boot's time zero, from its first clock mark that comes
    # from a set clock; the study loader fits the drift, which a single recording's
    # comparison with its source does not need.
    from .study import EARLIEST_WALL_S

    for mark in segment.clocks:
        if mark["unix_s"] >= EARLIEST_WALL_S:
            unix_ms = mark["unix_s"] * 1000 + mark["unix_ms"] - round(mark["device_s"] * 1000)
            return _iso_ms(unix_ms)
    return None


def _save_npz(path: str, arrays: dict[str, np.ndarray], segment) -> None:
    from .fixture import Event, Fixture, save_fixture

    # Candidate events are not reference annotations: they are written with an eventType
    # that does not start with "sz", so no scorer mistakes them for seizures.
    events = tuple(
        Event(onset_s=e["onset_s"], duration_s=e["duration_s"],
              event_type="prefilter_candidate")
        for e in segment.events
    )
    core = ("acc_mg", "acc_hz", "beat_s", "duration_s")
    fixture = Fixture(
        acc_mg=arrays["acc_mg"], acc_hz=float(arrays["acc_hz"]), beat_s=arrays["beat_s"],
        duration_s=float(arrays["duration_s"]), events=events,
        start_utc=_segment_start_utc(segment),
        extras={k: v for k, v in arrays.items() if k not in core},
    )
    save_fixture(path, fixture)


def _start_unix_ms(text: str | None, fixture_start_utc: str | None) -> int | None:
    # --start-utc, else the fixture's own start; "none" means the RTC was never set.
    # A time without an offset is taken as UTC, as the option's name says.
    if text is None:
        text = fixture_start_utc
    if text is None or text.lower() == "none":
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise IctalogError(f"--start-utc {text!r} is not an ISO 8601 time",
                           "give it as 2025-03-03T22:30:00Z, or none for no wall clock"
                           ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return (when - datetime(1970, 1, 1, tzinfo=timezone.utc)) // timedelta(milliseconds=1)


def _iso_ms(unix_ms: int) -> str:
    when = datetime.fromtimestamp(unix_ms // 1000, timezone.utc)
    return when.replace(microsecond=unix_ms % 1000 * 1000).isoformat(timespec="milliseconds")


def cmd_sim_record(args: argparse.Namespace) -> int:
    from .fixture import load_fixture
    from .logdecode import decode_file
    from .simrun import sim_record

    fixture = load_fixture(args.fixture, events_required=False)
    sectors = args.flash_kib * 1024 // 4096
    if sectors < 3:
        raise IctalogError(f"--flash-kib {args.flash_kib} is too small",
                           "give at least 12 KiB (three 4 KiB sectors)")
    start_unix_ms = _start_unix_ms(args.start_utc, fixture.start_utc)
    result = sim_record(fixture.beat_s, fixture.acc_mg, fixture.acc_hz, fixture.duration_s,
                        args.flash, sectors, args.power_cut_at_op or 0, args.accelerometer,
                        args.power_board, start_unix_ms=start_unix_ms,
                        study_id=args.study_id, patient_code=args.patient_code,
                        utc_offset_min=args.utc_offset_min, continue_image=args.continue_,
                        runtime=args.runtime)
    result["fixture"] = str(args.fixture)
    result["flash"] = args.flash
    result["flash_bytes"] = sectors * 4096
    result["runtime"] = args.runtime
    result["start_utc"] = None if start_unix_ms is None else _iso_ms(start_unix_ms)
    try:
        # With --continue this is the whole image: every boot it holds.
        summary = decode_file(args.flash).summary()
        result["recorded"] = {k: summary[k] for k in (
            "beats", "epochs", "events", "records", "bytes_used", "record_bytes",
            "rr_bytes_per_beat", "continuous_bytes_per_hour", "torn_records",
            "corrupt_records", "raw_acc_windows", "boots", "clock_marks")}
    except IctalogError as exc:
        # A power cut before the first sector header leaves nothing to decode.
        result["recorded"] = None
        result["decode_error"] = exc.reason
    study = result["study"]
    _print(result, args.json, [
        f"recorded {args.fixture} into {args.flash} as boot {result['boot_count']}"
        + (" (continued)" if result["continued"] else "")
        + (" (power cut at op %d)" % args.power_cut_at_op if result["cut"] else ""),
        "  wall clock from " + (f"{result['start_utc']} (UTC)" if result["start_utc"]
                                else "nowhere: the recording stays unplaced until a sync")
        + (f"; study {study['study_id']}, UTC offset {study['utc_offset_min']} min" if study
           else "; no study set up"),
        f"  {result['ops']} flash operations, {result['bytes_programmed']} bytes programmed",
        f"  energy estimate ({result['power_figures_of']} figures): "
        f"{result['energy']['average_ma'] if result.get('energy') else '-'} mA average",
    ])
    return 0


def cmd_prefilter(args: argparse.Namespace) -> int:
    from .fixture import load_fixture
    from .simrun import prefilter_replay

    fixture = load_fixture(args.fixture, events_required=False)
    result = prefilter_replay(fixture.beat_s, fixture.acc_mg, fixture.acc_hz,
                              fixture.duration_s, args.runtime)
    result["fixture"] = str(args.fixture)
    result["runtime"] = args.runtime
    _print(result, args.json, [f"{args.fixture}: {len(result['events'])} candidates "
                               f"({args.runtime})"] + [
        f"  onset {e['onset_s']} s, {e['duration_s']} s long, confidence {e['confidence']}, "
        f"raised at {e['detected_s']} s" for e in result["events"]])
    return 0


def cmd_detect(args: argparse.Namespace) -> int:
    from .detect import detect_fixture, detect_series

    target = str(args.target)
    if target.lower().endswith(".npz"):
        from .fixture import load_fixture

        night = detect_fixture(load_fixture(target, events_required=False))
        result = {"fixture": target, **night.to_json()}
        nights = [night]
    else:
        from .study import load_study

        study = load_study(target)
        nights = [detect_series(series) for series in study.nights]
        summary = study.summary()
        result = {
            "study": target,
            "study_id": study.study_id,
            "recorded_hours": summary["recorded_hours"],
            "nights": [n.to_json() for n in nights],
            "unplaced": summary["unplaced"],
            "problems": summary["problems"],
            "messages": summary["messages"],
        }
        if not nights:
            result["messages"] = result["messages"] + [
                "No night could be analysed: nothing in the logs is on the wall clock."]
    lines = []
    for night in nights:
        counts = night.to_json()["counts"]
        q = night.quality
        lines.append(f"{night.name}: {q['recorded_h']:.1f} h recorded ({q['motion_h']:.1f} h "
                     f"with motion, {q['heart_rate_h']:.1f} h with heart rate): "
                     f"{counts['convulsive']} convulsive, {counts['hr_only']} heart-rate-only")
        for event in night.events:
            lines.append(f"  {event.kind} at {event.onset_s:.0f} s for {event.duration_s:.0f} s "
                         f"(confidence {event.confidence:.2f}): {event.evidence['summary']}")
    for message in result.get("messages", []):
        lines.append(f"note: {message}")
    _print(result, args.json, lines)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ictalog", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"ictalog {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug detail")
    verbs = parser.add_subparsers(dest="verb", required=True)

    p = verbs.add_parser("decode", help="what a flash image or offloaded log holds")
    p.add_argument("image", help="flash image or log file")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--npz", metavar="OUT.npz",
                   help="also write the content back in the fixture format")
    p.set_defaults(func=cmd_decode)

    p = verbs.add_parser("prefilter", help="replay the on-device prefilter on a fixture")
    p.add_argument("fixture", help="FIXTURE.npz")
    p.add_argument("--runtime", choices=("micropython", "cpython"), default="micropython",
                   help="interpreter to run the device code under (default %(default)s)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_prefilter)

    p = verbs.add_parser("detect", help="full host detection on a fixture or a synced study")
    p.add_argument("target", metavar="FIXTURE.npz|STUDY",
                   help="a fixture, a study folder of synced logs, or one log image")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_detect)

    from . import score_cli

    p = verbs.add_parser("score", help="score detectors on a corpus split, side by side "
                                       "(SzCORE and the wearable convention)")
    score_cli.add_arguments(p)
    p.set_defaults(func=score_cli.run)

    sim = verbs.add_parser("sim", help="the wearable simulated under MicroPython")
    sim_verbs = sim.add_subparsers(dest="sim_verb", required=True)
    p = sim_verbs.add_parser("record", help="record a fixture into a flash image")
    p.add_argument("fixture", help="FIXTURE.npz")
    p.add_argument("--flash", required=True, metavar="IMAGE", help="flash image to write")
    p.add_argument("--flash-kib", type=int, default=DEFAULT_FLASH_KIB,
                   help="log partition size in KiB (default %(default)s)")
    p.add_argument("--power-cut-at-op", type=int, metavar="N",
                   help="power fails during the N-th flash program or erase")
    p.add_argument("--accelerometer", choices=("lis2dh12", "bma400"), default="lis2dh12",
                   help="accelerometer part the sim board carries (default %(default)s)")
    p.add_argument("--power-board", choices=("xiao_esp32s3", "pico2w"),
                   default="xiao_esp32s3",
                   help="board whose power figures the energy estimate uses")
    p.add_argument("--start-utc", metavar="ISO8601",
                   help="the device's RTC at the recording's start (UTC unless the time "
                        "carries an offset; default: the fixture's start_utc, if any; "
                        "none: no wall clock)")
    p.add_argument("--study-id", help="a study was set up with this id (logs CONFIG)")
    p.add_argument("--patient-code", help="the set-up's patient code (default empty)")
    p.add_argument("--utc-offset-min", type=int, metavar="MIN",
                   help="the study's UTC offset in minutes (default 0)")
    p.add_argument("--runtime", choices=("micropython", "cpython"), default="micropython",
                   help="interpreter the firmware runs under (default %(default)s; both "
                        "write the same image, CPython faster, heap figures only from "
                        "MicroPython)")
    p.add_argument("--continue", dest="continue_", action="store_true",
                   help="append to the existing IMAGE as the device's next boot, keeping "
                        "its study set-up")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_sim_record)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        return args.func(args)
    except IctalogError as exc:
        print(f"ictalog: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
