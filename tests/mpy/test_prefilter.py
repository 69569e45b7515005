# The prefilter's decision logic, second by second, under both interpreters.
from shared.prefilter import END_GAP_S, WINDOW_S, Prefilter


def feed(pf, seconds, act_mg, band, start):
    out = []
    for t in range(start, start + seconds):
        found = pf.second(t, act_mg, band)
        if found:
            out.append(found)
    return out


def test_rhythmic_hard_motion_raises_one_candidate_with_its_onset():
    pf = Prefilter()
    assert feed(pf, 100, 0, 0, 0) == []
    assert feed(pf, 40, 400, 12, 100) == []
    assert pf.active and pf.onset_s == 100 and pf.detected_s == 100 + pf.count_min - 1
    found = feed(pf, END_GAP_S + 5, 0, 0, 140)
    assert found == [(100, 40, 100, 100 + pf.count_min - 1)]
    assert not pf.active


def test_hard_motion_outside_the_clonic_band_is_ignored():
    pf = Prefilter()
    assert feed(pf, 200, 800, 2, 0) == [] and not pf.active


def test_sparse_hits_do_not_trigger():
    pf = Prefilter()
    for t in range(300):
        pf.second(t, 400 if t % WINDOW_S == 0 else 0, 12)
    assert not pf.active


def test_tachycardia_lowers_the_motion_needed():
    def run(rr_during):
        pf = Prefilter()
        t = 0
        for _ in range(600):
            pf.beat(109, True)          # about 70 bpm at rest
            if _ % 1 == 0:
                pf.second(t, 0, 0)
                t += 1
        for _ in range(40):
            pf.beat(rr_during, False)
            pf.beat(rr_during, False)
            pf.second(t, pf.act_min_tachy_mg, 12)
            t += 1
        return pf.active
    assert run(60)                      # about 128 bpm: a candidate
    assert not run(105)                 # resting rate: the same motion is not enough


def test_implausible_intervals_are_not_rate():
    pf = Prefilter()
    pf.beat(10, True)
    pf.beat(1000, True)
    assert pf.rest_rr_q == 0 and pf.recent_rr_n == 0


def test_finish_closes_an_open_candidate():
    pf = Prefilter()
    feed(pf, 20, 400, 12, 50)
    onset, duration, score, detected = pf.finish()
    assert onset == 50 and duration == 20 and score == 100
    assert pf.finish() is None
