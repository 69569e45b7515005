"""A synced study onto wall-clock time: merge, boot segments, clock fit, nights, gaps.

The logs are written by the device's own code under CPython (``shared/ringlog.py`` on
the RAM flash, ``shared/streams.py`` batching beats and epochs as the firmware does), so
the decoder and the study loader read exactly the bytes a device writes. The last test
records with the real firmware under MicroPython.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pytest

from boards.sim.norflash import NorFlash
from boards.sim.ramflash import RamFlash
from ictalog.errors import LogImageError
from ictalog.logdecode import decode_bytes, decode_file
from ictalog.study import ClockMark, StudyError, clock_fit, load_study
from shared import records as rec
from shared.ringlog import LogFull, RingLog
from shared.streams import EpochStream, RRStream

TICK_HZ = 128
# 2025-03-03 21:00:00 UTC: a Monday evening.
W0_S = 1741035600
HOUR_MS = 3600_000


class Device:
    """Writes a log the way the firmware does: BOOT, CLOCK, batched beats and epochs."""

    def __init__(self, sectors: int = 64, flash=None):
        self.flash = flash if flash is not None else RamFlash(sectors)
        self.log = RingLog(self.flash)
        self.dropped = 0

    def put(self, kind: int, payload: bytes | None) -> None:
        if payload is None:
            return
        try:
            self.log.append(kind, payload)
        except LogFull:
            self.dropped += 1   # as the firmware: counted, and said in a DROPPED record

    def boot(self, count: int) -> None:
        self.put(rec.KIND_BOOT, rec.encode_boot(0, count, 1, "fw-test", "sim"))

    def config(self, study_id: str = "ST-1", patient: str = "P-7",
               utc_offset_min: int = 60) -> None:
        self.put(rec.KIND_CONFIG, rec.encode_config(study_id, patient, W0_S, 14, 1320,
                                                    420, utc_offset_min, 25))

    def clock(self, t_ms: int, wall_s: float, source: int = 2) -> None:
        unix_s, unix_ms = divmod(int(round(wall_s * 1000)), 1000)
        self.put(rec.KIND_CLOCK, rec.encode_clock(t_ms, unix_s, unix_ms, source))

    def status(self, t_ms: int, flags: int = 0) -> None:
        self.put(rec.KIND_STATUS, rec.encode_status(t_ms, 3900, 80, flags, 3300, 90))

    def record(self, t0_ms: int, seconds: int, rr_ticks: int = 115,
               no_beats: tuple[int, int] | None = None,
               lead_off_s: tuple = ()) -> list[int]:
        """Beats every ``rr_ticks`` / 128 s and still epochs from device time ``t0_ms``.

        Returns each written beat's device time in ticks of 1/128 s from ``t0_ms``.
        ``no_beats`` (start_s, end_s) leaves beats out; ``lead_off_s`` lists status
        times (s) flagged lead-off.
        """
        rr = RRStream()
        epochs = EpochStream()
        beats = []
        last_tick = -1
        tick = rr_ticks
        for second in range(seconds):
            while tick < (second + 1) * TICK_HZ:
                if no_beats is None or not no_beats[0] * TICK_HZ <= tick < no_beats[1] * TICK_HZ:
                    units = tick - last_tick if last_tick >= 0 else 0
                    self.put(rec.KIND_RR, rr.add(t0_ms + tick * 1000 // TICK_HZ, units))
                    beats.append(tick)
                    last_tick = tick
                else:
                    last_tick = -1
                tick += rr_ticks
            moving = second % 600 == 17
            code = (6, 9, 5, rec.POSTURE_LEFT) if moving else (1, 0, 0, 0)
            self.put(rec.KIND_EPOCHS, epochs.add(t0_ms + second * 1000, *code))
            if second % 300 == 0:
                flags = rec.STATUS_LEAD_OFF if second in lead_off_s else 0
                self.status(t0_ms + second * 1000, flags)
        self.put(rec.KIND_RR, rr.flush())
        self.put(rec.KIND_EPOCHS, epochs.flush())
        return beats

    def image(self) -> bytes:
        return bytes(self.flash.data)

    def save(self, path) -> str:
        with open(path, "wb") as f:
            f.write(self.image())
        return str(path)


def wall_of(night, t_s):
    return datetime.fromisoformat(night.start_utc).timestamp() + np.asarray(t_s)


def one_night(study):
    assert len(study.nights) == 1, study.summary()
    return study.nights[0]


# --- decoder: boot segments --------------------------------------------------------------


def test_decoder_keeps_boot_segments_and_data_before_the_first_boot():
    device = Device(8)
    device.put(rec.KIND_RR, rec.encode_rr(5000, [0, 100, 100]))   # its BOOT was reclaimed
    device.boot(2)
    device.clock(0, W0_S)
    device.put(rec.KIND_RR, rec.encode_rr(1000, [0, 128]))
    decoded = decode_bytes(device.image())
    first, second = decoded.segments
    assert first.boot is None and len(first.beat_t_s) == 3
    assert second.boot["boot_count"] == 2 and second.beat_t_s == [1.0, 2.0]
    assert second.clocks[0]["device_s"] == 0.0
    summary = decoded.summary()
    assert summary["beats"] == 5 and summary["boot_segments"] == 2
    assert summary["time_axis"] == "device seconds since boot"


# --- clock fit ---------------------------------------------------------------------------


def test_clock_fit_one_mark_is_an_offset_at_the_nominal_rate():
    fit = clock_fit([ClockMark(0, 100.0, W0_S + 0.25, 1)])
    seg = fit.segments[0]
    assert seg.drift_ppm is None and seg.rate == 1.0
    assert float(seg.wall_s(200.0)) == pytest.approx(W0_S + 100.25, abs=1e-6)


def test_clock_fit_without_marks_leaves_the_segment_unfitted():
    fit = clock_fit([ClockMark(0, 0.0, W0_S, 1), ClockMark(1, 0.0, 1000.0, 3)], [0, 1, 2])
    assert fit.placed(0) and not fit.placed(1) and not fit.placed(2)
    assert "before 2020" in fit.unfitted[1]["reason"]
    assert "no clock mark" in fit.unfitted[2]["reason"]


def test_clock_drift_of_50_ppm_over_10_hours_places_beats_within_5_ms(tmp_path):
    # The device crystal runs 50 ppm fast: 10 h of wall time is 10 h + 1.8 s on it.
    fast = 1 + 50e-6
    device = Device(96)
    device.boot(1)
    device.config()
    device.clock(0, W0_S, source=1)
    beats = device.record(0, 10 * 3600)
    end_ms = 10 * HOUR_MS
    device.clock(end_ms, W0_S + end_ms / 1000 / fast)
    study = load_study(device.save(tmp_path / "sync1.img"))

    night = one_night(study)
    truth = W0_S + np.asarray(beats) / TICK_HZ / fast
    placed = wall_of(night, night.beat_s)
    assert len(placed) == len(truth)
    assert np.max(np.abs(placed - truth)) < 0.005
    fit = study.clock.segments[0]
    assert fit.drift_ppm == pytest.approx(50, abs=0.5) and fit.residual_ms_max < 1
    # Without the drift correction the end of the night would be 1.8 s off.
    assert abs((beats[-1] / TICK_HZ) - (truth[-1] - W0_S)) > 1.7
    summary = study.summary()
    assert summary["clock"]["segments"][0]["marks"] == 2
    assert summary["nights"][0]["name"] == "ST-1/2025-03-03"
    assert night.gaps == []


def test_a_clock_mark_off_by_an_hour_is_rejected_and_reported(tmp_path):
    device = Device(48)
    device.boot(1)
    device.clock(0, W0_S, source=1)
    beats = device.record(0, 6 * 3600)
    device.clock(3 * HOUR_MS, W0_S + 3 * 3600)
    device.clock(6 * HOUR_MS, W0_S + 7 * 3600)     # the host's own clock jumped
    study = load_study(device.save(tmp_path / "s.img"))
    fit = study.clock.segments[0]
    assert len(fit.marks) == 2 and len(fit.rejected) == 1
    assert fit.rejected[0]["mark"].device_s == 6 * 3600
    assert [p["problem"] for p in study.problems] == ["clock_mark_rejected",
                                                      "time_zone_unknown"]
    placed = wall_of(one_night(study), one_night(study).beat_s)
    assert np.max(np.abs(placed - (W0_S + np.asarray(beats) / TICK_HZ))) < 0.002


# --- reboots, unclocked boots ------------------------------------------------------------


def test_reboot_mid_night_gives_one_night_with_a_no_data_gap(tmp_path):
    device = Device(48)
    device.boot(1)
    device.config()
    device.clock(0, W0_S, source=1)
    device.record(0, 2 * 3600)
    # Watchdog reset: device time restarts at 0; the RTC survived, so a mark at boot.
    device.boot(2)
    restart_s = W0_S + 2 * 3600 + 300
    device.clock(0, restart_s, source=3)
    device.record(0, 2 * 3600)
    study = load_study(device.save(tmp_path / "s.img"))
    night = one_night(study)
    assert night.duration_s == pytest.approx(4 * 3600 + 300, abs=2)
    [gap] = night.gaps
    assert gap.cause == "no_data" and gap.streams == "all"
    assert gap.start_s == pytest.approx(2 * 3600, abs=1)
    assert gap.end_s == pytest.approx(2 * 3600 + 300, abs=1)
    assert np.all(np.diff(night.beat_s) > 0)
    assert np.all(np.diff(night.epoch_t_s) > 0)
    assert [s["boot_count"] for s in study.segments] == [1, 2]
    assert study.unplaced == [] and study.messages == []


def test_boot_without_a_clock_mark_is_reported_unplaced_not_placed(tmp_path):
    device = Device(48)
    device.boot(1)
    device.config()
    device.clock(0, W0_S, source=1)
    device.record(0, 3600)
    device.boot(2)            # battery ran flat: no wall clock after this restart
    lost = device.record(0, 1800)
    device.boot(3)
    device.clock(0, W0_S + 2.5 * 3600, source=2)   # the next sync set the clock
    device.record(0, 3600)
    study = load_study(device.save(tmp_path / "s.img"))

    placed_beats = sum(len(n.beat_s) for n in study.nights)
    [unplaced] = study.unplaced
    assert unplaced["segment"] == 1 and unplaced["beats"] == len(lost)
    assert unplaced["boot_count"] == 2 and unplaced["device_hours"] == pytest.approx(0.5, 0.01)
    assert "no clock mark" in unplaced["reason"]
    assert placed_beats == study.summary()["segments"][0]["beats"] + \
        study.summary()["segments"][2]["beats"]
    [message] = study.messages
    assert "cannot be placed" in message and "sync" in message
    # One night: the unclocked half hour lies between the two placed boots.
    night = one_night(study)
    [gap] = night.gaps
    assert gap.cause == "clock_unknown"
    assert gap.end_s - gap.start_s == pytest.approx(1.5 * 3600, abs=2)


def test_unclocked_boot_is_placed_by_a_later_mark_in_the_same_boot(tmp_path):
    device = Device(48)
    device.boot(4)
    beats = device.record(0, 3600)
    device.clock(3600_500, W0_S + 3600.5)          # the sync set the clock afterwards
    study = load_study(device.save(tmp_path / "s.img"))
    night = one_night(study)
    assert len(night.beat_s) == len(beats) and study.unplaced == []
    assert night.start_utc == "2025-03-03T21:00:00+00:00"


def test_last_boot_without_clock_asks_for_a_sync(tmp_path):
    device = Device(16)
    device.boot(1)
    device.record(0, 1200)
    study = load_study(device.save(tmp_path / "s.img"))
    assert study.nights == []
    [message] = study.messages
    assert "Sync the device again" in message
    assert study.summary()["unplaced"][0]["epochs"] == 1200


# --- gaps from status and from a full log ------------------------------------------------


def test_lead_off_status_gives_a_lead_off_gap_on_the_rr_stream(tmp_path):
    device = Device(16)
    device.boot(1)
    device.clock(0, W0_S)
    device.record(0, 3600, no_beats=(1210, 2110), lead_off_s=(1500, 1800))
    study = load_study(device.save(tmp_path / "s.img"))
    night = one_night(study)
    [gap] = night.gaps
    assert gap.cause == "lead_off" and gap.streams == "rr"
    assert gap.start_s == pytest.approx(1210, abs=1.5)
    assert gap.end_s == pytest.approx(2100, abs=1.5)   # the next unflagged status
    assert not np.any((night.beat_s > gap.start_s) & (night.beat_s < gap.end_s))


def test_not_worn_status_gives_a_gap_on_every_stream(tmp_path):
    device = Device(16)
    device.boot(1)
    device.clock(0, W0_S)
    device.record(0, 3600, no_beats=(1000, 2500), lead_off_s=())
    for t_s in (1800, 2100, 2400):   # extra snapshots with the not-worn flag
        device.status(t_s * 1000 + 1, rec.STATUS_NOT_WORN)
    study = load_study(device.save(tmp_path / "s.img"))
    causes = {(g.cause, g.streams) for g in one_night(study).gaps}
    assert ("not_worn", "all") in causes


def test_a_full_log_leaves_a_log_full_gap(tmp_path):
    # No sync for a while: the 6-sector log (about 4 h here) fills, records are
    # refused, then a sync acknowledges everything and recording continues after a
    # DROPPED record.
    device = Device(6)
    device.boot(1)
    device.clock(0, W0_S)
    device.record(0, 5 * 3600)
    assert device.dropped > 0
    device.save(tmp_path / "sync-1.img")
    device.log.acknowledge(device.log.end_address())
    device.clock(5 * HOUR_MS, W0_S + 5 * 3600)       # the sync checks the clock
    device.record(5 * HOUR_MS, 3600)
    study = load_study(device.save(tmp_path / "sync-2.img"))
    study = load_study(tmp_path)
    night = one_night(study)
    assert night.gaps and {g.cause for g in night.gaps} == {"log_full"}
    full = max(night.gaps, key=lambda g: g.end_s - g.start_s)
    assert full.streams == "all" and 3000 < full.end_s - full.start_s < 3 * 3600
    # Nothing is made up inside it.
    assert not np.any((night.beat_s > full.start_s) & (night.beat_s < full.end_s))
    assert decode_file(str(tmp_path / "sync-2.img")).dropped.get("rr", 0) > 0


# --- syncs, wrap, nights -----------------------------------------------------------------


def test_overlapping_syncs_give_no_duplicate_beats(tmp_path):
    device = Device(8)
    device.boot(1)
    device.config()
    device.clock(0, W0_S, source=1)
    first = device.record(0, 5400)
    sync1 = device.save(tmp_path / "sync-1.img")
    device.log.acknowledge(device.log.end_address())   # the host stored sync 1
    # 4.5 more hours (about 1.4 sectors an hour) reuse the first sectors.
    second = device.record(5400 * 1000, 16200)
    device.clock(5400 * 1000 + 16200_000, W0_S + 5400 + 16200, source=2)
    assert device.dropped == 0
    sync2 = device.save(tmp_path / "sync-2.log")

    one, two = decode_file(sync1, True), decode_file(sync2, True)
    shared = {a for a, _, _ in one.records} & {a for a, _, _ in two.records}
    assert shared, "the second sync repeats records the device had not reclaimed"
    assert two.boots == [] and two.config == []      # reclaimed since
    study = load_study(tmp_path)
    night = one_night(study)
    assert len(night.beat_s) == len(first) + len(second)
    assert np.all(np.diff(night.beat_s) > 0)
    assert len(night.epoch_t_s) == 5400 + 16200
    assert len(study.clock.segments[0].marks) == 2 and study.problems == []
    assert len(study.files) == 2


def test_a_missing_sync_file_starts_a_boot_of_unknown_start(tmp_path):
    device = Device(8)
    device.boot(1)
    device.clock(0, W0_S, source=1)
    device.record(0, 5400)
    device.save(tmp_path / "sync-1.img")
    device.log.acknowledge(device.log.end_address())
    device.record(5400 * 1000, 3 * 3600 + 1800)
    device.log.acknowledge(device.log.end_address())   # sync 2, not in the folder
    device.record(5400 * 1000 + 3 * HOUR_MS + 1800_000, 3 * 3600 + 1800)
    device.clock(5400 * 1000 + 7 * HOUR_MS, W0_S + 5400 + 7 * 3600)
    device.save(tmp_path / "sync-3.img")
    assert decode_file(str(tmp_path / "sync-3.img")).tail_seq > \
        decode_file(str(tmp_path / "sync-1.img")).head_seq + 1
    study = load_study(tmp_path)
    assert "sync_missing" in [p["problem"] for p in study.problems]
    assert any("missing from the study folder" in m for m in study.messages)
    assert [s["boot_count"] for s in study.segments] == [1, None]
    assert all(s["placed"] for s in study.segments)


def test_counter_wrap_inside_a_boot_is_continuous(tmp_path):
    # 49.7 days after boot the 32-bit millisecond counter wraps mid-night.
    device = Device(32)
    device.boot(1)
    t0_ms = (1 << 32) - 1800_000
    device.clock(t0_ms, W0_S)
    beats = device.record(t0_ms, 3600)
    study = load_study(device.save(tmp_path / "s.img"))
    night = one_night(study)
    assert study.segments[0]["counter_wraps"] == 1
    assert night.duration_s == pytest.approx(3600, abs=1.5)
    placed = wall_of(night, night.beat_s)
    assert np.max(np.abs(placed - (W0_S + np.asarray(beats) / TICK_HZ))) < 0.002
    assert night.gaps == []


def test_nights_split_at_a_long_break_and_take_the_local_date(tmp_path):
    device = Device(32)
    device.boot(1)
    device.config(utc_offset_min=180)      # 21:00 UTC is 00:00 the next day there
    device.clock(0, W0_S, source=1)
    device.record(0, 3600)
    device.record(24 * HOUR_MS, 3600)      # the device paused through the day
    device.clock(25 * HOUR_MS, W0_S + 25 * 3600)
    study = load_study(device.save(tmp_path / "s.img"))
    assert [n.name for n in study.nights] == ["ST-1/2025-03-04", "ST-1/2025-03-05"]
    assert [n.start_utc for n in study.nights] == ["2025-03-03T21:00:00+00:00",
                                                   "2025-03-04T21:00:00+00:00"]
    assert study.summary()["recorded_hours"] == pytest.approx(2, abs=0.01)


def test_still_epochs_carry_the_last_moving_posture(tmp_path):
    device = Device(16)
    device.boot(1)
    device.clock(0, W0_S)
    device.record(0, 700)
    night = one_night(load_study(device.save(tmp_path / "s.img")))
    moving = np.nonzero(night.epoch_act >= rec.ACT_MOVING)[0]
    assert list(moving) == [17, 617]
    assert set(night.epoch_posture[:17].tolist()) == {0}
    assert set(night.epoch_posture[17:].tolist()) == {rec.POSTURE_LEFT}
    assert set(night.epoch_band[night.epoch_act < rec.ACT_MOVING].tolist()) == {0}


# --- refusals ----------------------------------------------------------------------------


def test_missing_path_and_folder_without_logs_are_refused(tmp_path):
    with pytest.raises(StudyError) as missing:
        load_study(tmp_path / "nowhere")
    assert "no such" in missing.value.reason and missing.value.hint
    (tmp_path / "notes.txt").write_text("not a log")
    with pytest.raises(StudyError) as empty:
        load_study(tmp_path)
    assert "no log files" in empty.value.reason and "sync" in empty.value.hint


def test_a_file_that_is_not_a_log_keeps_the_decoders_message(tmp_path):
    (tmp_path / "junk.bin").write_bytes(b"\x00" * 4096 * 4)
    with pytest.raises(LogImageError) as error:
        load_study(tmp_path)
    assert "not an ictalog log" in str(error.value) and "junk.bin" in str(error.value)


def test_logs_of_another_study_are_refused(tmp_path):
    for name, study_id in (("a.img", "ST-1"), ("b.img", "ST-2")):
        device = Device(8)
        device.boot(1)
        device.config(study_id)
        device.clock(0, W0_S)
        device.record(0, 60)
        device.save(tmp_path / name)
    with pytest.raises(StudyError) as error:
        load_study(tmp_path)
    text = str(error.value)
    assert "2 different studies" in text and "'ST-2' in b.img" in text
    assert "next step:" in text


def test_logs_of_two_devices_of_one_study_are_refused(tmp_path):
    for name, rr_ticks in (("a.img", 110), ("b.img", 120)):
        device = Device(8)
        device.boot(1)
        device.config()
        device.clock(0, W0_S)
        device.record(0, 120, rr_ticks=rr_ticks)
        device.save(tmp_path / name)
    with pytest.raises(StudyError) as error:
        load_study(tmp_path)
    assert "two devices" in error.value.reason and "folder" in error.value.hint


# --- the real firmware -------------------------------------------------------------------


def _quiet_night(seconds: int) -> tuple[np.ndarray, np.ndarray]:
    # Beats about 70 bpm and a patch lying still on its back, for the real firmware.
    rng = np.random.default_rng(3)
    beat_s = np.cumsum(0.85 + 0.04 * rng.standard_normal(int(seconds / 0.85) - 3))
    acc = np.zeros((seconds * 25, 3))
    acc[:, 2] = 1000
    acc += rng.normal(0, 3, acc.shape)
    return beat_s, np.round(acc).astype(np.int16)


def test_firmware_recording_is_unplaced_until_a_sync_sets_the_clock(tmp_path):
    # Recorded without a wall clock (sim_record's default: the sim board's RTC was never
    # set), so a recording alone cannot be placed; the host's CLOCK mark at sync places it.
    from ictalog.simrun import sim_record

    seconds = 600
    beat_s, acc_mg = _quiet_night(seconds)
    image = str(tmp_path / "night.img")
    sectors = 16
    result = sim_record(beat_s, acc_mg, 25.0, float(seconds), image, sectors,
                        start_unix_ms=None)
    assert decode_file(image).clocks == []
    study = load_study(image)
    assert study.nights == [] and study.unplaced[0]["beats"] == result["beats"]
    assert "Sync the device again" in study.messages[0]

    with open(image, "rb") as f:
        flash = NorFlash(sectors, data=f.read())
    log = RingLog(flash)
    end_ms = seconds * 1000
    unix_s, unix_ms = divmod((W0_S + seconds) * 1000, 1000)
    log.append(rec.KIND_CLOCK, rec.encode_clock(end_ms, unix_s, unix_ms,
                                                rec.CLOCK_SOURCE_SYNC))
    flash.save(image)

    study = load_study(image)
    night = one_night(study)
    assert len(night.beat_s) == result["beats"]
    assert len(night.epoch_t_s) == result["epochs"]
    placed = wall_of(night, night.beat_s) - W0_S
    nearest = np.min(np.abs(placed[:, None] - beat_s[None, :]), axis=1)
    assert np.max(nearest) < 0.01
    assert study.segments[0]["boot_count"] == 1
    assert [p["problem"] for p in study.problems] == ["time_zone_unknown"]


def test_firmware_recording_with_the_sim_clock_is_placed_by_its_own_mark(tmp_path):
    # The sim board's RTC set before the boot: the firmware's start mark (source 3, the
    # device's RTC) places the recording without a sync, named by the CONFIG offset.
    from ictalog.simrun import sim_record

    seconds = 600
    beat_s, acc_mg = _quiet_night(seconds)
    image = str(tmp_path / "night.img")
    result = sim_record(beat_s, acc_mg, 25.0, float(seconds), image, 16,
                        start_unix_ms=W0_S * 1000, study_id="ST-1", patient_code="P-7",
                        utc_offset_min=60)
    study = load_study(image)
    night = one_night(study)
    assert study.unplaced == [] and study.problems == []
    assert (study.study_id, study.patient_code, study.utc_offset_min) == ("ST-1", "P-7", 60)
    assert night.name == "ST-1/2025-03-03"
    assert study.clock.segments[0].marks[0].source == rec.CLOCK_SOURCE_RTC
    assert len(night.beat_s) == result["beats"] == len(beat_s) - 1
    assert len(night.epoch_t_s) == result["epochs"]
    # The first beat has no interval before it; the rest land on their wall times.
    placed = wall_of(night, night.beat_s) - W0_S
    assert np.max(np.abs(placed - beat_s[1:])) <= 1 / 256 + 0.001
