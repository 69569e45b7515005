# BMA400 accelerometer on I2C or SPI: 3 axes at 12 bits into its 1 KB FIFO in streaming
# mode, drained in milli-g into a preallocated array. Same public API as lis2dh12.LIS2DH12.
#
# The FIFO holds frames, each a header byte and its payload: a data frame with x, y and z
# at 12 bits is 0x9E plus 6 bytes, so 146 samples (5.8 s at 25 Hz) fit. Reading FIFO_DATA
# streams frames; a burst that ends inside a frame does not consume it (the chip sends the
# whole frame again on the next read), and a burst past the last frame returns empty
# frames (0x80 0x00). The driver relies on both: it reads fixed-size bursts into
# preallocated buffers and parses only whole frames.
#
# Figures are from Bosch's BMA400 preliminary datasheet (v0.1) and Bosch's own driver;
# those marked (unverified) were not found in either.

try:
    from micropython import const
except ImportError:
    # CPython runs the driver in the tests; the stub's const() has a positional-only
    # signature this subset cannot spell, hence the ignore.
    def const(expr):  # type: ignore[misc]
        return expr

from .bus import (PROBE_ATTEMPTS, PROBE_PAUSE_MS, ByteRegisters, DeviceError, I2CDevice,
                  SPIDevice, check_choice, pause_ms)

PART = "BMA400"

# I2C addresses with SDO tied low or high.
I2C_ADDRESS_SDO_LOW = 0x14
I2C_ADDRESS_SDO_HIGH = 0x15

# Choices a caller makes: output data rate in Hz (12.5 Hz exists but is not an integer)
# and full scale in g.
RATES_HZ = (25, 50, 100, 200, 400, 800)
RANGES_G = (2, 4, 8, 16)
FIFO_BYTES = const(1024)

_REG_CHIP_ID = const(0x00)
_REG_FIFO_LENGTH0 = const(0x12)
_REG_FIFO_DATA = const(0x14)
_REG_ACC_CONFIG0 = const(0x19)
_REG_ACC_CONFIG1 = const(0x1A)
_REG_ACC_CONFIG2 = const(0x1B)
_REG_INT_CONFIG0 = const(0x1F)
_REG_INT1_MAP = const(0x21)
_REG_INT12_IO_CTRL = const(0x24)
_REG_FIFO_CONFIG0 = const(0x26)
_REG_FIFO_CONFIG1 = const(0x27)
_REG_FIFO_CONFIG2 = const(0x28)
_REG_FIFO_PWR_CONFIG = const(0x29)
_REG_CMD = const(0x7E)

_CHIP_ID_VALUE = const(0x90)
_CMD_SOFT_RESET = const(0xB6)
_CMD_FIFO_FLUSH = const(0xB0)
# Bosch's driver waits 5 ms after a soft reset.
_RESET_PAUSE_MS = const(5)

# Frame headers. Data frames are 0b100 w zyx 0, w = 1 for 12-bit samples.
_HEADER_XYZ12 = const(0x9E)
_HEADER_CONTROL = const(0x48)  # plus one byte: which configuration changed
_HEADER_TIME = const(0xA0)  # plus three bytes of sensor time (only if fifo_time_en)
# Other Bosch FIFOs (BMI160) mark dropped frames with 0x40 plus a count; the BMA400
# datasheet does not show one (unverified), but if it appears it is taken as an overrun.
_HEADER_SKIP = const(0x40)
_XYZ12_FRAME_BYTES = const(7)

# The FIFO counts as full when less than 9 bytes are free (a 7-byte data frame plus a
# 2-byte control frame); in streaming mode the next frame then deletes the oldest.
_FULL_BYTES = const(FIFO_BYTES - 9)

# Bursts: 8 frames at a time while both the FIFO and the caller's array have room for
# them, one frame at a time otherwise, so a read never takes more samples than fit.
_BURST_FRAMES = const(8)


def i2c_device(i2c, address=I2C_ADDRESS_SDO_LOW):
    # The BMA400 steps through registers on its own (and stays on FIFO_DATA).
    return I2CDevice(i2c, address)


def spi_device(spi, cs_pin):
    # Bit 7 of the command byte reads; every read answers one dummy byte first.
    return SPIDevice(spi, cs_pin, read_flag=0x80, auto_increment=0, dummy_bytes=1)


