"""The sim board's wall clock, study set-up and boots, through ``ictalog sim record``.

Every recording here runs the real firmware under the MicroPython unix port; the decoder
reads what it wrote. Fixtures are cut to minutes (the ``short_fixture`` helper in
conftest.py) because each simulated second costs MicroPython time.
"""

import json
import os
import shutil

import pytest

from ictalog.cli import main
from ictalog.logdecode import decode_file
from shared import records as rec

# 2025-03-03 22:30:00.250 UTC.
START_UNIX_MS = 1741041000250
START_ISO = "2025-03-03T22:30:00.250Z"
FLASH_KIB = "64"


def record(capsys, fixture, image, *extra):
    code = main(["sim", "record", fixture, "--flash", image, "--flash-kib", FLASH_KIB,
                 *extra, "--json"])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if code == 0 else None), err


@pytest.fixture
def first_boot(short_fixture, tmp_path, capsys):
    # Five minutes of the demo night, recorded as boot 1 of a study set up at 22:30.
    fixture = short_fixture(seconds=300)
    image = str(tmp_path / "device.img")
    code, result, err = record(capsys, fixture, image, "--start-utc", START_ISO,
                               "--study-id", "ST-42", "--patient-code", "P-0815",
                               "--utc-offset-min", "60")
    assert code == 0, err
    return fixture, image, result


