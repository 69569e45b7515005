# The NOR emulator behaves like NOR where the log depends on it.
from boards.sim.norflash import NorFlash, PowerCut


def test_erased_reads_ff_and_program_only_clears_bits():
    f = NorFlash(2)
    buf = bytearray(4)
    f.readblocks(0, buf, 10)
    assert buf == b"\xff" * 4
    f.writeblocks(0, b"\x0f\xf0\x00\xff", 10)
    f.writeblocks(0, b"\xf3\x3f\xff\x00", 10)
    f.readblocks(0, buf, 10)
    assert buf == b"\x03\x30\x00\x00"
    f.ioctl(6, 0)
    f.readblocks(0, buf, 10)
    assert buf == b"\xff" * 4
    assert f.erase_counts == [1, 0]
    assert f.ioctl(4, 0) == 2 and f.ioctl(5, 0) == 4096


def test_power_cut_tears_the_operation_and_stops_everything():
    partial = 0
    for seed in range(1, 40):
        f = NorFlash(2, seed=seed)
        f.cut_power_at(2)
        f.writeblocks(0, b"\x00" * 8, 0)
        try:
            f.writeblocks(0, b"\x00" * 64, 100)
        except PowerCut:
            pass
        else:
            raise AssertionError("no power cut")
        try:
            f.readblocks(0, bytearray(1), 0)
        except PowerCut:
            pass
        else:
            raise AssertionError("flash readable while unpowered")
        f.power_on()
        torn = bytes(f.data[100:164])
        assert bytes(f.data[0:8]) == b"\x00" * 8
        if torn != b"\x00" * 64 and torn != b"\xff" * 64:
            partial += 1
    # Most cuts leave a range that is neither fully programmed nor untouched.
    assert partial > 25, partial


def test_torn_erase_leaves_a_partly_erased_sector():
    partial = 0
    for seed in range(1, 30):
        f = NorFlash(2, seed=seed)
        f.writeblocks(1, b"\x00" * 4096, 0)
        f.cut_power_at(2)
        try:
            f.ioctl(6, 1)
        except PowerCut:
            pass
        f.power_on()
        sector = bytes(f.data[4096:8192])
        if sector != b"\xff" * 4096 and sector != b"\x00" * 4096:
            partial += 1
    assert partial > 20


def test_bad_sector_does_not_erase_cleanly():
    f = NorFlash(2)
    f.make_bad(1)
    f.ioctl(6, 1)
    assert bytes(f.data[4096:8192]) != b"\xff" * 4096
    f.ioctl(6, 0)
    assert bytes(f.data[0:4096]) == b"\xff" * 4096


def test_out_of_range_is_an_error():
    f = NorFlash(2)
    for call in (lambda: f.readblocks(2, bytearray(1), 0),
                 lambda: f.writeblocks(1, b"\x00" * 2, 4095),
                 lambda: f.ioctl(6, 5)):
        try:
            call()
        except OSError:
            continue
        raise AssertionError("out-of-range access accepted")


def test_restore_reads_a_saved_image_back_in_place():
    # A device that restarts finds its flash as it left it; the sim restores the image
    # into an emulator of the same geometry, and refuses one of another size.
    import os
    path = "/tmp/ictalog-test-norflash-restore.img"
    try:
        f = NorFlash(3)
        f.writeblocks(1, b"\x12\x34", 7)
        f.save(path)
        g = NorFlash(3)
        g.restore(path)
        assert g.data == f.data and g.erase_counts == [0, 0, 0]
        for sectors in (2, 4):
            try:
                NorFlash(sectors).restore(path)
            except ValueError:
                pass
            else:
                raise AssertionError("restored an image of another size")
    finally:
        try:
            os.remove(path)
        except OSError:
            pass
