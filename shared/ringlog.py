# A power-safe ring log on raw NOR flash, over MicroPython's block-device protocol.
# docs/LOG-DESIGN.md says why it is built this way; docs/LOG-SPEC.md fixes the bytes.
#
# In short: the partition is a ring of 4 KiB sectors used in order. Each sector starts
# with a header that carries a sequence number and the host's acknowledgement as it was
# when the sector was opened; records follow, each framed with kind, length and CRC-32.
# Nothing is ever rewritten in place: boot finds the head by scanning headers. A sector is
# erased for reuse only when the host has acknowledged everything in it.

import struct

from .crc import crc32

FORMAT_VERSION = 1

MAGIC = b"ICLG"
ERASED = 0xFF

# Sector header: magic, version, log2 of the sector size, 2 reserved bytes (0xFFFF),
# sequence number, acknowledged address, CRC-32 of the preceding 20 bytes.
_HEADER_FMT = "<4sBBHIQ"
HEADER_SIZE = 24
_HEADER_BODY = 20

# Record frame: kind (1 byte), payload length (2 bytes, little-endian), payload,
# CRC-32 over kind, length and payload (4 bytes, little-endian).
RECORD_HEAD = 3
RECORD_TAIL = 4
RECORD_OVERHEAD = RECORD_HEAD + RECORD_TAIL

# Record kinds the log itself writes; the application's kinds are in records.py.
KIND_ACK = 0x7F
KIND_DROPPED = 0x7E

# Kinds the log stops keeping first when space runs low (raw windows are bulky, and the
# continuous streams matter more); records.py names them.
BULK_KINDS = (0x06, 0x07)

STATE_OK = 0
STATE_LOW = 1
STATE_FULL = 2

_IOCTL_BLOCK_COUNT = 4
_IOCTL_BLOCK_SIZE = 5
_IOCTL_BLOCK_ERASE = 6


class LogError(Exception):
    pass


class LogFull(LogError):
    # The record was not written: keeping it would overwrite data the host has not
    # acknowledged. The log counts it and says so in a DROPPED record once space returns.
    pass


class NotALog(LogError):
    pass


