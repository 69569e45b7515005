# Register-level models of the wearable's sensor chips, and fake buses and pins to reach
# them, so the drivers in firmware/drivers/ run unchanged against something that answers
# like the parts do.
#
# The models implement what the drivers rely on, and no more, but that part for real: a
# register read has the side effects the datasheet gives it (reading STATUS clears the
# MAX30003's R-R flag and releases INTB, reading OUT_Z_H pops the LIS2DH12's FIFO, a burst
# that stops inside a BMA400 FIFO frame leaves the frame to be sent again), conversions go
# from physical units to raw counts with the range the driver configured, and an
# interrupt pin moves when the chip would move it. A driver that writes the wrong field,
# forgets a flag or misreads a sign fails a test instead of passing against a lenient
# fake.
#
# Everything a driver reaches during a FIFO drain runs without allocating (preallocated
# rings and arrays, no slicing), so the tests can drain with the heap locked.
#
# Runs under MicroPython and CPython (the tests run on both). Reset values marked
# (unverified) come from memory of the datasheets; the drivers write every field they
# depend on, so nothing here hides a missing write.

from array import array

ENODEV = 19


class FakePin:
    # Enough of machine.Pin for the drivers and the boards: value(), on()/off(), calling
    # the pin, and irq() keeping one handler that runs on the edges asked for. A chip model
    # attached as the pin's chip-select hears every edge first.
    IN = 0
    OUT = 1
    IRQ_RISING = 1
    IRQ_FALLING = 2

    def __init__(self, name, value=1):
        self.name = name
        self._value = 1 if value else 0
        self._handler = None
        self._trigger = 0
        self._chip = None
        # Edges that ran the irq handler.
        self.irq_count = 0

    def __repr__(self):
        return "Pin(%s)" % self.name

    def value(self, new=None):
        if new is None:
            return self._value
        self._set(1 if new else 0)
        return None

    def __call__(self, new=None):
        return self.value(new)

    def on(self):
        self._set(1)

    def off(self):
        self._set(0)

    def irq(self, handler=None, trigger=3, hard=False):
        self._handler = handler
        self._trigger = trigger
        return None

    def _set(self, new):
        old = self._value
        self._value = new
        if old == new:
            return
        chip = self._chip
        if chip is not None:
            if new == 0:
                chip.spi_select()
            else:
                chip.spi_deselect()
        handler = self._handler
        if handler is not None:
            edge = FakePin.IRQ_RISING if new else FakePin.IRQ_FALLING
            if self._trigger & edge:
                self.irq_count += 1
                handler(self)


class FakeSPI:
    # machine.SPI with several chips, each behind its own FakePin chip-select: a transfer
    # goes byte by byte to the one chip whose chip-select is low. With none selected the
    # bus reads 0xFF (MISO floating high); with two selected it raises, as contention
    # would corrupt both.
    def __init__(self):
        self._pins = []
        self._chips = []

    def attach(self, cs_pin, chip):
        self._pins.append(cs_pin)
        self._chips.append(chip)
        cs_pin._chip = chip

    def _selected(self):
        found = None
        for i in range(len(self._pins)):
            if self._pins[i]._value == 0:
                if found is not None:
                    raise OSError(5)
                found = self._chips[i]
        return found

    def write(self, buf):
        chip = self._selected()
        if chip is not None:
            for i in range(len(buf)):
                chip.spi_exchange(buf[i])
        return None

    def readinto(self, buf, write=0x00):
        chip = self._selected()
        for i in range(len(buf)):
            buf[i] = 0xFF if chip is None else chip.spi_exchange(write)
        return None

    def write_readinto(self, write_buf, read_buf):
        chip = self._selected()
        for i in range(len(write_buf)):
            read_buf[i] = 0xFF if chip is None else chip.spi_exchange(write_buf[i])
        return None


