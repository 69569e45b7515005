"""The main job until hardware is attached: a simulated recording, end to end.

For each real fixture it runs ``ictalog sim record`` (the device's logging code under the
MicroPython unix port, writing an emulated NOR flash image), then ``ictalog decode
--npz`` on the image, and compares the decoded beats with the fixture's beat by beat. It
then cuts power part-way through one recording and shows that what survives is a prefix
of the uncut recording.

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
    print(f"images and decoded fixtures are in {args.out}/")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
