"""Tests of the fixture format (ictalog.fixture) and of the committed recorded fixtures.

Only the files in tests/fixtures/ are used; the PhysioNet sources beside the checkout are
not needed here.
"""

from __future__ import annotations

import math
import pickle
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ictalog.errors import FixtureError
from ictalog.fixture import (
    EVENT_COLUMNS,
    Event,
    Fixture,
    events_path_for,
    load_fixture,
    read_events,
    save_fixture,
    write_events,
)

FIXTURES = Path(__file__).parent / "fixtures"
COMMITTED = sorted(FIXTURES.glob("*.npz"))

# Beat counts of the .ari beat annotations and the seizures of times.seize, as listed in the
# sources' description; sz05 and sz07 were not available for conversion.
SZDB_EXPECTED: dict[str, tuple[int, list[tuple[float, float]]]] = {
    "szdb_sz01": (8377, [(876, 972)]),
    "szdb_sz02": (13145, [(3763, 3823), (10551, 10576)]),
    "szdb_sz03": (16382, [(5074, 5182), (9267, 9377)]),
    "szdb_sz04": (6229, [(1210, 1315)]),
    "szdb_sz06": (12756, [(3085, 3139), (7485, 7570)]),
}
EVENTS_HEADER = "\t".join(EVENT_COLUMNS) + "\n"


# --------------------------------------------------------------------------------------
# committed fixtures


def test_every_expected_fixture_is_committed() -> None:
    names = {path.name[: -len(".npz")] for path in COMMITTED}
    assert names >= {"mitdb100", *SZDB_EXPECTED}
    for path in COMMITTED:
        assert events_path_for(path).is_file(), f"{path.name} has no events file"
    attribution = (FIXTURES / "ATTRIBUTION.md").read_text()
    assert "ODC-By 1.0" in attribution
    for name in names:
        assert f"`{name}`" in attribution, f"{name} is not attributed"


@pytest.mark.parametrize("path", COMMITTED, ids=lambda path: path.name)
def test_committed_fixture_invariants(path: Path) -> None:
    fixture = load_fixture(path)
    assert fixture.name == path.name[: -len(".npz")]
    assert fixture.acc_mg.dtype == np.int16 and fixture.acc_mg.shape[1:] == (3,)
    assert fixture.acc_hz > 0
    assert fixture.beat_s.dtype == np.float64 and fixture.beat_s.size > 100
    assert np.all(np.diff(fixture.beat_s) > 0)
    assert 0 <= fixture.beat_s[0] and fixture.beat_s[-1] <= fixture.duration_s
    # the last beat lies near the end: the duration is the record's, not a guess
    assert fixture.duration_s - fixture.beat_s[-1] < 5.0
    for event in fixture.events:
        assert 0 <= event.onset_s < event.offset_s <= fixture.duration_s
    if fixture.ecg_uv is not None:
        assert fixture.ecg_hz is not None
        assert fixture.ecg_uv.size / fixture.ecg_hz == pytest.approx(fixture.duration_s)
    label = fixture.extras.get("beat_label")
    if label is not None:
        assert label.shape == fixture.beat_s.shape


def test_mitdb100_matches_the_reference_annotations() -> None:
    fixture = load_fixture(FIXTURES / "mitdb100.npz")
    assert fixture.beat_s.size == 2273
    rr_s = np.diff(fixture.beat_s)
    assert rr_s.mean() == pytest.approx(0.795, abs=0.0005)
    assert rr_s.min() == pytest.approx(0.522, abs=0.001)
    assert rr_s.max() == pytest.approx(1.131, abs=0.001)
    assert fixture.duration_s == pytest.approx(650000 / 360)
    assert Counter(fixture.extras["beat_label"].tolist()) == {"N": 2239, "A": 33, "V": 1}
    assert fixture.extras["beat_label"].dtype == np.dtype("<U1")
    assert fixture.events == ()
    assert fixture.acc_mg.shape == (0, 3)
    assert fixture.ecg_hz == 360
    assert fixture.ecg_uv is not None and fixture.ecg_uv.size == 650000
    # 200 adu/mV: every sample is a whole multiple of 5 uV
    assert np.all(fixture.ecg_uv % 5 == 0)
    # R peaks of lead MLII stand about a millivolt above the signal's median
    peak_index = np.rint(fixture.beat_s * fixture.ecg_hz).astype(int)
    rise_uv = np.median(fixture.ecg_uv[peak_index]) - np.median(fixture.ecg_uv)
    assert 700 < rise_uv < 2500


