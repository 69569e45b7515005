# A plain RAM block device with the log's view of flash (erased bytes read 0xFF, offset
# writes, sector erase) and none of the NOR emulator's checks, tearing or counting. It is
# for benchmarks and for building test images quickly: programming copies bytes, which
# equals NOR's bitwise AND because the log only ever programs erased bytes.

SECTOR_SIZE = 4096


class RamFlash:
    def __init__(self, sector_count, sector_size=SECTOR_SIZE):
        self.sector_count = sector_count
        self.sector_size = sector_size
        self.data = bytearray(b"\xff" * (sector_count * sector_size))
        self._view = memoryview(self.data)
        self._erased = b"\xff" * sector_size

    def readblocks(self, block, buf, offset=0):
        start = block * self.sector_size + offset
        buf[:] = self._view[start:start + len(buf)]

    def writeblocks(self, block, buf, offset=0):
        start = block * self.sector_size + offset
        self._view[start:start + len(buf)] = buf

    def ioctl(self, op, arg):
        if op == 4:
            return self.sector_count
        if op == 5:
            return self.sector_size
        if op == 6:
            start = arg * self.sector_size
            self._view[start:start + self.sector_size] = self._erased
        return 0
