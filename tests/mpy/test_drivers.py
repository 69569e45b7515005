# The sensor drivers against the register-level chip models of boards/sim/chips.py, over
# the fake I2C and SPI buses: probing, configuration, R-R intervals and lead-off, ECG and
# accelerometer FIFO drains. Runs under MicroPython (tests/mpy/run.py) and CPython
# (pytest). Under MicroPython every drain runs with the heap locked, so a driver that
# allocates per sample fails here; CPython has no heap lock and skips that part.

from array import array

from boards.sim.chips import (BMA_SPI_DUMMY, BMA400Model, FakeI2C, FakePin, FakeSPI,
                              LIS2DH12Model, MAX30003Model)
from firmware.drivers import bma400, lis2dh12
from firmware.drivers.bma400 import BMA400
from firmware.drivers.bus import PROBE_ATTEMPTS, DeviceError, I2CDevice, SPIDevice
from firmware.drivers.lis2dh12 import LIS2DH12
from firmware.drivers.max30003 import MAX30003, STATUS_DCLOFFINT, STATUS_RRINT

try:
    import micropython
except ImportError:
    micropython = None


# --- helpers ----------------------------------------------------------------------------


def _raises(exc_type, fn, *args):
    try:
        fn(*args)
    except exc_type as e:
        return e
    raise AssertionError("%s not raised" % exc_type.__name__)


def _drain(read_into, buf, start):
    # read_into is a bound method, made before the lock. Under MicroPython the call runs
    # with the heap locked: any allocation in the driver or in the chip model it reaches
    # raises MemoryError.
    if micropython is None:
        return read_into(buf, start)
    micropython.heap_lock()
    try:
        return read_into(buf, start)
    finally:
        micropython.heap_unlock()


def _samples(n, limit_mg, seed):
    # n deterministic (x, y, z) triples in [-limit_mg, limit_mg], the extremes included.
    state = seed
    out = [(limit_mg, -limit_mg, 0), (-limit_mg, limit_mg, 1)]
    while len(out) < n:
        triple = []
        for _ in range(3):
            state = (state * 1103515245 + 12345) & 0x7FFFFFFF
            triple.append(state % (2 * limit_mg + 1) - limit_mg)
        out.append(tuple(triple))
    return out[:n]


def _assert_close(out, start, expected, tolerance_mg):
    for k in range(len(expected)):
        for axis in range(3):
            got = out[3 * (start + k) + axis]
            want = expected[k][axis]
            assert abs(got - want) <= tolerance_mg, (k, axis, got, want)


class _Recorder:
    # A chip that records the bytes it is sent and answers a counter.
    def __init__(self):
        self.transactions = []
        self._current = None
        self._next = 0

    def spi_select(self):
        self._current = []

    def spi_deselect(self):
        if self._current is None:
            return
        self.transactions.append(bytes(self._current))
        self._current = None

    def spi_exchange(self, byte):
        self._current.append(byte)
        self._next += 1
        return self._next & 0xFF


# --- bus adapters -----------------------------------------------------------------------


def test_spi_device_sets_flags_and_drops_dummy_bytes():
    spi = FakeSPI()
    cs = FakePin("CS", 0)
    chip = _Recorder()
    spi.attach(cs, chip)
    dev = SPIDevice(spi, cs, read_flag=0x80, auto_increment=0x40, dummy_bytes=1)
    assert cs.value() == 1
    buf = bytearray(2)
    dev.read_into(0x28, buf)
    dev.write(0x20, b"\x37")
    dev.write(0x20, b"\x01\x02")
    assert cs.value() == 1
    # Read: command with read and step bits, one dummy byte dropped, then two data bytes.
    assert chip.transactions[0][0] == 0x28 | 0x80 | 0x40
    assert len(chip.transactions[0]) == 4
    assert buf == bytearray([3, 4])
    assert chip.transactions[1] == bytes([0x20, 0x37])
    assert chip.transactions[2] == bytes([0x20 | 0x40, 0x01, 0x02])


def test_i2c_device_sets_auto_increment_only_for_bursts():
    i2c = FakeI2C()
    chip = LIS2DH12Model()
    i2c.attach(0x18, chip)
    dev = I2CDevice(i2c, 0x18, auto_increment=0x80)
    one = bytearray(1)
    dev.read_into(0x0F, one)
    assert one[0] == 0x33
    two = bytearray(2)
    dev.write(0x20, b"\x57\x00")
    dev.read_into(0x20, two)
    assert two == bytearray([0x57, 0x00])
    assert dev.where == "I2C address 0x18"


