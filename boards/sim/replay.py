# Records a fixture into an emulated flash image, under the MicroPython unix port: the
# logging path of the wearable (R-R batching, one-second motion epochs, the ring log) fed
# from a replay file instead of the chips. The host writes the replay file from a fixture
# (ictalog.simrun) and decodes the image afterwards.
#
# Usage: micropython replay.py REPLAY IMAGE SECTORS [CUT_AT_OP]
#
# Replay file, little-endian: b"ICRP", version u8, 3 reserved bytes, acc_hz u16,
# reserved u16, beat count u32, acc sample count u32, duration_ms u32, then each beat as
# u32 ticks of 1/128 s (the MAX30003's R-R clock), then (x, y, z) int16 milli-g samples.

import struct
import sys

from boards.sim.norflash import NorFlash, PowerCut
from shared import records as rec
from shared.motion import EpochFeatures
from shared.ringlog import LogFull, RingLog
from shared.streams import EpochStream, RRStream

_HEADER = "<4sB3xHHIII"
_HEADER_SIZE = 24
_TICK_HZ = 128
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
        act, band, freq, posture = self.features.compute(acc_mg, 0)
        self.put(rec.KIND_EPOCHS, self.epochs.add(t_ms, act, band, freq, posture))

    def close(self):
        self.put(rec.KIND_RR, self.rr.flush())
        self.put(rec.KIND_EPOCHS, self.epochs.flush())


def record(replay_path, image_path, sectors, cut_at_op=0):
    flash = NorFlash(sectors)
    if cut_at_op:
        flash.cut_power_at(cut_at_op)
    result = {"cut": False, "records": 0, "records_dropped": 0}
    with open(replay_path, "rb") as f:
        head = f.read(_HEADER_SIZE)
        magic, version, acc_hz, _r, n_beats, n_acc, duration_ms = struct.unpack(_HEADER, head)
        if magic != b"ICRP" or version != 1:
            raise ValueError("%s is not a replay file" % replay_path)
        beats_at = _HEADER_SIZE
        acc_at = beats_at + 4 * n_beats
        # Mounting only reads, so the power cut can only strike once writing starts.
        recorder = Recorder(RingLog(flash), acc_hz)
        try:
            recorder.put(rec.KIND_BOOT, rec.encode_boot(0, 1, 0, _FIRMWARE, "sim"))
            _run(f, recorder, beats_at, n_beats, acc_at, n_acc, acc_hz)
            recorder.close()
        except PowerCut:
            result["cut"] = True
        result["records"] = recorder.written
        result["records_dropped"] = recorder.dropped
    flash.power_on()
    flash.save(image_path)
    result["ops"] = flash.ops
    result["program_ops"] = flash.program_ops
    result["erase_ops"] = flash.erase_ops
    result["bytes_programmed"] = flash.bytes_programmed
    result["max_erase_count"] = max(flash.erase_counts)
    result["duration_ms"] = duration_ms
    return result


def _run(f, recorder, beats_at, n_beats, acc_at, n_acc, acc_hz):
    # Walk the recording one second at a time: the beats that fall in that second, then
    # that second's motion epoch, as the device would see them.
    beat_buf = bytearray(4)
    acc_raw = bytearray(6 * acc_hz)
    acc_mg = [0] * (3 * acc_hz)
    next_beat = 0
    beat_tick = -1
    n_epochs = n_acc // acc_hz
    end_tick = 0
    if n_beats:
        f.seek(beats_at + 4 * (n_beats - 1))
        f.readinto(beat_buf)
        end_tick = struct.unpack("<I", beat_buf)[0]
    seconds = max(n_epochs, end_tick // _TICK_HZ + 1)
    for second in range(seconds):
        limit = (second + 1) * _TICK_HZ
        while next_beat < n_beats:
            if beat_tick < 0:
                f.seek(beats_at + 4 * next_beat)
                f.readinto(beat_buf)
                beat_tick = struct.unpack("<I", beat_buf)[0]
            if beat_tick >= limit:
                break
            recorder.beat(beat_tick)
            next_beat += 1
            beat_tick = -1
        if second < n_epochs:
            f.seek(acc_at + 6 * acc_hz * second)
            f.readinto(acc_raw)
            for i in range(3 * acc_hz):
                acc_mg[i] = struct.unpack_from("<h", acc_raw, 2 * i)[0]
            recorder.epoch(second * 1000, acc_mg)


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