@pytest.mark.parametrize("name", sorted(SZDB_EXPECTED))
def test_szdb_fixture_beats_and_seizures(name: str) -> None:
    beats, seizures_s = SZDB_EXPECTED[name]
    fixture = load_fixture(FIXTURES / f"{name}.npz")
    assert fixture.beat_s.size == beats
    assert fixture.ecg_uv is None and fixture.ecg_hz is None
    assert fixture.acc_mg.shape == (0, 3)
    assert [(e.onset_s, e.offset_s) for e in fixture.events] == seizures_s
    for event in fixture.events:
        assert event.is_seizure
        assert event.event_type == "sz_focal"
        assert event.confidence is None and event.channels is None
        assert event.recording_duration_s == pytest.approx(fixture.duration_s)
    assert fixture.seizures == fixture.events
    # a plausible resting heart rate overall, despite the unaudited annotations
    assert 0.5 < float(np.median(np.diff(fixture.beat_s))) < 1.2


# --------------------------------------------------------------------------------------
# round trip


def _example_fixture() -> Fixture:
    rng = np.random.default_rng(7)
    return Fixture(
        acc_mg=rng.integers(-2000, 2000, size=(250, 3)).astype(np.int16),
        acc_hz=25.0,
        beat_s=np.cumsum(rng.uniform(0.5, 1.2, size=10)),
        duration_s=12.5,
        ecg_uv=rng.integers(-3000, 3000, size=2500).astype(np.int16),
        ecg_hz=200.0,
        start_utc="2024-05-01T22:30:00+00:00",
        events=(
            Event(1.25, 3.0, "sz_tonic_clonic", 0.9, "acc", "2024-05-01 22:30:01", 12.5),
            Event(6.0, 0.0, "mimic_brushing", None, None, None, 12.5),
            Event(0.1, 12.4, "bckg", 0.333333333333, None, None, 12.5),
        ),
        extras={"beat_label": np.array(list("NNANNNNVNN"), dtype="<U1")},
    )


def _assert_same(left: Fixture, right: Fixture) -> None:
    np.testing.assert_array_equal(left.acc_mg, right.acc_mg)
    assert left.acc_mg.dtype == right.acc_mg.dtype
    np.testing.assert_array_equal(left.beat_s, right.beat_s)
    assert (left.acc_hz, left.duration_s, left.ecg_hz, left.start_utc) == (
        right.acc_hz, right.duration_s, right.ecg_hz, right.start_utc
    )
    if left.ecg_uv is None:
        assert right.ecg_uv is None
    else:
        assert right.ecg_uv is not None
        np.testing.assert_array_equal(left.ecg_uv, right.ecg_uv)
    assert left.events == right.events
    assert set(left.extras) == set(right.extras)
    for key in left.extras:
        np.testing.assert_array_equal(left.extras[key], right.extras[key])
        assert left.extras[key].dtype == right.extras[key].dtype


def test_round_trip_keeps_every_field(tmp_path: Path) -> None:
    original = _example_fixture()
    save_fixture(tmp_path / "walk.npz", original)
    loaded = load_fixture(tmp_path / "walk.npz")
    assert loaded.name == "walk"
    _assert_same(original, loaded)
    assert [event.is_seizure for event in loaded.events] == [True, False, False]


def test_saving_twice_gives_identical_bytes(tmp_path: Path) -> None:
    save_fixture(tmp_path / "a.npz", _example_fixture())
    save_fixture(tmp_path / "b.npz", _example_fixture())
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()
    assert (tmp_path / "a.events.tsv").read_bytes() == (tmp_path / "b.events.tsv").read_bytes()