def test_fake_i2c_absent_address_is_enodev():
    e = _raises(OSError, FakeI2C().readfrom_mem_into, 0x19, 0x0F, bytearray(1))
    assert e.args[0] == 19


# --- MAX30003 ---------------------------------------------------------------------------


def _max_rig(info=0x510000):
    spi = FakeSPI()
    cs = FakePin("CS_ECG", 1)
    chip = MAX30003Model(info=info)
    spi.attach(cs, chip)
    return MAX30003(spi, cs), chip


def test_max30003_begin_resets_probes_and_configures():
    ecg, chip = _max_rig()
    ecg.begin(ecg_threshold_samples=16)
    assert chip.resets == 1
    assert chip.reads[0x0F] == 1
    assert chip.syncs == 1
    gen = chip.regs[0x10]
    assert gen & (1 << 19)  # ECG channel on
    assert (gen >> 20) & 3 == 0  # 32768 Hz master clock
    assert (gen >> 12) & 3 == 1  # DC lead-off on ECGP/ECGN
    assert (gen >> 8) & 7 == 2  # 10 nA
    assert chip.regs[0x14] & (3 << 20) == 0  # inputs connected
    ecg_cfg = chip.regs[0x15]
    assert (ecg_cfg >> 22) & 3 == 2  # 128 samples/s
    assert (ecg_cfg >> 16) & 3 == 1  # 40 V/V
    assert chip.regs[0x1D] & (1 << 15)  # R-to-R detector on
    mngr = chip.regs[0x04]
    assert (mngr >> 19) & 0x1F == 15  # EINT at 16 samples
    assert (mngr >> 4) & 3 == 0  # RRINT cleared by reading STATUS
    en_int = chip.regs[0x02]
    assert en_int & STATUS_RRINT and en_int & STATUS_DCLOFFINT
    assert not en_int & (1 << 23)  # the ECG FIFO stays off INTB
    assert chip.regs[0x03] & (1 << 23)  # ... and goes to INT2B
    assert chip.intb.value() == 1


def test_max30003_wrong_info_names_part_after_exact_retries():
    ecg, chip = _max_rig(info=0x000000)
    e = _raises(DeviceError, ecg.begin)
    assert isinstance(e, OSError)
    assert e.part == "MAX30003"
    assert "MAX30003" in str(e) and "CS_ECG" in str(e), str(e)
    assert chip.reads[0x0F] == PROBE_ATTEMPTS


def test_max30003_absent_reads_floating_bus():
    spi = FakeSPI()
    cs = FakePin("CS_ECG", 1)
    e = _raises(DeviceError, MAX30003(spi, cs).begin)
    assert "0xffffff" in str(e), str(e)


def test_max30003_rr_interval_and_intb():
    ecg, chip = _max_rig()
    ecg.begin()
    chip.intb.irq(handler=lambda pin: None, trigger=FakePin.IRQ_FALLING)
    for rr_ticks in (100, 128, 16383, 1):
        edges = chip.intb.irq_count
        chip.beat(rr_ticks)
        assert chip.intb.value() == 0
        assert chip.intb.irq_count == edges + 1
        # RTOR alone does not release INTB: STATUS does (CLR_RRINT = 00).
        assert ecg.read_rr_ticks() == rr_ticks
        assert chip.intb.value() == 0
        assert ecg.status() & STATUS_RRINT
        assert chip.intb.value() == 1
        assert not ecg.status() & STATUS_RRINT
        assert not ecg.lead_off


def test_max30003_lead_off_latches_until_status_after_reconnect():
    ecg, chip = _max_rig()
    ecg.begin()
    chip.set_lead_off(True)
    assert chip.intb.value() == 0
    ecg.status()
    assert ecg.lead_off
    # Still off: still set, INTB still low.
    ecg.status()
    assert ecg.lead_off and chip.intb.value() == 0
    chip.set_lead_off(False)
    ecg.status()
    ecg.status()
    assert not ecg.lead_off
    assert chip.intb.value() == 1


