# One-second motion epochs from 3-axis acceleration: the features the wearable keeps for
# every second of the night (docs/LOG-SPEC.md, "Motion epochs", says how each is coded).
#
# - act: activity, the mean length of the acceleration vector after its mean over the
#   epoch (gravity, posture) is removed, in milli-g, coded on a roughly x1.5 scale into
#   0..15. Sensor noise and breathing at rest stay in codes 0..2.
# - band: the share of the epoch's motion power between 3 and 8 Hz (the clonic band),
#   0..15 as fifteenths of the power from 1 Hz up to half the sample rate, all three axes
#   summed.
# - freq: the dominant frequency in whole hertz (1..12 at 25 Hz), 0 for none.
# - posture: the axis gravity lies along (patch frame: +x the patient's left, +y toward the
#   head, +z out of the chest): upright, supine, prone, left or right side, inverted.
#
# band, freq and posture are computed and stored only for epochs with act >= ACT_MOVING:
# a still second needs one nibble. Integer arithmetic throughout, and the per-epoch buffers
# are allocated once.

from array import array

from .records import (ACT_MOVING, POSTURE_INVERTED, POSTURE_LEFT, POSTURE_PRONE,
                      POSTURE_RIGHT, POSTURE_SUPINE, POSTURE_UNKNOWN, POSTURE_UPRIGHT)

# Lower bounds (mg) of activity codes 1..15; below the first is code 0.
ACT_THRESHOLDS_MG = (3, 5, 8, 12, 18, 27, 40, 60, 90, 135, 200, 300, 450, 675, 1000)

# Representative activity (mg) the host uses for each code: about the geometric middle of
# the code's range.
ACT_CODE_MG = (1, 4, 6, 10, 15, 22, 33, 49, 73, 110, 164, 245, 367, 551, 820, 1200)

BAND_LOW_HZ = 3
BAND_HIGH_HZ = 8

# Sine and cosine are held as integers scaled by 2**_TRIG_BITS.
_TRIG_BITS = 12
# Sums are shifted down before squaring so that squares stay small integers on 32-bit
# MicroPython ports (no heap allocation for big integers).
_POWER_SHIFT = 14


# pi in Q60 fixed point (floor of pi * 2**60).
_PI_Q60 = 3622009729038561421
_Q = 60


def _trig_q(i, n):
    # cos and sin of 2*pi*i/n scaled by 2**_TRIG_BITS and rounded, from Taylor series in
    # integer fixed point. Floats would not do: the device ports have single-precision
    # floats and would round some table entries differently from the desktop. Runs once
    # per table entry at start-up; the big integers it uses never appear per sample.
    if 2 * i > n:
        i -= n
    x = 2 * _PI_Q60 * i // n
    one = 1 << _Q
    x2 = x * x >> _Q
    cos_v = 0
    sin_v = 0
    term_c = one
    term_s = x
    for k in range(1, 30):
        cos_v += term_c
        sin_v += term_s
        term_c = -(term_c * x2 >> _Q) // ((2 * k - 1) * (2 * k))
        term_s = -(term_s * x2 >> _Q) // ((2 * k) * (2 * k + 1))
    shift = _Q - _TRIG_BITS
    half = 1 << (shift - 1)
    return (cos_v + half) >> shift, (sin_v + half) >> shift


