# Records a fixture into an emulated flash image, under the MicroPython unix port: the
# logging path of the wearable (R-R batching, one-second motion epochs, the ring log) fed
# from a replay file instead of the chips. The host writes the replay file from a fixture
# (ictalog.simrun) and decodes the image afterwards.
#
# Usage: micropython replay.py REPLAY IMAGE SECTORS [CUT_AT_OP]
# (the replay file's layout is in replayfile.py)

import sys

from boards.sim.norflash import NorFlash, PowerCut
from boards.sim.replayfile import TICK_HZ as _TICK_HZ
from boards.sim.replayfile import ReplayReader
from shared import records as rec
from shared.motion import EpochFeatures
from shared.ringlog import LogFull, RingLog
from shared.streams import EpochStream, RRStream

_FIRMWARE = "ictalog-replay 0.1"


class Recorder:
    def __init__(self, log, acc_hz):
        self.log = log
        self.acc_hz = acc_hz
        self.rr = RRStream()
        self.epochs = EpochStream()
        self.features = EpochFeatures(acc_hz)
        self.written = 0
        self.dropped = 0
        self.last_tick = -1

    def put(self, kind, payload):
        if payload is None:
            return
        try:
            self.log.append(kind, payload)
            self.written += 1
        except LogFull:
            self.dropped += 1

    def beat(self, tick):
        rr = tick - self.last_tick if self.last_tick >= 0 else 0
        self.last_tick = tick
        self.put(rec.KIND_RR, self.rr.add(tick * 1000 // _TICK_HZ, rr))

    def epoch(self, t_ms, acc_mg):
        f = self.features
        f.compute(acc_mg, 0)
        self.put(rec.KIND_EPOCHS, self.epochs.add(t_ms, f.act, f.band, f.freq, f.posture))

    def close(self):
        self.put(rec.KIND_RR, self.rr.flush())
        self.put(rec.KIND_EPOCHS, self.epochs.flush())


def record(replay_path, image_path, sectors, cut_at_op=0):
    flash = NorFlash(sectors)
    if cut_at_op:
        flash.cut_power_at(cut_at_op)
    result = {"cut": False, "records": 0, "records_dropped": 0}
    with open(replay_path, "rb") as f:
        replay = ReplayReader(f)
        # Mounting only reads, so the power cut can only strike once writing starts.
        recorder = Recorder(RingLog(flash), replay.acc_hz)
        try:
            recorder.put(rec.KIND_BOOT, rec.encode_boot(0, 1, 0, _FIRMWARE, "sim"))
            for second in range(replay.seconds):
                beats, full = replay.second(second)
                for i in range(beats):
                    recorder.beat(replay.beat_ticks[i])
                if full:
                    recorder.epoch(second * 1000, replay.acc_mg)
            recorder.close()
        except PowerCut:
            result["cut"] = True
        result["records"] = recorder.written
        result["records_dropped"] = recorder.dropped
        result["duration_ms"] = replay.duration_ms
    flash.power_on()
    flash.save(image_path)
    result["ops"] = flash.ops
    result["program_ops"] = flash.program_ops
    result["erase_ops"] = flash.erase_ops
    result["bytes_programmed"] = flash.bytes_programmed
    result["max_erase_count"] = max(flash.erase_counts)
    return result


def main(argv):
    if len(argv) < 4:
        print("usage: replay.py REPLAY IMAGE SECTORS [CUT_AT_OP]")
        return 2
    cut = int(argv[4]) if len(argv) > 4 else 0
    result = record(argv[1], argv[2], int(argv[3]), cut)
    import json
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