def test_max30003_ecg_drain_converts_to_microvolts():
    ecg, chip = _max_rig()
    ecg.begin()
    samples_uv = [0, 1, -1, 1000, -1000, 2500, -24999, 24999, 123, -7]
    assert chip.push_ecg(samples_uv) == len(samples_uv)
    buf = array("h", [-32768] * 40)
    n = _drain(ecg.read_ecg_into, buf, 3)
    assert n == len(samples_uv)
    assert list(buf[:3]) == [-32768] * 3
    for k in range(n):
        assert abs(buf[3 + k] - samples_uv[k]) <= 1, (k, buf[3 + k], samples_uv[k])
    assert chip.fifo_count() == 0
    # The last sample's tag (valid, end of FIFO) ends the drain: no read of an empty word.
    assert chip.reads[0x21] == len(samples_uv)
    assert _drain(ecg.read_ecg_into, buf, 0) == 0
    assert ecg.ecg_overflows == 0


def test_max30003_ecg_overflow_counted_and_fifo_reset():
    ecg, chip = _max_rig()
    ecg.begin()
    chip.push_ecg(list(range(0, 4000, 100)))  # 40 samples into 32 words
    assert ecg.status() & (1 << 22)  # EOVF
    buf = array("h", [0] * 64)
    n = _drain(ecg.read_ecg_into, buf, 0)
    assert n == 32
    for k in range(32):
        assert abs(buf[k] - 100 * k) <= 1
    assert ecg.ecg_overflows == 1
    assert not ecg.status() & (1 << 22)
    chip.push_ecg([5, 6, 7])
    assert _drain(ecg.read_ecg_into, buf, 0) == 3
    assert ecg.ecg_overflows == 1


def test_max30003_ecg_drain_stops_at_end_of_buffer():
    ecg, chip = _max_rig()
    ecg.begin()
    chip.push_ecg([10 * k for k in range(10)])
    buf = array("h", [0] * 6)
    assert _drain(ecg.read_ecg_into, buf, 2) == 4
    assert chip.fifo_count() == 6
    assert _drain(ecg.read_ecg_into, buf, 6) == 0
    assert _drain(ecg.read_ecg_into, buf, 0) == 6
    assert [abs(buf[k] - 10 * (4 + k)) <= 1 for k in range(6)] == [True] * 6


def test_max30003_read_ecg_into_does_not_allocate():
    if micropython is None:
        return  # CPython has no heap lock; the MicroPython run checks this.
    ecg, chip = _max_rig()
    ecg.begin()
    chip.push_ecg([1, 2, 3, 4])
    buf = array("h", [0] * 32)
    drain = ecg.read_ecg_into
    micropython.heap_lock()
    try:
        n = drain(buf, 0)
    finally:
        micropython.heap_unlock()
    assert n == 4


# --- LIS2DH12 ---------------------------------------------------------------------------


def _lis_rig(bus, who_am_i=0x33):
    chip = LIS2DH12Model(who_am_i=who_am_i)
    if bus == "i2c":
        i2c = FakeI2C()
        i2c.attach(0x19, chip)
        dev = lis2dh12.i2c_device(i2c, 0x19)
    else:
        spi = FakeSPI()
        cs = FakePin("CS_ACC", 1)
        spi.attach(cs, chip)
        dev = lis2dh12.spi_device(spi, cs)
    return LIS2DH12(dev), chip


def _lis_tolerance_mg(chip):
    # The FIFO keeps 10 of the 12 bits: one step is four 12-bit digits.
    return 4 * chip.mg_per_digit()


def test_lis2dh12_probe_and_configuration():
    for bus in ("i2c", "spi"):
        acc, chip = _lis_rig(bus)
        acc.begin(rate_hz=25, range_g=8, watermark_samples=16)
        assert chip.reads[0x0F] == 1
        ctrl1 = chip.regs[0x20]
        assert ctrl1 >> 4 == 3  # 25 Hz
        assert not ctrl1 & 0x08  # not low-power mode
        assert ctrl1 & 0x07 == 0x07  # x, y, z
        ctrl4 = chip.regs[0x23]
        assert (ctrl4 >> 4) & 3 == 2  # +-8 g
        assert ctrl4 & 0x08  # high resolution
        assert chip.regs[0x24] & 0x40  # FIFO enabled
        assert chip.regs[0x2E] >> 6 == 2  # stream mode
        assert chip.regs[0x2E] & 0x1F == 16  # watermark
        assert chip.writes[0x2E] == 2  # bypass (emptying) first
        assert chip.regs[0x22] == 0x04  # watermark on INT1
        assert chip.int1.value() == 0