class FakeI2C:
    # machine.I2C's memory transfers. An address with no chip does not acknowledge:
    # OSError(ENODEV), as the ports report it.
    def __init__(self):
        self._chips = {}

    def attach(self, address, chip):
        self._chips[address] = chip

    def scan(self):
        return sorted(self._chips)

    def readfrom_mem_into(self, addr, memaddr, buf, addrsize=8):
        chip = self._chips.get(addr)
        if chip is None:
            raise OSError(ENODEV)
        chip.i2c_read(memaddr, buf)

    def writeto_mem(self, addr, memaddr, buf, addrsize=8):
        chip = self._chips.get(addr)
        if chip is None:
            raise OSError(ENODEV)
        chip.i2c_write(memaddr, buf)


# --- MAX30003 ---------------------------------------------------------------------------

_MAX_STATUS = 0x01
_MAX_EN_INT = 0x02
_MAX_EN_INT2 = 0x03
_MAX_MNGR_INT = 0x04
_MAX_SW_RST = 0x08
_MAX_SYNCH = 0x09
_MAX_FIFO_RST = 0x0A
_MAX_INFO = 0x0F
_MAX_CNFG_GEN = 0x10
_MAX_CNFG_ECG = 0x15
_MAX_CNFG_RTOR1 = 0x1D
_MAX_ECG_FIFO_BURST = 0x20
_MAX_ECG_FIFO = 0x21
_MAX_RTOR = 0x25

MAX_EINT = 1 << 23
MAX_EOVF = 1 << 22
MAX_DCLOFFINT = 1 << 20
MAX_RRINT = 1 << 10

# Power-on values of the configuration registers (unverified).
_MAX_RESET_VALUES = (
    (0x02, 0x000003), (0x03, 0x000003), (0x04, 0x7F0004), (0x05, 0x3F0000),
    (0x10, 0x080004), (0x12, 0x720000), (0x14, 0x300000), (0x15, 0x805000),
    (0x1D, 0x3F2300), (0x1E, 0x202400),
)


