# Record payloads: golden byte vectors (the same bytes under MicroPython and CPython, and
# the layouts of docs/LOG-SPEC.md), round trips, and refusal of malformed payloads.
from binascii import hexlify, unhexlify

from shared import records as r

GOLDEN = (
    # t_ms 1000, shift 3, 7 beats: 0 (unknown), +100 (medium), +3, -7, 0, +104 (medium),
    # +2; then a long escape (+1000) and a negative medium delta (-100).
    ("rr", lambda: r.encode_rr(1000, [0, 100, 103, 96, 96, 200, 202]),
     "e80300000307000000e646d0e684"),
    ("rr_escapes", lambda: r.encode_rr(0, [200, 1200, 1100]), "00000000030300c800"
     "f04b0e9c"),
    ("epochs", lambda: r.encode_epochs(60000, 2, [(0, 0, 0, 2), (1, 0, 0, 2), (9, 12, 5, 4),
                                                  (2, 0, 0, 4)]),
     "60ea00000402019c5420"),
    ("raw_acc", lambda: r.encode_raw_acc(7, 123456, 25, [1, -2, 1000, -32768, 32767, 0]),
     "070040e2010019020100feffe8030080ff7f0000"),
    ("raw_ecg", lambda: r.encode_raw_ecg(7, 123456, 128, [-5, 300]),
     "070040e2010080000200fbff2c01"),
    ("event", lambda: r.encode_event(3600000, 45000, 1, 812, 7), "80ee3600c8af0000012c030700"),
    ("status", lambda: r.encode_status(5000, 3950, 87, 0x05, 3412, 93),
     "881300006e0f5705540d5d"),
    ("clock", lambda: r.encode_clock(42, 1764806400, 250, 1), "2a00000000cf3069fa0001"),
    ("boot", lambda: r.encode_boot(0, 3, 1, "fw", "sim"), "0000000003000000010266770373696d"),
    ("config", lambda: r.encode_config("ST-01", "P-007", 1764806400, 14, 1320, 480, 60, 25),
     "0100cf30690e2805e0013c00190553542d303105502d303037"),
)


def test_golden_vectors():
    for name, make, expected in GOLDEN:
        got = hexlify(make()).decode()
        assert got == expected, "%s: %s != %s" % (name, got, expected)


def test_golden_vectors_decode():
    rr = r.decode_rr(unhexlify(GOLDEN[0][2]))
    assert rr["t_ms"] == 1000 and rr["shift"] == 3
    assert rr["rr_units"] == [0, 100, 103, 96, 96, 200, 202]
    ep = r.decode_epochs(unhexlify(GOLDEN[2][2]))
    assert ep["epochs"] == [(0, 0, 0, 2), (1, 0, 0, 2), (9, 12, 5, 4), (2, 0, 0, 4)]
    cfg = r.decode_config(unhexlify(GOLDEN[9][2]))
    assert cfg["study_id"] == "ST-01" and cfg["patient_code"] == "P-007"
    assert cfg["utc_offset_min"] == 60 and cfg["nights"] == 14


def test_rr_round_trip_extremes():
    values = [0, 1, 8, 1, 0xFFFF, 0, 7, 0, 65535, 65528, 65400, 65527, 65534, 65534]
    for n in range(1, len(values) + 1):
        payload = r.encode_rr(0xFFFFFFFF, values[:n], 0)
        back = r.decode_rr(payload)
        assert back["rr_units"] == values[:n]
        assert back["t_ms"] == 0xFFFFFFFF


def test_rr_small_deltas_take_half_a_byte():
    # A walk whose every step is within -7..+6 units: one nibble per beat after the first.
    rr = [300]
    for k in range(1, 200):
        rr.append(rr[-1] + (k % 14) - 7)
    payload = r.encode_rr(0, rr)
    assert len(payload) == 9 + (199 + 1) // 2
    assert r.decode_rr(payload)["rr_units"] == rr


def test_rr_refuses_truncated_and_padded():
    payload = r.encode_rr(5, [0, 100, 101, 102, 300])
    for cut in range(len(payload)):
        try:
            r.decode_rr(payload[:cut])
        except r.RecordError:
            continue
        raise AssertionError("a truncated rr record of %d bytes decoded" % cut)
    try:
        r.decode_rr(payload + b"\x00")
    except r.RecordError:
        pass
    else:
        raise AssertionError("an rr record with a trailing byte decoded")


def test_epochs_still_epochs_take_one_nibble():
    payload = r.encode_epochs(0, 2, [(0, 0, 0, 2)] * 60)
    assert len(payload) == 6 + 30


def test_every_decoder_refuses_empty_payload():
    for kind in r.DECODERS:
        try:
            r.decode(kind, b"")
        except r.RecordError:
            continue
        raise AssertionError("kind %d decoded an empty payload" % kind)


def test_unknown_kind_is_an_error():
    try:
        r.decode(0x55, b"abc")
    except r.RecordError:
        return
    raise AssertionError("unknown kind decoded")


def test_bad_text_is_an_error():
    payload = bytearray(r.encode_boot(0, 1, 0, "ab", "c"))
    payload[10] = 0xFF
    try:
        r.decode_boot(bytes(payload))
    except r.RecordError:
        return
    raise AssertionError("invalid UTF-8 decoded")