def test_lis2dh12_wrong_who_am_i_names_part_after_exact_retries():
    acc, chip = _lis_rig("i2c", who_am_i=0x32)
    e = _raises(DeviceError, acc.begin)
    assert "LIS2DH12" in str(e) and "0x19" in str(e) and "0x32" in str(e), str(e)
    assert chip.reads[0x0F] == PROBE_ATTEMPTS
    acc, chip = _lis_rig("spi", who_am_i=0x00)
    e = _raises(DeviceError, acc.begin)
    assert "CS_ACC" in str(e), str(e)
    assert chip.reads[0x0F] == PROBE_ATTEMPTS


def test_lis2dh12_absent_i2c_device_raises_device_error():
    acc = LIS2DH12(lis2dh12.i2c_device(FakeI2C(), 0x18))
    e = _raises(DeviceError, acc.begin)
    assert e.part == "LIS2DH12" and e.where == "I2C address 0x18"
    assert "0x18" in str(e) and "19" in str(e), str(e)


def test_lis2dh12_rejects_unsupported_choices():
    acc, _ = _lis_rig("i2c")
    e = _raises(ValueError, acc.begin, 30)
    assert "rate_hz" in str(e)
    _raises(ValueError, acc.begin, 25, 6)
    _raises(ValueError, acc.begin, 25, 8, 32)


def test_lis2dh12_stream_drain_keeps_order_across_watermarks():
    for bus in ("i2c", "spi"):
        acc, chip = _lis_rig(bus)
        acc.begin(watermark_samples=16)
        chip.int1.irq(handler=lambda pin: None, trigger=FakePin.IRQ_RISING)
        expected = _samples(16 * 5 + 7, 7900, seed=7)
        out = array("h", [0] * (3 * len(expected)))
        taken = 0
        pushed = 0
        for chunk in (16, 16, 20, 16, 16, 3):
            for _ in range(chunk):
                chip.push(*expected[pushed])
                pushed += 1
                if chip.fifo_count() == 15:
                    assert chip.int1.value() == 0
            # The watermark raises INT1; the last, short chunk stays below it.
            assert chip.int1.value() == (1 if chunk >= 16 else 0)
            assert acc.fifo_level() == chunk
            taken += _drain(acc.read_fifo_into, out, taken)
            assert taken == pushed
            assert chip.int1.value() == 0
        assert chip.int1.irq_count == 5
        _assert_close(out, 0, expected, _lis_tolerance_mg(chip))
        assert acc.overruns == 0


def test_lis2dh12_other_ranges_convert():
    for range_g, limit_mg in ((2, 1990), (4, 3990), (16, 23000)):
        acc, chip = _lis_rig("i2c")
        acc.begin(range_g=range_g)
        expected = _samples(20, limit_mg, seed=range_g)
        for sample in expected:
            chip.push(*sample)
        out = array("h", [0] * 60)
        assert _drain(acc.read_fifo_into, out, 0) == 20
        _assert_close(out, 0, expected, _lis_tolerance_mg(chip))


def test_lis2dh12_overrun_counted_and_newest_kept():
    acc, chip = _lis_rig("spi")
    acc.begin()
    expected = _samples(40, 4000, seed=3)
    for sample in expected:
        chip.push(*sample)
    assert chip.overwritten == 8
    assert acc.fifo_level() == 32
    out = array("h", [0] * (3 * 40))
    assert _drain(acc.read_fifo_into, out, 0) == 32
    assert acc.overruns == 1
    _assert_close(out, 0, expected[8:], _lis_tolerance_mg(chip))
    for sample in expected[:31]:
        chip.push(*sample)
    assert _drain(acc.read_fifo_into, out, 0) == 31
    assert acc.overruns == 1


def test_lis2dh12_nearly_full_array_is_never_overrun():
    acc, chip = _lis_rig("i2c")
    acc.begin()
    expected = _samples(20, 7000, seed=11)
    for sample in expected:
        chip.push(*sample)
    out = array("h", [-1] * (3 * 10))
    assert _drain(acc.read_fifo_into, out, 7) == 3
    assert list(out[:21]) == [-1] * 21
    _assert_close(out, 7, expected[:3], _lis_tolerance_mg(chip))
    assert chip.fifo_count() == 17
    assert _drain(acc.read_fifo_into, out, 10) == 0
    assert _drain(acc.read_fifo_into, out, 12) == 0
    rest = array("h", [0] * (3 * 20))
    assert _drain(acc.read_fifo_into, rest, 0) == 17
    _assert_close(rest, 0, expected[3:], _lis_tolerance_mg(chip))


