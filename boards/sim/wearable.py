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
    recorder = Recorder(board)
    recorder.start()
    gc.collect()
    heap_base = _mem_alloc()
    heap_high = heap_base
    while True:
        events = await board.wait()
        if events & EV_STOP:
            break
        recorder.handle(events)
        used = _mem_alloc()
        if used > heap_high:
            heap_high = used
    recorder.stop()
    return recorder, heap_base, heap_high


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
            recorder, heap_base, heap_high = asyncio.run(record(board))
            result["records"] = recorder.records
            result["records_dropped"] = recorder.dropped
            result["beats"] = recorder.beats
            result["epochs"] = recorder.second
            result["candidates"] = recorder.candidates
            result["heap_after_start_bytes"] = heap_base
            result["heap_peak_bytes"] = heap_high
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
