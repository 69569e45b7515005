# CRC-32 as used by the log: the IEEE 802.3 polynomial 0x04C11DB7 in its reflected form
# 0xEDB88320, initial value 0xFFFFFFFF, final XOR 0xFFFFFFFF (the same CRC as zlib and
# binascii.crc32; check value of b"123456789" is 0xCBF43926).
#
# MicroPython builds usually carry binascii.crc32 in C; the table-driven fallback keeps
# ports without it correct, and the tests hold both to the same golden vectors.

import binascii

# None on a port built without MICROPY_PY_BINASCII_CRC32.
_native_crc32 = getattr(binascii, "crc32", None)

POLY_REFLECTED = 0xEDB88320
INIT = 0xFFFFFFFF
XOROUT = 0xFFFFFFFF

_table = None


def _make_table():
    table = []
    for byte in range(256):
        value = byte
        for _ in range(8):
            if value & 1:
                value = (value >> 1) ^ POLY_REFLECTED
            else:
                value >>= 1
        table.append(value)
    return table


def crc32_py(data, crc=0):
    # Pure-Python CRC-32 with the same chaining convention as binascii.crc32: pass the
    # previous result as crc to continue over a second buffer.
    global _table
    if _table is None:
        _table = _make_table()
    table = _table
    value = crc ^ XOROUT
    for byte in data:
        value = table[(value ^ byte) & 0xFF] ^ (value >> 8)
    return value ^ XOROUT


def crc32(data, crc=0):
    if _native_crc32 is not None:
        return _native_crc32(data, crc) & 0xFFFFFFFF
    return crc32_py(data, crc)
