# The `sim` board: the firmware's application runs unchanged under the MicroPython unix
# port, its drivers talk to register-level chip models over fake buses, and a replay of a
# fixture drives the models faster than real time: each beat becomes an R-R interval in
# the MAX30003 model's RTOR with its interrupt, each acceleration sample goes into the
# accelerometer model's FIFO. The log goes to the NOR emulator. Time is virtual: wait()
# advances it to the next thing the hardware would do.
#
# What a real device keeps across restarts is given to the board by its caller: the
# flash (an erased one, or the image an earlier boot left), the RTC as the host set it
# (unix milliseconds at virtual time 0; None: never set), the stored study set-up (a
# CONFIG payload; None: no study set up) and the boot count. Virtual time starts at 0 on
# every boot, as t_ms does on the device.

from boards.sim.chips import (BMA400Model, FakeI2C, FakePin, FakeSPI, LIS2DH12Model,
                              MAX30003Model)
from boards.sim.norflash import NorFlash
from boards.sim.replayfile import TICK_HZ
from firmware.app import ACC_HZ, EV_ACC, EV_BEAT, EV_STOP
from firmware.drivers.bma400 import BMA400
from firmware.drivers.bus import I2CDevice
from firmware.drivers.lis2dh12 import LIS2DH12, i2c_device
from firmware.drivers.max30003 import MAX30003
from shared import records as rec

NAME = "sim"
PORT = "unix"
_LIS2DH12_ADDRESS = 0x18
_BMA400_ADDRESS = 0x14

# The simulated study's set-up beyond what a caller chooses: the 14-night study of the
# brief and a night window of 22:00 to 08:00 local time. The firmware does not act on the
# window yet (docs/FIRMWARE.md); it is logged as a nurse would set it.
STUDY_NIGHTS = 14
NIGHT_START_MIN = 22 * 60
NIGHT_END_MIN = 8 * 60


def config_payload(study_id, patient_code, utc_offset_min, study_start_unix_s):
    # The CONFIG payload the host would have stored on the device at set-up.
    return rec.encode_config(study_id, patient_code, study_start_unix_s, STUDY_NIGHTS,
                             NIGHT_START_MIN, NIGHT_END_MIN, utc_offset_min, ACC_HZ)


class SimBoard:
    NAME = NAME

    def __init__(self, replay, sectors, power, acc_part="lis2dh12", cut_at_op=0,
                 seed=1, flash=None, start_unix_ms=None, config=None, boot_count=1):
        self.replay = replay
        self.power = power
        self.flash = flash if flash is not None else NorFlash(sectors, seed=seed)
        self.start_unix_ms = start_unix_ms
        self.config = config
        self.boots = boot_count
        if cut_at_op:
            self.flash.cut_power_at(cut_at_op)
        self.spi = FakeSPI()
        self.i2c = FakeI2C()
        self.ecg_cs = FakePin("ECG_CS", 1)
        self.ecg_model = MAX30003Model()
        self.spi.attach(self.ecg_cs, self.ecg_model)
        self.acc_part = acc_part
        if acc_part == "lis2dh12":
            self.acc_model = LIS2DH12Model()  # type: LIS2DH12Model | BMA400Model
            self.i2c.attach(_LIS2DH12_ADDRESS, self.acc_model)
        elif acc_part == "bma400":
            self.acc_model = BMA400Model()
            self.i2c.attach(_BMA400_ADDRESS, self.acc_model)
        else:
            raise ValueError("unknown accelerometer %r: lis2dh12 or bma400" % acc_part)

        # Virtual time and the replay's position.
        self.now_ms = 0
        self.second = -1
        self.beats = 0
        self.beat_index = 0
        self.sample_index = 0
        self.have_acc = False
        self.last_tick = -1
        self.done = False
        self.wakes = 0
        self._intb_was = 1

    # --- what the application asks of a board --------------------------------------------

    def ecg(self):
        return MAX30003(self.spi, self.ecg_cs)

    def accelerometer(self):
        if self.acc_part == "lis2dh12":
            return LIS2DH12(i2c_device(self.i2c, _LIS2DH12_ADDRESS))
        return BMA400(I2CDevice(self.i2c, _BMA400_ADDRESS))

    def log_device(self):
        return self.flash

    def ticks_ms(self):
        return self.now_ms

    def wall_clock(self):
        # The RTC, running on virtual time: whole seconds since 1970 UTC and their
        # milliseconds, the pair Recorder.start writes into its CLOCK mark.
        if self.start_unix_ms is None:
            return None
        unix_ms = self.start_unix_ms + self.now_ms
        return unix_ms // 1000, unix_ms % 1000

    def study_config(self):
        return self.config

    def boot_count(self):
        return self.boots

    def reset_cause(self):
        return 0

    def battery(self):
        return 3900, 80

    def temperature_cdeg(self):
        return 3300

    def feed_watchdog(self):
        pass

    async def wait(self):
        # Advance virtual time until an interrupt line is active, as the MCU would sleep
        # until one fires; report the lines like the real board's handlers would.
        while True:
            events = self._lines()
            if events:
                self.wakes += 1
                return events
            if not self._step():
                return EV_STOP

    # --- the replay ----------------------------------------------------------------------

    def _lines(self):
        # The ECG line is edge-triggered on the board (a falling edge per beat; lead-off
        # holds it low), the accelerometer's is level-like (it stays high until drained).
        events = 0
        intb = self.ecg_model.intb.value()
        if intb == 0 and self._intb_was == 1:
            events |= EV_BEAT
        self._intb_was = intb
        if self.acc_model.int1.value():
            events |= EV_ACC
        return events

    def _load_second(self):
        self.second += 1
        if self.second >= self.replay.seconds:
            return False
        self.beats, self.have_acc = self.replay.second(self.second)
        self.beat_index = 0
        self.sample_index = 0
        return True

    def _step(self):
        # Deliver the next thing in time order within the current second: a beat or an
        # acceleration sample (sample i of second s arrives at s + (i + 1) / rate).
        replay = self.replay
        while True:
            if self.second < 0 or (self.beat_index >= self.beats and
                                   (not self.have_acc or
                                    self.sample_index >= replay.acc_hz)):
                if not self._load_second():
                    return False
                continue
            beat_ms = 0x7FFFFFFF
            if self.beat_index < self.beats:
                beat_ms = replay.beat_ticks[self.beat_index] * 1000 // TICK_HZ
            sample_ms = 0x7FFFFFFF
            if self.have_acc and self.sample_index < replay.acc_hz:
                sample_ms = self.second * 1000 + (self.sample_index + 1) * 1000 // replay.acc_hz
            if beat_ms <= sample_ms:
                tick = replay.beat_ticks[self.beat_index]
                self.beat_index += 1
                self.now_ms = max(self.now_ms, beat_ms)
                if self.last_tick >= 0:
                    # The front end reports the interval since the previous beat.
                    self.ecg_model.beat(tick - self.last_tick)
                self.last_tick = tick
            else:
                i = 3 * self.sample_index
                acc = replay.acc_mg
                self.sample_index += 1
                self.now_ms = max(self.now_ms, sample_ms)
                self.acc_model.push(acc[i], acc[i + 1], acc[i + 2])
            return True
