# MAX30003 ECG front end: per-beat R-R intervals from its R-to-R detector, DC lead-off
# detection and, when wanted, the ECG waveform from its 32-word FIFO.
#
# The part speaks its own SPI protocol (mode 0): a command byte `(reg << 1) | 1` to read
# or `reg << 1` to write, then 24 data bits, most significant first. That does not fit the
# one-byte-address adapters of bus.py, so this driver takes machine.SPI and the
# chip-select Pin directly and moves exactly four bytes per transaction through two
# preallocated buffers.
#
# Interrupts, as begin() routes them:
# - INTB (active low, CMOS output): RRINT (a new R-R interval is in RTOR) and DCLOFFINT
#   (an electrode is off). Reading STATUS clears RRINT (CLR_RRINT = 00) and releases INTB,
#   so an application reads status() first on every falling edge of INTB, then
#   read_rr_ticks() when STATUS_RRINT is set.
# - INT2B: EINT (the ECG FIFO holds `ecg_threshold_samples`) and EOVF, for a board that
#   wires it and wants the waveform; leaving INT2B unconnected costs nothing.
#
# Register fields are from the MAX30003 register map as mirrored by Maxim's own mbed
# driver headers; values marked (unverified) were not re-read in the datasheet.

try:
    from micropython import const
except ImportError:
    # CPython runs the driver in the tests; the stub's const() has a positional-only
    # signature this subset cannot spell, hence the ignore.
    def const(expr):  # type: ignore[misc]
        return expr

from .bus import PROBE_ATTEMPTS, PROBE_PAUSE_MS, DeviceError, pause_ms

PART = "MAX30003"

# Registers.
_REG_STATUS = const(0x01)
_REG_EN_INT = const(0x02)
_REG_EN_INT2 = const(0x03)
_REG_MNGR_INT = const(0x04)
_REG_SW_RST = const(0x08)
_REG_SYNCH = const(0x09)
_REG_FIFO_RST = const(0x0A)
_REG_INFO = const(0x0F)
_REG_CNFG_GEN = const(0x10)
_REG_CNFG_EMUX = const(0x14)
_REG_CNFG_ECG = const(0x15)
_REG_CNFG_RTOR1 = const(0x1D)
_REG_ECG_FIFO = const(0x21)
_REG_RTOR = const(0x25)

# STATUS bits, public so the application can test the value status() returns.
STATUS_EINT = const(1 << 23)  # ECG FIFO at or above its threshold
STATUS_EOVF = const(1 << 22)  # ECG FIFO overflowed: samples were lost
STATUS_FSTINT = const(1 << 21)  # ECG channel in fast recovery (input saturated)
STATUS_DCLOFFINT = const(1 << 20)  # DC lead-off: an electrode is off
STATUS_LONINT = const(1 << 11)  # leads-on, only in ultra-low-power standby
STATUS_RRINT = const(1 << 10)  # a new R-R interval is in RTOR
STATUS_SAMP = const(1 << 9)
STATUS_PLLINT = const(1 << 8)  # the PLL lost lock: timing is not trustworthy

# R-R intervals count ticks of 1/128 s (7.8125 ms) with the 32768 Hz master clock
# (FMSTR = 00). Times 8 gives the Heart Rate Service's 1/1024 s unit exactly.
RR_TICK_HZ = 128
# ECG samples per second with FMSTR = 00 and RATE = 10.
ECG_RATE_HZ = 128

# INFO bits 23..20 read 0x5 on this part family.
_INFO_ID = const(0x5)

# ECG FIFO: 32 words; the sample is bits 23..6 (18-bit two's complement) and ETAG bits 5..3.
_FIFO_WORDS = const(32)
_ETAG_VALID = const(0)
_ETAG_FAST = const(1)  # sample taken in fast recovery: kept, the input is saturated
_ETAG_VALID_EOF = const(2)  # last sample in the FIFO
_ETAG_FAST_EOF = const(3)
_ETAG_EMPTY = const(6)
_ETAG_OVERFLOW = const(7)

