# The virtual wearable: the firmware application on the sim board, recording a replay
# file into an emulated flash image. Prints one JSON line: what was recorded, flash use,
# heap, wakes and the energy estimate for the board whose power figures it borrows.
#
# Usage: micropython wearable.py REPLAY IMAGE SECTORS [CUT_AT_OP [ACC_PART [POWER_BOARD]]]

import gc
import json
import sys

import asyncio

from boards.sim.board import SimBoard
from boards.sim.energy import estimate
from boards.sim.norflash import PowerCut
from boards.sim.replayfile import ReplayReader
from firmware.app import EV_STOP, Recorder

# CPython (the profiling and the cross-checks) has no gc.mem_alloc.
_mem_alloc = getattr(gc, "mem_alloc", lambda: 0)


async def record(board):
    # Heap: what the firmware holds once started (after a collection), what it holds at
    # the end, and how many bytes it allocates per wake on average. A wake whose count
    # went down had a collection inside it and is left out of the average.
    recorder = Recorder(board)
    recorder.start()
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


def main(argv):
    replay_path, image_path, sectors = argv[1], argv[2], int(argv[3])
    cut_at_op = int(argv[4]) if len(argv) > 4 else 0
    acc_part = argv[5] if len(argv) > 5 else "lis2dh12"
    power_board = argv[6] if len(argv) > 6 else "xiao_esp32s3"
    power = __import__("boards.%s.power" % power_board, None, None, ["POWER"]).POWER
    result = {"cut": False, "board": "sim", "power_figures_of": power_board,
              "accelerometer": acc_part}
    with open(replay_path, "rb") as f:
        board = SimBoard(ReplayReader(f), sectors, power, acc_part, cut_at_op)
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
