# Accumulators that turn the continuous streams into log records: R-R intervals batched
# per minute, and one-second motion epochs batched per minute. The firmware feeds them
# beat by beat and epoch by epoch; the host uses the same code to measure storage on
# recorded fixtures. Buffers are allocated once; a record's bytes are built only when a
# batch closes, once a minute.

from array import array

from .records import (ACT_MOVING, EPOCH_MS, EPOCHS_MAX, RR_MAX_BEATS, RR_SHIFT_MAX30003,
                      encode_epochs, encode_rr)

# A batch closes after this long, so that a power cut loses at most a minute.
BATCH_MS = 60000


class RRStream:
    def __init__(self, shift=RR_SHIFT_MAX30003, batch_ms=BATCH_MS, max_beats=240):
        if max_beats > RR_MAX_BEATS:
            raise ValueError("max_beats above %d" % RR_MAX_BEATS)
        self.shift = shift
        self.batch_ms = batch_ms
        self.rr_units = array("H", [0] * max_beats)
        self.count = 0
        self.first_t_ms = 0

    def add(self, t_ms, rr_units):
        # One beat at device time t_ms; rr_units is the interval that ended at it, or 0 if
        # unknown. Returns a finished record payload, or None.
        out = None
        if self.count and (t_ms - self.first_t_ms >= self.batch_ms
                           or self.count == len(self.rr_units)):
            out = self.flush()
        if self.count == 0:
            self.first_t_ms = t_ms
        self.rr_units[self.count] = rr_units if 0 <= rr_units <= 0xFFFF else 0
        self.count += 1
        return out

    def flush(self):
        if not self.count:
            return None
        payload = encode_rr(self.first_t_ms, self.rr_units[:self.count], self.shift)
        self.count = 0
        return payload


class EpochStream:
    def __init__(self, batch_epochs=60):
        if batch_epochs < 1 or batch_epochs > EPOCHS_MAX:
            raise ValueError("batch_epochs must be 1..%d" % EPOCHS_MAX)
        self.codes = array("B", [0] * (4 * batch_epochs))
        self.batch = batch_epochs
        self.count = 0
        self.first_t_ms = 0
        self.start_posture = 0
        self.posture = 0

    def add(self, t_ms, act, band, freq, posture):
        # One epoch starting at t_ms. An epoch that does not follow the previous one
        # (a gap) closes the batch. Returns a finished record payload, or None.
        out = None
        if self.count and (self.count == self.batch
                           or t_ms - self.first_t_ms != self.count * EPOCH_MS):
            out = self.flush()
        if self.count == 0:
            self.first_t_ms = t_ms
            self.start_posture = self.posture
        if act >= ACT_MOVING:
            self.posture = posture
        i = 4 * self.count
        codes = self.codes
        codes[i] = act
        codes[i + 1] = band
        codes[i + 2] = freq
        codes[i + 3] = self.posture
        self.count += 1
        return out

    def flush(self):
        if not self.count:
            return None
        codes = self.codes
        epochs = [(codes[4 * i], codes[4 * i + 1], codes[4 * i + 2], codes[4 * i + 3])
                  for i in range(self.count)]
        payload = encode_epochs(self.first_t_ms, self.start_posture, epochs)
        self.count = 0
        return payload
