"""Synthetic nights and converted wrist trials: a corpus with fixed splits for the detectors.

No public recording has a convulsive seizure with chest acceleration and every R-R
interval, so the convulsions here are synthesised from published kinematics and heart-rate
responses and set into synthetic nights. The nights carry the things a detector must not
alarm on: posture changes, breathing, arousals, rhythmic sleep movements, shivering and
real out-of-bed activity taken from the HMP wrist trials (Bruno et al. 2013, CC BY 4.0).
Every modelling choice below names its source or says that it is an assumption;
``docs/CORPUS.md`` collects them. Results on this corpus are bench results, not clinical
claims.

Patch frame (chest patch, as the device mounts it): +x towards the patient's left, +y
towards the head, +z out of the chest. The accelerometer reads +1000 mg along the axis that
points up, so supine is z = +1000, prone z = -1000, left side x = -1000, right side
x = +1000 and upright y = +1000. Samples are 25 Hz int16 milli-g, clipped to the +-8 g
range.

Entry points:

* :func:`generate_night`: one seeded night as a :class:`~ictalog.fixture.Fixture`.
* :func:`convert_hmp_trials`: the real wrist trials as short acceleration-only fixtures.
* :func:`build_corpus`: many nights, a fixed train/validation/test split and a
  ``corpus.json`` manifest.
* :func:`write_demo_fixtures`: the two small nights committed under ``tests/fixtures``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ictalog.errors import IctalogError
from ictalog.fixture import Event, Fixture, resample, save_fixture

__all__ = [
    "ACC_HZ",
    "CorpusError",
    "DEFAULT_NIGHTS",
    "DEMO_NIGHTS",
    "HMP_HZ",
    "HmpTrial",
    "MIMIC_KINDS",
    "NightSpec",
    "SPLITS",
    "WRIST_TO_PATCH",
    "build_corpus",
    "convert_hmp_trials",
    "corpus_plan",
    "default_hmp_dir",
    "generate_night",
    "hmp_split",
    "hmp_trials_used",
    "load_hmp_trials",
    "night_seed",
    "read_hmp_trial",
    "resample",
    "split_for",
    "write_demo_fixtures",
]

_log = logging.getLogger(__name__)

# --------------------------------------------------------------------------------------
# constants: the device


#: Accelerometer rate of the wearable (BRIEF.md).
ACC_HZ = 25.0
#: Full-scale range, +-8 g (BRIEF task); samples are clipped here.
ACC_RANGE_MG = 8000
#: One LSB of a 12-bit reading over +-8 g (16 g / 4096). The BMA400 is a 12-bit part with a
#: +-8 g range (Bosch datasheet summary); the LIS2DH12 in high-resolution mode at +-8 g
#: gives 4 mg/digit (datasheet, unverified). Readings are quantised to this step.
ACC_LSB_MG = 16000.0 / 4096.0
#: White analog noise per axis before quantisation. Assumption: HARDWARE.md gives no noise
#: figure; MEMS parts of this class quote roughly 100 to 250 ug/sqrt(Hz), about 0.5 to
#: 1 mg rms over a 12 Hz band. 1.5 mg leaves room for mounting and supply noise; with the
#: quantisation the total is about 1.9 mg rms per axis.
ACC_NOISE_MG = 1.5
#: R-R resolution of the MAX30003 R-to-R detector, 256 / 32768 s (HARDWARE.md). Beat times
#: are placed on this grid.
RTOR_LSB_S = 1.0 / 128.0

#: Sampling rate of the HMP wrist trials (SOURCE.txt).
HMP_HZ = 32.0
#: Wrist frame (SOURCE.txt: x towards the hand, y towards the left, z out of the back of
#: the right hand) to patch frame, as the arm hangs beside the standing body: the hand
#: points down (wrist x = -patch y), the back of the right hand faces the patient's right
#: (wrist z = -patch x), so wrist y = patch z. ``patch = wrist @ WRIST_TO_PATCH.T``. Check:
#: the HMP walking trials average (-0.85, 0.30, 0.19) g, which maps to y = +850 mg, upright.
WRIST_TO_PATCH: NDArray[np.float64] = np.array(
    [[0.0, 0.0, -1.0], [-1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
)

#: The kinds of mimic a night can hold; each becomes an event ``mimic_<kind>``.
MIMIC_KINDS: tuple[str, ...] = (
    "rocking",
    "scratching",
    "plms",
    "shivering",
    "arousal",
    "brushing",
    "combing",
)
#: Mimics cut from the real HMP trials; each one sits in its own out-of-bed episode.
HMP_MIMICS = {"brushing": "Brush_teeth", "combing": "Comb_hair"}
#: Event types written by the generator besides ``mimic_<kind>``.
SEIZURE_EVENT = "sz_tonic_clonic"
OUT_OF_BED_EVENT = "bckg_out_of_bed"
TURN_EVENT = "bckg_turn"

#: Splits, their shares and the rule that fixes them (see :func:`split_for`).
SPLITS: tuple[str, ...] = ("train", "validation", "test")
SPLIT_SHARES: tuple[float, ...] = (0.6, 0.2, 0.2)
#: Convulsive seizures per night by night index, repeating: half the nights are
#: seizure-free, and every six nights hold four seizures.
SEIZURE_PATTERN: tuple[int, ...] = (0, 1, 2, 0, 1, 0)
#: 256 nights give a test split of 60 nights with 42 seizures: enough for a sensitivity
#: of 97 % or a false-alarm rate near 0.02 a night to mean something (docs/CORPUS.md).
#: The first 64 are the nights the detector and prefilter were designed on; a night's
#: content and split do not depend on how many nights the corpus has.
DEFAULT_NIGHTS = 256
DEFAULT_HOURS = 10.0
DEFAULT_START_UTC = "2025-01-06T22:30:00+00:00"

# Lying postures and their shares of time in bed: side 54.1%, back 37.5%, front 7.3%
# (Skarpsno et al. 2017, free-living accelerometry of 664 adults); side is split evenly.
_LYING_KINDS = ("supine", "left", "right", "prone")
_LYING_SHARES = np.array([37.5, 27.05, 27.05, 7.3]) / 98.9
# Posture shifts: 1.6 (SD 0.7) per hour (Skarpsno et al. 2017); we draw a night's rate
# from 1.2 to 3.0 per hour ("a few per hour", BRIEF task). Each turn lasts 2 to 6 s.
_TURNS_PER_H = (1.2, 3.0)
_TURN_S = (2.0, 6.0)

_HMP_ACTIVITIES = ("Getup_bed", "Liedown_bed", "Walk", "Brush_teeth", "Comb_hair")
# The chest sees less of an arm movement than the wrist. Assumption: the wrist trials'
# motion (gravity removed) is scaled by 0.5 before it is added to the patch; deliberately
# on the large side, so that the mimics stay hard for a detector.
_WRIST_TO_CHEST_GAIN = 0.5
# Quiet time at both edges of a recording, with no episode in it.
_EDGE_S = 60.0
_SEIZURE_SPACING_S = 1800.0


class CorpusError(IctalogError):
    """A night cannot be generated as asked, or the HMP trials cannot be read."""


# --------------------------------------------------------------------------------------
# small numeric helpers


def _unit(v: NDArray[np.float64]) -> NDArray[np.float64]:
    norm = np.linalg.norm(v, axis=-1, keepdims=True)
    return np.asarray(v / np.maximum(norm, 1e-12), dtype=np.float64)


def _smoothstep(u: NDArray[np.float64]) -> NDArray[np.float64]:
    """Raised-cosine ramp from 0 to 1 over u in [0, 1]."""
    return np.asarray(0.5 - 0.5 * np.cos(np.pi * np.clip(u, 0.0, 1.0)))


def _rotate(v: NDArray[np.float64], axis: NDArray[np.float64],
            angle_rad: NDArray[np.float64] | float) -> NDArray[np.float64]:
    """Rotate vectors about an axis (Rodrigues); v (N, 3), axis (3,) or (N, 3)."""
    k = _unit(np.broadcast_to(axis, np.shape(v)).astype(np.float64))
    a = np.asarray(angle_rad, dtype=np.float64)[..., None] if np.ndim(angle_rad) else angle_rad
    cos, sin = np.cos(a), np.sin(a)
    dot = np.sum(k * v, axis=-1, keepdims=True)
    return np.asarray(v * cos + np.cross(k, v) * sin + k * dot * (1.0 - cos))


def _slerp(v0: NDArray[np.float64], v1: NDArray[np.float64],
           frac: NDArray[np.float64]) -> NDArray[np.float64]:
    """Great-circle path between two unit vectors; near-opposite ones go via a third.

    A turn from supine to prone passes through a side, and one from left to right through
    supine, the way a body rolls; the order of the candidate waypoints encodes that.
    """
    frac = np.asarray(frac, dtype=np.float64)
    cos_angle = float(np.clip(np.dot(v0, v1), -1.0, 1.0))
    if cos_angle < -0.5:
        for axis in (np.array([0.0, 0.0, 1.0]), np.array([1.0, 0.0, 0.0]),
                     np.array([0.0, 1.0, 0.0])):
            if abs(float(np.dot(axis, v0))) < 0.6:
                c = axis if float(np.dot(axis, v0 + v1)) >= 0.0 else -axis
                mid = _unit(c - 0.5 * np.dot(c, v0) * v0 - 0.5 * np.dot(c, v1) * v1)
                break
        first = frac < 0.5
        out = np.empty((frac.size, 3))
        out[first] = _slerp(v0, mid, frac[first] * 2.0)
        out[~first] = _slerp(mid, v1, frac[~first] * 2.0 - 1.0)
        return out
    angle = math.acos(cos_angle)
    if angle < 1e-6:
        return np.tile(v0, (frac.size, 1))
    w0 = np.sin((1.0 - frac) * angle) / math.sin(angle)
    w1 = np.sin(frac * angle) / math.sin(angle)
    return np.asarray(w0[:, None] * v0 + w1[:, None] * v1)


def _band_noise(rng: np.random.Generator, n: int, lo_hz: float, hi_hz: float,
                rate_hz: float = ACC_HZ, axes: int = 3) -> NDArray[np.float64]:
    """White noise band-limited to [lo_hz, hi_hz] by an FFT mask, unit rms per axis."""
    if n < 4:
        return np.zeros((n, axes))
    spectrum = np.fft.rfft(rng.standard_normal((n, axes)), axis=0)
    freqs_hz = np.fft.rfftfreq(n, 1.0 / rate_hz)
    spectrum[(freqs_hz < lo_hz) | (freqs_hz > hi_hz)] = 0.0
    out = np.fft.irfft(spectrum, n, axis=0)
    rms = np.sqrt(np.mean(out**2, axis=0, keepdims=True))
    return np.asarray(out / np.maximum(rms, 1e-12))


def _ou_series(rng: np.random.Generator, n: int, tau_steps: float,
               sigma: float) -> NDArray[np.float64]:
    """Ornstein-Uhlenbeck series (slow drift), one value per step, stationary start."""
    decay = math.exp(-1.0 / tau_steps)
    kick = sigma * math.sqrt(1.0 - decay * decay)
    shocks = rng.standard_normal(n) * kick
    out = np.empty(n)
    value = rng.standard_normal() * sigma
    for i in range(n):
        value = value * decay + shocks[i]
        out[i] = value
    return out


def _seconds_text(start_utc: str | None, offset_s: float) -> str | None:
    if start_utc is None:
        return None
    moment = datetime.fromisoformat(start_utc) + timedelta(seconds=offset_s)
    return moment.isoformat(timespec="milliseconds")


def _unit_hash(text: str) -> float:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64


# --------------------------------------------------------------------------------------
# HMP wrist trials


@dataclass(frozen=True)
class HmpTrial:
    """One HMP trial, resampled to 25 Hz and turned into the patch frame.

    Attributes:
        path: the source text file.
        activity: its folder, for example ``Getup_bed``.
        volunteer: the volunteer code from the file name, for example ``f1``.
        n_source: number of 32 Hz samples in the file.
        acc_mg: float64 (N, 3) milli-g in the patch frame at 25 Hz.
    """

    path: Path
    activity: str
    volunteer: str
    n_source: int
    acc_mg: NDArray[np.float64]

    @property
    def split(self) -> str:
        """The split this trial belongs to (see :func:`hmp_split`)."""
        return hmp_split(self.path.name)

    @cached_property
    def dynamic_mg(self) -> NDArray[np.float64]:
        """The motion without gravity: the trial minus its 1 s moving average."""
        return _minus_moving_average(self.acc_mg, int(ACC_HZ))


def _minus_moving_average(x: NDArray[np.float64], width: int) -> NDArray[np.float64]:
    kernel = np.ones(width) / width
    padded = np.pad(x, ((width, width), (0, 0)), mode="edge")
    smooth = np.stack(
        [np.convolve(padded[:, c], kernel, mode="same") for c in range(x.shape[1])], axis=1
    )[width:-width]
    return np.asarray(x - smooth)


def default_hmp_dir() -> Path:
    """The HMP folder: ``$ICTALOG_HMP_DIR`` or ``../shared/data/hmp-adl-wrist``."""
    env = os.environ.get("ICTALOG_HMP_DIR")
    if env:
        return Path(env)
    repo_root = Path(__file__).resolve().parents[2]
    return repo_root.parent / "shared" / "data" / "hmp-adl-wrist"


def hmp_split(file_name: str) -> str:
    """The split of one HMP trial, fixed by a hash of its file name.

    Nights of one split draw their out-of-bed trials from that split's trials only, so
    a real trial never appears in both a training and a test night.

    Args:
        file_name: the trial's file name (without folder).

    Returns:
        ``train``, ``validation`` or ``test``.
    """
    return _split_of(_unit_hash(f"ictalog-hmp-split:{file_name}"))


def read_hmp_trial(path: str | os.PathLike[str]) -> NDArray[np.float64]:
    """Read one HMP trial file as milli-g in the wrist frame at 32 Hz.

    Args:
        path: a text file of lines ``x y z``, integers 0..63.

    Returns:
        float64 (N, 3) milli-g; g = -1.5 + value / 63 * 3 (SOURCE.txt).

    Raises:
        CorpusError: the file is missing or not in that format.
    """
    trial_path = Path(path)
    try:
        values = np.array(trial_path.read_text(encoding="ascii").split(), dtype=np.int64)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise CorpusError(f"cannot read the HMP trial ({exc})",
                          "check the file; each line holds three integers 0..63",
                          str(trial_path)) from exc
    if values.size == 0 or values.size % 3 or values.min() < 0 or values.max() > 63:
        raise CorpusError("not an HMP trial: expected lines of three integers 0..63",
                          "point the converter at the hmp-adl-wrist folder", str(trial_path))
    return np.asarray((-1.5 + values.reshape(-1, 3) / 63.0 * 3.0) * 1000.0)


def _trial_from_file(path: Path) -> HmpTrial:
    wrist_mg = read_hmp_trial(path)
    patch_32 = wrist_mg @ WRIST_TO_PATCH.T
    volunteer = path.stem.rsplit("-", 1)[-1]
    return HmpTrial(path=path, activity=path.parent.name, volunteer=volunteer,
                    n_source=wrist_mg.shape[0], acc_mg=resample(patch_32, HMP_HZ, ACC_HZ))


@lru_cache(maxsize=4)
def _cached_trials(folder: str, activities: tuple[str, ...]) -> tuple[HmpTrial, ...]:
    root = Path(folder)
    trials = []
    for activity in activities:
        for path in sorted((root / activity).glob("*.txt")):
            trials.append(_trial_from_file(path))
    return tuple(trials)


def load_hmp_trials(data_dir: str | os.PathLike[str] | None = None,
                    activities: Iterable[str] = _HMP_ACTIVITIES) -> tuple[HmpTrial, ...]:
    """Load HMP trials (cached), resampled to 25 Hz in the patch frame.

    Args:
        data_dir: the ``hmp-adl-wrist`` folder; None for :func:`default_hmp_dir`.
        activities: activity folders to read.

    Returns:
        The trials, by activity then file name.

    Raises:
        CorpusError: the folder or an activity folder is missing or empty.
    """
    root = Path(data_dir) if data_dir is not None else default_hmp_dir()
    wanted = tuple(activities)
    for activity in wanted:
        if not any((root / activity).glob("*.txt")):
            raise CorpusError(
                f"no HMP trials in {root / activity}",
                "give the hmp-adl-wrist folder (../shared/data/hmp-adl-wrist beside the "
                "checkout) with --hmp-dir or ICTALOG_HMP_DIR, or generate nights with "
                "out_of_bed=0 and without the brushing and combing mimics",
                str(root),
            )
    return _cached_trials(str(root.resolve()), wanted)


def convert_hmp_trials(data_dir: str | os.PathLike[str],
                       out_dir: str | os.PathLike[str],
                       activities: Iterable[str] | None = None) -> list[Path]:
    """Write the real wrist trials as short acceleration-only fixtures.

    Each trial is resampled from 32 to 25 Hz and turned into the patch frame with
    :data:`WRIST_TO_PATCH` (wrist motion standing in for chest motion). The fixture has no
    beats (``beat_s`` empty) and one event spanning the whole trial: ``mimic_brushing``,
    ``mimic_combing``, or ``bckg_<activity>`` for the others. The fixtures keep the data's
    licence (CC BY 4.0; cite Bruno et al. 2013, see SOURCE.txt).

    Args:
        data_dir: the ``hmp-adl-wrist`` folder (one sub-folder per activity).
        out_dir: where to write ``hmp_<activity>_<volunteer>_<time>.npz``; created.
        activities: activity folders to convert; None for all of them.

    Returns:
        The npz paths written, in order.

    Raises:
        CorpusError: the folder holds no trials or a trial cannot be read.
    """
    root = Path(data_dir)
    folders = sorted(p.name for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
    chosen = list(activities) if activities is not None else folders
    if not chosen or not any(any((root / a).glob("*.txt")) for a in chosen):
        raise CorpusError("no HMP trials found", "give the hmp-adl-wrist folder", str(root))
    target = Path(out_dir)
    target.mkdir(parents=True, exist_ok=True)
    mimic_of = {folder: kind for kind, folder in HMP_MIMICS.items()}
    written = []
    for activity in chosen:
        for path in sorted((root / activity).glob("*.txt")):
            trial = _trial_from_file(path)
            acc = _to_int16_mg(trial.acc_mg)
            duration_s = acc.shape[0] / ACC_HZ
            kind = mimic_of.get(activity)
            event_type = f"mimic_{kind}" if kind else f"bckg_{activity.lower()}"
            stamp = path.stem.split("-", 1)[1].rsplit("-", 2)[0].replace("-", "")
            name = f"hmp_{activity.lower()}_{trial.volunteer}_{stamp}"
            fixture = Fixture(
                acc_mg=acc, acc_hz=ACC_HZ, beat_s=np.zeros(0), duration_s=duration_s,
                events=(Event(0.0, duration_s, event_type, confidence=1.0,
                              recording_duration_s=duration_s),),
                name=name,
            )
            out = target / f"{name}.npz"
            save_fixture(out, fixture)
            written.append(out)
    return written


def _to_int16_mg(acc_mg: NDArray[np.float64]) -> NDArray[np.int16]:
    return np.clip(np.rint(acc_mg), -ACC_RANGE_MG, ACC_RANGE_MG).astype(np.int16)


# --------------------------------------------------------------------------------------
# the night: schedule


@dataclass
class _Episode:
    """One scheduled thing in a night: start, length and what it needs."""

    kind: str
    duration_s: float
    guard_before_s: float
    guard_after_s: float
    params: dict[str, Any] = field(default_factory=dict)
    start_s: float = -1.0

    @property
    def end_s(self) -> float:
        return self.start_s + self.duration_s


def _place(rng: np.random.Generator, busy: list[tuple[float, float]], episode: _Episode,
           total_s: float, tries: int = 400) -> bool:
    """Find a random free time for an episode (sets its start); False if there is none."""
    lo_s = _EDGE_S + episode.guard_before_s
    hi_s = total_s - _EDGE_S - episode.guard_after_s - episode.duration_s
    if hi_s <= lo_s:
        return False
    for _ in range(tries):
        start_s = float(rng.uniform(lo_s, hi_s))
        a = start_s - episode.guard_before_s
        b = start_s + episode.duration_s + episode.guard_after_s
        if all(b <= s0 or a >= s1 for s0, s1 in busy):
            episode.start_s = start_s
            return True
    return False


@dataclass
class _Posture:
    kind: str
    up: NDArray[np.float64]  # unit vector: the patch-frame direction that points up


def _lying_posture(rng: np.random.Generator, kind: str) -> _Posture:
    """A lying posture with a pillow and a little roll.

    Assumptions: the head end is raised 5 to 20 degrees by a pillow (so y reads about
    +90 to +340 mg); back and front lying roll by N(0, 8) degrees, side lying by N(0, 15)
    degrees towards semi-supine or semi-prone.
    """
    head_rad = math.radians(rng.uniform(5.0, 20.0))
    if kind in ("supine", "prone"):
        roll_rad = math.radians(rng.normal(0.0, 8.0))
        z = math.cos(head_rad) * (1.0 if kind == "supine" else -1.0)
        up = np.array([0.0, math.sin(head_rad), z])
        up = _rotate(up[None, :], np.array([0.0, 1.0, 0.0]), roll_rad)[0]
    else:
        roll_rad = math.radians(rng.normal(0.0, 15.0))
        sign = -1.0 if kind == "left" else 1.0
        up = np.array([sign * math.cos(roll_rad), math.sin(head_rad), math.sin(roll_rad)])
    return _Posture(kind, _unit(up))


def _upright(rng: np.random.Generator, sitting: bool = False) -> NDArray[np.float64]:
    """Standing leans forward 0 to 10 degrees, sitting leans back 10 to 30 (assumption)."""
    if sitting:
        lean = math.radians(rng.uniform(10.0, 30.0))
        return np.array([0.0, math.cos(lean), math.sin(lean)])
    lean = math.radians(rng.uniform(0.0, 10.0))
    return np.array([0.0, math.cos(lean), -math.sin(lean)])


def _new_lying_kind(rng: np.random.Generator, avoid: str | None) -> str:
    shares = _LYING_SHARES.copy()
    if avoid in _LYING_KINDS:
        shares[_LYING_KINDS.index(avoid)] = 0.0
    return str(rng.choice(_LYING_KINDS, p=shares / shares.sum()))


@dataclass(frozen=True)
class NightSpec:
    """What one night of a corpus holds, fixed before it is generated.

    Attributes:
        index: the night's number in the corpus.
        name: fixture name, ``night_NNN``.
        seed: the night's own seed (from the corpus seed and the index).
        split: ``train``, ``validation`` or ``test``.
        seizures: convulsive seizures in the night.
        hours: length of the night.
        start_utc: wall-clock start of the recording.
    """

    index: int
    name: str
    seed: int
    split: str
    seizures: int
    hours: float
    start_utc: str


def _split_of(u: float) -> str:
    edge = 0.0
    for split, share in zip(SPLITS, SPLIT_SHARES):
        edge += share
        if u < edge:
            return split
    return SPLITS[-1]


def split_for(seed: int, index: int) -> str:
    """The split of night ``index`` of the corpus with ``seed``.

    A seeded hash of the index, so a night keeps its split however many nights the corpus
    has: 60% train, 20% validation, 20% test on average.

    Args:
        seed: the corpus seed.
        index: the night's number.

    Returns:
        ``train``, ``validation`` or ``test``.
    """
    return _split_of(_unit_hash(f"ictalog-corpus-split:{seed}:{index}"))


def night_seed(seed: int, index: int) -> int:
    """The seed of night ``index`` of the corpus with ``seed`` (a 63-bit hash)."""
    digest = hashlib.sha256(f"ictalog-corpus-night:{seed}:{index}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def corpus_plan(nights: int = DEFAULT_NIGHTS, seed: int = 0,
                hours: float = DEFAULT_HOURS) -> list[NightSpec]:
    """The nights a corpus will hold, without generating them.

    Args:
        nights: number of nights.
        seed: corpus seed.
        hours: length of each night.

    Returns:
        One :class:`NightSpec` per night; seizures follow :data:`SEIZURE_PATTERN`.
    """
    base = datetime.fromisoformat(DEFAULT_START_UTC)
    return [
        NightSpec(
            index=i,
            name=f"night_{i:03d}",
            seed=night_seed(seed, i),
            split=split_for(seed, i),
            seizures=SEIZURE_PATTERN[i % len(SEIZURE_PATTERN)],
            hours=hours,
            start_utc=(base + timedelta(days=i)).isoformat(),
        )
        for i in range(nights)
    ]


# --------------------------------------------------------------------------------------
# the night: builder


class _Night:
    """Arrays of one night under construction, at 25 Hz."""

    def __init__(self, seed: int, hours: float) -> None:
        self.n = int(round(hours * 3600.0 * ACC_HZ))
        self.total_s = self.n / ACC_HZ
        streams = np.random.SeedSequence(seed).spawn(6)
        # Independent streams: changing one part of the model leaves the others' draws.
        self.rng_plan = np.random.default_rng(streams[0])
        self.rng_move = np.random.default_rng(streams[1])
        self.rng_breath = np.random.default_rng(streams[2])
        self.rng_heart = np.random.default_rng(streams[3])
        self.rng_noise = np.random.default_rng(streams[4])
        self.rng_beats = np.random.default_rng(streams[5])
        self.gravity = np.zeros((self.n, 3))
        self.dyn_mg = np.zeros((self.n, 3))
        self.hr_add_bpm = np.zeros(self.n)
        self.hr_gain = np.ones(self.n)  # seizure tachycardia, multiplicative
        self.rsa_gain = np.ones(self.n)
        self.breath_gain = np.ones(self.n)
        self.breath_rate_gain = np.ones(self.n)
        self.events: list[Event] = []
        self.convulsions: list[tuple[float, float, float]] = []  # onset, clonic start, end
        self.hmp_used: list[str] = []

    def i(self, t_s: float) -> int:
        return int(min(max(round(t_s * ACC_HZ), 0), self.n))

    def add_event(self, onset_s: float, duration_s: float, event_type: str) -> None:
        onset_s = round(onset_s, 3)
        duration_s = round(min(duration_s, self.total_s - onset_s), 3)
        self.events.append(Event(onset_s, duration_s, event_type, confidence=1.0))

    # heart-rate shapes ------------------------------------------------------------------

    def hr_pulse(self, t0_s: float, amp_bpm: float, rise_s: float, decay_s: float) -> None:
        """A rise over rise_s, then an exponential decay with time constant decay_s."""
        i0, i1 = self.i(t0_s), self.i(t0_s + rise_s + 6.0 * decay_s)
        t = (np.arange(i0, i1) / ACC_HZ) - t0_s
        shape = np.where(t < rise_s, _smoothstep(t / max(rise_s, 1e-6)),
                         np.exp(-(t - rise_s) / decay_s))
        self.hr_add_bpm[i0:i1] += amp_bpm * shape

    def hr_plateau(self, t0_s: float, t1_s: float, amp_bpm: float,
                   ramp_s: float = 20.0, decay_s: float = 60.0) -> None:
        i0, i1 = self.i(t0_s), self.i(t1_s + 6.0 * decay_s)
        t = np.arange(i0, i1) / ACC_HZ
        shape = np.where(t < t1_s, _smoothstep((t - t0_s) / ramp_s),
                         np.exp(-(t - t1_s) / decay_s))
        self.hr_add_bpm[i0:i1] += amp_bpm * shape


# Movement bursts ----------------------------------------------------------------------


def _movement(rng: np.random.Generator, n: int, amp_mg: float, lo_hz: float,
              hi_hz: float, weights: tuple[float, float, float] = (1.0, 1.0, 1.0)
              ) -> NDArray[np.float64]:
    """A band-limited burst under a Hann envelope, peak amplitude about amp_mg."""
    if n < 4:
        return np.zeros((n, 3))
    burst = _band_noise(rng, n, lo_hz, hi_hz) * np.hanning(n)[:, None]
    return np.asarray(burst * np.array(weights) * amp_mg / 2.0)


def _turn_block(night: _Night, ep: _Episode, p_in: _Posture) -> tuple[_Posture, int]:
    """A turn: 2 to 6 s of movement while the trunk rolls to a new lying posture.

    The roll follows a raised-cosine path; on top, a 0.5 to 4 Hz burst of 50 to 250 mg
    (assumption) stands for the limbs and the mattress.
    """
    rng = night.rng_move
    p_out = _lying_posture(rng, _new_lying_kind(rng, p_in.kind))
    i0, i1 = night.i(ep.start_s), night.i(ep.end_s)
    frac = _smoothstep(np.linspace(0.0, 1.0, i1 - i0))
    night.gravity[i0:i1] = _slerp(p_in.up, p_out.up, frac)
    night.dyn_mg[i0:i1] += _movement(rng, i1 - i0, rng.uniform(50.0, 250.0), 0.5, 4.0)
    night.hr_pulse(ep.start_s, rng.uniform(3.0, 8.0), 3.0, 15.0)  # assumption
    night.add_event(ep.start_s, ep.duration_s, TURN_EVENT)
    return p_out, i1


def _out_of_bed_block(night: _Night, ep: _Episode, p_in: _Posture) -> tuple[_Posture, int]:
    """Get up, walk, maybe brush or comb, stand, walk back, lie down: real wrist motion.

    The trunk's orientation comes from the posture model (lying, sitting, standing), since
    a wrist's orientation says little about the chest's; the motion on top is the HMP
    trial's own, gravity removed, turned into the patch frame and scaled by
    ``_WRIST_TO_CHEST_GAIN``. Getting up and lying down pass through sitting halfway.
    """
    rng = night.rng_move
    segments: list[tuple[str, HmpTrial | None, int]] = ep.params["segments"]
    stand = _upright(rng)
    sit = _upright(rng, sitting=True)
    p_out = _lying_posture(rng, _new_lying_kind(rng, None))
    cursor = night.i(ep.start_s)
    for label, trial, length in segments:
        a, b = cursor, min(cursor + length, night.n)
        n_seg = b - a
        if label == "getup" or label == "liedown":
            frac = np.linspace(0.0, 1.0, n_seg)
            first = frac < 0.45
            last = frac > 0.55
            lying = p_in.up if label == "getup" else p_out.up
            path = np.tile(sit, (n_seg, 1))
            if label == "getup":
                path[first] = _slerp(lying, sit, _smoothstep(frac[first] / 0.45))
                path[last] = _slerp(sit, stand, _smoothstep((frac[last] - 0.55) / 0.45))
            else:
                path[first] = _slerp(stand, sit, _smoothstep(frac[first] / 0.45))
                path[last] = _slerp(sit, lying, _smoothstep((frac[last] - 0.55) / 0.45))
            night.gravity[a:b] = path
        else:
            night.gravity[a:b] = stand
        if trial is not None:
            night.dyn_mg[a:b] += _WRIST_TO_CHEST_GAIN * trial.dynamic_mg[:n_seg]
            night.hmp_used.append(f"{trial.activity}/{trial.path.name}")
        else:
            # Standing still (toilet, sink): 0.1 to 1 Hz postural sway of 10 to 30 mg.
            night.dyn_mg[a:b] += _movement(rng, n_seg, rng.uniform(10.0, 30.0), 0.1, 1.0)
        if label in HMP_MIMICS:
            night.add_event(a / ACC_HZ, n_seg / ACC_HZ, f"mimic_{label}")
        cursor = b
    night.breath_rate_gain[night.i(ep.start_s):cursor] *= 1.25  # awake, moving
    # Upright and walking raise the heart rate by 10 to 25 bpm (assumption).
    night.hr_plateau(ep.start_s, ep.end_s, rng.uniform(10.0, 25.0), 20.0, 60.0)
    night.add_event(ep.start_s, ep.duration_s, OUT_OF_BED_EVENT)
    return p_out, cursor


def _seizure_block(night: _Night, ep: _Episode, p_in: _Posture) -> tuple[_Posture, int]:
    """A generalised convulsion: tonic stiffening, slowing clonic jerks, stillness.

    Synthesised at 200 Hz and reduced to 25 Hz by :func:`resample`, whose ideal low-pass
    stands for the accelerometer's own filter (the BMA400 filters at 0.48 x ODR).

    * Tonic phase, ``tonic_s`` (10 to 20 s; Gastaut's description, about 20 s): the trunk
      stiffens and tilts 10 to 30 degrees within 2 s and holds (assumption). The tonic EMG
      lies at 100 to 500 Hz (Conradsen et al. 2011), far above the 12.5 Hz Nyquist, so the
      patch sees it only as a tremor that grows from 20 mg to 60 to 200 mg at 6 to 10 Hz
      (the "tremulousness" between tonic and clonic phases, Theodore et al. 1994;
      frequency and amplitude are assumptions).
    * Clonic phase, ``clonic_s`` (30 to 90 s): jerks whose interval grows linearly from
      1/f0 to 1/f1, f0 in 3 to 5 Hz and f1 in 0.7 to 1.3 Hz. Clonic twitches repeat at
      0.2 to 5 Hz (ILAE definition, quoted by the Case Western 2025 sEMG study); their
      rate falls from the beginning to the end of a seizure as bursts and silent periods
      lengthen (that study; Beniczky et al. 2014 on the silent periods of GTCS). Each jerk
      is the second derivative of a displacement bump (width growing from 35 to 80 ms),
      600 to 2500 mg at the peak before filtering, plus a 3 to 8 degree tilt of the trunk
      that returns before the next jerk. The amplitude grows over the first 10 s (as sEMG
      burst amplitude does, Case Western 2025) and falls to 60% by the end (assumption).
    * After the clonic phase the body settles in 3 s, half the time into another lying
      posture (assumption), and stays still for the post-ictal period (2 to 10 min;
      assumption) with deep, faster breathing (stertorous breathing after GTCS, Duncan,
      UpToDate table; amplitude x2, rate x1.3, assumption).
    """
    rng = night.rng_move
    pr = ep.params
    tonic_s, clonic_s = pr["tonic_s"], pr["clonic_s"]
    onset_s = ep.start_s
    conv_s = tonic_s + clonic_s
    settle_s = 3.0
    hi_hz = 200.0
    n_hi = int(round((conv_s + settle_s) * hi_hz))
    n_hi -= n_hi % 8
    t = np.arange(n_hi) / hi_hz
    lin = np.zeros((n_hi, 3))
    tilt_rad = np.zeros(n_hi)

    # Direction of the jerks: mostly along the body's long axis and out of the chest.
    jerk_dir = _unit(rng.normal(0.0, 1.0, 3) * np.array([0.4, 1.0, 0.8]))
    # Tonic: tremor growing over the phase.
    tonic = t < tonic_s
    tremor_hz = rng.uniform(6.0, 10.0)
    tremor_mg = 20.0 + (rng.uniform(60.0, 200.0) - 20.0) * np.clip(t / tonic_s, 0.0, 1.0)
    tremor_dir = _unit(rng.normal(0.0, 1.0, 3))
    phase = 2.0 * np.pi * tremor_hz * t + rng.uniform(0, 2 * np.pi)
    wobble = 1.0 + 0.3 * _band_noise(rng, n_hi, 0.2, 2.0, hi_hz, axes=1)[:, 0]
    lin[tonic] += (tremor_mg * np.sin(phase) * wobble)[tonic, None] * tremor_dir
    tonic_angle = math.radians(rng.uniform(10.0, 30.0))
    tilt_rad += tonic_angle * _smoothstep(t / 2.0) * (t < conv_s)

    # Clonic: jerk train with a lengthening interval.
    f0_hz, f1_hz = rng.uniform(3.0, 5.0), rng.uniform(0.7, 1.3)
    period0_s, period1_s = 1.0 / f0_hz, 1.0 / f1_hz
    peak_mg = rng.uniform(600.0, 2500.0)
    tilt_max_rad = math.radians(rng.uniform(3.0, 8.0))
    jerk_t = 0.0
    while jerk_t < clonic_s:
        frac = jerk_t / clonic_s
        period_s = period0_s + (period1_s - period0_s) * frac
        envelope = min(1.0, 0.4 + 0.6 * jerk_t / 10.0) * (1.0 - 0.4 * frac)
        amp_mg = peak_mg * envelope * math.exp(rng.normal(0.0, 0.15))
        sigma_s = 0.035 + 0.045 * frac
        centre_s = tonic_s + jerk_t
        a = max(0, int((centre_s - 4 * sigma_s) * hi_hz))
        b = min(n_hi, int((centre_s + 4 * sigma_s) * hi_hz) + 1)
        u = (t[a:b] - centre_s) / sigma_s
        pulse = (u * u - 1.0) * np.exp(-0.5 * u * u)  # second derivative of a bump
        direction = _unit(jerk_dir + rng.normal(0.0, 0.15, 3))
        lin[a:b] += (amp_mg * pulse)[:, None] * direction
        width_s = min(0.7 * period_s, 0.5)
        a = max(0, int((centre_s - 0.3 * width_s) * hi_hz))
        b = min(n_hi, int((centre_s + 0.7 * width_s) * hi_hz) + 1)
        v = (t[a:b] - (centre_s - 0.3 * width_s)) / width_s
        tilt_rad[a:b] += tilt_max_rad * envelope * np.sin(np.pi * np.clip(v, 0, 1)) ** 2
        jerk_t += period_s * (1.0 + 0.05 * rng.standard_normal())

    # Down to 25 Hz through the ideal low-pass.
    lin_25 = resample(lin, hi_hz, ACC_HZ)
    tilt_25 = resample(tilt_rad[:, None], hi_hz, ACC_HZ)[:, 0]
    i0 = night.i(onset_s)
    n_25 = min(lin_25.shape[0], night.n - i0)
    i1 = i0 + n_25

    # Posture: tilt about an axis across the body, then settle into p_out.
    if rng.uniform() < 0.5:
        p_out = _lying_posture(rng, _new_lying_kind(rng, p_in.kind))
    else:
        p_out = p_in
    axis = np.cross(p_in.up, np.array([0.0, 1.0, 0.0]))
    if np.linalg.norm(axis) < 0.3:
        axis = np.array([1.0, 0.0, 0.0])
    g = _rotate(np.tile(p_in.up, (n_25, 1)), axis, tilt_25[:n_25])
    t25 = np.arange(n_25) / ACC_HZ
    settle = t25 >= conv_s
    if settle.any():
        frac = _smoothstep((t25[settle] - conv_s) / settle_s)
        start_up = g[np.argmax(settle) - 1] if np.argmax(settle) > 0 else p_in.up
        g[settle] = _slerp(_unit(start_up), p_out.up, frac)
    night.gravity[i0:i1] = g
    night.dyn_mg[i0:i1] += lin_25[:n_25]

    # Post-ictal breathing: deeper and faster, fading over the post-ictal period.
    post_i0 = night.i(onset_s + conv_s)
    post_i1 = night.i(ep.end_s)
    fade = 1.0 - np.linspace(0.0, 1.0, post_i1 - post_i0)
    night.breath_gain[post_i0:post_i1] *= 1.0 + 1.0 * fade
    night.breath_rate_gain[post_i0:post_i1] *= 1.0 + 0.3 * fade

    # Ictal tachycardia (ANCHORS.md): a rise in 96% of seizures, mean +60% (0 to 160%);
    # about 75 to 143 bpm in secondarily generalised seizures, the rise starting before
    # the motor phase in all 13; lasting minutes. Here every seizure rises by 60 to 120%,
    # starting 2 to 30 s before motor onset, peaking 10 to 30 s after it, holding to the
    # end of the clonic phase, then decaying with a 2 to 5 min time constant. The 4% of
    # seizures without a rise are not modelled (a limitation: HR-only detection looks
    # better here than it would in patients).
    rise = pr["hr_rise"]
    lead_s, peak_s = pr["hr_lead_s"], pr["hr_peak_s"]
    tau_s = pr["hr_tau_s"]
    r0 = night.i(onset_s - lead_s)
    r1 = night.i(onset_s + conv_s + 6.0 * tau_s)
    tt = np.arange(r0, r1) / ACC_HZ - (onset_s - lead_s)
    ramp_s = lead_s + peak_s
    activation = np.where(
        tt < ramp_s, _smoothstep(tt / ramp_s),
        np.where(tt < lead_s + conv_s, 1.0, np.exp(-(tt - lead_s - conv_s) / tau_s)),
    )
    night.hr_gain[r0:r1] *= 1.0 + rise * activation
    night.rsa_gain[r0:r1] *= 1.0 - 0.8 * activation  # vagal withdrawal (assumption)

    night.convulsions.append((onset_s, onset_s + tonic_s, onset_s + conv_s))
    night.add_event(onset_s, conv_s, SEIZURE_EVENT)
    return p_out, i1


def _rocking(night: _Night, ep: _Episode) -> None:
    """Sleep-related rhythmic movement: body rocking or rolling at 0.5 to 2 per second.

    The rate is the ICSD-3 definition (MedLink, sleep-related rhythmic movement disorder).
    Assumptions: rolling about the long axis (side to side) or rocking head to toe, 8 to
    25 degrees, plus the chest's own swing of 50 to 300 mg, for 30 s to 4 min.
    """
    rng = night.rng_move
    i0, i1 = night.i(ep.start_s), night.i(ep.end_s)
    n = i1 - i0
    rate_hz = rng.uniform(0.5, 2.0)
    t = np.arange(n) / ACC_HZ
    envelope = _smoothstep(t / 3.0) * _smoothstep((t[-1] - t) / 3.0)
    phase = 2 * np.pi * rate_hz * t
    side_to_side = rng.uniform() < 0.5
    axis = np.array([0.0, 1.0, 0.0]) if side_to_side else np.array([1.0, 0.0, 0.0])
    angle = math.radians(rng.uniform(8.0, 25.0)) * envelope * np.sin(phase)
    night.gravity[i0:i1] = _rotate(night.gravity[i0:i1], axis, angle)
    swing_dir = np.array([1.0, 0.0, 0.3]) if side_to_side else np.array([0.0, 1.0, 0.3])
    swing = rng.uniform(50.0, 300.0) * envelope * np.sin(phase + 0.5)
    night.dyn_mg[i0:i1] += swing[:, None] * _unit(swing_dir)
    night.hr_plateau(ep.start_s, ep.end_s, rng.uniform(3.0, 8.0), 10.0, 30.0)
    night.add_event(ep.start_s, ep.duration_s, "mimic_rocking")


def _scratching(night: _Night, ep: _Episode) -> None:
    """Scratching: 3 to 6 Hz arm strokes for 3 to 20 s, 15 to 80 mg at the chest.

    All assumptions, chosen inside the 3 to 8 Hz band that OpenSeizureDetector looks at
    (ANCHORS.md), so that scratching stays a hard mimic.
    """
    rng = night.rng_move
    i0, i1 = night.i(ep.start_s), night.i(ep.end_s)
    n = i1 - i0
    rate_hz = rng.uniform(3.0, 6.0) * (1.0 + 0.05 * _band_noise(rng, n, 0.05, 0.5, axes=1)[:, 0])
    phase = 2 * np.pi * np.cumsum(rate_hz) / ACC_HZ
    direction = _unit(rng.normal(0.0, 1.0, 3))
    amp = rng.uniform(15.0, 80.0) * np.hanning(n) ** 0.3
    night.dyn_mg[i0:i1] += (amp * np.sin(phase))[:, None] * direction
    night.dyn_mg[i0:i1] += _movement(rng, n, 10.0, 0.5, 3.0)
    night.add_event(ep.start_s, ep.duration_s, "mimic_scratching")


def _plms(night: _Night, ep: _Episode) -> None:
    """A series of periodic limb movements in sleep.

    AASM scoring (Berry et al. 2018; table in PMC9619152): a limb movement lasts 0.5 to
    10 s and a series needs 4 or more movements 5 to 90 s apart. Within those bounds we
    draw movements of 0.5 to 5 s, 20 to 40 s apart (BRIEF task). Mean PLMS duration was
    3.2 s in 20 patients with restless legs, most PLMS paired with an arousal
    (PMC4434558). Assumptions: 15 to 60 mg at the chest (a leg movement reaches the trunk
    weakly), 0.5 to 3 Hz, and 40% of movements with a 4 to 10 bpm heart-rate rise.
    """
    rng = night.rng_move
    for onset_s, length_s in ep.params["movements"]:
        i0, i1 = night.i(onset_s), night.i(onset_s + length_s)
        night.dyn_mg[i0:i1] += _movement(rng, i1 - i0, rng.uniform(15.0, 60.0), 0.5, 3.0,
                                         (0.6, 1.0, 0.8))
        if rng.uniform() < 0.4:
            night.hr_pulse(onset_s, rng.uniform(4.0, 10.0), 3.0, 8.0)
    night.add_event(ep.start_s, ep.duration_s, "mimic_plms")


def _shivering(night: _Night, ep: _Episode) -> None:
    """Shivering: 8 to 10 Hz, amplitude-modulated at 6 to 8 cycles per minute.

    Frequencies from Pozos et al. 1987 (EMG of thermal shivering). Assumptions: 10 to
    40 mg at the chest, 1 to 5 min, heart rate up 5 to 10 bpm.
    """
    rng = night.rng_move
    i0, i1 = night.i(ep.start_s), night.i(ep.end_s)
    n = i1 - i0
    t = np.arange(n) / ACC_HZ
    carrier = _band_noise(rng, n, 8.0, 10.0)
    modulation = 0.5 + 0.5 * np.sin(2 * np.pi * rng.uniform(6.0, 8.0) / 60.0 * t)
    envelope = _smoothstep(t / 5.0) * _smoothstep((t[-1] - t) / 5.0)
    amp = rng.uniform(10.0, 40.0) / 1.5
    night.dyn_mg[i0:i1] += carrier * (amp * modulation * envelope)[:, None]
    night.hr_plateau(ep.start_s, ep.end_s, rng.uniform(5.0, 10.0), 30.0, 60.0)
    night.add_event(ep.start_s, ep.duration_s, "mimic_shivering")


def _arousal(night: _Night, ep: _Episode) -> None:
    """An arousal: heart rate up 8 to 20 bpm, and in half of them a little motion.

    Arousals last 3 s or more (AASM); mean 6.5 s beside PLMS (PMC4434558). We draw 3 to
    15 s. Assumptions: the heart-rate peak 4 s after onset with a 10 s decay; motion of
    20 to 80 mg for 1 to 3 s in half of them.
    """
    rng = night.rng_move
    night.hr_pulse(ep.start_s, rng.uniform(8.0, 20.0), 4.0, 10.0)
    if rng.uniform() < 0.5:
        length_s = rng.uniform(1.0, 3.0)
        i0 = night.i(ep.start_s + rng.uniform(0.0, max(0.0, ep.duration_s - length_s)))
        i1 = night.i(i0 / ACC_HZ + length_s)
        night.dyn_mg[i0:i1] += _movement(rng, i1 - i0, rng.uniform(20.0, 80.0), 0.3, 3.0)
    night.add_event(ep.start_s, ep.duration_s, "mimic_arousal")


# --------------------------------------------------------------------------------------
# the night: plan, then signals


def _plan(night: _Night, seizures: int, mimics: Sequence[str] | None, out_of_bed: int | None,
          hmp_dir: str | os.PathLike[str] | None, split: str | None) -> list[_Episode]:
    """Draw every episode of the night and place them without overlap."""
    rng = night.rng_plan
    hours = night.total_s / 3600.0
    # What the night holds.
    if mimics is None:
        counts: Counter[str] = Counter()
        counts["arousal"] = int(rng.poisson(rng.uniform(2.0, 5.0) * hours))  # assumption
        for kind in ("rocking", "scratching", "plms", "shivering"):
            if rng.uniform() < 0.35:
                counts[kind] = 1 + int(rng.poisson(0.1 * hours))
        n_oob = out_of_bed
        if n_oob is None:  # nocturia and the like: 0 to 2 per night (assumption)
            n_oob = int(rng.choice([0, 1, 2], p=[0.35, 0.45, 0.2])) if hours >= 2 else 0
        oob_mimics = [
            str(rng.choice(["brushing", "combing", ""], p=[0.25, 0.15, 0.6]))
            for _ in range(n_oob)
        ]
        explicit = False
    else:
        unknown = sorted(set(mimics) - set(MIMIC_KINDS))
        if unknown:
            raise CorpusError(f"unknown mimic kind(s) {', '.join(unknown)}",
                              f"choose from {', '.join(MIMIC_KINDS)}")
        counts = Counter(k for k in mimics if k not in HMP_MIMICS)
        if counts["arousal"]:
            counts["arousal"] *= max(1, int(round(3.0 * hours)))
        oob_mimics = [k for k in mimics if k in HMP_MIMICS]
        n_oob = len(oob_mimics) if out_of_bed is None else out_of_bed
        if n_oob < len(oob_mimics):
            raise CorpusError(
                f"{len(oob_mimics)} brushing/combing mimic(s) need as many out-of-bed "
                f"episodes, but out_of_bed={out_of_bed}",
                "raise out_of_bed or leave it None")
        oob_mimics += [""] * (n_oob - len(oob_mimics))
        explicit = True

    trials = None
    if n_oob:
        trials = load_hmp_trials(hmp_dir)

    episodes: list[_Episode] = []
    busy: list[tuple[float, float]] = []

    seizure_onsets_s: list[float] = []

    def place(ep: _Episode, required: bool) -> None:
        taken = busy
        if ep.kind == "seizure":
            # Seizures at least 30 min apart (assumption): each one's heart rate is back
            # near baseline before the next, and events never merge in scoring.
            taken = busy + [(t - _SEIZURE_SPACING_S, t + _SEIZURE_SPACING_S)
                            for t in seizure_onsets_s]
        if _place(rng, taken, ep, night.total_s):
            busy.append((ep.start_s - ep.guard_before_s, ep.end_s + ep.guard_after_s))
            episodes.append(ep)
            if ep.kind == "seizure":
                seizure_onsets_s.append(ep.start_s)
        elif required:
            raise CorpusError(
                f"no room for a {ep.kind} episode of {ep.duration_s:.0f} s in a "
                f"{hours:g} h night",
                "ask for fewer seizures or mimics, or for more hours")

    for _ in range(seizures):
        tonic_s, clonic_s = rng.uniform(10.0, 20.0), rng.uniform(30.0, 90.0)
        post_s = rng.uniform(120.0, 600.0)
        params = {"tonic_s": tonic_s, "clonic_s": clonic_s,
                  "hr_rise": rng.uniform(0.6, 1.2), "hr_lead_s": rng.uniform(2.0, 30.0),
                  "hr_peak_s": rng.uniform(10.0, 30.0), "hr_tau_s": rng.uniform(120.0, 300.0)}
        place(_Episode("seizure", tonic_s + clonic_s + post_s, 330.0, 120.0, params), True)

    for kind in oob_mimics:
        assert trials is not None
        place(_oob_episode(rng, trials, kind, split), True)

    mimic_makers = {
        "rocking": lambda: _Episode("rocking", rng.uniform(30.0, 240.0), 30.0, 30.0),
        "shivering": lambda: _Episode("shivering", rng.uniform(60.0, 300.0), 30.0, 30.0),
        "scratching": lambda: _Episode("scratching", rng.uniform(3.0, 20.0), 20.0, 20.0),
        "plms": lambda: _plms_episode(rng),
        "arousal": lambda: _Episode("arousal", rng.uniform(3.0, 15.0), 15.0, 15.0),
    }
    for kind in ("plms", "rocking", "shivering", "scratching", "arousal"):
        for _ in range(counts.get(kind, 0)):
            place(mimic_makers[kind](), explicit and kind != "arousal")

    turn_rate = rng.uniform(*_TURNS_PER_H)
    for _ in range(int(rng.poisson(turn_rate * hours))):
        place(_Episode("turn", rng.uniform(*_TURN_S), 20.0, 20.0), False)

    episodes.sort(key=lambda e: e.start_s)
    for ep in episodes:  # the PLMS movements move with their series
        if ep.kind == "plms":
            ep.params["movements"] = [(ep.start_s + d, length)
                                      for d, length in ep.params["offsets"]]
    return episodes


def _plms_episode(rng: np.random.Generator) -> _Episode:
    interval_s = rng.uniform(20.0, 40.0)
    count = int(rng.integers(6, 21))
    offsets = []
    at_s = 0.0
    for _ in range(count):
        length_s = rng.uniform(0.5, 5.0)
        offsets.append((at_s, length_s))
        at_s += interval_s * rng.uniform(0.9, 1.1)
    duration_s = offsets[-1][0] + offsets[-1][1]
    return _Episode("plms", duration_s, 30.0, 30.0, {"offsets": offsets})


def _oob_episode(rng: np.random.Generator, trials: tuple[HmpTrial, ...], mimic: str,
                 split: str | None) -> _Episode:
    def pick(activity: str) -> HmpTrial:
        pool = [t for t in trials if t.activity == activity]
        same_split = [t for t in pool if split is None or t.split == split]
        # A split without a trial of this activity borrows from all (few brushing trials).
        chosen = same_split or pool
        return chosen[int(rng.integers(len(chosen)))]

    segments: list[tuple[str, HmpTrial | None, int]] = []
    for label, activity in (("getup", "Getup_bed"), ("walk", "Walk")):
        trial = pick(activity)
        segments.append((label, trial, trial.acc_mg.shape[0]))
    if mimic:
        trial = pick(HMP_MIMICS[mimic])
        segments.append((mimic, trial, trial.acc_mg.shape[0]))
    segments.append(("stand", None, int(rng.uniform(30.0, 120.0) * ACC_HZ)))
    for label, activity in (("walk", "Walk"), ("liedown", "Liedown_bed")):
        trial = pick(activity)
        segments.append((label, trial, trial.acc_mg.shape[0]))
    duration_s = sum(length for _, _, length in segments) / ACC_HZ
    return _Episode("out_of_bed", duration_s, 60.0, 60.0, {"segments": segments})


def _build_gravity(night: _Night, episodes: list[_Episode]) -> None:
    rng = night.rng_move
    posture = _lying_posture(rng, _new_lying_kind(rng, None))
    cursor = 0
    blocks = {"turn": _turn_block, "out_of_bed": _out_of_bed_block, "seizure": _seizure_block}
    for ep in episodes:
        if ep.kind not in blocks:
            continue
        i0 = night.i(ep.start_s)
        night.gravity[cursor:i0] = posture.up
        posture, cursor = blocks[ep.kind](night, ep, posture)
    night.gravity[cursor:] = posture.up
    movers = {"rocking": _rocking, "scratching": _scratching, "plms": _plms,
              "shivering": _shivering, "arousal": _arousal}
    for ep in episodes:
        if ep.kind in movers:
            movers[ep.kind](night, ep)


def _breathing(night: _Night) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Breathing seen by the patch, and the respiratory phase for sinus arrhythmia.

    Rate 0.2 to 0.3 Hz (12 to 18 per minute; BRIEF task), drifting a few percent. Each
    breath tilts the patch by 0.12 to 0.3 degrees (assumption: a few mm of chest-wall
    rise across a patch a few cm long), which moves the gravity reading by 2 to 5 mg
    across the gravity direction (along z, or y when z points up or down), plus the
    chest wall's own acceleration, (2 pi f)^2 x 5 mm, about 1 mg along z.
    """
    rng = night.rng_breath
    n = night.n
    seconds = int(math.ceil(night.total_s)) + 2
    drift = _ou_series(rng, seconds, 300.0, 0.04)
    rate_hz = rng.uniform(0.2, 0.3) * (1.0 + np.interp(np.arange(n) / ACC_HZ,
                                                       np.arange(seconds), drift))
    rate_hz = np.clip(rate_hz * night.breath_rate_gain, 0.12, 0.6)
    phase = 2 * np.pi * np.cumsum(rate_hz) / ACC_HZ + rng.uniform(0, 2 * np.pi)
    tilt_mg = 1000.0 * math.radians(rng.uniform(0.12, 0.3))
    g = _unit(night.gravity)
    across = np.array([0.0, 0.0, 1.0]) - g[:, 2:3] * g
    steep = np.linalg.norm(across, axis=1) < 0.3
    across[steep] = np.array([0.0, 1.0, 0.0]) - g[steep, 1:2] * g[steep]
    across = _unit(across)
    wave = np.sin(phase) * night.breath_gain
    motion = across * (tilt_mg * wave)[:, None]
    motion[:, 2] += 1.0 * np.cos(phase) * night.breath_gain
    return motion, phase


def _heart_rate(night: _Night, resp_phase: NDArray[np.float64]) -> NDArray[np.float64]:
    """Instantaneous heart rate (bpm) at 25 Hz.

    Assumptions (sleep physiology, no single source): a night's baseline of 52 to 72 bpm;
    a 85 to 105 min sleep-cycle swing of 2 to 4 bpm; a slow random drift (time constant
    20 min, 3 bpm); a 0.1 Hz Mayer-wave swing of 1%; respiratory sinus arrhythmia, the
    rate rising with inspiration by 3 to 7% (an R-R swing of tens of ms), reduced during
    seizures; plus the event responses added while the night was built.
    """
    rng = night.rng_heart
    t = np.arange(night.n) / ACC_HZ
    seconds = int(math.ceil(night.total_s)) + 2
    base_bpm = rng.uniform(52.0, 72.0)
    cycle_s = rng.uniform(85.0, 105.0) * 60.0
    cycle = rng.uniform(2.0, 4.0) * np.sin(2 * np.pi * t / cycle_s + rng.uniform(0, 2 * np.pi))
    drift = np.interp(t, np.arange(seconds), _ou_series(rng, seconds, 1200.0, 3.0))
    mayer = 0.01 * np.sin(2 * np.pi * rng.uniform(0.08, 0.12) * t + rng.uniform(0, 6.3))
    rsa = rng.uniform(0.03, 0.07) * night.rsa_gain * np.sin(resp_phase)
    hr = (base_bpm + cycle + drift + night.hr_add_bpm) * night.hr_gain * (1.0 + rsa + mayer)
    return np.asarray(np.clip(hr, 35.0, 190.0))


def _beats(night: _Night, hr_bpm: NDArray[np.float64]
           ) -> tuple[NDArray[np.float64], NDArray[np.str_]]:
    """R-peak times from the rate, with ectopic beats and convulsion artifacts.

    * Beats by integral pulse-frequency modulation: a beat each time the integral of the
      rate passes a whole number, plus 3 ms of jitter (assumption).
    * Ectopic beats, 0 to 10 per hour (assumption; MIT-BIH record 100 has 34 in 30 min):
      two thirds ventricular (label ``V``: premature by 25 to 40% of the interval, full
      compensatory pause, the next beat on time), one third atrial (``A``: premature by
      20 to 35%, the rhythm reset, later beats shifted by half the prematurity).
    * During convulsions (ANCHORS.md: muscle artifact gives spurious beats at 250 to
      320 bpm even in clinical recordings, PhysioNet szdb): 5 to 20% of real beats missed,
      and artifact bursts of 1 to 5 s covering 20 to 50% of the clonic phase, where the
      detector follows the artifact at 250 to 320 bpm instead of the heart (label ``|``).
      Both rates are assumptions.
    * Times on the MAX30003's 7.8125 ms R-R grid.
    """
    rng = night.rng_beats
    grid = np.concatenate([[0.0], np.cumsum(hr_bpm / 60.0) / ACC_HZ])
    times = np.arange(night.n + 1) / ACC_HZ
    first = rng.uniform()
    targets = np.arange(first, grid[-1], 1.0)
    beat_s = np.interp(targets, grid, times)
    beat_s = beat_s + rng.normal(0.0, 0.003, beat_s.size)
    labels = np.full(beat_s.size, "N", dtype="<U1")

    def in_convulsion(t_s: NDArray[np.float64], margin_s: float = 0.0) -> NDArray[np.bool_]:
        mask = np.zeros(t_s.size, dtype=bool)
        for onset_s, _, end_s in night.convulsions:
            mask |= (t_s >= onset_s - margin_s) & (t_s <= end_s + margin_s)
        return mask

    # Ectopic beats, away from the convulsions.
    hours = night.total_s / 3600.0
    n_ectopic = int(rng.poisson(rng.uniform(0.0, 10.0) * hours))
    candidates = np.flatnonzero(~in_convulsion(beat_s, 60.0))
    candidates = candidates[(candidates > 2) & (candidates < beat_s.size - 2)]
    if n_ectopic and candidates.size:
        for k in np.sort(rng.choice(candidates, min(n_ectopic, candidates.size), False)):
            rr_s = beat_s[k] - beat_s[k - 1]
            if labels[k - 1] != "N" or labels[k + 1] != "N" or rr_s < 0.45:
                continue
            if rng.uniform() < 2.0 / 3.0:
                beat_s[k] -= rng.uniform(0.25, 0.40) * rr_s
                labels[k] = "V"
            else:
                shift_s = rng.uniform(0.20, 0.35) * rr_s
                beat_s[k] -= shift_s
                beat_s[k + 1:] -= 0.5 * shift_s
                labels[k] = "A"

    # Convulsions: missed beats and artifact bursts.
    keep = np.ones(beat_s.size, dtype=bool)
    extra_s: list[NDArray[np.float64]] = []
    for onset_s, clonic_s, end_s in night.convulsions:
        window = (beat_s >= onset_s) & (beat_s <= end_s)
        keep &= ~(window & (rng.uniform(size=beat_s.size) < rng.uniform(0.05, 0.2)))
        covered_s, target_s = 0.0, rng.uniform(0.2, 0.5) * (end_s - clonic_s)
        while covered_s < target_s:
            length_s = rng.uniform(1.0, 5.0)
            a_s = rng.uniform(clonic_s, max(clonic_s, end_s - length_s))
            b_s = min(a_s + length_s, end_s)
            keep &= ~((beat_s >= a_s) & (beat_s < b_s))
            rate_bpm = rng.uniform(250.0, 320.0)
            step_s = 60.0 / rate_bpm * (1.0 + 0.05 * rng.standard_normal(200))
            burst = a_s + np.cumsum(np.abs(step_s))
            extra_s.append(burst[burst < b_s])
            covered_s += b_s - a_s
    spurious = np.concatenate(extra_s) if extra_s else np.zeros(0)
    beat_s = np.concatenate([beat_s[keep], spurious])
    labels = np.concatenate([labels[keep], np.full(spurious.size, "|", dtype="<U1")])

    # The R-R grid, the recording's bounds, strictly increasing.
    beat_s = np.round(beat_s / RTOR_LSB_S) * RTOR_LSB_S
    order = np.argsort(beat_s, kind="stable")
    beat_s, labels = beat_s[order], labels[order]
    inside = (beat_s >= 0.0) & (beat_s <= night.total_s)
    beat_s, labels = beat_s[inside], labels[inside]
    distinct = np.concatenate([[True], np.diff(beat_s) > 0.0])
    return beat_s[distinct].astype(np.float64), labels[distinct]


def generate_night(seed: int, hours: float = DEFAULT_HOURS, seizures: int = 0,
                   mimics: Sequence[str] | None = None,
                   start_utc: str | None = DEFAULT_START_UTC, *,
                   out_of_bed: int | None = None,
                   hmp_dir: str | os.PathLike[str] | None = None,
                   split: str | None = None, name: str = "") -> Fixture:
    """Generate one synthetic night: acceleration, every beat and the annotations.

    The same arguments always give the same arrays (for the same HMP folder).

    Args:
        seed: the night's seed.
        hours: length of the recording.
        seizures: convulsive seizures to put in (0, 1, 2, ...), each an event
            ``sz_tonic_clonic`` from motor onset (start of the tonic phase) to the end of
            the clonic phase.
        mimics: None to draw the mimics from the seed (arousals always; rocking,
            scratching, PLMS and shivering each in about a third of nights; 0 to 2
            out-of-bed episodes, some with tooth brushing or hair combing); otherwise
            exactly these kinds, from :data:`MIMIC_KINDS`, once per entry (``arousal``
            gives about three per hour; ``brushing`` and ``combing`` each bring their own
            out-of-bed episode). ``()`` gives a night with turns only.
        start_utc: wall-clock start (ISO 8601), used for ``dateTime``; None for none.
        out_of_bed: number of out-of-bed episodes; None decides from ``mimics``.
        hmp_dir: the HMP folder for out-of-bed episodes; None for
            :func:`default_hmp_dir`. Not read when the night has no out-of-bed episode.
        split: draw HMP trials only from this split's trials (see :func:`hmp_split`).
        name: the fixture's name.

    Returns:
        The night as a validated-shape :class:`~ictalog.fixture.Fixture`: 25 Hz int16
        ``acc_mg``, ``beat_s`` strictly increasing within [0, duration_s], the extra key
        ``beat_label`` (``N`` normal, ``V``/``A`` ectopic, ``|`` artifact), and events
        sorted by onset, each with ``recordingDuration``.

    Raises:
        CorpusError: the night is too short for what was asked, a mimic kind is unknown,
            or the HMP trials are needed and missing.
    """
    if hours <= 0 or seizures < 0:
        raise CorpusError(f"hours={hours} and seizures={seizures} make no night",
                          "give hours > 0 and seizures >= 0")
    night = _Night(seed, hours)
    episodes = _plan(night, seizures, mimics, out_of_bed, hmp_dir, split)
    _build_gravity(night, episodes)
    breathing_mg, resp_phase = _breathing(night)
    hr_bpm = _heart_rate(night, resp_phase)
    beat_s, labels = _beats(night, hr_bpm)

    acc = night.gravity * 1000.0 + breathing_mg + night.dyn_mg
    acc += night.rng_noise.normal(0.0, ACC_NOISE_MG, acc.shape)
    acc = np.round(acc / ACC_LSB_MG) * ACC_LSB_MG
    events = sorted(night.events, key=lambda e: (e.onset_s, e.event_type))
    events = [
        Event(e.onset_s, e.duration_s, e.event_type, e.confidence, None,
              _seconds_text(start_utc, e.onset_s), night.total_s)
        for e in events
    ]
    # Provenance: which real trials the out-of-bed episodes used (may be empty).
    extras: dict[str, NDArray[Any]] = {
        "beat_label": labels,
        "hmp_trials": np.array(night.hmp_used, dtype=np.str_).reshape(-1),
    }
    fixture = Fixture(acc_mg=_to_int16_mg(acc), acc_hz=ACC_HZ, beat_s=beat_s,
                      duration_s=night.total_s, start_utc=start_utc, events=tuple(events),
                      name=name, extras=extras)
    return fixture


def hmp_trials_used(fixture: Fixture) -> tuple[str, ...]:
    """The HMP trials (``Activity/file``) a generated night used, in order."""
    return tuple(str(x) for x in fixture.extras.get("hmp_trials", ()))


# --------------------------------------------------------------------------------------
# corpus


#: Deflate level of a generated corpus's nights (committed fixtures use 9).
CORPUS_DEFLATE = 6


def _write_night(job: tuple[NightSpec, str, str | None]) -> dict[str, Any]:
    """Generate and save one night of a corpus; its manifest entry (a worker's task)."""
    spec, out_dir, hmp_dir = job
    fixture = generate_night(spec.seed, spec.hours, spec.seizures, None, spec.start_utc,
                             hmp_dir=hmp_dir, split=spec.split, name=spec.name)
    # Generated, not committed: a lighter deflate (0.3 s a night instead of 5 s).
    save_fixture(Path(out_dir) / f"{spec.name}.npz", fixture, compresslevel=CORPUS_DEFLATE)
    kinds = Counter(e.event_type[len("mimic_"):] for e in fixture.events
                    if e.event_type.startswith("mimic_"))
    return {
        "name": spec.name,
        "index": spec.index,
        "split": spec.split,
        "seed": spec.seed,
        "hours": spec.hours,
        "start_utc": spec.start_utc,
        "seizures": len(fixture.seizures),
        "mimics": dict(sorted(kinds.items())),
        "out_of_bed": sum(e.event_type == OUT_OF_BED_EVENT for e in fixture.events),
        "turns": sum(e.event_type == TURN_EVENT for e in fixture.events),
        "beats": int(fixture.beat_s.size),
        "hmp_trials": list(hmp_trials_used(fixture)),
    }


def build_corpus(out_dir: str | os.PathLike[str], nights: int = DEFAULT_NIGHTS, seed: int = 0,
                 hours: float = DEFAULT_HOURS,
                 hmp_dir: str | os.PathLike[str] | None = None,
                 workers: int | None = None) -> dict[str, Any]:
    """Generate a corpus of nights with fixed splits and write ``corpus.json``.

    Night ``i`` gets its seed from :func:`night_seed`, its split from :func:`split_for`
    and its seizure count from :data:`SEIZURE_PATTERN`, so a night is the same and stays
    in the same split whatever ``nights`` is. Its mimics and out-of-bed episodes are drawn
    from its seed; its out-of-bed trials come from its own split's HMP trials. Nights are
    generated in parallel processes; the result does not depend on ``workers``.

    Args:
        out_dir: folder for ``night_NNN.npz`` / ``.events.tsv`` and ``corpus.json``.
        nights: number of nights (the default gives 43 seizures, 32 seizure-free nights).
        seed: corpus seed.
        hours: length of each night.
        hmp_dir: the HMP folder; None for :func:`default_hmp_dir`.
        workers: processes to use; None for the number of CPUs, 1 for none.

    Returns:
        The manifest written to ``corpus.json``.

    Raises:
        CorpusError: a night cannot be generated (see :func:`generate_night`).
    """
    target = Path(out_dir)
    target.mkdir(parents=True, exist_ok=True)
    hmp = str(hmp_dir) if hmp_dir is not None else None
    jobs = [(spec, str(target), hmp) for spec in corpus_plan(nights, seed, hours)]
    count = max(1, min(workers or os.cpu_count() or 1, len(jobs)))
    started = time.perf_counter()
    entries: list[dict[str, Any]] = []
    if count == 1:
        results: Iterable[dict[str, Any]] = map(_write_night, jobs)
        for entry in results:
            entries.append(entry)
            _log.info("%s: %.1f s", entry["name"], time.perf_counter() - started)
    else:
        with ProcessPoolExecutor(max_workers=count) as pool:
            for entry in pool.map(_write_night, jobs):
                entries.append(entry)
                _log.info("%s: %.1f s", entry["name"], time.perf_counter() - started)
    totals: dict[str, Any] = {}
    for split in SPLITS:
        chosen = [e for e in entries if e["split"] == split]
        totals[split] = {
            "nights": len(chosen),
            "seizures": sum(e["seizures"] for e in chosen),
            "seizure_free_nights": sum(e["seizures"] == 0 for e in chosen),
            "hours": sum(e["hours"] for e in chosen),
        }
    manifest = {
        "format": "ictalog-corpus 1",
        "generator": "ictalog.corpus.build_corpus",
        "seed": seed,
        "night_count": nights,
        "hours": hours,
        "acc_hz": ACC_HZ,
        "split_rule": "sha256('ictalog-corpus-split:SEED:INDEX') as a fraction: "
                      "< 0.6 train, < 0.8 validation, else test",
        "seizure_pattern": list(SEIZURE_PATTERN),
        "totals": totals,
        "nights": entries,
    }
    text = json.dumps(manifest, indent=1) + "\n"
    temporary = target / ".corpus.json.tmp"
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, target / "corpus.json")
    return manifest


#: The committed demo nights: name, seed and the arguments of :func:`generate_night`.
DEMO_NIGHTS: tuple[tuple[str, int, dict[str, Any]], ...] = (
    ("corpus_demo_seizure", 101, {"seizures": 1, "mimics": ("arousal",)}),
    ("corpus_demo_mimics", 202, {"seizures": 0,
                                 "mimics": ("rocking", "scratching", "plms", "shivering",
                                            "arousal", "brushing")}),
)


def write_demo_fixtures(out_dir: str | os.PathLike[str],
                        hmp_dir: str | os.PathLike[str] | None = None) -> list[Path]:
    """Write the two small one-hour demo nights (see :data:`DEMO_NIGHTS`).

    Args:
        out_dir: folder to write them to (``tests/fixtures`` for the committed copies).
        hmp_dir: the HMP folder; None for :func:`default_hmp_dir`.

    Returns:
        The npz paths written.
    """
    target = Path(out_dir)
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name, seed, kwargs in DEMO_NIGHTS:
        fixture = generate_night(seed, 1.0, hmp_dir=hmp_dir, name=name, **kwargs)
        path = target / f"{name}.npz"
        save_fixture(path, fixture)
        written.append(path)
    return written
