"""The synthetic corpus: determinism, physiology, kinematics, annotations, splits, HMP.

The checks measure the generated signals the way a detector would (R-R intervals, jerk
counts, gravity direction), not the generator's internal parameters, so a change to the
model that breaks a documented property fails here. Tests that need the HMP wrist trials
beside the checkout (../shared/data/hmp-adl-wrist) skip without them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

from ictalog import corpus
from ictalog.fixture import Fixture, load_fixture, save_fixture, validate_fixture

FIXTURES = Path(__file__).resolve().parent / "fixtures"
HMP_DIR = corpus.default_hmp_dir()
needs_hmp = pytest.mark.skipif(
    not (HMP_DIR / "Walk").is_dir(),
    reason=f"HMP wrist trials not found at {HMP_DIR} (set ICTALOG_HMP_DIR)",
)
HZ = 25


# --------------------------------------------------------------------------------------
# measurements


def clean_hr(fixture: Fixture) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Heart rate (time, bpm) from R-R intervals whose two beats are not artifacts."""
    beats = fixture.beat_s
    labels = fixture.extras["beat_label"]
    ok = (labels[1:] != "|") & (labels[:-1] != "|")
    return beats[1:][ok], 60.0 / np.diff(beats)[ok]


def hr_ratio(fixture: Fixture, onset_s: float) -> float:
    """Median HR in the 60 s after onset over the median in the 5 min before."""
    t, hr = clean_hr(fixture)
    after = np.median(hr[(t >= onset_s) & (t < onset_s + 60.0)])
    before = np.median(hr[(t >= onset_s - 300.0) & (t < onset_s)])
    return float(after / before)


def highpassed(acc_mg: NDArray[np.int16], t0_s: float, t1_s: float) -> NDArray[np.float64]:
    """Acceleration between two times minus its 1 s moving average (gravity removed)."""
    i0, i1 = int(t0_s * HZ), int(t1_s * HZ)
    a0 = max(0, i0 - HZ)
    seg = acc_mg[a0:i1 + HZ].astype(float)
    kernel = np.ones(HZ) / HZ
    smooth = np.stack([
        np.convolve(np.pad(seg[:, k], (HZ, HZ), mode="edge"), kernel, "same")[HZ:-HZ]
        for k in range(3)
    ], axis=1)
    return np.asarray((seg - smooth)[i0 - a0:i0 - a0 + (i1 - i0)], dtype=np.float64)


def jerk_rate_hz(acc_mg: NDArray[np.int16], t0_s: float, t1_s: float) -> float:
    """Jerks per second: cycles of the main motion axis through a Schmitt trigger.

    The motion is projected on its principal axis; one count per pass from below -h to
    above +h, with h a tenth of the window's 98th-percentile excursion, so that noise and
    the small lobes of a jerk do not count twice.
    """
    d = highpassed(acc_mg, t0_s, t1_s)
    _, _, vt = np.linalg.svd(d - d.mean(axis=0), full_matrices=False)
    x = d @ vt[0]
    h = 0.1 * np.percentile(np.abs(x), 98)
    state, count = 0, 0
    for value in x:
        if value < -h:
            state = -1
        elif value > h:
            count += state == -1
            state = 1
    return count / (t1_s - t0_s)


def angle_deg(a: NDArray[np.float64], b: NDArray[np.float64]) -> float:
    cos = np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b))
    return float(np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))))


def posture_of(mean_mg: NDArray[np.float64]) -> str:
    """Name the posture from the mean acceleration in the patch frame."""
    x, y, z = mean_mg
    if y > 700:
        return "upright"
    if z > 600:
        return "supine"
    if z < -600:
        return "prone"
    if x < -600:
        return "left"
    if x > 600:
        return "right"
    return "other"


# --------------------------------------------------------------------------------------
# nights shared by several tests (no HMP needed)


