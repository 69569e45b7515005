# LIS2DH12 (and LIS3DH) accelerometer on I2C or SPI: 3 axes into its 32-sample FIFO in
# stream mode, drained in milli-g into a preallocated array.
#
# The driver takes an I2CDevice or SPIDevice (bus.py); i2c_device() and spi_device() below
# build one with the part's auto-increment flag, the detail a board most easily gets
# wrong. In stream mode the FIFO keeps the newest 32 samples: at 25 Hz it fills in 1.28 s,
# so the application drains it on the watermark interrupt (INT1, active high) or on the
# per-beat wake, whichever comes first.
#
# Figures are from ST's LIS3DH/LIS2DH12 documentation and ST community answers; those
# marked (unverified) were not re-read in the LIS2DH12 datasheet itself.

try:
    from micropython import const
except ImportError:
    # CPython runs the driver in the tests; the stub's const() has a positional-only
    # signature this subset cannot spell, hence the ignore.
    def const(expr):  # type: ignore[misc]
        return expr

from .bus import (PROBE_ATTEMPTS, PROBE_PAUSE_MS, ByteRegisters, DeviceError, I2CDevice,
                  SPIDevice, check_choice, pause_ms)

PART = "LIS2DH12"

# I2C addresses with SA0 tied low or high.
I2C_ADDRESS_SA0_LOW = 0x18
I2C_ADDRESS_SA0_HIGH = 0x19

# Choices a caller makes: output data rate in Hz and full scale in g.
RATES_HZ = (1, 10, 25, 50, 100, 200, 400)
RANGES_G = (2, 4, 8, 16)
FIFO_SAMPLES = 32

_REG_WHO_AM_I = const(0x0F)
_REG_CTRL_REG1 = const(0x20)
_REG_CTRL_REG2 = const(0x21)
_REG_CTRL_REG3 = const(0x22)
_REG_CTRL_REG4 = const(0x23)
_REG_CTRL_REG5 = const(0x24)
_REG_CTRL_REG6 = const(0x25)
_REG_OUT_X_L = const(0x28)
_REG_FIFO_CTRL = const(0x2E)
_REG_FIFO_SRC = const(0x2F)

_WHO_AM_I_VALUE = const(0x33)

# FIFO_SRC_REG bits.
_FIFO_SRC_OVRN = const(0x40)
_FIFO_SRC_FSS = const(0x1F)

# Sensitivity in high-resolution mode (12-bit), mg per digit, by RANGES_G index; normal
# mode (10-bit) is 4, 8, 16, 48 and low-power mode (8-bit) 16, 32, 64, 192. Data is
# left-justified in 16 bits, so a 12-bit reading is the raw word shifted right by 4.
# The FIFO stores only the 10 most significant bits of each reading (ST's answer for the
# LIS3DH, seen on the LIS2DH12 too; unverified in its datasheet), so through the FIFO
# the two lowest of the 12 bits read 0: 16 mg steps at +-8 g.
_HR_MG_PER_DIGIT = (1, 2, 4, 12)
_HR_SHIFT = const(4)


def i2c_device(i2c, address=I2C_ADDRESS_SA0_HIGH):
    # Bit 7 of the sub-address makes the part step through registers in a burst.
    return I2CDevice(i2c, address, auto_increment=0x80)


def spi_device(spi, cs_pin):
    # Bit 7 of the command byte reads, bit 6 (MS) steps through registers in a burst.
    return SPIDevice(spi, cs_pin, read_flag=0x80, auto_increment=0x40)


