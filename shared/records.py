# Record kinds and their payloads: what the wearable writes into the ring log and the host
# decodes. Byte layouts are fixed in docs/LOG-SPEC.md; every multi-byte field is
# little-endian. Integer arithmetic only, so both interpreters agree bit for bit.
#
# Times on the device are `t_ms`: milliseconds since the device booted, as an unsigned
# 32-bit count (it wraps after 49.7 days, longer than a study). CLOCK records tie t_ms to
# wall-clock time set by the host.

import struct

from .ringlog import KIND_ACK, KIND_DROPPED

KIND_CONFIG = 0x01
KIND_CLOCK = 0x02
KIND_BOOT = 0x03
KIND_RR = 0x04
KIND_EPOCHS = 0x05
KIND_RAW_ACC = 0x06
KIND_RAW_ECG = 0x07
KIND_EVENT = 0x08
KIND_STATUS = 0x09

# CLOCK sources: who read the wall clock for the mark. The host's reading goes over BLE
# (tens of ms of latency); the RTC's is local but only as good as its last setting.
CLOCK_SOURCE_SETUP = 1   # the host, at set-up
CLOCK_SOURCE_SYNC = 2    # the host, checking at a sync
CLOCK_SOURCE_RTC = 3     # the device's own RTC

KIND_NAMES = {
    KIND_CONFIG: "config",
    KIND_CLOCK: "clock",
    KIND_BOOT: "boot",
    KIND_RR: "rr",
    KIND_EPOCHS: "epochs",
    KIND_RAW_ACC: "raw_acc",
    KIND_RAW_ECG: "raw_ecg",
    KIND_EVENT: "event",
    KIND_STATUS: "status",
    KIND_DROPPED: "dropped",
    KIND_ACK: "ack",
}

# R-R intervals are counted in units of (1 << shift) / 1024 s. The MAX30003 measures in
# 1/128 s steps (7.8125 ms), which is shift 3.
RR_SHIFT_MAX30003 = 3
RR_MAX_BEATS = 1024
# Nibble codes of the R-R stream: 0..13 a small delta (zig-zag, -7..+6 units), 14 then
# two nibbles a delta of -128..+127 units, 15 then four nibbles the interval itself.
_RR_SMALL_MAX = 13
_RR_MEDIUM = 14
_RR_LONG = 15

# Motion epochs are one second each; an epoch whose activity code is at least
# ACT_MOVING carries three more nibbles (band share, dominant frequency, posture).
EPOCH_MS = 1000
ACT_MOVING = 3
EPOCHS_MAX = 255

POSTURE_UNKNOWN = 0
POSTURE_UPRIGHT = 1
POSTURE_SUPINE = 2
POSTURE_PRONE = 3
POSTURE_LEFT = 4
POSTURE_RIGHT = 5
POSTURE_INVERTED = 6

STATUS_LEAD_OFF = 0x01
STATUS_NOT_WORN = 0x02
STATUS_CHARGING = 0x04
STATUS_LOG_LOW = 0x08
STATUS_LOG_FULL = 0x10

EVENT_CONVULSIVE = 1
EVENT_HEART_RATE = 2

RAW_ACC_MAX_SAMPLES = 255
RAW_ECG_MAX_SAMPLES = 1024


class RecordError(ValueError):
    # A payload that does not decode: wrong length or a field out of range.
    pass


def _need(payload, size, what):
    if len(payload) < size:
        raise RecordError("%s record is %d bytes, needs at least %d"
                          % (what, len(payload), size))


def _text(payload, pos, what):
    # One length-prefixed UTF-8 string.
    _need(payload, pos + 1, what)
    n = payload[pos]
    _need(payload, pos + 1 + n, what)
    try:
        return bytes(payload[pos + 1:pos + 1 + n]).decode("utf-8"), pos + 1 + n
    except UnicodeError:
        raise RecordError("%s record holds text that is not UTF-8" % what)


def _put_text(text):
    data = text.encode("utf-8")
    if len(data) > 255:
        raise ValueError("text longer than 255 bytes: %r" % text)
    return bytes([len(data)]) + data


# --- nibble streams ----------------------------------------------------------------------


class _NibbleWriter:
    def __init__(self):
        self.data = bytearray()
        self.half = False

    def put(self, value):
        if self.half:
            self.data[-1] |= value & 0x0F
        else:
            self.data.append((value & 0x0F) << 4)
        self.half = not self.half


