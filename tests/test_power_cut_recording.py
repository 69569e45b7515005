"""Power cut at every flash operation of a multi-hour recording.

A real 3.5-hour beat series (PhysioNet szdb record sz02) with a seeded night of
synthetic chest acceleration goes through the device's stream encoders into the log on
the NOR emulator; power fails during each program or erase in turn. What decodes after
the reboot must be exactly a prefix of what was written: every record whose append
returned, plus at most the one being written, and never a torn record as data.
"""

import math
import os

import numpy as np
import pytest

from boards.sim.norflash import NorFlash, PowerCut
from shared import records as rec
from shared.motion import EpochFeatures
from shared.ringlog import RingLog
from shared.streams import EpochStream, RRStream

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")
TICK_HZ = 128


def synthetic_night_acc(seconds: int, acc_hz: int = 25, seed: int = 5) -> np.ndarray:
    """Lying still on the back with breathing and sensor noise, turning now and then."""
    rng = np.random.default_rng(seed)
    t = np.arange(seconds * acc_hz) / acc_hz
    acc = np.zeros((len(t), 3))
    acc[:, 2] = 1000.0
    acc[:, 2] += 6.0 * np.sin(2 * math.pi * 0.25 * t)
    acc += rng.normal(0.0, 3.0, acc.shape)
    for start in rng.integers(0, seconds - 20, size=seconds // 900):
        sl = slice(start * acc_hz, (start + 8) * acc_hz)
        acc[sl] += rng.normal(0.0, 150.0, (sl.stop - sl.start, 3))
    return np.clip(np.round(acc), -32768, 32767).astype(np.int16)


def record_stream(beat_s: np.ndarray, acc_mg: np.ndarray, acc_hz: int) -> list:
    """The (kind, payload) records the device writes for these streams, in order."""
    out = [(rec.KIND_BOOT, rec.encode_boot(0, 1, 0, "test", "sim"))]
    rr = RRStream()
    epochs = EpochStream()
    features = EpochFeatures(acc_hz)
    ticks = np.round(beat_s * TICK_HZ).astype(np.int64)
    flat = acc_mg.reshape(-1).tolist()
    n_epochs = len(acc_mg) // acc_hz
    beat = 0
    last = -1
    for second in range(max(n_epochs, int(ticks[-1]) // TICK_HZ + 1)):
        while beat < len(ticks) and ticks[beat] < (second + 1) * TICK_HZ:
            tick = int(ticks[beat])
            payload = rr.add(tick * 1000 // TICK_HZ, tick - last if last >= 0 else 0)
            last = tick
            beat += 1
            if payload:
                out.append((rec.KIND_RR, payload))
        if second < n_epochs:
            features.compute(flat, second * acc_hz)
            payload = epochs.add(second * 1000, *features.codes())
            if payload:
                out.append((rec.KIND_EPOCHS, payload))
    for kind, payload in ((rec.KIND_RR, rr.flush()), (rec.KIND_EPOCHS, epochs.flush())):
        if payload:
            out.append((kind, payload))
    return out


@pytest.fixture(scope="module")
def night_records():
    data = np.load(os.path.join(FIXTURES, "szdb_sz02.npz"))
    beat_s = data["beat_s"]
    seconds = int(beat_s[-1]) + 1
    return record_stream(beat_s, synthetic_night_acc(seconds), 25)


def write_all(flash: NorFlash, records: list) -> tuple[list, tuple | None]:
    """Append every record; return those confirmed and the one a power cut interrupted."""
    confirmed = []
    current = None
    try:
        log = RingLog(flash)
        for kind, payload in records:
            current = (kind, payload)
            confirmed.append((log.append(kind, payload), kind, payload))
            current = None
    except PowerCut:
        pass
    return confirmed, current


def test_recording_is_multi_hour_and_has_both_streams(night_records):
    kinds = [k for k, _ in night_records]
    assert kinds.count(rec.KIND_RR) >= 200 and kinds.count(rec.KIND_EPOCHS) >= 200
    moving = sum(1 for k, p in night_records if k == rec.KIND_EPOCHS
                 for e in rec.decode_epochs(p)["epochs"] if e[0] >= rec.ACT_MOVING)
    assert moving > 0


def test_power_cut_at_every_operation_leaves_a_prefix(night_records):
    sectors = 16
    flash = NorFlash(sectors)
    everything, _ = write_all(flash, night_records)
    assert len(everything) == len(night_records)
    total_ops = flash.ops
    assert total_ops > len(night_records)

    for cut in range(1, total_ops + 1):
        flash = NorFlash(sectors, seed=cut)
        flash.cut_power_at(cut)
        confirmed, in_flight = write_all(flash, night_records)
        assert not flash.powered, f"power was not cut at op {cut}"
        flash.power_on()
        got = list(RingLog(flash).records(start=0))
        n = len(confirmed)
        assert got[:n] == [(a, k, bytes(p)) for a, k, p in confirmed], f"cut at op {cut}"
        # Beyond the confirmed prefix, only the interrupted record, complete and intact.
        extra = got[n:]
        assert len(extra) <= 1, f"cut at op {cut}: {len(extra)} unexpected records"
        if extra:
            assert in_flight is not None and extra[0][1:] == in_flight, f"cut at op {cut}"
        # Every decodable record decodes: nothing torn passes as data.
        for _, kind, payload in got:
            rec.decode(kind, payload)
