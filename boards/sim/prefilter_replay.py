# Replays the on-device prefilter over a replay file (replayfile.py) and prints its
# candidates as one JSON line. Runs unchanged under MicroPython and CPython, which is how
# `ictalog prefilter --runtime micropython|cpython` shows both give identical events.
#
# Usage: python|micropython prefilter_replay.py REPLAY

import json
import sys

from boards.sim.replayfile import ReplayReader
from shared.motion import EpochFeatures
from shared.prefilter import Prefilter

# A second counts as still, for the resting heart rate, below this activity (mg).
STILL_MG = 20


def run(path):
    events = []
    seconds = 0
    with open(path, "rb") as f:
        replay = ReplayReader(f)
        features = EpochFeatures(replay.acc_hz)
        prefilter = Prefilter()
        last_tick = -1
        still = True
        for second in range(replay.seconds):
            beats, full = replay.second(second)
            for i in range(beats):
                tick = replay.beat_ticks[i]
                if last_tick >= 0:
                    prefilter.beat(tick - last_tick, still)
                last_tick = tick
            act_mg = 0
            band = 0
            if full:
                features.compute(replay.acc_mg, 0)
                band = features.band
                act_mg = features.act_mg
            still = act_mg < STILL_MG
            found = prefilter.second(second, act_mg, band)
            if found:
                events.append(found)
            seconds = second + 1
        found = prefilter.finish()
        if found:
            events.append(found)
    return {
        "seconds": seconds,
        "events": [{"onset_s": e[0], "duration_s": e[1], "confidence": e[2] / 100,
                    "detected_s": e[3], "kind": "convulsive_candidate"} for e in events],
    }


if __name__ == "__main__":
    print(json.dumps(run(sys.argv[1])))