def test_committed_fixture_round_trips(tmp_path: Path) -> None:
    original = load_fixture(FIXTURES / "mitdb100.npz")
    save_fixture(tmp_path / "copy.npz", original)
    _assert_same(original, load_fixture(tmp_path / "copy.npz"))


def test_minimal_fixture_without_optional_fields(tmp_path: Path) -> None:
    fixture = Fixture(
        acc_mg=np.zeros((0, 3), np.int16), acc_hz=25.0,
        beat_s=np.array([], np.float64), duration_s=1.0,
    )
    save_fixture(tmp_path / "empty", fixture)  # the .npz suffix is added
    assert (tmp_path / "empty.events.tsv").read_text() == EVENTS_HEADER
    loaded = load_fixture(tmp_path / "empty.npz")
    _assert_same(fixture, loaded)
    with np.load(tmp_path / "empty.npz") as stored:
        assert sorted(stored.files) == ["acc_hz", "acc_mg", "beat_s", "duration_s"]


def test_save_refuses_an_invalid_fixture_and_writes_nothing(tmp_path: Path) -> None:
    bad = replace(_example_fixture(), beat_s=np.array([2.0, 1.0]))
    with pytest.raises(FixtureError, match="beat_s"):
        save_fixture(tmp_path / "bad.npz", bad)
    assert list(tmp_path.iterdir()) == []


finite_s = st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False)


@settings(max_examples=50, database=None, deadline=None)
@given(
    spans=st.lists(st.tuples(finite_s, finite_s), max_size=5),
    types=st.lists(st.sampled_from(["sz", "sz_focal", "bckg", "mimic_brushing"]),
                   min_size=5, max_size=5),
    confidence=st.one_of(st.none(), st.floats(min_value=0, max_value=1)),
)
def test_events_round_trip_exactly(
    tmp_path_factory: pytest.TempPathFactory,
    spans: list[tuple[float, float]],
    types: list[str],
    confidence: float | None,
) -> None:
    duration_s = 2e6
    events = [
        Event(onset_s, length_s, kind, confidence, None, None, duration_s)
        for (onset_s, length_s), kind in zip(spans, types)
    ]
    path = tmp_path_factory.mktemp("events") / "x.events.tsv"
    write_events(path, events, duration_s)
    assert read_events(path, recording_duration_s=duration_s) == events


def test_is_seizure_follows_the_event_type_prefix() -> None:
    def kind(event_type: str) -> bool:
        return Event(0.0, 1.0, event_type).is_seizure

    assert kind("sz") and kind("sz_focal") and kind("sz_tonic_clonic")
    assert not kind("bckg") and not kind("mimic_brushing") and not kind("n/a")


# --------------------------------------------------------------------------------------
# malformed input


def _valid_arrays() -> dict[str, Any]:
    return {
        "acc_mg": np.zeros((50, 3), np.int16),
        "acc_hz": np.float64(25.0),
        "beat_s": np.array([0.5, 1.3, 2.0], np.float64),
        "duration_s": np.float64(2.0),
    }


def _write(tmp_path: Path, arrays: dict[str, Any], events_text: str = EVENTS_HEADER) -> Path:
    path = tmp_path / "case.npz"
    np.savez(path, **arrays)
    (tmp_path / "case.events.tsv").write_text(events_text)
    return path


def _fails(path: Path, *words: str) -> FixtureError:
    with pytest.raises(FixtureError) as caught:
        load_fixture(path)
    error = caught.value
    message = str(error)
    for word in words:
        assert word in message, f"{word!r} missing from: {message}"
    assert error.hint, "the error gives no next step"
    assert "next step:" in message
    assert error.path is not None
    return error


def test_valid_arrays_load(tmp_path: Path) -> None:
    fixture = load_fixture(_write(tmp_path, _valid_arrays()))
    assert fixture.beat_s.tolist() == [0.5, 1.3, 2.0]


def test_missing_file(tmp_path: Path) -> None:
    error = _fails(tmp_path / "absent.npz", "not found")
    assert error.path is not None and error.path.endswith("absent.npz")


