"""OpenSeizureDetector's accelerometer algorithm, reimplemented as a scoring baseline.

The algorithm follows the description in ``../shared/ANCHORS.md`` ("OpenSeizureDetector
in detail") and keeps its published constants untouched, because a baseline is only
useful if nobody tuned it on our corpus:

* 25 Hz acceleration; the vector magnitude in milli-g (about 1000 at rest) is cut into
  windows of 5 s (125 samples);
* each window gets a plain real FFT: no taper, no mean removal; bins are 0.2 Hz wide and
  bin 0 (the mean, mostly gravity) is never used;
* ``spec_power`` is the sum of squared magnitudes over bins 1..60 (0.2 to 12 Hz) divided
  by n and then by 2, that is by 250; ``roi_power`` is the sum over bins 15..39
  (3.0 to 7.8 Hz) divided by its 25 bins. Each is truncated to an integer and then
  integer-divided by 1000; a ``spec_power`` of 0 is taken as 1;
* a window is seizure-like when ``roi_power > 100`` and
  ``10 * roi_power // spec_power > 57``;
* two consecutive seizure-like windows raise a warning, three raise the alarm.

Choices the description leaves open, and what this module does:

* **Window step.** ANCHORS.md does not state it. The windows here are consecutive and
  do not overlap (window k covers samples 125k to 125k + 124), the plain reading of
  "consecutive 5 s windows". The alarm therefore needs 15 s of rhythmic data aligned to
  the window grid; ANCHORS.md's "about 10 s after onset of the rhythmic phase" is closer
  to the warning (two windows) than to the alarm, and no overlap was added to chase it.
* **Magnitude.** Computed in float64 from the int16 axes and not rounded; the truncation
  the description names happens on the powers only.
* **Trailing samples.** A final window shorter than 125 samples is not analysed, as the
  original waits for a full buffer.
* **No latching.** The alarm state lasts while the run of seizure-like windows lasts;
  one window that is not seizure-like ends it. Heart-rate alarms (off by default in the
  original) are not reproduced.

Output: one :class:`~ictalog.scoring.DetectedEvent` per run of alarm state. Its onset is
the start of the run's first seizure-like window, its end the end of the run's last
one, and its raise time the end of the third window, when the alarm would have sounded.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .errors import IctalogError
from .fixture import Fixture, resample_acc
from .scoring import DetectedEvent

__all__ = [
    "ACC_HZ",
    "ALARM_WINDOWS",
    "BaselineError",
    "OsdWindows",
    "WARNING_WINDOWS",
    "WINDOW_SAMPLES",
    "detect_osd",
    "osd_events",
    "osd_windows",
    "window_powers",
]

log = logging.getLogger(__name__)

#: The only sampling rate the published algorithm is defined for.
ACC_HZ = 25
#: Samples per analysis window (5 s at 25 Hz).
WINDOW_SAMPLES = 125
#: Bins summed into spec_power: 1..60, that is 0.2 to 12 Hz.
SPEC_BINS = (1, 60)
#: Bins summed into roi_power: 15..39, that is 3.0 to 7.8 Hz.
ROI_BINS = (15, 39)
#: roi_power must exceed this (after the division by 1000).
ROI_POWER_MIN = 100
#: 10 * roi_power // spec_power must exceed this.
ROI_RATIO_MIN = 57
#: Consecutive seizure-like windows that raise a warning, and the alarm.
WARNING_WINDOWS = 2
ALARM_WINDOWS = 3

# Both powers are scaled down by this before they are compared, as in the original.
_POWER_DIVISOR = 1000


class BaselineError(IctalogError):
    """A recording cannot be analysed by the baseline as it stands."""


@dataclass(frozen=True)
class OsdWindows:
    """Per-window figures of one recording.

    Attributes:
        start_s: start time of each window in seconds from the start of the recording.
        spec_power: spec_power of each window after the division by 1000 (at least 1).
        roi_power: roi_power of each window after the division by 1000.
        seizure_like: whether each window passes both thresholds.
    """

    start_s: NDArray[np.float64]
    spec_power: NDArray[np.int64]
    roi_power: NDArray[np.int64]
    seizure_like: NDArray[np.bool_]


def window_powers(magnitude_mg: NDArray[np.floating]) -> tuple[int, int]:
    """spec_power and roi_power of one window, exactly as the algorithm defines them.

    Args:
        magnitude_mg: the acceleration vector magnitude of one window, 125 samples in mg.

    Returns:
        ``(spec_power, roi_power)``, both truncated and integer-divided by 1000;
        spec_power is at least 1.

    Raises:
        BaselineError: the window does not hold 125 samples.
    """
    window = np.asarray(magnitude_mg, dtype=np.float64).reshape(1, -1)
    if window.shape[1] != WINDOW_SAMPLES:
        raise BaselineError(
            f"an OSD window holds {WINDOW_SAMPLES} samples, got {window.shape[1]}",
            "pass exactly 5 s of 25 Hz magnitude",
        )
    spec, roi = _powers(window)
    return int(spec[0]), int(roi[0])


def _powers(windows: NDArray[np.float64]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """spec_power and roi_power of each row of a (windows, 125) array."""
    squared = np.abs(np.fft.rfft(windows, axis=1)) ** 2
    spec_sum = squared[:, SPEC_BINS[0] : SPEC_BINS[1] + 1].sum(axis=1)
    roi_sum = squared[:, ROI_BINS[0] : ROI_BINS[1] + 1].sum(axis=1)
    roi_bins = ROI_BINS[1] - ROI_BINS[0] + 1
    # The original divides by n and by 2 for the spectrum but only by the bin count for
    # the band; the asymmetry is part of the published thresholds, so it stays.
    spec = np.trunc(spec_sum / WINDOW_SAMPLES / 2).astype(np.int64) // _POWER_DIVISOR
    roi = np.trunc(roi_sum / roi_bins).astype(np.int64) // _POWER_DIVISOR
    # A still window has no spectral power; the original counts it as 1 to avoid a
    # division by zero in the ratio.
    spec = np.where(spec == 0, 1, spec)
    return spec, roi


def osd_windows(acc_mg: NDArray[np.integer], acc_hz: float) -> OsdWindows:
    """Analyse consecutive non-overlapping 5 s windows of a 3-axis recording.

    Args:
        acc_mg: acceleration, shape (N, 3), in milli-g.
        acc_hz: its sampling rate; must be 25 Hz.

    Returns:
        The figures of every complete window (a short tail is not analysed).

    Raises:
        BaselineError: the rate is not 25 Hz or the array is not (N, 3).
    """
    if abs(float(acc_hz) - ACC_HZ) > 1e-9:
        raise BaselineError(
            f"OpenSeizureDetector is defined at {ACC_HZ} Hz, the recording is at {acc_hz} Hz",
            f"resample the acceleration to {ACC_HZ} Hz before running the baseline",
        )
    acc = np.asarray(acc_mg)
    if acc.ndim != 2 or acc.shape[1] != 3:
        raise BaselineError(
            f"acceleration must have shape (N, 3), got {acc.shape}",
            "load the recording with ictalog.fixture.load_fixture",
        )
    count = len(acc) // WINDOW_SAMPLES
    used = acc[: count * WINDOW_SAMPLES].astype(np.float64)
    magnitude_mg = np.sqrt((used**2).sum(axis=1)).reshape(count, WINDOW_SAMPLES)
    spec, roi = _powers(magnitude_mg)
    # Integer floor division as in the original; spec is at least 1 here.
    seizure_like = (roi > ROI_POWER_MIN) & (10 * roi // spec > ROI_RATIO_MIN)
    window_s = WINDOW_SAMPLES / ACC_HZ
    start_s = np.arange(count, dtype=np.float64) * window_s
    log.debug("OSD: %d windows, %d seizure-like", count, int(seizure_like.sum()))
    return OsdWindows(start_s, spec, roi, seizure_like)


def osd_events(windows: OsdWindows) -> list[DetectedEvent]:
    """Turn per-window decisions into alarm events.

    Args:
        windows: the output of :func:`osd_windows`.

    Returns:
        One event per run of at least ALARM_WINDOWS consecutive seizure-like windows,
        with onset, end, warning time and raise (alarm) time in seconds.
    """
    window_s = WINDOW_SAMPLES / ACC_HZ
    events: list[DetectedEvent] = []
    flags = windows.seizure_like.tolist()
    index = 0
    while index < len(flags):
        if not flags[index]:
            index += 1
            continue
        first = index
        while index < len(flags) and flags[index]:
            index += 1
        run = index - first
        if run < ALARM_WINDOWS:
            continue
        onset_s = float(windows.start_s[first])
        events.append(
            DetectedEvent(
                onset_s=onset_s,
                end_s=float(windows.start_s[index - 1]) + window_s,
                raise_s=onset_s + ALARM_WINDOWS * window_s,
                score=float(run),
                warning_s=onset_s + WARNING_WINDOWS * window_s,
            )
        )
    return events


def detect_osd(fixture: Fixture) -> list[DetectedEvent]:
    """Run the OpenSeizureDetector baseline on a fixture.

    Args:
        fixture: the recording; acceleration at another rate is first resampled to the
            algorithm's 25 Hz, as a watch sampling at 25 Hz would have seen it.

    Returns:
        The alarm events (see :func:`osd_events`); ``score`` is the run's window count.
    """
    return osd_events(osd_windows(resample_acc(fixture.acc_mg, fixture.acc_hz, ACC_HZ),
                                  ACC_HZ))