# Sample to microvolts. The ECG voltage is ADC * VREF / (2^17 * GAIN) with VREF = 1000 mV
# (the conversion Maxim's own HSP app uses; datasheet figure not re-read: unverified).
# At GAIN = 40 V/V one LSB is 1e6 uV / (131072 * 40) = 0.19073 uV, which is exactly
# 3125 / 16384 uV, so the conversion is (raw * 3125) >> 14 with rounding, in small
# integers (|raw * 3125| < 2^29). Full scale is +-25 mV at the electrodes, which fits an
# int16 in microvolts without clamping.
_GAIN_CODE = const(1)  # CNFG_ECG.GAIN: 0 = 20, 1 = 40, 2 = 80, 3 = 160 V/V
_UV_PER_LSB_NUM = const(3125)
_UV_SHIFT = const(14)  # 13 + _GAIN_CODE
_UV_ROUND = const(1 << 13)


class MAX30003:
    def __init__(self, spi, cs_pin):
        self._spi = spi
        self._cs = cs_pin
        self._tx = bytearray(4)
        self._rx = bytearray(4)
        self.where = "SPI chip-select %r" % (cs_pin,)
        # STATUS as last read; lead_off and the interrupt flags come from here.
        self.last_status = 0
        # INFO as read by the probe (revision in bits 19..16 (unverified)).
        self.info = 0
        # FIFO overflows seen by read_ecg_into(); each one lost up to a FIFO of samples.
        self.ecg_overflows = 0
        # Deselected until the first transaction.
        cs_pin.value(1)

    # --- register access -----------------------------------------------------------------

    def _read(self, reg):
        tx = self._tx
        tx[0] = (reg << 1) | 1
        tx[1] = tx[2] = tx[3] = 0
        self._cs.value(0)
        try:
            self._spi.write_readinto(tx, self._rx)
        finally:
            self._cs.value(1)
        rx = self._rx
        return (rx[1] << 16) | (rx[2] << 8) | rx[3]

    def _write(self, reg, value):
        tx = self._tx
        tx[0] = reg << 1
        tx[1] = (value >> 16) & 0xFF
        tx[2] = (value >> 8) & 0xFF
        tx[3] = value & 0xFF
        self._cs.value(0)
        try:
            self._spi.write(tx)
        finally:
            self._cs.value(1)

    # --- set-up --------------------------------------------------------------------------

    def begin(self, ecg_threshold_samples=16):
        # Resets the part, checks that it is a MAX30003, and starts ECG sampling at
        # 128 samples/s with the R-to-R detector and DC lead-off detection running.
        # ecg_threshold_samples (1..32) is how full the ECG FIFO gets before EINT.
        if not 1 <= ecg_threshold_samples <= _FIFO_WORDS:
            raise ValueError("ecg_threshold_samples must be 1..32, not %d"
                             % ecg_threshold_samples)

        # Software reset: every register back to its power-on value, FIFO emptied.
        self._write(_REG_SW_RST, 0)
        pause_ms(PROBE_PAUSE_MS)
        self._probe()

        # CNFG_GEN: ECG channel on (EN_ECG, bit 19); 32768 Hz master clock (FMSTR = 00,
        # bits 21..20), which gives 128 samples/s and 7.8125 ms R-R ticks; DC lead-off
        # detection on ECGP/ECGN (EN_DCLOFF = 01, bits 13..12) with 10 nA (IMAG = 010,
        # bits 10..8) and the +-300 mV threshold (VTH = 00, bits 7..6); resistive lead bias
        # on both inputs (EN_RBIAS = 01 bits 5..4, RBIASV = 01 = 100 Mohm bits 3..2,
        # RBIASP bit 1, RBIASN bit 0), so two electrodes suffice without a third
        # reference electrode. A lead that is off is pulled by the 10 nA through the bias
        # resistor well past 300 mV, which trips the detector.
        self._write(_REG_CNFG_GEN,
                    (1 << 19) | (1 << 12) | (2 << 8) | (1 << 4) | (1 << 2) | (1 << 1) | 1)
        # CNFG_EMUX: ECGP and ECGN connected to the channel (OPENP bit 21 and OPENN bit 20
        # cleared; the reset value isolates them (unverified)), no calibration source,
        # normal polarity.
        self._write(_REG_CNFG_EMUX, 0)
        # CNFG_ECG: 128 samples/s (RATE = 10, bits 23..22), gain 40 V/V (GAIN = 01,
        # bits 17..16; see the conversion above), 0.5 Hz digital high-pass (DHPF, bit 14)
        # to remove baseline drift, 40 Hz digital low-pass (DLPF = 01, bits 13..12).
        self._write(_REG_CNFG_ECG,
                    (2 << 22) | (_GAIN_CODE << 16) | (1 << 14) | (1 << 12))
        # CNFG_RTOR1: R-to-R detector on (EN_RTOR, bit 15) with the tuning its reset value
        # carries (unverified): 96 ms window (WNDW = 0011, bits 23..20), automatic gain
        # (RGAIN = 1111, bits 19..16), peak averaging over 8 beats (PAVG = 10,
        # bits 13..12), threshold 4/16 of the average peak (PTSF = 0011, bits 11..8).
        self._write(_REG_CNFG_RTOR1,
                    (3 << 20) | (15 << 16) | (1 << 15) | (2 << 12) | (3 << 8))
        # MNGR_INT: EINT once the FIFO holds ecg_threshold_samples (EFIT = n - 1,
        # bits 23..19); RRINT cleared by reading STATUS (CLR_RRINT = 00, bits 5..4);
        # SAMP self-clearing (CLR_SAMP, bit 2; SAMP itself stays disabled).
        self._write(_REG_MNGR_INT, ((ecg_threshold_samples - 1) << 19) | (1 << 2))
        # EN_INT (INTB): RRINT (bit 10) and DCLOFFINT (bit 20); CMOS output (INTB_TYPE =
        # 01, bits 1..0), so the pin needs no pull-up and draws nothing while idle.
        self._write(_REG_EN_INT, STATUS_DCLOFFINT | STATUS_RRINT | 1)
        # EN_INT2 (INT2B): EINT (bit 23) and EOVF (bit 22); CMOS output. Kept off INTB so
        # a waveform the application does not drain never masks a beat.
        self._write(_REG_EN_INT2, STATUS_EINT | STATUS_EOVF | 1)
        # SYNCH: restart the DSP and the FIFO with the configuration above.
        self._write(_REG_SYNCH, 0)
        # Clear what the reset and the configuration latched.
        self.status()

    def _probe(self):
        info = 0
        for attempt in range(PROBE_ATTEMPTS):
            if attempt:
                pause_ms(PROBE_PAUSE_MS)
            info = self._read(_REG_INFO)
            if (info >> 20) & 0xF == _INFO_ID:
                self.info = info
                return
        raise DeviceError(PART, self.where,
                          "INFO read 0x%06x, expected 0x5xxxxx, after %d attempts"
                          % (info, PROBE_ATTEMPTS))

    # --- per-beat path (no allocation) ---------------------------------------------------

    def status(self):
        # Reads STATUS, which also clears RRINT and releases INTB; returns it and keeps it
        # in last_status. DCLOFFINT stays set while an electrode is off, so INTB stays low
        # and gives no edges then: poll status() until lead_off clears.
        self.last_status = self._read(_REG_STATUS)
        return self.last_status

    @property
    def lead_off(self):
        # True when the last STATUS read reported an electrode off.
        return (self.last_status & STATUS_DCLOFFINT) != 0

    def read_rr_ticks(self):
        # The latest R-R interval in 1/128 s ticks (RTOR bits 23..10).
        return (self._read(_REG_RTOR) >> 10) & 0x3FFF

    def read_ecg_into(self, buf_uv, start):
        # Drains the ECG FIFO into buf_uv (a preallocated array("h") of microvolts) from
        # index start; returns the number of samples written. Stops at the end of the FIFO,
        # at the end of buf_uv (the rest stays in the FIFO) or at an overflow, which is
        # counted in ecg_overflows and cleared with FIFO_RST (the samples it lost are gone).
        space = len(buf_uv) - start
        count = 0
        index = start
        # A full FIFO answers 32 samples and then, if it overflowed, the overflow tag:
        # at most 33 reads, whatever the size of buf_uv.
        reads = 0
        while count < space and reads <= _FIFO_WORDS:
            reads += 1
            word = self._read(_REG_ECG_FIFO)
            etag = (word >> 3) & 7
            if etag == _ETAG_OVERFLOW:
                self.ecg_overflows += 1
                # FIFO_RST: empty the FIFO and clear EOVF so sampling continues.
                self._write(_REG_FIFO_RST, 0)
                break
            if etag > _ETAG_FAST_EOF:
                # Empty (6) or a tag this part does not define: nothing to take.
                break
            raw = word >> 6
            if raw & 0x20000:
                raw -= 0x40000
            buf_uv[index] = (raw * _UV_PER_LSB_NUM + _UV_ROUND) >> _UV_SHIFT
            index += 1
            count += 1
            if etag == _ETAG_VALID_EOF or etag == _ETAG_FAST_EOF:
                break
        return count