class LIS2DH12(ByteRegisters):
    def __init__(self, dev):
        super().__init__(dev)
        self._sample = bytearray(6)
        self.rate_hz = 0
        self.range_g = 0
        self.watermark_samples = 0
        self._mg_per_digit = 0
        # Drains that found the FIFO completely filled: in stream mode the oldest samples
        # were (or at the next sample are) overwritten.
        self.overruns = 0

    def begin(self, rate_hz=25, range_g=8, watermark_samples=16):
        # Checks the part, then samples all three axes at rate_hz into the FIFO in stream
        # mode and raises INT1 once it holds watermark_samples (1..31).
        #
        # +-8 g is the default because a convulsion must not clip: chest-worn recordings
        # of tonic-clonic seizures and falls stay within a few g (unverified), and +-16 g
        # would quadruple the step to 48 mg/digit (12 mg/digit at 12 bits) for no gain.
        # At 25 Hz the default watermark of 16 samples (0.64 s) leaves another 0.64 s
        # before the FIFO overwrites, time for a NOR sector erase (400 ms worst case)
        # to finish before the drain.
        check_choice(PART, "rate_hz", rate_hz, RATES_HZ)
        check_choice(PART, "range_g", range_g, RANGES_G)
        if not 1 <= watermark_samples < FIFO_SAMPLES:
            raise ValueError("%s watermark_samples must be 1..31, not %r"
                             % (PART, watermark_samples))
        self._probe()
        odr_code = RATES_HZ.index(rate_hz) + 1
        range_code = RANGES_G.index(range_g)

        # CTRL_REG1: output data rate (ODR, bits 7..4), normal/high-resolution rather than
        # low-power mode (LPen = 0, bit 3), X, Y and Z enabled (bits 2..0).
        self._write_byte(_REG_CTRL_REG1, (odr_code << 4) | 0x07)
        # CTRL_REG2: high-pass filter bypassed, so gravity stays in the data; the motion
        # epochs remove it where they need to.
        self._write_byte(_REG_CTRL_REG2, 0x00)
        # CTRL_REG4: full scale (FS, bits 5..4) and high-resolution mode (HR, bit 3);
        # block data update off, little-endian output.
        self._write_byte(_REG_CTRL_REG4, (range_code << 4) | 0x08)
        # CTRL_REG6: nothing on INT2 and both interrupt pins active high (INT_POLARITY = 0).
        self._write_byte(_REG_CTRL_REG6, 0x00)
        # CTRL_REG5: FIFO enabled (FIFO_EN, bit 6).
        self._write_byte(_REG_CTRL_REG5, 0x40)
        # FIFO_CTRL_REG: bypass mode first, which empties the FIFO of whatever an earlier
        # run left in it...
        self._write_byte(_REG_FIFO_CTRL, 0x00)
        # ...then stream mode (FM = 10, bits 7..6) with the watermark (FTH, bits 4..0);
        # WTM rises when the FIFO holds FTH samples or more (LIS3DH datasheet 5.1).
        self._write_byte(_REG_FIFO_CTRL, 0x80 | watermark_samples)
        # CTRL_REG3: the FIFO watermark drives INT1 (I1_WTM, bit 2); nothing else does.
        self._write_byte(_REG_CTRL_REG3, 0x04)

        self.rate_hz = rate_hz
        self.range_g = range_g
        self.watermark_samples = watermark_samples
        self._mg_per_digit = _HR_MG_PER_DIGIT[range_code]

    def _probe(self):
        where = getattr(self._dev, "where", "its bus")
        who = -1
        error = None
        for attempt in range(PROBE_ATTEMPTS):
            if attempt:
                pause_ms(PROBE_PAUSE_MS)
            try:
                who = self._read_byte(_REG_WHO_AM_I)
            except OSError as e:
                # No acknowledge on I2C (ENODEV, ETIMEDOUT): absent or not yet powered.
                error = e
                continue
            if who == _WHO_AM_I_VALUE:
                return
        if who < 0:
            detail = "no answer after %d attempts (%r)" % (PROBE_ATTEMPTS, error)
        else:
            detail = "WHO_AM_I read 0x%02x, expected 0x33, after %d attempts" % (
                who, PROBE_ATTEMPTS)
        raise DeviceError(PART, where, detail)

    # --- FIFO path (no allocation) -------------------------------------------------------

    def fifo_level(self):
        # Samples waiting in the FIFO (0..32).
        src = self._read_byte(_REG_FIFO_SRC)
        if src & _FIFO_SRC_OVRN:
            # FSS has five bits; a completely filled FIFO holds 32.
            return FIFO_SAMPLES
        return src & _FIFO_SRC_FSS

    def read_fifo_into(self, out_mg, start):
        # Moves every sample the FIFO holds, oldest first, into out_mg (a preallocated
        # array("h") of flat x, y, z milli-g) from sample index start, and returns how
        # many it moved. Never writes past the end of out_mg: what does not fit stays in
        # the FIFO for the next call. One 6-byte burst from OUT_X_L per sample pops it.
        src = self._read_byte(_REG_FIFO_SRC)
        if src & _FIFO_SRC_OVRN:
            self.overruns += 1
            level = FIFO_SAMPLES
        else:
            level = src & _FIFO_SRC_FSS
        space = len(out_mg) // 3 - start
        if level > space:
            level = space if space > 0 else 0
        mg_per_digit = self._mg_per_digit
        sample = self._sample
        dev = self._dev
        index = start * 3
        for _ in range(level):
            dev.read_into(_REG_OUT_X_L, sample)
            for offset in range(0, 6, 2):
                raw = sample[offset] | (sample[offset + 1] << 8)
                if raw & 0x8000:
                    raw -= 0x10000
                out_mg[index] = (raw >> _HR_SHIFT) * mg_per_digit
                index += 1
        return level