def test_lis2dh12_read_fifo_into_does_not_allocate():
    if micropython is None:
        return  # CPython has no heap lock; the MicroPython run checks this.
    acc, chip = _lis_rig("spi")
    acc.begin()
    for sample in _samples(32, 8000, seed=5):
        chip.push(*sample)
    out = array("h", [0] * 96)
    drain = acc.read_fifo_into
    micropython.heap_lock()
    try:
        n = drain(out, 0)
    finally:
        micropython.heap_unlock()
    assert n == 32


# --- BMA400 -----------------------------------------------------------------------------


def _bma_rig(bus, chip_id=0x90):
    chip = BMA400Model(chip_id=chip_id)
    if bus == "i2c":
        i2c = FakeI2C()
        i2c.attach(0x14, chip)
        dev = bma400.i2c_device(i2c, 0x14)
    else:
        spi = FakeSPI()
        cs = FakePin("CS_BMA", 1)
        spi.attach(cs, chip)
        dev = bma400.spi_device(spi, cs)
    return BMA400(dev), chip


def _bma_tolerance_mg(chip):
    # One 12-bit digit, rounded up.
    return (1000 * chip.range_g() + 2047) // 2048


def test_bma400_probe_and_configuration():
    for bus in ("i2c", "spi"):
        acc, chip = _bma_rig(bus)
        acc.begin(rate_hz=25, range_g=8, watermark_samples=16)
        assert chip.resets == 1
        assert chip.regs[0x19] & 0x03 == 0x02  # normal mode
        config1 = chip.regs[0x1A]
        assert config1 >> 6 == 2  # +-8 g
        assert config1 & 0x0F == 0x06  # 25 Hz
        assert (config1 >> 4) & 3 == 0  # lowest oversampling
        assert chip.regs[0x26] == 0xE0  # x, y, z at 12 bits, streaming
        assert chip.watermark_bytes() == 16 * 7
        assert chip.regs[0x29] & 0x01 == 0  # FIFO reads enabled
        assert chip.regs[0x1F] & 0x40 and chip.regs[0x21] & 0x40  # watermark on INT1
        assert chip.regs[0x24] & 0x02  # active high
        assert chip.int1.value() == 0
        assert chip.fifo_length() == 0


def test_bma400_wrong_chip_id_names_part_after_exact_retries():
    acc, chip = _bma_rig("i2c", chip_id=0x91)
    e = _raises(DeviceError, acc.begin)
    assert "BMA400" in str(e) and "0x14" in str(e) and "0x91" in str(e), str(e)
    # One thrown-away read (it switches an SPI part to SPI), then the probe's.
    assert chip.reads[0x00] == 1 + PROBE_ATTEMPTS
    assert chip.resets == 0


def test_bma400_absent_i2c_device_raises_device_error():
    acc = BMA400(bma400.i2c_device(FakeI2C(), 0x15))
    e = _raises(DeviceError, acc.begin)
    assert "BMA400" in str(e) and "0x15" in str(e), str(e)


def test_bma400_spi_without_dummy_byte_is_refused():
    chip = BMA400Model()
    spi = FakeSPI()
    cs = FakePin("CS_BMA", 1)
    spi.attach(cs, chip)
    acc = BMA400(SPIDevice(spi, cs, read_flag=0x80, auto_increment=0))
    e = _raises(DeviceError, acc.begin)
    assert ("0x%02x" % BMA_SPI_DUMMY) in str(e), str(e)


