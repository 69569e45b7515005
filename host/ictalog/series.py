"""What host detection reads: one recording's streams on one time axis.

A synced study and a fixture reach the detector in the same form, so that what is
scored on fixtures is what runs on a patient's nights. The device keeps, for every
second, a motion epoch (activity code, clonic-band share, dominant frequency, posture;
``shared/motion.py``), every beat's R-R interval, and raw acceleration only in windows
around prefilter candidates. :func:`series_from_fixture` therefore computes the epochs
of a fixture with the device's own epoch code rather than handing the detector the full
25 Hz signal: a detector that needed the full signal would fail on real studies.

Times are seconds from ``start_utc`` (or from the start of the recording when the wall
clock is unknown). Stretches with no usable data are listed in ``gaps`` with their cause,
never filled in: a detector must treat them as unknown, not as stillness.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from .fixture import Fixture, at_device_rate
from .shared import motion
from .shared.records import ACT_MOVING

__all__ = ["Gap", "Series", "epoch_codes", "series_from_fixture"]

#: Causes a gap may give.
GAP_CAUSES = ("no_data", "lead_off", "not_worn", "clock_unknown", "log_full")


@dataclass(frozen=True)
class Gap:
    """A stretch without usable data of one kind.

    Attributes:
        start_s: start, seconds on the series' axis.
        end_s: end, seconds.
        cause: one of :data:`GAP_CAUSES`.
        streams: which streams it affects: ``"rr"``, ``"motion"`` or ``"all"``.
    """

    start_s: float
    end_s: float
    cause: str
    streams: str = "all"

    def to_json(self) -> dict:
        return {"start_s": round(self.start_s, 3), "end_s": round(self.end_s, 3),
                "cause": self.cause, "streams": self.streams}


@dataclass
class Series:
    """One recording (a night) as detection reads it.

    Attributes:
        name: recording name (fixture name, or study and night).
        start_utc: ISO 8601 wall-clock time of second 0, or None when unknown.
        duration_s: length of the axis in seconds.
        beat_s: float64 R-peak times, seconds, strictly increasing.
        epoch_t_s: float64 start of each one-second motion epoch, seconds, increasing.
        epoch_act: uint8 activity codes 0..15 (``motion.ACT_CODE_MG`` gives milli-g).
        epoch_band: uint8 clonic-band share 0..15 (0 when act < ACT_MOVING).
        epoch_freq_hz: uint8 dominant frequency in hertz (0 when act < ACT_MOVING).
        epoch_posture: uint8 posture code (records.POSTURE_*); for still epochs the
            posture of the last moving epoch, as the log defines it.
        raw_acc_t_s: float64 time of each raw acceleration sample, seconds.
        raw_acc_mg: int16 raw acceleration, shape (N, 3), milli-g.
        acc_hz: raw acceleration rate in hertz.
        gaps: stretches without usable data, with their cause.
        device_events: prefilter candidates the device logged, as dicts with
            ``onset_s``, ``duration_s`` and ``score``.
    """

    name: str
    start_utc: str | None
    duration_s: float
    beat_s: NDArray[np.float64]
    epoch_t_s: NDArray[np.float64]
    epoch_act: NDArray[np.uint8]
    epoch_band: NDArray[np.uint8]
    epoch_freq_hz: NDArray[np.uint8]
    epoch_posture: NDArray[np.uint8]
    raw_acc_t_s: NDArray[np.float64] = field(
        default_factory=lambda: np.zeros(0, dtype=np.float64))
    raw_acc_mg: NDArray[np.int16] = field(
        default_factory=lambda: np.zeros((0, 3), dtype=np.int16))
    acc_hz: float = 25.0
    gaps: list[Gap] = field(default_factory=list)
    device_events: list[dict] = field(default_factory=list)


def _motion_digest() -> str:
    # The epoch cache is only valid for the epoch code that filled it.
    with open(motion.__file__, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()[:16]


def epoch_codes(acc_mg: NDArray[np.integer], acc_hz: float) -> NDArray[np.uint8]:
    """Per-second (act, band, freq, posture) codes, computed by the device's epoch code.

    Still epochs carry the posture of the last moving one, as a decoded log does.

    Args:
        acc_mg: int16 acceleration, shape (N, 3), milli-g.
        acc_hz: its rate in hertz (a whole number).

    Returns:
        uint8 array of shape (seconds, 4).
    """
    hz = int(round(acc_hz))
    seconds = len(acc_mg) // hz
    out = np.zeros((seconds, 4), dtype=np.uint8)
    if seconds == 0:
        return out
    features = motion.EpochFeatures(hz)
    flat = np.asarray(acc_mg[:seconds * hz], dtype=np.int64).reshape(-1).tolist()
    posture = 0
    for s in range(seconds):
        act = features.compute(flat, s * hz)
        if act >= ACT_MOVING:
            posture = features.posture
            out[s] = (act, features.band, features.freq, posture)
        else:
            out[s] = (act, 0, 0, posture)
    return out


def _cached_codes(fixture: Fixture, cache_dir: str | None) -> NDArray[np.uint8]:
    if cache_dir is None:
        return epoch_codes(fixture.acc_mg, fixture.acc_hz)
    digest = hashlib.sha256()
    digest.update(_motion_digest().encode())
    digest.update(str(fixture.acc_hz).encode())
    digest.update(np.ascontiguousarray(fixture.acc_mg).tobytes())
    path = os.path.join(cache_dir, f"epochs-{digest.hexdigest()[:24]}.npy")
    if os.path.exists(path):
        return np.load(path)
    codes = epoch_codes(fixture.acc_mg, fixture.acc_hz)
    os.makedirs(cache_dir, exist_ok=True)
    temporary = f"{path}.{os.getpid()}.tmp.npy"
    np.save(temporary, codes)
    os.replace(temporary, path)
    return codes


def series_from_fixture(fixture: Fixture, cache_dir: str | None = None) -> Series:
    """A fixture as the device would have logged it: epochs, beats, and its raw signal.

    The raw acceleration is kept whole, as if every second were inside a raw window; a
    detector may use raw windows for evidence but must not need them to fire.

    Args:
        fixture: the recording.
        cache_dir: folder for epoch codes keyed by content (None: always compute).

    Returns:
        The series.
    """
    # The thresholds of detection are set on the device's epochs, so a fixture recorded
    # at another rate is first seen the way the device would have sampled it.
    fixture = at_device_rate(fixture)
    codes = _cached_codes(fixture, cache_dir)
    seconds = len(codes)
    gaps: list[Gap] = []
    if seconds < fixture.duration_s - 1:
        gaps.append(Gap(float(seconds), float(fixture.duration_s), "no_data", "motion"))
    hz = float(fixture.acc_hz)
    return Series(
        name=fixture.name,
        start_utc=fixture.start_utc,
        duration_s=float(fixture.duration_s),
        beat_s=np.asarray(fixture.beat_s, dtype=np.float64),
        epoch_t_s=np.arange(seconds, dtype=np.float64),
        epoch_act=codes[:, 0].copy(),
        epoch_band=codes[:, 1].copy(),
        epoch_freq_hz=codes[:, 2].copy(),
        epoch_posture=codes[:, 3].copy(),
        raw_acc_t_s=np.arange(len(fixture.acc_mg), dtype=np.float64) / hz,
        raw_acc_mg=np.asarray(fixture.acc_mg, dtype=np.int16),
        acc_hz=hz,
        gaps=gaps,
    )
