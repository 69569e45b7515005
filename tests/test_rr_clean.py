"""R-R cleaning: synthetic beat trains with one known fault each, and the reference records.

The synthetic trains are sinus rhythm with a breathing swing, built by integral
pulse-frequency modulation (a beat each time the integral of the rate passes a whole
number), so every fault below is the only thing in the train that is not sinus rhythm.
The reference-record thresholds sit a small margin under what ``python -m
ictalog.rr_validate`` measured, so that a regression of the cleaner fails here.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from ictalog.errors import IctalogError
from ictalog.fixture import load_fixture
from ictalog.rr_clean import RRError, clean_rr, hr_per_second
from ictalog.rr_validate import (
    corpus_artifact_agreement,
    mitdb_agreement,
    tachycardia_profile,
)

FIXTURES = Path(__file__).resolve().parent / "fixtures"
GRID_S = 0.002  # integration step of the synthetic trains: beat times to ~1 ms


def beats_from_hr(hr_bpm: Callable[[NDArray[np.float64]], NDArray[np.float64]],
                  duration_s: float, breathing_fraction: float = 0.03) -> NDArray[np.float64]:
    """Beat times for a heart-rate curve, with a 0.25 Hz breathing swing on top."""
    t_s = np.arange(0.0, duration_s, GRID_S)
    rate_bpm = hr_bpm(t_s) * (1.0 + breathing_fraction * np.sin(2 * np.pi * 0.25 * t_s))
    beats = np.concatenate([[0.0], np.cumsum(rate_bpm / 60.0) * GRID_S])
    return np.interp(np.arange(0.5, beats[-1], 1.0), beats, np.append(t_s, duration_s))


def steady(duration_s: float = 600.0, hr: float = 60.0) -> NDArray[np.float64]:
    """Sinus rhythm at a constant rate (with breathing)."""
    return beats_from_hr(lambda t: np.full(t.shape, hr), duration_s)


def assert_all_normal_except(labels: NDArray[np.str_], allowed: dict[int, str]) -> None:
    odd = {int(i): str(labels[i]) for i in np.flatnonzero(labels != "N")}
    assert odd == allowed


# --------------------------------------------------------------------------------------
# one fault at a time


def test_clean_train_is_all_normal_and_every_interval_is_nn() -> None:
    beat_s = steady()
    clean = clean_rr(beat_s)
    assert_all_normal_except(clean.label, {})
    assert clean.nn_s.size == beat_s.size - 1
    assert clean.missed.size == 0 and clean.artifact_spans == []
    np.testing.assert_array_equal(clean.beat_s, beat_s)


def test_premature_beat_with_compensatory_pause_is_ectopic() -> None:
    beat_s = steady()
    k = 300
    rr_s = beat_s[k] - beat_s[k - 1]
    beat_s[k] -= 0.3 * rr_s  # 30 % early; beat k + 1 stays on time (full pause)
    clean = clean_rr(beat_s)
    # The premature beat carries E; the compensatory beat after it is a sinus beat.
    assert_all_normal_except(clean.label, {k: "E"})
    # Neither interval touching the premature beat is an NN interval.
    assert beat_s[k] not in clean.nn_t_s and beat_s[k + 1] not in clean.nn_t_s
    assert clean.nn_s.size == beat_s.size - 3


def test_atrial_premature_beat_without_full_pause_is_ectopic() -> None:
    beat_s = steady()
    k = 200
    shift_s = 0.25 * (beat_s[k] - beat_s[k - 1])
    beat_s[k] -= shift_s
    beat_s[k + 1:] -= 0.5 * shift_s  # the rhythm resets: only half a pause follows
    assert_all_normal_except(clean_rr(beat_s).label, {k: "E"})


def test_extra_detection_splitting_an_interval_is_spurious() -> None:
    base_s = steady()
    k = 250
    extra_s = base_s[k] + 0.35  # a T wave counted as a beat
    beat_s = np.insert(base_s, k + 1, extra_s)
    clean = clean_rr(beat_s)
    assert_all_normal_except(clean.label, {k + 1: "S"})
    assert clean.missed.size == 0
    assert not np.any(np.isclose(clean.nn_t_s, extra_s))


def test_dropped_beat_is_reported_missed_and_its_interval_is_not_nn() -> None:
    base_s = steady()
    k = 400
    beat_s = np.delete(base_s, k)
    clean = clean_rr(beat_s)
    assert_all_normal_except(clean.label, {})
    assert clean.missed.size == 1
    assert abs(clean.missed[0] - base_s[k]) < 0.05
    assert clean.nn_s.max() < 1.5  # the double interval did not become NN


def test_two_dropped_beats_are_reported_at_both_places() -> None:
    base_s = steady()
    beat_s = np.delete(base_s, [400, 401])
    clean = clean_rr(beat_s)
    assert clean.missed.size == 2
    np.testing.assert_allclose(clean.missed, base_s[[400, 401]], atol=0.05)


def test_250_bpm_burst_of_20_s_is_an_artifact_span_without_nn() -> None:
    base_s = steady(900.0)
    start_s, end_s = 300.0, 320.0
    burst_s = start_s + 0.1 + np.arange(0.0, end_s - start_s - 0.1, 60.0 / 250.0)
    beat_s = np.sort(np.concatenate([base_s[(base_s < start_s) | (base_s >= end_s)], burst_s]))
    clean = clean_rr(beat_s)

    assert len(clean.artifact_spans) == 1
    span_start_s, span_end_s = clean.artifact_spans[0]
    assert span_start_s <= burst_s[0] and span_end_s >= burst_s[-1]
    assert span_end_s - span_start_s < (end_s - start_s) + 3.0  # no more than a beat each side
    assert np.all(clean.label[np.isin(beat_s, burst_s)] == "A")
    assert not np.any((clean.nn_t_s >= start_s) & (clean.nn_t_s <= end_s + 0.5))
    # Outside the span the night is untouched.
    outside = (beat_s < span_start_s) | (beat_s > span_end_s)
    assert np.all(clean.label[outside] == "N")

    hr_bpm = hr_per_second(clean, 900.0)
    assert np.isnan(hr_bpm[int(start_s) + 1:int(end_s)]).all()
    assert not np.isnan(hr_bpm[:290]).any() and not np.isnan(hr_bpm[330:890]).any()


@pytest.mark.parametrize("rise_bpm, rise_s", [(30.0, 10.0), (50.0, 20.0), (60.0, 30.0)])
def test_gradual_sinus_rise_stays_normal(rise_bpm: float, rise_s: float) -> None:
    # Ictal tachycardia: rise from 60 bpm at t = 300 s, hold a minute, come back slowly.
    def hr_bpm(t_s: NDArray[np.float64]) -> NDArray[np.float64]:
        up = np.clip((t_s - 300.0) / rise_s, 0.0, 1.0)
        down = np.clip((t_s - (360.0 + rise_s)) / 90.0, 0.0, 1.0)
        return 60.0 + rise_bpm * (up - down)

    beat_s = beats_from_hr(hr_bpm, 700.0)
    clean = clean_rr(beat_s)
    assert_all_normal_except(clean.label, {})
    assert clean.nn_s.size == beat_s.size - 1
    peak_bpm = np.nanmax(hr_per_second(clean, 700.0))
    assert peak_bpm == pytest.approx(60.0 + rise_bpm, abs=4.0)


# --------------------------------------------------------------------------------------
# heart rate per second


def test_hr_per_second_is_nan_in_a_gap_and_never_interpolated() -> None:
    base_s = steady(600.0, hr=72.0)
    beat_s = base_s[(base_s < 200.0) | (base_s > 260.0)]  # electrode off for a minute
    clean = clean_rr(beat_s)
    hr_bpm = hr_per_second(clean, 600.0)
    assert hr_bpm.shape == (600,)
    assert np.isnan(hr_bpm[204:257]).all()
    assert np.nanmedian(hr_bpm) == pytest.approx(72.0, abs=1.0)
    assert any(start_s < 210.0 and end_s > 250.0 for start_s, end_s in clean.artifact_spans)


@pytest.mark.parametrize("duration_s, window_s", [(0.0, 5.0), (600.0, 0.0), (math.nan, 5.0)])
def test_hr_per_second_refuses_bad_arguments(duration_s: float, window_s: float) -> None:
    with pytest.raises(RRError):
        hr_per_second(clean_rr(steady(60.0)), duration_s, window_s)


# --------------------------------------------------------------------------------------
# bad input


@pytest.mark.parametrize(
    "beat_s, words",
    [
        (np.zeros((4, 2)), "1-D"),
        (np.array([0.0, 1.0, np.nan, 3.0]), "NaN"),
        (np.array([0.0, 1.0, 1.0, 2.0]), "strictly increasing"),
        (np.array([0.0, 2.0, 1.0, 3.0]), "strictly increasing"),
        (np.array([0.0, 1.0]), "at least 3"),
        (np.array(["a", "b", "c"]), "numbers"),
    ],
)
def test_bad_input_raises_rr_error_with_a_hint(beat_s: NDArray[np.float64], words: str) -> None:
    with pytest.raises(RRError) as caught:
        clean_rr(beat_s)
    assert isinstance(caught.value, IctalogError)
    assert words in caught.value.reason
    assert caught.value.hint
    assert "next step" in str(caught.value)


# --------------------------------------------------------------------------------------
# reference records (figures from python -m ictalog.rr_validate, minus a margin)


def test_mitdb100_beat_agreement() -> None:
    # Measured: TP 34, FP 0, FN 0, TN 2239; 100 % of 2204 reference NN intervals kept.
    result = mitdb_agreement(load_fixture(FIXTURES / "mitdb100.npz"))
    assert result["sensitivity"] >= 0.97  # at most one of the 34 premature beats missed
    assert result["positive_predictivity"] >= 0.97
    assert result["specificity"] >= 0.999
    assert result["nn_kept_fraction"] >= 0.99
    # Cleaning brings SDNN from 48.8 ms (ectopics included) to the reference NN figure.
    assert result["sdnn_ms_raw"] > result["sdnn_ms_clean"] + 10.0
    assert result["sdnn_ms_clean"] == pytest.approx(result["sdnn_ms_reference_nn"], abs=1.0)


@pytest.mark.parametrize("name, onset_s, min_rise_bpm", [
    ("szdb_sz01", 876.0, 45.0),   # measured 51.9 bpm, +10 bpm at onset
    ("szdb_sz03", 9267.0, 55.0),  # measured 64.2 bpm, +10 bpm 2 s after onset
])
def test_szdb_ictal_tachycardia_survives_cleaning(name: str, onset_s: float,
                                                   min_rise_bpm: float) -> None:
    profile = tachycardia_profile(load_fixture(FIXTURES / f"{name}.npz"))
    seizure = next(sz for sz in profile["seizures"] if sz["onset_s"] == onset_s)
    assert seizure["rise_bpm"] >= min_rise_bpm
    assert seizure["rise_s"] is not None and seizure["rise_s"] <= 15.0


def test_corpus_demo_night_artifacts_are_flagged() -> None:
    # Measured: 50 of 50 artifact beats, 11 of 11 ectopic beats, 2 of 3849 normal beats.
    result = corpus_artifact_agreement(load_fixture(FIXTURES / "corpus_demo_seizure.npz"))
    assert result["artifact_flagged_fraction"] >= 0.95
    assert result["ectopic_flagged_fraction"] >= 0.9
    assert result["normal_flagged_fraction"] <= 0.002


# --------------------------------------------------------------------------------------
# any valid input


@settings(max_examples=300, deadline=None)
@given(st.lists(st.floats(min_value=0.01, max_value=4.0), min_size=2, max_size=120))
def test_any_increasing_series_gives_a_consistent_result(rr_s: list[float]) -> None:
    beat_s = np.concatenate([[0.0], np.cumsum(rr_s)])
    clean = clean_rr(beat_s)
    assert clean.label.shape == beat_s.shape and set(clean.label) <= set("NESA")
    # Every NN interval is a real interval between two consecutive normal beats.
    end = np.searchsorted(beat_s, clean.nn_t_s)
    np.testing.assert_array_equal(beat_s[end], clean.nn_t_s)
    np.testing.assert_allclose(clean.nn_s, beat_s[end] - beat_s[end - 1])
    assert np.all(clean.label[end] == "N") and np.all(clean.label[end - 1] == "N")
    assert all(a <= b for a, b in clean.artifact_spans)
    hr_bpm = hr_per_second(clean, float(beat_s[-1]) + 1.0)
    assert np.all(np.isnan(hr_bpm) | ((hr_bpm > 20.0) & (hr_bpm < 230.0)))
