# What every real board has in common: interrupt lines that only set flags, the wait for
# the next event, the watchdog, the clock, battery and temperature, and the few small
# files the study keeps beside the log (boot count, study configuration). A board's
# board.py names its pins and parts and inherits the rest.

import time

import asyncio
import machine

from firmware.app import EV_ACC, EV_BEAT, EV_STOP

WATCHDOG_MS = 8000
POLL_MS = 1000
BOOT_COUNT_FILE = "boot_count"
STUDY_FILE = "study.cfg"


class HardwareBoard:
    NAME = "unnamed"
    POWER = {}  # type: dict

    def __init__(self):
        self._flag = asyncio.ThreadSafeFlag()
        self._events = 0
        self._wdt = None
        self.stop_requested = False

    # --- interrupts --------------------------------------------------------------------

    def _on_ecg(self, _pin):
        # Interrupt context: record and flag, nothing else.
        self._events |= EV_BEAT
        self._flag.set()

    def _on_acc(self, _pin):
        self._events |= EV_ACC
        self._flag.set()

    def attach_interrupts(self, ecg_pin, acc_pin):
        # The MAX30003's INTB is open-drain and active low; the accelerometer's INT1 is
        # push-pull and active high as the drivers configure it.
        ecg_pin.irq(trigger=machine.Pin.IRQ_FALLING, handler=self._on_ecg)
        acc_pin.irq(trigger=machine.Pin.IRQ_RISING, handler=self._on_acc)

    async def wait(self):
        # Sleep until an interrupt, or at most a second: the accelerometer's line gives no
        # new edge if a drain was missed, and a lead-off holds the ECG line low, so both
        # are polled once a second whatever the edges say.
        while not self._events and not self.stop_requested:
            try:
                await asyncio.wait_for_ms(self._flag.wait(), POLL_MS)
            except asyncio.TimeoutError:
                self._events |= EV_ACC | EV_BEAT
        state = machine.disable_irq()
        events = self._events
        self._events = 0
        machine.enable_irq(state)
        if self.stop_requested:
            events |= EV_STOP
        return events

    def feed_watchdog(self):
        if self._wdt is None:
            self._wdt = machine.WDT(timeout=WATCHDOG_MS)
        self._wdt.feed()

    # --- clock, power, persistence -----------------------------------------------------

    def ticks_ms(self):
        return time.ticks_ms()

    def wall_clock(self):
        # The RTC as the host set it at setup; None until then (year before 2025).
        now = time.time()
        if time.gmtime(now)[0] < 2025:
            return None
        return int(now) + _EPOCH_OFFSET_S, 0

    def reset_cause(self):
        return machine.reset_cause()

    def boot_count(self):
        count = 0
        try:
            with open(BOOT_COUNT_FILE) as f:
                count = int(f.read())
        except (OSError, ValueError):
            pass
        count += 1
        with open(BOOT_COUNT_FILE, "w") as f:
            f.write(str(count))
        return count

    def study_config(self):
        # The CONFIG payload the host wrote at setup, or None before setup.
        try:
            with open(STUDY_FILE, "rb") as f:
                return f.read()
        except OSError:
            return None

    def temperature_cdeg(self):
        return 0

    def battery(self):
        return 0, 0


# MicroPython's epoch is 1970 on the unix, esp32 and rp2 ports since 1.22; kept as a named
# offset so a port with the 2000 epoch needs one change.
_EPOCH_OFFSET_S = 0


def battery_from_adc(adc, divider, empty_mv, full_mv):
    # A LiPo cell through a resistor divider into an ADC: millivolts and a linear
    # percentage between the empty and full voltages (a rough gauge, not a fuel gauge).
    mv = adc.read_uv() * divider // 1000
    pct = (mv - empty_mv) * 100 // (full_mv - empty_mv)
    return mv, max(0, min(100, pct))
