# Ring-log costs measured under the MicroPython unix port: the CPU time of one append
# (framing, CRC, program call and read-back check) for each record size the device
# writes, RAM taken by a mounted log, and the boot-time recovery of a full 16 MiB
# partition. Prints one JSON line.
#
# The block device here is plain RAM: the figures are the log's own work on this
# machine's CPU under MicroPython, not the flash chip's program and erase times, which
# come from the datasheet (docs/LOG-DESIGN.md).
#
# Usage: micropython bench/mpy_log_bench.py [SECTORS [IMAGE_PATH]]

import gc
import json
import sys
import time

sys.path.insert(0, ".")

from boards.sim.ramflash import RamFlash  # noqa: E402
from shared import records as rec  # noqa: E402
from shared.ringlog import LogFull, RingLog  # noqa: E402

SECTOR = 4096


class FileDevice:
    # The big partition lives in a file, so the collector never has to scan 16 MiB of
    # heap (it would on every collection, and the device has no such heap object).
    def __init__(self, path, sectors):
        self.sectors = sectors
        with open(path, "wb") as f:
            block = b"\xff" * SECTOR
            for _ in range(sectors):
                f.write(block)
        self.f = open(path, "r+b")
        self.erased = b"\xff" * SECTOR

    def readblocks(self, block, buf, offset=0):
        self.f.seek(block * SECTOR + offset)
        self.f.readinto(buf)

    def writeblocks(self, block, buf, offset=0):
        self.f.seek(block * SECTOR + offset)
        self.f.write(buf)

    def ioctl(self, op, arg):
        if op == 4:
            return self.sectors
        if op == 5:
            return SECTOR
        if op == 6:
            self.f.seek(arg * SECTOR)
            self.f.write(self.erased)
        return 0


def payloads():
    rr = [0] + [100 + (k * 5) % 11 - 5 for k in range(74)]
    epochs = [(0, 0, 0, 2)] * 50 + [(6, 9, 4, 2)] * 10
    raw = [((i * 37) % 2000) - 1000 for i in range(3 * 250)]
    return (
        ("rr_75_beats", rec.KIND_RR, rec.encode_rr(1000, rr)),
        ("epochs_60", rec.KIND_EPOCHS, rec.encode_epochs(1000, 2, epochs)),
        ("status", rec.KIND_STATUS, rec.encode_status(1000, 3900, 80, 0, 3100, 90)),
        ("raw_acc_250", rec.KIND_RAW_ACC, rec.encode_raw_acc(1, 1000, 25, raw)),
    )


def time_appends(kind, payload, count):
    dev = RamFlash(64)
    log = RingLog(dev)
    start = time.ticks_us()
    done = 0
    for _ in range(count):
        try:
            log.append(kind, payload)
            done += 1
        except LogFull:
            log.acknowledge(log.end_address())
    return time.ticks_diff(time.ticks_us(), start) / max(done, 1)


def main():
    sectors = int(sys.argv[1]) if len(sys.argv) > 1 else 4096
    path = sys.argv[2] if len(sys.argv) > 2 else "/tmp/ictalog-bench.img"
    impl = sys.implementation.version
    result = {"runtime": "micropython", "version": sys.version,
              "micropython_version": "%d.%d.%d" % (impl[0], impl[1], impl[2])}
    appends = {}
    for name, kind, payload in payloads():
        appends[name] = {
            "payload_bytes": len(payload),
            "us_per_append": round(time_appends(kind, payload, 2000), 1),
        }
    result["append"] = appends

    # Fill a whole partition, nothing acknowledged, then reboot. Recovery reads every
    # sector header and walks the head sector only, so the record mix matters little;
    # large raw-window records keep the fill quick.
    gc.collect()
    dev = FileDevice(path, sectors)
    gc.collect()
    before = gc.mem_alloc()
    log = RingLog(dev)
    gc.collect()
    result["mounted_log_ram_bytes"] = gc.mem_alloc() - before
    mix = payloads()
    mix = (mix[0], mix[3], mix[1], mix[3])
    written = 0
    fill_start = time.ticks_ms()
    while True:
        name, kind, payload = mix[written % len(mix)]
        try:
            log.append(kind, payload)
        except LogFull:
            break
        written += 1
    result["fill_records"] = written
    result["fill_s"] = time.ticks_diff(time.ticks_ms(), fill_start) / 1000
    result["partition_bytes"] = sectors * SECTOR
    mounts = []
    for _ in range(3):
        start = time.ticks_us()
        log = RingLog(dev)
        mounts.append(time.ticks_diff(time.ticks_us(), start) / 1000)
    result["boot_recovery_ms"] = round(min(mounts), 1)
    result["boot_recovery_ms_all"] = [round(m, 1) for m in mounts]
    start = time.ticks_ms()
    walked = 0
    for _ in log.records():
        walked += 1
    result["walk_records"] = walked
    result["walk_s"] = time.ticks_diff(time.ticks_ms(), start) / 1000
    dev.f.close()
    import os
    os.remove(path)
    print(json.dumps(result))


main()