@pytest.fixture(scope="module")
def seizure_night() -> Fixture:
    return corpus.generate_night(11, 3.0, seizures=2, mimics=("arousal",), out_of_bed=0)


@pytest.fixture(scope="module")
def long_night() -> Fixture:
    return corpus.generate_night(12, 6.0, seizures=0, mimics=(), out_of_bed=0)


@pytest.fixture(scope="module")
def mimic_night() -> Fixture:
    kinds = ("rocking", "scratching", "plms", "shivering", "arousal")
    return corpus.generate_night(13, 2.0, seizures=0, mimics=kinds)


# --------------------------------------------------------------------------------------
# determinism and format


def test_same_seed_gives_identical_arrays() -> None:
    kwargs: dict[str, Any] = {"hours": 1.0, "seizures": 1, "mimics": ("plms", "arousal"),
                              "out_of_bed": 0}
    a = corpus.generate_night(7, **kwargs)
    b = corpus.generate_night(7, **kwargs)
    other = corpus.generate_night(8, **kwargs)
    assert np.array_equal(a.acc_mg, b.acc_mg)
    assert np.array_equal(a.beat_s, b.beat_s)
    assert np.array_equal(a.extras["beat_label"], b.extras["beat_label"])
    assert a.events == b.events
    assert not np.array_equal(a.acc_mg, other.acc_mg)
    assert a.events != other.events


def test_beats_strictly_increasing_within_the_recording(seizure_night: Fixture,
                                                        long_night: Fixture,
                                                        mimic_night: Fixture) -> None:
    for night in (seizure_night, long_night, mimic_night):
        validate_fixture(night)
        beats = night.beat_s
        assert beats.dtype == np.float64 and beats.size > 3000
        assert np.all(np.diff(beats) > 0.0)
        assert beats[0] >= 0.0 and beats[-1] <= night.duration_s
        # On the MAX30003's 7.8125 ms grid, one label per beat.
        assert np.allclose(beats * 128.0, np.round(beats * 128.0))
        assert night.extras["beat_label"].shape == beats.shape
        assert night.acc_mg.dtype == np.int16 and night.acc_hz == 25.0
        assert night.acc_mg.shape == (int(round(night.duration_s * 25)), 3)
        assert np.abs(night.acc_mg).max() <= 8000
        assert all(e.recording_duration_s == night.duration_s for e in night.events)
        assert all(e.date_time is not None for e in night.events)


def test_night_survives_save_and_load(tmp_path: Path, seizure_night: Fixture) -> None:
    save_fixture(tmp_path / "night.npz", seizure_night)
    loaded = load_fixture(tmp_path / "night.npz")
    assert np.array_equal(loaded.acc_mg, seizure_night.acc_mg)
    assert np.array_equal(loaded.beat_s, seizure_night.beat_s)
    assert loaded.events == seizure_night.events


def test_ectopic_beats_are_premature_with_a_pause() -> None:
    night = corpus.generate_night(21, 10.0, seizures=0, mimics=(), out_of_bed=0)
    labels = night.extras["beat_label"]
    rr = np.diff(night.beat_s)
    ventricular = np.flatnonzero(labels == "V")
    ventricular = ventricular[(ventricular > 1) & (ventricular < labels.size - 1)]
    assert ventricular.size > 0
    before, after = rr[ventricular - 1], rr[ventricular]
    normal = rr[ventricular - 2]
    assert np.all(before < 0.8 * normal)  # premature
    assert np.all(after > 1.15 * normal)  # compensatory pause


# --------------------------------------------------------------------------------------
# seizures


def test_seizures_bring_tachycardia(seizure_night: Fixture) -> None:
    seizures = seizure_night.seizures
    assert [e.event_type for e in seizures] == ["sz_tonic_clonic"] * 2
    for event in seizures:
        assert 40.0 <= event.duration_s <= 110.0  # tonic 10-20 s + clonic 30-90 s
        assert hr_ratio(seizure_night, event.onset_s) >= 1.3
    # The same measure stays flat away from the seizures, so it can fail.
    quiet = [t for t in np.arange(600.0, seizure_night.duration_s - 600.0, 300.0)
             if all(abs(t - e.onset_s) > 1200.0 for e in seizures)]
    assert quiet
    assert max(hr_ratio(seizure_night, t) for t in quiet) < 1.2


