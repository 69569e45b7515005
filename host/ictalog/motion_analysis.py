"""Motion analysis for host detection: what the one-second epochs and raw windows show.

The wearable keeps one motion epoch for every second it records (``shared/motion.py``):
an activity code, the share of motion power in the clonic band (3 to 8 Hz), the
dominant frequency in whole hertz, and the posture. Raw 25 Hz acceleration exists only
in windows around the device's prefilter candidates. Detection therefore decides from
the epochs alone (:class:`MotionGrid`); the raw windows, where they exist, add evidence
a physician can read (:func:`raw_window_evidence`): band energies, jerk rate and how it
slows, rhythmicity.

A convulsion in the epochs (``docs/ANALYSIS.md``, "Motion"):

* the **tonic** phase stiffens the trunk; the patch sees a tremor of a few tens of mg at
  6 to 10 Hz, and the posture tilts;
* the **clonic** phase is a train of jerks of hundreds of mg whose rate falls from
  3 to 5 Hz towards 1 Hz; each second is strong and its power lies mostly in the clonic
  band;
* afterwards the body is **still** for minutes.

Everything here is vectorised over the night; nothing loops per second in Python except
over the few seconds a detector asks about.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .series import Series
from .shared import motion
from .shared import records as rec

__all__ = [
    "ACT_CONVULSIVE",
    "ACT_MOVING",
    "ACT_STILL_MAX",
    "ACT_STRONG",
    "BAND_CONVULSIVE",
    "MotionGrid",
    "bout_start",
    "clonic_evidence",
    "lying",
    "motion_grid",
    "raw_window_evidence",
    "stillness_after",
    "trailing_count",
]

#: Activity code from which a second counts as moving: 18 mg and more. Breathing and
#: sensor noise at rest stay in codes 0 to 2 (under 8 mg); a turn in bed reaches 5 to 9.
ACT_MOVING = 5
#: Activity code from which a rhythmic second counts as convulsive: 60 mg and more.
#: Clonic jerks reach hundreds of mg at the chest; scratching, shivering and PLMS stay
#: below it (docs/CORPUS.md gives the figures the corpus models).
ACT_CONVULSIVE = 8
#: Activity code of a strong convulsive second: 90 mg and more.
ACT_STRONG = 9
#: Highest activity code of a still second: under 8 mg (breathing, noise)...
ACT_STILL_MAX = 2
#: ...unless the recording's own floor is higher: the median activity code of a night,
#: which is mostly rest, up to this code (under 18 mg). A LIS2DH12 stores only 10 bits
#: in its FIFO, 16 mg steps at +-8 g, so its rest seconds read codes 2 to 4
#: (docs/FIRMWARE.md, "Accelerometer resolution").
ACT_STILL_FLOOR_MAX = 4
#: Clonic-band share (fifteenths of the power from 1 Hz up) from which a moving second
#: is rhythmic in the clonic band: more than half of its power between 3 and 8 Hz.
BAND_CONVULSIVE = 8
#: A rhythmic second: moderate motion (40 mg and more) with two thirds of its power or
#: more in the clonic band. Weaker than convulsive, so only a long run of them counts.
ACT_RHYTHMIC = 7
BAND_RHYTHMIC = 10
#: A tonic tremor's dominant frequency lies at 6 Hz and above.
TREMOR_MIN_HZ = 6
#: Walking, seen from the chest: a step rhythm of 1 to 2 Hz while upright.
WALK_MAX_HZ = 2
WALK_MIN_ACT = 6

_UPRIGHT = rec.POSTURE_UPRIGHT
_LYING = (rec.POSTURE_SUPINE, rec.POSTURE_PRONE, rec.POSTURE_LEFT, rec.POSTURE_RIGHT)
_POSTURE_NAMES = {
    rec.POSTURE_UNKNOWN: "unknown", rec.POSTURE_UPRIGHT: "upright",
    rec.POSTURE_SUPINE: "supine", rec.POSTURE_PRONE: "prone", rec.POSTURE_LEFT: "left",
    rec.POSTURE_RIGHT: "right", rec.POSTURE_INVERTED: "inverted",
}


@dataclass
class MotionGrid:
    """A series' motion epochs on a whole-second grid, with the masks detection uses.

    Second ``s`` of the grid covers [s, s + 1) on the series' axis. Seconds without an
    epoch (a gap, or a recording without acceleration) have ``valid`` False and count
    as neither moving nor still.

    Attributes:
        valid: an epoch exists for the second.
        act: activity code 0..15 (0 where not valid).
        act_mg: the code's representative activity in milli-g (NaN where not valid).
        band: clonic-band share 0..15 (0 when not moving).
        freq_hz: dominant frequency in hertz (0 when not moving).
        posture: posture code (``records.POSTURE_*``).
        moving, convulsive, strong, rhythmic, tremor, walking, still: per-second masks;
        ``active`` is every valid second that is not still, the lower bound that
        decides where a bout of motion begins.
        still_max_code: the highest activity code counted as still in this recording.
    """

    valid: NDArray[np.bool_]
    act: NDArray[np.int16]
    act_mg: NDArray[np.float64]
    band: NDArray[np.int16]
    freq_hz: NDArray[np.int16]
    posture: NDArray[np.int16]
    moving: NDArray[np.bool_]
    convulsive: NDArray[np.bool_]
    strong: NDArray[np.bool_]
    rhythmic: NDArray[np.bool_]
    tremor: NDArray[np.bool_]
    walking: NDArray[np.bool_]
    still: NDArray[np.bool_]
    active: NDArray[np.bool_]
    still_max_code: int

    @property
    def seconds(self) -> int:
        """Length of the grid in seconds."""
        return int(self.valid.size)


def motion_grid(series: Series) -> MotionGrid:
    """Put a series' epochs on a whole-second grid and derive the masks.

    Epochs placed from a device clock can sit at fractional seconds; each goes to the
    second its start falls in. A drifting clock can put two epochs into one second
    (the later one is kept) or leave one second empty, about once per hour at 300 ppm.

    Args:
        series: the recording.

    Returns:
        The grid, ``ceil(duration_s)`` seconds long.
    """
    n = max(0, int(np.ceil(series.duration_s)))
    idx = np.floor(series.epoch_t_s).astype(np.int64)
    keep = (idx >= 0) & (idx < n)
    idx = idx[keep]
    valid = np.zeros(n, dtype=bool)
    valid[idx] = True

    def placed(values: NDArray[np.uint8]) -> NDArray[np.int16]:
        out = np.zeros(n, dtype=np.int16)
        out[idx] = np.asarray(values, dtype=np.int16)[keep]
        return out

    act = placed(series.epoch_act)
    band = placed(series.epoch_band)
    freq = placed(series.epoch_freq_hz)
    posture = placed(series.epoch_posture)
    act_mg = np.full(n, np.nan)
    act_mg[valid] = np.asarray(motion.ACT_CODE_MG, dtype=np.float64)[act[valid]]
    # The sensor's own noise floor decides what still means (ACT_STILL_FLOOR_MAX).
    floor = int(np.median(act[valid])) if valid.any() else 0
    still_max = max(ACT_STILL_MAX, min(ACT_STILL_FLOOR_MAX, floor))
    moving = valid & (act >= ACT_MOVING)
    convulsive = valid & (act >= ACT_CONVULSIVE) & (band >= BAND_CONVULSIVE)
    tremor = moving & ((freq >= TREMOR_MIN_HZ) | (band >= BAND_CONVULSIVE))
    walking = (moving & (posture == _UPRIGHT) & (act >= WALK_MIN_ACT) & (freq >= 1)
               & (freq <= WALK_MAX_HZ))
    return MotionGrid(
        valid=valid, act=act, act_mg=act_mg, band=band, freq_hz=freq, posture=posture,
        moving=moving, convulsive=convulsive, strong=convulsive & (act >= ACT_STRONG),
        rhythmic=valid & (act >= ACT_RHYTHMIC) & (band >= BAND_RHYTHMIC),
        tremor=tremor, walking=walking, still=valid & (act <= still_max),
        active=valid & (act > still_max), still_max_code=still_max)


def trailing_count(mask: NDArray[np.bool_], window_s: int) -> NDArray[np.int64]:
    """For each second, how many of the ``window_s`` seconds ending at it are set."""
    total = np.concatenate([[0], np.cumsum(mask, dtype=np.int64)])
    ends = np.arange(1, mask.size + 1)
    return total[ends] - total[np.maximum(0, ends - window_s)]


def bout_start(moving: NDArray[np.bool_], t: int, max_gap_s: int) -> int:
    """First second of the bout of motion that second ``t`` belongs to.

    A bout is a run of moving seconds in which no pause is longer than ``max_gap_s``.
    When ``t`` is itself in such a pause, the bout before it is meant.

    Args:
        moving: per-second moving mask.
        t: the second asked about.
        max_gap_s: longest pause inside one bout, seconds.

    Returns:
        The bout's first second, or ``t`` when nothing moved within ``max_gap_s``.
    """
    start = t
    quiet = 0
    s = t
    while s >= 0:
        if moving[s]:
            start = s
            quiet = 0
        else:
            quiet += 1
            if quiet > max_gap_s:
                break
        s -= 1
    return start


def stillness_after(grid: MotionGrid, end_s: int, horizon_s: int = 300) -> dict:
    """How still the wearer was after an event: the post-ictal period shows up here.

    Args:
        grid: the motion grid.
        end_s: first second after the event.
        horizon_s: how far to look, seconds.

    Returns:
        ``still_s``: seconds until the first moving second (capped at the horizon or the
        recording's end); ``still_fraction``: share of valid seconds in the horizon
        that are still; ``known_s``: valid seconds looked at.
    """
    stop = min(grid.seconds, end_s + horizon_s)
    valid = grid.valid[end_s:stop]
    moving = grid.moving[end_s:stop]
    first = np.flatnonzero(moving)
    known = int(valid.sum())
    return {
        "still_s": int(first[0]) if first.size else int(stop - end_s),
        "still_fraction": (round(float(grid.still[end_s:stop].sum() / known), 3)
                           if known else None),
        "known_s": known,
    }


def _slope_per_min(t_s: NDArray[np.float64], values: NDArray[np.float64]) -> float | None:
    """Theil-Sen slope of values over time, per minute; None with fewer than 6 points."""
    if t_s.size < 6:
        return None
    # Every pair at least 5 s apart: jitter between neighbouring seconds is not a trend.
    dt = t_s[None, :] - t_s[:, None]
    dv = values[None, :] - values[:, None]
    pairs = dt >= 5.0
    if not pairs.any():
        return None
    return float(np.median(dv[pairs] / dt[pairs]) * 60.0)


def clonic_evidence(grid: MotionGrid, start_s: int, end_s: int) -> dict:
    """What the epochs of an event show: strength, rhythm, frequency trend, posture.

    Args:
        grid: the motion grid.
        start_s: first second of the event.
        end_s: first second after it.

    Returns:
        A JSON-ready dict: seconds moving and convulsive, peak and median activity (mg)
        over moving seconds, median clonic-band share (0..1), the dominant frequency
        over the first and last third of the convulsive seconds and its Theil-Sen trend
        in hertz per minute (clonic jerks slow down: negative), posture before, during
        and after.
    """
    span = slice(start_s, end_s)
    moving = grid.moving[span]
    conv = grid.convulsive[span]
    conv_idx = np.flatnonzero(conv)
    act_mg = grid.act_mg[span]
    out: dict = {
        "moving_s": int(moving.sum()),
        "convulsive_s": int(conv.sum()),
        "known_s": int(grid.valid[span].sum()),
        "peak_activity_mg": (round(float(np.nanmax(act_mg[moving])), 1)
                             if moving.any() else None),
        "median_activity_mg": (round(float(np.nanmedian(act_mg[moving])), 1)
                               if moving.any() else None),
        "median_band_share": (round(float(np.median(grid.band[span][moving])) / 15, 3)
                              if moving.any() else None),
    }
    if conv_idx.size >= 3:
        freq = grid.freq_hz[span][conv_idx].astype(np.float64)
        third = max(1, conv_idx.size // 3)
        out["freq_start_hz"] = float(np.median(freq[:third]))
        out["freq_end_hz"] = float(np.median(freq[-third:]))
        slope = _slope_per_min(conv_idx.astype(np.float64), freq)
        out["freq_trend_hz_per_min"] = None if slope is None else round(slope, 2)
    else:
        out["freq_start_hz"] = out["freq_end_hz"] = out["freq_trend_hz_per_min"] = None
    before = grid.posture[max(0, start_s - 1)] if start_s > 0 else rec.POSTURE_UNKNOWN
    during = grid.posture[span][moving]
    after_s = min(grid.seconds - 1, end_s + 5)
    out["posture_before"] = _POSTURE_NAMES.get(int(before), "unknown")
    out["lying_before"] = (None if before == rec.POSTURE_UNKNOWN else lying(int(before)))
    out["posture_during"] = (_POSTURE_NAMES.get(int(np.bincount(during).argmax()), "unknown")
                             if during.size else None)
    out["posture_after"] = (_POSTURE_NAMES.get(int(grid.posture[after_s]), "unknown")
                            if grid.seconds else None)
    return out


def lying(posture_code: int) -> bool:
    """Whether a posture code is one of the four lying postures."""
    return int(posture_code) in _LYING


# --- raw windows ---------------------------------------------------------------------------

#: Bands (Hz) whose energy the raw-window evidence reports: slow body motion and walking,
#: the clonic band, and tremor above it.
RAW_BANDS_HZ = ((0.5, 3.0), (3.0, 8.0), (8.0, 12.5))
#: A jerk is a peak of the high-passed magnitude at least this many times the median
#: absolute value of the window, and at least this far from the previous one.
JERK_THRESHOLD_X = 4.0
JERK_MIN_GAP_S = 0.15


def raw_window_evidence(series: Series, start_s: float, end_s: float) -> dict | None:
    """Band energies, jerk rate and rhythmicity from the raw samples of an event.

    Raw acceleration exists only where the device kept a window (around its own
    candidates), or everywhere for a fixture. Returns None when less than half of the
    event is covered.

    Args:
        series: the recording.
        start_s, end_s: the event, seconds on the series' axis.

    Returns:
        A JSON-ready dict: ``covered_s``; the RMS of the motion in each band of
        :data:`RAW_BANDS_HZ`, mg (``band_rms_mg``); ``jerks``; jerk rate over the first
        and last third of the event (``jerk_rate_start_hz``, ``jerk_rate_end_hz``);
        ``rhythmicity``, the height of the first autocorrelation peak of the jerk
        envelope (0 to 1: 1 is a perfectly regular train).
    """
    t = series.raw_acc_t_s
    lo = int(np.searchsorted(t, start_s, side="left"))
    hi = int(np.searchsorted(t, end_s, side="left"))
    hz = float(series.acc_hz)
    if hi - lo < max(2 * hz, 0.5 * (end_s - start_s) * hz):
        return None
    acc = series.raw_acc_mg[lo:hi].astype(np.float64)
    # Gravity out: each axis minus its one-second moving mean.
    width = max(1, int(round(hz)))
    kernel = np.ones(width) / width
    dyn = acc - np.stack([np.convolve(acc[:, i], kernel, mode="same") for i in range(3)], 1)
    n = dyn.shape[0]
    spectrum = np.abs(np.fft.rfft(dyn, axis=0)) ** 2
    freqs = np.fft.rfftfreq(n, 1.0 / hz)
    seconds = n / hz
    rms = {}
    for f_lo, f_hi in RAW_BANDS_HZ:
        sel = (freqs >= f_lo) & (freqs < f_hi)
        # Parseval on the one-sided spectrum: the band's share of the mean square.
        rms[f"{f_lo:g}-{f_hi:g}_hz"] = round(float(np.sqrt(2 * spectrum[sel].sum())) / n, 1)
    mag = np.sqrt((dyn ** 2).sum(axis=1))
    level = float(np.median(mag)) or 1.0
    above = mag > JERK_THRESHOLD_X * level
    peaks = np.flatnonzero(above[1:-1] & (mag[1:-1] >= mag[:-2]) & (mag[1:-1] > mag[2:])) + 1
    jerks: list[int] = []
    for p in peaks.tolist():
        if not jerks or (p - jerks[-1]) / hz >= JERK_MIN_GAP_S:
            jerks.append(p)
        elif mag[p] > mag[jerks[-1]]:
            jerks[-1] = p
    jerk_t = np.asarray(jerks, dtype=np.float64) / hz

    def rate(a: float, b: float) -> float | None:
        inside = jerk_t[(jerk_t >= a) & (jerk_t < b)]
        if inside.size < 3:
            return None
        return round(float((inside.size - 1) / (inside[-1] - inside[0])), 2)

    env = mag - mag.mean()
    ac = np.correlate(env, env, mode="full")[n - 1:]
    rhythm = None
    if ac[0] > 0:
        ac = ac / ac[0]
        # First peak after the first zero crossing, within 0.15 to 2 s (0.5 to 7 Hz).
        lags = slice(int(0.15 * hz), min(n, int(2.0 * hz) + 1))
        seg = ac[lags]
        if seg.size:
            rhythm = round(float(max(0.0, seg.max())), 3)
    return {
        "covered_s": round(seconds, 1),
        "band_rms_mg": rms,
        "jerks": len(jerks),
        "jerk_rate_start_hz": rate(0.0, seconds / 3),
        "jerk_rate_end_hz": rate(2 * seconds / 3, seconds + 1e-9),
        "rhythmicity": rhythm,
    }
