# The wearable's recording application: per-beat R-R from the ECG front end, the
# accelerometer's FIFO drained into one-second motion epochs, the prefilter once a second,
# raw windows around each candidate from a RAM pre-trigger ring, status records, clock
# marks and the study's start and stop, all into the flash ring log.
#
# The board supplies the buses, the parts, the log's block device, the clock and the
# wait for the next interrupt; the same application runs on the wearable and, on the
# `sim` board, under the MicroPython unix port against chip models. Interrupt handlers
# only set flags (the board's job); everything here runs in the task that awaits them.

from array import array

from firmware.drivers.max30003 import STATUS_RRINT
from shared import records as rec
from shared.motion import EpochFeatures
from shared.prefilter import Prefilter
from shared.ringlog import STATE_FULL, STATE_LOW, LogFull, RingLog
from shared.streams import EpochStream, RRStream

FIRMWARE_VERSION = "ictalog-fw 0.1"

# Events a board's wait() reports, as bits.
EV_BEAT = 1      # the ECG front end's interrupt line: R-R interval ready or lead-off
EV_ACC = 2       # the accelerometer FIFO reached its watermark
EV_STOP = 4      # the recording should end (study stop, button, end of a simulation)

ACC_HZ = 25
# Raw windows: the minute before a candidate and the minute after it ends.
PRE_S = 60
POST_S = 60
RAW_CHUNK = 250          # samples per RAW_ACC record (10 s at 25 Hz)
STATUS_EVERY_S = 300
STILL_MG = 20            # below this a second counts as still (resting heart rate)
NOT_WORN_S = 600         # this long without beats and motion means the patch is off
_FIFO_MAX = 64           # samples one drain may return (the BMA400 can hold more)


