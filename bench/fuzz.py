"""Fuzz the log decoder with random and mutated flash images.

Every input must end in a decoded log or a clear ``LogImageError``; any other exception
is a crash, and an input that takes longer than the time limit is a hang. Mutations start
from valid images and include re-signed sector headers and re-signed record frames, so
that the per-kind payload decoders see well-framed garbage too.

Usage: python bench/fuzz.py --inputs 100000 [--seed N] [--jobs 2]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import struct
import sys
import time
import traceback
import zlib

from ictalog.boards.sim.ramflash import RamFlash
from ictalog.errors import LogImageError
from ictalog.logdecode import decode_bytes, to_fixture_arrays
from ictalog.shared import records as rec
from ictalog.shared import ringlog

SECTOR = 4096
HANG_S = 2.0


def valid_image(rng: random.Random) -> bytearray:
    sectors = rng.randint(3, 8)
    flash = RamFlash(sectors)
    log = ringlog.RingLog(flash)
    t_ms = 0
    for _ in range(rng.randint(1, 120)):
        choice = rng.random()
        t_ms += rng.randint(0, 60000)
        try:
            if choice < 0.4:
                n = rng.randint(1, 120)
                rr = [rng.randint(40, 200) for _ in range(n)]
                log.append(rec.KIND_RR, rec.encode_rr(t_ms, rr))
            elif choice < 0.7:
                epochs = [(a, rng.randint(0, 15), rng.randint(0, 12), rng.randint(0, 6))
                          for a in (rng.randint(0, 15) for _ in range(rng.randint(1, 60)))]
                log.append(rec.KIND_EPOCHS, rec.encode_epochs(t_ms, 2, epochs))
            elif choice < 0.8:
                samples = [rng.randint(-4000, 4000) for _ in range(3 * rng.randint(1, 100))]
                log.append(rec.KIND_RAW_ACC, rec.encode_raw_acc(1, t_ms, 25, samples))
            elif choice < 0.85:
                log.append(rec.KIND_EVENT, rec.encode_event(t_ms, 30000, 1, 500))
            elif choice < 0.9:
                log.append(rec.KIND_STATUS, rec.encode_status(t_ms, 3900, 80, 0, 3000, 90))
            elif choice < 0.95:
                log.append(rec.KIND_CLOCK, rec.encode_clock(t_ms, 1764806400, 5, 1))
            else:
                log.acknowledge(log.end_address())
        except ringlog.LogFull:
            log.acknowledge(log.end_address())
    return flash.data


def _resign_header(img: bytearray, sector: int, rng: random.Random) -> None:
    base = sector * SECTOR
    seq = rng.choice([1, 2, 3, rng.randint(0, 2**32 - 1)])
    ack = rng.choice([0, rng.randint(0, 2**44)])
    struct.pack_into("<4sBBHIQ", img, base, b"ICLG", 1, 12, 0xFFFF, seq, ack)
    struct.pack_into("<I", img, base + 20, zlib.crc32(img[base:base + 20]))


def _forge_record(img: bytearray, sector: int, rng: random.Random) -> None:
    # A well-framed record of a random kind and random payload right after the header.
    base = sector * SECTOR + ringlog.HEADER_SIZE
    length = rng.randint(0, 200)
    kind = rng.choice(list(rec.DECODERS) + [rng.randint(1, 254)])
    payload = bytes(rng.getrandbits(8) for _ in range(length))
    frame = bytes([kind, length & 0xFF, length >> 8]) + payload
    frame += struct.pack("<I", zlib.crc32(frame))
    img[base:base + len(frame)] = frame


def make_input(seed: int) -> bytes:
    rng = random.Random(seed)
    mode = rng.randrange(8)
    if mode == 0:
        return bytes(rng.getrandbits(8) for _ in range(SECTOR * rng.randint(0, 4)))
    if mode == 1:
        return bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 3 * SECTOR + 10)))
    img = valid_image(rng)
    sectors = len(img) // SECTOR
    truncate = False
    for _ in range(rng.randint(1, 6)):
        what = rng.randrange(7)
        if what == 0:
            for _ in range(rng.randint(1, 20)):
                i = rng.randrange(len(img))
                img[i] ^= 1 << rng.randrange(8)
        elif what == 1:
            start = rng.randrange(len(img))
            end = min(len(img), start + rng.randint(1, 600))
            fill = rng.choice([0x00, 0xFF, None])
            img[start:end] = (bytes([fill]) * (end - start) if fill is not None
                              else bytes(rng.getrandbits(8) for _ in range(end - start)))
        elif what == 2:
            a, b = rng.randrange(sectors), rng.randrange(sectors)
            img[a * SECTOR:(a + 1) * SECTOR] = img[b * SECTOR:(b + 1) * SECTOR]
        elif what == 3:
            _resign_header(img, rng.randrange(sectors), rng)
        elif what == 4:
            sector = rng.randrange(sectors)
            _resign_header(img, sector, rng)
            _forge_record(img, sector, rng)
        elif what == 5:
            truncate = True
        else:
            # A frame whose length runs past its sector.
            base = rng.randrange(sectors) * SECTOR + ringlog.HEADER_SIZE
            img[base:base + 3] = bytes([rec.KIND_RR, 0xF0, 0x0F])
    if truncate:
        del img[rng.randrange(len(img)):]
    return bytes(img)


def check_one(seed: int) -> tuple[str, float, str]:
    data = make_input(seed)
    start = time.perf_counter()
    try:
        decoded = decode_bytes(data, f"fuzz-{seed}")
        json.dumps(decoded.summary())
        for segment in decoded.segments:   # what decode --npz writes, boot by boot
            to_fixture_arrays(segment)
        outcome = "decoded"
    except LogImageError:
        outcome = "refused"
    except Exception:
        return "crash", time.perf_counter() - start, traceback.format_exc()
    return outcome, time.perf_counter() - start, ""


def run(inputs: int, seed: int, jobs: int) -> dict:
    seeds = range(seed, seed + inputs)
    counts = {"decoded": 0, "refused": 0, "crash": 0}
    slowest = 0.0
    failures = []
    start = time.perf_counter()
    with multiprocessing.Pool(jobs) as pool:
        for s, (outcome, elapsed, detail) in zip(seeds, pool.imap(check_one, seeds, 64)):
            counts[outcome] += 1
            slowest = max(slowest, elapsed)
            if outcome == "crash" or elapsed > HANG_S:
                failures.append({"seed": s, "outcome": outcome, "seconds": elapsed,
                                 "detail": detail[-1500:]})
    return {"inputs": inputs, "seed": seed, **counts, "slowest_s": round(slowest, 4),
            "wall_s": round(time.perf_counter() - start, 1), "failures": failures[:10],
            "failed": len(failures)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=100000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=max(1, multiprocessing.cpu_count()))
    args = parser.parse_args()
    result = run(args.inputs, args.seed, args.jobs)
    print(json.dumps(result, indent=2))
    return 1 if result["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