def test_seizures_across_seeds_rise_and_slow() -> None:
    for seed in range(8):
        night = corpus.generate_night(100 + seed, 2.5, seizures=2, mimics=(), out_of_bed=0)
        for event in night.seizures:
            assert hr_ratio(night, event.onset_s) >= 1.3
            first = jerk_rate_hz(night.acc_mg, event.onset_s + 20.0, event.onset_s + 30.0)
            last = jerk_rate_hz(night.acc_mg, event.offset_s - 10.0, event.offset_s)
            assert first > 1.3 * last, (seed, first, last)


def test_clonic_jerks_slow_down_and_are_large(seizure_night: Fixture) -> None:
    for event in seizure_night.seizures:
        # Tonic phase is at most 20 s: from onset + 20 s on, the window is clonic.
        starts = np.arange(event.onset_s + 20.0, event.offset_s - 9.99, 10.0)
        rates = [jerk_rate_hz(seizure_night.acc_mg, t, t + 10.0) for t in starts]
        rates.append(jerk_rate_hz(seizure_night.acc_mg, event.offset_s - 10.0,
                                  event.offset_s))
        assert rates[0] >= 1.5 and rates[-1] <= 2.0, rates
        assert rates[0] > 1.3 * rates[-1], rates
        assert all(b <= a + 0.4 for a, b in zip(rates, rates[1:])), rates
        motion = highpassed(seizure_night.acc_mg, event.onset_s + 20.0, event.offset_s)
        assert np.percentile(np.linalg.norm(motion, axis=1), 99) >= 300.0
        # Post-ictal stillness: the next minute after the settling moves far less.
        after = highpassed(seizure_night.acc_mg, event.offset_s + 5.0, event.offset_s + 65.0)
        assert np.sqrt(np.mean(after**2)) < 0.05 * np.sqrt(np.mean(motion**2))


def test_jerk_rate_measure_does_not_invent_a_slowing() -> None:
    # A steady 2 Hz pulse train must measure the same at both ends.
    t = np.arange(60 * HZ) / HZ
    signal = np.zeros((t.size, 3))
    for centre in np.arange(0.5, 60.0, 0.5):
        u = (t - centre) / 0.05
        signal[:, 1] += 800.0 * (u * u - 1.0) * np.exp(-0.5 * u * u)
    acc = (signal + np.array([0.0, 0.0, 1000.0])).astype(np.int16)
    assert jerk_rate_hz(acc, 5.0, 15.0) == pytest.approx(2.0, abs=0.15)
    assert jerk_rate_hz(acc, 45.0, 55.0) == pytest.approx(2.0, abs=0.15)


def test_convulsions_disturb_r_r_detection(seizure_night: Fixture) -> None:
    labels = seizure_night.extras["beat_label"]
    beats = seizure_night.beat_s
    spurious = labels == "|"
    assert spurious.sum() > 20
    inside = np.zeros(beats.size, dtype=bool)
    for event in seizure_night.seizures:
        inside |= (beats >= event.onset_s) & (beats <= event.offset_s)
    assert np.all(inside[spurious])
    pairs = spurious[1:] & spurious[:-1]
    rate_bpm = 60.0 / np.diff(beats)[pairs]
    assert 250.0 <= np.median(rate_bpm) <= 320.0


# --------------------------------------------------------------------------------------
# background


