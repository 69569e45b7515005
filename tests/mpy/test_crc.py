# CRC-32 against published check values; the C and Python paths must agree.
from shared.crc import crc32, crc32_py


def test_check_value():
    # The standard check value of CRC-32/ISO-HDLC for the ASCII digits 1..9.
    assert crc32(b"123456789") == 0xCBF43926
    assert crc32_py(b"123456789") == 0xCBF43926


def test_empty_and_zero():
    assert crc32(b"") == 0
    assert crc32_py(b"") == 0
    assert crc32_py(b"\x00") == 0xD202EF8D
    assert crc32_py(b"\xff" * 4) == 0xFFFFFFFF


def test_chaining_matches_one_pass():
    data = bytes(range(256)) * 3
    whole = crc32_py(data)
    part = crc32_py(data[:100])
    assert crc32_py(data[100:], part) == whole
    assert crc32(data[100:], crc32(data[:100])) == whole


def test_native_and_python_agree():
    seed = 12345
    for length in (1, 7, 64, 255, 1000):
        buf = bytearray(length)
        for i in range(length):
            seed = (seed * 1103515245 + 12345) & 0x7FFFFFFF
            buf[i] = seed >> 16 & 0xFF
        assert crc32(buf) == crc32_py(buf)
