"""Host detection: each rule on hand-made epoch streams, the committed fixtures, missing
streams, the command line, and a recording made by the firmware under MicroPython and
loaded as a study, which must give the same event as the fixture it came from."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest

from ictalog.detect import KIND_CONVULSIVE, KIND_HR_ONLY, DetectError, detect_fixture, \
    detect_series
from ictalog.fixture import load_fixture
from ictalog.motion_analysis import bout_start, motion_grid, raw_window_evidence, \
    trailing_count
from ictalog.series import Gap, Series, series_from_fixture
from shared import records as rec

FIXTURES = "tests/fixtures"
STILL = (1, 0, 0, rec.POSTURE_SUPINE)
# A second of clonic jerking: about 164 mg (code 10), 13/15 of the power in 3 to 8 Hz,
# dominant at 4 Hz, lying on the back.
CLONIC = (10, 13, 4, rec.POSTURE_SUPINE)
SCRATCH = (8, 12, 5, rec.POSTURE_SUPINE)
WALK = (8, 3, 2, rec.POSTURE_UPRIGHT)
BRUSH = (12, 14, 5, rec.POSTURE_UPRIGHT)


def make_series(codes: list[tuple[int, int, int, int]], hr_bpm=None, name="synthetic",
                missing: tuple[int, int] | None = None) -> Series:
    """A series with one epoch per second as given, and beats at hr_bpm(second)."""
    seconds = len(codes)
    arr = np.array(codes, dtype=np.uint8).reshape(-1, 4)
    t = np.arange(seconds, dtype=np.float64)
    keep = np.ones(seconds, dtype=bool)
    gaps = []
    if missing is not None:
        keep[missing[0]:missing[1]] = False
        gaps.append(Gap(float(missing[0]), float(missing[1]), "no_data", "motion"))
    beats = []
    if hr_bpm is not None:
        now = 0.3
        while now < seconds - 0.5:
            beats.append(now)
            now += 60.0 / hr_bpm(int(now))
    return Series(name=name, start_utc="2025-03-03T21:00:00+00:00", duration_s=float(seconds),
                  beat_s=np.array(beats), epoch_t_s=t[keep], epoch_act=arr[keep, 0],
                  epoch_band=arr[keep, 1], epoch_freq_hz=arr[keep, 2],
                  epoch_posture=arr[keep, 3], gaps=gaps)


def night(*parts: tuple[tuple[int, int, int, int], int]) -> list[tuple[int, int, int, int]]:
    out: list[tuple[int, int, int, int]] = []
    for code, seconds in parts:
        out += [code] * seconds
    return out


def steady(bpm: float):
    return lambda s: bpm


def rising(at_s: int, rest_bpm: float, peak_bpm: float, ramp_s: float = 10.0):
    def hr(s: int) -> float:
        if s < at_s:
            return rest_bpm
        return rest_bpm + (peak_bpm - rest_bpm) * min(1.0, (s - at_s) / ramp_s)
    return hr


# --- the rules, one at a time ----------------------------------------------------------------


def test_fusion_fires_within_seconds_of_clonic_motion_with_tachycardia():
    # The heart rate rises from 60 to 100 bpm 10 s before the jerks start at 900 s.
    series = make_series(night((STILL, 900), (CLONIC, 40), (STILL, 600)),
                         rising(890, 60, 100))
    events = detect_series(series).convulsive()
    assert len(events) == 1
    event = events[0]
    assert event.onset_s == 900 and event.end_s == 940
    assert "fusion" in event.rules
    assert 900 < event.raise_s <= 905
    hr = event.evidence["heart_rate"]
    assert hr["resting_hr_bpm"] == pytest.approx(60, abs=1)
    assert hr["rise_pct"] == pytest.approx(66.7, abs=3)
    assert event.evidence["after"]["still_s"] >= 300


def test_without_heart_rate_only_long_strong_motion_fires():
    codes = night((STILL, 900), (CLONIC, 40), (STILL, 600))
    events = detect_series(make_series(codes, None)).convulsive()
    assert len(events) == 1
    assert events[0].rules == ["motion"]
    # 15 of the last 20 s must be strong: the 15th convulsive second.
    assert events[0].raise_s == 915
    assert events[0].evidence["heart_rate"]["rise_pct"] is None


def test_short_strong_motion_without_tachycardia_is_not_a_seizure():
    # Ten seconds of scratching-like motion with a steady heart rate.
    codes = night((STILL, 900), (SCRATCH, 12), (STILL, 600))
    assert detect_series(make_series(codes, steady(62))).events == []


def test_the_same_motion_with_tachycardia_is_a_seizure():
    codes = night((STILL, 900), (SCRATCH, 12), (STILL, 600))
    events = detect_series(make_series(codes, rising(880, 62, 110))).convulsive()
    assert [e.rules for e in events] == [["fusion"]]


def test_rhythmic_motion_needs_to_start_from_rest():
    weak = (7, 12, 4, rec.POSTURE_SUPINE)
    twitch = (4, 2, 1, rec.POSTURE_SUPINE)
    from_rest = detect_series(make_series(night((STILL, 900), (weak, 40), (STILL, 600)),
                                          steady(60))).convulsive()
    assert [e.rules for e in from_rest] == [["rhythmic"]]
    assert from_rest[0].raise_s == 925
    # Restless before: two seconds of twitching every 8 s, 6 s apart so that each is a
    # bout of its own, make a quarter of the minute before not still.
    restless = night((STILL, 836)) + night((twitch, 2), (STILL, 6)) * 8
    after_restless = detect_series(make_series(
        restless + night((weak, 40), (STILL, 600)), steady(60)))
    assert after_restless.convulsive() == []


def test_walking_then_brushing_is_out_of_bed_unless_the_heart_rate_soars():
    codes = night((STILL, 900), (WALK, 40), (BRUSH, 90), (WALK, 40), (STILL, 600))
    # Walking and brushing raise the heart rate by 25 bpm (40 %): not enough out of bed.
    assert detect_series(make_series(codes, rising(900, 62, 87, 30))).events == []
    # Without the walk the same brushing would be taken for a seizure, which is what the
    # out-of-bed rule is for.
    in_bed = night((STILL, 900), (BRUSH, 90), (STILL, 680))
    assert detect_series(make_series(in_bed, rising(900, 62, 87, 30))).convulsive()
    # A 60 % rise out of bed still fires, through fusion only.
    events = detect_series(make_series(codes, rising(940, 62, 100, 10))).convulsive()
    assert [e.rules for e in events] == [["fusion"]]
    assert events[0].evidence["at_raise"]["walking_s_in_bout"] >= 8


def test_a_motion_gap_is_not_stillness_and_fires_nothing():
    codes = night((STILL, 900), (CLONIC, 40), (STILL, 600))
    series = make_series(codes, rising(890, 60, 100), missing=(880, 960))
    result = detect_series(series)
    assert result.convulsive() == []
    assert result.quality["motion_h"] < result.quality["recorded_h"]
    assert result.quality["gap_s_by_cause"] == {"no_data": 80.0}


def test_a_pause_in_one_episode_extends_it_instead_of_raising_again():
    codes = night((STILL, 900), (CLONIC, 40), (STILL, 40), (CLONIC, 30), (STILL, 600))
    events = detect_series(make_series(codes, None)).convulsive()
    assert len(events) == 1
    assert events[0].onset_s == 900 and events[0].end_s == 1010


def test_hr_only_candidate_is_labelled_and_apart_from_convulsive_events():
    # 90 s of heart rate at +70 % while still: a candidate seizure without convulsions.
    def hr(s):
        return 110.0 if 1200 <= s < 1290 else 65.0

    result = detect_series(make_series(night((STILL, 2400)), hr))
    assert [e.kind for e in result.events] == [KIND_HR_ONLY]
    event = result.events[0]
    assert 1190 <= event.onset_s <= 1200 and event.end_s >= 1280
    assert event.raise_s <= 1200 + 30
    assert result.convulsive() == []
    # The same rise with walking in the two minutes before is exertion, not a candidate.
    walked = night((STILL, 1100), (WALK, 60), (STILL, 1240))
    assert detect_series(make_series(walked, hr)).events == []


def test_detect_refuses_a_recording_without_length():
    empty = make_series([], None)
    with pytest.raises(DetectError) as error:
        detect_series(empty)
    assert "no length" in error.value.reason and error.value.hint


# --- motion analysis -------------------------------------------------------------------------


def test_trailing_count_and_bout_start():
    mask = np.array([0, 1, 1, 0, 0, 0, 1, 1, 1, 0], dtype=bool)
    assert trailing_count(mask, 3).tolist() == [0, 1, 2, 2, 1, 0, 1, 2, 3, 2]
    assert bout_start(mask, 8, max_gap_s=2) == 6
    assert bout_start(mask, 8, max_gap_s=3) == 1


def test_motion_grid_places_fractional_epochs_and_marks_missing_seconds():
    series = make_series(night((STILL, 5), (CLONIC, 5)), None)
    series = replace(series, epoch_t_s=series.epoch_t_s + 0.4, duration_s=11.0)
    grid = motion_grid(series)
    assert grid.seconds == 11
    assert grid.valid.tolist() == [True] * 10 + [False]
    assert grid.convulsive.tolist() == [False] * 5 + [True] * 5 + [False]


def test_raw_window_evidence_finds_a_slowing_jerk_train():
    hz = 25.0
    # Jerks at 4 Hz slowing to 1.5 Hz over 40 s, 400 mg spikes on z, gravity on z.
    times = []
    t = 1.0
    while t < 41.0:
        times.append(t)
        t += 1.0 / (4.0 - 2.5 * (t - 1.0) / 40.0)
    n = int(42 * hz)
    acc = np.zeros((n, 3))
    acc[:, 2] = 1000.0
    for jt in times:
        acc[int(round(jt * hz)), 2] += 400.0
    series = Series(name="raw", start_utc=None, duration_s=42.0, beat_s=np.zeros(0),
                    epoch_t_s=np.zeros(0), epoch_act=np.zeros(0, np.uint8),
                    epoch_band=np.zeros(0, np.uint8), epoch_freq_hz=np.zeros(0, np.uint8),
                    epoch_posture=np.zeros(0, np.uint8),
                    raw_acc_t_s=np.arange(n) / hz, raw_acc_mg=acc.astype(np.int16))
    evidence = raw_window_evidence(series, 1.0, 41.0)
    assert evidence is not None
    assert evidence["jerks"] == pytest.approx(len(times), abs=2)
    assert evidence["jerk_rate_start_hz"] > 3.0 > 2.0 > evidence["jerk_rate_end_hz"]
    assert raw_window_evidence(series, 100.0, 140.0) is None


# --- fixtures --------------------------------------------------------------------------------


def test_demo_seizure_is_found_early_with_its_evidence():
    fixture = load_fixture(f"{FIXTURES}/corpus_demo_seizure.npz")
    seizure = fixture.seizures[0]
    events = detect_fixture(fixture).convulsive()
    assert len(events) == 1
    event = events[0]
    assert abs(event.onset_s - seizure.onset_s) <= 5
    assert seizure.onset_s < event.raise_s <= seizure.onset_s + 20
    evidence = event.evidence
    assert evidence["motion"]["freq_trend_hz_per_min"] < 0
    assert evidence["heart_rate"]["rise_pct"] > 40
    assert evidence["raw_window"]["jerk_rate_start_hz"] > evidence["raw_window"][
        "jerk_rate_end_hz"]
    assert event.confidence >= 0.8


def test_demo_mimics_raise_nothing_convulsive():
    fixture = load_fixture(f"{FIXTURES}/corpus_demo_mimics.npz")
    assert detect_fixture(fixture).convulsive() == []


def test_demo_seizure_without_its_beats_is_still_found_by_motion():
    fixture = load_fixture(f"{FIXTURES}/corpus_demo_seizure.npz")
    seizure = fixture.seizures[0]
    keep = (fixture.beat_s < seizure.onset_s - 60) | (fixture.beat_s > seizure.offset_s + 60)
    events = detect_fixture(replace(fixture, beat_s=fixture.beat_s[keep],
                                    extras={})).convulsive()
    assert len(events) == 1
    assert "fusion" not in events[0].rules and "tonic" not in events[0].rules
    assert events[0].raise_s <= seizure.offset_s


def test_szdb_focal_seizure_without_motion_is_a_heart_rate_only_candidate():
    fixture = load_fixture(f"{FIXTURES}/szdb_sz01.npz")
    seizure = fixture.seizures[0]
    result = detect_fixture(fixture)
    assert result.convulsive() == []
    assert result.quality["motion_h"] == 0
    [event] = result.events
    assert event.kind == KIND_HR_ONLY
    assert event.onset_s < seizure.offset_s and event.end_s > seizure.onset_s
    assert "motion not recorded" in event.evidence["summary"]


# --- the command line ------------------------------------------------------------------------


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ictalog.cli", *args], capture_output=True,
                          text=True)


def test_cli_detect_fixture_json_keeps_the_contract():
    proc = run_cli("detect", f"{FIXTURES}/corpus_demo_seizure.npz", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    [event] = out["events"]
    for key in ("onset_s", "duration_s", "confidence", "kind"):
        assert key in event
    assert event["kind"] == KIND_CONVULSIVE
    assert 0.0 <= event["confidence"] <= 1.0
    assert event["onset_utc"].startswith("2025-01-06T22:45")


def test_cli_detect_names_a_missing_study_and_a_bad_fixture(tmp_path):
    proc = run_cli("detect", str(tmp_path / "nowhere"))
    assert proc.returncode == 2 and "next step" in proc.stderr
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip")
    proc = run_cli("detect", str(bad))
    assert proc.returncode == 2 and "next step" in proc.stderr


# --- the firmware's recording, as a study ----------------------------------------------------


def test_a_recording_by_the_firmware_gives_the_fixtures_event(tmp_path):
    from datetime import datetime

    from ictalog.simrun import sim_record
    from ictalog.study import load_study

    fixture = load_fixture(f"{FIXTURES}/corpus_demo_seizure.npz")
    study = tmp_path / "study"
    study.mkdir()
    start_s = datetime.fromisoformat(fixture.start_utc).timestamp()
    # The RTC set at set-up: the firmware's own CLOCK mark places the recording.
    sim_record(fixture.beat_s, fixture.acc_mg, fixture.acc_hz, fixture.duration_s,
               str(study / "sync-1.img"), 256, start_unix_ms=int(start_s * 1000),
               study_id="ST-1")

    [series] = load_study(str(study)).nights
    from_study = detect_series(series).convulsive()
    from_fixture = detect_fixture(fixture).convulsive()
    assert len(from_study) == len(from_fixture) == 1
    # The night starts at its first data second, so compare on the wall clock.
    shift_s = datetime.fromisoformat(series.start_utc).timestamp() - start_s
    assert abs(from_study[0].onset_s + shift_s - from_fixture[0].onset_s) <= 2
    assert abs(from_study[0].raise_s + shift_s - from_fixture[0].raise_s) <= 2
    # The device kept raw acceleration around its own candidate: evidence from it.
    assert from_study[0].evidence["raw_window"] is not None
    assert from_study[0].evidence["device_candidates"]

    # The same study through the command line: detect, and score against the fixture's
    # annotations, placed on the wall clock by their dateTime.
    proc = run_cli("detect", str(study), "--json")
    assert proc.returncode == 0, proc.stderr
    [night] = json.loads(proc.stdout)["nights"]
    assert [e["kind"] for e in night["events"]] == [KIND_CONVULSIVE]
    proc = run_cli("score", str(study), "--reference",
                   f"{FIXTURES}/corpus_demo_seizure.events.tsv", "--json")
    assert proc.returncode == 0, proc.stderr
    [row] = json.loads(proc.stdout)["summary"]
    assert (row["detected"], row["seizures"], row["false_alarms"]) == (1, 1, 0)
    assert 0 < row["median_latency_s"] <= 20
    # Without annotations a study cannot be scored; the message says what to add.
    proc = run_cli("score", str(study))
    assert proc.returncode == 2 and "--reference" in proc.stderr