def isqrt(n):
    # Integer square root (floor), by Newton's method.
    if n <= 0:
        return 0
    x = n
    y = (x + 1) >> 1
    while y < x:
        x = y
        y = (x + n // x) >> 1
    return x


def act_code(act_mg):
    code = 0
    for threshold in ACT_THRESHOLDS_MG:
        if act_mg < threshold:
            break
        code += 1
    return code


def posture_of(x_mg, y_mg, z_mg):
    ax = abs(x_mg)
    ay = abs(y_mg)
    az = abs(z_mg)
    if ax == 0 and ay == 0 and az == 0:
        return POSTURE_UNKNOWN
    if ay >= ax and ay >= az:
        return POSTURE_UPRIGHT if y_mg > 0 else POSTURE_INVERTED
    if az >= ax:
        return POSTURE_SUPINE if z_mg > 0 else POSTURE_PRONE
    return POSTURE_RIGHT if x_mg > 0 else POSTURE_LEFT


class EpochFeatures:
    def __init__(self, acc_hz=25):
        if acc_hz < 4 or acc_hz > 200:
            raise ValueError("epoch features need 4 to 200 samples a second, not %d" % acc_hz)
        self.acc_hz = acc_hz
        self.bins = acc_hz // 2
        # The last epoch's results. compute() leaves them here rather than returning a
        # tuple, so that the once-a-second path allocates nothing.
        self.act_mg = 0
        self.act = 0
        self.band = 0
        self.freq = 0
        self.posture = 0
        # cos and sin of 2*pi*i/n for i in 0..n-1: one period, indexed by k*i mod n.
        self.cos_q = array("i", [0] * acc_hz)
        self.sin_q = array("i", [0] * acc_hz)
        for i in range(acc_hz):
            self.cos_q[i], self.sin_q[i] = _trig_q(i, acc_hz)

    def codes(self):
        # The last epoch's (act, band, freq, posture), for callers that can allocate.
        return self.act, self.band, self.freq, self.posture

    def compute(self, acc_mg, start):
        # acc_mg: flat int sequence x0, y0, z0, x1, ...; the epoch is the acc_hz samples
        # from sample index start. Sets act_mg and the four codes; returns act.
        n = self.acc_hz
        first = 3 * start
        stop = first + 3 * n
        sx = sy = sz = 0
        for i in range(first, stop, 3):
            sx += acc_mg[i]
            sy += acc_mg[i + 1]
            sz += acc_mg[i + 2]
        mx = sx // n
        my = sy // n
        mz = sz // n
        # Activity: the mean length of the acceleration vector once its mean over the
        # epoch (gravity and posture) is taken away, so motion in any direction counts
        # and keeps its own frequency (the magnitude of the raw vector would halve the
        # amplitude and double the frequency of a shake across gravity).
        total = 0
        for i in range(first, stop, 3):
            dx = acc_mg[i] - mx
            dy = acc_mg[i + 1] - my
            dz = acc_mg[i + 2] - mz
            total += isqrt(dx * dx + dy * dy + dz * dz)
        # Kept for the prefilter, which needs the activity itself, not only its code.
        self.act_mg = total // n
        act = act_code(self.act_mg)
        self.act = act
        if act < ACT_MOVING:
            self.band = self.freq = self.posture = 0
            return act
        self._spectrum(acc_mg, first, mx, my, mz)
        self.posture = posture_of(mx, my, mz)
        return act

    def _spectrum(self, acc_mg, first, mx, my, mz):
        # Power at each whole-hertz bin of a plain DFT over the epoch, summed over the
        # three axes; sets band and freq.
        n = self.acc_hz
        cos_q = self.cos_q
        sin_q = self.sin_q
        power_all = 0
        power_band = 0
        best_power = 0
        best_hz = 0
        for k in range(1, self.bins + 1):
            power = 0
            for axis in range(3):
                mean = mx if axis == 0 else (my if axis == 1 else mz)
                re = 0
                im = 0
                phase = 0
                for i in range(first + axis, first + axis + 3 * n, 3):
                    v = acc_mg[i] - mean
                    re += v * cos_q[phase]
                    im += v * sin_q[phase]
                    phase += k
                    if phase >= n:
                        phase -= n
                re >>= _POWER_SHIFT
                im >>= _POWER_SHIFT
                power += re * re + im * im
            power_all += power
            if BAND_LOW_HZ <= k <= BAND_HIGH_HZ:
                power_band += power
            if power > best_power:
                best_power = power
                best_hz = k
        if power_all == 0:
            self.band = self.freq = 0
            return
        self.band = (15 * power_band + power_all // 2) // power_all
        self.freq = min(best_hz, 15)
