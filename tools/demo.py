"""The main job until hardware is attached: a simulated study, end to end.

For each real fixture it runs ``ictalog sim record`` (the device's logging code under the
MicroPython unix port, writing an emulated NOR flash image), then ``ictalog decode
--npz`` on the image, and compares the decoded beats with the fixture's beat by beat. It
then cuts power part-way through one recording and shows that what survives is a prefix
of the uncut recording.

Then a two-night study: ``tools/sim_study.py`` records the demo seizure night and the
demo mimics night as two boots of one simulated device, with a sync image after each
night, and ``ictalog detect`` analyses the study folder: the logs merged and put on the
wall clock, every night searched. The seizure must be found within 20 s of its motor
onset and nothing convulsive raised on the mimics night.

Usage: python tools/demo.py [--out DIR] [FIXTURE.npz ...]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ICTALOG = os.path.join(os.path.dirname(sys.executable), "ictalog")
DEFAULT_FIXTURES = ["tests/fixtures/szdb_sz01.npz", "tests/fixtures/mitdb100.npz",
                    "tests/fixtures/corpus_demo_seizure.npz"]
STUDY_NIGHTS = ["tests/fixtures/corpus_demo_seizure.npz",
                "tests/fixtures/corpus_demo_mimics.npz"]
LATENCY_GOAL_S = 20.0
# Half a tick of the front end's 1/128 s clock plus the millisecond stamp of each record.
TOLERANCE_S = 1 / 256 + 0.001


def ictalog(*args: str) -> dict:
    proc = subprocess.run([ICTALOG, *args, "--json"], capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(proc.returncode)
    return json.loads(proc.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="out")
    parser.add_argument("fixtures", nargs="*", default=DEFAULT_FIXTURES)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)

    ok = True
    for fixture in args.fixtures:
        name = os.path.basename(fixture)[:-4]
        image = os.path.join(args.out, f"{name}.img")
        back = os.path.join(args.out, f"{name}.decoded.npz")
        rec = ictalog("sim", "record", fixture, "--flash", image)
        dec = ictalog("decode", image, "--npz", back)
        # The front end reports R-R intervals, so the first beat (no interval before it)
        # is not recorded.
        source = np.load(fixture)["beat_s"][1:]
        beats = np.load(back)["beat_s"]
        same_count = len(beats) == len(source)
        error_ms = float(np.abs(beats - source).max() * 1000) if same_count else float("nan")
        good = same_count and error_ms <= TOLERANCE_S * 1000 and dec["torn_records"] == 0
        ok &= good
        print(f"{name}: {dec['recorded_hours']:.2f} h, {dec['beats']} of {len(source)} beats "
              f"back, worst timing error {error_ms:.2f} ms, "
              f"{dec['rr_bytes_per_beat']} bytes per beat, {dec['epochs']} motion epochs, "
              f"{len(dec['events'])} prefilter candidates, {dec['raw_acc_windows']} raw "
              f"windows, {dec['bytes_used']} bytes of flash, energy estimate "
              f"{rec['energy']['average_ma']} mA -> {'OK' if good else 'MISMATCH'}")

    # A power cut part-way through the first recording.
    fixture = args.fixtures[0]
    name = os.path.basename(fixture)[:-4]
    full = np.load(os.path.join(args.out, f"{name}.decoded.npz"))["beat_s"]
    image = os.path.join(args.out, f"{name}.cut.img")
    back = os.path.join(args.out, f"{name}.cut.decoded.npz")
    rec = ictalog("sim", "record", fixture, "--flash", image, "--power-cut-at-op", "50")
    dec = ictalog("decode", image, "--npz", back)
    beats = np.load(back)["beat_s"]
    prefix = bool(np.array_equal(beats, full[:len(beats)]))
    ok &= prefix and rec["cut"]
    print(f"{name} with power cut at flash operation 50: {len(beats)} beats survive, "
          f"{dec['torn_records']} torn record detected and skipped, "
          f"{'a prefix of the full recording' if prefix else 'NOT A PREFIX'}")
    ok &= study(args.out)
    print(f"images, decoded fixtures and the study are in {args.out}/")
    return 0 if ok else 1


def study(out: str) -> bool:
    """Two nights of one simulated device, synced and analysed as a study."""
    from datetime import datetime

    from ictalog.fixture import load_fixture

    folder = os.path.join(out, "study")
    if os.path.isdir(folder):
        for name in os.listdir(folder):
            if name.endswith(".img"):
                os.remove(os.path.join(folder, name))
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "sim_study.py"),
                           "--out", folder, *STUDY_NIGHTS], capture_output=True, text=True)
    sys.stdout.write(proc.stdout)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        return False
    result = ictalog("detect", folder)
    good = bool(result["nights"]) and not result["unplaced"]
    for night, path in zip(result["nights"], STUDY_NIGHTS):
        fixture = load_fixture(path)
        convulsive = [e for e in night["events"] if e["kind"] == "convulsive"]
        q = night["quality"]
        print(f"{night['name']}: {q['recorded_h']:.2f} h, {q['beats']} beats, "
              f"{len(convulsive)} convulsive event(s)")
        # The night's axis starts at its first data second; the fixture's at its start.
        shift_s = (datetime.fromisoformat(night["start_utc"]).timestamp()
                   - datetime.fromisoformat(fixture.start_utc).timestamp()) if \
            fixture.start_utc else 0.0
        for event in night["events"]:
            print(f"  {event['kind']} at {event['onset_utc']} ({event['duration_s']:.0f} s, "
                  f"confidence {event['confidence']:.2f}): {event['evidence']['summary']}")
        for seizure in fixture.seizures:
            hits = [e for e in convulsive
                    if 0 <= e["raise_s"] + shift_s - seizure.onset_s <= LATENCY_GOAL_S]
            good &= bool(hits)
            if hits:
                print(f"  annotated seizure at {seizure.onset_s:.0f} s found "
                      f"{hits[0]['raise_s'] + shift_s - seizure.onset_s:.0f} s after its "
                      "motor onset")
            else:
                print(f"  annotated seizure at {seizure.onset_s:.0f} s MISSED")
        if not fixture.seizures and convulsive:
            good = False
            print("  FALSE ALARM on a night without seizures")
    print(f"study: {'OK' if good else 'MISMATCH'}")
    return good


if __name__ == "__main__":
    sys.exit(main())
