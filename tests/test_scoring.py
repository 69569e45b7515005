"""Tests of the scoring harness: the OpenSeizureDetector baseline and both conventions."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from ictalog.baseline_osd import (
    BaselineError,
    detect_osd,
    osd_events,
    osd_windows,
    window_powers,
)
from ictalog.fixture import Event, Fixture
from ictalog.score_cli import DETECTORS, main
from ictalog.scoring import (
    DetectedEvent,
    ScoringError,
    aggregate,
    corpus_nights,
    score_corpus,
    score_recording,
    szcore_score,
    wearable_score,
)

FIXTURES = Path(__file__).parent / "fixtures"
HZ = 25


# --------------------------------------------------------------------------------------
# OpenSeizureDetector baseline


def _supine(seconds: float) -> np.ndarray:
    """Still, lying on the back: gravity on z."""
    acc = np.zeros((int(seconds * HZ), 3), dtype=np.int16)
    acc[:, 2] = 1000
    return acc


def _shake(acc: np.ndarray, freq_hz: float, amplitude_mg: float, start_s: float,
           stop_s: float) -> np.ndarray:
    """Add a sinusoid along gravity, where it changes the magnitude most."""
    out = acc.copy()
    first, last = int(start_s * HZ), int(stop_s * HZ)
    t_s = np.arange(last - first) / HZ
    wave = np.round(amplitude_mg * np.sin(2 * np.pi * freq_hz * t_s))
    out[first:last, 2] = (out[first:last, 2] + wave).astype(np.int16)
    return out


def _fixture(acc: np.ndarray, hz: float = HZ) -> Fixture:
    return Fixture(acc_mg=acc, acc_hz=hz, beat_s=np.zeros(0), duration_s=len(acc) / hz)


def test_osd_power_arithmetic_matches_a_hand_computed_window() -> None:
    # A cosine on bin 25 (5 Hz) has |X_25| = A * 125 / 2, so |X_25|^2 = 3906.25 A^2.
    # A = 41: spec = 3906.25 * 1681 / 250 = 26265.6 -> 26; roi = 3906.25 * 1681 / 25
    # = 262656.25 -> 262; the ratio 10 * 262 // 26 = 100.
    n = np.arange(125)
    magnitude = 1000 + 41 * np.cos(2 * np.pi * 25 * n / 125)
    assert window_powers(magnitude) == (26, 262)
    # Gravity alone sits in bin 0, which is skipped; a spec_power of 0 counts as 1.
    assert window_powers(np.full(125, 1000.0)) == (1, 0)
    with pytest.raises(BaselineError):
        window_powers(np.zeros(100))


def test_osd_roi_threshold_sits_between_25_and_26_mg_at_5_hz() -> None:
    # roi = 156.25 A^2 // 1000: 97 at 25 mg (not above 100), 105 at 26 mg.
    n = np.arange(125)
    assert window_powers(1000 + 25 * np.cos(2 * np.pi * 25 * n / 125))[1] == 97
    assert window_powers(1000 + 26 * np.cos(2 * np.pi * 25 * n / 125))[1] == 105


def test_osd_still_recording_raises_nothing() -> None:
    rng = np.random.default_rng(1)
    acc = _supine(120).astype(np.int32) + rng.integers(-2, 3, size=(120 * HZ, 3))
    windows = osd_windows(acc.astype(np.int16), HZ)
    assert len(windows.start_s) == 24
    assert not windows.seizure_like.any()
    assert detect_osd(_fixture(acc.astype(np.int16))) == []


def test_osd_5_hz_shaking_alarms_at_the_end_of_the_third_window() -> None:
    acc = _shake(_supine(60), 5.0, 500, 10.0, 30.0)
    windows = osd_windows(acc, HZ)
    assert windows.seizure_like.tolist() == [False, False, True, True, True, True] + [False] * 6
    events = detect_osd(_fixture(acc))
    assert len(events) == 1
    event = events[0]
    assert event.onset_s == 10.0
    assert event.end_s == 30.0
    assert event.warning_s == 20.0
    assert event.raise_s == 25.0  # the end of the third seizure-like window


def test_osd_on_a_50_hz_recording_runs_at_its_own_25_hz() -> None:
    from ictalog.fixture import resample_acc

    acc = _shake(_supine(60), 5.0, 500, 10.0, 30.0)
    [event] = detect_osd(_fixture(resample_acc(acc, HZ, 50), hz=50))
    assert (event.onset_s, event.end_s, event.raise_s) == (10.0, 30.0, 25.0)


def test_osd_two_windows_warn_but_do_not_alarm() -> None:
    acc = _shake(_supine(60), 5.0, 500, 10.0, 20.0)
    windows = osd_windows(acc, HZ)
    assert int(windows.seizure_like.sum()) == 2
    assert osd_events(windows) == []


def test_osd_1_hz_shaking_is_outside_the_band() -> None:
    acc = _shake(_supine(60), 1.0, 500, 10.0, 40.0)
    windows = osd_windows(acc, HZ)
    assert not windows.seizure_like.any()
    assert int(windows.spec_power.max()) > 1000  # it does move, just not at 3 to 8 Hz
    assert detect_osd(_fixture(acc)) == []


def test_osd_windows_refuse_other_rates_and_drop_a_short_tail() -> None:
    with pytest.raises(BaselineError, match="resample"):
        osd_windows(_supine(10), 32)
    assert len(osd_windows(_supine(12), HZ).start_s) == 2
    assert detect_osd(_fixture(np.zeros((0, 3), dtype=np.int16))) == []


# --------------------------------------------------------------------------------------
# SzCORE through timescoring

SEIZURE = (1000.0, 1060.0)
HOUR_S = 3600.0


def test_szcore_counts_a_detection_20_s_before_onset() -> None:
    result = szcore_score([SEIZURE], [(975.0, 980.0)], HOUR_S)
    assert (result.ref_true, result.tp, result.fp) == (1, 1, 0)
    assert result.sensitivity == 1.0


def test_szcore_rejects_a_detection_100_s_after_the_end() -> None:
    result = szcore_score([SEIZURE], [(1160.0, 1170.0)], HOUR_S)
    assert (result.ref_true, result.tp, result.fp) == (1, 0, 1)
    assert result.sensitivity == 0.0


def test_szcore_merges_hypotheses_closer_than_90_s_and_rates_per_24h() -> None:
    close = szcore_score([], [(2000.0, 2010.0), (2060.0, 2070.0)], 12 * HOUR_S)
    apart = szcore_score([], [(2000.0, 2010.0), (2110.0, 2120.0)], 12 * HOUR_S)
    assert close.fp == 1
    assert apart.fp == 2
    assert apart.fp_per_24h == pytest.approx(4.0)
    assert close.sensitivity is None


def test_szcore_keeps_zero_length_and_nested_detections() -> None:
    # A zero-length hypothesis is widened to 1 s; a nested one must not shorten the outer.
    assert szcore_score([SEIZURE], [(1010.0, 1010.0)], HOUR_S).tp == 1
    nested = szcore_score([SEIZURE], [(1500.0, 1900.0), (1550.0, 1560.0)], HOUR_S)
    assert (nested.tp, nested.fp) == (0, 2)  # 400 s is split in two (over 300 s)


# --------------------------------------------------------------------------------------
# wearable convention


def _at(raise_s: float, length_s: float = 5.0, onset_s: float | None = None) -> DetectedEvent:
    onset = raise_s - 10.0 if onset_s is None else onset_s
    return DetectedEvent(onset_s=onset, end_s=raise_s + length_s, raise_s=raise_s)


@pytest.mark.parametrize(
    ("raise_s", "caught"),
    [
        (SEIZURE[0] - 121.0, False),
        (SEIZURE[0] - 120.0, True),
        (SEIZURE[0] - 119.0, True),
        (SEIZURE[1] + 10.0, True),
        (SEIZURE[1] + 11.0, False),
    ],
)
def test_wearable_window_edges(raise_s: float, caught: bool) -> None:
    result = wearable_score([SEIZURE], [_at(raise_s)], HOUR_S)
    assert result.detected == int(caught)
    assert result.false_alarms == int(not caught)
    if caught:
        assert result.latencies_s == (pytest.approx(raise_s - SEIZURE[0]),)
    else:
        assert result.latencies_s == (None,)


def test_wearable_uses_the_raise_time_not_the_onset() -> None:
    # The detection's extent covers the seizure, but the alarm sounded 30 s after its end.
    late = DetectedEvent(onset_s=1000.0, end_s=1100.0, raise_s=1090.0)
    assert wearable_score([SEIZURE], [late], HOUR_S).detected == 0
    # Latency is the earliest true raise time minus onset.
    both = wearable_score([SEIZURE], [_at(1030.0), _at(1012.0)], HOUR_S)
    assert both.latencies_s == (pytest.approx(12.0),)


def test_wearable_merges_close_false_alarms() -> None:
    assert wearable_score([], [_at(2000.0), _at(2100.0)], HOUR_S).false_alarms == 1
    assert wearable_score([], [_at(2000.0), _at(2200.0)], HOUR_S).false_alarms == 2
    # The gap runs from the end of the standing alarm: 2000..2100, next raised at 2240.
    chained = wearable_score([], [_at(2000.0, 100.0), _at(2240.0, 0.0)], HOUR_S)
    assert chained.false_alarms == 2  # one episode of 240 s: two started 150 s stretches


def test_wearable_caps_one_false_alarm_at_150_s() -> None:
    assert wearable_score([], [_at(2000.0, 150.0)], HOUR_S).false_alarms == 1
    assert wearable_score([], [_at(2000.0, 151.0)], HOUR_S).false_alarms == 2
    assert wearable_score([], [_at(2000.0, 400.0)], HOUR_S).false_alarms == 3


def test_wearable_alarms_following_a_true_detection_are_not_false() -> None:
    # Raised 90 s after the seizure's end (outside the window) but within 150 s of the
    # true alarm's end: the same episode, so no false alarm.
    result = wearable_score([SEIZURE], [_at(1010.0, 60.0), _at(1150.0)], HOUR_S)
    assert (result.detected, result.false_alarms) == (1, 0)


def test_wearable_false_alarms_by_type() -> None:
    annotations = [
        Event(500.0, 200.0, "mimic_rocking"),
        Event(2000.0, 600.0, "bckg_out_of_bed"),
        Event(2100.0, 100.0, "mimic_brushing"),
        Event(*SEIZURE[:1], SEIZURE[1] - SEIZURE[0], "sz_tonic_clonic"),
    ]
    detections = [_at(600.0), _at(2150.0), _at(2500.0), _at(3000.0), _at(3300.0, 200.0)]
    result = wearable_score([SEIZURE], detections, HOUR_S, annotations)
    assert result.false_alarms_by_type == {
        "bckg_out_of_bed": 1,
        "mimic_brushing": 1,  # the more specific mimic wins over the episode around it
        "mimic_rocking": 1,
        "unannotated": 3,  # 3000 alone, then 3300..3505 counts two
    }
    assert result.false_alarms == 6
    assert result.detected == 0


def test_aggregate_normalises_per_night_and_per_24h() -> None:
    night = [Event(*SEIZURE[:1], SEIZURE[1] - SEIZURE[0], "sz_tonic_clonic")]
    rows = [
        score_recording(night, [_at(1020.0), _at(5000.0)], 12 * HOUR_S),
        score_recording([], [_at(2000.0), _at(9000.0)], 12 * HOUR_S),
        score_recording(night + [Event(3000.0, 60.0, "sz_tonic_clonic")], [], 12 * HOUR_S),
    ]
    summary = aggregate(rows)
    wearable = summary["wearable"]
    assert wearable["false_alarms"] == 3
    assert wearable["false_alarms_per_night"] == 1.0
    assert wearable["false_alarms_per_24h"] == pytest.approx(2.0)  # 3 in 36 h
    assert (wearable["detected"], wearable["seizures"]) == (1, 3)
    assert wearable["sensitivity"] == pytest.approx(1 / 3, abs=1e-4)
    # Over the two nights with seizures: 1.0 and 0.0.
    assert wearable["median_sensitivity_per_recording"] == 0.5
    assert wearable["latency_s"] == {"median": 20.0, "min": 20.0, "max": 20.0, "n": 1}
    assert wearable["false_alarms_by_type"] == {"unannotated": 3}
    szcore = summary["szcore"]
    assert (szcore["tp"], szcore["fp"], szcore["ref_true"]) == (1, 3, 3)
    assert szcore["fp_per_24h"] == pytest.approx(2.0)


def test_detected_event_rejects_an_end_before_its_onset() -> None:
    with pytest.raises(ScoringError, match="before it starts"):
        DetectedEvent(onset_s=10.0, end_s=5.0, raise_s=10.0)


# --------------------------------------------------------------------------------------
# corpus and command line


def _demo_corpus(folder: Path, manifest: dict | None = None) -> Path:
    for name in ("corpus_demo_seizure", "corpus_demo_mimics"):
        for suffix in (".npz", ".events.tsv"):
            shutil.copy(FIXTURES / f"{name}{suffix}", folder / f"{name}{suffix}")
    entries = [{"name": "corpus_demo_seizure", "split": "test"},
               {"name": "corpus_demo_mimics", "split": "test"}]
    (folder / "corpus.json").write_text(json.dumps(manifest or {"nights": entries}))
    return folder


def test_corpus_nights_reads_both_manifest_layouts(tmp_path: Path) -> None:
    entries = [{"name": "a", "split": "train"}, {"name": "b", "split": "test"}]
    (tmp_path / "corpus.json").write_text(json.dumps({"nights": 2, "night_list": entries}))
    assert [e["name"] for e in corpus_nights(tmp_path, "test")] == ["b"]
    assert [e["name"] for e in corpus_nights(tmp_path, "all")] == ["a", "b"]
    (tmp_path / "corpus.json").write_text(json.dumps({"nights": entries}))
    assert [e["name"] for e in corpus_nights(tmp_path, "train")] == ["a"]
    with pytest.raises(ScoringError, match="no night in split"):
        corpus_nights(tmp_path, "validation")
    with pytest.raises(ScoringError, match="unknown split"):
        corpus_nights(tmp_path, "dev")
    with pytest.raises(ScoringError, match="no corpus.json"):
        corpus_nights(tmp_path / "missing", "test")


def test_score_corpus_on_the_demo_nights(tmp_path: Path) -> None:
    corpus = _demo_corpus(tmp_path)
    result = score_corpus(corpus, DETECTORS, split="test")
    assert result["nights"] == ["corpus_demo_seizure", "corpus_demo_mimics"]
    assert result["seizures"] == 1
    assert result["hours"] == pytest.approx(2.0)
    assert [row["detector"] for row in result["summary"]] == ["ictalog", "osd", "prefilter"]
    json.dumps(result)  # JSON-ready, no numpy values or NaN left
    for name in ("ictalog", "osd", "prefilter"):
        scored = result["detectors"][name]
        assert set(scored) == {"szcore", "wearable", "nights"}
        assert [row["name"] for row in scored["nights"]] == result["nights"]
        assert scored["wearable"]["seizures"] == 1
        assert scored["szcore"]["ref_true"] == 1
        assert "false_alarms_per_24h" in scored["wearable"]
    prefilter = result["detectors"]["prefilter"]
    seizure_night = prefilter["nights"][0]
    assert seizure_night["wearable"]["detected"] == 1
    assert 0.0 <= seizure_night["wearable"]["latencies_s"][0] <= 30.0
    assert prefilter["szcore"]["tp"] == 1
    # The demo's mimics night has no seizure, so nothing there can be a true detection.
    assert prefilter["nights"][1]["wearable"]["detected"] == 0
    # The host detector finds the seizure early and raises nothing on the mimics night.
    host = result["detectors"]["ictalog"]
    assert host["wearable"]["detected"] == 1 and host["wearable"]["false_alarms"] == 0
    assert 0.0 < host["nights"][0]["wearable"]["latencies_s"][0] <= 20.0


def test_score_corpus_in_two_processes_gives_the_same_result(tmp_path: Path) -> None:
    corpus = _demo_corpus(tmp_path)
    chosen = {name: DETECTORS[name] for name in ("ictalog", "osd")}
    assert (score_corpus(corpus, chosen, "test", workers=2)
            == score_corpus(corpus, chosen, "test", workers=1))


def test_score_cli_prints_json_and_a_table(tmp_path: Path, capsys) -> None:
    corpus = _demo_corpus(tmp_path)
    assert main([str(corpus), "--json", "--detector", "prefilter"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert list(result["detectors"]) == ["prefilter"]
    assert main([str(corpus), "--split", "all"]) == 0
    text = capsys.readouterr().out
    assert "ictalog" in text and "osd" in text and "prefilter" in text and "FA/24h" in text
    assert main([str(tmp_path / "nowhere")]) == 2
    assert "next step" in capsys.readouterr().err


# --------------------------------------------------------------------------------------
# a synced study, scored against annotations on the wall clock


@pytest.fixture(scope="module")
def demo_study(tmp_path_factory) -> Path:
    """The demo seizure night recorded by the firmware, with its RTC set, as a study."""
    from datetime import datetime

    from ictalog.fixture import load_fixture
    from ictalog.simrun import sim_record

    fixture = load_fixture(FIXTURES / "corpus_demo_seizure.npz")
    study = tmp_path_factory.mktemp("study")
    start_unix_ms = int(datetime.fromisoformat(fixture.start_utc).timestamp() * 1000)
    # CPython writes the same image byte for byte as MicroPython, and faster.
    sim_record(fixture.beat_s, fixture.acc_mg, fixture.acc_hz, fixture.duration_s,
               str(study / "sync-1.img"), 256, start_unix_ms=start_unix_ms,
               study_id="ST-1", runtime="cpython")
    return study


def test_score_study_finds_the_annotated_seizure_on_the_wall_clock(demo_study) -> None:
    from ictalog.score_cli import STUDY_DETECTORS
    from ictalog.scoring import score_study

    reference = FIXTURES / "corpus_demo_seizure.events.tsv"
    result = score_study(demo_study, [reference], STUDY_DETECTORS)

    assert result["seizures"] == 1
    assert result["reference_outside_nights"] == []
    [row] = result["summary"]
    assert (row["detected"], row["false_alarms"]) == (1, 0)
    assert 0 < row["median_latency_s"] <= 20
    assert row["szcore_sensitivity"] == 1.0


def test_score_study_lists_a_seizure_outside_every_night(demo_study, tmp_path) -> None:
    from dataclasses import replace

    from ictalog.fixture import read_events, write_events
    from ictalog.score_cli import STUDY_DETECTORS
    from ictalog.scoring import score_study

    [seizure] = [e for e in read_events(FIXTURES / "corpus_demo_seizure.events.tsv")
                 if e.is_seizure]
    # A day later: the device was not recording then, so nothing could find it.
    later = replace(seizure, date_time="2025-01-07T22:45:04+00:00")
    path = tmp_path / "later.events.tsv"
    write_events(path, [later], 3600.0)
    result = score_study(demo_study, [path], STUDY_DETECTORS)

    assert result["seizures"] == 0
    assert result["reference_outside_nights"] == [
        {"date_time": "2025-01-07T22:45:04+00:00", "eventType": seizure.event_type}]
    # The detector's true event now counts against it, as a false alarm.
    assert result["summary"][0]["false_alarms"] == 1


def test_score_study_needs_every_reference_on_the_wall_clock(demo_study, tmp_path) -> None:
    from ictalog.fixture import write_events
    from ictalog.score_cli import STUDY_DETECTORS
    from ictalog.scoring import score_study

    path = tmp_path / "no-clock.events.tsv"
    write_events(path, [Event(onset_s=900.0, duration_s=40.0, event_type="sz_tonic_clonic")],
                 3600.0)
    with pytest.raises(ScoringError, match="no dateTime"):
        score_study(demo_study, [path], STUDY_DETECTORS)


def test_score_cli_on_a_study_refuses_what_it_cannot_score(demo_study, capsys) -> None:
    assert main([str(demo_study)]) == 2
    assert "--reference" in capsys.readouterr().err

    reference = str(FIXTURES / "corpus_demo_seizure.events.tsv")
    assert main([str(demo_study), "--reference", reference, "--detector", "osd"]) == 2
    assert "continuous raw acceleration" in capsys.readouterr().err

    assert main([str(demo_study), "--reference", reference, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["study"] == str(demo_study)
    assert [r["detector"] for r in result["summary"]] == ["ictalog"]


# --------------------------------------------------------------------------------------
# intervals: what a corpus of this size can show


def test_wilson_interval_matches_published_values() -> None:
    from ictalog.scoring import wilson_interval

    # 12 of 12 cannot show a sensitivity above 76 % at 95 %.
    assert wilson_interval(12, 12) == [0.7575, 1.0]
    assert wilson_interval(0, 10) == [0.0, 0.2775]
    lo, hi = wilson_interval(33, 34)
    assert lo == pytest.approx(0.8508, abs=1e-4) and hi == pytest.approx(0.9948, abs=1e-4)
    assert wilson_interval(0, 0) is None


def test_poisson_interval_matches_garwoods_table() -> None:
    from ictalog.scoring import poisson_interval

    # Garwood's exact limits for a count of 0, 1 and 5: (0, 3.689), (0.0253, 5.572),
    # (1.624, 11.668).
    assert poisson_interval(0, 1.0) == [0.0, pytest.approx(3.6889, abs=1e-4)]
    assert poisson_interval(1, 1.0) == [pytest.approx(0.0253, abs=1e-4),
                                        pytest.approx(5.5716, abs=1e-4)]
    lo, hi = poisson_interval(5, 17.0)
    assert lo * 17 == pytest.approx(1.6235, abs=2e-3) and hi * 17 == pytest.approx(11.668,
                                                                                   abs=2e-3)
    assert poisson_interval(3, 0.0) is None
