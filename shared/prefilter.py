# The on-device convulsion prefilter: a cheap, recall-first test run once a second that
# flags candidate convulsions, so the device keeps the raw motion and ECG around them and
# the host's full detector looks closely. It is tuned to miss nothing (see
# docs/PREFILTER.md); false candidates cost only flash.
#
# Each second it takes the motion epoch's activity (mg) and clonic-band share (the same
# figures the log keeps, from motion.EpochFeatures) and the R-R intervals that ended in
# that second. A second is "convulsive-like" when it moves hard with most of its power
# between 3 and 8 Hz, or moves somewhat less while the heart rate is well above its
# resting level (ictal tachycardia starts before or at motor onset). A candidate starts
# when enough of the last WINDOW_S seconds are convulsive-like, and ends after
# END_GAP_S seconds without one. Integer arithmetic only.

WINDOW_S = 10
END_GAP_S = 60

# Tuned on the corpus's training split only (bench/prefilter_tune.py --tune; the run and
# its criteria are in docs/PREFILTER.md).
ACT_MIN_MG = 80
ACT_MIN_TACHY_MG = 40
BAND_MIN = 8
COUNT_MIN = 4
TACHY_PCT = 20

# Resting R-R: an exponential mean over about five minutes of beats while still, kept in
# 1/128 s ticks times 256 so that its updates stay integers.
_RR_SCALE = 256
_RR_RATE = 256
_RR_MIN_TICKS = 38   # 0.3 s: 200 bpm; shorter intervals are artifact, not rate
_RR_MAX_TICKS = 256  # 2 s: 30 bpm; longer ones are missed beats


class Prefilter:
    def __init__(self, act_min_mg=ACT_MIN_MG, act_min_tachy_mg=ACT_MIN_TACHY_MG,
                 band_min=BAND_MIN, count_min=COUNT_MIN, tachy_pct=TACHY_PCT):
        self.act_min_mg = act_min_mg
        self.act_min_tachy_mg = act_min_tachy_mg
        self.band_min = band_min
        self.count_min = count_min
        self.tachy_pct = tachy_pct
        self.mask = 0
        self.rest_rr_q = 0
        self.recent_rr_sum = 0
        self.recent_rr_n = 0
        self.active = False
        self.onset_s = 0
        self.last_s = 0
        self.peak = 0
        self.detected_s = 0

    def beat(self, rr_ticks, still):
        # One R-R interval (1/128 s ticks). Plausible intervals feed the recent mean and,
        # while the wearer is still, the resting mean.
        if rr_ticks < _RR_MIN_TICKS or rr_ticks > _RR_MAX_TICKS:
            return
        self.recent_rr_sum += rr_ticks
        self.recent_rr_n += 1
        if still and not self.active:
            if self.rest_rr_q == 0:
                self.rest_rr_q = rr_ticks * _RR_SCALE
            else:
                self.rest_rr_q += (rr_ticks * _RR_SCALE - self.rest_rr_q) // _RR_RATE

    def tachycardic(self):
        # Recent heart rate at least tachy_pct above rest: recent R-R shorter than
        # rest * 100 / (100 + tachy_pct).
        if self.recent_rr_n == 0 or self.rest_rr_q == 0:
            return False
        recent_q = self.recent_rr_sum * _RR_SCALE // self.recent_rr_n
        return recent_q * (100 + self.tachy_pct) < self.rest_rr_q * 100

    def second(self, t_s, act_mg, band):
        # Call once a second, after that second's beats. Returns a finished candidate as
        # (onset_s, duration_s, score, detected_s) or None.
        tachy = self.tachycardic()
        # The recent-rate window restarts every WINDOW_S seconds.
        if t_s % WINDOW_S == 0:
            self.recent_rr_sum = 0
            self.recent_rr_n = 0
        strong = act_mg >= self.act_min_mg
        if tachy:
            strong = strong or act_mg >= self.act_min_tachy_mg
        hit = strong and band >= self.band_min
        self.mask = ((self.mask << 1) | (1 if hit else 0)) & ((1 << WINDOW_S) - 1)
        count = _popcount(self.mask)
        if hit:
            self.last_s = t_s
        if not self.active:
            if count >= self.count_min:
                self.active = True
                self.detected_s = t_s
                self.onset_s = t_s - _highest_bit(self.mask)
                self.peak = count
            return None
        if count > self.peak:
            self.peak = count
        if t_s - self.last_s >= END_GAP_S:
            self.active = False
            # Score: the densest window seen, in percent.
            score = self.peak * 100 // WINDOW_S
            return (self.onset_s, self.last_s + 1 - self.onset_s, score, self.detected_s)
        return None

    def finish(self):
        # End of recording: close an open candidate.
        if not self.active:
            return None
        self.active = False
        return (self.onset_s, self.last_s + 1 - self.onset_s, self.peak * 100 // WINDOW_S,
                self.detected_s)


def _popcount(x):
    n = 0
    while x:
        x &= x - 1
        n += 1
    return n


def _highest_bit(x):
    n = -1
    while x:
        x >>= 1
        n += 1
    return n