def test_bma400_stream_drain_keeps_order_across_watermarks():
    for bus in ("i2c", "spi"):
        acc, chip = _bma_rig(bus)
        acc.begin(watermark_samples=16)
        chip.int1.irq(handler=lambda pin: None, trigger=FakePin.IRQ_RISING)
        expected = _samples(16 * 5 + 7, 7990, seed=13)
        out = array("h", [0] * (3 * len(expected)))
        taken = 0
        pushed = 0
        for chunk in (16, 16, 20, 16, 16, 3):
            for _ in range(chunk):
                chip.push(*expected[pushed])
                pushed += 1
            # The watermark raises INT1; the last, short chunk stays below it.
            assert chip.int1.value() == (1 if chunk >= 16 else 0)
            assert acc.fifo_level() == chunk
            taken += _drain(acc.read_fifo_into, out, taken)
            assert taken == pushed
            assert chip.int1.value() == 0
            assert chip.fifo_length() == 0
        assert chip.int1.irq_count == 5
        _assert_close(out, 0, expected, _bma_tolerance_mg(chip))
        assert acc.overruns == 0 and acc.fifo_errors == 0


def test_bma400_other_ranges_convert():
    for range_g in (2, 4, 16):
        acc, chip = _bma_rig("spi")
        acc.begin(range_g=range_g)
        expected = _samples(20, 1000 * range_g - 10, seed=range_g)
        for sample in expected:
            chip.push(*sample)
        out = array("h", [0] * 60)
        assert _drain(acc.read_fifo_into, out, 0) == 20
        _assert_close(out, 0, expected, _bma_tolerance_mg(chip))


def test_bma400_control_frames_are_skipped():
    acc, chip = _bma_rig("i2c")
    acc.begin()
    expected = _samples(12, 5000, seed=17)
    for sample in expected[:5]:
        chip.push(*sample)
    # Oversampling changed mid-stream: the chip puts a control frame before the next
    # sample, which shifts every later frame by two bytes against 7-byte reads.
    chip.write_reg(0x1A, chip.regs[0x1A] | 0x10)
    for sample in expected[5:]:
        chip.push(*sample)
    assert chip.fifo_length() == 12 * 7 + 2
    out = array("h", [0] * 36)
    assert _drain(acc.read_fifo_into, out, 0) == 12
    _assert_close(out, 0, expected, _bma_tolerance_mg(chip))
    assert acc.fifo_errors == 0
    assert chip.fifo_length() == 0


def test_bma400_overrun_counted_and_newest_kept():
    acc, chip = _bma_rig("spi")
    acc.begin()
    expected = _samples(200, 8000, seed=19)
    for sample in expected:
        chip.push(*sample)
    kept = 1024 // 7
    assert chip.dropped_frames == 200 - kept
    out = array("h", [0] * (3 * 200))
    assert _drain(acc.read_fifo_into, out, 0) == kept
    assert acc.overruns == 1
    _assert_close(out, 0, expected[200 - kept:], _bma_tolerance_mg(chip))
    for sample in expected[:40]:
        chip.push(*sample)
    assert _drain(acc.read_fifo_into, out, 0) == 40
    assert acc.overruns == 1


def test_bma400_nearly_full_array_is_never_overrun():
    acc, chip = _bma_rig("spi")
    acc.begin()
    expected = _samples(30, 7000, seed=23)
    for sample in expected[:10]:
        chip.push(*sample)
    chip.write_reg(0x1A, chip.regs[0x1A] | 0x10)
    for sample in expected[10:]:
        chip.push(*sample)
    out = array("h", [-1] * (3 * 10))
    assert _drain(acc.read_fifo_into, out, 7) == 3
    assert list(out[:21]) == [-1] * 21
    _assert_close(out, 7, expected[:3], _bma_tolerance_mg(chip))
    assert _drain(acc.read_fifo_into, out, 10) == 0
    # Eleven samples into room for 11, across the control frame.
    mid = array("h", [0] * (3 * 11))
    assert _drain(acc.read_fifo_into, mid, 0) == 11
    _assert_close(mid, 0, expected[3:14], _bma_tolerance_mg(chip))
    rest = array("h", [0] * (3 * 30))
    assert _drain(acc.read_fifo_into, rest, 0) == 16
    _assert_close(rest, 0, expected[14:], _bma_tolerance_mg(chip))
    assert acc.fifo_errors == 0


def test_bma400_read_fifo_into_does_not_allocate():
    if micropython is None:
        return  # CPython has no heap lock; the MicroPython run checks this.
    acc, chip = _bma_rig("i2c")
    acc.begin()
    for sample in _samples(40, 8000, seed=29):
        chip.push(*sample)
    out = array("h", [0] * 120)
    drain = acc.read_fifo_into
    micropython.heap_lock()
    try:
        n = drain(out, 0)
    finally:
        micropython.heap_unlock()
    assert n == 40