class Recorder:
    def __init__(self, board, log=None):
        self.board = board
        self.log = log if log is not None else RingLog(board.log_device())
        self.ecg = board.ecg()
        self.acc = board.accelerometer()

        # Everything the per-sample path touches is allocated here, once.
        self.drain = array("h", [0] * (3 * _FIFO_MAX))
        self.second_mg = array("h", [0] * (3 * ACC_HZ))
        self.filled = 0
        self.ring_mg = array("h", [0] * (3 * ACC_HZ * PRE_S))
        self.ring_pos = 0            # next sample slot in ring_mg
        self.ring_count = 0          # samples held (up to ACC_HZ * PRE_S)
        self.features = EpochFeatures(ACC_HZ)
        self.rr = RRStream()
        self.epochs = EpochStream()
        self.prefilter = Prefilter()

        self.second = 0              # seconds of acceleration recorded
        self.t0_ms = 0
        self.still = True
        self.quiet_s = 0             # seconds with neither beats nor motion
        self.beats_this_second = 0
        self.lead_off = False
        self.window = 0              # raw window id
        self.capture_until_s = -1    # keep raw samples up to this second
        self.candidates = 0
        self.records = 0
        self.dropped = 0
        self.beats = 0
        self.wakes = 0

    # --- start and stop --------------------------------------------------------------------

    def start(self, boot_count=1, reset_cause=0):
        self.ecg.begin()
        self.acc.begin(rate_hz=ACC_HZ, range_g=8)
        self.t0_ms = self.board.ticks_ms()
        self._put(rec.KIND_BOOT, rec.encode_boot(0, boot_count, reset_cause,
                                                 FIRMWARE_VERSION, self.board.NAME))
        config = self.board.study_config()
        if config is not None:
            self._put(rec.KIND_CONFIG, config)
        # The board's wall clock is the device's own RTC (set by the host at set-up), so
        # the mark says so: the host's clock fit trusts a host mark over an RTC mark.
        wall = self.board.wall_clock()
        if wall is not None:
            self._put(rec.KIND_CLOCK, rec.encode_clock(self.now_ms(), wall[0], wall[1],
                                                       rec.CLOCK_SOURCE_RTC))
        self._status()

    def stop(self):
        # Take what the accelerometer still holds below its watermark, then close every
        # open batch so that nothing recorded stays in RAM.
        self._drain_acc()
        self._put(rec.KIND_RR, self.rr.flush())
        self._put(rec.KIND_EPOCHS, self.epochs.flush())
        found = self.prefilter.finish()
        if found:
            self._candidate(found)
        self._status()

    def now_ms(self):
        return self.board.ticks_ms() - self.t0_ms

    # --- events ----------------------------------------------------------------------------

    def handle(self, events):
        # Every wake drains the accelerometer too: its line gives no new edge if a drain
        # was missed, and an empty FIFO costs one register read.
        self.wakes += 1
        if events & EV_BEAT or self.lead_off:
            self._beat()
        self._drain_acc()

    def _beat(self):
        # Reading STATUS clears the R-R flag and releases the interrupt line.
        status = self.ecg.status()
        self.lead_off = self.ecg.lead_off
        if not status & STATUS_RRINT:
            return
        rr_ticks = self.ecg.read_rr_ticks()
        self.beats += 1
        self.beats_this_second += 1
        self._put(rec.KIND_RR, self.rr.add(self.now_ms(), rr_ticks))
        self.prefilter.beat(rr_ticks, self.still)

    def _drain_acc(self):
        n = self.acc.read_fifo_into(self.drain, 0)
        drain = self.drain
        second_mg = self.second_mg
        ring = self.ring_mg
        ring_len = len(ring) // 3
        for i in range(n):
            j = 3 * i
            k = 3 * self.filled
            second_mg[k] = drain[j]
            second_mg[k + 1] = drain[j + 1]
            second_mg[k + 2] = drain[j + 2]
            p = 3 * self.ring_pos
            ring[p] = drain[j]
            ring[p + 1] = drain[j + 1]
            ring[p + 2] = drain[j + 2]
            self.ring_pos = (self.ring_pos + 1) % ring_len
            if self.ring_count < ring_len:
                self.ring_count += 1
            self.filled += 1
            if self.filled == ACC_HZ:
                self.filled = 0
                self._epoch()

    def _epoch(self):
        # One second of acceleration is complete.
        t_ms = self.second * 1000
        f = self.features
        f.compute(self.second_mg, 0)
        act_mg = f.act_mg
        band = f.band
        self._put(rec.KIND_EPOCHS, self.epochs.add(t_ms, f.act, band, f.freq, f.posture))
        self.still = act_mg < STILL_MG
        found = self.prefilter.second(self.second, act_mg, band)
        if self.prefilter.active and self.capture_until_s < 0:
            # A candidate was just raised: keep the minute before it and what follows.
            self._start_window()
        if self.capture_until_s >= 0:
            if self.prefilter.active:
                self.capture_until_s = self.second + POST_S
            if self.ring_count >= RAW_CHUNK or self.second >= self.capture_until_s:
                self._flush_window()
            if self.second >= self.capture_until_s and not self.prefilter.active:
                self.capture_until_s = -1
        if found:
            self._candidate(found)
        if self.beats_this_second == 0 and act_mg < STILL_MG:
            self.quiet_s += 1
        else:
            self.quiet_s = 0
        self.beats_this_second = 0
        self.second += 1
        if self.second % STATUS_EVERY_S == 0:
            self._status()

    # --- raw windows -----------------------------------------------------------------------

    def _start_window(self):
        self.window = (self.window + 1) & 0xFFFF
        self.capture_until_s = self.second + POST_S

    def _flush_window(self):
        # Write what the ring holds, oldest first, in RAW_ACC chunks, then empty it.
        ring = self.ring_mg
        ring_len = len(ring) // 3
        count = self.ring_count
        first = (self.ring_pos - count) % ring_len
        end_ms = (self.second + 1) * 1000
        done = 0
        while done < count:
            n = min(RAW_CHUNK, count - done)
            chunk = [0] * (3 * n)
            for i in range(n):
                p = 3 * ((first + done + i) % ring_len)
                chunk[3 * i] = ring[p]
                chunk[3 * i + 1] = ring[p + 1]
                chunk[3 * i + 2] = ring[p + 2]
            t_ms = end_ms - (count - done) * 1000 // ACC_HZ
            self._put(rec.KIND_RAW_ACC, rec.encode_raw_acc(self.window, t_ms, ACC_HZ, chunk))
            done += n
        self.ring_count = 0

    def _candidate(self, found):
        onset_s, duration_s, score, _detected_s = found
        self.candidates += 1
        self._put(rec.KIND_EVENT, rec.encode_event(onset_s * 1000, duration_s * 1000,
                                                   rec.EVENT_CONVULSIVE, score, self.window))

    # --- status ----------------------------------------------------------------------------

    def _status(self):
        flags = 0
        if self.lead_off:
            flags |= rec.STATUS_LEAD_OFF
        if self.quiet_s >= NOT_WORN_S:
            flags |= rec.STATUS_NOT_WORN
        state = self.log.state()
        if state == STATE_LOW:
            flags |= rec.STATUS_LOG_LOW
        elif state == STATE_FULL:
            flags |= rec.STATUS_LOG_FULL
        free_pct = self.log.free_sectors() * 100 // self.log.sector_count
        battery_mv, battery_pct = self.board.battery()
        self._put(rec.KIND_STATUS, rec.encode_status(self.now_ms(), battery_mv, battery_pct,
                                                     flags, self.board.temperature_cdeg(),
                                                     free_pct))

    def _put(self, kind, payload):
        if payload is None:
            return
        try:
            self.log.append(kind, payload)
            self.records += 1
        except LogFull:
            # The log counts it and writes a DROPPED record when space returns; the
            # status flags tell the nurse at the next sync.
            self.dropped += 1


async def run(board):
    # The device's main task: record until the board says stop.
    recorder = Recorder(board)
    recorder.start(board.boot_count(), board.reset_cause())
    while True:
        events = await board.wait()
        if events & EV_STOP:
            break
        recorder.handle(events)
        board.feed_watchdog()
    recorder.stop()
    return recorder