def test_postures_turns_and_breathing(long_night: Fixture) -> None:
    acc = long_night.acc_mg.astype(float)
    minutes = acc[: acc.shape[0] // 1500 * 1500].reshape(-1, 1500, 3).mean(axis=1)
    postures = {posture_of(m) for m in minutes}
    assert len(postures & {"supine", "prone", "left", "right"}) >= 2, postures
    assert "upright" not in postures  # no out-of-bed episode was asked for
    magnitude = np.linalg.norm(minutes, axis=1)
    assert np.median(magnitude) == pytest.approx(1000.0, abs=40.0)

    turns = [e for e in long_night.events if e.event_type == "bckg_turn"]
    hours = long_night.duration_s / 3600.0
    assert 0.5 <= len(turns) / hours <= 4.0
    for turn in turns:
        assert 2.0 <= turn.duration_s <= 6.0
        i0, i1 = int(turn.onset_s * HZ), int(turn.offset_s * HZ)
        before = acc[i0 - 10 * HZ:i0 - HZ].mean(axis=0)
        after = acc[i1 + HZ:i1 + 10 * HZ].mean(axis=0)
        assert angle_deg(before, after) >= 30.0

    # Breathing: a spectral peak at 0.2 to 0.3 Hz (drifting a little) of a few mg.
    first = turns[0].onset_s if turns else long_night.duration_s
    i0, i1 = int(60 * HZ), int(min(first - 30.0, 360.0) * HZ)
    segment = acc[i0:i1] - acc[i0:i1].mean(axis=0)
    spectrum = np.abs(np.fft.rfft(segment, axis=0)).sum(axis=1)
    freqs = np.fft.rfftfreq(segment.shape[0], 1 / HZ)
    band = (freqs > 0.05) & (freqs < 2.0)
    peak_hz = freqs[band][np.argmax(spectrum[band])]
    assert 0.15 <= peak_hz <= 0.4
    amplitude_mg = np.abs(np.fft.rfft(segment, axis=0))[band].max() * 2 / segment.shape[0]
    assert 1.0 <= amplitude_mg <= 10.0


def test_mimics_are_annotated_and_move(mimic_night: Fixture) -> None:
    types = [e.event_type for e in mimic_night.events]
    assert not any(t.startswith("sz") for t in types)
    for kind in ("rocking", "scratching", "plms", "shivering", "arousal"):
        assert f"mimic_{kind}" in types
    assert types.count("mimic_arousal") >= 4  # about three per hour

    acc = mimic_night.acc_mg
    busy = np.zeros(acc.shape[0], dtype=bool)
    for event in mimic_night.events:
        busy[int(event.onset_s * HZ) - 2 * HZ:int(event.offset_s * HZ) + 2 * HZ] = True
    quiet = highpassed(acc, 0.0, mimic_night.duration_s)[~busy]
    quiet_rms = np.sqrt(np.mean(quiet**2))
    for event in mimic_night.events:
        if event.event_type in ("mimic_rocking", "mimic_scratching", "mimic_shivering"):
            motion = highpassed(acc, event.onset_s, event.offset_s)
            assert np.sqrt(np.mean(motion**2)) > 2.0 * quiet_rms, event.event_type
        if event.event_type == "mimic_plms":
            motion = highpassed(acc, event.onset_s, event.offset_s)
            assert np.percentile(np.abs(motion), 99.9) > 5.0 * quiet_rms


def test_unknown_mimic_and_overfull_night_are_refused() -> None:
    with pytest.raises(corpus.CorpusError, match="unknown mimic"):
        corpus.generate_night(1, 1.0, mimics=("yawning",))
    with pytest.raises(corpus.CorpusError, match="no room"):
        corpus.generate_night(1, 1.0, seizures=2, mimics=())
    with pytest.raises(corpus.CorpusError, match="out-of-bed"):
        corpus.generate_night(1, 1.0, mimics=("brushing",), out_of_bed=0)


@needs_hmp
def test_out_of_bed_uses_real_trials_of_its_split() -> None:
    night = corpus.generate_night(31, 1.5, mimics=("brushing", "combing"), split="test")
    kinds = [e.event_type for e in night.events]
    assert kinds.count("bckg_out_of_bed") == 2
    oob = [e for e in night.events if e.event_type == "bckg_out_of_bed"]
    for event in night.events:
        if event.event_type in ("mimic_brushing", "mimic_combing"):
            assert any(o.onset_s <= event.onset_s and event.offset_s <= o.offset_s + 0.05
                       for o in oob)
    for event in oob:
        i0, i1 = int(event.onset_s * HZ), int(event.offset_s * HZ)
        window = night.acc_mg[i0:i1].astype(float)
        upright = window[:, 1] > 700
        assert upright.mean() > 0.5  # standing and walking most of the episode
        assert np.abs(highpassed(night.acc_mg, event.onset_s, event.offset_s)).max() > 200
    used = corpus.hmp_trials_used(night)
    assert len(used) == 10
    splits = {corpus.hmp_split(Path(u).name) for u in used}
    by_activity: dict[str, set[str]] = {}
    for trial in corpus.load_hmp_trials(HMP_DIR):
        by_activity.setdefault(trial.activity, set()).add(trial.split)
    for u in used:
        activity = u.split("/")[0]
        if "test" in by_activity[activity]:
            assert corpus.hmp_split(Path(u).name) == "test", u
    assert splits


# --------------------------------------------------------------------------------------
# splits and the corpus


def test_splits_are_fixed_and_disjoint() -> None:
    small = corpus.corpus_plan(10, seed=3)
    large = corpus.corpus_plan(64, seed=3)
    assert small == large[:10]  # a night keeps its seed and split as the corpus grows
    names = [spec.name for spec in large]
    assert len(set(names)) == len(names)
    assert all(spec.split == corpus.split_for(3, spec.index) for spec in large)
    splits = [corpus.split_for(0, i) for i in range(3000)]
    for split, share in zip(corpus.SPLITS, (0.6, 0.2, 0.2)):
        assert splits.count(split) / 3000 == pytest.approx(share, abs=0.03)
    assert [corpus.split_for(1, i) for i in range(50)] != splits[:50]
    assert len({corpus.night_seed(0, i) for i in range(1000)}) == 1000


def test_default_corpus_meets_the_size_targets() -> None:
    plan = corpus.corpus_plan()
    assert sum(spec.seizures for spec in plan) >= 40
    assert sum(spec.seizures == 0 for spec in plan) >= 30
    for split in corpus.SPLITS:
        assert sum(spec.seizures for spec in plan if spec.split == split) >= 5


def test_build_corpus_writes_nights_and_manifest(tmp_path: Path) -> None:
    manifest = corpus.build_corpus(tmp_path / "a", nights=3, seed=5, hours=1.5, workers=1)
    on_disk = json.loads((tmp_path / "a" / "corpus.json").read_text())
    assert on_disk == manifest
    entries = manifest["nights"]
    assert [e["name"] for e in entries] == ["night_000", "night_001", "night_002"]
    for entry in entries:
        assert entry["split"] == corpus.split_for(5, entry["index"])
        assert entry["seizures"] == corpus.SEIZURE_PATTERN[entry["index"]]
        night = load_fixture(tmp_path / "a" / f"{entry['name']}.npz")
        assert len(night.seizures) == entry["seizures"]
        assert entry["mimics"].get("arousal", 0) == sum(
            e.event_type == "mimic_arousal" for e in night.events)
    assert sum(t["nights"] for t in manifest["totals"].values()) == 3
    # More nights, two processes: the first nights come out byte for byte the same.
    corpus.build_corpus(tmp_path / "b", nights=4, seed=5, hours=1.5, workers=2)
    for entry in entries:
        name = f"{entry['name']}.npz"
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


# --------------------------------------------------------------------------------------
# resampling and the HMP trials


def test_resample_keeps_the_band_and_drops_what_is_above_it() -> None:
    n = 32 * 20 + 7
    t32 = np.arange(n) / 32.0
    x = 100.0 * np.sin(2 * np.pi * 3.0 * t32) + 50.0 * np.sin(2 * np.pi * 14.0 * t32)
    y = corpus.resample(x, 32.0, 25.0)
    assert y.shape == (round(n * 25 / 32),)
    t25 = np.arange(y.size) / 25.0
    interior = (t25 > 2.0) & (t25 < t25[-1] - 2.0)
    expected = 100.0 * np.sin(2 * np.pi * 3.0 * t25)
    assert np.max(np.abs(y - expected)[interior]) < 3.0  # the 14 Hz part is gone


@needs_hmp
def test_hmp_conversion_resamples_and_turns_into_the_patch_frame(tmp_path: Path) -> None:
    written = corpus.convert_hmp_trials(HMP_DIR, tmp_path, ["Brush_teeth", "Walk"])
    sources = sorted((HMP_DIR / "Brush_teeth").glob("*.txt")) + sorted(
        (HMP_DIR / "Walk").glob("*.txt"))
    assert len(written) == len(sources)
    upright = []
    for path, source in zip(written, sources):
        fixture = load_fixture(path)
        wrist = corpus.read_hmp_trial(source)
        assert fixture.acc_hz == 25.0 and fixture.beat_s.size == 0
        assert fixture.acc_mg.shape[0] == round(wrist.shape[0] * 25 / 32)
        assert fixture.acc_mg.shape[0] / wrist.shape[0] == pytest.approx(25 / 32, abs=0.01)
        assert np.median(np.linalg.norm(fixture.acc_mg, axis=1)) == pytest.approx(
            np.median(np.linalg.norm(wrist, axis=1)), rel=0.05)
        (event,) = fixture.events
        assert event.onset_s == 0.0 and event.duration_s == fixture.duration_s
        if "Brush_teeth" in str(source):
            assert event.event_type == "mimic_brushing"
        else:
            assert event.event_type == "bckg_walk"
            upright.append(fixture.acc_mg[:, 1].mean())
    assert np.median(upright) > 600  # the hanging arm maps to an upright body


@needs_hmp
def test_hmp_trial_splits_are_fixed_and_all_used() -> None:
    trials = corpus.load_hmp_trials(HMP_DIR)
    splits = [t.split for t in trials]
    assert set(splits) == set(corpus.SPLITS)
    assert splits == [corpus.hmp_split(t.path.name) for t in trials]


# --------------------------------------------------------------------------------------
# committed demo fixtures


def test_demo_fixtures_are_small_and_hold_what_they_say() -> None:
    paths = sorted(FIXTURES.glob("corpus_demo_*"))
    assert len(paths) == 4
    assert sum(p.stat().st_size for p in paths) < 1_500_000
    seizure = load_fixture(FIXTURES / "corpus_demo_seizure.npz")
    mimics = load_fixture(FIXTURES / "corpus_demo_mimics.npz")
    assert seizure.duration_s == mimics.duration_s == 3600.0
    assert [e.event_type for e in seizure.seizures] == ["sz_tonic_clonic"]
    assert hr_ratio(seizure, seizure.seizures[0].onset_s) >= 1.3
    assert not mimics.seizures
    kinds = {e.event_type for e in mimics.events if e.event_type.startswith("mimic_")}
    assert len(kinds) >= 5 and "mimic_brushing" in kinds


@needs_hmp
def test_demo_fixtures_regenerate_identically(tmp_path: Path) -> None:
    for path in corpus.write_demo_fixtures(tmp_path, HMP_DIR):
        fresh = load_fixture(path)
        committed = load_fixture(FIXTURES / path.name)
        assert np.array_equal(fresh.acc_mg, committed.acc_mg), path.name
        assert np.array_equal(fresh.beat_s, committed.beat_s), path.name
        assert fresh.events == committed.events, path.name
