"""Fixture format: one recording as ``NAME.npz`` plus ``NAME.events.tsv``.

This module is the single reader and writer of the fixture contract (BRIEF.md, contract 1).
Detectors, the prefilter replay, the simulator and the log decoder all exchange recordings
in this form, so a fixture is validated completely when it is loaded and again before it
is saved: a malformed file raises :class:`ictalog.errors.FixtureError` naming the field at
fault and the next step, and never reaches a detector half-read.

``NAME.npz`` (written with ``numpy.savez_compressed``, read with ``allow_pickle=False``):

* ``acc_mg``: int16 array of shape (N, 3), acceleration in milli-g (x, y, z).
* ``acc_hz``: accelerometer sampling rate in hertz, one positive number. Any rate is
  accepted; everything that stands for the device (the simulator, the prefilter replay,
  the detector's epochs, the OpenSeizureDetector baseline) sees the acceleration
  resampled to the device's 25 Hz (:func:`resample_acc`).
* ``beat_s``: float64 array of R-peak times in seconds from the start of the recording,
  strictly increasing, each within [0, duration_s].
* ``duration_s``: length of the recording in seconds, one positive number.
* ``ecg_uv`` (optional): int16 array of one ECG lead in microvolts; needs ``ecg_hz``.
* ``ecg_hz`` (optional): ECG sampling rate in hertz; only together with ``ecg_uv``.
* ``start_utc`` (optional): wall-clock start of the recording as an ISO 8601 string.
* any other key is kept, unvalidated except for NaN, in :attr:`Fixture.extras`
  (for example ``beat_label``, the annotation symbol of each beat).

A recording without an accelerometer (for instance ECG-only source data) stores
``acc_mg`` as an empty array of shape (0, 3) and still gives a positive ``acc_hz``
(25 Hz, the wearable's rate, by convention). Keeping the key mandatory means every
consumer can rely on its presence and shape; "no samples" is an ordinary length.
The accelerometer need not cover the whole recording (a decoded log keeps only raw
windows around candidates), so ``len(acc_mg) / acc_hz`` is not checked against
``duration_s``.

``NAME.events.tsv``: tab-separated, one header line with at least the columns ``onset``,
``duration`` (both seconds), ``eventType``, ``confidence``, ``channels``, ``dateTime`` and
``recordingDuration`` (BIDS / SzCORE annotation style), one event per further line.
Unknown values are written ``n/a``. An ``eventType`` beginning with ``sz`` marks a seizure;
any other type (``bckg``, ``mimic_brushing``, ...) does not. The events file is required
even when there are no events: it then holds only its header line. Only readers that never
look at annotations (detection, the prefilter replay, the simulator) accept its absence,
with ``load_fixture(path, events_required=False)``.
"""

from __future__ import annotations

import io
import logging
import math
import numbers
import os
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ictalog.errors import FixtureError

log = logging.getLogger(__name__)

__all__ = [
    "DEVICE_ACC_HZ",
    "EVENT_COLUMNS",
    "Event",
    "Fixture",
    "at_device_rate",
    "events_path_for",
    "load_fixture",
    "read_events",
    "resample",
    "resample_acc",
    "save_fixture",
    "validate_fixture",
    "write_events",
]

#: Column order written to ``NAME.events.tsv``; a reader accepts them in any order.
EVENT_COLUMNS: tuple[str, ...] = (
    "onset",
    "duration",
    "eventType",
    "confidence",
    "channels",
    "dateTime",
    "recordingDuration",
)

NA = "n/a"
REQUIRED_KEYS: tuple[str, ...] = ("acc_mg", "acc_hz", "beat_s", "duration_s")
OPTIONAL_KEYS: tuple[str, ...] = ("ecg_uv", "ecg_hz", "start_utc")
EVENTS_SUFFIX = ".events.tsv"

