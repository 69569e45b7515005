"""A simulated 14-night study of 10-hour nights: the firmware on the sim board records
corpus nights into flash images under MicroPython; the images are decoded.

The 14 nights run as two sequences of 7 (one process per core), each into its own image
of the default 4 MiB partition; flash figures are the two images added up. Prints and
returns: flash used in all and per recorded hour for the continuous streams (R-R plus
epochs) and for the raw windows, the firmware's heap, and the energy estimate for the
board whose power figures the sim borrows.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from ictalog.fixture import load_fixture
from ictalog.logdecode import decode_file
from ictalog.prefilter_eval import corpus_entries
from ictalog.simrun import sim_record

NIGHTS = 14
SECTORS = 1024


def pick_nights(corpus: str) -> list[str]:
    nights = corpus_entries(corpus)
    # The test split first, then the rest: any night will do for storage and energy.
    order = sorted(nights, key=lambda e: (e["split"] != "test", e["name"]))
    return [os.path.join(corpus, e["name"] + ".npz") for e in order[:NIGHTS]]


def record_sequence(paths: list[str], image: str) -> dict:
    beats = []
    accs = []
    offset_s = 0.0
    hz = 25.0
    for path in paths:
        fixture = load_fixture(path)
        hz = fixture.acc_hz
        beats.append(fixture.beat_s + offset_s)
        accs.append(fixture.acc_mg)
        offset_s += fixture.duration_s
    result = sim_record(np.concatenate(beats), np.concatenate(accs), hz, offset_s, image,
                        SECTORS)
    summary = decode_file(image).summary()
    return {"sim": result, "decoded": summary, "hours": offset_s / 3600}


def run(corpus: str) -> dict:
    paths = pick_nights(corpus)
    if len(paths) < NIGHTS:
        raise SystemExit(f"{corpus} holds {len(paths)} nights; the study needs {NIGHTS}")
    halves = [paths[:NIGHTS // 2], paths[NIGHTS // 2:]]
    with tempfile.TemporaryDirectory() as tmp:
        images = [os.path.join(tmp, f"half{i}.img") for i in range(2)]
        with ProcessPoolExecutor(2) as pool:
            parts = list(pool.map(record_sequence, halves, images))
    hours = sum(p["hours"] for p in parts)
    by_kind: dict[str, int] = {}
    for p in parts:
        for kind, n in p["decoded"]["bytes_by_kind"].items():
            by_kind[kind] = by_kind.get(kind, 0) + n
    continuous = by_kind.get("rr", 0) + by_kind.get("epochs", 0)
    raw = by_kind.get("raw_acc", 0) + by_kind.get("raw_ecg", 0)
    record_bytes = sum(p["decoded"]["record_bytes"] for p in parts)
    sectors_used = sum(p["decoded"]["live_sectors"] for p in parts)
    energy = [p["sim"]["energy"] for p in parts]
    seconds = [p["sim"]["seconds"] for p in parts]
    average_ma = sum(e["average_ma"] * s for e, s in zip(energy, seconds)) / sum(seconds)
    return {
        "nights": NIGHTS,
        "hours": round(hours, 2),
        "record_bytes": record_bytes,
        "flash_bytes_used": sectors_used * 4096,
        "bytes_by_kind": dict(sorted(by_kind.items())),
        "continuous_bytes_per_hour": round(continuous / hours),
        "rr_bytes_per_hour": round(by_kind.get("rr", 0) / hours),
        "epochs_bytes_per_hour": round(by_kind.get("epochs", 0) / hours),
        "raw_window_bytes": raw,
        "candidates": sum(p["sim"]["candidates"] for p in parts),
        "beats": sum(p["decoded"]["beats"] for p in parts),
        "torn_or_corrupt": sum(p["decoded"]["torn_records"] + p["decoded"]["corrupt_records"]
                               for p in parts),
        "records_dropped": sum(p["sim"]["records_dropped"] for p in parts),
        "acc_overruns": sum(p["sim"]["acc_overruns"] for p in parts),
        "heap_after_start_bytes": max(p["sim"]["heap"]["after_start_bytes"] -
                                      p["sim"]["flash_image_bytes"] for p in parts),
        "heap_at_end_bytes": max(p["sim"]["heap"]["at_end_bytes"] -
                                 p["sim"]["flash_image_bytes"] for p in parts),
        "wakes_that_allocated": sum(p["sim"]["heap"]["wakes_that_allocated"] for p in parts),
        "records_written": sum(p["sim"]["heap"]["records_written"] for p in parts),
        "wakes": sum(p["sim"]["wakes"] for p in parts),
        "energy_board": parts[0]["sim"]["power_figures_of"],
        "average_ma": round(average_ma, 3),
        "wake_ms_assumed": energy[0]["wake_ms_assumed"],
        "wakes_per_s": round(sum(p["sim"]["wakes"] for p in parts) / sum(seconds), 3),
        "study_mah": round(average_ma * hours, 1),
    }


if __name__ == "__main__":
    print(json.dumps(run(sys.argv[1] if len(sys.argv) > 1 else "out/corpus"), indent=2))