class MAX30003Model:
    # The MAX30003 as its driver sees it: 24-bit registers behind (reg << 1) | R/W
    # command bytes; STATUS with RRINT latched by beat() and DCLOFFINT by set_lead_off();
    # RTOR; a 32-word ECG FIFO filled by push_ecg() that tags its words (ETAG 0 valid,
    # 2 last valid, 6 empty, 7 overflow); INTB and INT2B (active low) following STATUS and
    # EN_INT / EN_INT2. `info` overrides what INFO reads, to test the probe.
    FIFO_WORDS = 32

    def __init__(self, info=0x510000, intb=None, int2b=None):
        self.info = info
        self.intb = intb if intb is not None else FakePin("INTB", 1)
        self.int2b = int2b if int2b is not None else FakePin("INT2B", 1)
        self.regs = [0] * 0x80
        self.reads = [0] * 0x80
        self.writes = [0] * 0x80
        self.resets = 0
        self.syncs = 0
        self._fifo = [0] * self.FIFO_WORDS
        self._head = 0
        self._count = 0
        self._overflow = False
        self._rtor = 0
        self._latched = 0
        self._lead_off = False
        # SPI transaction state.
        self._pos = -1
        self._command = 0
        self._out = 0
        self._in = 0
        self._reset()

    def _reset(self):
        for i in range(len(self.regs)):
            self.regs[i] = 0
        for reg, value in _MAX_RESET_VALUES:
            self.regs[reg] = value
        self._head = 0
        self._count = 0
        self._overflow = False
        self._rtor = 0
        self._latched = 0
        self._update_pins()

    # --- what the body and the electrodes do -----------------------------------------

    def gain_v_per_v(self):
        return 20 << ((self.regs[_MAX_CNFG_ECG] >> 16) & 3)

    def push_ecg(self, samples_uv):
        # Samples arrive only while the ECG channel is on (CNFG_GEN.EN_ECG). A sample
        # that finds the FIFO full is lost and the FIFO is marked overflowed.
        if not self.regs[_MAX_CNFG_GEN] & (1 << 19):
            return 0
        gain = self.gain_v_per_v()
        stored = 0
        for uv in samples_uv:
            # V = ADC * VREF / (2^17 * gain), VREF = 1000 mV, rounded to nearest.
            raw = (2 * uv * 131072 * gain + 1000000) // 2000000
            if raw > 131071:
                raw = 131071
            elif raw < -131072:
                raw = -131072
            if self._count == self.FIFO_WORDS:
                self._overflow = True
                continue
            # PTAG (bits 2..0) reads 111: this part has no pace channel (unverified).
            self._fifo[(self._head + self._count) % self.FIFO_WORDS] = (
                ((raw & 0x3FFFF) << 6) | 0x7)
            self._count += 1
            stored += 1
        self._update_pins()
        return stored

    def beat(self, rr_ticks):
        # The R-to-R detector found a beat rr_ticks (1/128 s) after the previous one.
        if not self.regs[_MAX_CNFG_RTOR1] & (1 << 15):
            return
        self._rtor = rr_ticks & 0x3FFF
        self._latched |= MAX_RRINT
        self._update_pins()

    def set_lead_off(self, flag):
        self._lead_off = bool(flag)
        if self._lead_off and (self.regs[_MAX_CNFG_GEN] >> 12) & 3 == 1:
            self._latched |= MAX_DCLOFFINT
        self._update_pins()

    def fifo_count(self):
        return self._count

    # --- registers -------------------------------------------------------------------

    def _status(self):
        status = self._latched
        efit = ((self.regs[_MAX_MNGR_INT] >> 19) & 0x1F) + 1
        if self._count >= efit:
            status |= MAX_EINT
        if self._overflow:
            status |= MAX_EOVF
        return status

    def _update_pins(self):
        status = self._status()
        self.intb._set(0 if status & self.regs[_MAX_EN_INT] & 0xFFFF00 else 1)
        self.int2b._set(0 if status & self.regs[_MAX_EN_INT2] & 0xFFFF00 else 1)

    def read_reg(self, reg):
        self.reads[reg] += 1
        clear_rrint = (self.regs[_MAX_MNGR_INT] >> 4) & 3
        if reg == _MAX_STATUS:
            value = self._status()
            if clear_rrint == 0:
                self._latched &= ~MAX_RRINT
            if not self._lead_off:
                self._latched &= ~MAX_DCLOFFINT
        elif reg == _MAX_RTOR:
            value = self._rtor << 10
            if clear_rrint == 1:
                self._latched &= ~MAX_RRINT
        elif reg == _MAX_INFO:
            value = self.info
        elif reg == _MAX_ECG_FIFO or reg == _MAX_ECG_FIFO_BURST:
            value = self._pop_ecg()
        else:
            value = self.regs[reg]
        self._update_pins()
        return value & 0xFFFFFF

    def _pop_ecg(self):
        if self._count == 0:
            return (7 << 3) | 0x7 if self._overflow else (6 << 3) | 0x7
        word = self._fifo[self._head]
        self._head = (self._head + 1) % self.FIFO_WORDS
        self._count -= 1
        if self._count == 0 and not self._overflow:
            word |= 2 << 3
        return word

    def write_reg(self, reg, value):
        self.writes[reg] += 1
        if reg == _MAX_SW_RST:
            self.resets += 1
            self._reset()
            return
        if reg == _MAX_FIFO_RST or reg == _MAX_SYNCH:
            if reg == _MAX_SYNCH:
                self.syncs += 1
            self._head = 0
            self._count = 0
            self._overflow = False
        elif reg != _MAX_STATUS and reg != _MAX_INFO and reg != _MAX_RTOR:
            self.regs[reg] = value & 0xFFFFFF
        self._update_pins()

    # --- SPI: command byte, then 24 bits ----------------------------------------------

    def spi_select(self):
        self._pos = 0

    def spi_deselect(self):
        self._pos = -1

    def spi_exchange(self, byte):
        pos = self._pos
        if pos < 0:
            return 0xFF
        self._pos = pos + 1
        if pos == 0:
            self._command = byte
            self._in = 0
            if byte & 1:
                self._out = self.read_reg(byte >> 1)
            return 0x00
        if pos > 3:
            return 0x00
        if self._command & 1:
            return (self._out >> (8 * (3 - pos))) & 0xFF
        self._in = (self._in << 8) | byte
        if pos == 3:
            self.write_reg(self._command >> 1, self._in)
        return 0x00


