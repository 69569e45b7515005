"""``make bench``: storage, speed and memory figures, printed as a table and kept as JSON.

- Storage: each real fixture in tests/fixtures is recorded into a flash image by the
  device code under the MicroPython unix port and decoded; bytes per beat and per hour
  count whole records (framing and CRC included).
- Log costs under MicroPython (bench/mpy_log_bench.py): CPU time per append by record
  size, RAM held by a mounted log, boot-time recovery of a full 16 MiB partition.
- Decoder fuzzing (bench/fuzz.py): random and mutated images, none may crash or hang.

The figures in the docs are copied from the output of this script (bench/results.json).
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))

from ictalog.fixture import load_fixture  # noqa: E402
from ictalog.logdecode import decode_file  # noqa: E402
from ictalog.simrun import micropython_path, sim_record  # noqa: E402


def storage() -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        # The real recordings only: the storage bar is about real R-R intervals.
        for path in sorted(glob.glob(os.path.join(ROOT, "tests", "fixtures", "*.npz"))):
            if not os.path.basename(path).startswith(("mitdb", "szdb")):
                continue
            fixture = load_fixture(path)
            image = os.path.join(tmp, "bench.img")
            sim_record(fixture.beat_s, fixture.acc_mg, fixture.acc_hz, fixture.duration_s,
                       image, 256)
            summary = decode_file(image).summary()
            hours = fixture.duration_s / 3600.0
            rr_bytes = summary["bytes_by_kind"].get("rr", 0)
            rows.append({
                "fixture": os.path.basename(path)[:-4],
                "hours": round(hours, 2),
                "beats": summary["beats"],
                "source_beats": int(len(fixture.beat_s)),
                "rr_bytes": rr_bytes,
                "rr_bytes_per_beat": round(rr_bytes / summary["beats"], 3),
                "rr_bytes_per_hour": round(rr_bytes / hours),
            })
    return rows


def mpy_log() -> dict:
    proc = subprocess.run([micropython_path(), "bench/mpy_log_bench.py"], cwd=ROOT,
                          capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def fuzz(inputs: int) -> dict:
    import fuzz as fuzzer

    return fuzzer.run(inputs, 1, max(1, os.cpu_count() or 1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(ROOT, "bench", "results.json"))
    parser.add_argument("--fuzz-inputs", type=int, default=100000)
    args = parser.parse_args()

    started = time.time()
    results = {
        "machine": {"python": platform.python_version(), "processor": platform.machine(),
                    "cpus": os.cpu_count()},
        "storage": storage(),
        "log_micropython": mpy_log(),
        "fuzz": fuzz(args.fuzz_inputs),
    }
    total_rr = sum(r["rr_bytes"] for r in results["storage"])
    total_beats = sum(r["beats"] for r in results["storage"])
    results["rr_bytes_per_beat_all_fixtures"] = round(total_rr / total_beats, 3)
    results["wall_s"] = round(time.time() - started, 1)

    print("\nStorage of R-R intervals (whole records, recorded under MicroPython)")
    print(f"{'fixture':<12}{'hours':>7}{'beats':>8}{'bytes/beat':>12}{'bytes/hour':>12}")
    for r in results["storage"]:
        print(f"{r['fixture']:<12}{r['hours']:>7}{r['beats']:>8}"
              f"{r['rr_bytes_per_beat']:>12}{r['rr_bytes_per_hour']:>12}")
    print(f"{'all':<12}{'':>7}{total_beats:>8}{results['rr_bytes_per_beat_all_fixtures']:>12}")

    log = results["log_micropython"]
    print("\nRing log under MicroPython (RAM block device; CPU time only)")
    for name, row in log["append"].items():
        print(f"  append {name:<14}{row['payload_bytes']:>6} B payload "
              f"{row['us_per_append']:>8} us")
    print(f"  RAM held by a mounted {log['partition_bytes'] // 1048576} MiB log: "
          f"{log['mounted_log_ram_bytes']} B")
    print(f"  boot recovery of a full {log['partition_bytes'] // 1048576} MiB partition "
          f"({log['fill_records']} records): {log['boot_recovery_ms']} ms (best of 3)")
    print(f"  read every record once: {log['walk_s']} s")

    fz = results["fuzz"]
    print(f"\nDecoder fuzzing: {fz['inputs']} inputs, {fz['decoded']} decoded, "
          f"{fz['refused']} refused with a clear error, {fz['crash']} crashes, "
          f"slowest {fz['slowest_s']} s")

    with open(args.out, "w") as f:
        json.dump(results, f, indent=2, sort_keys=True)
        f.write("\n")
    print(f"\nwritten to {os.path.relpath(args.out, ROOT)}")
    return 1 if fz["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