def test_missing_events_file(tmp_path: Path) -> None:
    path = _write(tmp_path, _valid_arrays())
    events_path_for(path).unlink()
    error = _fails(path, "case.events.tsv", "write_events")
    assert error.path is not None and error.path.endswith("case.events.tsv")


def test_missing_events_file_is_no_events_where_annotations_are_not_read(
        tmp_path: Path) -> None:
    path = _write(tmp_path, _valid_arrays())
    events_path_for(path).unlink()
    assert load_fixture(path, events_required=False).events == ()


def test_malformed_events_file_is_refused_even_where_annotations_are_not_read(
        tmp_path: Path) -> None:
    path = _write(tmp_path, _valid_arrays(), "onset\tduration\n1\t2\n")
    with pytest.raises(FixtureError, match="column"):
        load_fixture(path, events_required=False)


def test_text_file_is_not_an_npz(tmp_path: Path) -> None:
    path = tmp_path / "case.npz"
    path.write_text("onset\tduration\n")
    _fails(path, "not an npz")


def test_single_npy_array_is_not_an_npz(tmp_path: Path) -> None:
    path = tmp_path / "case.npz"
    with open(path, "wb") as handle:
        np.save(handle, np.zeros(3))
    _fails(path, "not an npz")


def test_pickle_file_is_never_unpickled(tmp_path: Path) -> None:
    path = tmp_path / "case.npz"
    path.write_bytes(pickle.dumps({"acc_mg": [1, 2, 3]}))
    _fails(path, "not an npz")


def test_object_array_inside_npz_is_never_unpickled(tmp_path: Path) -> None:
    arrays = _valid_arrays()
    arrays["notes"] = np.array([{"a": 1}], dtype=object)
    _fails(_write(tmp_path, arrays), "notes", "Python objects")


@pytest.mark.parametrize("key", ["acc_mg", "acc_hz", "beat_s", "duration_s"])
def test_missing_required_key(tmp_path: Path, key: str) -> None:
    arrays = _valid_arrays()
    del arrays[key]
    _fails(_write(tmp_path, arrays), key, "missing")


@pytest.mark.parametrize(
    "acc_mg, words",
    [
        (np.zeros((50, 3), np.float32), ("acc_mg", "int16", "float32")),
        (np.zeros((50, 3), np.int32), ("acc_mg", "int16")),
        (np.zeros((50, 2), np.int16), ("acc_mg", "(N, 3)")),
        (np.zeros(150, np.int16), ("acc_mg", "(N, 3)")),
        (np.zeros((3, 50), np.int16), ("acc_mg", "(N, 3)")),
    ],
)
def test_bad_acc_mg(tmp_path: Path, acc_mg: np.ndarray, words: tuple[str, ...]) -> None:
    arrays = _valid_arrays()
    arrays["acc_mg"] = acc_mg
    _fails(_write(tmp_path, arrays), *words)


@pytest.mark.parametrize("acc_hz", [0.0, -25.0, math.inf])
def test_acc_hz_not_positive(tmp_path: Path, acc_hz: float) -> None:
    arrays = _valid_arrays()
    arrays["acc_hz"] = np.float64(acc_hz)
    _fails(_write(tmp_path, arrays), "acc_hz", "positive")


def test_acc_hz_not_a_single_number(tmp_path: Path) -> None:
    arrays = _valid_arrays()
    arrays["acc_hz"] = np.array([25.0, 50.0])
    _fails(_write(tmp_path, arrays), "acc_hz", "one real number")


@pytest.mark.parametrize(
    "beat_s, word",
    [
        ([0.5, 0.4, 1.0], "strictly increasing"),
        ([0.5, 0.5, 1.0], "strictly increasing"),
        ([-0.1, 0.5, 1.0], "outside"),
        ([0.5, 1.0, 2.5], "outside"),
    ],
)
def test_bad_beat_times(tmp_path: Path, beat_s: list[float], word: str) -> None:
    arrays = _valid_arrays()
    arrays["beat_s"] = np.array(beat_s, np.float64)
    _fails(_write(tmp_path, arrays), "beat_s", word)


