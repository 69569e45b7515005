# An emulated NOR flash that behaves like the real part where it matters to the log:
# erased bytes read 0xFF, programming can only clear bits, erase works on whole sectors,
# each sector counts its erases, power can fail in the middle of the N-th program or
# erase, and sectors can go bad. It speaks MicroPython's block-device protocol with the
# offset form of readblocks/writeblocks, as esp32.Partition and rp2.Flash do.
#
# Runs under MicroPython and CPython, so the same emulator backs the CPython property
# tests, the MicroPython test suite and the simulated wearable.

SECTOR_SIZE = 4096
PAGE_SIZE = 256

IOCTL_INIT = 1
IOCTL_DEINIT = 2
IOCTL_SYNC = 3
IOCTL_BLOCK_COUNT = 4
IOCTL_BLOCK_SIZE = 5
IOCTL_BLOCK_ERASE = 6

EIO = 5


class PowerCut(Exception):
    # Raised by the operation during which power failed, and by every operation after it
    # until power_on(): the firmware that issued it is dead.
    pass


class XorShift32:
    # A tiny deterministic generator, identical on both interpreters, so a given seed
    # tears a page the same way under MicroPython and CPython.
    def __init__(self, seed):
        self.state = (seed & 0xFFFFFFFF) or 0x9E3779B9

    def next(self):
        x = self.state
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        self.state = x
        return x

    def below(self, n):
        return self.next() % n


class NorFlash:
    def __init__(self, sector_count, sector_size=SECTOR_SIZE, seed=1, data=None):
        if sector_count < 1:
            raise ValueError("sector_count must be at least 1")
        self.sector_size = sector_size
        self.sector_count = sector_count
        size = sector_count * sector_size
        if data is None:
            self.data = bytearray(b"\xff" * size)
        else:
            if len(data) != size:
                raise ValueError("image is %d bytes, expected %d" % (len(data), size))
            self.data = bytearray(data)
        self.erase_counts = [0] * sector_count
        self.ops = 0
        self.program_ops = 0
        self.erase_ops = 0
        self.bytes_programmed = 0
        self.cut_at_op = 0
        self.powered = True
        # Sectors whose erase leaves some bits stuck at 0, as a worn-out NOR sector does.
        self.bad_sectors = set()
        # Erase count at which a sector wears out; 0 means never.
        self.endurance = 0
        self._rng = XorShift32(seed)

    # --- test controls -----------------------------------------------------------------

    def cut_power_at(self, op_number):
        # Power fails during the op_number-th program or erase from now on counted from
        # the first operation this emulator ever saw (ops is cumulative).
        self.cut_at_op = op_number

    def power_on(self):
        self.powered = True
        self.cut_at_op = 0

    def make_bad(self, sector):
        self.bad_sectors.add(sector)

    # --- block-device protocol ---------------------------------------------------------

    def readblocks(self, block, buf, offset=0):
        self._check_powered()
        start = block * self.sector_size + offset
        end = start + len(buf)
        if start < 0 or end > len(self.data):
            raise OSError(EIO)
        buf[:] = self.data[start:end]

    def writeblocks(self, block, buf, offset=None):
        # Without offset the protocol means "erase, then write whole blocks" (what a
        # filesystem uses); the log only ever uses the programming form with an offset.
        if offset is None:
            blocks = (len(buf) + self.sector_size - 1) // self.sector_size
            for i in range(blocks):
                self.erase(block + i)
            offset = 0
        self.program(block * self.sector_size + offset, buf)

    def ioctl(self, op, arg):
        if op == IOCTL_BLOCK_COUNT:
            return self.sector_count
        if op == IOCTL_BLOCK_SIZE:
            return self.sector_size
        if op == IOCTL_BLOCK_ERASE:
            self.erase(arg)
            return 0
        if op in (IOCTL_INIT, IOCTL_DEINIT, IOCTL_SYNC):
            return 0
        return None

    # --- NOR operations ----------------------------------------------------------------

    def program(self, address, buf):
        self._check_powered()
        n = len(buf)
        if address < 0 or address + n > len(self.data):
            raise OSError(EIO)
        self.ops += 1
        self.program_ops += 1
        data = self.data
        if self.ops == self.cut_at_op:
            self._torn_program(address, buf)
            self.powered = False
            raise PowerCut()
        for i in range(n):
            data[address + i] &= buf[i]
        self.bytes_programmed += n

    def erase(self, sector):
        self._check_powered()
        if sector < 0 or sector >= self.sector_count:
            raise OSError(EIO)
        self.ops += 1
        self.erase_ops += 1
        self.erase_counts[sector] += 1
        start = sector * self.sector_size
        end = start + self.sector_size
        if self.ops == self.cut_at_op:
            self._torn_erase(start, end)
            self.powered = False
            raise PowerCut()
        data = self.data
        for i in range(start, end):
            data[i] = 0xFF
        worn = self.endurance and self.erase_counts[sector] > self.endurance
        if sector in self.bad_sectors or worn:
            # A worn sector no longer erases cleanly: a few bits stay programmed.
            for _ in range(1 + self._rng.below(8)):
                i = start + self._rng.below(self.sector_size)
                data[i] &= ~(1 << self._rng.below(8)) & 0xFF

    def _torn_program(self, address, buf):
        # Either a prefix of the buffer made it (the page program was cut part-way along
        # the byte stream), or every bit of the range is only partly programmed.
        data = self.data
        n = len(buf)
        if self._rng.below(2) == 0:
            done = self._rng.below(n + 1)
            for i in range(done):
                data[address + i] &= buf[i]
            if done < n:
                keep = self._rng.next() & 0xFF
                data[address + done] &= buf[done] | keep
        else:
            for i in range(n):
                keep = self._rng.next() & 0xFF
                data[address + i] &= buf[i] | keep

    def _torn_erase(self, start, end):
        # Either a leading part of the sector reached 0xFF, or bits across the whole
        # sector are only partly erased.
        data = self.data
        if self._rng.below(2) == 0:
            done = start + self._rng.below(end - start + 1)
            for i in range(start, done):
                data[i] = 0xFF
        else:
            for i in range(start, end):
                data[i] |= self._rng.next() & 0xFF

    def _check_powered(self):
        if not self.powered:
            raise PowerCut()

    # --- images ------------------------------------------------------------------------

    def save(self, path):
        with open(path, "wb") as f:
            f.write(self.data)

    def restore(self, path):
        # Fill the emulator with an image an earlier run saved, as a device that restarts
        # finds its flash. Read in place, so the heap never holds a second copy of a
        # partition-sized image. The erase counts of that earlier life are not in the
        # image and start again from 0.
        view = memoryview(self.data)
        got = 0
        with open(path, "rb") as f:
            while got < len(view):
                n = f.readinto(view[got:])
                if not n:
                    break
                got += n
            longer = len(f.read(1)) > 0
        if got != len(view) or longer:
            raise ValueError("image %s is not %d bytes (%d sectors of %d)"
                             % (path, len(view), self.sector_count, self.sector_size))

    @classmethod
    def load(cls, path, sector_size=SECTOR_SIZE, seed=1):
        with open(path, "rb") as f:
            data = f.read()
        if len(data) % sector_size:
            raise ValueError(
                "image %s is %d bytes, not a whole number of %d-byte sectors"
                % (path, len(data), sector_size)
            )
        return cls(len(data) // sector_size, sector_size, seed, data)