# --- LIS2DH12 ---------------------------------------------------------------------------

_LIS_WHO_AM_I = 0x0F
_LIS_CTRL_REG1 = 0x20
_LIS_CTRL_REG3 = 0x22
_LIS_CTRL_REG4 = 0x23
_LIS_CTRL_REG5 = 0x24
_LIS_CTRL_REG6 = 0x25
_LIS_OUT_X_L = 0x28
_LIS_OUT_Z_H = 0x2D
_LIS_FIFO_CTRL = 0x2E
_LIS_FIFO_SRC = 0x2F

# mg per digit by full-scale code, per mode.
_LIS_MG_PER_DIGIT_HR = (1, 2, 4, 12)
_LIS_MG_PER_DIGIT_NORMAL = (4, 8, 16, 48)
_LIS_MG_PER_DIGIT_LP = (16, 32, 64, 192)


class LIS2DH12Model:
    # The LIS2DH12 on I2C (bit 7 of the sub-address steps through registers) or SPI (bit 7
    # reads, bit 6 steps): WHO_AM_I, the control registers, and the 32-level FIFO. push()
    # converts milli-g to the left-justified counts of the configured range and mode; in
    # stream mode a push into a full FIFO overwrites the oldest sample. The output
    # registers show the oldest sample and reading OUT_Z_H pops it. FIFO_SRC gives WTM
    # (level >= FTH), OVRN (FIFO completely filled), EMPTY and FSS (five bits, so 31 for
    # a full FIFO: ST community reports; unverified). The FIFO keeps only the 10 most
    # significant bits of each reading (ST's answer for the LIS3DH; unverified here).
    # INT1 follows WTM when CTRL_REG3.I1_WTM is set, with CTRL_REG6's polarity.
    FIFO_DEPTH = 32

    def __init__(self, who_am_i=0x33, int1=None):
        self.who_am_i = who_am_i
        self.int1 = int1 if int1 is not None else FakePin("INT1", 0)
        self.regs = bytearray(0x40)
        self.reads = [0] * 0x40
        self.writes = [0] * 0x40
        self._fifo = array("H", [0] * (3 * self.FIFO_DEPTH))
        self._head = 0
        self._count = 0
        # Samples pushed into a full FIFO, which took the oldest one's place.
        self.overwritten = 0
        self._pos = -1
        self._addr = 0
        self._read = False
        self._step = False
        self._conv_key = None
        self._conv = (0, 0, 0)
        self._update_int1()

    # --- configuration as the driver left it ------------------------------------------

    def range_code(self):
        return (self.regs[_LIS_CTRL_REG4] >> 4) & 3

    def mode_bits(self):
        # 12 (high resolution), 10 (normal) or 8 (low power).
        if self.regs[_LIS_CTRL_REG1] & 0x08:
            return 8
        if self.regs[_LIS_CTRL_REG4] & 0x08:
            return 12
        return 10

    def mg_per_digit(self):
        bits = self.mode_bits()
        if bits == 12:
            table = _LIS_MG_PER_DIGIT_HR
        elif bits == 10:
            table = _LIS_MG_PER_DIGIT_NORMAL
        else:
            table = _LIS_MG_PER_DIGIT_LP
        return table[self.range_code()]

    def fifo_mode(self):
        # 0 bypass, 1 FIFO, 2 stream, 3 stream-to-FIFO; bypass unless FIFO_EN is set.
        if not self.regs[_LIS_CTRL_REG5] & 0x40:
            return 0
        return self.regs[_LIS_FIFO_CTRL] >> 6

    def fifo_count(self):
        return self._count

    # --- what the body does -------------------------------------------------------------

    def _conversion(self):
        # The conversion the registers select, worked out again only when a register is
        # written: the simulator pushes every sample of a night through _counts.
        key = (self.regs[_LIS_CTRL_REG1], self.regs[_LIS_CTRL_REG4],
               self.regs[_LIS_CTRL_REG5], self.regs[_LIS_FIFO_CTRL])
        if key != self._conv_key:
            self._conv_key = key
            self._conv = (self.mg_per_digit(), self.mode_bits(), self.fifo_mode())
        return self._conv

    def _counts(self, value_mg):
        # Nearest count of the current mode, clamped, left-justified into 16 bits; the
        # FIFO keeps its 10 most significant bits.
        step, bits, fifo = self._conv
        count = (2 * value_mg + step) // (2 * step)
        top = (1 << (bits - 1)) - 1
        if count > top:
            count = top
        elif count < -top - 1:
            count = -top - 1
        word = (count << (16 - bits)) & 0xFFFF
        if fifo:
            word &= 0xFFC0
        return word

    def push(self, x_mg, y_mg, z_mg):
        # One output-data-rate tick. Nothing happens while powered down (ODR = 0).
        if not self.regs[_LIS_CTRL_REG1] & 0xF0:
            return
        mode = self._conversion()[2]
        if mode == 0:
            # Bypass: the output registers hold the newest sample only.
            self._head = 0
            self._count = 0
        elif self._count == self.FIFO_DEPTH:
            if mode == 1:
                # FIFO mode stops collecting when full.
                return
            self._head = (self._head + 1) % self.FIFO_DEPTH
            self._count -= 1
            self.overwritten += 1
        slot = 3 * ((self._head + self._count) % self.FIFO_DEPTH)
        self._fifo[slot] = self._counts(x_mg) if self.regs[_LIS_CTRL_REG1] & 1 else 0
        self._fifo[slot + 1] = self._counts(y_mg) if self.regs[_LIS_CTRL_REG1] & 2 else 0
        self._fifo[slot + 2] = self._counts(z_mg) if self.regs[_LIS_CTRL_REG1] & 4 else 0
        self._count += 1
        self._update_int1()

    # --- registers -----------------------------------------------------------------------

    def _fifo_src(self):
        mode = self.fifo_mode()
        count = self._count
        src = 0
        if count == 0:
            src |= 0x20
        if mode:
            fth = self.regs[_LIS_FIFO_CTRL] & 0x1F
            if count >= fth:
                src |= 0x80
            if count == self.FIFO_DEPTH:
                src |= 0x40
        src |= count if count < 31 else 31
        return src

    def _update_int1(self):
        active = bool(self.regs[_LIS_CTRL_REG3] & 0x04) and bool(self._fifo_src() & 0x80)
        # CTRL_REG6.INT_POLARITY (bit 1) set makes the pins active low.
        if self.regs[_LIS_CTRL_REG6] & 0x02:
            active = not active
        self.int1._set(1 if active else 0)

    def read_reg(self, addr):
        self.reads[addr] += 1
        if addr == _LIS_WHO_AM_I:
            return self.who_am_i
        if addr == _LIS_FIFO_SRC:
            return self._fifo_src()
        if _LIS_OUT_X_L <= addr <= _LIS_OUT_Z_H:
            offset = addr - _LIS_OUT_X_L
            word = self._fifo[3 * self._head + offset // 2] if self._count else 0
            value = (word >> 8) if offset & 1 else (word & 0xFF)
            if addr == _LIS_OUT_Z_H and self._count and self.fifo_mode():
                self._head = (self._head + 1) % self.FIFO_DEPTH
                self._count -= 1
                self._update_int1()
            return value
        return self.regs[addr]

    def write_reg(self, addr, value):
        self.writes[addr] += 1
        if addr == _LIS_WHO_AM_I or addr == _LIS_FIFO_SRC or _LIS_OUT_X_L <= addr <= 0x2D:
            return
        self.regs[addr] = value & 0xFF
        if addr == _LIS_FIFO_CTRL and value >> 6 == 0:
            # Bypass mode empties the FIFO.
            self._head = 0
            self._count = 0
        self._update_int1()

    # --- buses ---------------------------------------------------------------------------

    def i2c_read(self, memaddr, buf):
        addr = memaddr & 0x7F
        for i in range(len(buf)):
            buf[i] = self.read_reg(addr)
            if memaddr & 0x80:
                addr = (addr + 1) & 0x3F

    def i2c_write(self, memaddr, buf):
        addr = memaddr & 0x7F
        for i in range(len(buf)):
            self.write_reg(addr, buf[i])
            if memaddr & 0x80:
                addr = (addr + 1) & 0x3F

    def spi_select(self):
        self._pos = 0

    def spi_deselect(self):
        self._pos = -1

    def spi_exchange(self, byte):
        pos = self._pos
        if pos < 0:
            return 0xFF
        self._pos = pos + 1
        if pos == 0:
            self._read = bool(byte & 0x80)
            self._step = bool(byte & 0x40)
            self._addr = byte & 0x3F
            return 0xFF
        addr = self._addr
        if self._step:
            self._addr = (addr + 1) & 0x3F
        if self._read:
            return self.read_reg(addr)
        self.write_reg(addr, byte)
        return 0xFF


# --- BMA400 -----------------------------------------------------------------------------

_BMA_CHIP_ID = 0x00
_BMA_FIFO_LENGTH0 = 0x12
_BMA_FIFO_LENGTH1 = 0x13
_BMA_FIFO_DATA = 0x14
_BMA_ACC_CONFIG0 = 0x19
_BMA_ACC_CONFIG1 = 0x1A
_BMA_INT_CONFIG0 = 0x1F
_BMA_INT1_MAP = 0x21
_BMA_INT12_IO_CTRL = 0x24
_BMA_FIFO_CONFIG0 = 0x26
_BMA_FIFO_CONFIG1 = 0x27
_BMA_FIFO_CONFIG2 = 0x28
_BMA_FIFO_PWR_CONFIG = 0x29
_BMA_CMD = 0x7E

# Dummy byte a read sends before its data on SPI: anything; distinctive, so a driver that
# forgets to drop it reads a wrong CHIPID.
BMA_SPI_DUMMY = 0xA5


class BMA400Model:
    # The BMA400 on I2C (address steps on its own, except at FIFO_DATA) or SPI (bit 7
    # reads, one dummy byte before the data; the interface listens only after a first
    # chip-select rising edge, and a soft reset puts it back to I2C (unverified)). The 1 KB
    # FIFO holds frames written by push() only in normal mode, as the preliminary
    # datasheet says: 0x9E and x, y, z as (bits 3..0, bits 11..4), or 0x8E and the high
    # bytes in 8-bit mode. Streaming mode deletes the oldest frames to make room; a
    # configuration change queues a control frame (0x48) before the next data frame. A
    # read that stops inside a frame leaves it to be sent whole again; reading past the
    # end gives empty frames (0x80 0x00). FIFO reads return zeros while
    # FIFO_PWR_CONFIG.fifo_read_disable is set, its power-on value here (unverified).
    # INT1 follows the watermark (bytes) when mapped and enabled, with INT12_IO_CTRL's
    # level.
    FIFO_BYTES = 1024

    def __init__(self, chip_id=0x90, int1=None):
        self.chip_id = chip_id
        self.int1 = int1 if int1 is not None else FakePin("INT1", 1)
        self.regs = bytearray(0x80)
        self.reads = [0] * 0x80
        self.writes = [0] * 0x80
        self.resets = 0
        self.flushes = 0
        self._fifo = bytearray(self.FIFO_BYTES)
        self._head = 0
        self._length = 0
        self._read_offset = 0
        self._empty_offset = 0
        self._pending_control = 0
        # Frames deleted to make room in streaming mode.
        self.dropped_frames = 0
        self._spi_ready = False
        self._reset_interface = False
        self._pos = -1
        self._addr = 0
        self._read = False
        self._reset()

    def _reset(self):
        for i in range(len(self.regs)):
            self.regs[i] = 0
        self.regs[_BMA_FIFO_PWR_CONFIG] = 0x01
        self._head = 0
        self._length = 0
        self._read_offset = 0
        self._empty_offset = 0
        self._pending_control = 0
        self._spi_ready = False
        self._reset_interface = False
        self._update_int1()

    # --- configuration as the driver left it ------------------------------------------

    def normal_mode(self):
        return self.regs[_BMA_ACC_CONFIG0] & 0x03 == 0x02

    def range_g(self):
        return 2 << (self.regs[_BMA_ACC_CONFIG1] >> 6)

    def watermark_bytes(self):
        return self.regs[_BMA_FIFO_CONFIG1] | ((self.regs[_BMA_FIFO_CONFIG2] & 7) << 8)

    def fifo_length(self):
        return self._length

    # --- what the body does -------------------------------------------------------------

    def _count12(self, value_mg):
        range_mg = 1000 * self.range_g()
        count = (2 * value_mg * 2048 + range_mg) // (2 * range_mg)
        if count > 2047:
            count = 2047
        elif count < -2048:
            count = -2048
        return count & 0xFFF

    def _frame_bytes(self, offset):
        # Length of the frame whose header is at ring offset `offset`.
        header = self._fifo[offset % self.FIFO_BYTES]
        if header & 0xE0 == 0x80:
            axes = (header >> 1) & 7
            per_axis = 2 if header & 0x10 else 1
            return 1 + per_axis * ((axes & 1) + ((axes >> 1) & 1) + ((axes >> 2) & 1))
        if header == 0xA0:
            return 4
        return 2

    def _append(self, data):
        stop_on_full = self.regs[_BMA_FIFO_CONFIG0] & 0x02
        while self.FIFO_BYTES - self._length < len(data):
            if stop_on_full or self._length == 0:
                return False
            size = self._frame_bytes(self._head)
            self._head = (self._head + size) % self.FIFO_BYTES
            self._length -= size
            self._read_offset = 0
            self.dropped_frames += 1
        for i in range(len(data)):
            self._fifo[(self._head + self._length + i) % self.FIFO_BYTES] = data[i]
        self._length += len(data)
        return True

    def push(self, x_mg, y_mg, z_mg):
        # One output-data-rate tick of acc_filt1. Only normal mode writes the FIFO.
        config = self.regs[_BMA_FIFO_CONFIG0]
        axes = (config >> 5) & 7
        if not self.normal_mode() or not axes:
            return False
        if self._pending_control:
            self._append(bytes([0x48, self._pending_control]))
            self._pending_control = 0
        twelve = not config & 0x10
        frame = bytearray([0x80 | (0x10 if twelve else 0) | (axes << 1)])
        values = (x_mg, y_mg, z_mg)
        for axis in range(3):
            if axes & (1 << axis):
                count = self._count12(values[axis])
                if twelve:
                    frame.append(count & 0x0F)
                frame.append(count >> 4)
        stored = self._append(frame)
        self._update_int1()
        return stored

    # --- registers -----------------------------------------------------------------------

    def _update_int1(self):
        watermark = self.watermark_bytes()
        reached = watermark > 0 and self._length >= watermark
        active = (reached and bool(self.regs[_BMA_INT_CONFIG0] & 0x40)
                  and bool(self.regs[_BMA_INT1_MAP] & 0x40))
        # INT12_IO_CTRL.int1_lvl (bit 1): 1 active high, 0 active low.
        high = active if self.regs[_BMA_INT12_IO_CTRL] & 0x02 else not active
        self.int1._set(1 if high else 0)

    def _fifo_byte(self):
        if self.regs[_BMA_FIFO_PWR_CONFIG] & 0x01:
            return 0x00
        if self._length == 0:
            value = 0x80 if self._empty_offset & 1 == 0 else 0x00
            self._empty_offset += 1
            return value
        value = self._fifo[(self._head + self._read_offset) % self.FIFO_BYTES]
        self._read_offset += 1
        size = self._frame_bytes(self._head)
        if self._read_offset == size:
            # The whole frame went out: it leaves the FIFO.
            self._head = (self._head + size) % self.FIFO_BYTES
            self._length -= size
            self._read_offset = 0
            self._update_int1()
        return value

    def _end_transaction(self):
        # A frame cut by the end of a burst is sent again, whole, by the next read.
        self._read_offset = 0
        self._empty_offset = 0

    def read_reg(self, addr):
        self.reads[addr] += 1
        if addr == _BMA_CHIP_ID:
            return self.chip_id
        if addr == _BMA_FIFO_LENGTH0:
            return self._length & 0xFF
        if addr == _BMA_FIFO_LENGTH1:
            return (self._length >> 8) & 0x07
        if addr == _BMA_FIFO_DATA:
            return self._fifo_byte()
        return self.regs[addr]

    def write_reg(self, addr, value):
        self.writes[addr] += 1
        if addr == _BMA_CMD:
            if value == 0xB6:
                self.resets += 1
                self._reset()
                # The chip-select edge that ends this command does not count.
                self._reset_interface = True
            elif value == 0xB0:
                self.flushes += 1
                self._head = 0
                self._length = 0
                self._read_offset = 0
                self._update_int1()
            return
        if addr <= _BMA_FIFO_DATA:
            return
        old = self.regs[addr]
        self.regs[addr] = value & 0xFF
        if self._length and self.normal_mode():
            # Changes that become visible in the stored data get a control frame.
            if addr == _BMA_ACC_CONFIG1 and old != value:
                self._pending_control |= 0x04
            elif addr == _BMA_ACC_CONFIG0 and (old ^ value) & 0x80:
                self._pending_control |= 0x02
            elif addr == _BMA_FIFO_CONFIG0 and (old ^ value) & 0x08:
                self._pending_control |= 0x01
        self._update_int1()

    # --- buses ---------------------------------------------------------------------------

    def i2c_read(self, memaddr, buf):
        addr = memaddr & 0x7F
        for i in range(len(buf)):
            buf[i] = self.read_reg(addr)
            if addr != _BMA_FIFO_DATA:
                addr = (addr + 1) & 0x7F
        self._end_transaction()

    def i2c_write(self, memaddr, buf):
        addr = memaddr & 0x7F
        for i in range(len(buf)):
            self.write_reg(addr, buf[i])
            addr = (addr + 1) & 0x7F

    def spi_select(self):
        self._pos = 0

    def spi_deselect(self):
        self._pos = -1
        self._end_transaction()
        # The rising edge of the chip-select switches the interface to SPI.
        self._spi_ready = not self._reset_interface
        self._reset_interface = False

    def spi_exchange(self, byte):
        pos = self._pos
        if pos < 0 or not self._spi_ready:
            return 0xFF
        self._pos = pos + 1
        if pos == 0:
            self._read = bool(byte & 0x80)
            self._addr = byte & 0x7F
            return 0xFF
        if self._read and pos == 1:
            return BMA_SPI_DUMMY
        addr = self._addr
        if addr != _BMA_FIFO_DATA:
            self._addr = (addr + 1) & 0x7F
        if self._read:
            return self.read_reg(addr)
        self.write_reg(addr, byte)
        return 0xFF