def test_beat_s_must_be_float64(tmp_path: Path) -> None:
    arrays = _valid_arrays()
    arrays["beat_s"] = np.array([0.5, 1.0], np.float32)
    _fails(_write(tmp_path, arrays), "beat_s", "float64")


@pytest.mark.parametrize("key", ["beat_s", "duration_s", "acc_hz", "ecg_hz", "rr_quality"])
def test_nan_anywhere(tmp_path: Path, key: str) -> None:
    arrays = _valid_arrays()
    arrays["ecg_uv"] = np.zeros(400, np.int16)
    arrays["ecg_hz"] = np.float64(200.0)
    arrays["rr_quality"] = np.ones(3)
    if key in ("beat_s", "rr_quality"):
        arrays[key] = np.array([0.5, np.nan, 1.9])
    else:
        arrays[key] = np.float64(np.nan)
    _fails(_write(tmp_path, arrays), key, "NaN")


def test_ecg_uv_without_ecg_hz(tmp_path: Path) -> None:
    arrays = _valid_arrays()
    arrays["ecg_uv"] = np.zeros(400, np.int16)
    _fails(_write(tmp_path, arrays), "ecg_uv", "ecg_hz")


def test_ecg_hz_without_ecg_uv(tmp_path: Path) -> None:
    arrays = _valid_arrays()
    arrays["ecg_hz"] = np.float64(200.0)
    _fails(_write(tmp_path, arrays), "ecg_hz", "ecg_uv")


def test_ecg_uv_must_be_int16(tmp_path: Path) -> None:
    arrays = _valid_arrays()
    arrays["ecg_uv"] = np.zeros(400, np.float64)
    arrays["ecg_hz"] = np.float64(200.0)
    _fails(_write(tmp_path, arrays), "ecg_uv", "int16")


def test_start_utc_must_be_iso_8601(tmp_path: Path) -> None:
    arrays = _valid_arrays()
    arrays["start_utc"] = np.str_("last tuesday")
    _fails(_write(tmp_path, arrays), "start_utc", "ISO 8601")


def test_events_file_with_missing_columns(tmp_path: Path) -> None:
    text = "onset\tduration\teventType\n1\t2\tsz\n"
    error = _fails(_write(tmp_path, _valid_arrays(), text),
                   "confidence", "channels", "dateTime", "recordingDuration")
    assert "onset," not in error.reason  # present columns are not reported missing


def test_empty_events_file(tmp_path: Path) -> None:
    _fails(_write(tmp_path, _valid_arrays(), ""), "onset", "lacks column")


def test_events_columns_in_another_order_and_extra_columns(tmp_path: Path) -> None:
    header = "eventType\tonset\tnote\tduration\tconfidence\tchannels\tdateTime\trecordingDuration"
    text = f"{header}\nsz_focal\t0.5\tseen\t1\t0.7\tn/a\tn/a\t2\n"
    fixture = load_fixture(_write(tmp_path, _valid_arrays(), text))
    assert fixture.events == (Event(0.5, 1.0, "sz_focal", 0.7, None, None, 2.0),)


def test_non_numeric_onset(tmp_path: Path) -> None:
    text = EVENTS_HEADER + "soon\t1\tsz\tn/a\tn/a\tn/a\t2\n"
    error = _fails(_write(tmp_path, _valid_arrays(), text), "onset", "line 2", "'soon'")
    assert error.path is not None and error.path.endswith("case.events.tsv")


@pytest.mark.parametrize("onset, duration", [("1.5", "1"), ("-0.5", "1"), ("3", "0")])
def test_event_outside_the_recording(tmp_path: Path, onset: str, duration: str) -> None:
    text = EVENTS_HEADER + f"{onset}\t{duration}\tsz\tn/a\tn/a\tn/a\t2\n"
    _fails(_write(tmp_path, _valid_arrays(), text), "outside the recording", "onset")


def test_event_ending_exactly_at_the_end_is_inside(tmp_path: Path) -> None:
    text = EVENTS_HEADER + "1.5\t0.5\tsz\tn/a\tn/a\tn/a\t2\n"
    fixture = load_fixture(_write(tmp_path, _valid_arrays(), text))
    assert fixture.events[0].offset_s == 2.0