def test_the_sim_clock_and_study_setup_reach_the_log(first_boot):
    _, image, result = first_boot
    assert result["boot_count"] == 1 and result["continued"] is False
    assert result["start_utc"] == "2025-03-03T22:30:00.250+00:00"
    assert result["study"] == {"study_id": "ST-42", "utc_offset_min": 60,
                               "study_start_unix_s": START_UNIX_MS // 1000}
    # The patient code identifies a person: it is in the log, not in the report.
    assert "P-0815" not in json.dumps(result)

    decoded = decode_file(image)
    # The firmware's mark at start: t_ms 0 against the RTC, which is the device's own.
    assert decoded.clocks == [{"t_ms": 0, "unix_s": START_UNIX_MS // 1000, "unix_ms": 250,
                               "source": rec.CLOCK_SOURCE_RTC}]
    assert decoded.config == [{"study_id": "ST-42", "patient_code": "P-0815",
                               "start_unix_s": START_UNIX_MS // 1000, "nights": 14,
                               "night_start_min": 22 * 60, "night_end_min": 8 * 60,
                               "utc_offset_min": 60, "acc_hz": 25}]
    assert [b["boot_count"] for b in decoded.boots] == [1]


def test_the_fixture_start_is_the_default_clock_and_none_means_no_clock(
        short_fixture, tmp_path, capsys):
    fixture = short_fixture(seconds=120)   # the demo night starts 2025-01-06T22:30Z
    image = str(tmp_path / "a.img")
    code, result, err = record(capsys, fixture, image)
    assert code == 0, err
    assert result["start_utc"] == "2025-01-06T22:30:00.000+00:00"
    assert result["study"] is None
    assert [(c["unix_s"], c["source"]) for c in decode_file(image).clocks] == [
        (1736202600, rec.CLOCK_SOURCE_RTC)]
    assert decode_file(image).config == []

    code, result, err = record(capsys, fixture, image, "--start-utc", "none")
    assert code == 0, err
    assert result["start_utc"] is None and decode_file(image).clocks == []


def test_continue_records_boot_2_and_keeps_boot_1(first_boot, tmp_path, capsys):
    fixture, image, first = first_boot
    boot_1 = decode_file(image, keep_records=True).records
    second_start = "2025-03-04T22:30:00Z"
    code, result, err = record(capsys, fixture, image, "--continue",
                               "--start-utc", second_start)
    assert code == 0, err
    assert result["boot_count"] == 2 and result["continued"] is True
    # The device keeps the stored set-up across the restart, study start included.
    assert result["study"] == first["study"]

    decoded = decode_file(image, keep_records=True)
    # Every record of boot 1 is still there, at the same address, byte for byte.
    assert set(boot_1) <= set(decoded.records)
    assert len(decoded.records) > len(boot_1)
    assert [b["boot_count"] for b in decoded.boots] == [1, 2]
    assert [(c["t_ms"], c["unix_s"]) for c in decoded.clocks] == [
        (0, START_UNIX_MS // 1000), (0, START_UNIX_MS // 1000 + 86400)]
    assert len(decoded.config) == 2 and decoded.config[0] == decoded.config[1]
    # Device time starts again at 0: each boot holds its own copy of the recording.
    segments = decoded.segments
    assert [len(s.beat_t_s) for s in segments] == [first["beats"], result["beats"]]
    assert segments[0].beat_t_s == segments[1].beat_t_s
    assert result["recorded"]["boots"] == 2
    assert result["recorded"]["beats"] == first["beats"] + result["beats"]
    # Hours recorded add up over the boots, though each boot's clock starts at 0.
    assert decoded.summary()["recorded_hours"] == pytest.approx(2 * 300 / 3600, abs=1e-3)
    assert decoded.torn == [] and decoded.corrupt == []


def _not_a_log(image):
    with open(image, "wb") as f:
        f.write(b"\x00" * 64 * 1024)


def _missing(image):
    os.remove(image)


def _other_size(image):
    # A real log, but of a 128 KiB partition: the flash given is 64 KiB.
    with open(image, "ab") as f:
        f.write(b"\xff" * 64 * 1024)


@pytest.mark.parametrize("spoil, says, next_step", [
    (_missing, "there is no image to continue", "record without --continue"),
    (_not_a_log, "not an ictalog log", "record without --continue"),
    (_other_size, "the image is 128 KiB but the flash to continue on is 64 KiB",
     "--flash-kib 128"),
])
def test_continue_refuses_what_it_cannot_continue(first_boot, capsys, spoil, says,
                                                  next_step):
    fixture, image, _ = first_boot
    spoil(image)
    before = open(image, "rb").read() if os.path.exists(image) else None
    code, _, err = record(capsys, fixture, image, "--continue")
    assert code == 2
    assert says in err and "next step:" in err and next_step in err
    # Nothing was written: the refusal comes before the device runs.
    assert (open(image, "rb").read() if os.path.exists(image) else None) == before


def test_continue_refuses_another_study_on_the_same_log(first_boot, tmp_path, capsys):
    fixture, image, _ = first_boot
    kept = str(tmp_path / "kept.img")
    shutil.copyfile(image, kept)
    for option, value in (("--study-id", "ST-43"), ("--patient-code", "P-0816")):
        code, _, err = record(capsys, fixture, image, "--continue", option, value)
        assert code == 2 and "another" in err and "next step:" in err
        assert "P-0815" not in err and "P-0816" not in err
    assert open(image, "rb").read() == open(kept, "rb").read()


@pytest.mark.parametrize("extra, says", [
    (["--start-utc", "tomorrow"], "is not an ISO 8601 time"),
    (["--start-utc", "2019-12-31T23:00Z"], "between 2020 and 2106"),
    (["--patient-code", "P-1"], "without a study id"),
    (["--study-id", "ST-1", "--utc-offset-min", "900"], "outside the world's time zones"),
])
def test_sim_record_refuses_a_setup_the_log_cannot_hold(short_fixture, tmp_path, capsys,
                                                       extra, says):
    code, _, err = record(capsys, short_fixture(seconds=60), str(tmp_path / "x.img"),
                          *extra)
    assert code == 2 and says in err and "next step:" in err
    assert not os.path.exists(tmp_path / "x.img")


def test_cpython_and_micropython_write_the_same_image(short_fixture, tmp_path, capsys):
    # The seizure of the demo night lies at 904 s: record up to 1000 s, so the prefilter's
    # candidate and its raw window are in the image too, then a second boot on top.
    fixture = short_fixture(seconds=1000)
    images = {}
    for runtime in ("micropython", "cpython"):
        image = str(tmp_path / f"{runtime}.img")
        for extra in ((), ("--continue",)):
            code, result, err = record(capsys, fixture, image, "--start-utc", START_ISO,
                                       "--study-id", "ST-42", "--runtime", runtime, *extra)
            assert code == 0, err
            assert result["runtime"] == runtime
        with open(image, "rb") as f:
            images[runtime] = f.read()
    decoded = decode_file(str(tmp_path / "cpython.img"))
    assert decoded.counts.get("raw_acc", 0) > 0 and len(decoded.boots) == 2
    assert images["cpython"] == images["micropython"]
