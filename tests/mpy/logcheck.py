# Model-based checking of the ring log, shared by the MicroPython suite and the CPython
# property tests: run a script of operations against the emulated NOR flash, optionally
# cutting power during one program or erase, then reboot and hold the recovered log to
# the promises of docs/LOG-DESIGN.md.

from boards.sim.norflash import NorFlash, PowerCut, XorShift32
from shared.ringlog import KIND_DROPPED, LogFull, RingLog


def Rng(seed):
    # The emulator's generator, seeded apart from the flash's own.
    return XorShift32(seed * 2654435761 + 1)


def make_script(seed, steps, max_payload=300, ack_every=25, reboot_every=60):
    # A deterministic mix of appends of every application kind, host acknowledgements
    # (all or part of what was read) and reboots.
    rng = Rng(seed)
    script = []
    ack_below = 1000 // ack_every if ack_every else 0
    reboot_below = ack_below + (1000 // reboot_every if reboot_every else 0)
    for i in range(steps):
        roll = rng.below(1000)
        if roll < ack_below:
            script.append(("ack", rng.below(4)))
        elif roll < reboot_below:
            script.append(("reboot",))
        else:
            kind = 1 + rng.below(9)
            size = 1 + rng.below(max_payload)
            payload = bytes((i * 7 + j * 13 + kind) & 0xFF for j in range(size))
            script.append(("append", kind, payload))
    return script


class Outcome:
    def __init__(self):
        self.confirmed = []      # (address, kind, payload) for appends that returned
        self.in_flight = None    # (kind, payload) of the append the cut interrupted
        self.ram_ack = 0         # what the host had acknowledged when power failed
        self.full = 0            # appends refused with LogFull
        self.cut = False


def run(flash, script):
    out = Outcome()
    try:
        log = RingLog(flash)
        for step in script:
            if step[0] == "append":
                out.in_flight = (step[1], step[2])
                try:
                    address = log.append(step[1], step[2])
                    out.confirmed.append((address, step[1], step[2]))
                except LogFull:
                    out.full += 1
                out.in_flight = None
            elif step[0] == "ack":
                # The host acknowledges through a record boundary it has read: everything
                # (0) or roughly a half, a third or a quarter of what is unacknowledged.
                pending = [c for c in out.confirmed if c[0] >= log.ack]
                if not pending:
                    continue
                if step[1] == 0:
                    target = log.end_address()
                else:
                    target = pending[len(pending) // (step[1] + 1)][0]
                out.ram_ack = max(out.ram_ack, target)
                log.acknowledge(target)
            elif step[0] == "reboot":
                log = RingLog(flash)
    except PowerCut:
        out.cut = True
    return out


def check_recovered(flash, out, extra_steps=40):
    # Reboot after the cut and check: (1) every record read back was written, with the
    # same bytes, in order, once; (2) every confirmed record the host had not
    # acknowledged is read back; (3) the log keeps working: records appended now are read
    # back too, and the earlier ones stay.
    flash.power_on()
    log = RingLog(flash)
    seen = list(log.records(start=0))
    _check_subsequence(seen, out)
    unacked = [c for c in out.confirmed if c[0] >= out.ram_ack]
    live = list(log.records())
    live_set = set((a, k, bytes(p)) for a, k, p in live)
    for c in unacked:
        assert (c[0], c[1], bytes(c[2])) in live_set, (
            "record at %d (kind %d) was lost" % (c[0], c[1]))
    assert log.start_address() <= (unacked[0][0] if unacked else log.end_address())

    # Keep writing after the cut, then reboot once more.
    more = []
    for i in range(extra_steps):
        payload = bytes([(i * 31) & 0xFF]) * (1 + (i * 37) % 200)
        try:
            more.append((log.append(4, payload), 4, payload))
        except LogFull:
            log.acknowledge(log.end_address())
            more.append((log.append(4, payload), 4, payload))
    log = RingLog(flash)
    after = set((a, k, bytes(p)) for a, k, p in log.records(start=0))
    for c in more:
        assert (c[0], c[1], bytes(c[2])) in after, "record appended after recovery lost"
    return log


def _check_subsequence(seen, out):
    # Addresses strictly increase, and each record is one that was written.
    written = {}
    for address, kind, payload in out.confirmed:
        written[address] = (kind, bytes(payload))
    last = -1
    for address, kind, payload in seen:
        assert address > last, "records out of order or duplicated at %d" % address
        last = address
        if kind == KIND_DROPPED:
            continue
        expect = written.get(address)
        if expect is None:
            # Only the interrupted append may appear without having returned.
            assert out.in_flight is not None and (kind, bytes(payload)) == (
                out.in_flight[0], bytes(out.in_flight[1])), (
                "record at %d was never written" % address)
            continue
        assert expect == (kind, bytes(payload)), "record at %d changed" % address


def total_ops(sectors, script, seed=1):
    flash = NorFlash(sectors, seed=seed)
    run(flash, script)
    return flash.ops


def sweep(sectors, script, every=1, seed=1):
    # Cut power at each operation in turn (or every n-th) and check each recovery.
    n = total_ops(sectors, script, seed)
    checked = 0
    for cut in range(1, n + 1, every):
        flash = NorFlash(sectors, seed=seed + cut)
        flash.cut_power_at(cut)
        out = run(flash, script)
        assert out.cut, "no cut at op %d of %d" % (cut, n)
        check_recovered(flash, out, extra_steps=8)
        checked += 1
    return checked