class _NibbleReader:
    def __init__(self, payload, pos, what):
        self.payload = payload
        self.pos = pos * 2
        self.what = what

    def get(self):
        byte = self.pos >> 1
        if byte >= len(self.payload):
            raise RecordError("%s record ends in the middle of its data" % self.what)
        value = self.payload[byte]
        self.pos += 1
        if self.pos & 1:
            return value >> 4
        return value & 0x0F


# --- R-R intervals -----------------------------------------------------------------------


def encode_rr(t_ms, rr_units, shift=RR_SHIFT_MAX30003):
    # t_ms: device time of the first beat. rr_units[k]: the interval ending at beat k, in
    # units of (1 << shift) / 1024 s; rr_units[0] is 0 when the interval before the first
    # beat is unknown (start of recording, after a gap or lead-off).
    n = len(rr_units)
    if n < 1 or n > RR_MAX_BEATS:
        raise ValueError("an RR record holds 1 to %d beats, not %d" % (RR_MAX_BEATS, n))
    head = struct.pack("<IBHH", t_ms & 0xFFFFFFFF, shift, n, rr_units[0])
    nib = _NibbleWriter()
    previous = rr_units[0]
    for k in range(1, n):
        value = rr_units[k]
        if value < 0 or value > 0xFFFF:
            raise ValueError("R-R value %d does not fit 16 bits" % value)
        delta = value - previous
        if -7 <= delta <= 6:
            # Zig-zag: 0, -1, 1, -2, 2, ... 6, -7 map to 0..13.
            nib.put(delta * 2 if delta >= 0 else -delta * 2 - 1)
        elif -128 <= delta <= 127:
            nib.put(_RR_MEDIUM)
            nib.put((delta & 0xFF) >> 4)
            nib.put(delta)
        else:
            nib.put(_RR_LONG)
            nib.put(value >> 12)
            nib.put(value >> 8)
            nib.put(value >> 4)
            nib.put(value)
        previous = value
    return head + bytes(nib.data)


def decode_rr(payload):
    _need(payload, 9, "rr")
    t_ms, shift, n, first = struct.unpack_from("<IBHH", payload, 0)
    if n < 1 or n > RR_MAX_BEATS:
        raise RecordError("rr record claims %d beats" % n)
    if shift > 10:
        raise RecordError("rr record has unit shift %d, at most 10 is defined" % shift)
    rr = [first]
    reader = _NibbleReader(payload, 9, "rr")
    previous = first
    for _ in range(1, n):
        code = reader.get()
        if code == _RR_LONG:
            value = 0
            for _ in range(4):
                value = (value << 4) | reader.get()
        else:
            if code == _RR_MEDIUM:
                delta = (reader.get() << 4) | reader.get()
                if delta >= 128:
                    delta -= 256
            else:
                delta = code >> 1 if not code & 1 else -((code + 1) >> 1)
            value = previous + delta
            if value < 0 or value > 0xFFFF:
                raise RecordError("rr record decodes to an interval outside 0..65535")
        rr.append(value)
        previous = value
    if (reader.pos + 1) >> 1 != len(payload):
        raise RecordError("rr record has %d bytes beyond its beats"
                          % (len(payload) - ((reader.pos + 1) >> 1)))
    return {"t_ms": t_ms, "shift": shift, "rr_units": rr}


# --- motion epochs -----------------------------------------------------------------------


def encode_epochs(t_ms, posture, epochs):
    # epochs: list of (act, band, freq, posture) codes, one per second from t_ms. For an
    # epoch below ACT_MOVING only act is stored; its posture is taken to be unchanged.
    n = len(epochs)
    if n < 1 or n > EPOCHS_MAX:
        raise ValueError("an epochs record holds 1 to %d epochs, not %d" % (EPOCHS_MAX, n))
    head = struct.pack("<IBB", t_ms & 0xFFFFFFFF, n, posture)
    nib = _NibbleWriter()
    for act, band, freq, pos in epochs:
        nib.put(act)
        if act >= ACT_MOVING:
            nib.put(band)
            nib.put(freq)
            nib.put(pos)
    return head + bytes(nib.data)