# Events may end exactly at the end of the recording; this absorbs float rounding only.
_EDGE_TOLERANCE_S = 1e-6
# A hand-written recordingDuration may be rounded; more than this means another recording.
_RECORDING_DURATION_TOLERANCE_S = 1.0
# Fixed zip member time so that saving the same fixture twice gives the same bytes.
_ZIP_DATE_TIME = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class Event:
    """One annotated event of a recording (one line of ``NAME.events.tsv``).

    Attributes:
        onset_s: start of the event in seconds from the start of the recording.
        duration_s: length of the event in seconds (0 for an instant).
        event_type: BIDS / SzCORE event type, for example ``sz_focal`` or ``bckg``.
        confidence: confidence between 0 and 1, or None when unknown (``n/a``).
        channels: channels involved, or None when unknown (``n/a``).
        date_time: wall-clock start of the event (ISO 8601), or None when unknown.
        recording_duration_s: length of the whole recording in seconds, or None.
    """

    onset_s: float
    duration_s: float
    event_type: str
    confidence: float | None = None
    channels: str | None = None
    date_time: str | None = None
    recording_duration_s: float | None = None

    @property
    def is_seizure(self) -> bool:
        """True when the event type marks a seizure (it begins with ``sz``)."""
        return self.event_type.startswith("sz")

    @property
    def offset_s(self) -> float:
        """End of the event in seconds from the start of the recording."""
        return self.onset_s + self.duration_s


@dataclass(frozen=True, eq=False)
class Fixture:
    """One recording in the fixture format.

    Instances are not compared with ``==`` (their fields are numpy arrays); compare the
    fields instead. Use :func:`validate_fixture` or :func:`save_fixture` to check one.

    Attributes:
        acc_mg: int16 acceleration, shape (N, 3), milli-g; shape (0, 3) when there is
            no accelerometer.
        acc_hz: accelerometer sampling rate in hertz.
        beat_s: float64 R-peak times in seconds from the start, strictly increasing.
        duration_s: length of the recording in seconds.
        ecg_uv: optional int16 ECG lead in microvolts.
        ecg_hz: ECG sampling rate in hertz, given exactly when ``ecg_uv`` is.
        start_utc: optional ISO 8601 wall-clock start of the recording.
        events: annotated events, in file order.
        name: fixture name (the file name without ``.npz``); not stored in the file.
        extras: further npz keys, by name, such as ``beat_label``.
    """

    acc_mg: NDArray[np.int16]
    acc_hz: float
    beat_s: NDArray[np.float64]
    duration_s: float
    ecg_uv: NDArray[np.int16] | None = None
    ecg_hz: float | None = None
    start_utc: str | None = None
    events: tuple[Event, ...] = ()
    name: str = ""
    extras: dict[str, NDArray[Any]] = field(default_factory=dict)

    @property
    def seizures(self) -> tuple[Event, ...]:
        """The events that are seizures."""
        return tuple(event for event in self.events if event.is_seizure)


def events_path_for(npz_path: str | os.PathLike[str]) -> Path:
    """Return the events file that belongs beside a fixture's npz file.

    Args:
        npz_path: path of ``NAME.npz``.

    Returns:
        The path of ``NAME.events.tsv`` in the same folder.
    """
    path = Path(npz_path)
    stem = path.name[: -len(".npz")] if path.name.endswith(".npz") else path.name
    return path.with_name(stem + EVENTS_SUFFIX)


# --------------------------------------------------------------------------------------
# the device's sampling rate

#: The wearable's accelerometer rate in hertz. The firmware, the prefilter replay, the
#: host detector's epochs and the OpenSeizureDetector baseline all see acceleration at
#: this rate, whatever rate a fixture was recorded at.
DEVICE_ACC_HZ = 25

