# The ring log on the emulated NOR flash, under both interpreters.
from boards.sim.norflash import NorFlash
from logcheck import check_recovered, make_script, run, sweep
from shared.ringlog import (HEADER_SIZE, KIND_DROPPED, STATE_FULL, STATE_LOW, LogError,
                            LogFull, RingLog)


def test_blank_flash_mounts_empty():
    log = RingLog(NorFlash(4))
    assert log.head_index == -1
    assert list(log.records()) == []
    assert log.free_sectors() == 4


def test_append_and_read_back_after_reboot():
    flash = NorFlash(6)
    log = RingLog(flash)
    written = [(log.append(1 + i % 9, bytes([i]) * (1 + i % 90)), 1 + i % 9,
                bytes([i]) * (1 + i % 90)) for i in range(150)]
    log = RingLog(flash)
    assert list(log.records()) == written
    assert log.end_address() > written[-1][0]


def test_never_overwrites_unacknowledged_data():
    flash = NorFlash(4)
    log = RingLog(flash)
    written = []
    refused = 0
    for i in range(400):
        payload = bytes([i & 0xFF]) * 120
        try:
            written.append((log.append(4, payload), 4, payload))
        except LogFull:
            refused += 1
    assert refused > 0 and log.state() == STATE_FULL
    log = RingLog(flash)
    assert list(log.records()) == written
    assert log.dropped == {}


def test_low_space_drops_raw_windows_first():
    flash = NorFlash(8)
    log = RingLog(flash, reserve_sectors=2)
    while log.state() != STATE_LOW:
        log.append(4, b"r" * 200)
    try:
        log.append(6, b"a" * 200)
    except LogFull:
        pass
    else:
        raise AssertionError("a raw window was kept with the log low on space")
    assert log.dropped == {6: 1}
    log.append(4, b"r" * 10)
    # The count goes into the log ahead of the next record that is kept.
    tail = [(k, p) for a, k, p in RingLog(flash).records()][-2:]
    assert tail == [(KIND_DROPPED, bytes([1, 6, 1, 0, 0, 0])), (4, b"r" * 10)]


def test_dropped_counts_are_logged_when_space_returns():
    flash = NorFlash(4)
    log = RingLog(flash)
    while True:
        try:
            log.append(5, b"e" * 300)
        except LogFull:
            break
    for _ in range(3):
        try:
            log.append(4, b"x")
        except LogFull:
            pass
    log.acknowledge(log.end_address())
    address = log.append(4, b"after")
    kinds = [(k, p) for a, k, p in RingLog(flash).records()]
    dropped = [p for k, p in kinds if k == KIND_DROPPED]
    assert len(dropped) == 1
    # One entry: kind 4 dropped 3 times, kind 5 once.
    assert dropped[0] == bytes([2, 4, 3, 0, 0, 0, 5, 1, 0, 0, 0])
    assert kinds[-1] == (4, b"after") and address > 0


def test_acknowledgement_survives_reboot():
    flash = NorFlash(5)
    log = RingLog(flash)
    addresses = [log.append(4, b"a" * 50) for _ in range(100)]
    log.acknowledge(addresses[60])
    log = RingLog(flash)
    assert log.ack == addresses[60]
    assert [a for a, k, p in log.records()] == addresses[60:]


def test_space_is_reused_after_acknowledgement_and_wear_is_spread():
    flash = NorFlash(6)
    log = RingLog(flash)
    for i in range(3000):
        log.append(4, bytes([i & 0xFF]) * 100)
        if i % 50 == 49:
            log.acknowledge(log.end_address())
    counts = flash.erase_counts
    assert min(counts) > 0
    assert max(counts) - min(counts) <= 1, counts


def test_bad_sector_is_skipped():
    flash = NorFlash(6)
    flash.make_bad(2)
    log = RingLog(flash)
    written = []
    for i in range(1480):
        payload = bytes([i & 0xFF]) * 60
        written.append((log.append(4, payload), 4, payload))
        if i % 40 == 39:
            log.acknowledge(log.end_address())
    assert min(c for i, c in enumerate(flash.erase_counts) if i != 2) >= 3
    # Counted once, however many passes of the ring met it: all but the head and the bad
    # sector are free once everything is acknowledged.
    assert log.bad == {2}
    assert log.free_sectors() == 6 - 1 - 1
    log = RingLog(flash)
    got = list(log.records())
    assert got == [w for w in written if w[0] >= log.ack]


def test_refuses_oversized_and_reserved_kinds():
    log = RingLog(NorFlash(4))
    for kind, payload in ((0, b"x"), (255, b"x"), (4, b"x" * 5000)):
        try:
            log.append(kind, payload)
        except ValueError:
            continue
        raise AssertionError("accepted kind %d with %d bytes" % (kind, len(payload)))


def test_partition_too_small():
    try:
        RingLog(NorFlash(2))
    except LogError:
        return
    raise AssertionError("a 2-sector partition was accepted")


def test_header_not_rewritten_in_place():
    # Each sector is programmed once from erased: its header bytes never change until the
    # next erase, however many records and acknowledgements follow.
    flash = NorFlash(4)
    log = RingLog(flash)
    log.append(4, b"x")
    header = bytes(flash.data[0:HEADER_SIZE])
    for _ in range(20):
        log.acknowledge(log.append(4, b"y" * 10))
    assert bytes(flash.data[0:HEADER_SIZE]) == header


def test_power_cut_at_every_operation_small():
    script = make_script(7, 300, max_payload=400, ack_every=12, reboot_every=40)
    assert sweep(4, script) >= 180


def test_power_cut_with_full_log():
    script = make_script(11, 120, max_payload=500, ack_every=0, reboot_every=30)
    flash = NorFlash(3, seed=3)
    out = run(flash, script)
    assert out.full > 0
    assert sweep(3, script, every=3) > 10


def test_recovery_after_random_cut():
    script = make_script(3, 200, max_payload=300)
    flash = NorFlash(5, seed=99)
    flash.cut_power_at(137)
    out = run(flash, script)
    assert out.cut
    check_recovered(flash, out)


def test_resync_recovers_records_after_a_corrupt_one():
    flash = NorFlash(4)
    log = RingLog(flash)
    written = [(log.append(4, bytes([i]) * 40), 4, bytes([i]) * 40) for i in range(20)]
    # Flip one bit inside the payload of the sixth record.
    flash.data[(written[5][0] & 4095) + 10] ^= 0x10
    problems = []
    got = list(RingLog(flash).records(resync=True, problems=problems))
    assert got == written[:5] + written[6:]
    assert problems == [(written[5][0], "corrupt")]
    # Without resync the walk stops at the bad frame, as the device's own walk does.
    assert list(RingLog(flash).records()) == written[:5]


def test_torn_last_record_is_reported_as_torn():
    flash = NorFlash(4)
    log = RingLog(flash)
    written = [(log.append(4, bytes([i]) * 40), 4, bytes([i]) * 40) for i in range(6)]
    flash.data[(written[5][0] & 4095) + 30] &= 0x00
    problems = []
    got = list(RingLog(flash).records(resync=True, problems=problems))
    assert got == written[:5] and problems == [(written[5][0], "torn")]
