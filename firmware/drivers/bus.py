# Register access for the sensor drivers, over a bus the board built.
#
# A driver talks to `read_into(reg, buf)` and `write(reg, data)` and never learns whether
# the chip sits on I2C or SPI, which pins it uses or how the part flags a read. The board
# builds machine.I2C / machine.SPI and the chip-select Pin once, wraps them here and hands
# the wrapper to the driver; a test hands it the fake buses of boards/sim/chips.py instead.
#
# Nothing here allocates after construction: the command byte and the dummy-byte sink are
# preallocated, and callers pass preallocated buffers, so a FIFO drain can run with the
# heap locked.

import time

# How many times a driver reads its identity register before giving up. A chip that has
# just been powered can miss the first transaction (a BMA400 on SPI ignores everything
# until the first chip-select edge), so one failure is not proof that it is absent.
PROBE_ATTEMPTS = 3

# Pause between two probe attempts: long enough for a part still leaving power-on reset
# (the BMA400 and LIS2DH12 need a few milliseconds), short enough not to delay a boot.
PROBE_PAUSE_MS = 5


class DeviceError(OSError):
    # A chip did not answer as the part the board says is there. The message names the
    # part and where it was looked for, so a log line is enough to find the wrong wire;
    # `part` and `where` carry the same for code that reports it elsewhere.
    def __init__(self, part, where, detail):
        super().__init__("%s not found on %s: %s" % (part, where, detail))
        self.part = part
        self.where = where


class ByteRegisters:
    # One-byte register reads and writes through a bus adapter, with a one-byte buffer
    # allocated once; the accelerometer drivers build on it.
    def __init__(self, dev):
        self._dev = dev
        self._byte = bytearray(1)

    def _read_byte(self, reg):
        self._dev.read_into(reg, self._byte)
        return self._byte[0]

    def _write_byte(self, reg, value):
        self._byte[0] = value
        self._dev.write(reg, self._byte)


def check_choice(part, name, value, choices):
    # A setting the caller chose from a datasheet's list: refuse anything else by name.
    if value not in choices:
        raise ValueError("%s %s must be one of %r, not %r" % (part, name, choices, value))


def pause_ms(delay_ms):
    # time.sleep_ms on MicroPython; the tests import the drivers under CPython too.
    if hasattr(time, "sleep_ms"):
        time.sleep_ms(delay_ms)
    else:
        time.sleep(delay_ms / 1000)


class I2CDevice:
    # One chip on a machine.I2C bus. `auto_increment` is ORed into the register address of
    # multi-byte transfers for parts that only step through registers when asked (0x80 for
    # the LIS2DH12); parts that always step (BMA400) leave it 0.
    def __init__(self, i2c, address, auto_increment=0):
        self._i2c = i2c
        self._address = address
        self._auto_increment = auto_increment
        self.where = "I2C address 0x%02x" % address

    def read_into(self, reg, buf):
        if len(buf) > 1:
            reg |= self._auto_increment
        self._i2c.readfrom_mem_into(self._address, reg, buf)

    def write(self, reg, data):
        if len(data) > 1:
            reg |= self._auto_increment
        self._i2c.writeto_mem(self._address, reg, data)


class SPIDevice:
    # One chip on a machine.SPI bus behind its own chip-select Pin (active low). The first
    # byte of a transfer is the register address with `read_flag` set for reads and
    # `auto_increment` set for multi-byte transfers (the LIS2DH12's MS bit, 0x40); parts
    # that send `dummy_bytes` before the data of a read (one for the BMA400) have them
    # clocked out and dropped here.
    def __init__(self, spi, cs_pin, read_flag=0x80, auto_increment=0x40, dummy_bytes=0):
        self._spi = spi
        self._cs = cs_pin
        self._read_flag = read_flag
        self._auto_increment = auto_increment
        self._command = bytearray(1)
        self._dummy = bytearray(dummy_bytes)
        self._has_dummy = dummy_bytes > 0
        self.where = "SPI chip-select %r" % (cs_pin,)
        # Deselected until a transfer: a chip-select left low would make the first
        # command byte land in the middle of a transaction.
        cs_pin.value(1)

    def read_into(self, reg, buf):
        command = reg | self._read_flag
        if len(buf) > 1:
            command |= self._auto_increment
        self._command[0] = command
        self._cs.value(0)
        try:
            self._spi.write(self._command)
            if self._has_dummy:
                self._spi.readinto(self._dummy)
            self._spi.readinto(buf)
        finally:
            self._cs.value(1)

    def write(self, reg, data):
        command = reg & ~self._read_flag & 0xFF
        if len(data) > 1:
            command |= self._auto_increment
        self._command[0] = command
        self._cs.value(0)
        try:
            self._spi.write(self._command)
            self._spi.write(data)
        finally:
            self._cs.value(1)