def decode_epochs(payload):
    _need(payload, 6, "epochs")
    t_ms, n, posture = struct.unpack_from("<IBB", payload, 0)
    if n < 1:
        raise RecordError("epochs record holds no epoch")
    reader = _NibbleReader(payload, 6, "epochs")
    epochs = []
    current = posture
    for _ in range(n):
        act = reader.get()
        band = freq = 0
        if act >= ACT_MOVING:
            band = reader.get()
            freq = reader.get()
            current = reader.get()
        epochs.append((act, band, freq, current))
    if (reader.pos + 1) >> 1 != len(payload):
        raise RecordError("epochs record has bytes beyond its epochs")
    return {"t_ms": t_ms, "posture": posture, "epochs": epochs}


# --- raw windows -------------------------------------------------------------------------


def encode_raw_acc(window, t_ms, acc_hz, samples_mg):
    # samples_mg: flat sequence x0, y0, z0, x1, ... in milli-g (int16).
    n = len(samples_mg) // 3
    if n < 1 or n > RAW_ACC_MAX_SAMPLES or n * 3 != len(samples_mg):
        raise ValueError("a raw_acc record holds 1 to %d whole (x, y, z) samples"
                         % RAW_ACC_MAX_SAMPLES)
    out = bytearray(8 + 6 * n)
    struct.pack_into("<HIBB", out, 0, window, t_ms & 0xFFFFFFFF, acc_hz, n)
    for i in range(3 * n):
        struct.pack_into("<h", out, 8 + 2 * i, samples_mg[i])
    return bytes(out)


def decode_raw_acc(payload):
    _need(payload, 8, "raw_acc")
    window, t_ms, acc_hz, n = struct.unpack_from("<HIBB", payload, 0)
    if len(payload) != 8 + 6 * n or n == 0 or acc_hz == 0:
        raise RecordError("raw_acc record length %d does not match its %d samples at %d Hz"
                          % (len(payload), n, acc_hz))
    samples = list(struct.unpack_from("<%dh" % (3 * n), payload, 8))
    return {"window": window, "t_ms": t_ms, "acc_hz": acc_hz, "samples_mg": samples}


def encode_raw_ecg(window, t_ms, ecg_hz, samples_uv):
    n = len(samples_uv)
    if n < 1 or n > RAW_ECG_MAX_SAMPLES:
        raise ValueError("a raw_ecg record holds 1 to %d samples" % RAW_ECG_MAX_SAMPLES)
    out = bytearray(10 + 2 * n)
    struct.pack_into("<HIHH", out, 0, window, t_ms & 0xFFFFFFFF, ecg_hz, n)
    for i in range(n):
        struct.pack_into("<h", out, 10 + 2 * i, samples_uv[i])
    return bytes(out)


def decode_raw_ecg(payload):
    _need(payload, 10, "raw_ecg")
    window, t_ms, ecg_hz, n = struct.unpack_from("<HIHH", payload, 0)
    if len(payload) != 10 + 2 * n or n == 0 or ecg_hz == 0:
        raise RecordError("raw_ecg record length %d does not match its %d samples"
                          % (len(payload), n))
    samples = list(struct.unpack_from("<%dh" % n, payload, 10))
    return {"window": window, "t_ms": t_ms, "ecg_hz": ecg_hz, "samples_uv": samples}


# --- events, status, clock, boot, configuration -----------------------------------------

_EVENT_FMT = "<IIBHH"
_STATUS_FMT = "<IHBBhB"
_CLOCK_FMT = "<IIHB"


def encode_event(t_ms, duration_ms, kind, score, window=0xFFFF):
    return struct.pack(_EVENT_FMT, t_ms & 0xFFFFFFFF, duration_ms, kind, score, window)


def decode_event(payload):
    if len(payload) != struct.calcsize(_EVENT_FMT):
        raise RecordError("event record is %d bytes, expected %d"
                          % (len(payload), struct.calcsize(_EVENT_FMT)))
    t_ms, duration_ms, kind, score, window = struct.unpack(_EVENT_FMT, payload)
    return {"t_ms": t_ms, "duration_ms": duration_ms, "kind": kind, "score": score,
            "window": window}


def encode_status(t_ms, battery_mv, battery_pct, flags, temp_cdeg, log_free_pct):
    return struct.pack(_STATUS_FMT, t_ms & 0xFFFFFFFF, battery_mv, battery_pct, flags,
                       temp_cdeg, log_free_pct)


def decode_status(payload):
    if len(payload) != struct.calcsize(_STATUS_FMT):
        raise RecordError("status record is %d bytes, expected %d"
                          % (len(payload), struct.calcsize(_STATUS_FMT)))
    t_ms, mv, pct, flags, temp, free = struct.unpack(_STATUS_FMT, payload)
    return {"t_ms": t_ms, "battery_mv": mv, "battery_pct": pct, "flags": flags,
            "temp_cdeg": temp, "log_free_pct": free}


