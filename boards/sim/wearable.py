# The virtual wearable: the firmware application on the sim board, recording a replay
# file into an emulated flash image. Prints one JSON line: what was recorded, flash use,
# heap, wakes and the energy estimate for the board whose power figures it borrows.
#
# Usage: micropython wearable.py REPLAY IMAGE SECTORS [CUT_AT_OP [ACC_PART [POWER_BOARD]]]
#                                [KEY=VALUE ...]
#
# The KEY=VALUE options, anywhere after SECTORS, give the board what a real device keeps
# across restarts. Without them the run is as before: an erased flash, no wall clock, no
# study set up, boot 1.
#
#   from_image=1          mount IMAGE as an earlier boot left it instead of an erased
#                         flash, and write the result back to it
#   boot_count=N          this boot's count in the BOOT record (default 1)
#   start_unix_ms=N       the RTC at virtual time 0, in unix milliseconds (UTC)
#   study_id=TEXT         a study was set up: its id (with it, a CONFIG record is logged)
#   patient_code=TEXT     the patient code of that set-up (default empty)
#   utc_offset_min=N      the study's UTC offset in minutes (default 0)
#   study_start_s=N       the study's start in unix seconds (default: the RTC's start
#                         second, or 0 without a wall clock)

import gc
import json
import sys

import asyncio

from boards.sim.board import SimBoard, config_payload
from boards.sim.energy import estimate
from boards.sim.norflash import NorFlash, PowerCut
from boards.sim.replayfile import ReplayReader
from firmware.app import EV_STOP, Recorder

# CPython (the profiling and the cross-checks) has no gc.mem_alloc.
_mem_alloc = getattr(gc, "mem_alloc", lambda: 0)


async def record(board):
    # Heap: what the firmware holds once started (after a collection), what it holds at
    # the end, and how many bytes it allocates per wake on average. A wake whose count
    # went down had a collection inside it and is left out of the average.
    recorder = Recorder(board)
    recorder.start(board.boot_count(), board.reset_cause())
    gc.collect()
    heap = {"after_start_bytes": _mem_alloc()}
    allocated = 0
    counted = 0
    allocating = 0
    records_before = recorder.records + recorder.dropped
    while True:
        events = await board.wait()
        if events & EV_STOP:
            break
        before = _mem_alloc()
        recorder.handle(events)
        grew = _mem_alloc() - before
        if grew >= 0:
            allocated += grew
            counted += 1
            if grew > 0:
                allocating += 1
    recorder.stop()
    gc.collect()
    heap["at_end_bytes"] = _mem_alloc()
    heap["allocated_per_wake_bytes"] = round(allocated / counted, 1) if counted else 0
    # Only wakes that close a batch (a record a minute per stream, raw windows, status)
    # should allocate; the per-sample path should not.
    heap["wakes_that_allocated"] = allocating
    heap["records_written"] = recorder.records + recorder.dropped - records_before
    return recorder, heap


_OPTIONS = ("from_image", "boot_count", "start_unix_ms", "study_id", "patient_code",
            "utc_offset_min", "study_start_s")


def split_args(argv):
    # The three leading arguments are always positional (a path may hold "="); after
    # them, KEY=VALUE is an option and anything else the next optional positional.
    positional = argv[1:4]
    options = {}
    for arg in argv[4:]:
        at = arg.find("=")
        if at < 0:
            positional.append(arg)
            continue
        key = arg[:at]
        if key not in _OPTIONS:
            raise ValueError("unknown option %r; known: %s" % (key, " ".join(_OPTIONS)))
        options[key] = arg[at + 1:]
    return positional, options


def main(argv):
    positional, options = split_args(argv)
    replay_path, image_path, sectors = positional[0], positional[1], int(positional[2])
    cut_at_op = int(positional[3]) if len(positional) > 3 else 0
    acc_part = positional[4] if len(positional) > 4 else "lis2dh12"
    power_board = positional[5] if len(positional) > 5 else "xiao_esp32s3"
    power = __import__("boards.%s.power" % power_board, None, None, ["POWER"]).POWER

    # What the device kept from before this boot.
    flash = NorFlash(sectors)
    if options.get("from_image", "0") == "1":
        flash.restore(image_path)
    start_unix_ms = None
    if "start_unix_ms" in options:
        start_unix_ms = int(options["start_unix_ms"])
    config = None
    if "study_id" in options:
        study_start_s = start_unix_ms // 1000 if start_unix_ms is not None else 0
        if "study_start_s" in options:
            study_start_s = int(options["study_start_s"])
        config = config_payload(options["study_id"], options.get("patient_code", ""),
                                int(options.get("utc_offset_min", "0")), study_start_s)
    boot_count = int(options.get("boot_count", "1"))

    result = {"cut": False, "board": "sim", "power_figures_of": power_board,
              "accelerometer": acc_part, "boot_count": boot_count}
    with open(replay_path, "rb") as f:
        board = SimBoard(ReplayReader(f), sectors, power, acc_part, cut_at_op, flash=flash,
                         start_unix_ms=start_unix_ms, config=config, boot_count=boot_count)
        try:
            recorder, heap = asyncio.run(record(board))
            result["records"] = recorder.records
            result["records_dropped"] = recorder.dropped
            result["beats"] = recorder.beats
            result["epochs"] = recorder.second
            result["candidates"] = recorder.candidates
            # The emulated flash image lives in the same heap; it is not the firmware's.
            result["flash_image_bytes"] = len(board.flash.data)
            result["heap"] = heap
            result["acc_overruns"] = recorder.acc.overruns
        except PowerCut:
            result["cut"] = True
    flash = board.flash
    flash.power_on()
    flash.save(image_path)
    seconds = board.now_ms / 1000
    result["seconds"] = seconds
    result["wakes"] = board.wakes
    result["ops"] = flash.ops
    result["program_ops"] = flash.program_ops
    result["erase_ops"] = flash.erase_ops
    result["bytes_programmed"] = flash.bytes_programmed
    result["max_erase_count"] = max(flash.erase_counts)
    result["energy"] = estimate(power, seconds, board.wakes, flash.program_ops,
                                flash.erase_ops)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
