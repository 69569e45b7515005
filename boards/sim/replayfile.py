# The replay file: a fixture's beats and acceleration in a form MicroPython reads without
# numpy or zip, written by the host (ictalog.simrun.write_replay). Little-endian:
#
#   b"ICRP", version u8 (1), 3 reserved bytes, acc_hz u16, reserved u16,
#   beat count u32, acc sample count u32, duration_ms u32,
#   each beat as u32 ticks of 1/128 s (the MAX30003's R-R clock),
#   then (x, y, z) int16 milli-g samples.
#
# ReplayReader walks it one second at a time, as the device sees the world, with buffers
# allocated once.

import struct
import sys
from array import array

HEADER_FMT = "<4sB3xHHIII"
HEADER_SIZE = 24
TICK_HZ = 128


class ReplayError(ValueError):
    pass


class ReplayReader:
    def __init__(self, f):
        self.f = f
        head = f.read(HEADER_SIZE)
        if len(head) != HEADER_SIZE:
            raise ReplayError("replay file is too short for its header")
        magic, version, acc_hz, _r, n_beats, n_acc, duration_ms = struct.unpack(
            HEADER_FMT, head)
        if magic != b"ICRP" or version != 1 or acc_hz < 1:
            raise ReplayError("not a version 1 replay file")
        self.acc_hz = acc_hz
        self.n_beats = n_beats
        self.n_acc = n_acc
        self.duration_ms = duration_ms
        self.beats_at = HEADER_SIZE
        self.acc_at = HEADER_SIZE + 4 * n_beats
        self.n_epochs = n_acc // acc_hz
        # The file is little-endian; arrays are read straight into on little-endian hosts
        # (every desktop and both MCU families), so a second costs no allocation.
        if sys.byteorder != "little":
            raise ReplayError("replay files are read on little-endian hosts only")
        self._beat_buf = array("I", [0])
        self.acc_mg = array("h", [0] * (3 * acc_hz))
        self.beat_ticks = array("I", [0] * 512)
        last_tick = self._beat(n_beats - 1) if n_beats else 0
        self.seconds = max(self.n_epochs, last_tick // TICK_HZ + 1 if n_beats else 0,
                           duration_ms // 1000)
        self._next_beat = 0

    def _beat(self, i):
        self.f.seek(self.beats_at + 4 * i)
        self.f.readinto(self._beat_buf)
        return self._beat_buf[0]

    def second(self, second):
        # Fill beat_ticks with the beats inside [second, second + 1) and acc_mg with that
        # second's samples. Returns (beat count, True if acc_mg holds a full epoch).
        # Seconds must be asked for in increasing order.
        limit = (second + 1) * TICK_HZ
        count = 0
        while self._next_beat < self.n_beats and count < len(self.beat_ticks):
            tick = self._beat(self._next_beat)
            if tick >= limit:
                break
            self.beat_ticks[count] = tick
            count += 1
            self._next_beat += 1
        if second >= self.n_epochs:
            return count, False
        self.f.seek(self.acc_at + 6 * self.acc_hz * second)
        self.f.readinto(self.acc_mg)
        return count, True