class RingLog:
    def __init__(self, bdev, reserve_sectors=None):
        self.bdev = bdev
        self.sector_count = bdev.ioctl(_IOCTL_BLOCK_COUNT, 0)
        self.sector_size = bdev.ioctl(_IOCTL_BLOCK_SIZE, 0)
        if self.sector_count < 3:
            raise LogError("a log needs at least 3 sectors, this partition has %d"
                           % self.sector_count)
        shift = 0
        while (1 << shift) < self.sector_size:
            shift += 1
        if (1 << shift) != self.sector_size or self.sector_size < 256:
            raise LogError("sector size %d is not a power of two of at least 256 bytes"
                           % self.sector_size)
        self.sector_shift = shift
        self.max_payload = self.sector_size - HEADER_SIZE - RECORD_OVERHEAD
        if reserve_sectors is None:
            reserve_sectors = max(2, self.sector_count // 16)
        self.reserve_sectors = reserve_sectors

        # One sequence number per sector (0: no valid header). 4 bytes a sector: 16 KiB
        # of RAM for a 16 MiB partition, allocated once.
        from array import array
        self.seqs = array("I", [0] * self.sector_count)
        self._header = bytearray(HEADER_SIZE)
        self._frame_head = bytearray(RECORD_HEAD)
        self._scratch = bytearray(256)
        self.dropped = {}
        # Indices of sectors found failing since boot (an erase or a header that did not
        # verify). Each counts once however often it is retried; a reboot finds them again
        # when the writer next reaches them.
        self.bad = set()
        self.mount()

    # --- boot ----------------------------------------------------------------------------

    def mount(self):
        # Recovery by scanning: read every header, take the highest sequence number as
        # the head, then find where writing stopped inside the head sector.
        head_index = -1
        head_seq = 0
        ack = 0
        seqs = self.seqs
        for index in range(self.sector_count):
            parsed = self._read_header(index)
            if parsed is None:
                seqs[index] = 0
                continue
            seq, sector_ack = parsed
            seqs[index] = seq
            if seq > head_seq:
                head_seq = seq
                head_index = index
            if sector_ack > ack:
                ack = sector_ack
        self.head_index = head_index
        self.head_seq = head_seq
        self.write_offset = self.sector_size
        if head_index >= 0:
            end, torn, last_ack = self._scan_sector(head_index, head_seq)
            if last_ack > ack:
                ack = last_ack
            if not torn and self._erased_from(head_index, end):
                self.write_offset = end
            # Otherwise a torn record or stray bits follow the last good record: the rest
            # of the head sector is abandoned and writing resumes in a fresh sector.
        # An acknowledgement can never be ahead of what exists.
        if ack > self.end_address():
            ack = self.end_address()
        self.ack = ack
        self.tail_seq = self._find_tail_seq()

    def _find_tail_seq(self):
        # The live sectors hold consecutive sequence numbers ending at the head, in ring
        # order. Walk back from the head while the numbers continue; a sector without a
        # valid header (bad, or erased) is stepped over, anything else older is stale and
        # free for reuse. No allocation: this runs at every boot.
        if self.head_index < 0:
            return 0
        count = self.sector_count
        tail = self.head_seq
        for step in range(1, count):
            seq = self.seqs[(self.head_index - step) % count]
            if seq == tail - 1:
                tail = seq
            elif seq != 0:
                break
        return tail

    def _read_header(self, index):
        header = self._header
        try:
            self.bdev.readblocks(index, header, 0)
        except OSError:
            return None
        if header[0:4] != MAGIC:
            return None
        if crc32(memoryview(header)[0:_HEADER_BODY]) != struct.unpack_from("<I", header,
                                                                            _HEADER_BODY)[0]:
            return None
        _magic, version, shift, _rsv, seq, ack = struct.unpack_from(_HEADER_FMT, header, 0)
        if version != FORMAT_VERSION or shift != self.sector_shift or seq == 0:
            return None
        return seq, ack

    def _erased_from(self, index, offset):
        buf = self._scratch
        pos = offset
        while pos < self.sector_size:
            n = min(len(buf), self.sector_size - pos)
            view = memoryview(buf)[0:n]
            self.bdev.readblocks(index, view, pos)
            for b in view:
                if b != ERASED:
                    return False
            pos += n
        return True

    def _scan_sector(self, index, seq):
        # Walk the records of one sector. Returns the offset after the last good record,
        # whether a bad record stopped the walk, and the highest ACK found.
        offset = HEADER_SIZE
        last_ack = 0
        for kind, payload_offset, length, status in self._frames(index):
            if status != _OK:
                return offset, True, last_ack
            if kind == KIND_ACK:
                last_ack = max(last_ack, self._read_ack(index, payload_offset))
            offset = payload_offset + length + RECORD_TAIL
        return offset, False, last_ack

    def _read_ack(self, index, payload_offset):
        buf = bytearray(8)
        self.bdev.readblocks(index, buf, payload_offset)
        return struct.unpack("<Q", buf)[0]

    # --- addresses -----------------------------------------------------------------------

    def end_address(self):
        # The address the next record would get (before any move to a new sector).
        if self.head_index < 0:
            return 0
        return (self.head_seq << self.sector_shift) + min(self.write_offset,
                                                          self.sector_size)

    def start_address(self):
        # The oldest address still stored and not yet acknowledged.
        if self.head_index < 0:
            return 0
        oldest = (self.tail_seq << self.sector_shift) + HEADER_SIZE
        return max(oldest, self.ack)

    def _index_of_seq(self, seq, near):
        # Sectors are opened in ring order, so the sector after the one at index near
        # usually holds seq; search onward from there around the ring.
        count = self.sector_count
        if near < 0:
            near = 0
        for step in range(count):
            index = (near + step) % count
            if self.seqs[index] == seq:
                return index
        return -1

    # --- reading -------------------------------------------------------------------------

    def _check_frame(self, index, offset):
        # Check the frame at offset: returns (status, kind, length) with status _OK,
        # _BAD (fails its checks) or _END (erased flash: nothing more was written).
        head = self._frame_head
        self.bdev.readblocks(index, head, offset)
        kind = head[0]
        length = head[1] | (head[2] << 8)
        if kind == ERASED and length == 0xFFFF:
            return _END, kind, length
        stop = offset + RECORD_HEAD + length
        if kind == ERASED or kind == 0 or stop + RECORD_TAIL > self.sector_size:
            return _BAD, kind, length
        crc = crc32(head)
        crc_buf = self._scratch
        pos = offset + RECORD_HEAD
        while pos < stop:
            n = min(len(crc_buf), stop - pos)
            view = memoryview(crc_buf)[0:n]
            self.bdev.readblocks(index, view, pos)
            crc = crc32(view, crc)
            pos += n
        tail = memoryview(crc_buf)[0:4]
        self.bdev.readblocks(index, tail, stop)
        if crc != (tail[0] | (tail[1] << 8) | (tail[2] << 16) | (tail[3] << 24)):
            return _BAD, kind, length
        return _OK, kind, length

    def _frames(self, index, resync=False):
        # Yield (kind, payload_offset, length, status) for each frame in a sector, status
        # _OK for a good record. Without resync a bad frame is yielded with status _BAD and
        # ends the walk (the device never writes past one). With resync (the host's
        # decoder) the walk looks for the next good frame after it: a bad frame with good
        # ones after it is yielded as _CORRUPT, one with nothing good after it as _TORN,
        # the mark a power cut leaves.
        offset = HEADER_SIZE
        limit = self.sector_size - RECORD_OVERHEAD
        while offset <= limit:
            status, kind, length = self._check_frame(index, offset)
            if status == _END:
                return
            if status == _OK:
                yield kind, offset + RECORD_HEAD, length, _OK
                offset += RECORD_OVERHEAD + length
                continue
            if not resync:
                yield kind, offset + RECORD_HEAD, length, _BAD
                return
            following = offset + 1
            while following <= limit and self._check_frame(index, following)[0] != _OK:
                following += 1
            if following > limit:
                yield kind, offset + RECORD_HEAD, length, _TORN
                return
            yield kind, offset + RECORD_HEAD, length, _CORRUPT
            offset = following

    def records(self, start=None, include_log_kinds=False, problems=None, resync=False):
        # Yield (address, kind, payload) for every good record from address start on
        # (default: the oldest unacknowledged one). The payload is a fresh bytes object.
        # A bad frame ends the walk through its sector unless resync is set (see _frames);
        # the next sector is read either way. With a list as problems, each bad frame met
        # is added to it as (address, "torn", "corrupt" or "bad").
        if self.head_index < 0:
            return
        if start is None:
            start = self.start_address()
        seq = max(start >> self.sector_shift, self.tail_seq)
        index = self._index_of_seq(seq, self.head_index)
        while seq <= self.head_seq:
            if index >= 0:
                base = seq << self.sector_shift
                for kind, payload_offset, length, status in self._frames(index, resync):
                    address = base + payload_offset - RECORD_HEAD
                    if status != _OK:
                        if problems is not None and address >= start:
                            problems.append((address, _STATUS_NAMES[status]))
                        continue
                    if address < start:
                        continue
                    if kind == KIND_ACK and not include_log_kinds:
                        continue
                    payload = bytearray(length)
                    self.bdev.readblocks(index, payload, payload_offset)
                    yield address, kind, bytes(payload)
            seq += 1
            index = self._index_of_seq(seq, index)

    # --- space ---------------------------------------------------------------------------

    def used_sectors(self):
        # Sectors holding data the host has not acknowledged (the head counts as used).
        if self.head_index < 0:
            return 0
        first = max(self.tail_seq, self.ack >> self.sector_shift)
        return self.head_seq - first + 1

    def free_sectors(self):
        return self.sector_count - self.used_sectors() - len(self.bad)

    def state(self):
        free = self.free_sectors()
        if free <= 0:
            return STATE_FULL
        if free <= self.reserve_sectors:
            return STATE_LOW
        return STATE_OK

    def _reclaimable(self, index):
        seq = self.seqs[index]
        if seq == 0 or seq < self.tail_seq:
            return True
        # Everything in sector seq lies below the acknowledged address.
        return self.ack >= ((seq + 1) << self.sector_shift)

    # --- writing -------------------------------------------------------------------------

    def append(self, kind, payload):
        # Write one record and return its address. Raises LogFull (and counts the record)
        # when keeping it would mean overwriting unacknowledged data.
        if kind < 1 or kind >= ERASED:
            raise ValueError("record kind %d is outside 1..254" % kind)
        if len(payload) > self.max_payload:
            raise ValueError("payload of %d bytes exceeds the %d-byte maximum"
                             % (len(payload), self.max_payload))
        state = self.state()
        if state == STATE_FULL or (state == STATE_LOW and kind in BULK_KINDS):
            self._drop(kind)
        try:
            if self.dropped:
                self._write_dropped()
            return self._write(kind, payload)
        except LogFull:
            self._drop(kind)

    def _drop(self, kind):
        self.dropped[kind] = self.dropped.get(kind, 0) + 1
        raise LogFull("log full: a record of kind %d was not kept" % kind)

    def _write_dropped(self):
        counts = self.dropped
        payload = bytearray(1 + 5 * len(counts))
        payload[0] = len(counts)
        pos = 1
        for kind in sorted(counts):
            struct.pack_into("<BI", payload, pos, kind, counts[kind])
            pos += 5
        self._write(KIND_DROPPED, payload)
        self.dropped = {}

    def _write(self, kind, payload):
        size = RECORD_OVERHEAD + len(payload)
        for _ in range(self.sector_count):
            if self.head_index < 0 or self.write_offset + size > self.sector_size:
                self._open_next_sector()
            address = (self.head_seq << self.sector_shift) + self.write_offset
            if self._program_record(kind, payload):
                return address
            # The read-back did not match: the sector is failing. Leave it and retry the
            # record in the next one.
            self.bad.add(self.head_index)
            self.write_offset = self.sector_size
        raise LogError("no sector accepted the record: the flash is failing")

    def _program_record(self, kind, payload):
        length = len(payload)
        frame = bytearray(RECORD_OVERHEAD + length)
        frame[0] = kind
        frame[1] = length & 0xFF
        frame[2] = length >> 8
        frame[RECORD_HEAD:RECORD_HEAD + length] = payload
        crc = crc32(memoryview(frame)[0:RECORD_HEAD + length])
        struct.pack_into("<I", frame, RECORD_HEAD + length, crc)
        offset = self.write_offset
        self.bdev.writeblocks(self.head_index, frame, offset)
        self.write_offset = offset + len(frame)
        check = bytearray(len(frame))
        self.bdev.readblocks(self.head_index, check, offset)
        return check == frame

    def _open_next_sector(self):
        # Move the head to the next sector in ring order that may be reused, erase it and
        # write its header. Bad sectors (an erase that does not verify) are skipped.
        start = self.head_index
        for step in range(1, self.sector_count + 1):
            index = (start + step) % self.sector_count
            if not self._reclaimable(index):
                raise LogFull("log full: the next sector holds unacknowledged data")
            if self._erase_and_open(index):
                return
        raise LogError("no usable sector left in the log partition")

    def _erase_and_open(self, index):
        self.bdev.ioctl(_IOCTL_BLOCK_ERASE, index)
        old_seq = self.seqs[index]
        self.seqs[index] = 0
        if old_seq and old_seq == self.tail_seq:
            self.tail_seq = old_seq + 1
        if not self._erased_from(index, 0):
            self.bad.add(index)
            return False
        seq = self.head_seq + 1
        header = self._header
        struct.pack_into(_HEADER_FMT, header, 0, MAGIC, FORMAT_VERSION, self.sector_shift,
                         0xFFFF, seq, self.ack)
        struct.pack_into("<I", header, _HEADER_BODY,
                         crc32(memoryview(header)[0:_HEADER_BODY]))
        self.bdev.writeblocks(index, header, 0)
        check = bytearray(HEADER_SIZE)
        self.bdev.readblocks(index, check, 0)
        if check != header:
            self.bad.add(index)
            return False
        if self.head_index < 0:
            self.tail_seq = seq
        self.bad.discard(index)
        self.seqs[index] = seq
        self.head_index = index
        self.head_seq = seq
        self.write_offset = HEADER_SIZE
        return True

    # --- acknowledgement -----------------------------------------------------------------

    def acknowledge(self, address):
        # The host has stored every record below address. Remember it in RAM at once and
        # in the log when there is room; space is reclaimed lazily, when the head needs it.
        if address > self.end_address():
            raise ValueError("cannot acknowledge address %d beyond the end %d"
                             % (address, self.end_address()))
        if address <= self.ack:
            return
        self.ack = address
        try:
            self._write(KIND_ACK, struct.pack("<Q", address))
        except LogFull:
            # Not fatal: a later sector header carries the acknowledgement, and a host that
            # re-reads a few records after a reboot deduplicates them by address.
            pass

    def format(self):
        # Erase the whole partition (the host's wipe at the end of a study).
        for index in range(self.sector_count):
            self.bdev.ioctl(_IOCTL_BLOCK_ERASE, index)
        self.dropped = {}
        self.bad = set()
        self.mount()


_OK = 0
_BAD = 1
_TORN = 2
_CORRUPT = 3
_END = 4
_STATUS_NAMES = {_BAD: "bad", _TORN: "torn", _CORRUPT: "corrupt"}