def encode_clock(t_ms, unix_s, unix_ms, source):
    # The device's t_ms at the moment the wall clock read unix_s + unix_ms / 1000 (UTC).
    # source: one of the CLOCK_SOURCE_* names above.
    return struct.pack(_CLOCK_FMT, t_ms & 0xFFFFFFFF, unix_s, unix_ms, source)


def decode_clock(payload):
    if len(payload) != struct.calcsize(_CLOCK_FMT):
        raise RecordError("clock record is %d bytes, expected %d"
                          % (len(payload), struct.calcsize(_CLOCK_FMT)))
    t_ms, unix_s, unix_ms, source = struct.unpack(_CLOCK_FMT, payload)
    if unix_ms > 999:
        raise RecordError("clock record has %d ms, at most 999" % unix_ms)
    return {"t_ms": t_ms, "unix_s": unix_s, "unix_ms": unix_ms, "source": source}


def encode_boot(t_ms, boot_count, reset_cause, firmware, board):
    return (struct.pack("<IIB", t_ms & 0xFFFFFFFF, boot_count, reset_cause)
            + _put_text(firmware) + _put_text(board))


def decode_boot(payload):
    _need(payload, 9, "boot")
    t_ms, boot_count, cause = struct.unpack_from("<IIB", payload, 0)
    firmware, pos = _text(payload, 9, "boot")
    board, pos = _text(payload, pos, "boot")
    if pos != len(payload):
        raise RecordError("boot record has bytes beyond its fields")
    return {"t_ms": t_ms, "boot_count": boot_count, "reset_cause": cause,
            "firmware": firmware, "board": board}


_CONFIG_FMT = "<BIBHHhB"


def encode_config(study_id, patient_code, start_unix_s, nights, night_start_min,
                  night_end_min, utc_offset_min, acc_hz):
    # The study as the nurse set it up. The study credential is never logged.
    return (struct.pack(_CONFIG_FMT, 1, start_unix_s, nights, night_start_min,
                        night_end_min, utc_offset_min, acc_hz)
            + _put_text(study_id) + _put_text(patient_code))


def decode_config(payload):
    size = struct.calcsize(_CONFIG_FMT)
    _need(payload, size, "config")
    version, start, nights, n_start, n_end, offset, acc_hz = struct.unpack_from(
        _CONFIG_FMT, payload, 0)
    if version != 1:
        raise RecordError("config record version %d is not known" % version)
    study_id, pos = _text(payload, size, "config")
    patient_code, pos = _text(payload, pos, "config")
    if pos != len(payload):
        raise RecordError("config record has bytes beyond its fields")
    return {"study_id": study_id, "patient_code": patient_code, "start_unix_s": start,
            "nights": nights, "night_start_min": n_start, "night_end_min": n_end,
            "utc_offset_min": offset, "acc_hz": acc_hz}


def decode_dropped(payload):
    _need(payload, 1, "dropped")
    n = payload[0]
    if len(payload) != 1 + 5 * n:
        raise RecordError("dropped record length does not match its %d entries" % n)
    counts = {}
    for i in range(n):
        kind, count = struct.unpack_from("<BI", payload, 1 + 5 * i)
        counts[kind] = count
    return {"counts": counts}


def decode_ack(payload):
    if len(payload) != 8:
        raise RecordError("ack record is %d bytes, expected 8" % len(payload))
    return {"address": struct.unpack("<Q", payload)[0]}


DECODERS = {
    KIND_CONFIG: decode_config,
    KIND_CLOCK: decode_clock,
    KIND_BOOT: decode_boot,
    KIND_RR: decode_rr,
    KIND_EPOCHS: decode_epochs,
    KIND_RAW_ACC: decode_raw_acc,
    KIND_RAW_ECG: decode_raw_ecg,
    KIND_EVENT: decode_event,
    KIND_STATUS: decode_status,
    KIND_DROPPED: decode_dropped,
    KIND_ACK: decode_ack,
}


def decode(kind, payload):
    # Decode any record; raises RecordError for a kind this version does not know or a
    # payload that does not fit its kind.
    decoder = DECODERS.get(kind)
    if decoder is None:
        raise RecordError("record kind %d is not known to format version 1" % kind)
    return decoder(payload)
