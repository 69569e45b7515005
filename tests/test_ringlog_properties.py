"""Hypothesis stateful tests of the ring log against a model.

The machine appends, acknowledges, reboots, marks sectors bad and cuts power during a
chosen flash operation, over several geometries. After every step the log must hold
exactly the records the model says are unacknowledged; after a power cut, the recovered
log is checked as in ``logcheck.check_recovered``.
"""

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from boards.sim.norflash import NorFlash, PowerCut
from logcheck import Outcome, _check_subsequence
from shared.ringlog import KIND_DROPPED, LogFull, RingLog


class RingLogMachine(RuleBasedStateMachine):
    @initialize(sectors=st.integers(3, 9), seed=st.integers(1, 2**31))
    def start(self, sectors, seed):
        self.flash = NorFlash(sectors, seed=seed)
        self.log = RingLog(self.flash)
        self.confirmed: list[tuple[int, int, bytes]] = []
        self.ram_ack = 0
        self.cuts = 0

    def _recover(self, in_flight):
        out = Outcome()
        out.confirmed = self.confirmed
        out.in_flight = in_flight
        out.ram_ack = self.ram_ack
        self.flash.power_on()
        self.log = RingLog(self.flash)
        _check_subsequence(list(self.log.records(start=0)), out)
        # The interrupted append may or may not have landed; adopt what the flash says.
        landed = [(a, k, p) for a, k, p in self.log.records(start=0)
                  if in_flight and (k, p) == in_flight
                  and all(a != c[0] for c in self.confirmed)]
        self.confirmed.extend(landed)
        self.cuts += 1
        event("power cut and recovery")

    @rule(kind=st.integers(1, 9), size=st.integers(1, 600), fill=st.integers(0, 255))
    def append(self, kind, size, fill):
        payload = bytes([fill]) * size
        try:
            address = self.log.append(kind, payload)
            self.confirmed.append((address, kind, payload))
        except LogFull:
            event("log full")
        except PowerCut:
            self._recover((kind, payload))

    @rule(part=st.integers(0, 3))
    def acknowledge(self, part):
        pending = [c for c in self.confirmed if c[0] >= self.log.ack]
        if not pending:
            return
        target = self.log.end_address() if part == 0 else pending[len(pending) // (part + 1)][0]
        self.ram_ack = max(self.ram_ack, target)
        try:
            self.log.acknowledge(target)
        except PowerCut:
            self._recover(None)

    @rule()
    def reboot(self):
        self.log = RingLog(self.flash)

    @rule(ahead=st.integers(1, 12))
    def cut_power_soon(self, ahead):
        self.flash.cut_power_at(self.flash.ops + ahead)

    @rule(sector=st.integers(0, 8))
    def sector_goes_bad(self, sector):
        # Keep at least three good sectors so the log can still make progress.
        if sector < self.flash.sector_count and len(self.flash.bad_sectors) < \
                self.flash.sector_count - 3:
            self.flash.make_bad(sector)

    @invariant()
    def unacknowledged_records_are_all_there(self):
        if not self.flash.powered:
            return
        # records() starts from the log's own idea of where unacknowledged data begins; if
        # that were too far on, records the host never stored would be missing here.
        live = [(a, k, p) for a, k, p in self.log.records() if k != KIND_DROPPED]
        expected = [c for c in self.confirmed if c[0] >= self.ram_ack]
        got = [r for r in live if r[0] >= self.ram_ack]
        assert got == expected


TestRingLog = RingLogMachine.TestCase
TestRingLog.settings = settings(max_examples=150, stateful_step_count=60, deadline=None,
                                suppress_health_check=[HealthCheck.too_slow])
