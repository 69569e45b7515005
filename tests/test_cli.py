"""The ``ictalog decode`` and ``ictalog sim record`` verbs, end to end.

``sim record`` runs the device code under the real MicroPython unix port; the decoder
reads what it wrote.
"""

import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest

from ictalog.cli import main
from ictalog.fixture import Fixture, load_fixture, save_fixture

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")
# Beat times survive the log to within the front end's half tick (1/256 s) plus the
# millisecond the first beat of each record is stamped with.
BEAT_TOLERANCE_S = 1 / 256 + 0.001


def run_cli(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def sz01_image(tmp_path_factory):
    image = str(tmp_path_factory.mktemp("img") / "sz01.img")
    code = main(["sim", "record", os.path.join(FIXTURES, "szdb_sz01.npz"), "--flash", image,
                 "--flash-kib", "256", "--json"])
    assert code == 0
    return image


def test_sim_record_and_decode_round_trip(sz01_image, tmp_path, capsys):
    capsys.readouterr()
    out_npz = str(tmp_path / "back.npz")
    code, out, _ = run_cli(capsys, "decode", sz01_image, "--json", "--npz", out_npz)
    assert code == 0
    summary = json.loads(out)
    source = load_fixture(os.path.join(FIXTURES, "szdb_sz01.npz"))
    # The front end reports intervals: the first beat, with none before it, is not one.
    assert summary["beats"] == len(source.beat_s) - 1
    assert summary["torn_records"] == 0 and summary["corrupt_records"] == 0
    assert summary["rr_bytes_per_beat"] <= 1.0
    back = load_fixture(out_npz)
    error_s = np.abs(back.beat_s - source.beat_s[1:])
    assert error_s.max() <= BEAT_TOLERANCE_S
    assert len(back.events) == 0


def test_power_cut_during_sim_record_leaves_a_prefix(sz01_image, tmp_path, capsys):
    capsys.readouterr()
    full = json.loads(run_cli(capsys, "decode", sz01_image, "--json",
                              "--npz", str(tmp_path / "full.npz"))[1])
    full_beats = load_fixture(str(tmp_path / "full.npz")).beat_s
    for cut in (6, 40, 77):
        image = str(tmp_path / f"cut{cut}.img")
        code, out, _ = run_cli(capsys, "sim", "record", os.path.join(FIXTURES,
                               "szdb_sz01.npz"), "--flash", image, "--flash-kib", "256",
                               "--power-cut-at-op", str(cut), "--json")
        assert code == 0
        result = json.loads(out)
        assert result["cut"] is True and result["ops"] == cut
        code, out, _ = run_cli(capsys, "decode", image, "--json", "--npz",
                               str(tmp_path / f"cut{cut}.npz"))
        assert code == 0
        beats = load_fixture(str(tmp_path / f"cut{cut}.npz")).beat_s
        assert 0 < len(beats) < full["beats"]
        assert np.array_equal(beats, full_beats[:len(beats)])


def test_npz_of_a_log_without_streams_is_refused_clearly(tmp_path, capsys):
    image = str(tmp_path / "early.img")
    run_cli(capsys, "sim", "record", os.path.join(FIXTURES, "szdb_sz01.npz"), "--flash",
            image, "--flash-kib", "64", "--power-cut-at-op", "4")
    code, out, _ = run_cli(capsys, "decode", image, "--json")
    assert code == 0 and json.loads(out)["records"] == {"boot": 1}
    code, out, err = run_cli(capsys, "decode", image, "--npz", str(tmp_path / "x.npz"))
    assert code == 2 and "no beats" in err and "next step:" in err
    assert not os.path.exists(tmp_path / "x.npz")


def test_sim_record_keeps_motion_epochs(tmp_path, capsys):
    # Ten minutes lying on the back, then a minute of 5 Hz shaking.
    acc_hz = 25
    t = np.arange(11 * 60 * acc_hz) / acc_hz
    acc = np.zeros((len(t), 3))
    acc[:, 2] = 1000
    shake = t >= 600
    acc[shake, 0] = 400 * np.sin(2 * math.pi * 5 * t[shake])
    beat_s = np.arange(0.5, 660, 0.8)
    fixture = Fixture(acc_mg=np.round(acc).astype(np.int16), acc_hz=acc_hz, beat_s=beat_s,
                      duration_s=660.0)
    path = str(tmp_path / "shake.npz")
    save_fixture(path, fixture)
    image = str(tmp_path / "shake.img")
    assert run_cli(capsys, "sim", "record", path, "--flash", image, "--flash-kib", "64")[0] == 0
    code, out, _ = run_cli(capsys, "decode", image, "--json", "--npz", str(tmp_path / "b.npz"))
    summary = json.loads(out)
    assert summary["epochs"] == 660 and summary["beats"] == len(beat_s) - 1
    back = load_fixture(str(tmp_path / "b.npz"))
    act = back.extras["epoch_act"]
    band = back.extras["epoch_band"]
    freq = back.extras["epoch_freq_hz"]
    assert act[:600].max() < 3
    assert act[601:].min() >= 10
    assert band[601:].min() >= 12 and set(freq[601:].tolist()) == {5}
    assert set(back.extras["epoch_posture"][601:].tolist()) == {2}


@pytest.mark.parametrize("content,expect", [
    (None, "cannot open"),
    (b"", "empty"),
    (b"\x00" * 5000, "not a whole number"),
    (b"\xff" * 4096 * 4, "no ictalog sector header"),
    (bytes(range(256)) * 16 * 4, "no ictalog sector header"),
    (b"\xff" * 4096 * 2, "at least 3"),
])
def test_decode_refuses_what_is_not_a_log(tmp_path, capsys, content, expect):
    path = str(tmp_path / "image.bin")
    if content is not None:
        with open(path, "wb") as f:
            f.write(content)
    code, out, err = run_cli(capsys, "decode", path, "--json")
    assert code == 2
    assert out == ""
    assert expect in err and "next step:" in err


def test_decode_reports_a_torn_record(sz01_image, tmp_path, capsys):
    with open(sz01_image, "rb") as f:
        data = bytearray(f.read())
    # Tear the last record: clear bits at the end of the written area as a cut would.
    end = len(data.rstrip(b"\xff"))
    data[end - 3] &= 0x0F
    path = str(tmp_path / "torn.img")
    with open(path, "wb") as f:
        f.write(data)
    capsys.readouterr()
    before = json.loads(run_cli(capsys, "decode", sz01_image, "--json")[1])
    summary = json.loads(run_cli(capsys, "decode", path, "--json")[1])
    assert before["torn_records"] == 0 and summary["torn_records"] == 1
    # Exactly the torn record is missing; everything before it decodes.
    assert sum(summary["records"].values()) == sum(before["records"].values()) - 1


def test_console_script_is_installed():
    exe = os.path.join(os.path.dirname(sys.executable), "ictalog")
    proc = subprocess.run([exe, "--version"], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.startswith("ictalog ")


def test_npz_of_a_log_spanning_two_boots_gives_one_fixture_per_boot(short_fixture, tmp_path,
                                                                     capsys):
    image = str(tmp_path / "two-boots.img")
    starts = ["2025-01-06T22:30:00+00:00", "2025-01-07T22:40:00+00:00"]
    sources = [short_fixture("corpus_demo_seizure", 300, start_utc=starts[0]),
               short_fixture("corpus_demo_mimics", 240, start_utc=starts[1])]
    for i, source in enumerate(sources):
        argv = ["sim", "record", source, "--flash", image, "--flash-kib", "256",
                "--runtime", "cpython"] + (["--continue"] if i else [])
        assert run_cli(capsys, *argv)[0] == 0

    out_npz = str(tmp_path / "back.npz")
    code, out, err = run_cli(capsys, "decode", image, "--json", "--npz", out_npz)
    assert code == 0, err
    paths = json.loads(out)["npz"]
    assert paths == [str(tmp_path / "back.boot1.npz"), str(tmp_path / "back.boot2.npz")]
    for path, source, start in zip(paths, sources, starts):
        back, expected = load_fixture(path), load_fixture(source)
        # Each boot on its own time axis, the first beat of each without an interval.
        assert len(back.beat_s) == len(expected.beat_s) - 1
        assert np.max(np.abs(back.beat_s - expected.beat_s[1:])) <= BEAT_TOLERANCE_S
        # Each beat's interval is its own boot's, not another boot's.
        assert len(back.extras["rr_ms"]) == len(back.beat_s)
        assert np.allclose(back.extras["rr_ms"][1:], 1000 * np.diff(back.beat_s), atol=10)
        assert back.start_utc == start.replace("+00:00", ".000+00:00")
        assert len(back.extras["epoch_t_s"]) == int(expected.duration_s)


def test_a_fixture_at_another_rate_is_sampled_at_the_devices_25_hz(short_fixture, tmp_path,
                                                                     capsys):
    from dataclasses import replace

    from ictalog.fixture import resample_acc

    # The demo seizure (motor onset at 904 s) as a 50 Hz recording.
    source = load_fixture(short_fixture("corpus_demo_seizure", 1200))
    fast = replace(source, acc_mg=resample_acc(source.acc_mg, 25, 50), acc_hz=50.0)
    fast_path = str(tmp_path / "fast.npz")
    save_fixture(fast_path, fast)
    os.remove(fast_path[:-4] + ".events.tsv")   # detection and the device need no annotations

    code, out, err = run_cli(capsys, "sim", "record", fast_path, "--flash",
                             str(tmp_path / "fast.img"), "--flash-kib", "256",
                             "--runtime", "cpython", "--json")
    assert code == 0, err
    recorded = json.loads(out)
    # One epoch per second of the recording, not one per 25 of its samples.
    assert recorded["epochs"] == 1200
    [candidate] = recorded["recorded"]["events"]
    assert 904 <= candidate["onset_s"] <= 934

    code, out, err = run_cli(capsys, "prefilter", fast_path, "--json")
    assert code == 0, err
    assert [e["onset_s"] for e in json.loads(out)["events"]] == [candidate["onset_s"]]

    code, out, err = run_cli(capsys, "detect", fast_path, "--json")
    assert code == 0, err
    [event] = json.loads(out)["events"]
    assert event["kind"] == "convulsive" and abs(event["onset_s"] - 904) <= 10