class BMA400(ByteRegisters):
    def __init__(self, dev):
        super().__init__(dev)
        self._length = bytearray(2)
        self._burst = bytearray(_BURST_FRAMES * _XYZ12_FRAME_BYTES)
        self._single = bytearray(_XYZ12_FRAME_BYTES)
        self.rate_hz = 0
        self.range_g = 0
        self.watermark_samples = 0
        self._mg_shift = 0
        self._mg_round = 0
        # Drains that found the FIFO full (or a skip frame): in streaming mode the oldest
        # frames were (or at the next sample are) deleted.
        self.overruns = 0
        # Frames the parser could not make sense of; each one flushed the FIFO to get
        # back in step with the frame boundaries.
        self.fifo_errors = 0

    def begin(self, rate_hz=25, range_g=8, watermark_samples=16):
        # Resets and checks the part, then samples x, y and z at rate_hz into the FIFO
        # and raises INT1 (active high) once it holds watermark_samples.
        #
        # Power mode: low-power mode is the 0.85 uA one and samples at a fixed 25 Hz
        # (unverified), but the preliminary datasheet (4.4) says the FIFO is written only
        # in normal mode, and this driver lives on its FIFO. So it runs normal mode, at
        # any rate in RATES_HZ, with the lowest oversampling (osr = 0), which costs a few
        # microamps more (unverified: measure a board).
        #
        # +-8 g is the default so a convulsion does not clip (see lis2dh12.py); at 12 bits
        # that is 3.9 mg per digit.
        check_choice(PART, "rate_hz", rate_hz, RATES_HZ)
        check_choice(PART, "range_g", range_g, RANGES_G)
        max_watermark = _FULL_BYTES // _XYZ12_FRAME_BYTES
        if not 1 <= watermark_samples <= max_watermark:
            raise ValueError("%s watermark_samples must be 1..%d, not %r"
                             % (PART, max_watermark, watermark_samples))

        # On SPI the part listens only after a first chip-select edge, so this read is
        # thrown away; on I2C it is harmless. A failure here is the probe's to report.
        try:
            self._read_byte(_REG_CHIP_ID)
        except OSError:
            pass
        self._probe()
        # CMD: soft reset, every register to its power-on value and the FIFO emptied.
        self._write_byte(_REG_CMD, _CMD_SOFT_RESET)
        pause_ms(_RESET_PAUSE_MS)
        # The reset may put the interface back into I2C mode (unverified): another
        # thrown-away read re-arms SPI, then the identity is checked once more.
        self._read_byte(_REG_CHIP_ID)
        self._probe()

        odr_code = RATES_HZ.index(rate_hz) + 6
        range_code = RANGES_G.index(range_g)
        # ACC_CONFIG1: full scale (acc_range, bits 7..6), lowest oversampling and current
        # (osr = 0, bits 5..4), output data rate of acc_filt1 (acc_odr, bits 3..0:
        # 6 = 25 Hz ... 11 = 800 Hz).
        self._write_byte(_REG_ACC_CONFIG1, (range_code << 6) | odr_code)
        # ACC_CONFIG2: the data registers also show acc_filt1 (data_src_reg = 00), so a
        # register read and the FIFO agree.
        self._write_byte(_REG_ACC_CONFIG2, 0x00)
        # FIFO_CONFIG0: z, y and x stored (bits 7..5), at 12 bits (fifo_8bit_en = 0,
        # bit 4), from acc_filt1 (fifo_data_src = 0, bit 3), no sensor-time frames
        # (bit 2), streaming: the oldest frames go when full (fifo_stop_on_full = 0,
        # bit 1), no flush on a power-mode change (auto_flush = 0, bit 0).
        self._write_byte(_REG_FIFO_CONFIG0, 0xE0)
        watermark_bytes = watermark_samples * _XYZ12_FRAME_BYTES
        # FIFO_CONFIG1 and FIFO_CONFIG2: the watermark in bytes, bits 7..0 then 10..8.
        self._write_byte(_REG_FIFO_CONFIG1, watermark_bytes & 0xFF)
        self._write_byte(_REG_FIFO_CONFIG2, (watermark_bytes >> 8) & 0x07)
        # FIFO_PWR_CONFIG: FIFO reads enabled (fifo_read_disable = 0, bit 0). Disabling
        # between drains saves about 0.1 uA (unverified) but costs a write and a wait
        # around every drain.
        self._write_byte(_REG_FIFO_PWR_CONFIG, 0x00)
        # INT12_IO_CTRL: INT1 push-pull (int1_od = 0, bit 2), active high (int1_lvl = 1,
        # bit 1); INT2 unused.
        self._write_byte(_REG_INT12_IO_CTRL, 0x02)
        # INT1_MAP: the FIFO watermark interrupt to INT1 (fwm_int1, bit 6). Mapped before
        # it is enabled: the datasheet asks for interrupt changes while disabled.
        self._write_byte(_REG_INT1_MAP, 0x40)
        # INT_CONFIG0: FIFO watermark interrupt enabled (fwm_int_en, bit 6).
        self._write_byte(_REG_INT_CONFIG0, 0x40)
        # CMD: flush the FIFO, so the first drain starts on a frame boundary.
        self._write_byte(_REG_CMD, _CMD_FIFO_FLUSH)
        # ACC_CONFIG0: normal mode (power_mode_conf = 10, bits 1..0), filter bandwidth
        # 0.48 x ODR (filt1_bw = 0, bit 7), osr_lp = 0. Sampling starts here.
        self._write_byte(_REG_ACC_CONFIG0, 0x02)

        self.rate_hz = rate_hz
        self.range_g = range_g
        self.watermark_samples = watermark_samples
        # 12-bit samples span +-range_g: mg = raw * range_g * 1000 / 2048, which is
        # raw * 125 / 2^(7 - range_code): 0.98, 1.95, 3.91, 7.81 mg per digit.
        self._mg_shift = 7 - range_code
        self._mg_round = 1 << (6 - range_code)

    def _probe(self):
        where = getattr(self._dev, "where", "its bus")
        chip_id = -1
        error = None
        for attempt in range(PROBE_ATTEMPTS):
            if attempt:
                pause_ms(PROBE_PAUSE_MS)
            try:
                chip_id = self._read_byte(_REG_CHIP_ID)
            except OSError as e:
                # No acknowledge on I2C (ENODEV, ETIMEDOUT): absent or not yet powered.
                error = e
                continue
            if chip_id == _CHIP_ID_VALUE:
                return
        if chip_id < 0:
            detail = "no answer after %d attempts (%r)" % (PROBE_ATTEMPTS, error)
        else:
            detail = "CHIPID read 0x%02x, expected 0x90, after %d attempts" % (
                chip_id, PROBE_ATTEMPTS)
        raise DeviceError(PART, where, detail)

    # --- FIFO path (no allocation) -------------------------------------------------------

    def _fifo_bytes(self):
        self._dev.read_into(_REG_FIFO_LENGTH0, self._length)
        return ((self._length[1] & 0x07) << 8) | self._length[0]

    def fifo_level(self):
        # Samples waiting in the FIFO, counting 7-byte data frames.
        return self._fifo_bytes() // _XYZ12_FRAME_BYTES

    def read_fifo_into(self, out_mg, start):
        # Moves every sample the FIFO holds, oldest first, into out_mg (a preallocated
        # array("h") of flat x, y, z milli-g) from sample index start, and returns how
        # many it moved. Never writes past the end of out_mg: what does not fit stays in
        # the FIFO for the next call.
        space = len(out_mg) // 3 - start
        if space <= 0:
            return 0
        pending = self._fifo_bytes()
        if pending >= _FULL_BYTES:
            self.overruns += 1
        burst_bytes = _BURST_FRAMES * _XYZ12_FRAME_BYTES
        shift = self._mg_shift
        rounding = self._mg_round
        dev = self._dev
        count = 0
        index = start * 3
        while pending > 0 and count < space:
            if space - count >= _BURST_FRAMES and pending >= burst_bytes:
                buf = self._burst
            else:
                buf = self._single
            dev.read_into(_REG_FIFO_DATA, buf)
            size = len(buf)
            pos = 0
            while pos < size:
                header = buf[pos]
                if header == _HEADER_XYZ12:
                    if pos + _XYZ12_FRAME_BYTES > size:
                        # Cut by the end of the burst: sent again by the next read.
                        break
                    for offset in range(pos + 1, pos + 7, 2):
                        # Per axis: bits 3..0 in the first byte, bits 11..4 in the second.
                        raw = (buf[offset + 1] << 4) | (buf[offset] & 0x0F)
                        if raw > 2047:
                            raw -= 4096
                        out_mg[index] = (raw * 125 + rounding) >> shift
                        index += 1
                    count += 1
                    pos += _XYZ12_FRAME_BYTES
                elif header == _HEADER_CONTROL or header == _HEADER_SKIP:
                    if pos + 2 > size:
                        break
                    if header == _HEADER_SKIP:
                        self.overruns += 1
                    pos += 2
                elif header == _HEADER_TIME:
                    if pos + 4 > size:
                        break
                    pos += 4
                elif header & 0xEE == 0x80:
                    # Empty frame: everything stored has been read.
                    pending = 0
                    break
                else:
                    # Not a frame this configuration produces: the parse is out of step.
                    # Flushing loses what is stored but makes the next frame whole.
                    self.fifo_errors += 1
                    self._write_byte(_REG_CMD, _CMD_FIFO_FLUSH)
                    pending = 0
                    break
            if pos == 0:
                # Nothing whole in this burst (or the FIFO was empty): stop rather than spin.
                break
            pending -= pos
        return count
