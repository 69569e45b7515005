# Motion epoch features and the stream batchers, with expected codes that both
# interpreters must reproduce exactly.
from shared import records as r
from shared.motion import ACT_THRESHOLDS_MG, EpochFeatures, act_code, isqrt, posture_of
from shared.streams import EpochStream, RRStream

# Integer sine of 5 Hz sampled at 25 Hz, amplitude 400 mg.
SINE5 = (0, 380, 235, -235, -380)


def epoch(x, y, z):
    flat = []
    for i in range(25):
        flat += [x(i), y(i), z(i)]
    return flat


def test_isqrt():
    for n in (0, 1, 2, 3, 4, 15, 16, 17, 10**6, 2**40 + 5):
        root = isqrt(n)
        assert root * root <= n < (root + 1) * (root + 1)


def test_act_code_scale():
    assert act_code(0) == 0 and act_code(2) == 0
    assert act_code(3) == 1 and act_code(7) == 2 and act_code(8) == 3
    assert act_code(10**6) == 15
    assert len(ACT_THRESHOLDS_MG) == 15


def test_posture_from_gravity():
    assert posture_of(0, 1000, 0) == r.POSTURE_UPRIGHT
    assert posture_of(0, -980, 100) == r.POSTURE_INVERTED
    assert posture_of(50, 100, 990) == r.POSTURE_SUPINE
    assert posture_of(0, 0, -1000) == r.POSTURE_PRONE
    assert posture_of(-1000, 0, 10) == r.POSTURE_LEFT
    assert posture_of(1000, 0, 10) == r.POSTURE_RIGHT
    assert posture_of(0, 0, 0) == r.POSTURE_UNKNOWN


def test_still_epoch_is_one_code():
    f = EpochFeatures(25)
    assert f.compute(epoch(lambda i: 3, lambda i: -2, lambda i: 1000 + (i % 3)), 0) == 0
    assert f.codes() == (0, 0, 0, 0)


def test_shake_across_gravity_keeps_its_frequency():
    f = EpochFeatures(25)
    f.compute(epoch(lambda i: SINE5[i % 5], lambda i: 0, lambda i: 1000), 0)
    assert f.codes() == (11, 15, 5, r.POSTURE_SUPINE)


def test_slow_roll_is_outside_the_clonic_band():
    f = EpochFeatures(25)
    f.compute(epoch(lambda i: 40 * i - 480, lambda i: 0, lambda i: -1000), 0)
    codes = f.codes()
    assert codes[0] >= 3 and codes[1] <= 4 and codes[2] == 1 and codes[3] == r.POSTURE_PRONE


def test_epoch_offset_into_a_longer_buffer():
    f = EpochFeatures(25)
    flat = epoch(lambda i: 0, lambda i: 0, lambda i: 1000)
    flat += epoch(lambda i: SINE5[i % 5], lambda i: 0, lambda i: 1000)
    assert f.compute(flat, 25) == 11
    assert f.codes() == (11, 15, 5, r.POSTURE_SUPINE)


def test_rr_stream_closes_a_batch_each_minute():
    s = RRStream()
    out = []
    t = 0
    for k in range(200):
        t += 800
        payload = s.add(t, 102 if k else 0)
        if payload:
            out.append(r.decode_rr(payload))
    last = s.flush()
    out.append(r.decode_rr(last))
    assert sum(len(o["rr_units"]) for o in out) == 200
    assert out[0]["t_ms"] == 800 and len(out[0]["rr_units"]) == 75
    assert out[1]["t_ms"] == 800 + 75 * 800
    assert s.flush() is None


def test_epoch_stream_closes_on_a_gap():
    s = EpochStream(batch_epochs=60)
    assert s.add(0, 0, 0, 0, 0) is None
    assert s.add(1000, 5, 9, 4, r.POSTURE_LEFT) is None
    payload = s.add(5000, 1, 0, 0, 0)
    ep = r.decode_epochs(payload)
    assert ep["t_ms"] == 0 and ep["epochs"] == [(0, 0, 0, 0), (5, 9, 4, r.POSTURE_LEFT)]
    rest = r.decode_epochs(s.flush())
    assert rest["t_ms"] == 5000 and rest["posture"] == r.POSTURE_LEFT
    assert rest["epochs"] == [(1, 0, 0, r.POSTURE_LEFT)]


def test_trig_table_is_the_same_on_every_interpreter():
    # A checksum over the integer-built tables for every supported rate; floats would
    # differ between single- and double-precision ports.
    from shared.motion import _trig_q
    h = 0
    for n in range(4, 201):
        for i in range(n):
            c, s = _trig_q(i, n)
            h = (h * 31 + c * 7 + s) & 0xFFFFFFFF
    assert h == 3969093034
    assert _trig_q(0, 25) == (4096, 0) and _trig_q(5, 20) == (0, 4096)


def test_an_epoch_allocates_nothing():
    # The once-a-second path runs with the heap locked on MicroPython.
    try:
        from micropython import heap_lock, heap_unlock
    except ImportError:
        return
    f = EpochFeatures(25)
    from array import array
    moving = array("h", epoch(lambda i: SINE5[i % 5], lambda i: 0, lambda i: 1000))
    still = array("h", epoch(lambda i: 0, lambda i: 0, lambda i: 1000))
    heap_lock()
    try:
        f.compute(moving, 0)
        f.compute(still, 0)
    finally:
        heap_unlock()
    assert f.act == 0