def resample(x: NDArray[Any], in_hz: float, out_hz: float) -> NDArray[np.float64]:
    """Band-limited resampling along axis 0 by FFT, with reflected edges.

    The spectrum is cut at the lower of the two Nyquist frequencies (an ideal low-pass,
    standing in for the accelerometer's own anti-alias filter) and the signal rebuilt at
    the new rate. Both ends are padded by reflection first, so the circular FFT does not
    wrap the end of a recording onto its start.

    Args:
        x: samples, shape (N,) or (N, channels).
        in_hz: rate of ``x``.
        out_hz: rate wanted.

    Returns:
        ``round(N * out_hz / in_hz)`` samples at ``out_hz``, float64.
    """
    data = np.asarray(x, dtype=np.float64)
    n_in = data.shape[0]
    ratio = Fraction(out_hz / in_hz).limit_denominator(1000)
    n_out = int(round(n_in * ratio))
    if n_in < 2:
        return np.repeat(data, n_out, axis=0)[:n_out]
    p, q = ratio.numerator, ratio.denominator
    # Pads are whole multiples of q so that the output grid lines up with the input grid:
    # about 2 s reflected at the front, and at the back as much again, rounded up.
    front = (min(n_in - 1, int(2 * in_hz)) // q) * q
    back = front + (-(n_in + 2 * front)) % q
    head = data[1:front + 1][::-1]
    tail = data[::-1][1:back + 1]
    if tail.shape[0] < back:  # very short input: extend with its last value
        extra = np.repeat(data[-1:], back - tail.shape[0], axis=0)
        tail = np.concatenate([tail, extra])
    padded = np.concatenate([head, data, tail])
    n_pad = padded.shape[0]
    n_pad_out = n_pad * p // q
    spectrum = np.fft.rfft(padded, axis=0)
    keep = min(spectrum.shape[0], n_pad_out // 2 + 1)
    new = np.zeros((n_pad_out // 2 + 1,) + spectrum.shape[1:], dtype=complex)
    new[:keep] = spectrum[:keep]
    if n_pad_out % 2 == 0 and keep == n_pad_out // 2 + 1:
        new[-1] = new[-1].real  # the new Nyquist bin of an even length is real
    out = np.fft.irfft(new, n_pad_out, axis=0) * (n_pad_out / n_pad)
    start = front * p // q
    return np.asarray(out[start:start + n_out])


def resample_acc(acc_mg: NDArray[np.integer], from_hz: float,
                 to_hz: float = DEVICE_ACC_HZ) -> NDArray[np.int16]:
    """3-axis acceleration at another rate, as a sensor sampling at that rate would see it.

    :func:`resample`, rounded back to int16 milli-g: motion above the lower of the two
    Nyquist frequencies is removed, so nothing above 12.5 Hz folds into the clonic band
    of a 25 Hz device.

    Args:
        acc_mg: acceleration, shape (N, 3), milli-g.
        from_hz: its rate in hertz.
        to_hz: the rate wanted (default: the device's).

    Returns:
        int16 milli-g, shape (M, 3); the input itself when the rates are equal.
    """
    acc = np.asarray(acc_mg)
    if abs(from_hz - to_hz) < 1e-9:
        return acc.astype(np.int16, copy=False)
    if len(acc) == 0:
        return np.zeros((0, 3), dtype=np.int16)
    out = resample(acc.reshape(-1, 3), from_hz, to_hz)
    return np.clip(np.round(out), -32768, 32767).astype(np.int16)


def at_device_rate(fixture: Fixture) -> Fixture:
    """The fixture with its acceleration at :data:`DEVICE_ACC_HZ` (itself if it is)."""
    if abs(fixture.acc_hz - DEVICE_ACC_HZ) < 1e-9:
        return fixture
    log.info("%s: acceleration resampled from %g Hz to the device's %d Hz",
             fixture.name or "fixture", fixture.acc_hz, DEVICE_ACC_HZ)
    return replace(fixture, acc_mg=resample_acc(fixture.acc_mg, fixture.acc_hz),
                   acc_hz=float(DEVICE_ACC_HZ))


# --------------------------------------------------------------------------------------
# loading


def load_fixture(path: str | os.PathLike[str], events_required: bool = True) -> Fixture:
    """Load and validate a fixture.

    Args:
        path: ``NAME.npz``; ``NAME.events.tsv`` must lie beside it. A path given
            without the ``.npz`` suffix is completed with it.
        events_required: False for a caller that never reads the annotations (detection,
            the prefilter replay, the simulator): a missing events file then gives a
            fixture with no events instead of an error. A malformed one is still refused.

    Returns:
        The validated fixture, named after its file.

    Raises:
        FixtureError: a file is missing or not readable, or a field breaks the contract.
    """
    npz_path = Path(path)
    if npz_path.suffix != ".npz" and not npz_path.is_file():
        npz_path = npz_path.with_name(npz_path.name + ".npz")
    where = str(npz_path)
    if not npz_path.is_file():
        raise FixtureError(
            "fixture file not found",
            "check the path; a fixture is NAME.npz plus NAME.events.tsv "
            "(tests/fixtures/ holds the committed ones)",
            where,
        )
    arrays = _read_npz(npz_path)
    missing = [key for key in REQUIRED_KEYS if key not in arrays]
    if missing:
        raise FixtureError(
            f"required key(s) {', '.join(missing)} missing from the npz "
            f"(it holds: {', '.join(sorted(arrays)) or 'nothing'})",
            "re-export the fixture with acc_mg, acc_hz, beat_s and duration_s "
            "(ictalog.fixture.save_fixture writes all of them)",
            where,
        )
    for key, value in arrays.items():
        _check_no_nan(key, value, where)

    acc_hz = _scalar_float("acc_hz", arrays["acc_hz"], where)
    duration_s = _scalar_float("duration_s", arrays["duration_s"], where)
    ecg_hz = _scalar_float("ecg_hz", arrays["ecg_hz"], where) if "ecg_hz" in arrays else None
    start_utc = None
    if "start_utc" in arrays:
        start_utc = _scalar_str("start_utc", arrays["start_utc"], where)
    extras = {
        key: value
        for key, value in arrays.items()
        if key not in REQUIRED_KEYS and key not in OPTIONAL_KEYS
    }
    name = npz_path.name[: -len(".npz")] if npz_path.name.endswith(".npz") else npz_path.name

    events_path = events_path_for(npz_path)
    has_events = events_path.is_file()
    if not has_events and events_required:
        raise FixtureError(
            f"events file {events_path.name} not found beside the npz",
            "every fixture needs one, even without events: write a header-only file with "
            "ictalog.fixture.write_events(path, [], duration_s)",
            str(events_path),
        )
    signals = Fixture(
        acc_mg=arrays["acc_mg"],
        acc_hz=acc_hz,
        beat_s=arrays["beat_s"],
        duration_s=duration_s,
        ecg_uv=arrays.get("ecg_uv"),
        ecg_hz=ecg_hz,
        start_utc=start_utc,
        events=(),
        name=name,
        extras=extras,
    )
    _validate_signals(signals, where)
    if start_utc is not None:
        _parse_date_time(start_utc, "start_utc", where)
    if not has_events:
        log.info("%s: no %s beside it; loaded without annotations", where, events_path.name)
        return signals
    events = read_events(events_path, recording_duration_s=duration_s)
    return replace(signals, events=tuple(events))


def _read_npz(npz_path: Path) -> dict[str, NDArray[Any]]:
    """Read every array of an npz file without ever unpickling."""
    where = str(npz_path)
    not_npz_hint = (
        "give the NAME.npz written by ictalog.fixture.save_fixture "
        "(numpy.savez_compressed of the contract keys)"
    )
    try:
        loaded = np.load(npz_path, allow_pickle=False)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        raise FixtureError(f"not an npz archive ({exc})", not_npz_hint, where) from exc
    if not isinstance(loaded, np.lib.npyio.NpzFile):
        raise FixtureError(
            "this is a single .npy array, not an npz archive of named arrays",
            not_npz_hint,
            where,
        )
    arrays: dict[str, NDArray[Any]] = {}
    with loaded:
        for key in loaded.files:
            try:
                arrays[key] = loaded[key]
            except ValueError as exc:
                raise FixtureError(
                    f"key {key} holds Python objects, which are never unpickled ({exc})",
                    f"re-export the fixture with {key} as a plain numeric or string array",
                    where,
                ) from exc
            except (OSError, EOFError, zipfile.BadZipFile) as exc:
                raise FixtureError(
                    f"key {key} cannot be read: the archive is damaged ({exc})",
                    "regenerate the fixture from its source",
                    where,
                ) from exc
    return arrays


def _check_no_nan(key: str, value: NDArray[Any], where: str | None) -> None:
    if value.dtype.kind in "fc" and value.size and bool(np.isnan(value).any()):
        count = int(np.isnan(value).sum())
        raise FixtureError(
            f"{key} contains NaN ({count} value(s))",
            f"re-export the fixture without NaN in {key}: drop the missing samples "
            "or beats instead of marking them",
            where,
        )


def _scalar_float(key: str, value: Any, where: str | None) -> float:
    array = np.asarray(value)
    if array.size != 1 or array.dtype.kind not in "iuf":
        raise FixtureError(
            f"{key} must be one real number, got dtype {array.dtype} shape {array.shape}",
            f"re-export the fixture with {key} as a single number",
            where,
        )
    number = float(array.reshape(()))
    if math.isnan(number):
        raise FixtureError(
            f"{key} is NaN",
            f"re-export the fixture with the true {key}",
            where,
        )
    return number


def _scalar_str(key: str, value: Any, where: str | None) -> str:
    array = np.asarray(value)
    if array.size != 1 or array.dtype.kind != "U":
        raise FixtureError(
            f"{key} must be one string, got dtype {array.dtype} shape {array.shape}",
            f"re-export the fixture with {key} as an ISO 8601 string",
            where,
        )
    return str(array.reshape(()))


# --------------------------------------------------------------------------------------
# validation


def validate_fixture(fixture: Fixture, path: str | os.PathLike[str] | None = None) -> None:
    """Check a fixture against the contract.

    Args:
        fixture: the fixture to check.
        path: the file it came from or goes to, for the error message.

    Raises:
        FixtureError: a field breaks the contract; the message names the field.
    """
    where = None if path is None else str(path)
    for key in ("acc_hz", "duration_s"):
        _scalar_float(key, getattr(fixture, key), where)
    if fixture.ecg_hz is not None:
        _scalar_float("ecg_hz", fixture.ecg_hz, where)
    for key, value in (
        ("acc_mg", fixture.acc_mg),
        ("beat_s", fixture.beat_s),
        ("ecg_uv", fixture.ecg_uv),
        *fixture.extras.items(),
    ):
        if value is not None:
            _check_no_nan(key, np.asarray(value), where)
    if fixture.start_utc is not None:
        _scalar_str("start_utc", np.asarray(fixture.start_utc), where)
        _parse_date_time(str(fixture.start_utc), "start_utc", where)
    _validate_signals(fixture, where)
    for key in fixture.extras:
        if key in REQUIRED_KEYS or key in OPTIONAL_KEYS:
            raise FixtureError(
                f"extras key {key} clashes with a contract field",
                f"set {key} through its Fixture field, not through extras",
                where,
            )
        if np.asarray(fixture.extras[key]).dtype.kind == "O":
            raise FixtureError(
                f"extras key {key} holds Python objects, which a fixture cannot store",
                f"convert {key} to a numeric or fixed-width string array",
                where,
            )
    _validate_events(fixture.events, fixture.duration_s, where)


def _validate_signals(fixture: Fixture, where: str | None) -> None:
    """Check the array fields and the numbers they depend on."""
    acc_mg = np.asarray(fixture.acc_mg)
    if acc_mg.dtype != np.int16:
        raise FixtureError(
            f"acc_mg must be int16 milli-g, got dtype {acc_mg.dtype}",
            "re-export the fixture with acc_mg = np.rint(acc_g * 1000).astype(np.int16)",
            where,
        )
    if acc_mg.ndim != 2 or acc_mg.shape[1] != 3:
        raise FixtureError(
            f"acc_mg must have shape (N, 3), got {acc_mg.shape}",
            "re-export the fixture with one row per sample and columns x, y, z; "
            "use an empty (0, 3) array when there is no accelerometer",
            where,
        )
    if not fixture.acc_hz > 0 or not math.isfinite(fixture.acc_hz):
        raise FixtureError(
            f"acc_hz must be a positive sampling rate, got {fixture.acc_hz}",
            "re-export the fixture with the accelerometer rate in hertz "
            "(25 by convention when there is no accelerometer)",
            where,
        )
    if not fixture.duration_s > 0 or not math.isfinite(fixture.duration_s):
        raise FixtureError(
            f"duration_s must be a positive number of seconds, got {fixture.duration_s}",
            "re-export the fixture with the recording length in seconds",
            where,
        )

    beat_s = np.asarray(fixture.beat_s)
    if beat_s.dtype != np.float64 or beat_s.ndim != 1:
        raise FixtureError(
            f"beat_s must be a 1-D float64 array, got dtype {beat_s.dtype} "
            f"shape {beat_s.shape}",
            "re-export the fixture with beat_s = np.asarray(times_s, dtype=np.float64)",
            where,
        )
    if beat_s.size:
        steps_s = np.diff(beat_s)
        bad = np.flatnonzero(steps_s <= 0)
        if bad.size:
            i = int(bad[0]) + 1
            raise FixtureError(
                f"beat_s is not strictly increasing: beat {i} at {beat_s[i]!r} s does not "
                f"follow beat {i - 1} at {beat_s[i - 1]!r} s ({bad.size} such place(s))",
                "re-export the fixture with beat_s sorted and duplicates removed "
                "(np.unique does both)",
                where,
            )
        if beat_s[0] < 0 or beat_s[-1] > fixture.duration_s:
            raise FixtureError(
                f"beat_s outside [0, duration_s = {fixture.duration_s!r}]: first beat "
                f"{beat_s[0]!r} s, last beat {beat_s[-1]!r} s",
                "re-export the fixture with beat times measured from the recording start "
                "and duration_s covering the last beat",
                where,
            )

    if fixture.ecg_uv is None:
        if fixture.ecg_hz is not None:
            raise FixtureError(
                "ecg_hz is given without ecg_uv",
                "re-export the fixture with both ecg_uv and ecg_hz, or with neither",
                where,
            )
        return
    ecg_uv = np.asarray(fixture.ecg_uv)
    if fixture.ecg_hz is None:
        raise FixtureError(
            "ecg_uv is given without ecg_hz",
            "re-export the fixture with ecg_hz, the ECG sampling rate in hertz",
            where,
        )
    if ecg_uv.dtype != np.int16 or ecg_uv.ndim != 1:
        raise FixtureError(
            f"ecg_uv must be a 1-D int16 array in microvolts, got dtype {ecg_uv.dtype} "
            f"shape {ecg_uv.shape}",
            "re-export the fixture with one ECG lead as np.rint(ecg_uv).astype(np.int16)",
            where,
        )
    if not fixture.ecg_hz > 0 or not math.isfinite(fixture.ecg_hz):
        raise FixtureError(
            f"ecg_hz must be a positive sampling rate, got {fixture.ecg_hz}",
            "re-export the fixture with the ECG rate in hertz",
            where,
        )


def _validate_events(events: Iterable[Event], duration_s: float, where: str | None) -> None:
    for number, event in enumerate(events, start=1):
        label = f"event {number}"
        _check_event(event, label, duration_s, where)


def _check_event(event: Event, label: str, duration_s: float | None, where: str | None) -> None:
    for key, value in (("onset", event.onset_s), ("duration", event.duration_s)):
        if not isinstance(value, numbers.Real) or not math.isfinite(value):
            raise FixtureError(
                f"{label}: {key} must be a finite number of seconds, got {value!r}",
                f"write the {key} column in seconds",
                where,
            )
    if event.duration_s < 0:
        raise FixtureError(
            f"{label}: duration is negative ({event.duration_s!r} s)",
            "write duration as offset minus onset, in seconds",
            where,
        )
    if not isinstance(event.event_type, str) or not event.event_type.strip():
        raise FixtureError(
            f"{label}: eventType is empty",
            "write an eventType such as sz_focal, sz_tonic_clonic or bckg",
            where,
        )
    if event.confidence is not None and not 0.0 <= event.confidence <= 1.0:
        raise FixtureError(
            f"{label}: confidence must lie in [0, 1] or be n/a, got {event.confidence!r}",
            "write confidence as a probability, or n/a when unknown",
            where,
        )
    if event.date_time is not None:
        _parse_date_time(event.date_time, f"{label}: dateTime", where)
    if duration_s is not None:
        end_s = event.onset_s + event.duration_s
        if event.onset_s < 0 or end_s > duration_s + _EDGE_TOLERANCE_S:
            raise FixtureError(
                f"{label}: event from onset {event.onset_s!r} s to {end_s!r} s lies outside "
                f"the recording [0, {duration_s!r}] s",
                "correct the onset and duration columns, or check that the events file "
                "belongs to this recording",
                where,
            )
    if (
        event.recording_duration_s is not None
        and duration_s is not None
        and abs(event.recording_duration_s - duration_s) > _RECORDING_DURATION_TOLERANCE_S
    ):
        raise FixtureError(
            f"{label}: recordingDuration {event.recording_duration_s!r} s differs from the "
            f"fixture's duration_s {duration_s!r} s",
            "check that the events file belongs to this recording, then rewrite it with "
            "ictalog.fixture.write_events(path, events, duration_s)",
            where,
        )


def _parse_date_time(text: str, label: str, where: str | None) -> None:
    try:
        datetime.fromisoformat(text)
    except ValueError as exc:
        raise FixtureError(
            f"{label} is not an ISO 8601 date and time: {text!r}",
            "write it in ISO 8601, for example 2024-05-01T22:30:00+00:00 "
            "(in an events file, n/a when unknown)",
            where,
        ) from exc


# --------------------------------------------------------------------------------------
# events files


def read_events(
    path: str | os.PathLike[str], recording_duration_s: float | None = None
) -> list[Event]:
    """Read and validate a ``NAME.events.tsv`` file.

    Args:
        path: the events file.
        recording_duration_s: length of the recording in seconds; when given, every event
            must lie within it and the ``recordingDuration`` column must agree with it.

    Returns:
        The events in file order.

    Raises:
        FixtureError: the file is missing, lacks a column, or holds a bad value.
    """
    events_path = Path(path)
    where = str(events_path)
    try:
        text = events_path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise FixtureError(
            "events file not found",
            "write it with ictalog.fixture.write_events(path, events, duration_s); "
            "a header-only file means no events",
            where,
        ) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise FixtureError(
            f"events file cannot be read as UTF-8 text ({exc})",
            "rewrite it with ictalog.fixture.write_events",
            where,
        ) from exc
    lines = text.splitlines()
    header = lines[0].split("\t") if lines else []
    header = [column.strip() for column in header]
    missing = [column for column in EVENT_COLUMNS if column not in header]
    if missing:
        raise FixtureError(
            f"events file lacks column(s) {', '.join(missing)} "
            f"(header: {' | '.join(header) or 'empty'})",
            "start the file with the tab-separated header line "
            + " ".join(EVENT_COLUMNS)
            + ", or rewrite it with ictalog.fixture.write_events",
            where,
        )
    index = {column: header.index(column) for column in EVENT_COLUMNS}
    events: list[Event] = []
    for line_number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        cells = line.split("\t")
        if len(cells) != len(header):
            raise FixtureError(
                f"line {line_number} has {len(cells)} tab-separated fields, "
                f"the header has {len(header)}",
                "separate the fields with single tabs and write n/a for unknown values",
                where,
            )
        row = {column: cells[i].strip() for column, i in index.items()}
        label = f"line {line_number}"
        event = Event(
            onset_s=_required_number(row["onset"], f"{label}: onset", where),
            duration_s=_required_number(row["duration"], f"{label}: duration", where),
            event_type=row["eventType"],
            confidence=_optional_number(row["confidence"], f"{label}: confidence", where),
            channels=_optional_text(row["channels"]),
            date_time=_optional_text(row["dateTime"]),
            recording_duration_s=_optional_number(
                row["recordingDuration"], f"{label}: recordingDuration", where
            ),
        )
        _check_event(event, label, recording_duration_s, where)
        events.append(event)
    return events


def _required_number(text: str, label: str, where: str) -> float:
    try:
        number = float(text)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise FixtureError(
            f"{label} must be a number of seconds, got {text!r}",
            "write onset and duration as plain decimal seconds from the recording start",
            where,
        )
    return number


def _optional_number(text: str, label: str, where: str) -> float | None:
    if text == NA or text == "":
        return None
    try:
        number = float(text)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise FixtureError(
            f"{label} must be a number or n/a, got {text!r}",
            "write a plain decimal number, or n/a when unknown",
            where,
        )
    return number


def _optional_text(text: str) -> str | None:
    return None if text == NA or text == "" else text


def _format_number(value: float | None) -> str:
    """Shortest text that reads back as exactly the same float; n/a for None."""
    if value is None:
        return NA
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def _format_text(value: str | None, label: str, where: str) -> str:
    if value is None or value == "":
        return NA
    if any(char in value for char in "\t\r\n"):
        raise FixtureError(
            f"{label} contains a tab or line break: {value!r}",
            "remove tabs and line breaks from the value before writing",
            where,
        )
    return value


def write_events(
    path: str | os.PathLike[str], events: Iterable[Event], recording_duration_s: float
) -> None:
    """Write a ``NAME.events.tsv`` file (header only when there are no events).

    Every line's ``recordingDuration`` is ``recording_duration_s``, whatever the events
    carry. The file is replaced atomically.

    Args:
        path: the events file to write.
        events: the events, written in the given order.
        recording_duration_s: length of the recording in seconds.

    Raises:
        FixtureError: an event lies outside the recording or has a bad value.
    """
    events_path = Path(path)
    where = str(events_path)
    duration_s = _scalar_float("recording_duration_s", recording_duration_s, where)
    lines = ["\t".join(EVENT_COLUMNS)]
    for number, event in enumerate(events, start=1):
        label = f"event {number}"
        _check_event(event, label, duration_s, where)
        cells = [
            _format_number(event.onset_s),
            _format_number(event.duration_s),
            _format_text(event.event_type, f"{label}: eventType", where),
            _format_number(event.confidence),
            _format_text(event.channels, f"{label}: channels", where),
            _format_text(event.date_time, f"{label}: dateTime", where),
            _format_number(duration_s),
        ]
        lines.append("\t".join(cells))
    _write_atomic(events_path, ("\n".join(lines) + "\n").encode("utf-8"))


# --------------------------------------------------------------------------------------
# saving


def save_fixture(path: str | os.PathLike[str], fixture: Fixture,
                 compresslevel: int = 9) -> None:
    """Validate a fixture and write ``NAME.npz`` and ``NAME.events.tsv``.

    The npz is a deflated zip of ``.npy`` members, as ``numpy.savez_compressed`` writes,
    with a fixed time stamp on every member, so the same fixture always gives the same
    bytes (regenerating committed fixtures leaves git with nothing to record). Both files
    are replaced atomically.

    Args:
        path: ``NAME.npz`` (the suffix is added when missing).
        fixture: the fixture; its ``name`` is not stored (the file name is the name).
        compresslevel: deflate level, 1 to 9. The default 9 gives the smallest committed
            files; a generated corpus uses 6, which takes 0.3 s for a 10-hour night where
            9 takes 5 s, for files about 8 % larger.

    Raises:
        FixtureError: the fixture breaks the contract; nothing is written then.
    """
    npz_path = Path(path)
    if not npz_path.name.endswith(".npz"):
        npz_path = npz_path.with_name(npz_path.name + ".npz")
    validate_fixture(fixture, npz_path)
    arrays: dict[str, NDArray[Any]] = {
        "acc_mg": np.asarray(fixture.acc_mg, dtype=np.int16),
        "acc_hz": np.asarray(float(fixture.acc_hz), dtype=np.float64),
        "beat_s": np.asarray(fixture.beat_s, dtype=np.float64),
        "duration_s": np.asarray(float(fixture.duration_s), dtype=np.float64),
    }
    if fixture.ecg_uv is not None and fixture.ecg_hz is not None:
        arrays["ecg_uv"] = np.asarray(fixture.ecg_uv, dtype=np.int16)
        arrays["ecg_hz"] = np.asarray(float(fixture.ecg_hz), dtype=np.float64)
    if fixture.start_utc is not None:
        arrays["start_utc"] = np.asarray(fixture.start_utc, dtype=np.str_)
    for key, value in fixture.extras.items():
        arrays[key] = np.asarray(value)

    packed = io.BytesIO()
    # Object arrays were refused by validate_fixture, so nothing here needs pickling.
    # Stored uncompressed here: the members are deflated once, when they are rewritten.
    np.savez(packed, **arrays)  # type: ignore[arg-type]
    _write_atomic(npz_path, _with_fixed_zip_times(packed.getvalue(), compresslevel))
    write_events(events_path_for(npz_path), fixture.events, fixture.duration_s)


def _with_fixed_zip_times(archive: bytes, compresslevel: int) -> bytes:
    """Rewrite a zip archive, deflated, with a fixed member time and sorted member names."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(archive)) as source, zipfile.ZipFile(
        out, "w", compression=zipfile.ZIP_DEFLATED
    ) as target:
        for name in sorted(source.namelist()):
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            target.writestr(info, source.read(name), compresslevel=compresslevel)
    return out.getvalue()


def _write_atomic(path: Path, data: bytes) -> None:
    """Write a file through a temporary sibling so a crash leaves the old file whole."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise FixtureError(
            f"cannot write the file ({exc})",
            "check that the folder exists and is writable",
            str(path),
        ) from exc