def test_events_file_of_another_recording(tmp_path: Path) -> None:
    text = EVENTS_HEADER + "0.5\t1\tsz\tn/a\tn/a\tn/a\t3600\n"
    _fails(_write(tmp_path, _valid_arrays(), text), "recordingDuration", "duration_s")


@pytest.mark.parametrize(
    "row, word",
    [
        ("0.5\t1\tsz\t1.5\tn/a\tn/a\t2", "confidence"),
        ("0.5\t-1\tsz\tn/a\tn/a\tn/a\t2", "duration"),
        ("0.5\tn/a\tsz\tn/a\tn/a\tn/a\t2", "duration"),
        ("0.5\t1\t\tn/a\tn/a\tn/a\t2", "eventType"),
        ("0.5\t1\tsz\tn/a\tn/a\tyesterday\t2", "dateTime"),
        ("0.5\t1\tsz\tn/a\tn/a\tn/a", "fields"),
    ],
)
def test_bad_event_values(tmp_path: Path, row: str, word: str) -> None:
    _fails(_write(tmp_path, _valid_arrays(), EVENTS_HEADER + row + "\n"), word, "line 2")


def test_write_events_refuses_an_event_outside_the_recording(tmp_path: Path) -> None:
    with pytest.raises(FixtureError, match="outside the recording"):
        write_events(tmp_path / "x.events.tsv", [Event(5.0, 10.0, "sz")], 10.0)
    assert not (tmp_path / "x.events.tsv").exists()


# --------------------------------------------------------------------------------------
# resampling to the device's rate


def _sine_mg(hz: float, freq_hz: float, seconds: float, amplitude_mg: float) -> np.ndarray:
    t = np.arange(int(seconds * hz)) / hz
    wave = amplitude_mg * np.sin(2 * np.pi * freq_hz * t)
    # Gravity on z, the motion on x: the edges must not ramp the 1 g.
    return np.stack([wave, np.zeros_like(t), 1000 + 0 * t], axis=1).round().astype(np.int16)


def _amplitude_at(acc_x: np.ndarray, hz: float, freq_hz: float) -> float:
    spectrum = np.abs(np.fft.rfft(acc_x - acc_x.mean())) * 2 / len(acc_x)
    return float(spectrum[int(round(freq_hz * len(acc_x) / hz))])


@pytest.mark.parametrize("from_hz", [32.0, 50.0, 100.0])
def test_resampling_down_keeps_the_clonic_band_and_removes_what_would_alias(
        from_hz: float) -> None:
    from ictalog.fixture import resample_acc

    in_band = resample_acc(_sine_mg(from_hz, 5.0, 20, 400), from_hz)
    assert in_band.shape == (500, 3)
    assert _amplitude_at(in_band[:, 0].astype(float), 25, 5.0) == pytest.approx(400, rel=0.03)
    assert np.all(np.abs(in_band[:, 2].astype(int) - 1000) <= 1)

    # 15 Hz sampled at 25 Hz would fold to 10 Hz; the low-pass must remove it first.
    above = resample_acc(_sine_mg(from_hz, 15.0, 20, 400), from_hz)
    assert _amplitude_at(above[:, 0].astype(float), 25, 10.0) < 400 * 0.05


def test_resampling_up_interpolates_and_an_equal_rate_is_untouched() -> None:
    from ictalog.fixture import resample_acc

    acc = _sine_mg(12.5, 2.0, 20, 300)
    up = resample_acc(acc, 12.5)
    assert up.shape == (500, 3)
    # Where the two grids meet the samples come back to within a few mg.
    assert np.max(np.abs(up[::2].astype(int) - acc)) <= 3
    assert _amplitude_at(up[:, 0].astype(float), 25, 2.0) == pytest.approx(300, rel=0.02)
    assert resample_acc(acc, 12.5, 12.5) is acc or np.array_equal(
        resample_acc(acc, 12.5, 12.5), acc)
